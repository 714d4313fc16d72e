// `npm run db:verify`: the seed's verification queries (the new columns exist, the contracts
// table exists, every file has a contract) plus the lineage and contract rules of SPEC.md, and
// whether the triggers that hold the lineage rules (migration 008) are on, as a short report an
// operator can run against any database.
import type { PrismaClient } from "../generated/prisma/client.ts";
import { migrationState } from "./migrations.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const SAMPLE = 5;

interface Offenders {
  n: number;
  sample: string[] | null;
}

/** A rule expressed as a query that returns the offending file (or contract) ids. */
async function offenders(prisma: PrismaClient, sql: string): Promise<Offenders> {
  const [row] = await prisma.$queryRawUnsafe<{ n: bigint | number; sample: string[] | null }[]>(
    `SELECT count(*) AS n, (array_agg(id ORDER BY id))[1:${SAMPLE}]::text[] AS sample FROM (${sql}) offenders`,
  );
  return { n: Number(row?.n ?? 0), sample: row?.sample ?? null };
}

function rule(name: string, found: Offenders, what = "rows"): Check {
  if (found.n === 0) return { name, ok: true, detail: `no ${what} break it` };
  const more = found.n > SAMPLE ? `, +${found.n - SAMPLE} more` : "";
  return { name, ok: false, detail: `${found.n} ${what} break it: ${(found.sample ?? []).join(", ")}${more}` };
}

const ROOT_RULE = `SELECT file_uuid AS id FROM project_files
  WHERE parent_file_uuid IS NULL
    AND (lineage_depth <> 0 OR (root_file_uuid IS NOT NULL AND root_file_uuid <> file_uuid))`;

const LINEAGE_RULES: [string, string][] = [
  ["a root (no parent) is its own root at depth 0; a NULL root is a legacy root", ROOT_RULE],
  [
    "a derived file's root is its parent's root",
    `SELECT c.file_uuid AS id FROM project_files c JOIN project_files p ON p.file_uuid = c.parent_file_uuid
     WHERE c.root_file_uuid IS DISTINCT FROM coalesce(p.root_file_uuid, p.file_uuid)`,
  ],
  [
    "a derived file's depth is its parent's depth + 1",
    `SELECT c.file_uuid AS id FROM project_files c JOIN project_files p ON p.file_uuid = c.parent_file_uuid
     WHERE c.lineage_depth <> p.lineage_depth + 1`,
  ],
  [
    "a derived file is in its parent's project",
    `SELECT c.file_uuid AS id FROM project_files c JOIN project_files p ON p.file_uuid = c.parent_file_uuid
     WHERE c.project_id <> p.project_id`,
  ],
  [
    "no lineage cycles (every file reaches a root)",
    `WITH RECURSIVE reach AS (
       SELECT file_uuid FROM project_files WHERE parent_file_uuid IS NULL
       UNION
       SELECT c.file_uuid FROM project_files c JOIN reach r ON c.parent_file_uuid = r.file_uuid
     )
     SELECT f.file_uuid AS id FROM project_files f
     WHERE NOT EXISTS (SELECT 1 FROM reach r WHERE r.file_uuid = f.file_uuid)`,
  ],
];

/**
 * Migration 008's triggers, which hold the lineage rules for every writer. ALTER TABLE ... DISABLE
 * TRIGGER (or ENABLE REPLICA TRIGGER) turns one off without a trace in the rows, so its state is
 * checked too: tgenabled O (the default) and A (always) fire for ordinary sessions; D and R do not.
 */
export const LINEAGE_TRIGGERS = ["project_files_lineage_on_insert", "project_files_lineage_on_update"];

async function lineageTriggers(prisma: PrismaClient): Promise<Check> {
  const rows = await prisma.$queryRawUnsafe<{ name: string; enabled: string }[]>(
    `SELECT tgname AS name, tgenabled::text AS enabled FROM pg_trigger
     WHERE tgrelid = 'project_files'::regclass AND NOT tgisinternal AND tgname = ANY($1::text[])`,
    LINEAGE_TRIGGERS,
  );
  const missing = LINEAGE_TRIGGERS.filter((t) => !rows.some((r) => r.name === t));
  const disabled = rows.filter((r) => r.enabled !== "O" && r.enabled !== "A").map((r) => r.name);
  const problems = [
    missing.length ? `missing: ${missing.join(", ")} (run npm run db:migrate)` : "",
    disabled.length
      ? `disabled: ${disabled.join(", ")} (ALTER TABLE project_files ENABLE TRIGGER <name>, then check the rows written meanwhile)`
      : "",
  ].filter(Boolean);
  return {
    name: "the lineage rules are enforced by the database (triggers installed and enabled)",
    ok: problems.length === 0,
    detail: problems.length === 0 ? `${LINEAGE_TRIGGERS.join(", ")} enabled` : problems.join("; "),
  };
}

