// The upgrade the seed is about: a database whose 001 was applied by hand and holds real data is
// baselined and brought to the latest migration by the operator commands, without changing any existing value.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_MIGRATION } from "../../src/db/baseline.ts";
import { PROJECT_ROOT } from "../../src/db/migrations.ts";
import { CLASSIFICATIONS } from "../../src/domain/vocabulary.ts";
import { insertLegacyFiles, legacyFiles, PROJECT_CEILING, PROJECTS } from "../fixtures/legacy-data.ts";
import { emptyDatabase, type TestDatabase } from "../helpers/db.ts";
import { runOperator } from "../helpers/operator.ts";
import { type RawSql, withRawSql } from "../helpers/raw.ts";

const LEGACY_001 = readFileSync(join(PROJECT_ROOT, "test/fixtures/legacy-001.sql"), "utf8");

/** md5 over every row's values of the given columns, in file_uuid order. */
async function checksum(sql: RawSql, columns: string[]): Promise<string> {
  const [row] = await sql.query<{ sum: string }>(
    `SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.file_uuid)) AS sum
     FROM (SELECT ${columns.join(", ")} FROM project_files) t`,
  );
  return row?.sum ?? "";
}

async function columnNames(sql: RawSql): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
     WHERE attrelid = 'project_files'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  );
  return rows.map((r) => r.name);
}

describe("upgrading a hand-applied 001 that holds data", () => {
  const files = legacyFiles();
  let legacy: TestDatabase;
  let before: { columns: string[]; sum: string };
  let baselineRun: { code: number; output: string };
  let migrateRun: { code: number; output: string };

  beforeAll(async () => {
    legacy = await emptyDatabase();
    before = await withRawSql(legacy.target, async (sql) => {
      await sql.exec(LEGACY_001);
      await insertLegacyFiles(sql, files);
      const columns = await columnNames(sql);
      return { columns, sum: await checksum(sql, columns) };
    });
    baselineRun = await runOperator(["baseline"], legacy.target);
    migrateRun = await runOperator(["migrate"], legacy.target);
  });
  afterAll(() => legacy?.drop());

  it("the fixture is realistic: projects, workspaces, 3-level trees, legacy NULL roots, every classification", () => {
    expect(new Set(files.map((f) => f.project_id)).size).toBe(3);
    expect(new Set(files.map((f) => f.workspace_id)).size).toBeGreaterThan(3);
    expect(Math.max(...files.map((f) => f.lineage_depth))).toBe(2);
    expect(files.filter((f) => f.parent_file_uuid === null && f.root_file_uuid === null)).toHaveLength(3);
    expect(new Set(files.map((f) => f.data_classification))).toEqual(new Set(CLASSIFICATIONS));
    expect(files.some((f) => f.processing_errors.length > 0 && f.deleted_at === null)).toBe(true);
    expect(files.some((f) => f.deleted_at !== null)).toBe(true);
  });

  it("baseline accepts the hand-written 001 and marks it applied; migrate brings it to the latest", async () => {
    expect(baselineRun.output).toContain(`project_files matches ${BASE_MIGRATION}: marked it as applied`);
    expect(baselineRun.code).toBe(0);
    expect(migrateRun.output).toContain("All migrations have been successfully applied");
    expect(migrateRun.code).toBe(0);
    const applied = await withRawSql(legacy.target, (sql) =>
      sql.query<{ migration_name: string; applied_steps_count: number }>(
        "SELECT migration_name, applied_steps_count FROM _prisma_migrations ORDER BY migration_name",
      ),
    );
    expect(applied.map((m) => m.migration_name)).toEqual([
      "001_create_project_files_schema_enhanced",
      "003_create_data_boundary_contracts",
      "004_add_boundary_contracts_to_materializations",
      "005_create_default_boundary_contracts_for_existing_data",
      "006_update_existing_contracts_with_workspace_scope",
      "007_add_processing_attempts_and_idempotency_keys",
      "008_lineage_invariants",
    ]);
    // 001 was recorded, not run: its steps were applied by hand
    expect(applied[0]?.applied_steps_count).toBe(0);
  });

  it("leaves every original row and column value unchanged", async () => {
    const after = await withRawSql(legacy.target, (sql) => checksum(sql, before.columns));
    expect(after).toBe(before.sum);
  });

  it("gives every file a contract, and each project exactly one default contract covering its files", async () => {
    await withRawSql(legacy.target, async (sql) => {
      const [unlinked] = await sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM project_files WHERE boundary_contract_id IS NULL",
      );
      expect(unlinked?.n).toBe(0);
      const contracts = await sql.query<{
        project_id: string;
        contract_id: string;
        is_default: boolean;
        status: string;
        max_data_classification: string;
        scope: { workspace_ids?: string[] };
      }>("SELECT * FROM data_boundary_contracts ORDER BY project_id");
      expect(contracts.map((c) => c.project_id)).toEqual(PROJECTS);
      for (const [p, project] of PROJECTS.entries()) {
        const mine = contracts.filter((c) => c.project_id === project);
        expect(mine).toHaveLength(1);
        const contract = mine[0];
        expect(contract).toMatchObject({ is_default: true, status: "active" });
        // the ceiling covers the most sensitive file of the project, and no more
        expect(contract?.max_data_classification).toBe(PROJECT_CEILING[p]);
        // 006: the workspaces of the files linked to it
        const workspaces = [
          ...new Set(files.filter((f) => f.project_id === project && f.workspace_id).map((f) => f.workspace_id)),
        ].sort();
        expect(contract?.scope.workspace_ids).toEqual(workspaces);
        const linked = await sql.query<{ project_id: string }>(
          "SELECT DISTINCT project_id FROM project_files WHERE boundary_contract_id = $1",
          [contract?.contract_id],
        );
        expect(linked).toEqual([{ project_id: project }]);
      }
    });
  });

  it("marks pre-existing rows as originals and leaves the other new columns empty", async () => {
    const rows = await withRawSql(legacy.target, (sql) =>
      sql.query<{ representation_type: string; n: number; scopes: number }>(
        `SELECT representation_type, count(*)::int AS n, count(materialization_scope)::int AS scopes
         FROM project_files GROUP BY representation_type`,
      ),
    );
    expect(rows).toEqual([{ representation_type: "original", n: files.length, scopes: 0 }]);
  });

  it("007 counts the processing attempts legacy rows already made", async () => {
    const rows = await withRawSql(legacy.target, (sql) =>
      sql.query<{ processing_status: string; attempts: number[]; keys: number }>(
        `SELECT processing_status, array_agg(DISTINCT processing_attempts) AS attempts, count(idempotency_key)::int AS keys
         FROM project_files GROUP BY processing_status ORDER BY processing_status`,
      ),
    );
    expect(rows).toEqual([
      { processing_status: "completed", attempts: [1], keys: 0 },
      // two errors recorded, the second at attempt 2
      { processing_status: "failed", attempts: [2], keys: 0 },
      { processing_status: "pending", attempts: [0], keys: 0 },
      { processing_status: "processing", attempts: [1], keys: 0 },
      { processing_status: "skipped", attempts: [0], keys: 0 },
    ]);
  });

  it("db:verify reports the upgraded database clean, legacy roots included", async () => {
    const verify = await runOperator(["verify"], legacy.target);
    expect(verify.output).toContain("verification passed");
    expect(verify.output).toContain("3 legacy roots with a NULL root_file_uuid");
    // 008's triggers are in, and left the legacy rows as they were (checked above)
    expect(verify.output).toContain("ok    the lineage rules are enforced by the database");
    expect(verify.code).toBe(0);
  });

  it("a second baseline and a second migrate change nothing", async () => {
    const snapshot = (sql: RawSql) =>
      Promise.all([
        checksum(sql, before.columns.concat(["boundary_contract_id", "representation_type", "materialization_scope"])),
        sql.query("SELECT * FROM data_boundary_contracts ORDER BY contract_id"),
        sql.query("SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name"),
      ]);
    const first = await withRawSql(legacy.target, snapshot);
    const again = await runOperator(["baseline"], legacy.target);
    expect(again.code).toBe(0);
    expect(again.output).toContain("already recorded as applied");
    const migrate = await runOperator(["migrate"], legacy.target);
    expect(migrate.code).toBe(0);
    expect(migrate.output).toContain("No pending migrations");
    expect(await withRawSql(legacy.target, snapshot)).toEqual(first);
  });
});

