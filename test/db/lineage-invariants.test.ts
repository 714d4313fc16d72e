// Migration 008: the lineage rules of SPEC.md held by the database for every writer. Bad rows are
// written with plain SQL, as a script or psql would, and refused with SQLSTATE 23514 and a named
// rule; good ones get their root and depth filled in; lineage never changes once written; legacy
// rows (written around the triggers) keep working; db:verify reports what slipped through and
// triggers that are off. Runs on the run's backend (PGlite or PostgreSQL 15).
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { domainErrorOf, transaction } from "../../src/db/errors.ts";
import { MIGRATIONS_DIR, migrateDeploy } from "../../src/db/migrations.ts";
import { openPGlite } from "../../src/db/pglite-adapter.ts";
import { type Check, LINEAGE_TRIGGERS, verify } from "../../src/db/verify.ts";
import { ValidationError } from "../../src/domain/errors.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { type MutationOutcome, type TestApp, testApp } from "../helpers/app.ts";
import { backend, emptyDatabase, migratedDatabase } from "../helpers/db.ts";
import { buildContract, buildFile, buildLegacyFile } from "../helpers/factories.ts";
import { withRawSql } from "../helpers/raw.ts";

/** What PostgreSQL (and PGlite, which mirrors it) reports about a refused statement. */
interface PgError {
  code: string;
  constraint?: string;
  table?: string;
  column?: string;
  message: string;
  hint?: string;
}