const RANK = `(ARRAY['public','internal','confidential','restricted'])`;

const CONTRACT_RULES: [string, string, string][] = [
  [
    "every file has a boundary contract",
    "SELECT file_uuid AS id FROM project_files WHERE boundary_contract_id IS NULL",
    "files",
  ],
  [
    "a file's contract belongs to the file's project",
    `SELECT f.file_uuid AS id FROM project_files f
     JOIN data_boundary_contracts c ON c.contract_id = f.boundary_contract_id
     WHERE c.project_id <> f.project_id`,
    "files",
  ],
  [
    "a file's classification is within its contract's ceiling",
    `SELECT f.file_uuid AS id FROM project_files f
     JOIN data_boundary_contracts c ON c.contract_id = f.boundary_contract_id
     WHERE array_position(${RANK}, f.data_classification) > array_position(${RANK}, c.max_data_classification)`,
    "files",
  ],
  [
    "at most one default contract per project",
    `SELECT project_id AS id FROM data_boundary_contracts WHERE is_default GROUP BY project_id HAVING count(*) > 1`,
    "projects",
  ],
];

export async function verify(prisma: PrismaClient): Promise<Check[]> {
  const checks: Check[] = [];

  const state = await migrationState(prisma);
  checks.push({
    name: "migrations are applied",
    ok: state.pending.length === 0 && state.failed.length === 0,
    detail:
      `${state.applied.length} applied` +
      (state.pending.length ? `; pending: ${state.pending.join(", ")}` : "; none pending") +
      (state.failed.length ? `; FAILED: ${state.failed.join(", ")}` : ""),
  });

  const [tables] = await prisma.$queryRawUnsafe<{ files: boolean; contracts: boolean }[]>(
    `SELECT to_regclass('project_files') IS NOT NULL AS files,
            to_regclass('data_boundary_contracts') IS NOT NULL AS contracts`,
  );
  if (!tables?.files) {
    checks.push({ name: "project_files exists", ok: false, detail: "no project_files table: run npm run db:migrate" });
    return checks;
  }

  // Seed query 1: the new columns exist.
  const wanted = ["boundary_contract_id", "representation_type", "materialization_scope"];
  const columns = await prisma.$queryRawUnsafe<{ column_name: string }[]>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'project_files' AND column_name = ANY($1::text[])`,
    wanted,
  );
  const missing = wanted.filter((w) => !columns.some((c) => c.column_name === w));
  checks.push({
    name: "project_files has the boundary contract columns",
    ok: missing.length === 0,
    detail: missing.length === 0 ? wanted.join(", ") : `missing: ${missing.join(", ")}`,
  });

  // Seed query 2: the contracts table exists.
  let contractsPresent = false;
  if (tables.contracts) {
    const [row] = await prisma.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM data_boundary_contracts");
    contractsPresent = true;
    checks.push({ name: "data_boundary_contracts exists", ok: true, detail: `${Number(row?.n ?? 0)} contracts` });
  } else {
    checks.push({ name: "data_boundary_contracts exists", ok: false, detail: "table is missing" });
  }

  const [files] = await prisma.$queryRawUnsafe<{ n: bigint; legacy: bigint }[]>(
    `SELECT count(*) AS n, count(*) FILTER (WHERE parent_file_uuid IS NULL AND root_file_uuid IS NULL) AS legacy
     FROM project_files`,
  );
  const legacyRoots = Number(files?.legacy ?? 0);
  checks.push(await lineageTriggers(prisma));
  for (const [name, sql] of LINEAGE_RULES) {
    const check = rule(name, await offenders(prisma, sql));
    if (sql === ROOT_RULE && check.ok && legacyRoots > 0) {
      check.detail += ` (${legacyRoots} legacy roots with a NULL root_file_uuid, read as their own root)`;
    }
    checks.push(check);
  }

  // Seed query 3 and the contract rules (only meaningful once 003/004 are in).
  if (contractsPresent && missing.length === 0) {
    for (const [name, sql, what] of CONTRACT_RULES) checks.push(rule(name, await offenders(prisma, sql), what));
  }
  return checks;
}

export function formatReport(title: string, checks: Check[]): string {
  const failed = checks.filter((c) => !c.ok).length;
  const lines = [title, ...checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"}  ${c.name}: ${c.detail}`)];
  lines.push(
    failed === 0
      ? `verification passed: ${checks.length} checks`
      : `verification FAILED: ${failed} of ${checks.length} checks`,
  );
  return lines.join("\n");
}
