// The benchmark's reads, each as a pair: the GraphQL request a client sends, and the SQL a careful
// hand-written query would run for the same result (pgbench's floor), with the same access filter
// the server applies for the benchmark's caller (src/db/access.ts).
//
// The files a request reads are picked from a few hundred (or all 100 small trees, or the 60
// project × MIME type pairs) by random variables, rendered twice from one definition: as pgbench
// `\set` lines, and as the list of GraphQL variable sets the load client picks from at random.
// Both sides also give a normalized answer (one line per row), so a query is checked to return the
// same rows through the API as through SQL before it is loaded.
import {
  BIG_ROOT_N,
  BIG_TREE_DEPTH,
  BIG_TREE_SIZE,
  fileId,
  levelStart,
  MIME_TYPES,
  PROJECTS,
  projectId,
  SMALL_TREE_SIZE,
  SMALL_TREES,
  TOTAL_FILES,
  workspaceId,
} from "./data.ts";

// --- the caller: signed in, not an admin, clearance confidential, one workspace per project.

export const CALLER = {
  sub: "bench-user",
  groups: ["bench-readers", "analysts"],
  workspaces: Array.from({ length: PROJECTS }, (_, p) => workspaceId(p, 0)),
  clearance: "confidential",
  roles: ["viewer"],
} as const;

/**
 * src/db/access.ts's visibleSql for CALLER, as SQL on the row `a` (the same `@>` test of the
 * `read` list, so that both sides do the same work). Principals are written as
 * 'user:' || 'name' because pgbench reads `:name` in a script as a variable, even inside a literal.
 */
function visible(a: string): string {
  const principals = [`user:${CALLER.sub}`, ...CALLER.groups.map((g) => `group:${g}`)].map((p) => {
    const [kind, name] = p.split(":") as [string, string];
    return `'${kind}:' || '${name}'`;
  });
  const workspaces = CALLER.workspaces.map((w) => `'${w}'::uuid`).join(", ");
  return `(${a}.data_classification IN ('public', 'internal', 'confidential')
    AND (${a}.access_level IN ('public', 'internal')
      OR (${a}.access_level = 'workspace' AND ${a}.workspace_id IN (${workspaces}))
      OR (${a}.access_level = 'private' AND (${a}.created_by = '${CALLER.sub}'
        OR ${principals.map((p) => `${a}.permissions -> 'read' @> jsonb_build_array(${p})`).join(" OR ")}))))`;
}

// --- random variables: value = base + step * k, k uniform in [0, count).

export interface Pick {
  name: string;
  count: number;
  base: number;
  step: number;
}

export type Vars = Record<string, number>;

/** `count` multiples of `multiple` spread evenly over [lo, hi]. */
function spread(name: string, lo: number, hi: number, count: number, multiple = 1): Pick {
  const first = Math.ceil(lo / multiple);
  const last = Math.floor(hi / multiple);
  const stride = Math.floor((last - first) / (count - 1));
  if (stride < 1) throw new Error(`cannot spread ${count} values over [${lo}, ${hi}]`);
  return { name, count, base: first * multiple, step: stride * multiple };
}

/** Every combination of the picks' values (the load client picks one at random per request). */
export function combinations(picks: Pick[]): Vars[] {
  let out: Vars[] = [{}];
  for (const p of picks) {
    out = out.flatMap((vars) =>
      Array.from({ length: p.count }, (_, k) => ({ ...vars, [p.name]: p.base + p.step * k })),
    );
  }
  return out;
}

/** The pgbench script: a `\set` per pick, then the statement. */
export function pgbenchScript(q: BenchQuery): string {
  const sets = q.picks.flatMap((p) => [
    `\\set k_${p.name} random(0, ${p.count - 1})`,
    `\\set ${p.name} ${p.base} + ${p.step} * :k_${p.name}`,
  ]);
  checkPlaceholders(q);
  // pgbench wants one statement, ended by a semicolon; a newline inside it is fine.
  return `${sets.join("\n")}\n${q.sql.trim()};\n`;
}

const PLACEHOLDER = /(::+)|:([A-Za-z0-9_]+)/g;

/** Fails when the SQL holds a `:name` that pgbench would take for a variable the query does not set. */
function checkPlaceholders(q: BenchQuery): void {
  const names = new Set(q.picks.map((p) => p.name));
  for (const m of q.sql.matchAll(PLACEHOLDER)) {
    if (m[2] !== undefined && !names.has(m[2])) {
      throw new Error(`${q.name}: ":${m[2]}" in its SQL would be a pgbench variable; it is not one of its picks`);
    }
  }
}

