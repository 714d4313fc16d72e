// npm run bench: the lineage service against the physical floor. It creates a scratch database
// (fms_bench_<pid>) on a loopback PostgreSQL, migrates it with the project's migrations, fills it
// (data.ts), starts the real server on it, checks that every query returns the same rows through
// the API as through hand-written SQL, counts each request's SQL statements in-process, loads
// each query with wrk (or autocannon) and its SQL with pgbench, and prints one table
// (report.ts). Everything it started (server, load tools, database) is stopped on exit, on
// failure and on Ctrl-C.
//
//   BENCH_ADMIN_URL        admin connection (default postgresql://postgres@127.0.0.1:5432/postgres); loopback only
//   BENCH_SECONDS          seconds per load run at BENCH_CONNECTIONS (default 10)
//   BENCH_CONNECTIONS      concurrent connections (default 10)
//   BENCH_LATENCY_SECONDS  seconds per single-connection run, for p50/p99 (default 3)
//   BENCH_WARMUP_SECONDS   unmeasured load on the server before each query's runs (default 0)
//   BENCH_QUERIES          a subset, e.g. one,page (default: all)
//   BENCH_KEEP_DB=1        keep the database at the end (its name is printed)
//   BENCH_DB=<name>        reuse a database kept earlier: no data generation, no trigger measurement
//   BENCH_TOOL             wrk or autocannon (default: wrk when /usr/bin/wrk exists)
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import pg from "pg";
import pino from "pino";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrateDeploy, PROJECT_ROOT } from "../../src/db/migrations.ts";
import { createApp } from "../../src/yoga.ts";
import { type GenerateResult, generate, medianDeepId } from "./data.ts";
import {
  autocannonLoad,
  type HttpLoad,
  type LoadResult,
  loadTool,
  pgbenchLoad,
  running,
  type Tool,
  wrkLoad,
} from "./load.ts";
import { type BenchQuery, benchQueries, body, CALLER, combinations, pgbenchScript, sqlFor } from "./queries.ts";
import { type BenchReport, formatReport, type QueryResult, writeReport } from "./report.ts";
import { type Server, startServer } from "./server.ts";

// --- settings

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}; got "${raw}"`);
  return n;
}

const SETTINGS = {
  adminUrl: process.env.BENCH_ADMIN_URL || "postgresql://postgres@127.0.0.1:5432/postgres",
  seconds: intEnv("BENCH_SECONDS", 10, 1),
  latencySeconds: intEnv("BENCH_LATENCY_SECONDS", 3, 1),
  warmupSeconds: intEnv("BENCH_WARMUP_SECONDS", 0, 0),
  connections: intEnv("BENCH_CONNECTIONS", 10, 1),
  queries:
    process.env.BENCH_QUERIES?.split(",")
      .map((s) => s.trim())
      .filter(Boolean) ?? null,
  keepDb: ["1", "true", "yes"].includes(process.env.BENCH_KEEP_DB ?? ""),
  reuseDb: process.env.BENCH_DB || null,
};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The URL of database `name` on the admin URL's server; refuses anything but loopback or a unix socket. */
function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  const socket = u.searchParams.get("host");
  if (!(socket?.startsWith("/") || (!socket && LOOPBACK.has(u.hostname)))) {
    throw new Error(`BENCH_ADMIN_URL must point at a loopback PostgreSQL (127.0.0.1, localhost, ::1 or a socket)`);
  }
  u.pathname = `/${name}`;
  return u.toString();
}

/** libpq's variables for pgbench. */
function pgEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {
    PGHOST: u.searchParams.get("host") ?? u.hostname.replace(/^\[|\]$/g, ""),
    PGPORT: u.port || "5432",
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  return env;
}

// --- cleanup: what was started is stopped, in reverse order, once

const cleanups: { what: string; fn: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | null = null;
let interrupted = false;

function onCleanup(what: string, fn: () => Promise<unknown>): void {
  cleanups.push({ what, fn });
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of running) child.kill("SIGTERM");
    while (cleanups.length > 0) {
      const { what, fn } = cleanups.pop() as (typeof cleanups)[number];
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup: ${what} failed: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping what the benchmark started ...`);
    void cleanup().then(() => process.exit(130));
  });
}

