// GraphQL enums over the text vocabularies of src/domain/vocabulary.ts. Names are upper case in
// GraphQL, values are the lower-case strings the database stores.
import { ACCESS_LEVELS, CLASSIFICATIONS, CONTRACT_STATUSES, PROCESSING_STATUSES } from "../domain/vocabulary.ts";
import { builder } from "./builder.ts";

function values(list: readonly string[], describe: Record<string, string>) {
  return Object.fromEntries(list.map((v) => [v.toUpperCase(), { value: v, description: describe[v] ?? v }]));
}

export const ProcessingStatusEnum = builder.enumType("ProcessingStatus", {
  description: "Where a file is in processing: PENDING → PROCESSING → COMPLETED | FAILED | SKIPPED.",
  values: values(PROCESSING_STATUSES, {
    pending: "Registered, not yet picked up.",
    processing: "A worker is processing it.",
    completed: "Processing finished successfully.",
    failed: "Processing failed; see processingErrors. May be retried.",
    skipped: "Processing was not needed.",
  }),
});

export const AccessLevelEnum = builder.enumType("AccessLevel", {
  description: "Who may see a file.",
  values: values(ACCESS_LEVELS, {
    public: "Anyone, including anonymous callers.",
    internal: "Any authenticated caller.",
    workspace: "Members of the file's workspace.",
    private: "The creator and the callers listed in permissions.read.",
  }),
});

export const DataClassificationEnum = builder.enumType("DataClassification", {
  description: "How sensitive data is, from least to most: PUBLIC < INTERNAL < CONFIDENTIAL < RESTRICTED.",
  values: values(CLASSIFICATIONS, {
    public: "May be published.",
    internal: "For the organisation only.",
    confidential: "For named groups only.",
    restricted: "The most sensitive data.",
  }),
});

export const ContractStatusEnum = builder.enumType("ContractStatus", {
  description: "Whether a contract accepts new materializations.",
  values: values(CONTRACT_STATUSES, {
    active: "Accepts new materializations.",
    retired: "Kept for history; accepts nothing new.",
  }),
});
