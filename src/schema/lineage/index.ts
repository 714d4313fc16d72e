// Lineage reads: `lineage(fileId, direction, maxDepth)` and, on a file, `ancestors` and
// `descendants(maxDepth)`. The traversals are SQL in src/services/lineage.ts; this file validates
// arguments and pages. A page is one statement: when the document asks only for the files' own
// fields, the traversal reads them too (for the files the caller may see); when it asks for their
// relations, the page's files are loaded after it in one findMany with that selection (so the
// relations load without N+1). Lists of files asking for their lineage are batched per request:
// 50 files asking for `ancestors` cost one statement.
import { queryFromInfo } from "@pothos/plugin-prisma";
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";
import type { Context } from "../../context.ts";
import { ACCESS_FACTS, visible, visibleSql } from "../../db/access.ts";
import type { FileQuery } from "../../db/errors.ts";
import { FILE_FIELDS, type FileField, isFileField } from "../../db/file-columns.ts";
import type { Prisma, ProjectFile as ProjectFileRow } from "../../generated/prisma/client.ts";
import {
  ancestorsOf,
  descendantCounts,
  descendantPages,
  type FileRead,
  type LineagePosition,
  type LineageRow,
  type LineageStart,
  lineageCount,
  lineagePage,
} from "../../services/lineage.ts";
import { builder } from "../builder.ts";
import { ProjectFile } from "../files/index.ts";
import { badInput, FOREIGN_CURSOR, pageSize } from "../pagination.ts";

// --- cursors: an opaque base64url encoding of [depth, id], the keyset every lineage list is ordered by.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_INT = 2_147_483_647;

function encodeCursor({ depth, id }: LineagePosition): string {
  return Buffer.from(JSON.stringify([depth, id])).toString("base64url");
}

/** The position a cursor stands for, or null unless it is exactly a cursor this API wrote. */
function decodeCursor(cursor: string): LineagePosition | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [depth, id] = value as unknown[];
  if (typeof depth !== "number" || !Number.isInteger(depth) || depth < 0 || depth > MAX_INT) return null;
  if (typeof id !== "string" || !UUID_RE.test(id)) return null;
  const position = { depth, id };
  // Only the canonical spelling: no padding, no other JSON for the same pair.
  return encodeCursor(position) === cursor ? position : null;
}

function afterArg(after: string | null | undefined): LineagePosition | null {
  if (after === null || after === undefined) return null;
  const position = decodeCursor(after);
  if (!position) {
    throw badInput(`\`after\` ${FOREIGN_CURSOR}`, "after");
  }
  return position;
}

function maxDepthArg(maxDepth: number | null | undefined): number | null {
  if (maxDepth === null || maxDepth === undefined) return null;
  if (maxDepth < 0)
    throw badInput(`\`maxDepth\` must be 0 or more; got ${maxDepth}. Leave it out for no limit.`, "maxDepth");
  return maxDepth;
}

// --- per-request batching, the way dataloader does it: loads asked for while a list's items are
// resolved are collected, and run together once the current promise jobs have settled.

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}

interface Batch<I, V> {
  items: Map<string, I>;
  waiting: Map<string, Waiter<V>[]>;
}

const batchesByRequest = new WeakMap<object, Map<string, Batch<unknown, unknown>>>();

/**
 * Loads `key` together with every other key asked for in the same group of the same request, with
 * one call of `run` (the first caller's: a group's callers must all mean the same load).
 */
function batchLoad<I, V>(
  ctx: object,
  group: string,
  key: string,
  item: I,
  run: (items: Map<string, I>) => Promise<Map<string, V>>,
): Promise<V | undefined> {
  let groups = batchesByRequest.get(ctx);
  if (!groups) {
    groups = new Map();
    batchesByRequest.set(ctx, groups);
  }
  let batch = groups.get(group) as Batch<I, V> | undefined;
  if (!batch) {
    const created: Batch<I, V> = { items: new Map(), waiting: new Map() };
    const owner = groups;
    owner.set(group, created as Batch<unknown, unknown>);
    batch = created;
    Promise.resolve().then(() =>
      process.nextTick(() => {
        if (owner.get(group) === created) owner.delete(group);
        run(created.items).then(
          (results) => {
            for (const [k, waiters] of created.waiting) for (const w of waiters) w.resolve(results.get(k));
          },
          (error: unknown) => {
            for (const waiters of created.waiting.values()) for (const w of waiters) w.reject(error);
          },
        );
      }),
    );
  }
  const open = batch;
  open.items.set(key, item);
  return new Promise<V | undefined>((resolve, reject) => {
    const waiters = open.waiting.get(key) ?? [];
    waiters.push({ resolve, reject });
    open.waiting.set(key, waiters);
  });
}