const log = (line: string) => console.error(line);

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SETTINGS.adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// --- the steps

/** The bench database: created, migrated and filled, or reused (BENCH_DB). */
async function prepareDatabase(): Promise<{ name: string; url: string; generated: GenerateResult | null }> {
  const name = SETTINGS.reuseDb ?? `fms_bench_${process.pid}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`BENCH_DB must be a plain database name; got "${name}"`);
  const url = databaseUrl(SETTINGS.adminUrl, name);
  if (SETTINGS.reuseDb) {
    log(`reusing database ${name} (BENCH_DB): no data generation`);
    await migrateDeploy({ kind: "postgres", url });
    return { name, url, generated: null };
  }
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  if (SETTINGS.keepDb) log(`database ${name} is kept at the end (BENCH_KEEP_DB); rerun with BENCH_DB=${name}`);
  else
    onCleanup(`drop database ${name}`, () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  log(`database ${name}: applying the migrations (src/db/migrations.ts migrateDeploy) ...`);
  await migrateDeploy({ kind: "postgres", url });
  log("generating data ...");
  const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  try {
    for (const c of clients) await c.connect();
    const generated = await generate(clients, log);
    log(`  ${generated.files.toLocaleString("en")} files in ${generated.seconds.toFixed(0)} s`);
    return { name, url, generated };
  } finally {
    for (const c of clients) await c.end().catch(() => {});
  }
}

function pickQueries(all: BenchQuery[]): BenchQuery[] {
  if (!SETTINGS.queries) return all;
  const unknown = SETTINGS.queries.filter((n) => !all.some((q) => q.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_QUERIES: unknown ${unknown.join(", ")}; the queries are ${all.map((q) => q.name).join(", ")}`,
    );
  }
  return all.filter((q) => SETTINGS.queries?.includes(q.name));
}

function headers(token: string): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
    authorization: `Bearer ${token}`,
    // The CSRF header (src/hardening/http.ts); a JSON POST does not need it, a client may send it.
    "x-graphql-yoga-csrf": "1",
  };
}

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the data is walked by each query's own shape
  data?: any;
  errors?: unknown[];
}

async function ask(fetcher: (init: RequestInit) => Promise<Response>, payload: string): Promise<Answer> {
  const response = await fetcher({ method: "POST", body: payload });
  return { status: response.status, ...((await response.json()) as Omit<Answer, "status">) };
}

/**
 * SQL statements per request, counted in-process: the app of src/yoga.ts on the bench database,
 * with the server's configuration, and every statement Prisma sends recorded (as test/helpers/app.ts does).
 */
async function countStatements(
  url: string,
  serverEnv: Record<string, string>,
  token: string,
  queries: BenchQuery[],
): Promise<{ perQuery: Map<string, number>; byPageSize: { first: number; statements: number }[] }> {
  let seen: string[] | null = null;
  const config = loadConfig({ ...serverEnv, DATABASE_URL: url });
  const db = await openDatabase(config.database, {
    poolSize: 2,
    statementTimeoutMs: config.limits.statementTimeoutMs,
    onStatement: (sql) => seen?.push(sql),
  });
  try {
    const app = createApp({ db, config, logger: pino({ level: "silent" }) });
    const fetcher = (init: RequestInit) =>
      Promise.resolve(app.fetch("http://bench/graphql", { ...init, headers: headers(token) }));
    const count = async (q: BenchQuery, overrides: Record<string, unknown> = {}) => {
      const vars = combinations(q.picks)[0] ?? {};
      seen = [];
      const answer = await ask(fetcher, body(q, vars, overrides));
      const n = seen.length;
      seen = null;
      if (answer.errors || !answer.data) throw new Error(`${q.name} (in-process): ${JSON.stringify(answer.errors)}`);
      return n;
    };
    const perQuery = new Map<string, number>();
    for (const q of queries) perQuery.set(q.name, await count(q));
    const byPageSize: { first: number; statements: number }[] = [];
    const subtree = queries.find((q) => q.name === "subtree1k");
    if (subtree) {
      for (const first of [10, 1000]) byPageSize.push({ first, statements: await count(subtree, { first }) });
    }
    return { perQuery, byPageSize };
  } finally {
    await db.close();
  }
}