/** The SQL with $1, $2, ... for node-postgres, and the values, for one set of variables. */
export function sqlFor(q: BenchQuery, vars: Vars): { text: string; values: number[] } {
  checkPlaceholders(q);
  const values: number[] = [];
  const text = q.sql.replace(PLACEHOLDER, (whole, _colons, name: string | undefined) => {
    if (name === undefined) return whole;
    values.push(vars[name] as number);
    return `$${values.length}`;
  });
  return { text, values };
}

// --- the queries

export interface BenchQuery {
  name: string;
  /** What it reads, for the report. */
  description: string;
  document: string;
  picks: Pick[];
  variables(vars: Vars): Record<string, unknown>;
  /** One statement; `:name` is a pick's value. */
  sql: string;
  /** The answer as lines, from the GraphQL data and from the SQL rows: the two must be equal. */
  fromGraphQL(data: Data): string[];
  fromSql(rows: Row[]): string[];
  /** How many rows (edges, nodes) a correct GraphQL answer has, or null when it varies. */
  expectedRows: number | null;
  rows(data: Data): number;
}

// biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are walked by their known shape
type Data = any;
type Row = Record<string, unknown>;

const orDash = (v: unknown) => (v === null || v === undefined ? "-" : String(v));
const cursorOf = (depth: number, id: string) => Buffer.from(JSON.stringify([depth, id])).toString("base64url");

/** Rows of a lineage page, as lines: id, depth, parent, name (or "-" for a redacted node). */
function lineageLines(edges: Data[]): string[] {
  return edges.map((e) => `${e.node.id} ${e.node.depth} ${orDash(e.node.parentId)} ${orDash(e.node.file?.uiName)}`);
}
function lineageSqlLines(rows: Row[]): string[] {
  return rows.map((r) => `${r.file_uuid} ${r.lineage_depth} ${orDash(r.parent_file_uuid)} ${orDash(r.ui_name)}`);
}

const LINEAGE_COLUMNS = (a: string) =>
  `${a}.file_uuid, ${a}.lineage_depth, ${a}.parent_file_uuid, CASE WHEN ${visible(a)} THEN ${a}.ui_name END AS ui_name`;

/** The start of a walk must be live and visible, or the answer is null. */
const visibleStart = (id: string) =>
  `EXISTS (SELECT 1 FROM project_files s WHERE s.file_uuid = ${id} AND s.deleted_at IS NULL AND ${visible("s")})`;

const mimeArray = `(ARRAY[${MIME_TYPES.map((m) => `'${m}'`).join(", ")}])`;

/** Roots of the 100 small trees. */
const SMALL_ROOT: Pick = { name: "n", count: SMALL_TREES, base: 1, step: SMALL_TREE_SIZE };

