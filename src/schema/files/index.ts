// ProjectFile: the type, its relations, and the queries that read files. Lineage traversals
// (ancestors, descendants, lineage) are in ../lineage; writes in ./mutations.ts.

import type { Context } from "../../context.ts";
import { visible } from "../../db/access.ts";
import { canReadFile } from "../../domain/access.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import { builder } from "../builder.ts";
import { AccessLevelEnum, DataClassificationEnum, ProcessingStatusEnum } from "../enums.ts";
import { badInput, FOREIGN_CURSOR, pageSizes } from "../pagination.ts";
import {
  MaterializationScopeRef,
  ProcessingErrorRef,
  readMaterializationScope,
  readProcessingErrors,
} from "./shapes.ts";

export const ProjectFile = builder.prismaObject("ProjectFile", {
  description: "A file, or a file derived from another one (a materialization), with its metadata and lineage.",
  // Every read path filters hidden files in SQL; this is the last line: a file the caller may not
  // read never reaches a response, even through a path that forgot to filter (it fails instead).
  authScopes: (file, ctx) => canReadFile(ctx.identity, file),
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
    processingErrors: t.field({
      type: [ProcessingErrorRef],
      description: "Every processing error reported for the file, oldest first (appended, never overwritten).",
      select: { processingErrors: true },
      resolve: (file) => readProcessingErrors(file.processingErrors),
    }),
    processingAttempts: t.exposeInt("processingAttempts", {
      description: "How many times processing has started; errors carry the attempt they belong to.",
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
    root: t.prismaField({
      type: "ProjectFile",
      nullable: true,
      description:
        "The root of the file's lineage tree (a root file is its own root); null when the caller may not see the root (`rootId` still names it).",
      select: { rootFileId: true, id: true },
      resolve: async (query, file, _args, ctx) => {
        // findUnique calls made in the same tick are batched by Prisma into one query
        const root = await ctx.prisma.projectFile.findUnique({
          ...query,
          where: { id: file.rootFileId ?? file.id },
        });
        return root && canReadFile(ctx.identity, root) ? root : null;
      },
    }),
    accessLevel: t.expose("accessLevel", { type: AccessLevelEnum, description: "Who may see the file." }),
    permissions: t.expose("permissions", {
      type: "JSON",
      description: 'Who may read and write the file: {"read": ["user:u1", "group:g1"], "write": [...]}.',
    }),
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
    materializationScope: t.field({
      type: MaterializationScopeRef,
      nullable: true,
      description: "Where and by whom this materialization was made; null for a file that is not one.",
      select: { materializationScope: true },
      resolve: (file) => readMaterializationScope(file.materializationScope),
    }),
    idempotencyKey: t.exposeString("idempotencyKey", {
      nullable: true,
      description: "The idempotency key the materialization was registered with, if any.",
    }),
  }),
});

// Every list of files is a FileConnection, so that clients page through all of them the same way.
export const FileConnection = builder.connectionObject(
  {
    type: ProjectFile,
    name: "FileConnection",
    description: "A page of files.",
    fields: (t) => ({
      totalCount: t.int({
        description: "How many files the whole list holds, across all pages.",
        resolve: (connection) => {
          const { totalCount } = connection as { totalCount?: number | (() => number | Promise<number>) };
          return typeof totalCount === "function" ? totalCount() : (totalCount ?? 0);
        },
      }),
    }),
  },
  { name: "FileEdge", description: "A file in a page of files." },
);

// The relations to other files (declared once ProjectFile and FileConnection exist).
builder.prismaObjectFields("ProjectFile", (t) => ({
  parent: t.field({
    type: ProjectFile,
    nullable: true,
    description:
      "The file this one was derived from; null for a root, and when the caller may not see the parent (`parentId` still names it).",
    select: (_args, _ctx, nestedSelection) => ({ parent: nestedSelection(true) }),
    resolve: (file, _args, ctx) => (file.parent && canReadFile(ctx.identity, file.parent) ? file.parent : null),
  }),
  children: t.relatedConnection(
    "children",
    {
      cursor: "id",
      ...pageSizes,
      totalCount: true,
      description: "The live files derived directly from this one that the caller may see, oldest first.",
      query: async (args, ctx) => ({
        where: await visibleAfterCursor(ctx, args, { deletedAt: null }),
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      }),
    },
    FileConnection,
  ),
  materializations: t.relatedConnection(
    "children",
    {
      cursor: "id",
      ...pageSizes,
      totalCount: true,
      description:
        "The live materializations registered from this file (registerMaterialization) that the caller may see, oldest first.",
      query: async (args, ctx) => ({
        where: await visibleAfterCursor(ctx, args, {
          deletedAt: null,
          NOT: { materializationScope: { equals: Prisma.DbNull } },
        }),
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      }),
    },
    FileConnection,
  ),
}));

