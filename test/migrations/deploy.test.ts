// How `prisma migrate deploy` behaves on a real database, beyond the happy path of schema.test.ts:
// a second deploy is a no-op, a migration that fails part-way is all-or-nothing and recoverable
// with the operator commands, $$ bodies survive, and `npm run db:migrate` itself works. Each test
// gets its own empty database (PostgreSQL or a PGlite directory, per the run's backend).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import type { DatabaseTarget } from "../../src/config.ts";
import { type Database, openDatabase } from "../../src/db/database.ts";
import {
  MIGRATIONS_DIR,
  MigrationError,
  migrateDeploy,
  migrationNames,
  migrationState,
} from "../../src/db/migrations.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { emptyDatabase } from "../helpers/db.ts";
import { runOperator } from "../helpers/operator.ts";

/** An empty database for this test only, dropped when the test finishes (pass or fail). */
async function freshTarget(): Promise<DatabaseTarget> {
  const empty = await emptyDatabase();
  onTestFinished(() => empty.drop());
  return empty.target;
}

/**
 * A scratch copy of prisma/migrations (with migration_lock.toml, which Prisma insists on) plus
 * extra migrations, removed when the test finishes. Returns the directory.
 */
function scratchMigrations(extra: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), `${inject("runId")}-migrations-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) writeMigration(dir, name, sql);
  return dir;
}

function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, "migration.sql"), sql);
}

/**
 * Opens the target in this process, runs fn, and closes it again: a PGlite directory has one
 * owner at a time, and the next CLI run or operator command needs it.
 */
async function withDb<T>(target: DatabaseTarget, fn: (prisma: PrismaClient) => Promise<T>): Promise<T> {
  const db: Database = await openDatabase(target, { poolSize: 1 });
  try {
    return await fn(db.prisma);
  } finally {
    await db.close();
  }
}

async function migrationRows(prisma: PrismaClient) {
  return prisma.$queryRawUnsafe<
    { migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }[]
  >(
    `SELECT migration_name, checksum, finished_at, applied_steps_count
     FROM _prisma_migrations ORDER BY migration_name, started_at`,
  );
}

/**
 * The public schema as the catalog describes it: every column, index and constraint, one line
 * each, in a stable order. Kept as lines rather than one md5 so that a failure shows what changed.
 */
async function catalogSnapshot(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ line: string }[]>(
    `SELECT line FROM (
       SELECT format('column %s.%s %s %s null=%s default=%s', table_name, ordinal_position, column_name,
                     data_type, is_nullable, coalesce(column_default, '-')) AS line
       FROM information_schema.columns WHERE table_schema = 'public'
       UNION ALL
       SELECT format('index %s.%s %s', tablename, indexname, indexdef)
       FROM pg_indexes WHERE schemaname = 'public'
       UNION ALL
       SELECT format('constraint %s.%s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
     ) t ORDER BY line COLLATE "C"`,
  );
  return rows.map((r) => r.line);
}

/** What a deploy could change: the migrations table and the public schema. */
async function snapshot(prisma: PrismaClient) {
  return { rows: await migrationRows(prisma), catalog: await catalogSnapshot(prisma) };
}

async function relationExists(prisma: PrismaClient, name: string): Promise<boolean> {
  const [row] = await prisma.$queryRawUnsafe<{ present: boolean }[]>(
    "SELECT to_regclass($1) IS NOT NULL AS present",
    name,
  );
  return row?.present ?? false;
}

async function columnExists(prisma: PrismaClient, table: string, column: string): Promise<boolean> {
  const [row] = await prisma.$queryRawUnsafe<{ present: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2) AS present`,
    table,
    column,
  );
  return row?.present ?? false;
}

const PROJECT = "11111111-1111-4111-8111-111111111111";

