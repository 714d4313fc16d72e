// BoundaryContract: the type, and the queries that read contracts.
import { builder } from "../builder.ts";
import { ContractStatusEnum, DataClassificationEnum } from "../enums.ts";

builder.prismaObject("DataBoundaryContract", {
  name: "BoundaryContract",
  description:
    "A data boundary contract: which representation types may be materialized from a project's files, up to which classification, and into which workspaces.",
  fields: (t) => ({
    id: t.expose("id", { type: "UUID", description: "The contract's UUID (contract_id)." }),
    projectId: t.expose("projectId", { type: "UUID", description: "The project the contract governs." }),
    name: t.exposeString("name", { description: "A name, unique within the project." }),
    description: t.exposeString("description", { nullable: true, description: "What the contract is for." }),
    allowedRepresentationTypes: t.exposeStringList("allowedRepresentationTypes", {
      description: "Representation types that may be materialized under it; empty means any.",
    }),
    maxDataClassification: t.expose("maxDataClassification", {
      type: DataClassificationEnum,
      description: "The ceiling: nothing more sensitive may be materialized under it.",
    }),
    retentionDays: t.exposeInt("retentionDays", { nullable: true, description: "How long materializations are kept." }),
    scope: t.expose("scope", { type: "JSON", description: 'The contract\'s scope, e.g. {"workspace_ids": [...]}.' }),
    isDefault: t.exposeBoolean("isDefault", { description: "True for the project's default contract (at most one)." }),
    status: t.expose("status", { type: ContractStatusEnum, description: "Active or retired." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the contract was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the contract last changed." }),
  }),
});