const FileOrderField = builder.enumType("FileOrderField", {
  description: "What to sort files by. Ties are broken by id, so the order is total and pages are stable.",
  values: {
    CREATED_AT: { value: "createdAt", description: "When the file was registered." },
    NAME: { value: "uiName", description: "The file's name (ui_name)." },
    SIZE: { value: "fileSizeBytes", description: "Size in bytes; files of unknown size come last." },
    DEPTH: { value: "lineageDepth", description: "Lineage depth (roots first when ascending)." },
  } as const,
});

const SortDirection = builder.enumType("SortDirection", {
  description: "Ascending or descending.",
  values: {
    ASC: { value: "asc", description: "Smallest first." },
    DESC: { value: "desc", description: "Largest first." },
  } as const,
});

const FileOrder = builder.inputType("FileOrder", {
  description: "How to order a list of files.",
  fields: (t) => ({
    field: t.field({ type: FileOrderField, required: true, description: "What to sort by." }),
    direction: t.field({ type: SortDirection, defaultValue: "asc", description: "Which way (default ASC)." }),
  }),
});

const FileFilter = builder.inputType("FileFilter", {
  description: "Which files to list. Every condition given must hold; deleted files are never listed.",
  fields: (t) => ({
    projectId: t.field({ type: "UUID", description: "Files of this project." }),
    workspaceId: t.field({ type: "UUID", description: "Files of this workspace." }),
    processingStatus: t.field({ type: [ProcessingStatusEnum], description: "Files in any of these statuses." }),
    fileType: t.string({ description: "Files of this type (exact)." }),
    mimeType: t.string({ description: "Files of this MIME type (exact)." }),
    dataClassification: t.field({
      type: [DataClassificationEnum],
      description: "Files of any of these classifications.",
    }),
    boundaryContractId: t.field({ type: "UUID", description: "Files held under this contract." }),
    representationType: t.string({ description: "Files of this representation type (exact)." }),
    rootId: t.field({ type: "UUID", description: "The files of the lineage tree with this root (the root included)." }),
    search: t.string({ description: "Files whose name contains this text, ignoring case." }),
    createdFrom: t.field({ type: "DateTime", description: "Files registered at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Files registered before this time." }),
  }),
});

type FileFilterShape = typeof FileFilter.$inferInput;

export function filesWhere(filter: FileFilterShape | null | undefined): Prisma.ProjectFileWhereInput {
  const f = filter ?? {};
  if (f.search !== undefined && f.search !== null && (f.search.length === 0 || f.search.length > 200)) {
    throw badInput("filter.search must be 1 to 200 characters long", "filter.search");
  }
  // PostgreSQL text cannot hold NUL, so no stored value can match one: say so rather than fail.
  for (const key of ["search", "fileType", "mimeType", "representationType"] as const) {
    if (f[key]?.includes("\u0000")) throw badInput(`filter.${key} cannot contain the NUL character`, `filter.${key}`);
  }
  const and: Prisma.ProjectFileWhereInput[] = [{ deletedAt: null }];
  if (f.projectId) and.push({ projectId: f.projectId });
  if (f.workspaceId) and.push({ workspaceId: f.workspaceId });
  if (f.processingStatus) and.push({ processingStatus: { in: f.processingStatus } });
  if (f.fileType) and.push({ fileType: f.fileType });
  if (f.mimeType) and.push({ mimeType: f.mimeType });
  if (f.dataClassification) and.push({ dataClassification: { in: f.dataClassification } });
  if (f.boundaryContractId) and.push({ boundaryContractId: f.boundaryContractId });
  if (f.representationType) and.push({ representationType: f.representationType });
  if (f.rootId) and.push({ OR: [{ rootFileId: f.rootId }, { id: f.rootId, rootFileId: null }] });
  // Prisma passes the text into ILIKE as is: escape its wildcards so that they match literally.
  if (f.search) and.push({ uiName: { contains: f.search.replace(/[\\%_]/g, "\\$&"), mode: "insensitive" } });
  if (f.createdFrom) and.push({ createdAt: { gte: f.createdFrom } });
  if (f.createdBefore) and.push({ createdAt: { lt: f.createdBefore } });
  return { AND: and };
}