describe("db:baseline refuses a database that does not hold 001", () => {
  it("refuses a project_files whose columns differ from 001, naming each difference, and changes nothing", async () => {
    const db = await emptyDatabase();
    try {
      const drifted = LEGACY_001.replace("lineage_depth integer NOT NULL", "lineage_depth text NOT NULL")
        .replace(/ {4}permissions jsonb NOT NULL DEFAULT '\{\}'::jsonb,\n/, "")
        .replace("file_path text NOT NULL,", "file_path text NOT NULL,\n    session_id text,")
        .replace("created_by text,", "created_by text NOT NULL,")
        .replace(/CHECK \(lineage_depth >= 0\)/, "");
      await withRawSql(db.target, (sql) => sql.exec(drifted));
      const run = await runOperator(["baseline"], db.target);
      expect(run.code).toBe(1);
      expect(run.output).toContain("Refusing to baseline: project_files does not match");
      expect(run.output).toContain("column lineage_depth is text, 001 has integer");
      expect(run.output).toContain("column permissions (jsonb) is missing");
      expect(run.output).toContain("column session_id (text) is not part of 001");
      expect(run.output).toContain("column created_by is NOT NULL, 001 has it nullable");
      const [state] = await withRawSql(db.target, (sql) =>
        sql.query<{ tracked: boolean }>("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS tracked"),
      );
      expect(state?.tracked).toBe(false);
    } finally {
      await db.drop();
    }
  });

  it("refuses an empty database and points to db:migrate", async () => {
    const db = await emptyDatabase();
    try {
      const run = await runOperator(["baseline"], db.target);
      expect(run.code).toBe(1);
      expect(run.output).toContain("no project_files table");
      expect(run.output).toContain("npm run db:migrate");
    } finally {
      await db.drop();
    }
  });
});
