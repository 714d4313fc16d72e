// The closed vocabularies of the data model. The database holds them as text under CHECK
// constraints (001, 003); these lists are the same values, in the order that matters.

export const PROCESSING_STATUSES = ["pending", "processing", "completed", "failed", "skipped"] as const;
export type ProcessingStatus = (typeof PROCESSING_STATUSES)[number];

export const ACCESS_LEVELS = ["public", "internal", "workspace", "private"] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** Ordered from least to most sensitive: public < internal < confidential < restricted. */
export const CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const CONTRACT_STATUSES = ["active", "retired"] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/** True when `level` is at or below `ceiling`. */
export function withinCeiling(level: Classification, ceiling: Classification): boolean {
  return CLASSIFICATIONS.indexOf(level) <= CLASSIFICATIONS.indexOf(ceiling);
}