describe("prisma migrate deploy", () => {
  it("deploy twice changes nothing the second time", async () => {
    const target = await freshTarget();
    await migrateDeploy(target);
    const first = await withDb(target, snapshot);
    // the snapshot must actually see the schema, or comparing two of them proves nothing
    expect(first.rows.map((r) => r.migration_name)).toEqual(migrationNames());
    expect(first.catalog.some((l) => l.startsWith("index project_files.project_files_pkey"))).toBe(true);
    expect(first.catalog.some((l) => l.startsWith("constraint data_boundary_contracts."))).toBe(true);

    const again = await migrateDeploy(target);
    expect(again.output).toContain("No pending migrations");

    const second = await withDb(target, snapshot);
    expect(second.rows).toEqual(first.rows);
    expect(second.catalog).toEqual(first.catalog);
  });

  it("a migration that fails part-way leaves no trace, is reported as failed, and the README recovery works", async () => {
    const target = await freshTarget();
    // The first two statements succeed; the last one fails, so everything before it must be undone.
    const broken = [
      "CREATE TABLE broken_probe (id int PRIMARY KEY);",
      "ALTER TABLE project_files ADD COLUMN broken_probe_note text;",
      "INSERT INTO no_such_table VALUES (1);",
    ];
    const dir = scratchMigrations({ "999_broken": broken.join("\n") });

    const failure = await migrateDeploy(target, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as MigrationError).output).toContain("999_broken");
    expect((failure as MigrationError).output).toContain("no_such_table");

    await withDb(target, async (p) => {
      // Each migration runs in its own transaction: the real ones stay applied, 999 is recorded as
      // failed (and so still pending) ...
      const state = await migrationState(p, dir);
      expect(state.applied).toEqual(migrationNames());
      expect(state.failed).toEqual(["999_broken"]);
      expect(state.pending).toEqual(["999_broken"]);
      // ... and nothing its succeeding statements did is left behind.
      expect(await relationExists(p, "broken_probe")).toBe(false);
      expect(await columnExists(p, "project_files", "broken_probe_note")).toBe(false);
    });

    // Prisma refuses to go on while a failed attempt is recorded, even once the file is fixed.
    writeMigration(dir, "999_broken", broken.slice(0, -1).join("\n"));
    const blocked = await migrateDeploy(target, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(MigrationError);
    expect((blocked as MigrationError).output).toMatch(/P3009|failed migrations/);

    // The recovery: mark the failed attempt as rolled back, then deploy (the fixed file) again.
    const marked = await runOperator(["rolled-back", "999_broken"], target);
    expect(marked.output).toContain("rolled back");
    expect(marked.code).toBe(0);
    const redeploy = await migrateDeploy(target, { migrationsDir: dir });
    expect(redeploy.output).toContain("All migrations have been successfully applied");

    await withDb(target, async (p) => {
      expect(await relationExists(p, "broken_probe")).toBe(true);
      expect(await columnExists(p, "project_files", "broken_probe_note")).toBe(true);
      const state = await migrationState(p, dir);
      expect(state.applied).toContain("999_broken");
      expect(state.failed).toEqual([]);
      expect(state.pending).toEqual([]);
    });

    // Nothing failed is recorded any more: the command says so and fails, rather than pretending.
    const nothing = await runOperator(["rolled-back", "999_broken"], target);
    expect(nothing.code).toBe(1);
    expect(nothing.output).toContain("No failed attempt of 999_broken is recorded");
  });

  it("a migration containing a $$ function body applies", async () => {
    const target = await freshTarget();
    // Several ';' inside the bodies (and one inside a string literal) must not split the script;
    // the statements after the bodies must still run.
    const dir = scratchMigrations({
      "007_function": `
CREATE TABLE file_audit (
    file_uuid UUID NOT NULL,
    action    TEXT NOT NULL,
    note      TEXT NOT NULL
);

CREATE FUNCTION log_file_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    note text;
BEGIN
    note := 'created; by trigger';
    INSERT INTO file_audit (file_uuid, action, note) VALUES (NEW.file_uuid, 'insert', note);
    RETURN NEW;
END;
$$;

CREATE FUNCTION file_audit_count(p uuid) RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM file_audit WHERE file_uuid = p;
    RETURN n;
END;
$fn$;

CREATE TRIGGER project_files_audit AFTER INSERT ON project_files
    FOR EACH ROW EXECUTE FUNCTION log_file_insert();

CREATE INDEX file_audit_file_uuid_idx ON file_audit (file_uuid);
`,
    });

    const deployed = await migrateDeploy(target, { migrationsDir: dir });
    expect(deployed.output).toContain("All migrations have been successfully applied");

    await withDb(target, async (p) => {
      expect((await migrationState(p, dir)).applied).toContain("007_function");
      expect(await relationExists(p, "file_audit_file_uuid_idx")).toBe(true);

      const [file] = await p.$queryRawUnsafe<{ file_uuid: string }[]>(
        `INSERT INTO project_files (project_id, ui_name, file_path) VALUES ($1::uuid, 'a.csv', '/a.csv')
         RETURNING file_uuid::text`,
        PROJECT,
      );
      const audit = await p.$queryRawUnsafe<{ action: string; note: string }[]>(
        "SELECT action, note FROM file_audit WHERE file_uuid = $1::uuid",
        file?.file_uuid,
      );
      expect(audit).toEqual([{ action: "insert", note: "created; by trigger" }]);
      const [count] = await p.$queryRawUnsafe<{ n: number }[]>(
        "SELECT file_audit_count($1::uuid) AS n",
        file?.file_uuid,
      );
      expect(count?.n).toBe(1);
    });
  });

  it("npm run db:migrate applies everything to an empty database, then has nothing to do", async () => {
    const target = await freshTarget();
    const first = await runOperator(["migrate"], target);
    expect(first.output).toContain("All migrations have been successfully applied");
    expect(first.code).toBe(0);

    const second = await runOperator(["migrate"], target);
    expect(second.output).toContain("No pending migrations");
    expect(second.code).toBe(0);

    await withDb(target, async (p) => {
      const state = await migrationState(p);
      expect(state.applied).toEqual(migrationNames());
      expect(state.failed).toEqual([]);
    });
  });
});
