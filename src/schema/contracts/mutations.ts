// Mutations on boundary contracts: create, update, retire, and assignContract. The resolvers only
// map GraphQL to the services in src/services/contracts.ts; every expected failure comes back as a
// typed error.
import { ConflictError, ContractViolationError, NotFoundError, ValidationError } from "../../domain/errors.ts";
import { jsonInputs } from "../../domain/validation.ts";
import { assignContract, createContract, retireContract, updateContract } from "../../services/contracts.ts";
import { builder } from "../builder.ts";
import { DataClassificationEnum } from "../enums.ts";
import { ProjectFile } from "../files/index.ts";
import { resultSelection } from "../selection.ts";
import { BoundaryContract } from "./index.ts";

const CreateBoundaryContractInput = builder.inputType("CreateBoundaryContractInput", {
  description: "A new boundary contract of a project. It starts active.",
  fields: (t) => ({
    projectId: t.field({ type: "UUID", required: true, description: "The project it governs." }),
    name: t.string({
      required: true,
      description: "A name, unique within the project (at most 200 characters, not blank).",
    }),
    description: t.string({ description: "What the contract is for (at most 4000 characters)." }),
    allowedRepresentationTypes: t.stringList({
      description:
        "Representation types that may be materialized under it, e.g. parquet (lower-case identifiers); empty or left out means any.",
    }),
    maxDataClassification: t.field({
      type: DataClassificationEnum,
      defaultValue: "internal",
      description: "The ceiling: nothing more sensitive may be held under it (default INTERNAL).",
    }),
    retentionDays: t.int({ description: "How long materializations are kept, in days (above 0)." }),
    workspaceIds: t.field({
      type: ["UUID"],
      description:
        "The workspaces materializations may be made for (stored sorted, each once, as scope.workspace_ids); left out or null means any workspace of the project; an empty list is refused.",
    }),
    scope: t.field({
      type: "JSON",
      description: "Further scope keys (a JSON object); workspace_ids is not allowed here, use workspaceIds.",
    }),
    isDefault: t.boolean({
      defaultValue: false,
      description: "Make it the project's default contract; the previous default stops being one.",
    }),
  }),
});

const UpdateBoundaryContractInput = builder.inputType("UpdateBoundaryContractInput", {
  description:
    "The fields to change; a field left out is kept. Only description, retentionDays and workspaceIds may be null (cleared).",
  fields: (t) => ({
    name: t.string({ description: "A new name, unique within the project." }),
    description: t.string({ description: "A new description; null clears it." }),
    allowedRepresentationTypes: t.stringList({
      description:
        "The new list of allowed representation types; empty means any. Files already held keep the contract.",
    }),
    maxDataClassification: t.field({
      type: DataClassificationEnum,
      description: "A new ceiling; lowering it is refused while live files under the contract are classified above it.",
    }),
    retentionDays: t.int({ description: "A new retention in days (above 0); null means no limit." }),
    workspaceIds: t.field({
      type: ["UUID"],
      description:
        "The new workspaces (non-empty); null means any workspace of the project. Files already held keep the contract.",
    }),
    isDefault: t.boolean({
      description:
        "true makes it the project's default (not for a retired contract) and demotes the previous one; false on the current default is refused: make another contract the default instead.",
    }),
  }),
});

builder.mutationFields((t) => ({
  createBoundaryContract: t.field({
    type: BoundaryContract,
    description:
      "Creates a boundary contract. A name already used in the project is a ConflictError CONTRACT_NAME_TAKEN; with isDefault, the contract replaces the project's default. Needs the admin role or contract-admin:<projectId>.",
    authScopes: (_parent, args) => ({ $any: { admin: true, contractAdmin: args.input.projectId } }),
    args: { input: t.arg({ type: CreateBoundaryContractInput, required: true, description: "The contract." }) },
    errors: {
      types: [ValidationError, ConflictError],
      dataField: { name: "contract", description: "The contract created." },
      result: { description: "The contract was created." },
      union: { description: "The created contract, or why it was refused." },
    },
    resolve: async (_root, { input }, ctx, info) => {
      jsonInputs({ scope: input.scope }, ctx.config.limits);
      return createContract(ctx.prisma, ctx.identity, input, await resultSelection(ctx, info));
    },
  }),
  updateBoundaryContract: t.field({
    type: BoundaryContract,
    description:
      "Changes fields of a contract (active or retired). Refused with CONTRACT_NAME_TAKEN for a used name, CONTRACT_RETIRED when a retired contract would become the default, and CEILING_BELOW_FILES (naming up to 100 files) when the new ceiling is below live files held under it. Needs the admin role or contract-admin of the contract's project.",
    authScopes: { authenticated: true },
    args: {
      id: t.arg({ type: "UUID", required: true, description: "The contract to change." }),
      input: t.arg({ type: UpdateBoundaryContractInput, required: true, description: "The fields to change." }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      dataField: { name: "contract", description: "The contract as changed." },
      result: { description: "The contract was changed." },
      union: { description: "The changed contract, or why it was refused." },
    },
    resolve: async (_root, { id, input }, ctx, info) =>
      updateContract(ctx.prisma, ctx.identity, id, input, await resultSelection(ctx, info)),
  }),
  retireBoundaryContract: t.field({
    type: BoundaryContract,
    description:
      "Retires a contract: it accepts nothing new, and files under it keep it. Retiring a retired contract returns it unchanged. The project's default is refused (DEFAULT_CONTRACT_RETIRING) unless newDefaultId names another active contract of the same project, which becomes the default in the same transaction: a retired one is a ConflictError CONTRACT_RETIRED, an unknown one a NotFoundError, the same contract or one of another project a ValidationError. Needs the admin role or contract-admin of the contract's project.",
    authScopes: { authenticated: true },
    args: {
      id: t.arg({ type: "UUID", required: true, description: "The contract to retire." }),
      newDefaultId: t.arg({
        type: "UUID",
        description:
          "When retiring the project's default: the active contract of the same project that becomes the default. Refused for a contract that is not the default.",
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      dataField: { name: "contract", description: "The retired contract." },
      result: { description: "The contract is retired." },
      union: { description: "The retired contract, or why it was not retired." },
    },
    resolve: async (_root, { id, newDefaultId }, ctx, info) =>
      retireContract(ctx.prisma, ctx.identity, id, newDefaultId, await resultSelection(ctx, info)),
  }),
  assignContract: t.field({
    type: ProjectFile,
    description:
      "Puts a live file under a boundary contract. Refused with a ContractViolationError naming the rule when the contract is retired or of another project, or does not admit the file's representation type, workspace or classification. A file already under the contract is returned unchanged. Needs a caller who may see the file and has the admin role or contract-admin of its project.",
    authScopes: { authenticated: true },
    args: {
      fileId: t.arg({ type: "UUID", required: true, description: "The live file." }),
      contractId: t.arg({ type: "UUID", required: true, description: "The contract to hold it under." }),
    },
    errors: {
      types: [NotFoundError, ContractViolationError, ConflictError],
      dataField: { name: "file", description: "The file, now under the contract." },
      result: { description: "The file is under the contract." },
      union: { description: "The file under its new contract, or why it was refused." },
    },
    resolve: async (_root, { fileId, contractId }, ctx, info) =>
      assignContract(ctx.prisma, ctx.identity, fileId, contractId, await resultSelection(ctx, info)),
  }),
}));