type FileOrderShape = typeof FileOrder.$inferInput;

export function filesOrderBy(order: FileOrderShape | null | undefined): Prisma.ProjectFileOrderByWithRelationInput[] {
  const field = order?.field ?? "createdAt";
  const direction = order?.direction ?? "asc";
  // Unknown sizes sort last either way (Prisma's cursor handles the NULLs in its keyset).
  const key =
    field === "fileSizeBytes" ? { fileSizeBytes: { sort: direction, nulls: "last" as const } } : { [field]: direction };
  return [key, { id: direction }];
}

builder.queryFields((t) => ({
  file: t.prismaField({
    type: "ProjectFile",
    nullable: true,
    description:
      "One file by id; null when there is no such live file or the caller may not see it (the two look the same).",
    args: { id: t.arg({ type: "UUID", required: true, description: "The file's UUID." }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.projectFile.findFirst({ ...query, where: visible(ctx.identity, { id: args.id, deletedAt: null }) }),
  }),
  files: t.prismaConnection(
    {
      type: "ProjectFile",
      cursor: "id",
      ...pageSizes,
      description:
        "The live files the caller may see, filtered and ordered (by default oldest first); pages are stable under ties.",
      args: {
        filter: t.arg({ type: FileFilter, description: "Which files to list." }),
        orderBy: t.arg({ type: FileOrder, description: "How to order them (default: CREATED_AT ASC)." }),
      },
      totalCount: (_parent, args, ctx) =>
        ctx.prisma.projectFile.count({ where: visible(ctx.identity, filesWhere(args.filter)) }),
      resolve: async (query, _root, args, ctx) => {
        const where = visible(ctx.identity, filesWhere(args.filter));
        await assertCursorVisible(ctx, args, query, where);
        return ctx.prisma.projectFile.findMany({ ...query, where, orderBy: filesOrderBy(args.orderBy) });
      },
    },
    FileConnection,
  ),
}));

/**
 * `where` limited to what the caller may read, for a list of files related to another row (a
 * file's children, a contract's files), once the page's cursor is known to be a row the caller may
 * read: the same rule as assertCursorVisible, one count, and only when a cursor is given.
 */
export async function visibleAfterCursor(
  ctx: Context,
  args: { after?: string | null; before?: string | null },
  where: Prisma.ProjectFileWhereInput,
): Promise<Prisma.ProjectFileWhereInput> {
  const scoped = visible(ctx.identity, where);
  const cursor = args.after ?? args.before;
  if (cursor) {
    // Its format was checked before execution: base64 of GPC:S:<uuid>.
    const id = Buffer.from(cursor, "base64").toString("utf8").slice("GPC:S:".length);
    await assertCursorVisible(ctx, args, { cursor: { id } }, scoped);
  }
  return scoped;
}

/**
 * A page starts after (or before) its cursor's row. A cursor is only an encoded id, so a client
 * could forge one for a file it may not see and learn from the page whether that file exists: a
 * cursor is accepted only when its row is in the list, and refused the same way otherwise.
 */
async function assertCursorVisible(
  ctx: { prisma: Context["prisma"] },
  args: { before?: string | null },
  query: { cursor?: { id?: string } },
  where: Prisma.ProjectFileWhereInput,
): Promise<void> {
  const id = query.cursor?.id;
  if (id === undefined) return;
  const found = await ctx.prisma.projectFile.count({ where: { AND: [where, { id }] } });
  if (found === 0) {
    const name = args.before ? "before" : "after";
    throw badInput(`\`${name}\` ${FOREIGN_CURSOR}`, name);
  }
}