/** The first differing line of two answers, for the error message. */
function firstDifference(a: string[], b: string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: API ${JSON.stringify(a[i])} vs SQL ${JSON.stringify(b[i])}`;
  }
  return "";
}

/**
 * Before a query is loaded: a few of its variable sets (first, last and some between) through the
 * server and through the SQL must give data, no errors, the same rows, and the expected count.
 */
async function verify(
  q: BenchQuery,
  server: Server,
  token: string,
  client: pg.Client,
): Promise<{ rows: number; checked: number }> {
  const all = combinations(q.picks);
  const indexes = [...new Set([0, all.length - 1, ...[1, 2, 3].map((j) => Math.floor((all.length * j) / 4))])];
  let firstRows = -1;
  for (const i of indexes) {
    const vars = all[i] as Record<string, number>;
    const answer = await ask((init) => fetch(server.url, { ...init, headers: headers(token) }), body(q, vars));
    const where = `${q.name} ${JSON.stringify(q.variables(vars))}`;
    if (answer.status !== 200 || answer.errors || !answer.data) {
      throw new Error(`${where}: HTTP ${answer.status}, errors ${JSON.stringify(answer.errors)}`);
    }
    const rows = q.rows(answer.data);
    if (firstRows < 0) firstRows = rows;
    if (q.expectedRows !== null && rows !== q.expectedRows) {
      throw new Error(`${where}: ${rows} rows, expected ${q.expectedRows}`);
    }
    if (rows === 0) throw new Error(`${where}: an empty answer`);
    const { text, values } = sqlFor(q, vars);
    const api = q.fromGraphQL(answer.data);
    const sql = q.fromSql((await client.query(text, values)).rows);
    if (api.length !== sql.length || api.some((line, j) => line !== sql[j])) {
      throw new Error(
        `${where}: the API and the SQL disagree (${api.length} vs ${sql.length} lines; ${firstDifference(api, sql)})`,
      );
    }
  }
  return { rows: firstRows, checked: indexes.length };
}

async function httpLoad(tool: Tool, load: HttpLoad, name: string): Promise<LoadResult> {
  return tool === "wrk" ? wrkLoad(load, name) : autocannonLoad(load);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const t0 = performance.now();
  const tool = loadTool();
  const dir = mkdtempSync(join(tmpdir(), "fms-bench-"));
  onCleanup("remove the temporary directory", async () => rmSync(dir, { recursive: true, force: true }));

  const { name, url, generated } = await prepareDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onCleanup("close the verification connection", () => client.end());
  const queries = pickQueries(benchQueries(await medianDeepId(client)));

  // A signed-in caller that is not an admin: the access filters are in every read.
  const secret = randomBytes(48).toString("base64url");
  const serverEnv = {
    NODE_ENV: "production",
    DATABASE_URL: url,
    AUTH_JWT_SECRET: secret,
    AUTH_JWT_ISSUER: "https://bench.fms.invalid",
    AUTH_JWT_AUDIENCE: "fms-bench",
    // subtree1k and deep-page ask for first: 1000 (the default maximum is 500)
    PAGE_SIZE_MAX: "1000",
  };
  const token = await new SignJWT({ ...CALLER })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(serverEnv.AUTH_JWT_ISSUER)
    .setAudience(serverEnv.AUTH_JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("6h")
    .sign(new TextEncoder().encode(secret));

  log("counting SQL statements per request (in-process) ...");
  const counts = await countStatements(url, serverEnv, token, queries);

  log("starting the server ...");
  const server = await startServer(serverEnv, join(dir, "server.log"), token);
  onCleanup("stop the server", () => server.stop());
  log(`  ${server.url}, pid ${server.pid}`);

  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    wallSeconds: 0,
    tool,
    database: name,
    generated,
    settings: {
      seconds: SETTINGS.seconds,
      latencySeconds: SETTINGS.latencySeconds,
      connections: SETTINGS.connections,
      serverEnv: { PAGE_SIZE_MAX: serverEnv.PAGE_SIZE_MAX, DATABASE_POOL_SIZE: "10 (default)" },
    },
    statementsByPageSize: counts.byPageSize,
    queries: [],
    maxRssMb: server.rssMb(),
  };

  // Every query is checked before any is loaded.
  const verified = new Map<string, { rows: number; checked: number }>();
  for (const q of queries) {
    verified.set(q.name, await verify(q, server, token, client));
    const v = verified.get(q.name);
    log(`verified ${q.name}: API and SQL agree on ${v?.checked} variable sets (${v?.rows} rows in the first)`);
  }

  const raw = pgEnv(url);
  for (const q of queries) {
    const bodies = combinations(q.picks).map((vars) => body(q, vars));
    const load = (connections: number, seconds: number): HttpLoad => ({
      url: server.url,
      headers: headers(token),
      bodies,
      connections,
      seconds,
      dir,
    });
    log(`loading ${q.name} (${bodies.length} variants) ...`);
    if (SETTINGS.warmupSeconds > 0) await httpLoad(tool, load(SETTINGS.connections, SETTINGS.warmupSeconds), q.name);
    const c10 = await httpLoad(tool, load(SETTINGS.connections, SETTINGS.seconds), q.name);
    let rss = server.rssMb();
    const c1 = await httpLoad(tool, load(1, SETTINGS.latencySeconds), q.name);
    rss = Math.max(rss, server.rssMb());
    report.maxRssMb = Math.max(report.maxRssMb, rss);

    const script = join(dir, `${q.name}.sql`);
    writeFileSync(script, pgbenchScript(q));
    const pgb = (clients: number, seconds: number) =>
      pgbenchLoad({ script, env: raw, clients, seconds, dir, name: q.name });
    const raw10 = await pgb(SETTINGS.connections, SETTINGS.seconds);
    const raw1 = await pgb(1, SETTINGS.latencySeconds);
    const result: QueryResult = {
      name: q.name,
      description: q.description,
      rows: verified.get(q.name)?.rows ?? 0,
      verified: verified.get(q.name)?.checked ?? 0,
      statements: counts.perQuery.get(q.name) ?? Number.NaN,
      server: { c10, c1, rssMb: rss },
      raw: { c10: raw10, c1: raw1 },
      ratio: c10.perSecond / raw10.perSecond,
    };
    report.queries.push(result);
    log(
      `  ${q.name}: ${c10.perSecond.toFixed(0)} req/s (raw ${raw10.perSecond.toFixed(0)} tps), ` +
        `p50 ${c1.p50Ms.toFixed(2)} ms, errors ${c10.errors + c1.errors}, RSS ${rss.toFixed(0)} MB`,
    );
  }

  report.wallSeconds = (performance.now() - t0) / 1000;
  console.log(formatReport(report));
  const path = writeReport(report, join(PROJECT_ROOT, ".tmp/bench"));
  console.log(`\nJSON: ${path}`);
}

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (e: unknown) => {
    if (!interrupted) console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    await cleanup();
    process.exit(interrupted ? 130 : 1);
  },
);