/** A name per field of the document: the items of one list share it, two aliases do not. */
const fieldIds = new WeakMap<object, number>();
let nextFieldId = 0;
function fieldKey(info: GraphQLResolveInfo): string {
  const node = info.fieldNodes[0] ?? info;
  let id = fieldIds.get(node);
  if (id === undefined) {
    id = nextFieldId++;
    fieldIds.set(node, id);
  }
  return String(id);
}

/**
 * A file by id, with `query` (the selection the document asked for under it), batched with every
 * other file of the same field of the request into one findMany. The file is read whatever its
 * deleted_at: the traversal that found it already decided it is live. A file the caller may not
 * see is left out by that query (undefined), so its node is a redacted one.
 */
function loadFile(ctx: Context, group: string, selection: FileQuery, id: string): Promise<ProjectFileRow | undefined> {
  return batchLoad(ctx, `files:${group}`, id, id, async (ids) => {
    const files = (await ctx.prisma.projectFile.findMany({
      ...selection,
      where: visible(ctx.identity, { id: { in: [...ids.keys()] } }),
    } as Prisma.ProjectFileFindManyArgs)) as ProjectFileRow[];
    return new Map(files.map((f) => [f.id, f]));
  });
}

/**
 * The selection the document asked for on the files at `path` below the field, with their id.
 * Awaited, because a relation list below may check its cursor while it is planned.
 */
async function fileSelection(ctx: Context, info: GraphQLResolveInfo, path: string[]): Promise<FileQuery> {
  return withId((await queryFromInfo({ context: ctx, info, path, awaitSelections: true })) as FileQuery);
}

/** The rows are matched back to their ids, so the id is read even if nothing asked for it. */
function withId(query: FileQuery): FileQuery {
  return query.select ? { ...query, select: { ...query.select, id: true } } : { ...query };
}

/**
 * How a page's files are read: not at all (the document asks for positions only), by the
 * traversal itself (only the files' own fields: one statement), or by a findMany after it (their
 * relations too).
 */
type FileLoad = { by: "none" } | { by: "traversal"; read: FileRead } | { by: "findMany"; query: FileQuery };

async function fileLoad(ctx: Context, info: GraphQLResolveInfo, path: string[]): Promise<FileLoad> {
  if (!selects(info, path)) return { by: "none" };
  const query = await fileSelection(ctx, info, path);
  const read = (fields: readonly FileField[]): FileLoad => ({
    by: "traversal",
    read: { fields, visible: visibleSql(ctx.identity, "f") },
  });
  if (query.include && Object.keys(query.include).length > 0) return { by: "findMany", query };
  if (!query.select) return read(FILE_FIELDS);
  const wanted = Object.entries(query.select);
  if (!wanted.every(([name, value]) => value === true && isFileField(name))) return { by: "findMany", query };
  // The type-level read rule looks at the access facts of every file it is handed.
  const fields = new Set([...wanted.map(([name]) => name as FileField), ...(Object.keys(ACCESS_FACTS) as FileField[])]);
  return read([...fields]);
}

/** The files of a page's rows: read with the page, or loaded in one batched findMany. */
async function filesOf(ctx: Context, info: GraphQLResolveInfo, load: FileLoad, rows: LineageRow[]) {
  if (load.by === "none") return rows.map(() => null);
  if (load.by === "traversal") return rows.map((row) => (row.file ?? null) as ProjectFileRow | null);
  const group = fieldKey(info);
  return (await Promise.all(rows.map((row) => loadFile(ctx, group, load.query, row.id)))).map((f) => f ?? null);
}

const readOf = (load: FileLoad) => (load.by === "traversal" ? load.read : null);

/** Whether the document selects the field at `path` below the field being resolved. */
function selects(info: GraphQLResolveInfo, path: string[]): boolean {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  for (const name of path) {
    const next: SelectionSetNode[] = [];
    let found = false;
    const visit = (set: SelectionSetNode) => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (s.name.value !== name) continue;
          found = true;
          if (s.selectionSet) next.push(s.selectionSet);
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          visit(s.selectionSet);
        } else {
          const fragment = info.fragments[s.name.value];
          if (fragment) visit(fragment.selectionSet);
        }
      }
    };
    for (const set of sets) visit(set);
    if (!found) return false;
    sets = next;
  }
  return true;
}

