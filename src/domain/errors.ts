// The expected failures of the service, as plain classes (no GraphQL here). The schema registers
// each as a typed result (src/schema/errors.ts); anything else thrown is unexpected and masked.
import type { ProcessingStatus } from "./vocabulary.ts";

export abstract class DomainError extends Error {
  /** A stable, machine-readable code; clients branch on it, never on the message. */
  abstract readonly code: string;
}

export type EntityName = "ProjectFile" | "BoundaryContract";

export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  readonly code = "NOT_FOUND";
  constructor(
    readonly entity: EntityName,
    /** The id asked for; null when the database reported a missing reference without one. */
    readonly id: string | null,
    /** The input field that named the missing row, e.g. ["input", "parentId"]. */
    readonly path: string[] = [],
  ) {
    const what = entity === "ProjectFile" ? "live file" : "boundary contract";
    super(id ? `No ${what} has id ${id}.` : `A referenced ${what} does not exist.`);
  }
}

/** One bad input value: where it is (argument path) and what is wrong with it. */
export interface FieldIssue {
  path: string[];
  message: string;
}

export class ValidationError extends DomainError {
  override name = "ValidationError";
  readonly code = "INVALID_INPUT";
  constructor(readonly issues: FieldIssue[]) {
    super(
      issues.length === 1 && issues[0]
        ? `${issues[0].path.join(".")}: ${issues[0].message}`
        : `${issues.length} input values are invalid: ${issues.map((i) => i.path.join(".")).join(", ")}.`,
    );
  }
}

/** One per rule a materialization (or a contract assignment) must satisfy. */
export const CONTRACT_RULES = [
  "NO_CONTRACT",
  "CONTRACT_RETIRED",
  "CONTRACT_OTHER_PROJECT",
  "REPRESENTATION_NOT_ALLOWED",
  "WORKSPACE_OUT_OF_SCOPE",
  "CLASSIFICATION_ABOVE_CEILING",
] as const;
export type ContractRule = (typeof CONTRACT_RULES)[number];

export class ContractViolationError extends DomainError {
  override name = "ContractViolationError";
  constructor(
    readonly code: ContractRule,
    message: string,
    readonly contractId: string | null,
  ) {
    super(message);
  }
}

export class InvalidTransitionError extends DomainError {
  override name = "InvalidTransitionError";
  readonly code = "INVALID_TRANSITION";
  constructor(
    readonly from: ProcessingStatus,
    readonly to: ProcessingStatus,
    readonly allowed: readonly ProcessingStatus[],
  ) {
    super(
      `A file cannot go from ${from} to ${to}; from ${from} it may go to ${allowed.length ? allowed.join(", ") : "nothing (final)"}.`,
    );
  }
}

/** One per way a request can collide with the current state of the data. */
export const CONFLICT_REASONS = [
  "CONTRACT_NAME_TAKEN",
  "DEFAULT_CONTRACT_EXISTS",
  "DEFAULT_CONTRACT_RETIRING",
  "CONTRACT_RETIRED",
  "CEILING_BELOW_FILES",
  "HAS_LIVE_DESCENDANTS",
  "IDEMPOTENCY_KEY_REUSED",
  "ALREADY_EXISTS",
  "CONCURRENT_UPDATE",
] as const;
export type ConflictReason = (typeof CONFLICT_REASONS)[number];

export class ConflictError extends DomainError {
  override name = "ConflictError";
  constructor(
    readonly code: ConflictReason,
    message: string,
    /** The rows the conflict is with, when there are any to name. */
    readonly conflictingIds: string[] = [],
  ) {
    super(message);
  }
}

/** The caller may see what it acts on, but the access rules (src/domain/access.ts) do not let it do this. */
export class ForbiddenError extends DomainError {
  override name = "ForbiddenError";
  readonly code = "FORBIDDEN";
}
