// ProjectFile: the type, and the queries that read files.
import { builder } from "../builder.ts";
import { AccessLevelEnum, DataClassificationEnum, ProcessingStatusEnum } from "../enums.ts";
import { countedConnection, pageSizes } from "../pagination.ts";

export const ProjectFile = builder.prismaObject("ProjectFile", {
  description: "A file, or a file derived from another one (a materialization), with its metadata and lineage.",
  fields: (t) => ({
    id: t.expose("id", { type: "UUID", description: "The file's UUID (file_uuid)." }),
    projectId: t.expose("projectId", { type: "UUID", description: "The project the file belongs to." }),
    workspaceId: t.expose("workspaceId", {
      type: "UUID",
      nullable: true,
      description: "The workspace the file belongs to, if any.",
    }),
    uiName: t.exposeString("uiName", { description: "The name shown to people." }),
    filePath: t.exposeString("filePath", { description: "Where the file is stored, within its storage backend." }),
    fileType: t.exposeString("fileType", { nullable: true, description: "The kind of file (e.g. dataset, image)." }),
    mimeType: t.exposeString("mimeType", { nullable: true, description: "The file's MIME type." }),
    fileSizeBytes: t.expose("fileSizeBytes", { type: "BigInt", nullable: true, description: "Size in bytes." }),
    checksumSha256: t.exposeString("checksumSha256", { nullable: true, description: "SHA-256 of the content, hex." }),
    storageBackend: t.exposeString("storageBackend", {
      nullable: true,
      description: "Where the content lives (e.g. s3).",
    }),
    metadata: t.expose("metadata", { type: "JSON", description: "Free-form metadata (a JSON object)." }),
    createdBy: t.exposeString("createdBy", { nullable: true, description: "Who registered the file." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the file was registered." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the file's record last changed." }),
    processingStatus: t.expose("processingStatus", {
      type: ProcessingStatusEnum,
      description: "Where the file is in processing.",
    }),
    processingStartedAt: t.expose("processingStartedAt", {
      type: "DateTime",
      nullable: true,
      description: "When processing last started.",
    }),
    processingCompletedAt: t.expose("processingCompletedAt", {
      type: "DateTime",
      nullable: true,
      description: "When processing last ended (completed, failed or skipped).",
    }),
    lineageDepth: t.exposeInt("lineageDepth", { description: "0 for a root file; its parent's depth + 1 otherwise." }),
    parentId: t.expose("parentFileId", {
      type: "UUID",
      nullable: true,
      description: "The file this one was derived from; null for a root.",
    }),
    rootId: t.field({
      type: "UUID",
      description: "The root of the file's lineage tree (a root is its own root, legacy NULL roots included).",
      select: { rootFileId: true, id: true },
      resolve: (file) => file.rootFileId ?? file.id,
    }),
    accessLevel: t.expose("accessLevel", { type: AccessLevelEnum, description: "Who may see the file." }),
    dataClassification: t.expose("dataClassification", {
      type: DataClassificationEnum,
      description: "How sensitive the file's data is.",
    }),
    representationType: t.exposeString("representationType", {
      nullable: true,
      description: "The representation: original, parquet, csv, preview, thumbnail, embedding, ...",
    }),
    boundaryContract: t.relation("boundaryContract", {
      nullable: true,
      description: "The data boundary contract the file is held under.",
    }),
  }),
});

builder.queryFields((t) => ({
  file: t.prismaField({
    type: "ProjectFile",
    nullable: true,
    description: "One file by id; null when there is no such live file.",
    args: { id: t.arg({ type: "UUID", required: true, description: "The file's UUID." }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.projectFile.findFirst({ ...query, where: { id: args.id, deletedAt: null } }),
  }),
  files: t.prismaConnection(
    {
      type: "ProjectFile",
      cursor: "id",
      ...pageSizes,
      description: "Live files, oldest first.",
      totalCount: (_parent, _args, ctx) => ctx.prisma.projectFile.count({ where: { deletedAt: null } }),
      resolve: (query, _root, _args, ctx) =>
        ctx.prisma.projectFile.findMany({
          ...query,
          where: { deletedAt: null },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        }),
    },
    countedConnection("A page of files."),
    { description: "A file in a page of files." },
  ),
}));