const startOf = (file: Pick<ProjectFileRow, "id" | "parentFileId" | "rootFileId" | "lineageDepth">): LineageStart => ({
  id: file.id,
  parentId: file.parentFileId,
  rootId: file.rootFileId,
  depth: file.lineageDepth,
});

const LINEAGE_SELECT = { id: true, parentFileId: true, rootFileId: true, lineageDepth: true } as const;

interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/** pageInfo of a page read with limit + 1 rows (the extra one says whether more follow). */
function pageInfo(rows: LineageRow[], limit: number, after: LineagePosition | null): PageInfoShape {
  const page = rows.slice(0, limit);
  const first = page[0];
  const last = page[page.length - 1];
  return {
    hasNextPage: rows.length > limit,
    hasPreviousPage: after !== null,
    startCursor: first ? encodeCursor(first) : null,
    endCursor: last ? encodeCursor(last) : null,
  };
}

// --- lineage(fileId, direction, maxDepth, first, after)

const LineageDirectionEnum = builder.enumType("LineageDirection", {
  description: "Which way to walk a lineage tree from a file.",
  values: {
    UP: { value: "UP", description: "The file and its ancestors, up to its root." },
    DOWN: { value: "DOWN", description: "The file and its descendants." },
    BOTH: { value: "BOTH", description: "The file, its ancestors and its descendants." },
  } as const,
});

interface LineageNodeShape {
  id: string;
  depth: number;
  distance: number;
  parentId: string | null;
  file: ProjectFileRow | null;
}

const LineageNode = builder.objectRef<LineageNodeShape>("LineageNode").implement({
  description:
    "A file's place in a lineage tree. The position (id, depth, parent) is always given, so a client can draw the tree; the file itself is in `file`.",
  fields: (t) => ({
    id: t.expose("id", { type: "UUID", description: "The file's UUID." }),
    depth: t.exposeInt("depth", {
      description: "The file's lineage depth: 0 for a root, its parent's depth + 1 otherwise.",
    }),
    distance: t.exposeInt("distance", {
      description:
        "How many levels the file is from the file the walk started at: negative above it, positive below it.",
    }),
    parentId: t.expose("parentId", {
      type: "UUID",
      nullable: true,
      description: "The UUID of the file this one was derived from; null for a root.",
    }),
    file: t.field({
      type: ProjectFile,
      nullable: true,
      description:
        "The file, with its metadata; null when the caller may not see it. Such a node is a redacted placeholder: its position (id, depth, distance, parent) is still given, so the tree keeps its shape, and nothing else.",
      resolve: (node) => node.file,
    }),
  }),
});

const LineageConnection = builder.connectionObject(
  {
    type: LineageNode,
    name: "LineageConnection",
    description: "A page of a lineage walk, ordered by depth (roots first), then by id.",
    fields: (t) => ({
      totalCount: t.int({
        description: "How many files the whole walk holds, across all pages (the start file included).",
        resolve: (connection) => (connection as unknown as { totalCount: () => Promise<number> }).totalCount(),
      }),
    }),
  },
  { name: "LineageEdge", description: "A file in a page of a lineage walk." },
);

builder.queryFields((t) => ({
  lineage: t.field({
    type: LineageConnection,
    nullable: true,
    description:
      "Walks a file's lineage tree: its ancestors (UP), its descendants (DOWN) or both, the file itself included, ordered by depth then id. Deleted files are left out; files the caller may not see are redacted nodes. Null when there is no such live file or the caller may not see it.",
    args: {
      fileId: t.arg({ type: "UUID", required: true, description: "The file to start from." }),
      direction: t.arg({
        type: LineageDirectionEnum,
        defaultValue: "DOWN",
        description: "Which way to walk (default DOWN).",
      }),
      maxDepth: t.arg.int({
        description: "At most this many levels from the file (0 = the file alone); no limit when left out.",
      }),
      first: t.arg.int({ description: "How many files to return (see the list's default and maximum)." }),
      after: t.arg.string({ description: "Return files after this cursor." }),
    },
    resolve: async (_root, args, ctx, info) => {
      const maxDepth = maxDepthArg(args.maxDepth);
      const after = afterArg(args.after);
      const limit = pageSize(args.first, ctx);
      const direction = args.direction ?? "DOWN";
      const load = await fileLoad(ctx, info, ["edges", "node", "file"]);
      const rule = visibleSql(ctx.identity, "f");
      const count = () => lineageCount(ctx.prisma, args.fileId, rule, direction, maxDepth);
      // The count, when asked for, runs beside the page rather than after it.
      const total = selects(info, ["totalCount"]) ? count() : null;
      total?.catch(() => {}); // its failure is reported by totalCount, not as an unhandled rejection
      const found = await lineagePage(
        ctx.prisma,
        args.fileId,
        rule,
        direction,
        { maxDepth, after, limit: limit + 1 },
        readOf(load),
      );
      if (!found) return null;
      const { start, rows } = found;
      const page = rows.slice(0, limit);
      const files = await filesOf(ctx, info, load, page);
      return {
        edges: page.map((row, i) => ({
          cursor: encodeCursor(row),
          node: {
            id: row.id,
            depth: row.depth,
            parentId: row.parentId,
            distance: row.depth - start.depth,
            file: files[i] ?? null,
          },
        })),
        pageInfo: pageInfo(rows, limit, after),
        totalCount: () => total ?? count(),
      };
    },
  }),
}));

