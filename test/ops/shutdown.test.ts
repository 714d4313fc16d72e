// Graceful shutdown, with the real server in a child process started as the container starts it
// (node directly, so the signal reaches it): on SIGTERM it refuses new connections, answers the
// request in flight, closes the database (a PGlite directory is left cleanly shut down), and exits
// 0. A request that outlives SHUTDOWN_TIMEOUT_MS, or a second signal, forces exit 1.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { afterEach, expect, inject, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { migrationState } from "../../src/db/migrations.ts";
import { emptyDatabase, type TestDatabase } from "../helpers/db.ts";
import { serverEnv } from "../helpers/operator.ts";
import { NODE_SERVER, runCommand, type ServerProcess, startServer } from "../helpers/process.ts";

const PROJECT = "0f5c1d2e-7a4b-4c3d-9e8f-112233445566";
const CREATE_CONTRACT = JSON.stringify({
  query: `mutation($p: UUID!) { createBoundaryContract(input: { projectId: $p, name: "written after SIGTERM" }) {
    __typename ... on CreateBoundaryContractSuccess { contract { name } } } }`,
  variables: { p: PROJECT },
});

/** pg_control's `state` (PostgreSQL's DBState): what the next start finds. */
const DB_SHUTDOWNED = 1; // shut down cleanly: no WAL replay at the next start
const DB_IN_PRODUCTION = 6; // open, or not closed: the next start runs crash recovery

/**
 * The state field of a data directory's control file (ControlFileData: a uint64 system
 * identifier, two uint32 versions, then `state`), read as PostgreSQL reads it at start-up to
 * decide whether to replay the WAL.
 */
function controlState(dir: string): number {
  return readFileSync(join(dir, "global/pg_control")).readUInt32LE(16);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A migrated database the server can open: the run's PGlite template unpacked, or a PostgreSQL database it migrates. */
async function database(): Promise<TestDatabase> {
  const db = await emptyDatabase();
  cleanups.push(() => db.drop());
  if (db.target.kind === "pglite") execFileSync("tar", ["-xf", inject("template"), "-C", db.target.dir]);
  return db;
}

/** The server, started; killed after the test if it still runs. */
function spawnServer(db: TestDatabase, extra: Record<string, string>): ServerProcess {
  const server = startServer(serverEnv(db.target, extra));
  cleanups.push(() => server.kill());
  return server;
}

/** The server, listening. */
async function start(db: TestDatabase, extra: Record<string, string>): Promise<ServerProcess & { port: number }> {
  const server = spawnServer(db, extra);
  const port = Number(new URL(await server.url).port);
  return { ...server, port };
}

/**
 * A POST whose body the test sends when it chooses. `Expect: 100-continue` makes the server
 * answer "100 Continue" once it has taken the request in, so `accepted` says, without guessing at
 * timing, that the request is in flight.
 */
function slowPost(port: number, body: string) {
  const req = request({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/graphql",
    agent: false,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), expect: "100-continue" },
  });
  const accepted = new Promise<void>((resolve) => req.once("continue", resolve));
  const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
  response.catch(() => {}); // handled where a test expects it; not an unhandled rejection meanwhile
  req.flushHeaders();
  const half = Math.floor(body.length / 2);
  return {
    accepted: accepted.then(() => {
      req.write(body.slice(0, half));
    }),
    finish: () => req.end(body.slice(half)),
    response,
    abandon: () => {
      req.destroy();
    },
  };
}

function connectError(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(null);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Opens a subscription (Server-Sent Events); `ended` resolves, with what was read, when the stream ends, however it does. */
async function subscription(port: number): Promise<{ ended: Promise<string> }> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({
      query: "subscription($p: UUID!) { fileProcessingStatusChanged(projectId: $p) { __typename } }",
      variables: { p: PROJECT },
    }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const ended = (async () => {
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
    } catch {
      // a connection closed mid-stream ends it too
    }
    return text;
  })();
  return { ended };
}