export function benchQueries(deepCursorId: string): BenchQuery[] {
  const bigRoot = fileId(BIG_ROOT_N);
  const leafLo = BIG_ROOT_N + levelStart(BIG_TREE_DEPTH);
  const leafHi = BIG_ROOT_N + BIG_TREE_SIZE - 1;
  return [
    {
      name: "page",
      description: "50 files of a project with one MIME type, with their contracts",
      document: `query Page($projectId: UUID!, $mimeType: String!) {
  files(filter: { projectId: $projectId, mimeType: $mimeType }, first: 50) {
    edges { node { id uiName filePath mimeType fileSizeBytes createdAt boundaryContract { id name status } } }
  }
}`,
      picks: [
        { name: "p", count: PROJECTS, base: 0, step: 1 },
        { name: "m", count: MIME_TYPES.length, base: 0, step: 1 },
      ],
      variables: (v) => ({ projectId: projectId(v.p as number), mimeType: MIME_TYPES[v.m as number] }),
      sql: `SELECT f.file_uuid, f.ui_name, f.file_path, f.mime_type, f.file_size_bytes, f.created_at,
  c.contract_id, c.name, c.status
FROM project_files f
LEFT JOIN data_boundary_contracts c ON c.contract_id = f.boundary_contract_id
WHERE f.project_id = md5('project:' || :p)::uuid AND f.mime_type = ${mimeArray}[:m + 1]
  AND f.deleted_at IS NULL AND ${visible("f")}
ORDER BY f.created_at, f.file_uuid
LIMIT 50`,
      fromGraphQL: (d) =>
        d.files.edges.map(
          (e: Data) => `${e.node.id} ${e.node.uiName} ${orDash(e.node.boundaryContract?.id)} ${e.node.fileSizeBytes}`,
        ),
      fromSql: (rows) => rows.map((r) => `${r.file_uuid} ${r.ui_name} ${orDash(r.contract_id)} ${r.file_size_bytes}`),
      expectedRows: 50,
      rows: (d) => d.files.edges.length,
    },
    {
      name: "one",
      description: "one file with its contract",
      document: `query One($id: UUID!) {
  file(id: $id) { id uiName filePath mimeType metadata boundaryContract { id name } }
}`,
      // files whose n is a multiple of 7 are ones the caller can see (data.ts)
      picks: [spread("n", 1, TOTAL_FILES, 500, 7)],
      variables: (v) => ({ id: fileId(v.n as number) }),
      sql: `SELECT f.file_uuid, f.ui_name, f.file_path, f.mime_type, f.metadata, c.contract_id, c.name
FROM project_files f
LEFT JOIN data_boundary_contracts c ON c.contract_id = f.boundary_contract_id
WHERE f.file_uuid = md5('file:' || :n)::uuid AND f.deleted_at IS NULL AND ${visible("f")}`,
      fromGraphQL: (d) =>
        d.file
          ? [`${d.file.id} ${d.file.uiName} ${orDash(d.file.boundaryContract?.id)} ${JSON.stringify(d.file.metadata)}`]
          : [],
      fromSql: (rows) =>
        rows.map((r) => `${r.file_uuid} ${r.ui_name} ${orDash(r.contract_id)} ${JSON.stringify(r.metadata)}`),
      expectedRows: 1,
      rows: (d) => (d.file ? 1 : 0),
    },
    {
      name: "kids2",
      description: "a tree's root with two levels of children (10 × 10)",
      document: `query Kids2($id: UUID!) {
  file(id: $id) {
    id uiName
    children(first: 10) { edges { node { id uiName children(first: 10) { edges { node { id uiName } } } } } }
  }
}`,
      picks: [SMALL_ROOT],
      variables: (v) => ({ id: fileId(v.n as number) }),
      sql: `SELECT r.file_uuid AS root_id, r.ui_name AS root_name, c.file_uuid AS child_id, c.ui_name AS child_name,
  g.file_uuid AS grandchild_id, g.ui_name AS grandchild_name
FROM project_files r
LEFT JOIN LATERAL (
  SELECT x.file_uuid, x.ui_name, x.created_at FROM project_files x
  WHERE x.parent_file_uuid = r.file_uuid AND x.deleted_at IS NULL AND ${visible("x")}
  ORDER BY x.created_at, x.file_uuid LIMIT 10
) c ON true
LEFT JOIN LATERAL (
  SELECT y.file_uuid, y.ui_name, y.created_at FROM project_files y
  WHERE y.parent_file_uuid = c.file_uuid AND y.deleted_at IS NULL AND ${visible("y")}
  ORDER BY y.created_at, y.file_uuid LIMIT 10
) g ON true
WHERE r.file_uuid = md5('file:' || :n)::uuid AND r.deleted_at IS NULL AND ${visible("r")}
ORDER BY c.created_at, c.file_uuid, g.created_at, g.file_uuid`,
      fromGraphQL: (d) => {
        if (!d.file) return [];
        const lines = [`${d.file.id} ${d.file.uiName}`];
        for (const c of d.file.children.edges) {
          lines.push(`  ${c.node.id} ${c.node.uiName}`);
          for (const g of c.node.children.edges) lines.push(`    ${g.node.id} ${g.node.uiName}`);
        }
        return lines;
      },
      fromSql: (rows) => {
        const first = rows[0];
        if (!first) return [];
        const lines = [`${first.root_id} ${first.root_name}`];
        let child: unknown = null;
        for (const r of rows) {
          if (r.child_id === null) continue;
          if (r.child_id !== child) lines.push(`  ${r.child_id} ${r.child_name}`);
          child = r.child_id;
          if (r.grandchild_id !== null) lines.push(`    ${r.grandchild_id} ${r.grandchild_name}`);
        }
        return lines;
      },
      expectedRows: null,
      rows: (d) =>
        d.file ? 1 + d.file.children.edges.reduce((n: number, c: Data) => n + 1 + c.node.children.edges.length, 0) : 0,
    },
    {
      name: "ancestors",
      description: "the 6 ancestors of a leaf of the million-file tree",
      document: `query Ancestors($id: UUID!) {
  file(id: $id) { id ancestors { id depth file { id uiName } } }
}`,
      picks: [spread("n", leafLo, leafHi, 500, 7)],
      variables: (v) => ({ id: fileId(v.n as number) }),
      sql: `WITH RECURSIVE chain AS (
  SELECT f.file_uuid, f.parent_file_uuid, f.lineage_depth, f.deleted_at, f.ui_name, true AS shown
  FROM project_files f
  WHERE f.file_uuid = md5('file:' || :n)::uuid AND f.deleted_at IS NULL AND ${visible("f")}
  UNION ALL
  SELECT p.file_uuid, p.parent_file_uuid, p.lineage_depth, p.deleted_at, p.ui_name, ${visible("p")}
  FROM chain JOIN project_files p ON p.file_uuid = chain.parent_file_uuid AND p.lineage_depth = chain.lineage_depth - 1
)
SELECT file_uuid, lineage_depth, CASE WHEN shown THEN ui_name END AS ui_name
FROM chain WHERE deleted_at IS NULL
ORDER BY lineage_depth`,
      fromGraphQL: (d) =>
        d.file
          ? [`file ${d.file.id}`, ...d.file.ancestors.map((a: Data) => `${a.id} ${a.depth} ${orDash(a.file?.uiName)}`)]
          : [],
      fromSql: (rows) => {
        const start = rows[rows.length - 1];
        if (!start) return [];
        return [
          `file ${start.file_uuid}`,
          ...rows.slice(0, -1).map((r) => `${r.file_uuid} ${r.lineage_depth} ${orDash(r.ui_name)}`),
        ];
      },
      expectedRows: BIG_TREE_DEPTH,
      rows: (d) => d.file?.ancestors.length ?? 0,
    },
    {
      name: "subtree1k",
      description: "a whole 1,000-file tree, from its root (lineage DOWN, first: 1000)",
      document: `query Subtree($id: UUID!, $first: Int!) {
  lineage(fileId: $id, direction: DOWN, first: $first) { edges { node { id depth parentId file { id uiName } } } }
}`,
      picks: [SMALL_ROOT],
      variables: (v) => ({ id: fileId(v.n as number), first: 1000 }),
      // the start is a root: its tree is one range of the (root_file_uuid, lineage_depth, file_uuid) index
      sql: `SELECT ${LINEAGE_COLUMNS("f")}
FROM project_files f
WHERE f.root_file_uuid = md5('file:' || :n)::uuid AND f.deleted_at IS NULL
  AND ${visibleStart("md5('file:' || :n)::uuid")}
ORDER BY f.lineage_depth, f.file_uuid
LIMIT 1000`,
      fromGraphQL: (d) => (d.lineage ? lineageLines(d.lineage.edges) : []),
      fromSql: lineageSqlLines,
      expectedRows: SMALL_TREE_SIZE,
      rows: (d) => d.lineage?.edges.length ?? 0,
    },
    {
      name: "deep-page",
      description: "1,000 nodes from the middle of the million-file tree's deepest level (keyset page)",
      document: `query DeepPage($id: UUID!, $after: String!) {
  lineage(fileId: $id, direction: DOWN, first: 1000, after: $after) {
    edges { node { id depth parentId file { id uiName } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
      picks: [],
      variables: () => ({ id: bigRoot, after: cursorOf(BIG_TREE_DEPTH, deepCursorId) }),
      // LIMIT 1001: the extra row says whether a next page exists
      sql: `SELECT ${LINEAGE_COLUMNS("f")}
FROM project_files f
WHERE f.root_file_uuid = '${bigRoot}'::uuid AND f.deleted_at IS NULL
  AND (f.lineage_depth, f.file_uuid) > (${BIG_TREE_DEPTH}, '${deepCursorId}'::uuid)
  AND ${visibleStart(`'${bigRoot}'::uuid`)}
ORDER BY f.lineage_depth, f.file_uuid
LIMIT 1001`,
      fromGraphQL: (d) =>
        d.lineage
          ? [...lineageLines(d.lineage.edges), `next ${d.lineage.pageInfo.hasNextPage} ${d.lineage.pageInfo.endCursor}`]
          : [],
      fromSql: (rows) => {
        const page = rows.slice(0, 1000);
        const last = page[page.length - 1];
        const end = last ? cursorOf(last.lineage_depth as number, last.file_uuid as string) : null;
        return [...lineageSqlLines(page), `next ${rows.length > 1000} ${end}`];
      },
      expectedRows: 1000,
      rows: (d) => d.lineage?.edges.length ?? 0,
    },
  ];
}

/** The request body of a query for one set of variables. */
export function body(q: BenchQuery, vars: Vars, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ query: q.document, variables: { ...q.variables(vars), ...overrides } });
}
