// registerMaterialization: what processing workers call to record a derived representation of a
// file under a boundary contract. The rules are in src/domain/contracts.ts, the write in
// src/services/materializations.ts.
import { ConflictError, ContractViolationError, NotFoundError, ValidationError } from "../../domain/errors.ts";
import { jsonInputs } from "../../domain/validation.ts";
import { registerMaterialization } from "../../services/materializations.ts";
import { builder } from "../builder.ts";
import { DataClassificationEnum } from "../enums.ts";
import { ProjectFile } from "../files/index.ts";
import { resultSelection } from "../selection.ts";

const RegisterMaterializationInput = builder.inputType("RegisterMaterializationInput", {
  description:
    "A materialization of a source file. Project, access level, permissions and (at least) classification come from the source.",
  fields: (t) => ({
    sourceFileId: t.field({ type: "UUID", required: true, description: "The live file it is derived from." }),
    representationType: t.string({
      required: true,
      description: "The representation made, e.g. parquet, csv, preview, thumbnail, embedding.",
    }),
    contractId: t.field({
      type: "UUID",
      description: "The contract to hold it under (default: the source's contract).",
    }),
    workspaceId: t.field({
      type: "UUID",
      description: "The workspace it is made for (default: the source's); must be in the contract's scope.",
    }),
    sessionId: t.string({
      description: "The session it is made in; kept only inside materializationScope, never as a column.",
    }),
    scope: t.field({
      type: "JSON",
      description:
        "Further keys for materializationScope (a JSON object); workspace_id, session_id, materialized_at and materialized_by are set by the service.",
    }),
    idempotencyKey: t.string({
      description:
        "Makes retries safe: a second request with the same key (in the project) returns the first one's materialization instead of making another.",
    }),
    uiName: t.string({ description: "The name shown to people (default: the source's name and the representation)." }),
    filePath: t.string({ required: true, description: "Where the materialization is stored." }),
    fileType: t.string({ description: "The kind of file (default: the source's)." }),
    mimeType: t.string({ description: "Its MIME type." }),
    fileSizeBytes: t.field({ type: "BigInt", description: "Size in bytes (not negative)." }),
    checksumSha256: t.string({ description: "SHA-256 of the content: 64 lower-case hex digits." }),
    storageBackend: t.string({ description: "Where the content lives (default: the source's)." }),
    metadata: t.field({ type: "JSON", description: "Free-form metadata: a JSON object." }),
    dataClassification: t.field({
      type: DataClassificationEnum,
      description: "Its classification: at least the source's (the default); must be within the contract's ceiling.",
    }),
  }),
});

builder.mutationFields((t) => ({
  registerMaterialization: t.field({
    type: ProjectFile,
    description:
      "Registers a materialization of a source file under a boundary contract. Refused with a ContractViolationError naming the rule when the contract is retired or of another project, the representation type is not allowed, the workspace is outside its scope, or the data's classification is above its ceiling. Needs write access to the source and membership of the materialization's workspace; the caller is recorded as its maker.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RegisterMaterializationInput, required: true, description: "The materialization." }) },
    errors: {
      types: [ValidationError, NotFoundError, ContractViolationError, ConflictError],
      dataField: { name: "file", description: "The materialization (a new file, or the one an earlier retry made)." },
      result: { description: "The materialization was registered (or had been, with the same idempotency key)." },
      union: { description: "The materialization, or why it was refused." },
    },
    resolve: async (_root, { input }, ctx, info) => {
      jsonInputs({ metadata: input.metadata, scope: input.scope }, ctx.config.limits);
      return registerMaterialization(ctx.prisma, ctx.identity, input, await resultSelection(ctx, info), ctx.events);
    },
  }),
}));