interface Raw {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

interface LineageDb {
  /** The app's client over the database. */
  prisma: PrismaClient;
  /** A plain SQL session on the same database, as psql would have. */
  raw: Raw;
  drop(): Promise<void>;
}

/**
 * A migrated database with both the app's Prisma client and a plain SQL session on it. On PGlite
 * this loads the run's template like migratedDatabase() does, keeping the instance for raw SQL
 * (one connection: the raw session is the one Prisma uses); on PostgreSQL a pg client connects.
 */
async function lineageDb(): Promise<LineageDb> {
  if (backend() === "postgres") {
    const m = await migratedDatabase();
    if (m.target.kind !== "postgres") throw new Error("expected a PostgreSQL target");
    const client = new pg.Client({ connectionString: m.target.url });
    await client.connect();
    return {
      prisma: m.db.prisma,
      raw: {
        query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        exec: async (sql) => {
          await client.query(sql);
        },
      },
      async drop() {
        await client.end();
        await m.drop();
      },
    };
  }
  const pglite = openPGlite("memory://", { loadDataDir: new Blob([readFileSync(inject("template"))]) });
  const db = await openDatabase({ kind: "pglite", dir: "memory://" }, { pglite });
  return {
    prisma: db.prisma,
    raw: {
      query: async <T>(sql: string, params?: unknown[]) => (await pglite.query<T>(sql, params)).rows,
      exec: async (sql) => {
        await pglite.exec(sql);
      },
    },
    drop: () => db.close(),
  };
}

/** One row to insert: lineage columns left undefined are left out (NULL root, default depth 0). */
interface Row {
  id: string;
  project: string;
  parent?: string | null;
  root?: string | null;
  depth?: number;
}

interface Written {
  id: string;
  root: string | null;
  depth: number;
  parent: string | null;
  project: string;
}

const RETURNING = `RETURNING file_uuid::text AS id, root_file_uuid::text AS root, lineage_depth AS depth,
  parent_file_uuid::text AS parent, project_id::text AS project`;

/** A (multi-row) INSERT of the rows, in the given order, with parameters. */
function insertSql(rows: Row[]): [string, unknown[]] {
  const params: unknown[] = [];
  const p = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const values = rows.map(
    (r) =>
      `(${p(r.id, "uuid")}, ${p(r.project, "uuid")}, 'file.csv', '/file.csv', ${p(r.parent ?? null, "uuid")}, ` +
      `${p(r.root ?? null, "uuid")}, ${r.depth === undefined ? "DEFAULT" : p(r.depth, "int")})`,
  );
  return [
    `INSERT INTO project_files (file_uuid, project_id, ui_name, file_path, parent_file_uuid, root_file_uuid, lineage_depth)
     VALUES ${values.join(", ")} ${RETURNING}`,
    params,
  ];
}

const insert = (raw: Raw, ...rows: Row[]) => raw.query<Written>(...insertSql(rows));

/** The statement's error; fails the test when the database accepts it. */
async function refusal(raw: Raw, sql: string, params: unknown[] = []): Promise<PgError> {
  try {
    await raw.query(sql, params);
  } catch (error) {
    return error as PgError;
  }
  throw new Error(`expected the database to refuse: ${sql}`);
}

/** Runs fn with every trigger off in the raw session, as old code (or a restore) wrote rows. */
async function aroundTriggers<T>(raw: Raw, fn: () => Promise<T>): Promise<T> {
  await raw.exec("SET session_replication_role = replica");
  try {
    return await fn();
  } finally {
    await raw.exec("RESET session_replication_role");
  }
}

async function row(raw: Raw, id: string): Promise<Written | undefined> {
  const [found] = await raw.query<Written>(
    `SELECT file_uuid::text AS id, root_file_uuid::text AS root, lineage_depth AS depth,
            parent_file_uuid::text AS parent, project_id::text AS project
     FROM project_files WHERE file_uuid = $1::uuid`,
    [id],
  );
  return found;
}

async function count(raw: Raw): Promise<number> {
  const [n] = await raw.query<{ n: number }>("SELECT count(*)::int AS n FROM project_files");
  return n?.n ?? -1;
}

/** A root, its child and its grandchild, with the bookkeeping left to the database (NULL roots). */
async function tree(raw: Raw) {
  const project = randomUUID();
  const [root] = (await insert(raw, { id: randomUUID(), project })) as [Written];
  const [child] = (await insert(raw, { id: randomUUID(), project, parent: root.id })) as [Written];
  const [grandchild] = (await insert(raw, { id: randomUUID(), project, parent: child.id })) as [Written];
  return { project, root, child, grandchild };
}

type Tree = Awaited<ReturnType<typeof tree>>;

const failing = (checks: Check[]) => Object.fromEntries(checks.filter((c) => !c.ok).map((c) => [c.name, c.detail]));

const RULES = {
  root: "a root (no parent) is its own root at depth 0; a NULL root is a legacy root",
  childRoot: "a derived file's root is its parent's root",
  depth: "a derived file's depth is its parent's depth + 1",
  project: "a derived file is in its parent's project",
  cycles: "no lineage cycles (every file reaches a root)",
  triggers: "the lineage rules are enforced by the database (triggers installed and enabled)",
};

describe("lineage invariants held by the database (migration 008)", () => {
  let d: LineageDb;
  let raw: Raw;
  beforeAll(async () => {
    d = await lineageDb();
    raw = d.raw;
  });
  afterAll(() => d?.drop());

  describe("INSERT refuses every bad row shape, writing nothing", () => {
    interface BadShape {
      name: string;
      rows: (f: Tree, id: string) => Row[];
      constraint: string;
      /** What the message must name, besides the file. */
      names: (f: Tree, id: string) => string[];
    }
    const shapes: BadShape[] = [
      {
        name: "a root at depth 2",
        rows: (f, id) => [{ id, project: f.project, depth: 2 }],
        constraint: "project_files_lineage_depth_rule_check",
        names: () => ["lineage_depth 0, not 2"],
      },
      {
        name: "a root whose root is another file",
        rows: (f, id) => [{ id, project: f.project, root: f.root.id }],
        constraint: "project_files_lineage_root_check",
        names: (f, id) => [`must be ${id}, not ${f.root.id}`],
      },
      {
        name: "a file whose parent does not exist",
        rows: (f, id) => [{ id, project: f.project, parent: "00000000-0000-4000-8000-00000000dead" }],
        constraint: "project_files_lineage_parent_check",
        names: () => ["00000000-0000-4000-8000-00000000dead does not exist"],
      },
      {
        name: "a file in another project than its parent",
        rows: (_f, id) => [{ id, project: "22222222-2222-4222-8222-222222222222", parent: _f.child.id }],
        constraint: "project_files_lineage_project_check",
        names: (f) => [f.child.id, `in project ${f.project}, not 22222222-2222-4222-8222-222222222222`],
      },
      {
        name: "a file whose root is not its parent's root",
        rows: (f, id) => [{ id, project: f.project, parent: f.grandchild.id, root: f.child.id, depth: 3 }],
        constraint: "project_files_lineage_root_check",
        names: (f) => [f.grandchild.id, `must be ${f.root.id}, not ${f.child.id}`],
      },
      {
        name: "a file with the right root at depth 0 (a given root leaves the depth to the writer)",
        rows: (f, id) => [{ id, project: f.project, parent: f.child.id, root: f.root.id, depth: 0 }],
        constraint: "project_files_lineage_depth_rule_check",
        names: (f) => [f.child.id, "at depth 1, so lineage_depth must be 2, not 0"],
      },
      {
        name: "a file with the right root that skips a level",
        rows: (f, id) => [{ id, project: f.project, parent: f.child.id, root: f.root.id, depth: 5 }],
        constraint: "project_files_lineage_depth_rule_check",
        names: () => ["lineage_depth must be 2, not 5"],
      },
      {
        name: "a file with a NULL root and a wrong non-zero depth",
        rows: (f, id) => [{ id, project: f.project, parent: f.grandchild.id, depth: 7 }],
        constraint: "project_files_lineage_depth_rule_check",
        names: (f) => [f.grandchild.id, "lineage_depth must be 3, not 7"],
      },
      {
        name: "a file that is its own parent",
        rows: (f, id) => [{ id, project: f.project, parent: id }],
        constraint: "project_files_not_own_parent_check",
        names: () => ["cannot be its own parent"],
      },
      {
        name: "a multi-row INSERT that lists a child before its parent",
        rows: (f, id) => [
          { id, project: f.project, parent: "33333333-3333-4333-8333-333333333333" },
          { id: "33333333-3333-4333-8333-333333333333", project: f.project, parent: f.root.id },
        ],
        constraint: "project_files_lineage_parent_check",
        names: () => ["its parent 33333333-3333-4333-8333-333333333333 does not exist", "list parents before"],
      },
    ];

    it.each(shapes)("$name: 23514 $constraint, naming the file, and nothing written", async (shape) => {
      const f = await tree(raw);
      const id = randomUUID();
      const before = await count(raw);
      const rows = shape.rows(f, id);
      const error = await refusal(raw, ...insertSql(rows));
      expect(error.code).toBe("23514");
      expect(error.constraint).toBe(shape.constraint);
      expect(error.table).toBe("project_files");
      expect(error.message).toContain(`file ${id} violates constraint "${shape.constraint}"`);
      for (const part of shape.names(f, id)) expect(`${error.message} ${error.hint ?? ""}`).toContain(part);
      expect(await count(raw)).toBe(before);
      for (const r of rows) expect(await row(raw, r.id)).toBeUndefined();
    });

    it("a parent's legacy NULL root is read as the parent itself: another root under it is refused", async () => {
      const project = randomUUID();
      const legacy = randomUUID();
      await aroundTriggers(raw, () => insert(raw, { id: legacy, project }));
      const other = (await tree(raw)).root.id;
      const id = randomUUID();
      const error = await refusal(raw, ...insertSql([{ id, project, parent: legacy, root: other, depth: 1 }]));
      expect(error).toMatchObject({ code: "23514", constraint: "project_files_lineage_root_check" });
      expect(error.message).toContain(`its parent ${legacy} has root ${legacy}, so root_file_uuid must be ${legacy}`);
    });
  });

  describe("INSERT fills in what the writer left to the database", () => {
    it("a root with a NULL root gets itself; one that names itself is kept", async () => {
      const project = randomUUID();
      const [a] = await insert(raw, { id: randomUUID(), project });
      expect(a).toMatchObject({ root: a?.id, depth: 0, parent: null });
      const id = randomUUID();
      const [b] = await insert(raw, { id, project, root: id, depth: 0 });
      expect(b).toMatchObject({ id, root: id, depth: 0 });
    });

    it("a child with a NULL root and the default depth gets its parent's root and depth + 1", async () => {
      const f = await tree(raw);
      expect(f.child).toMatchObject({ root: f.root.id, depth: 1, parent: f.root.id });
      expect(f.grandchild).toMatchObject({ root: f.root.id, depth: 2, parent: f.child.id });
      // a NULL root with the right depth: the root is filled, the depth kept
      const [right] = await insert(raw, { id: randomUUID(), project: f.project, parent: f.grandchild.id, depth: 3 });
      expect(right).toMatchObject({ root: f.root.id, depth: 3 });
      // both given and right: kept as written
      const [given] = await insert(raw, {
        id: randomUUID(),
        project: f.project,
        parent: f.child.id,
        root: f.root.id,
        depth: 2,
      });
      expect(given).toMatchObject({ root: f.root.id, depth: 2 });
    });

    it("a multi-row INSERT of a small tree in depth order: each row sees the rows before it", async () => {
      const project = randomUUID();
      const [r, a, b, a1, a11] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const rows = await insert(
        raw,
        { id: r, project },
        { id: a, project, parent: r },
        { id: b, project, parent: r },
        { id: a1, project, parent: a },
        { id: a11, project, parent: a1 },
      );
      expect(rows.map((x) => [x.id, x.root, x.depth])).toEqual([
        [r, r, 0],
        [a, r, 1],
        [b, r, 1],
        [a1, r, 2],
        [a11, r, 3],
      ]);
    });

    it("the app's own writes (Prisma create, createMany) pass unchanged", async () => {
      const root = await buildFile(d.prisma);
      const child = await buildFile(d.prisma, { parent: root });
      expect(child).toMatchObject({ rootFileId: root.id, lineageDepth: 1, projectId: root.projectId });
      const ids = [randomUUID(), randomUUID()];
      await d.prisma.projectFile.createMany({
        data: [
          { id: ids[0], projectId: root.projectId, uiName: "a", filePath: "/a", parentFileId: child.id },
          { id: ids[1], projectId: root.projectId, uiName: "b", filePath: "/b", parentFileId: ids[0] },
        ],
      });
      expect(await row(raw, ids[1] as string)).toMatchObject({ root: root.id, depth: 3, parent: ids[0] });
    });
  });

  describe("legacy rows written around the triggers", () => {
    it("a legacy root (NULL root) keeps its NULL root and takes children, which get root = its id", async () => {
      const project = randomUUID();
      const legacy = randomUUID();
      await aroundTriggers(raw, () => insert(raw, { id: legacy, project }));
      expect(await row(raw, legacy)).toMatchObject({ root: null, depth: 0 });

      const [child] = await insert(raw, { id: randomUUID(), project, parent: legacy });
      expect(child).toMatchObject({ root: legacy, depth: 1 });
      const [grandchild] = await insert(raw, { id: randomUUID(), project, parent: child?.id });
      expect(grandchild).toMatchObject({ root: legacy, depth: 2 });
      const viaPrisma = await buildFile(d.prisma, {
        parent: { ...(await d.prisma.projectFile.findUniqueOrThrow({ where: { id: legacy } })) },
      });
      expect(viaPrisma).toMatchObject({ rootFileId: legacy, lineageDepth: 1 });
      // nothing rewrote the legacy row
      expect(await row(raw, legacy)).toMatchObject({ root: null, depth: 0 });
    });

    it("a legacy row that breaks a rule still takes ordinary updates (the update trigger checks only lineage changes)", async () => {
      const f = await tree(raw);
      const bad = randomUUID();
      await aroundTriggers(raw, () => insert(raw, { id: bad, project: f.project, parent: f.child.id, depth: 9 }));
      await raw.query(
        `UPDATE project_files SET processing_status = 'processing', deleted_at = now(), metadata = '{"k": 1}',
           lineage_depth = lineage_depth, parent_file_uuid = parent_file_uuid
         WHERE file_uuid = $1::uuid`,
        [bad],
      );
      const [after] = await raw.query<{ processing_status: string; deleted: boolean; depth: number }>(
        `SELECT processing_status, deleted_at IS NOT NULL AS deleted, lineage_depth AS depth
         FROM project_files WHERE file_uuid = $1::uuid`,
        [bad],
      );
      expect(after).toEqual({ processing_status: "processing", deleted: true, depth: 9 });
    });
  });

  describe("UPDATE: lineage is append-only", () => {
    const update = (set: string, id: string, params: unknown[] = []) =>
      refusal(raw, `UPDATE project_files SET ${set} WHERE file_uuid = $1::uuid`, [id, ...params]);

    it("refuses every change of parent, depth or a set root, naming the file and both values", async () => {
      const f = await tree(raw);
      const other = await tree(raw);
      const cases: [string, string, unknown[], string[]][] = [
        ["parent_file_uuid = $2::uuid", f.grandchild.id, [f.root.id], [`from ${f.child.id} to ${f.root.id}`]],
        ["parent_file_uuid = NULL", f.child.id, [], [`from ${f.root.id} to NULL`]],
        ["parent_file_uuid = $2::uuid", f.root.id, [other.root.id], [`from NULL to ${other.root.id}`]],
        ["lineage_depth = 4", f.child.id, [], ["lineage_depth cannot change from 1 to 4"]],
        ["lineage_depth = lineage_depth + 1", f.root.id, [], ["from 0 to 1"]],
        ["root_file_uuid = $2::uuid", f.child.id, [other.root.id], [`from ${f.root.id} to ${other.root.id}`]],
        ["root_file_uuid = NULL", f.root.id, [], [`from ${f.root.id} to NULL`]],
        // a whole consistent move is refused too
        [
          "parent_file_uuid = $2::uuid, root_file_uuid = $3::uuid, project_id = $4::uuid",
          f.grandchild.id,
          [other.child.id, other.root.id, other.project],
          ["parent_file_uuid cannot change"],
        ],
      ];
      const before = JSON.stringify(await raw.query("SELECT * FROM project_files ORDER BY file_uuid"));
      for (const [set, id, params, names] of cases) {
        const error = await update(set, id, params);
        expect(error.code, set).toBe("23514");
        expect(error.constraint, set).toBe("project_files_lineage_immutable_check");
        expect(error.message, set).toContain(`file ${id} violates constraint "project_files_lineage_immutable_check"`);
        for (const part of names) expect(error.message, set).toContain(part);
      }
      expect(JSON.stringify(await raw.query("SELECT * FROM project_files ORDER BY file_uuid"))).toBe(before);
    });

    it("an UPDATE that would make a cycle is refused (the root under its own grandchild; a file its own parent)", async () => {
      const f = await tree(raw);
      const cycle = await update("parent_file_uuid = $2::uuid, lineage_depth = 3", f.root.id, [f.grandchild.id]);
      expect(cycle).toMatchObject({ code: "23514", constraint: "project_files_lineage_immutable_check" });
      const self = await update("parent_file_uuid = file_uuid", f.child.id);
      expect(self).toMatchObject({ code: "23514", constraint: "project_files_not_own_parent_check" });
      expect(self.message).toContain(`file ${f.child.id} violates constraint "project_files_not_own_parent_check"`);
      expect(await row(raw, f.root.id)).toMatchObject({ parent: null, depth: 0 });
      expect(await row(raw, f.child.id)).toMatchObject({ parent: f.root.id });
    });

    it("status, deleted_at and metadata updates (and lineage columns set to their own values) still work", async () => {
      const f = await tree(raw);
      await raw.query(
        `UPDATE project_files SET processing_status = 'processing', deleted_at = now(), metadata = '{"a": true}'
         WHERE project_id = $1::uuid`,
        [f.project],
      );
      await raw.query(
        `UPDATE project_files SET parent_file_uuid = parent_file_uuid, root_file_uuid = root_file_uuid,
           lineage_depth = lineage_depth, project_id = project_id WHERE project_id = $1::uuid`,
        [f.project],
      );
      const updated = await d.prisma.projectFile.update({
        where: { id: f.child.id },
        data: { processingStatus: "completed", deletedAt: null, parentFileId: f.root.id, lineageDepth: 1 },
      });
      expect(updated).toMatchObject({ processingStatus: "completed", deletedAt: null, rootFileId: f.root.id });
      const [n] = await raw.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM project_files
         WHERE project_id = $1::uuid AND metadata = '{"a": true}' AND processing_status IN ('processing', 'completed')`,
        [f.project],
      );
      expect(n?.n).toBe(3);
    });

    it("a legacy NULL root may be filled with the value the rule gives, and with nothing else", async () => {
      const project = randomUUID();
      const [legacyRoot, legacyChild] = [randomUUID(), randomUUID()];
      // old code: NULL roots everywhere
      await aroundTriggers(raw, () =>
        insert(raw, { id: legacyRoot, project }, { id: legacyChild, project, parent: legacyRoot, depth: 1 }),
      );
      const other = (await tree(raw)).root.id;

      const wrongRoot = await update("root_file_uuid = $2::uuid", legacyRoot, [other]);
      expect(wrongRoot).toMatchObject({ code: "23514", constraint: "project_files_lineage_root_check" });
      expect(wrongRoot.message).toContain(
        `may only be filled with ${legacyRoot} (itself: it has no parent), not ${other}`,
      );
      const wrongChild = await update("root_file_uuid = $2::uuid", legacyChild, [legacyChild]);
      expect(wrongChild).toMatchObject({ code: "23514", constraint: "project_files_lineage_root_check" });
      expect(wrongChild.message).toContain(
        `may only be filled with ${legacyRoot} (the root of its parent ${legacyRoot})`,
      );
      expect(await row(raw, legacyRoot)).toMatchObject({ root: null });

      // the child first: its parent's rule root is the parent itself, NULL or not
      await raw.query("UPDATE project_files SET root_file_uuid = $2::uuid WHERE file_uuid = $1::uuid", [
        legacyChild,
        legacyRoot,
      ]);
      await raw.query("UPDATE project_files SET root_file_uuid = file_uuid WHERE file_uuid = $1::uuid", [legacyRoot]);
      expect(await row(raw, legacyRoot)).toMatchObject({ root: legacyRoot });
      expect(await row(raw, legacyChild)).toMatchObject({ root: legacyRoot });
      // once set, it is set
      const again = await update("root_file_uuid = NULL", legacyRoot);
      expect(again.constraint).toBe("project_files_lineage_immutable_check");
    });

    it("project_id changes only for a lone root: refused with a parent, a child, or only a deleted child", async () => {
      const f = await tree(raw);
      const elsewhere = randomUUID();
      const withParent = await update("project_id = $2::uuid", f.grandchild.id, [elsewhere]);
      expect(withParent).toMatchObject({ code: "23514", constraint: "project_files_lineage_project_check" });
      expect(withParent.message).toContain(`its parent is ${f.child.id}`);
      const withChild = await update("project_id = $2::uuid", f.root.id, [elsewhere]);
      expect(withChild).toMatchObject({ code: "23514", constraint: "project_files_lineage_project_check" });
      expect(withChild.message).toContain(`it has child ${f.child.id}`);

      const [root] = await insert(raw, { id: randomUUID(), project: f.project });
      const [deletedChild] = await insert(raw, { id: randomUUID(), project: f.project, parent: root?.id });
      await raw.query("UPDATE project_files SET deleted_at = now() WHERE file_uuid = $1::uuid", [deletedChild?.id]);
      const withDeletedChild = await update("project_id = $2::uuid", root?.id as string, [elsewhere]);
      expect(withDeletedChild.constraint).toBe("project_files_lineage_project_check");

      const [lone] = await insert(raw, { id: randomUUID(), project: f.project });
      await raw.query("UPDATE project_files SET project_id = $2::uuid WHERE file_uuid = $1::uuid", [
        lone?.id,
        elsewhere,
      ]);
      expect(await row(raw, lone?.id as string)).toMatchObject({ project: elsewhere, root: lone?.id });
      // and children added later follow it to its new project
      const [child] = await insert(raw, { id: randomUUID(), project: elsewhere, parent: lone?.id });
      expect(child).toMatchObject({ root: lone?.id, depth: 1 });
    });
  });

  describe("the app's client maps a refusal to a typed domain error", () => {
    const cases: { rule: string; sqlOf: (f: Tree) => [string, unknown[]]; constraint: string; field: string }[] = [
      {
        rule: "root",
        sqlOf: (f) =>
          insertSql([{ id: randomUUID(), project: f.project, parent: f.child.id, root: f.child.id, depth: 2 }]),
        constraint: "project_files_lineage_root_check",
        field: "parentId",
      },
      {
        rule: "depth",
        sqlOf: (f) => insertSql([{ id: randomUUID(), project: f.project, depth: 1 }]),
        constraint: "project_files_lineage_depth_rule_check",
        field: "parentId",
      },
      {
        rule: "project",
        sqlOf: (f) => insertSql([{ id: randomUUID(), project: randomUUID(), parent: f.root.id }]),
        constraint: "project_files_lineage_project_check",
        field: "projectId",
      },
      {
        rule: "parent",
        sqlOf: (f) => insertSql([{ id: randomUUID(), project: f.project, parent: randomUUID() }]),
        constraint: "project_files_lineage_parent_check",
        field: "parentId",
      },
      {
        rule: "append-only",
        sqlOf: (f) => ["UPDATE project_files SET lineage_depth = 5 WHERE file_uuid = $1::uuid", [f.child.id]],
        constraint: "project_files_lineage_immutable_check",
        field: "parentId",
      },
    ];

    it.each(cases)(
      "$rule rule ($constraint): ValidationError on input.$field, and the whole transaction rolled back",
      async ({ sqlOf, constraint, field }) => {
        const f = await tree(raw);
        const [sql, params] = sqlOf(f);
        const before = await count(raw);
        let error: unknown;
        try {
          await transaction(d.prisma, async (tx) => {
            await tx.projectFile.create({ data: { projectId: f.project, uiName: "first write", filePath: "/first" } });
            await tx.$executeRawUnsafe(sql, ...params);
          });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ValidationError);
        const issue = (error as ValidationError).issues[0];
        expect(issue?.path).toEqual(["input", field]);
        expect(issue?.message).toContain(`breaks the lineage rule ${constraint}`);
        expect(await count(raw)).toBe(before);
      },
    );

    it("the same through the ORM: a bad depth from Prisma create, and a re-parenting Prisma update", async () => {
      const f = await tree(raw);
      const parent = await d.prisma.projectFile.findUniqueOrThrow({ where: { id: f.child.id } });
      const create = await buildFile(d.prisma, { parent, lineageDepth: 9 }).catch((e: unknown) => e);
      expect(domainErrorOf(create)).toEqual(expect.any(ValidationError));
      expect((domainErrorOf(create) as ValidationError).issues[0]?.message).toContain(
        "project_files_lineage_depth_rule_check",
      );
      const move = await d.prisma.projectFile
        .update({ where: { id: f.grandchild.id }, data: { parentFileId: f.root.id, lineageDepth: 1 } })
        .catch((e: unknown) => e);
      expect((domainErrorOf(move) as ValidationError).issues[0]?.message).toContain(
        "project_files_lineage_immutable_check",
      );
    });
  });

  describe("db:verify", () => {
    it("passes a clean database, naming the triggers it found enabled", async () => {
      const clean = await lineageDb();
      onTestFinished(() => clean.drop());
      const f = await tree(clean.raw);
      const contract = await buildContract(clean.prisma, { projectId: f.project });
      await clean.raw.query("UPDATE project_files SET boundary_contract_id = $1::uuid", [contract.id]);
      const checks = await verify(clean.prisma);
      expect(failing(checks)).toEqual({});
      expect(checks.find((c) => c.name === RULES.triggers)?.detail).toBe(`${LINEAGE_TRIGGERS.join(", ")} enabled`);
    });

    it("reports each bad row written around the triggers, and triggers disabled or dropped", async () => {
      const bad = await lineageDb();
      onTestFinished(() => bad.drop());
      const f = await tree(bad.raw);
      const ids = { rootAtDepth: randomUUID(), rootElsewhere: randomUUID(), badRoot: randomUUID() };
      const more = { badDepth: randomUUID(), otherProject: randomUUID(), a: randomUUID(), b: randomUUID() };
      await aroundTriggers(bad.raw, async () => {
        await insert(bad.raw, { id: ids.rootAtDepth, project: f.project, depth: 2 });
        await insert(bad.raw, { id: ids.rootElsewhere, project: f.project, root: f.root.id });
        await insert(bad.raw, { id: ids.badRoot, project: f.project, parent: f.child.id, root: f.child.id, depth: 2 });
        await insert(bad.raw, { id: more.badDepth, project: f.project, parent: f.child.id, root: f.root.id, depth: 5 });
        await insert(bad.raw, {
          id: more.otherProject,
          project: randomUUID(),
          parent: f.root.id,
          root: f.root.id,
          depth: 1,
        });
        // a two-file cycle
        await insert(bad.raw, { id: more.a, project: f.project, root: more.a });
        await insert(bad.raw, { id: more.b, project: f.project, parent: more.a, root: more.a, depth: 1 });
        await bad.raw.query(
          "UPDATE project_files SET parent_file_uuid = $2::uuid, lineage_depth = 2 WHERE file_uuid = $1::uuid",
          [more.a, more.b],
        );
      });
      let failed = failing(await verify(bad.prisma));
      expect(failed[RULES.root]).toContain(ids.rootAtDepth);
      expect(failed[RULES.root]).toContain(ids.rootElsewhere);
      expect(failed[RULES.childRoot]).toContain(ids.badRoot);
      expect(failed[RULES.depth]).toContain(more.badDepth);
      expect(failed[RULES.project]).toContain(more.otherProject);
      expect(failed[RULES.cycles]).toMatch(/^2 rows break it/);
      expect(failed[RULES.cycles]).toContain(more.a);
      expect(failed[RULES.triggers]).toBeUndefined();

      await bad.raw.exec("ALTER TABLE project_files DISABLE TRIGGER project_files_lineage_on_update");
      failed = failing(await verify(bad.prisma));
      expect(failed[RULES.triggers]).toMatch(/^disabled: project_files_lineage_on_update \(ALTER TABLE/);
      // a disabled trigger lets a move through: that is what the check is for
      await bad.raw.query("UPDATE project_files SET lineage_depth = 7 WHERE file_uuid = $1::uuid", [f.grandchild.id]);

      await bad.raw.exec("ALTER TABLE project_files DISABLE TRIGGER ALL");
      await bad.raw.exec("ALTER TABLE project_files ENABLE TRIGGER ALL");
      await bad.raw.exec("ALTER TABLE project_files ENABLE REPLICA TRIGGER project_files_lineage_on_insert");
      failed = failing(await verify(bad.prisma));
      expect(failed[RULES.triggers]).toBe(
        "disabled: project_files_lineage_on_insert (ALTER TABLE project_files ENABLE TRIGGER <name>, then check the rows written meanwhile)",
      );

      await bad.raw.exec("DROP TRIGGER project_files_lineage_on_insert ON project_files");
      failed = failing(await verify(bad.prisma));
      expect(failed[RULES.triggers]).toBe("missing: project_files_lineage_on_insert (run npm run db:migrate)");
    });
  });
});

describe("migration 008 on a database that already holds rows breaking the rules", () => {
  it("applies, rewrites nothing; legacy roots keep working; db:verify reports the bad rows", async () => {
    const empty = await emptyDatabase();
    onTestFinished(() => empty.drop());
    // prisma/migrations up to 007 (with migration_lock.toml, which Prisma insists on)
    const upTo007 = mkdtempSync(join(tmpdir(), `${inject("runId")}-migrations-`));
    onTestFinished(() => rmSync(upTo007, { recursive: true, force: true }));
    cpSync(MIGRATIONS_DIR, upTo007, { recursive: true });
    rmSync(join(upTo007, "008_lineage_invariants"), { recursive: true });
    await migrateDeploy(empty.target, { migrationsDir: upTo007 });

    const project = randomUUID();
    const [legacy, good, atDepth, badRoot, badDepth] = Array.from({ length: 5 }, () => randomUUID()) as string[];
    const lineage = (sql: Raw) =>
      sql.query(
        `SELECT file_uuid, project_id, parent_file_uuid, root_file_uuid, lineage_depth, updated_at
         FROM project_files ORDER BY file_uuid`,
      );
    const before = await withRawSql(empty.target, async (sql) => {
      for (const r of [
        { id: legacy, project },
        { id: good as string, project, parent: legacy, root: legacy, depth: 1 },
        { id: atDepth as string, project, depth: 4 },
        { id: badRoot as string, project, parent: good, root: atDepth, depth: 2 },
        { id: badDepth as string, project, parent: good, root: legacy, depth: 6 },
      ] as Row[]) {
        await sql.query(...insertSql([r]));
      }
      return lineage(sql);
    });

    const deployed = await migrateDeploy(empty.target);
    expect(deployed.output).toContain("008_lineage_invariants");
    expect(deployed.output).toContain("All migrations have been successfully applied");

    await withRawSql(empty.target, async (sql) => {
      expect(await lineage(sql)).toEqual(before);
      const [child] = await sql.query<Written>(...insertSql([{ id: randomUUID(), project, parent: legacy }]));
      expect(child).toMatchObject({ root: legacy, depth: 1 });
      const error = await refusal(sql, ...insertSql([{ id: randomUUID(), project, depth: 1 }]));
      expect(error.constraint).toBe("project_files_lineage_depth_rule_check");
    });

    const db = await openDatabase(empty.target, { poolSize: 1 });
    try {
      const checks = await verify(db.prisma);
      const failed = failing(checks);
      expect(Object.keys(failed).sort()).toEqual(
        [RULES.childRoot, RULES.depth, RULES.root, "every file has a boundary contract"].sort(),
      );
      expect(failed[RULES.root]).toBe(`1 rows break it: ${atDepth}`);
      expect(failed[RULES.childRoot]).toBe(`1 rows break it: ${badRoot}`);
      expect(failed[RULES.depth]).toContain(badDepth);
      expect(checks.find((c) => c.name === "migrations are applied")?.ok).toBe(true);
      expect(checks.find((c) => c.name === RULES.triggers)?.ok).toBe(true);
    } finally {
      await db.close();
    }
  });
});

describe("over HTTP: a legacy root written around the triggers", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  it("reads as its own root and takes a derived file from registerFile, which gets root = its id", async () => {
    const { id: legacy } = await buildLegacyFile(t.prisma, { rootFileId: null, accessLevel: "internal" });
    expect((await t.prisma.projectFile.findUniqueOrThrow({ where: { id: legacy } })).rootFileId).toBeNull();

    const r = await t.ok<{
      registerFile: MutationOutcome & { file?: { id: string; rootId: string; lineageDepth: number } };
    }>(
      `mutation($input: RegisterFileInput!) { registerFile(input: $input) {
         __typename ... on RegisterFileSuccess { file { id rootId lineageDepth } } ... on Error { code message } } }`,
      { input: { parentId: legacy, uiName: "derived.parquet", filePath: "/derived.parquet" } },
    );
    expect(r.registerFile).toMatchObject({
      __typename: "RegisterFileSuccess",
      file: { rootId: legacy, lineageDepth: 1 },
    });
    const read = await t.ok<{ file: { rootId: string; lineageDepth: number } }>(
      "query($id: UUID!) { file(id: $id) { rootId lineageDepth } }",
      { id: legacy },
    );
    expect(read.file).toEqual({ rootId: legacy, lineageDepth: 0 });
    expect((await t.prisma.projectFile.findUniqueOrThrow({ where: { id: legacy } })).rootFileId).toBeNull();
  });
});
