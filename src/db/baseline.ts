// Baselining: a database whose 001 was applied by hand (before Prisma Migrate) is checked against
// what 001 really creates, and only then is 001 marked as applied, so that `migrate deploy` can
// bring it forward. The expected shape is not a second copy of 001 kept by hand: 001 itself is
// applied to a throw-away in-memory PGlite and read back from the catalog.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseTarget } from "../config.ts";
import { openDatabase } from "./database.ts";
import { MIGRATIONS_DIR, runPrisma } from "./migrations.ts";
import { openPGlite } from "./pglite-adapter.ts";

export const BASE_MIGRATION = "001_create_project_files_schema_enhanced";

export interface ColumnShape {
  name: string;
  type: string;
  nullable: boolean;
}

type Query = <T>(sql: string) => Promise<T[]>;

// The catalog, read the same way on PostgreSQL 15 and on PGlite (PostgreSQL 17/18): format_type() gives
// the full type ("timestamp(6) with time zone", "text[]").
const COLUMNS_SQL = `
  SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
  FROM pg_attribute a
  WHERE a.attrelid = to_regclass('project_files') AND a.attnum > 0 AND NOT a.attisdropped
  ORDER BY a.attnum`;

export async function expectedBaseColumns(): Promise<ColumnShape[]> {
  const sql = readFileSync(join(MIGRATIONS_DIR, BASE_MIGRATION, "migration.sql"), "utf8");
  const pg = openPGlite("memory://");
  try {
    await pg.exec(sql);
    return (await pg.query<ColumnShape>(COLUMNS_SQL)).rows;
  } finally {
    await pg.close();
  }
}

/**
 * Types that PostgreSQL stores identically: a timestamp or time without a precision has the
 * default precision, 6, so a hand-written `timestamptz` is 001's `timestamptz(6)`.
 */
function sameType(a: string, b: string): boolean {
  const normal = (t: string) => t.replace(/^(timestamp|time)\(6\)/, "$1");
  return normal(a) === normal(b);
}

/** Differences between the live columns and 001's, one readable line each; empty when they match. */
export function compareColumns(expected: ColumnShape[], actual: ColumnShape[]): string[] {
  const live = new Map(actual.map((c) => [c.name, c]));
  const wanted = new Map(expected.map((c) => [c.name, c]));
  const problems: string[] = [];
  for (const e of expected) {
    const a = live.get(e.name);
    if (!a) problems.push(`column ${e.name} (${e.type}) is missing`);
    else {
      if (!sameType(a.type, e.type)) problems.push(`column ${e.name} is ${a.type}, 001 has ${e.type}`);
      if (a.nullable !== e.nullable)
        problems.push(
          `column ${e.name} is ${a.nullable ? "nullable" : "NOT NULL"}, 001 has it ${e.nullable ? "nullable" : "NOT NULL"}`,
        );
    }
  }
  for (const a of actual) {
    if (!wanted.has(a.name)) problems.push(`column ${a.name} (${a.type}) is not part of 001`);
  }
  return problems;
}

export interface BaselineResult {
  ok: boolean;
  /** true when 001 was marked applied by this call */
  changed: boolean;
  messages: string[];
}

export async function baseline(target: DatabaseTarget): Promise<BaselineResult> {
  const db = await openDatabase(target, { poolSize: 1 });
  let problems: string[];
  try {
    const query: Query = (sql) => db.prisma.$queryRawUnsafe(sql);
    const [tables] = await query<{ files: boolean; contracts: boolean; migrations: boolean }>(
      `SELECT to_regclass('project_files') IS NOT NULL AS files,
              to_regclass('data_boundary_contracts') IS NOT NULL AS contracts,
              to_regclass('_prisma_migrations') IS NOT NULL AS migrations`,
    );
    if (tables?.migrations) {
      const rows = await query<{ migration_name: string }>(
        `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      );
      if (rows.some((r) => r.migration_name === BASE_MIGRATION)) {
        return {
          ok: true,
          changed: false,
          messages: [`${BASE_MIGRATION} is already recorded as applied: nothing to baseline. Run npm run db:migrate.`],
        };
      }
    }
    if (!tables?.files) {
      return {
        ok: false,
        changed: false,
        messages: [
          "This database has no project_files table, so there is no hand-applied 001 to baseline.",
          "For an empty database, run npm run db:migrate instead: it creates the whole schema.",
        ],
      };
    }
    if (tables.contracts) {
      return {
        ok: false,
        changed: false,
        messages: [
          "data_boundary_contracts already exists: this database is past 001 (003 was applied by hand).",
          "Baselining only 001 would make 003 fail. Mark each hand-applied migration with",
          "  npm run prisma -- migrate resolve --applied <migration>",
          "after checking that the database really matches it.",
        ],
      };
    }
    problems = compareColumns(await expectedBaseColumns(), await query<ColumnShape>(COLUMNS_SQL));
  } finally {
    await db.close();
  }
  if (problems.length > 0) {
    return {
      ok: false,
      changed: false,
      messages: [
        `Refusing to baseline: project_files does not match ${BASE_MIGRATION}.`,
        ...problems.map((p) => `  - ${p}`),
        "Bring the table in line with prisma/migrations/001_create_project_files_schema_enhanced/migration.sql",
        "(or restore the database it came from), then run npm run db:baseline again. Nothing was changed.",
      ],
    };
  }
  const resolved = await runPrisma(["migrate", "resolve", "--applied", BASE_MIGRATION], target);
  if (resolved.code !== 0) {
    return { ok: false, changed: false, messages: ["prisma migrate resolve failed:", resolved.output.trim()] };
  }
  return {
    ok: true,
    changed: true,
    messages: [
      `project_files matches ${BASE_MIGRATION}: marked it as applied.`,
      "Next: npm run db:migrate applies 003-006 (contracts, new columns, default contracts, workspace scope).",
    ],
  };
}
