// Runs once per test run, before any test file. It decides the backend and migrates a template
// database through Prisma Migrate, so each test can get a fresh migrated database in
// milliseconds:
//   TEST_DATABASE_URL or DATABASE_URL set -> PostgreSQL: a template database, copied per test
//                                            with CREATE DATABASE ... TEMPLATE;
//   neither                                -> PGlite: a migrated data directory dumped to a
//                                            tarball, loaded into an in-memory PGlite per test.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateDeploy, PROJECT_ROOT } from "../../src/db/migrations.ts";

const TSX = join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs");

declare module "vitest" {
  export interface ProvidedContext {
    backend: "pglite" | "postgres";
    /** PostgreSQL: the URL of the server's maintenance database, used to create test databases. */
    adminUrl: string;
    /** PostgreSQL: the migrated template database. PGlite: the migrated data directory's tarball. */
    template: string;
    /** Prefix of every database or directory this run creates, for the final sweep. */
    runId: string;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  // test/clients runs the example client, whose generated code is not committed: a fresh clone
  // generates it here, with the command CI runs.
  if (!existsSync(join(PROJECT_ROOT, "examples/client/src/generated/graphql.ts"))) {
    execFileSync("npm", ["run", "-s", "client:generate"], { cwd: PROJECT_ROOT, stdio: "inherit" });
  }
  const adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || "";
  const runId = `fms_t${randomBytes(3).toString("hex")}`;
  const scratch = mkdtempSync(join(tmpdir(), `${runId}-`));
  project.provide("runId", runId);
  project.provide("adminUrl", adminUrl);

  const teardown = async () => {
    rmSync(scratch, { recursive: true, force: true });
    if (!adminUrl) return;
    // Tests drop what they create; this sweeps what a crashed test (or a failed setup) left behind.
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `${runId}%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
  };

  try {
    await buildTemplate(project, adminUrl, runId, scratch);
  } catch (e) {
    await teardown();
    throw e;
  }
  return teardown;
}

async function buildTemplate(project: TestProject, adminUrl: string, runId: string, scratch: string) {
  if (adminUrl) {
    const template = `${runId}_template`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    await admin.end();
    await migrateDeploy({ kind: "postgres", url: withDatabase(adminUrl, template) });
    project.provide("backend", "postgres");
    project.provide("template", template);
    console.log(`tests run against PostgreSQL (${new URL(adminUrl).host}); template database ${template}`);
  } else {
    const dir = join(scratch, "template");
    await migrateDeploy({ kind: "pglite", dir });
    const tarball = join(scratch, "template.tar");
    execFileSync(process.execPath, [TSX, join(PROJECT_ROOT, "test/setup/dump-pglite.ts"), dir, tarball], {
      stdio: "inherit",
    });
    project.provide("backend", "pglite");
    project.provide("template", tarball);
    console.log("tests run against embedded PGlite");
  }
}
