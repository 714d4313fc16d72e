// The benchmark's data set, generated in PostgreSQL with set-based SQL (INSERT … SELECT over
// generate_series): 10 projects × 5 contracts, 100 trees of 1,000 files and one tree of 1,000,000.
// Trees are inserted level by level, parents first, with the root, parent, depth and project
// migration 008's triggers check. The big tree's rows are generated once into unlogged staging
// tables and then inserted twice, into project_files (triggers on) and into a trigger-free copy,
// to time what the triggers cost.
//
// Every id is a function of a number, so the load client (GraphQL variables) and pgbench (\set
// variables in SQL) address the same rows without a lookup table:
//   file n        md5('file:' || n)::uuid          n = 1 + t*1000 + i   small tree t (0..99), node i
//                                                   n = BIG_ROOT_N + i    the big tree, node i
//   project p     md5('project:' || p)::uuid       p = 0..9 (the big tree is in project 0)
//   workspace     md5('workspace:' || p || ':' || w)::uuid, w = 0..2
//   contract      md5('contract:' || p || ':' || k)::uuid, k = 0..4 (k = 0 is the project's default)
// A tree's nodes are numbered breadth-first with branching 10, so node i's parent is (i - 1) / 10
// and its depth is the number of digits of 9i + 1, minus one (level d starts at (10^d - 1) / 9).
//
// The other columns are functions of n too (so a query's expected result can be computed):
//   access level   n % 20: 0-9 public, 10-15 internal, 16-17 workspace, 18-19 private
//   classification (n / 20) % 10: 0-4 public, 5-7 internal, 8 confidential, 9 restricted
// except that roots and every n divisible by 7 are "plainly visible" (public or internal access,
// at most confidential), so that the files the benchmark starts its reads from are ones the
// benchmark's caller (clearance confidential, not an admin) can see; the trees below them still
// hold files it cannot see, which lineage reads return as redacted nodes.
import { createHash } from "node:crypto";
import type pg from "pg";
import { Progress, type Step } from "../../src/progress.ts";

export const PROJECTS = 10;
export const CONTRACTS_PER_PROJECT = 5;
export const WORKSPACES_PER_PROJECT = 3;
export const SMALL_TREES = 100;
export const SMALL_TREE_SIZE = 1_000;
export const BIG_TREE_SIZE = 1_000_000;
export const BIG_TREE_DEPTH = 6;
/** n of the big tree's root: right after the small trees. */
export const BIG_ROOT_N = SMALL_TREES * SMALL_TREE_SIZE + 1;
export const TOTAL_FILES = SMALL_TREES * SMALL_TREE_SIZE + BIG_TREE_SIZE;

/** The MIME types files get, (n / 3) % 6: a mimeType filter selects about a sixth of a project. */
export const MIME_TYPES = [
  "image/png",
  "image/jpeg",
  "application/pdf",
  "text/csv",
  "application/vnd.apache.parquet",
  "application/json",
] as const;
const EXTENSIONS = ["png", "jpg", "pdf", "csv", "parquet", "json"];
const FILE_TYPES = ["image", "image", "document", "dataset", "dataset", "document"];
const REPRESENTATIONS = ["thumbnail", "preview", "preview", "csv", "parquet", "embedding"];

/** Contract k of every project: name, ceiling, status. k = 0 is the default (ceiling restricted). */
const CONTRACTS = [
  { name: "Default contract", ceiling: "restricted", status: "active" },
  { name: "Analytics extracts", ceiling: "confidential", status: "active" },
  { name: "Partner sharing", ceiling: "internal", status: "active" },
  { name: "Public release", ceiling: "public", status: "active" },
  { name: "Legacy archive", ceiling: "confidential", status: "retired" },
] as const;
const CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"];

