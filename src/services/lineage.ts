// Lineage reads: the SQL behind `lineage`, `ancestors` and `descendants`. A page of a traversal is
// ONE statement: it finds the start (for `lineage`, with the caller's read rule), walks the tree,
// pages, and reads the columns of the page's files the caller may see (the read rule in SQL: a
// hidden file's columns never leave the database). Every traversal
//   - drops deleted files from its output (they are walked through, not stopped at, so a subtree
//     walked from a node and the same subtree read by its root agree even on inconsistent data);
//   - follows an edge only when the child's depth is its parent's + 1, so bad data (a cycle, a
//     depth that skips) can never loop or be reached twice;
//   - orders by (lineage_depth, file_uuid) and pages with a keyset on that pair, so a page never
//     repeats or skips a row that existed before the walk, whatever is inserted meanwhile.
// The shapes of the walk:
//   - below a root: one range read of the (root_file_uuid, lineage_depth, file_uuid) index, in
//     page order, stopping at the page size;
//   - below any other file: a recursive CTE with one row per level (the level's ids in an array),
//     which stops at maxDepth or as soon as the levels walked hold a full page;
//   - above a file: a recursive CTE up parent_file_uuid (at most depth rows).
// Each function takes many start files and answers for all of them in one statement, so a list of
// files asking for their lineage costs the same number of statements as one file.
import { FILE_COLUMNS, type FileField } from "../db/file-columns.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

/** lineage_depth is an INTEGER column: no depth lies beyond this. */
const MAX_DEPTH = 2_147_483_647;

export type LineageDirection = "UP" | "DOWN" | "BOTH";

/** Where a traversal starts: a live file's lineage columns. */
export interface LineageStart {
  id: string;
  parentId: string | null;
  rootId: string | null;
  depth: number;
}

/**
 * One file of a traversal: its id, parent and absolute depth, and, when columns were asked for,
 * its row (null when the caller may not see it).
 */
export interface LineageRow {
  id: string;
  parentId: string | null;
  depth: number;
  file?: Record<string, unknown> | null;
}

/** A keyset position: rows strictly after (depth, id) follow it. */
export interface LineagePosition {
  depth: number;
  id: string;
}

export interface PageOptions {
  /** How many levels to go from the start; null = no limit. */
  maxDepth: number | null;
  /** Return rows strictly after this position; null = from the start. */
  after: LineagePosition | null;
  /** At most this many rows (per start). */
  limit: number;
}

/**
 * Which columns of the page's files to read, and the caller's read rule on the row `f` (see
 * src/db/access.ts visibleSql). Without it a traversal returns positions only.
 */
export interface FileRead {
  fields: readonly FileField[];
  visible: Prisma.Sql;
}

