// Lineage reads: the SQL behind `lineage`, `ancestors` and `descendants`. Every traversal
//   - drops deleted files from its output (they are walked through, not stopped at, so a subtree
//     walked from a node and the same subtree read by its root agree even on inconsistent data);
//   - follows an edge only when the child's depth is its parent's + 1, so bad data (a cycle, a
//     depth that skips) can never loop or be reached twice;
//   - orders by (lineage_depth, file_uuid) and pages with a keyset on that pair, so a page never
//     repeats or skips a row that existed before the walk, whatever is inserted meanwhile.
// Each function takes many start files and answers for all of them in ONE statement, so a list of
// files asking for their lineage costs the same number of statements as one file.
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

/** One file of a traversal: its id, parent and absolute depth. */
export interface LineageRow {
  id: string;
  parentId: string | null;
  depth: number;
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

/**
 * A live file's lineage columns, or null when there is no such live file (or it does not meet
 * `visible`, the caller's read rule: a hidden start is reported as a missing one).
 */
export async function findLiveStart(
  prisma: PrismaClient,
  id: string,
  visible: Prisma.ProjectFileWhereInput = {},
): Promise<LineageStart | null> {
  const file = await prisma.projectFile.findFirst({
    where: { AND: [{ id, deletedAt: null }, visible] },
    select: { id: true, parentFileId: true, rootFileId: true, lineageDepth: true },
  });
  return file && { id: file.id, parentId: file.parentFileId, rootId: file.rootFileId, depth: file.lineageDepth };
}

// --- SQL building blocks. Each part yields (start_id, file_uuid, parent_file_uuid, lineage_depth)
// rows, or (start_id, n) counts, for its starts; `run` puts the parts of one request together.

interface Part {
  ctes: Prisma.Sql[];
  select: Prisma.Sql;
}

type Mode = { page: PageOptions } | { count: { maxDepth: number | null } };

const keyset = (after: LineagePosition | null, alias = "") =>
  after
    ? Prisma.sql`AND (${Prisma.raw(alias)}lineage_depth, ${Prisma.raw(alias)}file_uuid) > (${after.depth}::int, ${after.id}::uuid)`
    : Prisma.empty;

/** The depth window below a start: its children's depth to maxDepth levels down. */
function downWindow(start: LineageStart, maxDepth: number | null): { lo: number; hi: number } {
  return { lo: start.depth + 1, hi: maxDepth === null ? MAX_DEPTH : Math.min(MAX_DEPTH, start.depth + maxDepth) };
}

/** Live files below roots: one index range read per root, in (depth, id) order, stopping at the limit. */
function rangeBelowRoots(starts: LineageStart[], mode: Mode): Part {
  const maxDepth = "page" in mode ? mode.page.maxDepth : mode.count.maxDepth;
  const values = Prisma.join(
    starts.map((s) => {
      const { lo, hi } = downWindow(s, maxDepth);
      return Prisma.sql`(${s.id}::uuid, ${lo}::int, ${hi}::int)`;
    }),
  );
  if ("count" in mode) {
    return {
      ctes: [],
      select: Prisma.sql`SELECT s.start_id, count(f.file_uuid)::int AS n
        FROM (VALUES ${values}) AS s(start_id, lo, hi)
        JOIN project_files f ON f.root_file_uuid = s.start_id AND f.deleted_at IS NULL
          AND f.lineage_depth BETWEEN s.lo AND s.hi
        GROUP BY s.start_id`,
    };
  }
  return {
    ctes: [],
    select: Prisma.sql`SELECT s.start_id, f.file_uuid, f.parent_file_uuid, f.lineage_depth
      FROM (VALUES ${values}) AS s(start_id, lo, hi)
      CROSS JOIN LATERAL (
        SELECT file_uuid, parent_file_uuid, lineage_depth FROM project_files
        WHERE root_file_uuid = s.start_id AND deleted_at IS NULL
          AND lineage_depth BETWEEN s.lo AND s.hi ${keyset(mode.page.after)}
        ORDER BY lineage_depth, file_uuid
        LIMIT ${mode.page.limit}
      ) AS f`,
  };
}

/** Live files below other nodes: a recursive walk down parent_file_uuid, bounded by maxDepth. */
function walkBelow(starts: LineageStart[], mode: Mode): Part {
  const maxDepth = "page" in mode ? mode.page.maxDepth : mode.count.maxDepth;
  const values = Prisma.join(
    starts.map((s) => {
      const { lo, hi } = downWindow(s, maxDepth);
      return Prisma.sql`(${s.id}::uuid, ${lo}::int, ${hi}::int)`;
    }),
  );
  const ctes = [
    Prisma.sql`down_starts(start_id, lo, hi) AS (VALUES ${values})`,
    Prisma.sql`down_walk AS (
      SELECT s.start_id, f.file_uuid, f.parent_file_uuid, f.lineage_depth, f.deleted_at, s.hi
      FROM down_starts s
      JOIN project_files f ON f.parent_file_uuid = s.start_id AND f.lineage_depth = s.lo
      WHERE f.lineage_depth <= s.hi
      UNION ALL
      SELECT w.start_id, c.file_uuid, c.parent_file_uuid, c.lineage_depth, c.deleted_at, w.hi
      FROM down_walk w
      JOIN project_files c ON c.parent_file_uuid = w.file_uuid AND c.lineage_depth = w.lineage_depth + 1
      WHERE c.lineage_depth <= w.hi
    )`,
  ];
  return { ctes, select: output("down_walk", mode) };
}

/** Live ancestors: a recursive walk up parent_file_uuid, at most maxDepth levels. */
function walkAbove(starts: LineageStart[], mode: Mode | { all: true }): Part {
  const maxDepth = "page" in mode ? mode.page.maxDepth : "count" in mode ? mode.count.maxDepth : null;
  const values = Prisma.join(
    starts.map((s) => {
      const lo = maxDepth === null ? 0 : Math.max(0, s.depth - maxDepth);
      return Prisma.sql`(${s.id}::uuid, ${s.parentId}::uuid, ${s.depth}::int, ${lo}::int)`;
    }),
  );
  const ctes = [
    Prisma.sql`up_starts(start_id, parent_id, depth, lo) AS (VALUES ${values})`,
    Prisma.sql`up_walk AS (
      SELECT s.start_id, p.file_uuid, p.parent_file_uuid, p.lineage_depth, p.deleted_at, s.lo
      FROM up_starts s
      JOIN project_files p ON p.file_uuid = s.parent_id AND p.lineage_depth = s.depth - 1
      WHERE p.lineage_depth >= s.lo
      UNION ALL
      SELECT w.start_id, p.file_uuid, p.parent_file_uuid, p.lineage_depth, p.deleted_at, w.lo
      FROM up_walk w
      JOIN project_files p ON p.file_uuid = w.parent_file_uuid AND p.lineage_depth = w.lineage_depth - 1
      WHERE p.lineage_depth >= w.lo
    )`,
  ];
  if ("all" in mode) {
    return {
      ctes,
      select: Prisma.sql`SELECT start_id, file_uuid, parent_file_uuid, lineage_depth
        FROM up_walk WHERE deleted_at IS NULL`,
    };
  }
  return { ctes, select: output("up_walk", mode) };
}

/** A walk's live rows: per start, the first `limit` after the keyset, or how many there are. */
function output(walk: string, mode: Mode): Prisma.Sql {
  const from = Prisma.raw(walk);
  if ("count" in mode) {
    return Prisma.sql`SELECT start_id, count(*)::int AS n FROM ${from} WHERE deleted_at IS NULL GROUP BY start_id`;
  }
  return Prisma.sql`SELECT start_id, file_uuid, parent_file_uuid, lineage_depth FROM (
      SELECT start_id, file_uuid, parent_file_uuid, lineage_depth,
        row_number() OVER (PARTITION BY start_id ORDER BY lineage_depth, file_uuid) AS rn
      FROM ${from} WHERE deleted_at IS NULL ${keyset(mode.page.after)}
    ) AS ranked
    WHERE rn <= ${mode.page.limit}`;
}

/** The parts that find the descendants of `starts`: range reads for roots, a walk for the rest. */
function descendantParts(starts: LineageStart[], mode: Mode): Part[] {
  const maxDepth = "page" in mode ? mode.page.maxDepth : mode.count.maxDepth;
  if (maxDepth === 0) return [];
  const roots = starts.filter(isRoot);
  const others = starts.filter((s) => !isRoot(s));
  const parts: Part[] = [];
  if (roots.length > 0) parts.push(rangeBelowRoots(roots, mode));
  if (others.length > 0) parts.push(walkBelow(others, mode));
  return parts;
}

function ancestorParts(starts: LineageStart[], mode: Mode): Part[] {
  const maxDepth = "page" in mode ? mode.page.maxDepth : mode.count.maxDepth;
  const withParents = starts.filter((s) => s.parentId !== null && s.depth > 0);
  return maxDepth === 0 || withParents.length === 0 ? [] : [walkAbove(withParents, mode)];
}

/** Runs the parts as one statement. */
function statement(parts: Part[]): Prisma.Sql {
  const ctes = parts.flatMap((p) => p.ctes);
  const body = Prisma.join(
    parts.map((p) => Prisma.sql`(${p.select})`),
    " UNION ALL ",
  );
  return ctes.length > 0 ? Prisma.sql`WITH RECURSIVE ${Prisma.join(ctes, ", ")} ${body}` : body;
}

interface RawRow {
  start_id: string;
  file_uuid: string;
  parent_file_uuid: string | null;
  lineage_depth: number | bigint | string;
}

/** Rows per start, each list in (depth, id) order. Drivers differ in how they return types: normalise. */
async function rowsByStart(prisma: PrismaClient, parts: Part[]): Promise<Map<string, LineageRow[]>> {
  const byStart = new Map<string, LineageRow[]>();
  if (parts.length === 0) return byStart;
  const raw = await prisma.$queryRaw<RawRow[]>(statement(parts));
  for (const r of raw) {
    const start = String(r.start_id);
    const list = byStart.get(start) ?? [];
    byStart.set(start, list);
    list.push({
      id: String(r.file_uuid),
      parentId: r.parent_file_uuid === null ? null : String(r.parent_file_uuid),
      depth: Number(r.lineage_depth),
    });
  }
  for (const list of byStart.values()) list.sort(compareRows);
  return byStart;
}

async function countsByStart(prisma: PrismaClient, parts: Part[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (parts.length === 0) return counts;
  const raw = await prisma.$queryRaw<{ start_id: string; n: number | bigint | string }[]>(statement(parts));
  for (const r of raw) counts.set(String(r.start_id), (counts.get(String(r.start_id)) ?? 0) + Number(r.n));
  return counts;
}

const selfRow = (start: LineageStart): LineageRow => ({ id: start.id, parentId: start.parentId, depth: start.depth });

/**
 * One page of a file's lineage in (depth, id) order: its ancestors (UP), descendants (DOWN) or
 * both, and the file itself, at most `limit` rows after `after`. One statement at most: the
 * ancestors are above the file and the descendants below it, so the two parts never interleave
 * and each is paged on its own before they are merged.
 */
export async function lineagePage(
  prisma: PrismaClient,
  start: LineageStart,
  direction: LineageDirection,
  options: PageOptions,
): Promise<LineageRow[]> {
  const mode = { page: options };
  const parts = [
    ...(direction === "DOWN" ? [] : ancestorParts([start], mode)),
    ...(direction === "UP" ? [] : descendantParts([start], mode)),
  ];
  const rows = (await rowsByStart(prisma, parts)).get(start.id) ?? [];
  if (!options.after || compareRows(start, options.after) > 0) rows.push(selfRow(start));
  return rows.sort(compareRows).slice(0, options.limit);
}

/** How many files a file's lineage holds in that direction (the file itself included). */
export async function lineageCount(
  prisma: PrismaClient,
  start: LineageStart,
  direction: LineageDirection,
  maxDepth: number | null,
): Promise<number> {
  const mode = { count: { maxDepth } };
  const parts = [
    ...(direction === "DOWN" ? [] : ancestorParts([start], mode)),
    ...(direction === "UP" ? [] : descendantParts([start], mode)),
  ];
  return 1 + ((await countsByStart(prisma, parts)).get(start.id) ?? 0);
}

/** A page of live descendants (the file itself excluded) for each of many files, in one statement. */
export function descendantPages(
  prisma: PrismaClient,
  starts: LineageStart[],
  options: PageOptions,
): Promise<Map<string, LineageRow[]>> {
  return rowsByStart(prisma, descendantParts(starts, { page: options }));
}

/** How many live descendants each of many files has (within maxDepth levels), in one statement. */
export function descendantCounts(
  prisma: PrismaClient,
  starts: LineageStart[],
  maxDepth: number | null,
): Promise<Map<string, number>> {
  return countsByStart(prisma, descendantParts(starts, { count: { maxDepth } }));
}

/** The live ancestors of each of many files, root first, in one statement. */
export async function ancestorsOf(prisma: PrismaClient, starts: LineageStart[]): Promise<Map<string, LineageRow[]>> {
  const withParents = starts.filter((s) => s.parentId !== null && s.depth > 0);
  return withParents.length === 0 ? new Map() : rowsByStart(prisma, [walkAbove(withParents, { all: true })]);
}