/** md5(text)::uuid, as PostgreSQL computes it. */
export function md5Uuid(text: string): string {
  const h = createHash("md5").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
export const fileId = (n: number) => md5Uuid(`file:${n}`);
export const projectId = (p: number) => md5Uuid(`project:${p}`);
export const workspaceId = (p: number, w: number) => md5Uuid(`workspace:${p}:${w}`);
export const contractId = (p: number, k: number) => md5Uuid(`contract:${p}:${k}`);

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const uuidArray = (ids: string[]) => `('{${ids.join(",")}}'::uuid[])`;

/** The first node index of a level of a breadth-first tree with branching 10. */
export const levelStart = (depth: number) => (10 ** depth - 1) / 9;

const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(", ");

/**
 * The columns of one generated file, from a source of (n, root_n, parent_n, depth, p) rows. The
 * codes (access a, classification c, MIME m, contract k) are computed once in the inner select.
 */
function fileRows(source: string): string {
  const ceilingRanks = CONTRACTS.map((c) => CLASSIFICATIONS.indexOf(c.ceiling)).join(", ");
  // The ids of the few projects, workspaces and contracts, as constant arrays (md5 per row is not free).
  const projects = uuidArray(range(PROJECTS).map(projectId));
  const workspaces = uuidArray(
    range(PROJECTS * WORKSPACES_PER_PROJECT).map((i) =>
      workspaceId(Math.floor(i / WORKSPACES_PER_PROJECT), i % WORKSPACES_PER_PROJECT),
    ),
  );
  const contracts = uuidArray(
    range(PROJECTS * CONTRACTS_PER_PROJECT).map((i) =>
      contractId(Math.floor(i / CONTRACTS_PER_PROJECT), i % CONTRACTS_PER_PROJECT),
    ),
  );
  // metadata is formatted as JSON text and parsed once: three times faster than nested jsonb_build_object.
  const metadata = `format('{"description": "Asset %s of tree %s, generated for the lineage benchmark", '
      '"tags": ["bench", "tree-%s", "depth-%s", "%s"], '
      '"pipeline": {"name": "pipeline-%s", "version": "1.%s.0", "step": %s}, '
      '"dimensions": {"width": %s, "height": %s}, '
      '"source": {"system": "ingest-%s", "batch": "b-%s", "digest": "%s"}, '
      '"labels": {"team": "team-%s", "region": "%s"}}',
    n, root_n, root_n, depth, (ARRAY[${sqlList(FILE_TYPES)}])[m + 1],
    n % 7, n % 10, depth, 640 + n % 1000, 480 + n % 700,
    n % 5, n / 1000, md5(n::text), n % 9, (ARRAY['eu-west-1', 'us-east-1', 'ap-south-1'])[1 + n % 3])::jsonb`;
  return `
SELECT
  md5('file:' || n)::uuid,
  ${projects}[p + 1],
  ${workspaces}[p * ${WORKSPACES_PER_PROJECT} + n % ${WORKSPACES_PER_PROJECT} + 1],
  'asset-' || n || '.' || (ARRAY[${sqlList(EXTENSIONS)}])[m + 1],
  's3://fms-bench/project-' || p || '/tree-' || root_n || '/d' || depth || '/asset-' || n || '.' || (ARRAY[${sqlList(EXTENSIONS)}])[m + 1],
  (ARRAY[${sqlList(FILE_TYPES)}])[m + 1],
  (ARRAY[${sqlList(MIME_TYPES)}])[m + 1],
  1024 + (n::bigint * 7919) % 50000000,
  encode(sha256(('content-' || n)::bytea), 'hex'),
  CASE WHEN n % 4 = 0 THEN 'gcs' ELSE 's3' END,
  ${metadata},
  CASE WHEN n % 3 = 0 THEN 'bench-user' ELSE 'user-' || (n % 17) END,
  created_at,
  created_at + interval '1 hour',
  (ARRAY['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'pending', 'processing', 'failed'])[n % 10 + 1],
  CASE WHEN n % 10 = 9
    THEN jsonb_build_array(jsonb_build_object('code', 'TIMEOUT', 'message', 'worker timed out', 'at', created_at + interval '20 minutes', 'attempt', 1))
    ELSE '[]'::jsonb END,
  CASE WHEN n % 10 = 7 THEN 0 ELSE 1 END,
  CASE WHEN n % 10 = 7 THEN NULL ELSE created_at + interval '10 minutes' END,
  CASE WHEN n % 10 IN (7, 8) THEN NULL ELSE created_at + interval '20 minutes' END,
  md5('file:' || root_n)::uuid,
  CASE WHEN parent_n IS NULL THEN NULL ELSE md5('file:' || parent_n)::uuid END,
  depth,
  CASE
    WHEN plain THEN CASE WHEN a < 10 THEN 'public' ELSE 'internal' END
    WHEN a < 10 THEN 'public' WHEN a < 16 THEN 'internal' WHEN a < 18 THEN 'workspace' ELSE 'private' END,
  format('{"read": ["%s", "user:user-%s"], "write": ["user:user-%s"]}',
    CASE WHEN n % 5 = 0 THEN 'group:bench-readers' ELSE 'group:ops' END, n % 17, n % 17)::jsonb,
  (ARRAY[${sqlList(CLASSIFICATIONS)}])[cr + 1],
  ${contracts}[p * ${CONTRACTS_PER_PROJECT} + (CASE WHEN (ARRAY[${ceilingRanks}])[k + 1] >= cr THEN k ELSE 0 END) + 1],
  CASE WHEN depth = 0 THEN 'original' ELSE (ARRAY[${sqlList(REPRESENTATIONS)}])[m + 1] END
FROM (
  SELECT n, root_n, parent_n, depth, p, plain, a, m, k,
    CASE WHEN plain THEN least(cr0, 2) ELSE cr0 END AS cr,
    timestamptz '2024-01-01 00:00:00+00' + n * interval '10 seconds' AS created_at
  FROM (
    SELECT n, root_n, parent_n, depth, p,
      depth = 0 OR n % 7 = 0 AS plain,
      n % 20 AS a,
      (n / 3) % ${MIME_TYPES.length} AS m,
      n % ${CONTRACTS_PER_PROJECT} AS k,
      CASE WHEN (n / 20) % 10 < 5 THEN 0 WHEN (n / 20) % 10 < 8 THEN 1 WHEN (n / 20) % 10 < 9 THEN 2 ELSE 3 END AS cr0
    FROM (${source}) AS src(n, root_n, parent_n, depth, p)
  ) AS coded
) AS g`;
}

const COLUMNS = `file_uuid, project_id, workspace_id, ui_name, file_path, file_type, mime_type, file_size_bytes,
  checksum_sha256, storage_backend, metadata, created_by, created_at, updated_at, processing_status,
  processing_errors, processing_attempts, processing_started_at, processing_completed_at, root_file_uuid,
  parent_file_uuid, lineage_depth, access_level, permissions, data_classification, boundary_contract_id,
  representation_type`;

/** A range of node indexes [from, to] of one tree level. */
interface Chunk {
  depth: number;
  from: number;
  to: number;
}

/**
 * A level's node indexes in `parts` ranges, cut where a parent's children begin (index 10P + 1),
 * so that two connections loading a level in parallel never lock the same parent.
 */
function levelChunks(depth: number, size: number, parts: number): Chunk[] {
  const lo = levelStart(depth);
  const hi = Math.min(levelStart(depth + 1), size) - 1;
  if (hi - lo + 1 < 100 || parts <= 1) return [{ depth, from: lo, to: hi }];
  const cuts = [lo];
  for (let j = 1; j < parts; j++) {
    const at = lo + Math.floor(((hi - lo + 1) * j) / parts);
    cuts.push(at - ((at - 1) % 10));
  }
  cuts.push(hi + 1);
  return cuts.slice(0, -1).map((from, j) => ({ depth, from, to: (cuts[j + 1] as number) - 1 }));
}

/** The nodes `chunk` of all 100 small trees (tree t lives in project t % 10). */
function smallTreesSql(table: string, chunk: Chunk): string {
  const source = `SELECT 1 + t * ${SMALL_TREE_SIZE} + i, 1 + t * ${SMALL_TREE_SIZE},
      CASE WHEN i = 0 THEN NULL ELSE 1 + t * ${SMALL_TREE_SIZE} + (i - 1) / 10 END, ${chunk.depth}, t % ${PROJECTS}
    FROM generate_series(0, ${SMALL_TREES - 1}) AS t, generate_series(${chunk.from}, ${chunk.to}) AS i`;
  return `INSERT INTO ${table} (${COLUMNS}) ${fileRows(source)}`;
}

/** The rows of nodes `chunk` of the big tree (project 0), as a SELECT in COLUMNS order. */
function bigTreeRows(chunk: Chunk): string {
  const source = `SELECT ${BIG_ROOT_N} + i, ${BIG_ROOT_N},
      CASE WHEN i = 0 THEN NULL ELSE ${BIG_ROOT_N} + (i - 1) / 10 END, ${chunk.depth}, 0
    FROM generate_series(${chunk.from}, ${chunk.to}) AS i`;
  return fileRows(source);
}

function contractsSql(): string {
  const rows = CONTRACTS.map(
    (c, k) => `(${k}, '${c.name}', '${c.ceiling}', '${c.status}', ${k === 0 ? "true" : "false"})`,
  ).join(", ");
  return `
INSERT INTO data_boundary_contracts (contract_id, project_id, name, description, allowed_representation_types,
  max_data_classification, retention_days, scope, is_default, status, created_at, updated_at)
SELECT md5('contract:' || p || ':' || c.k)::uuid, md5('project:' || p)::uuid, c.name,
  c.name || ' of project ' || p || ' (benchmark data)',
  CASE WHEN c.k IN (0, 4) THEN ARRAY[]::text[] ELSE ARRAY['parquet', 'csv', 'preview', 'thumbnail'] END,
  c.ceiling, CASE WHEN c.k = 0 THEN NULL ELSE 365 * c.k END,
  jsonb_build_object('workspace_ids', (
    SELECT jsonb_agg(md5('workspace:' || p || ':' || w)::uuid::text ORDER BY md5('workspace:' || p || ':' || w)::uuid::text)
    FROM generate_series(0, CASE WHEN c.k = 0 THEN ${WORKSPACES_PER_PROJECT - 1} ELSE c.k % ${WORKSPACES_PER_PROJECT} END) AS w)),
  c.is_default, c.status, timestamptz '2023-12-01 00:00:00+00', timestamptz '2023-12-01 00:00:00+00'
FROM generate_series(0, ${PROJECTS - 1}) AS p,
  (VALUES ${rows}) AS c(k, name, ceiling, status, is_default)`;
}

export interface TriggerCost {
  /** The user (non-internal) triggers on project_files when the benchmark ran. */
  triggers: string[];
  /** Seconds to generate the big tree's rows into unlogged staging tables (not part of either insert). */
  stagingS: number;
  /** Seconds to insert the big tree into project_files from the staging tables, its triggers firing. */
  withTriggersS: number;
  /** Seconds to insert the same rows into a copy of the table (same columns, checks, indexes, foreign keys) without the triggers. */
  withoutTriggersS: number;
  ratio: number;
}

export interface GenerateResult {
  seconds: number;
  smallTreesS: number;
  triggerCost: TriggerCost;
  vacuumS: number;
  files: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * timed(), reported as a progress step: its start, a "still …" line while it runs long, and its
 * end with the rows counted by `work` (through `step.add`) and their rate.
 */
function timedStep(
  progress: Progress,
  label: string,
  total: number | undefined,
  work: (step: Step) => Promise<unknown>,
): Promise<number> {
  return timed(() => progress.run(label, work, total === undefined ? {} : { total, unit: "files" }));
}

/**
 * Runs a tree's chunks level by level (parents before children), each level's chunks in parallel,
 * one per connection (each statement its own transaction).
 */
async function byLevel(
  clients: pg.Client[],
  size: number,
  sql: (chunk: Chunk, j: number) => string,
  onChunk: (nodes: number) => void = () => {},
): Promise<void> {
  for (let d = 0; levelStart(d) < size; d++) {
    const chunks = levelChunks(d, size, clients.length);
    await Promise.all(
      chunks.map(async (chunk, j) => {
        await (clients[j] as pg.Client).query(sql(chunk, j));
        onChunk(chunk.to - chunk.from + 1);
      }),
    );
  }
}

/** CHECKPOINT, so that two timed inserts start from the same clean state (needs superuser; skipped otherwise). */
async function checkpoint(client: pg.Client): Promise<void> {
  await client.query("CHECKPOINT").catch(() => {});
}

const stage = (chunk: Chunk, j: number) => `bench_stage_${chunk.depth}_${j}`;

/**
 * The big tree inserted twice from the same staged rows: into project_files with whatever
 * triggers it has now, and into a scratch copy (LIKE … INCLUDING ALL, plus the same foreign keys
 * pointed at itself) that has none. The rows are generated once, beforehand, into unlogged
 * staging tables, so that both timings are the insert alone; the difference is what the triggers
 * cost (the foreign-key checks and index updates are in both).
 */
async function loadBigTree(
  clients: pg.Client[],
  log: (line: string) => void,
  progress: Progress,
): Promise<TriggerCost> {
  const client = clients[0] as pg.Client;
  const { rows } = await client.query<{ tgname: string }>(
    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'project_files'::regclass AND NOT tgisinternal ORDER BY tgname",
  );
  const triggers = rows.map((r) => r.tgname);
  const scratch = "bench_untriggered_files";
  const stages: string[] = [];
  try {
    const stagingS = await timedStep(
      progress,
      "generating the big tree's rows into staging tables",
      BIG_TREE_SIZE,
      (step) =>
        byLevel(
          clients,
          BIG_TREE_SIZE,
          (chunk, j) => {
            stages.push(stage(chunk, j));
            return `CREATE UNLOGGED TABLE ${stage(chunk, j)} (${COLUMNS}) AS ${bigTreeRows(chunk)}`;
          },
          (n) => step.add(n),
        ),
    );
    const copyInto = (table: string) => (chunk: Chunk, j: number) =>
      `INSERT INTO ${table} (${COLUMNS}) SELECT ${COLUMNS} FROM ${stage(chunk, j)}`;

    log(`  project_files triggers: ${triggers.length ? triggers.join(", ") : "(none)"}`);
    await checkpoint(client);
    const withTriggersS = await timedStep(
      progress,
      "inserting the big tree (1,000,000 files) into project_files, triggers on",
      BIG_TREE_SIZE,
      (step) => byLevel(clients, BIG_TREE_SIZE, copyInto("project_files"), (n) => step.add(n)),
    );

    await client.query(`DROP TABLE IF EXISTS ${scratch}`);
    await client.query(`CREATE TABLE ${scratch} (LIKE project_files INCLUDING ALL)`);
    const fks = await client.query<{ def: string }>(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'project_files'::regclass AND contype = 'f'",
    );
    for (const { def } of fks.rows) {
      const own = def.replace(/REFERENCES (public\.)?project_files\(/, `REFERENCES ${scratch}(`);
      await client.query(`ALTER TABLE ${scratch} ADD ${own}`);
    }
    await checkpoint(client);
    const withoutTriggersS = await timedStep(
      progress,
      "inserting the same rows into a copy of the table without triggers",
      BIG_TREE_SIZE,
      (step) => byLevel(clients, BIG_TREE_SIZE, copyInto(scratch), (n) => step.add(n)),
    );
    return { triggers, stagingS, withTriggersS, withoutTriggersS, ratio: withTriggersS / withoutTriggersS };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${[scratch, ...stages].join(", ")}`);
  }
}

/**
 * Session settings for bulk loading on our own connections (nothing server-wide): no wait for the
 * WAL flush at commit, and compressed full-page images in the WAL (superuser only; skipped otherwise).
 */
async function loadingSession(client: pg.Client): Promise<void> {
  await client.query("SET synchronous_commit = off");
  await client.query("SET maintenance_work_mem = '256MB'");
  for (const method of ["lz4", "pglz"]) {
    const set = await client.query(`SET wal_compression = ${method}`).then(
      () => true,
      () => false,
    );
    if (set) break;
  }
}

/**
 * Fills an empty, migrated database, over `clients` (connected to it; they load in parallel). Each
 * step's start, progress and end go to `progress` (stderr).
 */
export async function generate(
  clients: pg.Client[],
  log: (line: string) => void,
  progress: Progress = new Progress(),
): Promise<GenerateResult> {
  const t0 = performance.now();
  const client = clients[0] as pg.Client;
  for (const c of clients) await loadingSession(c);
  await client.query(contractsSql());
  const smallTreesS = await timedStep(
    progress,
    "inserting 100 trees of 1,000 files",
    SMALL_TREES * SMALL_TREE_SIZE,
    (step) =>
      byLevel(
        clients,
        SMALL_TREE_SIZE,
        (chunk) => smallTreesSql("project_files", chunk),
        (n) => step.add(n * SMALL_TREES),
      ),
  );
  const triggerCost = await loadBigTree(clients, log, progress);
  // no measurable progress: its heartbeat says it is still running
  const vacuumS = await timedStep(progress, "running VACUUM ANALYZE", undefined, () => client.query("VACUUM ANALYZE"));
  const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM project_files");
  const files = Number(rows[0]?.n);
  if (files !== TOTAL_FILES) throw new Error(`expected ${TOTAL_FILES} files after generation, found ${files}`);
  return { seconds: (performance.now() - t0) / 1000, smallTreesS, triggerCost, vacuumS, files };
}

/** The id of the median depth-6 file of the big tree, in uuid order (the deep-page cursor). */
export async function medianDeepId(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT file_uuid::text AS id FROM project_files
     WHERE root_file_uuid = $1 AND lineage_depth = $2
     ORDER BY file_uuid OFFSET (SELECT count(*) / 2 FROM project_files WHERE root_file_uuid = $1 AND lineage_depth = $2)
     LIMIT 1`,
    [fileId(BIG_ROOT_N), BIG_TREE_DEPTH],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error("the big tree has no depth-6 files: is this a benchmark database?");
  return id;
}
