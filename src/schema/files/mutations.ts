// Mutations on files: registerFile and deleteFile. The resolvers only map GraphQL to the services
// in src/services/files.ts; every expected failure comes back as a typed error.
import { ConflictError, ContractViolationError, NotFoundError, ValidationError } from "../../domain/errors.ts";
import { jsonInputs } from "../../domain/validation.ts";
import { deleteFile, registerFile } from "../../services/files.ts";
import { builder } from "../builder.ts";
import { AccessLevelEnum, DataClassificationEnum } from "../enums.ts";
import { resultSelection } from "../selection.ts";
import { ProjectFile } from "./index.ts";

const RegisterFileInput = builder.inputType("RegisterFileInput", {
  description:
    "A new file. Give `projectId` for a root file, or `parentId` for a derived one: its project, root and depth then come from the parent.",
  fields: (t) => ({
    projectId: t.field({ type: "UUID", description: "The project of a root file (must be the parent's, if given)." }),
    parentId: t.field({ type: "UUID", description: "The live file this one is derived from." }),
    workspaceId: t.field({ type: "UUID", description: "The workspace (default: the parent's)." }),
    uiName: t.string({ required: true, description: "The name shown to people." }),
    filePath: t.string({ required: true, description: "Where the file is stored, within its storage backend." }),
    fileType: t.string({ description: "The kind of file (e.g. dataset, image)." }),
    mimeType: t.string({ description: "The file's MIME type." }),
    fileSizeBytes: t.field({ type: "BigInt", description: "Size in bytes (not negative)." }),
    checksumSha256: t.string({ description: "SHA-256 of the content: 64 lower-case hex digits." }),
    storageBackend: t.string({ description: "Where the content lives (e.g. s3)." }),
    metadata: t.field({ type: "JSON", description: "Free-form metadata: a JSON object." }),
    accessLevel: t.field({
      type: AccessLevelEnum,
      description: "Who may see it (default: the parent's, else PRIVATE).",
    }),
    permissions: t.field({
      type: "JSON",
      description:
        'Who may read and write it: {"read": ["user:u1", "group:g1"], "write": [...]} (default: the parent\'s).',
    }),
    dataClassification: t.field({
      type: DataClassificationEnum,
      description: "How sensitive it is; a derived file is at least as sensitive as its parent (the default).",
    }),
    boundaryContractId: t.field({
      type: "UUID",
      description: "The contract to hold it under (default: the parent's, else the project's default contract).",
    }),
    representationType: t.string({
      description: "The representation (default for a root file: original), e.g. parquet.",
    }),
  }),
});

const DeletedFiles = builder.objectRef<{ deletedIds: string[] }>("DeletedFiles").implement({
  description: "The files a deleteFile removed.",
  fields: (t) => ({
    deletedIds: t.field({
      type: ["UUID"],
      description: "The ids soft-deleted: the file first, then its descendants (with cascade).",
      resolve: (r) => r.deletedIds,
    }),
  }),
});

builder.mutationFields((t) => ({
  registerFile: t.field({
    type: ProjectFile,
    description:
      "Registers a root file, or a file derived from a live parent. The caller (the token's subject) is its creator. Needs a signed-in caller; a derived file needs write access to the parent.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RegisterFileInput, required: true, description: "The file." }) },
    errors: {
      types: [ValidationError, NotFoundError, ContractViolationError],
      dataField: { name: "file", description: "The file registered." },
      result: { description: "The file was registered." },
      union: { description: "The registered file, or why it was refused." },
    },
    resolve: async (_root, { input }, ctx, info) => {
      jsonInputs({ metadata: input.metadata, permissions: input.permissions }, ctx.config.limits);
      return registerFile(ctx.prisma, ctx.identity, input, await resultSelection(ctx, info));
    },
  }),
  deleteFile: t.field({
    type: DeletedFiles,
    description:
      "Soft-deletes a file: it drops out of every list and traversal. Refused while it has live descendants, unless `cascade` deletes them too. Needs write access to every file deleted.",
    authScopes: { authenticated: true },
    args: {
      id: t.arg({ type: "UUID", required: true, description: "The file to delete." }),
      cascade: t.arg.boolean({
        defaultValue: false,
        description: "Also delete every live descendant, in the same transaction.",
      }),
    },
    errors: {
      types: [NotFoundError, ConflictError],
      directResult: true,
      union: { description: "The deleted ids, or why nothing was deleted." },
    },
    resolve: async (_root, { id, cascade }, ctx) => ({
      deletedIds: await deleteFile(ctx.prisma, ctx.identity, id, cascade ?? false),
    }),
  }),
}));