it("SIGTERM: a new connection is refused, the request in flight is answered, streams are ended, the database is closed, exit 0", async () => {
  const db = await database();
  const server = await start(db, { SHUTDOWN_TIMEOUT_MS: "20000" });
  // a keep-alive connection left idle: closed at once, it must not hold the shutdown
  const idle = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ __typename }" }),
  });
  expect(idle.status).toBe(200);
  await idle.text();

  // a subscription: a response that never ends by itself, and must not hold the process to the deadline
  const stream = await subscription(server.port);

  const post = slowPost(server.port, CREATE_CONTRACT);
  await post.accepted;
  server.child.kill("SIGTERM");
  const signalled = Date.now();
  await server.logged('"msg":"shutting down');
  expect(await connectError(server.port)).toBe("ECONNREFUSED");
  // while the request in flight is still waiting for its body; ended properly, not cut
  expect(await stream.ended).toMatch(/^event: complete$/m);
  expect(server.child.exitCode).toBeNull();

  post.finish();
  const answer = await post.response;
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({
    data: {
      createBoundaryContract: {
        __typename: "CreateBoundaryContractSuccess",
        contract: { name: "written after SIGTERM" },
      },
    },
  });
  expect(answer.connection).toBe("close");
  const answered = Date.now();

  const { code, at } = await server.exit;
  expect(code, server.output()).toBe(0);
  expect(at - answered).toBeLessThan(3_000); // not the keep-alive timeout, not the deadline
  expect(at - signalled).toBeLessThan(20_000);
  expect(server.output()).toMatch(/"msg":"stopped"/);

  // The write made after the signal is stored, and the database was closed after it.
  if (db.target.kind === "pglite") {
    expect(controlState(db.target.dir)).toBe(DB_SHUTDOWNED);
    const reopened = await openDatabase(db.target);
    try {
      const rows = await reopened.prisma.dataBoundaryContract.findMany({ select: { name: true } });
      expect(rows).toEqual([{ name: "written after SIGTERM" }]);
    } finally {
      await reopened.close();
    }
  } else {
    const client = new pg.Client({ connectionString: db.target.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT name FROM data_boundary_contracts");
      expect(rows).toEqual([{ name: "written after SIGTERM" }]);
      // the server's pool is gone: this is the only session left on its database
      const sessions = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()",
      );
      expect(sessions.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  }
});

it("a request still unfinished at SHUTDOWN_TIMEOUT_MS forces exit 1, with a log line", async () => {
  const db = await database();
  const server = await start(db, { SHUTDOWN_TIMEOUT_MS: "1500" });
  const post = slowPost(server.port, CREATE_CONTRACT);
  cleanups.push(async () => post.abandon());
  await post.accepted; // and the rest of the body never comes
  server.child.kill("SIGTERM");
  const signalled = Date.now();
  const { code, at } = await server.exit;
  expect(code).toBe(1);
  expect(at - signalled).toBeGreaterThanOrEqual(1_400);
  expect(at - signalled).toBeLessThan(6_000);
  expect(server.output()).toMatch(/"level":50,.*"inFlight":1,.*shutdown did not finish within 1500 ms; forcing exit/);
  expect(server.output()).not.toMatch(/"msg":"stopped"/);
  await expect(post.response).rejects.toThrow("socket hang up");
  // The check above that a directory was closed cleanly is not a formality: this one was not.
  if (db.target.kind === "pglite") expect(controlState(db.target.dir)).toBe(DB_IN_PRODUCTION);
});

it("a second signal during the drain forces exit 1 at once", async () => {
  const db = await database();
  const server = await start(db, { SHUTDOWN_TIMEOUT_MS: "60000" });
  const post = slowPost(server.port, CREATE_CONTRACT);
  cleanups.push(async () => post.abandon());
  await post.accepted;
  server.child.kill("SIGTERM");
  await server.logged('"msg":"shutting down');
  const second = Date.now();
  server.child.kill("SIGINT");
  const { code, at } = await server.exit;
  expect(code).toBe(1);
  expect(at - second).toBeLessThan(3_000);
  expect(server.output()).toMatch(/"level":50,.*SIGINT during shutdown; forcing exit/);
  await expect(post.response).rejects.toThrow("socket hang up");
});

it("a server that cannot listen exits 1, and still closes its database", async () => {
  const db = await database();
  // the port of a listening socket of this process: taken
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
  const taken = (blocker.address() as { port: number }).port;
  const { code, output } = await runCommand(NODE_SERVER, { env: serverEnv(db.target, { PORT: String(taken) }) });
  expect(code).toBe(1);
  expect(output).toContain(`cannot listen on 127.0.0.1:${taken}: listen EADDRINUSE`);
  if (db.target.kind === "pglite") expect(controlState(db.target.dir)).toBe(DB_SHUTDOWNED);
});

it("SIGTERM during start-up is acted on once the migrations are applied: it never listens, and exits 0", async () => {
  const db = await emptyDatabase();
  cleanups.push(() => db.drop());
  const server = spawnServer(db, { SHUTDOWN_TIMEOUT_MS: "5000" });
  await server.logged("pending migration(s) with Prisma Migrate");
  server.child.kill("SIGTERM");
  const { code } = await server.exit;
  expect(code, server.output()).toBe(0);
  expect(server.output()).toMatch(/"msg":"stopping once start-up has finished"/);
  expect(server.output()).toMatch(/"msg":"stopped"/);
  expect(server.output()).not.toContain("ready at");
  // the migrations were not cut off, and the database was closed
  if (db.target.kind === "pglite") expect(controlState(db.target.dir)).toBe(DB_SHUTDOWNED);
  const opened = await openDatabase(db.target);
  try {
    expect((await migrationState(opened.prisma)).pending).toEqual([]);
  } finally {
    await opened.close();
  }
});