// --- ancestors and descendants on a file

builder.prismaObjectFields("ProjectFile", (t) => ({
  ancestors: t.field({
    type: [LineageNode],
    description:
      "The file's live ancestors, root first, its parent last; empty for a root. An ancestor the caller may not see is a redacted node (`file` is null).",
    select: LINEAGE_SELECT,
    resolve: async (file, _args, ctx, info) => {
      if (file.parentFileId === null) return [];
      const load = await fileLoad(ctx, info, ["file"]);
      // Every file of a list asks with the same selection (one field of the document): one batch per field.
      const chain =
        (await batchLoad(ctx, `ancestors:${fieldKey(info)}`, file.id, startOf(file), (starts) =>
          ancestorsOf(ctx.prisma, [...starts.values()], readOf(load)),
        )) ?? [];
      const files = await filesOf(ctx, info, load, chain);
      return chain.map((row, i) => ({
        id: row.id,
        depth: row.depth,
        parentId: row.parentId,
        distance: row.depth - file.lineageDepth,
        file: files[i] ?? null,
      }));
    },
  }),
  descendants: t.field({
    type: LineageConnection,
    description:
      "The file's live descendants (the file itself left out), ordered by depth, then id: its children first, then their children, and so on. A descendant the caller may not see is a redacted node (`file` is null).",
    select: LINEAGE_SELECT,
    args: {
      maxDepth: t.arg.int({
        description: "At most this many levels below the file (1 = its children); no limit when left out.",
      }),
      first: t.arg.int({ description: "How many files to return (see the list's default and maximum)." }),
      after: t.arg.string({ description: "Return files after this cursor." }),
    },
    resolve: async (file, args, ctx, info) => {
      const maxDepth = maxDepthArg(args.maxDepth);
      const after = afterArg(args.after);
      const limit = pageSize(args.first, ctx);
      const load = await fileLoad(ctx, info, ["edges", "node", "file"]);
      const start = startOf(file);
      // Every file of a list asks with the same arguments (one field of the document), so one batch
      // per field answers them all.
      const group = fieldKey(info);
      // Both loads are asked for now, while every file of the list is being resolved, so that each
      // is one batch (asked later, the files whose pages came back empty would ask first, alone).
      const count = async () =>
        (await batchLoad(ctx, `descendant-count:${group}`, file.id, start, (starts) =>
          descendantCounts(ctx.prisma, [...starts.values()], maxDepth),
        )) ?? 0;
      const total = selects(info, ["totalCount"]) ? count() : null;
      total?.catch(() => {}); // its failure is reported by totalCount, not as an unhandled rejection
      const rows =
        (await batchLoad(ctx, `descendants:${group}`, file.id, start, (starts) =>
          descendantPages(ctx.prisma, [...starts.values()], { maxDepth, after, limit: limit + 1 }, readOf(load)),
        )) ?? [];
      const page = rows.slice(0, limit);
      const files = await filesOf(ctx, info, load, page);
      const edges = page.map((row, i) => ({
        cursor: encodeCursor(row),
        node: {
          id: row.id,
          depth: row.depth,
          parentId: row.parentId,
          distance: row.depth - file.lineageDepth,
          file: files[i] ?? null,
        },
      }));
      return { edges, pageInfo: pageInfo(rows, limit, after), totalCount: () => total ?? count() };
    },
  }),
}));