/** Orders rows by (depth, id), the order of every traversal (uuid order is lowercase-hex order). */
export function compareRows(a: LineagePosition, b: LineagePosition): number {
  if (a.depth !== b.depth) return a.depth - b.depth;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A root by the lineage rule: no parent, and its own root (a NULL root is a legacy root). Below a
 * root, the tree is one range of the (root_file_uuid, lineage_depth, file_uuid) index.
 */
export function isRoot(start: LineageStart): boolean {
  return start.parentId === null && (start.rootId === null || start.rootId === start.id);
}

// --- SQL building blocks. Every statement starts from a CTE
//   starts(start_id, parent_id, root_id, depth, is_root)
// and each part yields (start_id, file_uuid, parent_file_uuid, lineage_depth) rows, or
// (start_id, n) counts, for those starts.

type Mode = { page: PageOptions } | { count: { maxDepth: number | null } } | { all: true };

interface Starts {
  cte: Prisma.Sql;
  /** Whether some start may be a root / may be another file (parts that cannot apply are left out). */
  roots: boolean;
  others: boolean;
}

/** Starts whose lineage columns are known (files already loaded). */
function knownStarts(starts: LineageStart[]): Starts {
  const values = Prisma.join(
    starts.map(
      (s) =>
        Prisma.sql`(${s.id}::uuid, ${s.parentId}::uuid, ${s.rootId}::uuid, ${s.depth}::int, ${isRoot(s)}::boolean)`,
    ),
  );
  return {
    cte: Prisma.sql`starts(start_id, parent_id, root_id, depth, is_root) AS (VALUES ${values})`,
    roots: starts.some(isRoot),
    others: starts.some((s) => !isRoot(s)),
  };
}

/** The live file `id`, when the caller may see it (`visible` on the row `f`); no row otherwise. */
function lookedUpStart(id: string, visible: Prisma.Sql): Starts {
  return {
    cte: Prisma.sql`starts(start_id, parent_id, root_id, depth, is_root) AS (
      SELECT f.file_uuid, f.parent_file_uuid, f.root_file_uuid, f.lineage_depth,
        f.parent_file_uuid IS NULL AND (f.root_file_uuid IS NULL OR f.root_file_uuid = f.file_uuid)
      FROM project_files f
      WHERE f.file_uuid = ${id}::uuid AND f.deleted_at IS NULL AND ${visible})`,
    roots: true,
    others: true,
  };
}

interface Part {
  ctes: Prisma.Sql[];
  select: Prisma.Sql;
}

const maxDepthOf = (mode: Mode) => ("page" in mode ? mode.page.maxDepth : "count" in mode ? mode.count.maxDepth : null);

/**
 * `(alias.lineage_depth, alias.file_uuid) > after`, or TRUE; `columns` names the pair on a row
 * that calls them otherwise (a start row: depth, start_id).
 */
function keyset(mode: Mode, alias: string, columns: [string, string] = ["lineage_depth", "file_uuid"]): Prisma.Sql {
  const after = "page" in mode ? mode.page.after : null;
  const [depth, id] = columns.map((c) => Prisma.raw(`${alias}.${c}`));
  return after ? Prisma.sql`(${depth}, ${id}) > (${after.depth}::int, ${after.id}::uuid)` : Prisma.sql`TRUE`;
}

/** The deepest level below a start (`s`) that maxDepth admits. */
function deepest(maxDepth: number | null, s = "s"): Prisma.Sql {
  return maxDepth === null
    ? Prisma.sql`${MAX_DEPTH}::int`
    : Prisma.sql`LEAST(${MAX_DEPTH}::bigint, ${Prisma.raw(s)}.depth::bigint + ${maxDepth}::bigint)::int`;
}

/** Live files below roots: one index range read per root, in (depth, id) order, stopping at the limit. */
function rangeBelowRoots(mode: Mode): Part {
  const window = Prisma.sql`root_file_uuid = s.start_id AND deleted_at IS NULL
    AND lineage_depth BETWEEN s.depth + 1 AND ${deepest(maxDepthOf(mode))}`;
  if ("count" in mode) {
    return {
      ctes: [],
      select: Prisma.sql`SELECT s.start_id, c.n FROM starts s
        CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM project_files WHERE ${window}) c
        WHERE s.is_root`,
    };
  }
  const limit = "page" in mode ? Prisma.sql`LIMIT ${mode.page.limit}` : Prisma.empty;
  return {
    ctes: [],
    select: Prisma.sql`SELECT s.start_id, f.file_uuid, f.parent_file_uuid, f.lineage_depth FROM starts s
      CROSS JOIN LATERAL (
        SELECT file_uuid, parent_file_uuid, lineage_depth FROM project_files t
        WHERE s.is_root AND ${window} AND ${keyset(mode, "t")}
        ORDER BY lineage_depth, file_uuid
        ${limit}
      ) AS f`,
  };
}

/**
 * Live files below other nodes: a recursive walk down parent_file_uuid with one row per level per
 * start. A level row carries every id of the level (the next level is their children, deleted ones
 * included) and, in page order, the first live rows after the keyset that still fit in the page;
 * the walk stops at maxDepth, at an empty level, or once the levels walked fill the page.
 */
function walkBelow(mode: Mode): Part {
  const maxDepth = maxDepthOf(mode);
  const limit = "page" in mode ? mode.page.limit : null;
  const wanted = Prisma.sql`c.deleted_at IS NULL AND ${keyset(mode, "c")}`;
  // What a level row keeps of its files: all ids, and the live ones the output wants.
  const level = (room: Prisma.Sql) =>
    limit === null
      ? Prisma.sql`array_agg(c.file_uuid) AS ids, count(*) FILTER (WHERE ${wanted})::int AS n,
          NULL::uuid[] AS out_ids, NULL::uuid[] AS out_parents`
      : Prisma.sql`array_agg(c.file_uuid) AS ids, count(*) FILTER (WHERE ${wanted})::int AS n,
          (array_agg(c.file_uuid ORDER BY c.file_uuid) FILTER (WHERE ${wanted}))[1:${room}] AS out_ids,
          (array_agg(c.parent_file_uuid ORDER BY c.file_uuid) FILTER (WHERE ${wanted}))[1:${room}] AS out_parents`;
  const more = limit === null ? Prisma.sql`TRUE` : Prisma.sql`w.taken < ${limit}::int`;
  const ctes = [
    Prisma.sql`down_walk(start_id, depth, hi, ids, taken, out_ids, out_parents) AS (
      SELECT s.start_id, s.depth + 1, ${deepest(maxDepth)}, l.ids, l.n, l.out_ids, l.out_parents
      FROM starts s CROSS JOIN LATERAL (
        SELECT ${level(limit === null ? Prisma.sql`0` : Prisma.sql`${limit}::int`)}
        FROM project_files c WHERE c.parent_file_uuid = s.start_id AND c.lineage_depth = s.depth + 1
      ) l
      WHERE NOT s.is_root AND s.depth + 1 <= ${deepest(maxDepth)}
      UNION ALL
      SELECT w.start_id, w.depth + 1, w.hi, l.ids, w.taken + l.n, l.out_ids, l.out_parents
      FROM down_walk w CROSS JOIN LATERAL (
        SELECT ${level(limit === null ? Prisma.sql`0` : Prisma.sql`${limit}::int - w.taken`)}
        FROM project_files c WHERE c.parent_file_uuid = ANY(w.ids) AND c.lineage_depth = w.depth + 1
      ) l
      WHERE w.ids IS NOT NULL AND w.depth + 1 <= w.hi AND ${more}
    )`,
  ];
  if ("count" in mode) {
    // `taken` adds up each level's live files: the last level's is the start's count.
    return { ctes, select: Prisma.sql`SELECT start_id, max(taken)::int AS n FROM down_walk GROUP BY start_id` };
  }
  return {
    ctes,
    select: Prisma.sql`SELECT w.start_id, o.file_uuid, o.parent_file_uuid, w.depth AS lineage_depth
      FROM down_walk w CROSS JOIN LATERAL unnest(w.out_ids, w.out_parents) AS o(file_uuid, parent_file_uuid)
      WHERE w.out_ids IS NOT NULL`,
  };
}

/** Live ancestors: a recursive walk up parent_file_uuid, at most maxDepth levels. */
function walkAbove(mode: Mode): Part {
  const maxDepth = maxDepthOf(mode);
  const lo = maxDepth === null ? Prisma.sql`0` : Prisma.sql`GREATEST(0, s.depth - ${maxDepth}::int)`;
  const ctes = [
    Prisma.sql`up_walk AS (
      SELECT s.start_id, p.file_uuid, p.parent_file_uuid, p.lineage_depth, p.deleted_at, ${lo} AS lo
      FROM starts s
      JOIN project_files p ON p.file_uuid = s.parent_id AND p.lineage_depth = s.depth - 1
      WHERE p.lineage_depth >= ${lo}
      UNION ALL
      SELECT w.start_id, p.file_uuid, p.parent_file_uuid, p.lineage_depth, p.deleted_at, w.lo
      FROM up_walk w
      JOIN project_files p ON p.file_uuid = w.parent_file_uuid AND p.lineage_depth = w.lineage_depth - 1
      WHERE p.lineage_depth >= w.lo
    )`,
  ];
  if ("count" in mode) {
    return {
      ctes,
      select: Prisma.sql`SELECT start_id, count(*)::int AS n FROM up_walk WHERE deleted_at IS NULL GROUP BY start_id`,
    };
  }
  if ("all" in mode) {
    return {
      ctes,
      select: Prisma.sql`SELECT start_id, file_uuid, parent_file_uuid, lineage_depth FROM up_walk WHERE deleted_at IS NULL`,
    };
  }
  return {
    ctes,
    select: Prisma.sql`SELECT start_id, file_uuid, parent_file_uuid, lineage_depth FROM (
        SELECT start_id, file_uuid, parent_file_uuid, lineage_depth,
          row_number() OVER (PARTITION BY start_id ORDER BY lineage_depth, file_uuid) AS rn
        FROM up_walk u WHERE deleted_at IS NULL AND ${keyset(mode, "u")}
      ) AS ranked
      WHERE rn <= ${mode.page.limit}`,
  };
}

/** The start itself, as a row of its own lineage (`lineage` includes the file it starts at). */
function self(mode: Mode): Part {
  return {
    ctes: [],
    select: Prisma.sql`SELECT s.start_id, s.start_id AS file_uuid, s.parent_id AS parent_file_uuid,
      s.depth AS lineage_depth FROM starts s WHERE ${keyset(mode, "s", ["depth", "start_id"])}`,
  };
}

/** The parts that find the descendants of the starts: range reads for roots, a walk for the rest. */
function descendantParts(starts: Starts, mode: Mode): Part[] {
  if (maxDepthOf(mode) === 0) return [];
  return [...(starts.roots ? [rangeBelowRoots(mode)] : []), ...(starts.others ? [walkBelow(mode)] : [])];
}

function ancestorParts(mode: Mode): Part[] {
  return maxDepthOf(mode) === 0 ? [] : [walkAbove(mode)];
}

const union = (parts: Part[]) =>
  Prisma.join(
    parts.map((p) => Prisma.sql`(${p.select})`),
    " UNION ALL ",
  );

const withCtes = (starts: Starts, parts: Part[], body: Prisma.Sql) =>
  Prisma.sql`WITH RECURSIVE ${Prisma.join([starts.cte, ...parts.flatMap((p) => p.ctes)], ", ")} ${body}`;

/**
 * The statement of a page: the rows of `parts` (cut to `limit` overall when `limit` is given),
 * with the files' columns for the caller, and one `start` row per start (so an empty page of a
 * start that exists is told from a start that does not).
 */
function pageStatement(starts: Starts, parts: Part[], read: FileRead | null, limit: number | null): Prisma.Sql {
  const rows =
    parts.length === 0
      ? Prisma.sql`SELECT NULL::uuid AS start_id, NULL::uuid AS file_uuid, NULL::uuid AS parent_file_uuid,
          NULL::int AS lineage_depth WHERE FALSE`
      : limit === null
        ? union(parts)
        : Prisma.sql`SELECT * FROM (${union(parts)}) u ORDER BY lineage_depth, file_uuid LIMIT ${limit}`;
  const columns = read
    ? Prisma.join(
        [
          Prisma.sql`f.file_uuid AS "f_visible"`,
          ...read.fields.map((field) => Prisma.raw(`f.${FILE_COLUMNS[field]} AS "${field}"`)),
        ],
        ", ",
      )
    : Prisma.sql`NULL::uuid AS "f_visible"`;
  const join = read
    ? Prisma.sql`LEFT JOIN project_files f ON f.file_uuid = p.file_uuid AND ${read.visible}`
    : Prisma.empty;
  return withCtes(
    starts,
    parts,
    Prisma.sql`, page AS (${rows})
      SELECT 's' AS kind, s.start_id, s.start_id AS file_uuid, s.parent_id AS parent_file_uuid, s.root_id,
        s.depth AS lineage_depth, NULL::uuid AS "f_visible" ${read ? Prisma.raw(read.fields.map((f) => `, NULL AS "${f}"`).join("")) : Prisma.empty}
      FROM starts s
      UNION ALL
      SELECT 'r', p.start_id, p.file_uuid, p.parent_file_uuid, NULL::uuid, p.lineage_depth, ${columns}
      FROM page p ${join}`,
  );
}

interface RawRow {
  kind: "s" | "r";
  start_id: string;
  file_uuid: string;
  parent_file_uuid: string | null;
  root_id: string | null;
  lineage_depth: number;
  f_visible: string | null;
  /** The file's columns, named by their Prisma fields (camelCase: no clash with the above). */
  [field: string]: unknown;
}

interface Page {
  start: LineageStart;
  rows: LineageRow[];
}

/** Runs a page statement: per start, the start's columns and its rows in (depth, id) order. */
async function runPage(prisma: PrismaClient, statement: Prisma.Sql, read: FileRead | null): Promise<Map<string, Page>> {
  const raw = await prisma.$queryRaw<RawRow[]>(statement);
  const pages = new Map<string, Page>();
  for (const r of raw) {
    if (r.kind !== "s") continue;
    const id = String(r.start_id);
    pages.set(id, {
      start: { id, parentId: r.parent_file_uuid, rootId: r.root_id, depth: Number(r.lineage_depth) },
      rows: [],
    });
  }
  for (const r of raw) {
    if (r.kind !== "r") continue;
    const row: LineageRow = { id: r.file_uuid, parentId: r.parent_file_uuid, depth: Number(r.lineage_depth) };
    // The row itself is the file: its columns are named as Prisma names them (no copy per row).
    if (read) row.file = r.f_visible === null ? null : r;
    pages.get(String(r.start_id))?.rows.push(row);
  }
  for (const page of pages.values()) page.rows.sort(compareRows);
  return pages;
}

async function runCount(prisma: PrismaClient, statement: Prisma.Sql): Promise<Map<string, number>> {
  const raw = await prisma.$queryRaw<{ start_id: string; n: number | bigint | null }[]>(statement);
  const counts = new Map<string, number>();
  for (const r of raw) counts.set(String(r.start_id), (counts.get(String(r.start_id)) ?? 0) + Number(r.n ?? 0));
  return counts;
}

function countStatement(starts: Starts, parts: Part[], withSelf: boolean): Prisma.Sql {
  const selves = withSelf ? [Prisma.sql`SELECT start_id, 1 AS n FROM starts`] : [];
  const all = [...parts.map((p) => p.select), ...selves];
  if (all.length === 0) return withCtes(starts, [], Prisma.sql`SELECT start_id, 0 AS n FROM starts`);
  return withCtes(
    starts,
    parts,
    Prisma.sql`SELECT start_id, sum(n)::int AS n FROM (${Prisma.join(
      all.map((s) => Prisma.sql`(${s})`),
      " UNION ALL ",
    )}) c GROUP BY start_id`,
  );
}

const partsFor = (starts: Starts, direction: LineageDirection, mode: Mode) => [
  ...(direction === "DOWN" ? [] : ancestorParts(mode)),
  ...(direction === "UP" ? [] : descendantParts(starts, mode)),
];

/**
 * One page of the lineage of the live file `id`, if the caller may see it (`visible`, the read
 * rule on the row `f`), in (depth, id) order: its ancestors (UP), descendants (DOWN) or both, and
 * the file itself, at most `limit` rows after `after`. One statement; null when there is no such
 * file.
 */
export async function lineagePage(
  prisma: PrismaClient,
  id: string,
  visible: Prisma.Sql,
  direction: LineageDirection,
  options: PageOptions,
  read: FileRead | null,
): Promise<Page | null> {
  const starts = lookedUpStart(id, visible);
  const mode = { page: options };
  const parts = [...partsFor(starts, direction, mode), self(mode)];
  return (await runPage(prisma, pageStatement(starts, parts, read, options.limit), read)).get(id) ?? null;
}

/** How many files the lineage of the live file `id` holds in that direction (the file included). */
export async function lineageCount(
  prisma: PrismaClient,
  id: string,
  visible: Prisma.Sql,
  direction: LineageDirection,
  maxDepth: number | null,
): Promise<number> {
  const starts = lookedUpStart(id, visible);
  const parts = partsFor(starts, direction, { count: { maxDepth } });
  return (await runCount(prisma, countStatement(starts, parts, true))).get(id) ?? 0;
}

/** A page of live descendants (the file itself excluded) for each of many files, in one statement. */
export async function descendantPages(
  prisma: PrismaClient,
  starts: LineageStart[],
  options: PageOptions,
  read: FileRead | null,
): Promise<Map<string, LineageRow[]>> {
  const known = knownStarts(starts);
  const parts = descendantParts(known, { page: options });
  if (parts.length === 0) return new Map();
  const pages = await runPage(prisma, pageStatement(known, parts, read, null), read);
  return new Map([...pages].map(([id, page]) => [id, page.rows]));
}

/** How many live descendants each of many files has (within maxDepth levels), in one statement. */
export async function descendantCounts(
  prisma: PrismaClient,
  starts: LineageStart[],
  maxDepth: number | null,
): Promise<Map<string, number>> {
  const known = knownStarts(starts);
  const parts = descendantParts(known, { count: { maxDepth } });
  return parts.length === 0 ? new Map() : runCount(prisma, countStatement(known, parts, false));
}

/** The live ancestors of each of many files, root first, in one statement. */
export async function ancestorsOf(
  prisma: PrismaClient,
  starts: LineageStart[],
  read: FileRead | null,
): Promise<Map<string, LineageRow[]>> {
  const withParents = starts.filter((s) => s.parentId !== null && s.depth > 0);
  if (withParents.length === 0) return new Map();
  const known = knownStarts(withParents);
  const pages = await runPage(prisma, pageStatement(known, [walkAbove({ all: true })], read, null), read);
  return new Map([...pages].map(([id, page]) => [id, page.rows]));
}
