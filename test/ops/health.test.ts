// /healthz and /readyz through yoga.fetch: liveness costs no SQL; readiness answers 200 only when
// the database answers and every migration is applied, and 503 with the failed check otherwise
// (pending or failed migrations, an unreachable database, one that does not answer in time, a
// server that is shutting down), never with an error's text or the connection string.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrationNames } from "../../src/db/migrations.ts";
import { Readiness } from "../../src/observability/index.ts";
import { createApp } from "../../src/yoga.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { migratedDatabase } from "../helpers/db.ts";
import { authEnv } from "../helpers/tokens.ts";

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

/** An app of our own (createApp with options testApp does not take), with its log lines. */
function withLogs(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), lines };
}

describe("/healthz and /readyz on a migrated database, with authentication configured", () => {
  let t: TestApp;
  let get: Fetch;
  beforeAll(async () => {
    t = await testApp(authEnv);
    get = async (path, init = {}) => t.app.fetch(`http://test${path}`, init);
  });
  afterAll(() => t?.close());

  it("/healthz answers 200 with no SQL, no CSRF header and whatever Authorization header", async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: "Bearer not-a-token" },
      { authorization: "Basic abc" },
    ];
    for (const headers of variants) {
      let res: Response | undefined;
      const sent = await t.statements(async () => {
        res = await get("/healthz", { headers });
      });
      expect(sent).toEqual([]);
      expect(res?.status).toBe(200);
      expect(res?.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res?.headers.get("cache-control")).toBe("no-store");
      expect(await res?.json()).toEqual({ status: "ok" });
    }
    const head = await get("/healthz", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("/readyz answers 200 when the database answers and every migration is applied", async () => {
    const variants: Record<string, string>[] = [{}, { authorization: "Bearer not-a-token" }];
    for (const headers of variants) {
      const res = await get("/readyz", { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok" } });
    }
  });

  it("other methods are refused with 405, GraphQL's refusals do not apply", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const res = await get(path, { method: "POST", body: "{}", headers: { "content-type": "text/plain" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  it("/readyz answers 503 naming the migration that is pending, then 200 once it is applied", async () => {
    const last = migrationNames().at(-1) as string;
    await t.prisma.$executeRawUnsafe(
      "UPDATE _prisma_migrations SET migration_name = migration_name || '_elsewhere' WHERE migration_name = $1",
      last,
    );
    try {
      const res = await get("/readyz");
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: "unavailable",
        checks: { database: "ok", migrations: "pending" },
        message: "The database lacks migrations this release needs (npm run db:migrate).",
        pending: [last],
      });
    } finally {
      await t.prisma.$executeRawUnsafe(
        "UPDATE _prisma_migrations SET migration_name = $1 WHERE migration_name = $1 || '_elsewhere'",
        last,
      );
    }
    expect((await get("/readyz")).status).toBe(200);
  });

  it("/readyz answers 503 naming a migration that failed (started, never finished)", async () => {
    const name = migrationNames()[2] as string;
    await t.prisma.$executeRawUnsafe(
      "UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = $1",
      name,
    );
    try {
      const res = await get("/readyz");
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body).toMatchObject({
        status: "unavailable",
        checks: { database: "ok", migrations: "failed" },
        failed: [name],
      });
    } finally {
      await t.prisma.$executeRawUnsafe(
        "UPDATE _prisma_migrations SET finished_at = started_at WHERE migration_name = $1",
        name,
      );
    }
    expect((await get("/readyz")).status).toBe(200);
  });

  it("the request log leaves the probes out", async () => {
    const before = t.logs.length;
    await get("/healthz");
    await get("/readyz");
    expect(t.logs.slice(before).filter((l) => l.msg === "graphql request")).toEqual([]);
  });
});

describe("/readyz when the database does not answer", () => {
  it("answers 503 'timeout' within READINESS_TIMEOUT_MS while the database is busy, and 200 after", async () => {
    const config = loadConfig({ DATA_DIR: "memory://", READINESS_TIMEOUT_MS: "300" });
    const { db, drop } = await migratedDatabase();
    const { logger, lines } = withLogs();
    const app = createApp({ db, config, logger });
    try {
      // A transaction that holds the migrations table: PostgreSQL makes the readiness query wait
      // for its lock, PGlite (one connection) for the transaction to end.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const tx = db.prisma.$transaction(
        async (sql) => {
          await sql.$executeRawUnsafe("LOCK TABLE _prisma_migrations IN ACCESS EXCLUSIVE MODE");
          locked();
          await held;
        },
        { timeout: 10_000 },
      );
      await isLocked;
      const started = Date.now();
      const res = await app.fetch("http://test/readyz");
      const took = Date.now() - started;
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: "unavailable",
        checks: { database: "timeout" },
        message: "The database did not answer within 300 ms.",
      });
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(3_000);
      release();
      await tx;
      const after = await app.fetch("http://test/readyz");
      expect(after.status).toBe(200);
      // the change is logged once each way
      const changes = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "ready" || /^not ready/.test(l.msg));
      expect(changes.map((l) => l.msg)).toEqual(["not ready: The database did not answer within 300 ms.", "ready"]);
    } finally {
      await drop();
    }
  });

  it("answers 503 'unreachable' for a database nobody listens for, without its address or password", async () => {
    const url = "postgresql://fms:pa55word-in-url@127.0.0.1:1/fms_nowhere";
    const config = loadConfig({ DATABASE_URL: url });
    const db = await openDatabase(config.database, { poolSize: 1 });
    const { logger, lines } = withLogs();
    const app = createApp({ db, config, logger });
    try {
      const res = await app.fetch("http://test/readyz");
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        status: "unavailable",
        checks: { database: "unreachable" },
        message: "The database did not answer the readiness query.",
      });
      // liveness does not depend on it
      expect((await app.fetch("http://test/healthz")).status).toBe(200);
      for (const leak of ["pa55word", "127.0.0.1", "fms_nowhere", "ECONNREFUSED", "    at "]) {
        expect(text).not.toContain(leak);
        expect(lines.join("\n")).not.toContain(leak);
      }
    } finally {
      await db.close();
    }
  });
});

describe("/readyz while the server shuts down", () => {
  it("answers 503 'shutting down' once readiness.drain() is called, with no SQL; /healthz stays 200", async () => {
    const config = loadConfig({ DATA_DIR: "memory://" });
    const statements: string[] = [];
    const { db, drop } = await migratedDatabase({ onStatement: (sql) => statements.push(sql) });
    const readiness = new Readiness();
    const app = createApp({ db, config, logger: withLogs().logger, readiness });
    try {
      expect((await app.fetch("http://test/readyz")).status).toBe(200);
      readiness.drain();
      statements.length = 0;
      const res = await app.fetch("http://test/readyz");
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "shutting down" });
      expect(statements).toEqual([]);
      expect((await app.fetch("http://test/healthz")).status).toBe(200);
    } finally {
      await drop();
    }
  });
});
