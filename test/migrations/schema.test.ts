// An empty database, all five migrations through Prisma Migrate, and the final schema has every
// column, foreign key and index of SPEC.md. Runs on whichever backend the run uses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { migrateDeploy, migrationNames, migrationState } from "../../src/db/migrations.ts";
import { checkConstraints, columns, foreignKeys, indexes } from "../helpers/catalog.ts";
import { emptyDatabase, type TestDatabase } from "../helpers/db.ts";

const TS = "timestamp(6) with time zone";

describe("an empty database migrated to the latest migration", () => {
  let empty: TestDatabase;
  let db: Database;
  let deployOutput: string;

  beforeAll(async () => {
    empty = await emptyDatabase();
    deployOutput = (await migrateDeploy(empty.target)).output;
    db = await openDatabase(empty.target, { poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
    await empty?.drop();
  });

  it("applies the seed's five migrations, under their names and in their order", async () => {
    expect(migrationNames().slice(0, 5)).toEqual([
      "001_create_project_files_schema_enhanced",
      "003_create_data_boundary_contracts",
      "004_add_boundary_contracts_to_materializations",
      "005_create_default_boundary_contracts_for_existing_data",
      "006_update_existing_contracts_with_workspace_scope",
    ]);
    const state = await migrationState(db.prisma);
    expect(state.pending).toEqual([]);
    expect(state.failed).toEqual([]);
    expect(state.applied).toEqual(migrationNames());
    expect(deployOutput).toContain("All migrations have been successfully applied");
  });

  it("project_files has every column of 001, 004 and 007, with its type and nullability", async () => {
    const cols = await columns(db.prisma, "project_files");
    const expected: Record<string, [string, boolean]> = {
      file_uuid: ["uuid", false],
      project_id: ["uuid", false],
      workspace_id: ["uuid", true],
      ui_name: ["text", false],
      file_path: ["text", false],
      file_type: ["text", true],
      mime_type: ["text", true],
      file_size_bytes: ["bigint", true],
      checksum_sha256: ["text", true],
      storage_backend: ["text", true],
      metadata: ["jsonb", false],
      created_by: ["text", true],
      created_at: [TS, false],
      updated_at: [TS, false],
      deleted_at: [TS, true],
      processing_status: ["text", false],
      processing_errors: ["jsonb", false],
      processing_started_at: [TS, true],
      processing_completed_at: [TS, true],
      root_file_uuid: ["uuid", true],
      parent_file_uuid: ["uuid", true],
      lineage_depth: ["integer", false],
      access_level: ["text", false],
      permissions: ["jsonb", false],
      data_classification: ["text", false],
      // 004: nullable, so rows that predate it stay valid
      boundary_contract_id: ["uuid", true],
      representation_type: ["text", true],
      materialization_scope: ["jsonb", true],
      // 007: attempts counted by updateProcessingStatus; registerMaterialization's idempotency key
      processing_attempts: ["integer", false],
      idempotency_key: ["text", true],
    };
    expect(cols).toEqual(
      Object.fromEntries(Object.entries(expected).map(([k, [type, nullable]]) => [k, { type, nullable }])),
    );
    // a session is a runtime concept: it lives inside materialization_scope, never as a column
    expect(cols).not.toHaveProperty("session_id");
  });

  it("data_boundary_contracts has every column of 003", async () => {
    const cols = await columns(db.prisma, "data_boundary_contracts");
    expect(Object.keys(cols).sort()).toEqual(
      [
        "contract_id",
        "project_id",
        "name",
        "description",
        "allowed_representation_types",
        "max_data_classification",
        "retention_days",
        "scope",
        "is_default",
        "status",
        "created_at",
        "updated_at",
      ].sort(),
    );
    expect(cols.allowed_representation_types?.type).toBe("text[]");
    expect(cols.scope).toEqual({ type: "jsonb", nullable: false });
    expect(cols.is_default).toEqual({ type: "boolean", nullable: false });
    expect(cols.retention_days).toEqual({ type: "integer", nullable: true });
  });

  it("has the lineage self-references and the contract reference as foreign keys", async () => {
    expect(await foreignKeys(db.prisma, "project_files")).toEqual([
      "project_files.boundary_contract_id -> data_boundary_contracts.contract_id",
      "project_files.parent_file_uuid -> project_files.file_uuid",
      "project_files.root_file_uuid -> project_files.file_uuid",
    ]);
  });

  it("has the indexes that lineage and listing need", async () => {
    expect(await indexes(db.prisma, "project_files")).toEqual({
      project_files_pkey: "UNIQUE btree (file_uuid)",
      project_files_project_id_created_at_file_uuid_idx: "btree (project_id, created_at, file_uuid)",
      project_files_created_at_file_uuid_idx: "btree (created_at, file_uuid)",
      project_files_workspace_id_idx: "btree (workspace_id)",
      project_files_processing_status_idx: "btree (processing_status)",
      project_files_parent_file_uuid_idx: "btree (parent_file_uuid)",
      project_files_root_file_uuid_lineage_depth_file_uuid_idx: "btree (root_file_uuid, lineage_depth, file_uuid)",
      project_files_boundary_contract_id_idx: "btree (boundary_contract_id)",
      project_files_project_id_idempotency_key_key: "UNIQUE btree (project_id, idempotency_key)",
    });
    expect(await indexes(db.prisma, "data_boundary_contracts")).toEqual({
      data_boundary_contracts_pkey: "UNIQUE btree (contract_id)",
      data_boundary_contracts_project_id_name_key: "UNIQUE btree (project_id, name)",
      data_boundary_contracts_project_id_status_idx: "btree (project_id, status)",
      data_boundary_contracts_one_default_per_project: "UNIQUE btree (project_id) WHERE is_default",
    });
  });

  it("guards the closed vocabularies and JSON shapes with CHECK constraints", async () => {
    expect(await checkConstraints(db.prisma, "project_files")).toEqual([
      "project_files_access_level_check",
      "project_files_data_classification_check",
      "project_files_file_size_bytes_check",
      "project_files_idempotency_key_check",
      "project_files_lineage_depth_check",
      "project_files_metadata_object_check",
      "project_files_not_own_parent_check",
      "project_files_permissions_object_check",
      "project_files_processing_attempts_check",
      "project_files_processing_errors_array_check",
      "project_files_processing_status_check",
    ]);
    await expect(
      db.prisma.$executeRawUnsafe(
        `INSERT INTO project_files (project_id, ui_name, file_path, data_classification)
         VALUES (gen_random_uuid(), 'x', '/x', 'secret')`,
      ),
    ).rejects.toThrow(/project_files_data_classification_check/);
    const project = "11111111-1111-4111-8111-111111111111";
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO data_boundary_contracts (project_id, name, is_default) VALUES ($1::uuid, 'a', true)`,
      project,
    );
    await expect(
      db.prisma.$executeRawUnsafe(
        `INSERT INTO data_boundary_contracts (project_id, name, is_default) VALUES ($1::uuid, 'b', true)`,
        project,
      ),
    ).rejects.toThrow(/data_boundary_contracts_one_default_per_project/);
  });
});
