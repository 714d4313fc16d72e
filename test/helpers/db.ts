// Fresh, real databases for tests: one per test (or per file), of the run's backend. Never mocks.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import type { DatabaseTarget } from "../../src/config.ts";
import { type Database, type OpenOptions, openDatabase } from "../../src/db/database.ts";
import { openPGlite } from "../../src/db/pglite-adapter.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { withDatabase } from "../setup/global.ts";

export const backend = () => inject("backend");

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("adminUrl") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function uniqueName(): string {
  return `${inject("runId")}_${randomBytes(4).toString("hex")}`;
}

export interface TestDatabase {
  /** Where it is, for code that opens it itself (the CLI, the server). */
  target: DatabaseTarget;
  /** Removes it. */
  drop(): Promise<void>;
}

/**
 * An empty database that child processes (the Prisma CLI, the server) can open: a new database
 * on the PostgreSQL server, or a new PGlite directory.
 */
export async function emptyDatabase(): Promise<TestDatabase> {
  if (backend() === "postgres") {
    const name = uniqueName();
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    return {
      target: { kind: "postgres", url: withDatabase(inject("adminUrl"), name) },
      drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `${inject("runId")}-`));
  return {
    target: { kind: "pglite", dir },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface MigratedDatabase {
  db: Database;
  target: DatabaseTarget;
  /** Closes and removes it. */
  drop(): Promise<void>;
}

/** A database at the latest migration, opened in this process, copied from the run's template. */
export async function migratedDatabase(
  options: Pick<OpenOptions, "onStatement" | "statementTimeoutMs"> = {},
): Promise<MigratedDatabase> {
  if (backend() === "postgres") {
    const name = uniqueName();
    await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${inject("template")}`));
    const target: DatabaseTarget = { kind: "postgres", url: withDatabase(inject("adminUrl"), name) };
    const db = await openDatabase(target, { ...options, poolSize: 5 });
    return {
      db,
      target,
      async drop() {
        await db.close();
        await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  }
  const tarball = readFileSync(inject("template"));
  const pglite = openPGlite("memory://", { loadDataDir: new Blob([tarball]) });
  const target: DatabaseTarget = { kind: "pglite", dir: "memory://" };
  const db = await openDatabase(target, { ...options, pglite });
  return { db, target, drop: () => db.close() };
}

/**
 * Waits until some session of the test database waits for a lock (PostgreSQL only; PGlite has
 * one connection, so there a second request simply runs after the first).
 */
export async function waitForLockWait(prisma: Pick<PrismaClient, "$queryRaw">): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await prisma.$queryRaw<{ waiting: number }[]>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if ((row?.waiting ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error("no request waited for a lock within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
