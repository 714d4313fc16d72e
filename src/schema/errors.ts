// The typed errors of the schema: every expected failure is a result a client can select with a
// fragment, carrying a stable `code` and a human message. The classes live in src/domain/errors.ts;
// this file only maps them.
import {
  type CONFLICT_REASONS,
  type CONTRACT_RULES,
  ConflictError,
  ContractViolationError,
  type DomainError,
  type FieldIssue,
  ForbiddenError,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
} from "../domain/errors.ts";
import { builder } from "./builder.ts";
import { ProcessingStatusEnum } from "./enums.ts";

export const ErrorInterface = builder.interfaceRef<DomainError>("Error").implement({
  description: "An expected failure: the request was understood and refused. Nothing was written.",
  fields: (t) => ({
    code: t.exposeString("code", { description: "A stable, machine-readable code; branch on it, not on the message." }),
    message: t.exposeString("message", { description: "What went wrong, for people." }),
  }),
});

const FieldIssueRef = builder.objectRef<FieldIssue>("FieldIssue").implement({
  description: "One invalid input value.",
  fields: (t) => ({
    path: t.exposeStringList("path", { description: 'Where the value is, e.g. ["input", "uiName"].' }),
    message: t.exposeString("message", { description: "What is wrong with it." }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "A file or contract the request names does not exist (or is deleted). Code: NOT_FOUND.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof NotFoundError,
  fields: (t) => ({
    entity: t.exposeString("entity", { description: "What was looked for: ProjectFile or BoundaryContract." }),
    id: t.expose("id", { type: "UUID", nullable: true, description: "The id that was not found." }),
    path: t.exposeStringList("path", { description: "The input field that named it." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "Input values are invalid; every one is listed with its path. Code: INVALID_INPUT.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ValidationError,
  fields: (t) => ({
    issues: t.field({
      type: [FieldIssueRef],
      description: "Each invalid value, with its path.",
      resolve: (e) => e.issues,
    }),
  }),
});

export const ContractRuleEnum = builder.enumType("ContractRule", {
  description: "The rule of a boundary contract that a request breaks.",
  values: {
    NO_CONTRACT: { description: "No contract was given and the source file has none." },
    CONTRACT_RETIRED: { description: "The contract is retired and accepts nothing new." },
    CONTRACT_OTHER_PROJECT: { description: "The contract belongs to another project than the file." },
    REPRESENTATION_NOT_ALLOWED: { description: "The representation type is not among the contract's allowed ones." },
    WORKSPACE_OUT_OF_SCOPE: { description: "The workspace is outside the contract's scope." },
    CLASSIFICATION_ABOVE_CEILING: { description: "The data's classification is above the contract's ceiling." },
  } satisfies Record<(typeof CONTRACT_RULES)[number], unknown>,
});

builder.objectType(ContractViolationError, {
  name: "ContractViolationError",
  description: "The request breaks a rule of a boundary contract; `rule` names it (and is the code).",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ContractViolationError,
  fields: (t) => ({
    rule: t.field({ type: ContractRuleEnum, description: "The rule broken.", resolve: (e) => e.code }),
    contractId: t.expose("contractId", {
      type: "UUID",
      nullable: true,
      description: "The contract whose rule it is.",
    }),
  }),
});

builder.objectType(InvalidTransitionError, {
  name: "InvalidTransitionError",
  description:
    "The processing status cannot move from its current value to the one asked for. Code: INVALID_TRANSITION.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof InvalidTransitionError,
  fields: (t) => ({
    from: t.field({ type: ProcessingStatusEnum, description: "The file's current status.", resolve: (e) => e.from }),
    to: t.field({ type: ProcessingStatusEnum, description: "The status asked for.", resolve: (e) => e.to }),
    allowed: t.field({
      type: [ProcessingStatusEnum],
      description: "The statuses the file may move to from its current one.",
      resolve: (e) => [...e.allowed],
    }),
  }),
});

export const ConflictReasonEnum = builder.enumType("ConflictReason", {
  description: "How a request collides with the current state of the data.",
  values: {
    CONTRACT_NAME_TAKEN: { description: "The project already has a contract with this name." },
    DEFAULT_CONTRACT_EXISTS: { description: "Another default contract was made for the project at the same time." },
    DEFAULT_CONTRACT_RETIRING: {
      description: "The contract is its project's default; name another default to retire it.",
    },
    CONTRACT_RETIRED: { description: "The contract is retired; it cannot become a default." },
    CEILING_BELOW_FILES: { description: "Live files under the contract are classified above the new ceiling." },
    HAS_LIVE_DESCENDANTS: {
      description: "The file has live descendants; delete with cascade: true to delete them too.",
    },
    IDEMPOTENCY_KEY_REUSED: {
      description: "The idempotency key was used before for a different materialization (or is in flight).",
    },
    ALREADY_EXISTS: { description: "A row with the same unique values already exists." },
    CONCURRENT_UPDATE: { description: "Another request changed the same rows at the same time; retry." },
  } satisfies Record<(typeof CONFLICT_REASONS)[number], unknown>,
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The request collides with the current state of the data; `reason` says how (and is the code).",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ConflictError,
  fields: (t) => ({
    reason: t.field({ type: ConflictReasonEnum, description: "How it collides.", resolve: (e) => e.code }),
    conflictingIds: t.field({
      type: ["UUID"],
      description: "The files or contracts it collides with, when there are any to name.",
      resolve: (e) => e.conflictingIds,
    }),
  }),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description:
    "The caller may see what the request acts on but may not do this to it (see the access rules in the README). Code: FORBIDDEN.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ForbiddenError,
  fields: () => ({}),
});
