// Live updates across server instances, through Redis pub/sub (REDIS_URL): a subscriber on one
// instance receives the change made through another. Against PostgreSQL, two real server processes
// on one database; on the embedded backend (one process per PGlite database), two apps in this
// process over one database, each with its own Redis connections. Also: an unreachable Redis stops
// the start with a message naming it; a lost connection is re-established and delivery resumes.
//
// Redis is TEST_REDIS_URL, else redis://127.0.0.1:6379. When it cannot be reached these tests are
// skipped, saying so, except in CI (CI=true), where that is a failure. Every run uses a channel
// prefix of its own, so runs sharing one Redis never see each other's events.
import { randomBytes, randomUUID } from "node:crypto";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type DatabaseTarget, loadConfig } from "../../src/config.ts";
import { EventsUnavailableError, openLiveEvents } from "../../src/events/index.ts";
import { createApp } from "../../src/yoga.ts";
import { backend, migratedDatabase } from "../helpers/db.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { serverEnv } from "../helpers/operator.ts";
import { startServer } from "../helpers/process.ts";
import { type Fetch, type Subscription, subscribe } from "../helpers/sse.ts";
import { authEnv, signToken } from "../helpers/tokens.ts";

const REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
const LOST = "Redis connection lost; reconnecting (live updates paused)";
const RESTORED = "Redis connection restored";
const NOT_PUBLISHED = "live update not published: Redis is unreachable";
const IN_CI = process.env.CI === "true";

async function reachable(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const redisUp = await reachable(REDIS_URL);
if (!redisUp && !IN_CI) {
  console.warn(
    `SKIPPED: Redis at ${REDIS_URL} is not reachable, so live updates through Redis are not tested (start redis-server, or set TEST_REDIS_URL).`,
  );
}

const STATUS = `subscription($projectId: UUID!) {
  fileProcessingStatusChanged(projectId: $projectId) { file { id processingStatus } previousStatus status }
}`;
const MATERIALIZATIONS = `subscription($projectId: UUID!) {
  materializationRegistered(projectId: $projectId) { materialization { id parentId } contract { id } }
}`;
const MOVE = `mutation($id: UUID!, $status: ProcessingStatus!) {
  updateProcessingStatus(input: { fileId: $id, status: $status }) { __typename }
}`;
const REGISTER = `mutation($source: UUID!) {
  registerMaterialization(input: { sourceFileId: $source, representationType: "csv", filePath: "/m/x.csv" }) {
    __typename ... on RegisterMaterializationSuccess { file { id } }
  }
}`;

interface StatusEvent {
  fileProcessingStatusChanged: {
    file: { id: string; processingStatus: string };
    previousStatus: string;
    status: string;
  };
}
interface MaterializationEvent {
  materializationRegistered: { materialization: { id: string; parentId: string }; contract: { id: string } };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Polls `check` until it holds (every 20 ms, for at most 10 s). */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A POST of `query` to `url` as the caller of `token`. */
async function post(fetchFn: Fetch, url: string, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetchFn(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, { __typename: string; file?: { id: string } }> };
}

it.runIf(!redisUp && IN_CI)("Redis is reachable (CI runs the live-update tests through it)", () => {
  expect.fail(`Redis at ${REDIS_URL} is not reachable; CI must provide it (or set TEST_REDIS_URL).`);
});

it("validates REDIS_URL and REDIS_CHANNEL_PREFIX with the configuration", () => {
  expect(loadConfig({}).events).toEqual({ redisUrl: null, channelPrefix: "fms:" });
  expect(loadConfig({ REDIS_URL: "rediss://:pw@cache:6380/2", REDIS_CHANNEL_PREFIX: "prod-eu:" }).events).toEqual({
    redisUrl: "rediss://:pw@cache:6380/2",
    channelPrefix: "prod-eu:",
  });
  expect(() => loadConfig({ REDIS_URL: "cache:6379" })).toThrow(
    "REDIS_URL must start with redis:// or rediss:// (got cache:)",
  );
  expect(() => loadConfig({ REDIS_URL: "not a url" })).toThrow("REDIS_URL is not a valid URL");
  expect(() => loadConfig({ REDIS_CHANNEL_PREFIX: "a b" })).toThrow(
    'REDIS_CHANNEL_PREFIX must be 1 to 100 printable ASCII characters without spaces; got "a b"',
  );
  expect(() => loadConfig({ REDIS_CHANNEL_PREFIX: "x".repeat(101) })).toThrow("REDIS_CHANNEL_PREFIX must be");
});

it("refuses to open live updates when REDIS_URL names an unreachable Redis, naming it without its password", async () => {
  const opening = openLiveEvents(
    { redisUrl: "redis://:hunter2-secret@127.0.0.1:1/0", channelPrefix: "fms-test:" },
    pino({ level: "silent" }),
  );
  await expect(opening).rejects.toBeInstanceOf(EventsUnavailableError);
  await expect(opening).rejects.toThrow(
    /^REDIS_URL: cannot connect to Redis at redis:\/\/:\*\*\*\*@127\.0\.0\.1:1\/0 \(connect ECONNREFUSED 127\.0\.0\.1:1\)\. Start Redis or correct REDIS_URL/,
  );
  await expect(opening).rejects.not.toThrow(/hunter2/);
});

describe.runIf(redisUp)("live updates through Redis", () => {
  const prefix = `fms-test-${randomBytes(4).toString("hex")}:`;
  const channel = (kind: string, project: string) => `${prefix}${kind}:${project}`;

  async function admin(): Promise<Redis> {
    const client = new Redis(REDIS_URL);
    cleanups.push(() => client.quit());
    return client;
  }
  /** How many connections subscribe to `name` on the Redis server. */
  async function subscribers(client: Redis, name: string): Promise<number> {
    const [, count] = (await client.pubsub("NUMSUB", name)) as [string, number];
    return Number(count);
  }
  async function listen<T>(fetchFn: Fetch, url: string, query: string, project: string, token: string) {
    const s = await subscribe<T>(fetchFn, url, query, { projectId: project }, { token });
    cleanups.push(() => s.close());
    return s as Subscription<T>;
  }

  it.runIf(backend() === "postgres")(
    "two server processes on one PostgreSQL database: a change made through one reaches a subscriber of the other",
    async () => {
      const { db, target, drop } = await migratedDatabase();
      cleanups.push(drop);
      const project = randomUUID();
      const contract = await buildContract(db.prisma, { projectId: project });
      const file = await buildFile(db.prisma, {
        projectId: project,
        createdBy: "worker",
        boundaryContractId: contract.id,
      });
      const token = await signToken({ sub: "worker", clearance: "internal" });

      const [a, b] = await Promise.all([listeningServer(target), listeningServer(target)]);
      const redis = await admin();
      const statusB = await listen<StatusEvent>(fetch, b.url, STATUS, project, token);
      const materializationsB = await listen<MaterializationEvent>(fetch, b.url, MATERIALIZATIONS, project, token);
      // Subscribed through Redis (B's one subscriber connection) from the moment the response began.
      expect(await subscribers(redis, channel("processing-status", project))).toBe(1);
      expect(await subscribers(redis, channel("materialization", project))).toBe(1);

      const moved = await post(fetch, a.url, token, MOVE, { id: file.id, status: "PROCESSING" });
      expect(moved.data?.updateProcessingStatus?.__typename).toBe("UpdateProcessingStatusSuccess");
      expect((await statusB.next()).data?.fileProcessingStatusChanged).toEqual({
        file: { id: file.id, processingStatus: "PROCESSING" },
        previousStatus: "PENDING",
        status: "PROCESSING",
      });

      const registered = await post(fetch, a.url, token, REGISTER, { source: file.id });
      const id = registered.data?.registerMaterialization?.file?.id;
      expect(id).toBeDefined();
      expect((await materializationsB.next()).data?.materializationRegistered).toEqual({
        materialization: { id, parentId: file.id },
        contract: { id: contract.id },
      });

      // B stops while its streams are open: they end, it closes its Redis connections and exits 0.
      b.child.kill("SIGTERM");
      await statusB.ended();
      expect((await b.exit).code).toBe(0);
      expect(b.output()).toContain('"msg":"stopped"');
      expect(await subscribers(redis, channel("processing-status", project))).toBe(0);
      expect(b.output()).not.toMatch(/"level":50/); // nothing logged as an error
    },
  );

  /** The real server (node, as the container starts it) on `target`, with Redis and tokens, listening. */
  async function listeningServer(target: DatabaseTarget) {
    const server = startServer(
      serverEnv(target, { DEMO_DATA: "false", ...authEnv, REDIS_URL, REDIS_CHANNEL_PREFIX: prefix }),
    );
    cleanups.push(() => server.kill());
    return { ...server, url: await server.url };
  }

  /** Two apps over one database in this process, each with its own Redis connections. */
  async function twoApps(redisUrl = REDIS_URL) {
    const { db, drop } = await migratedDatabase();
    cleanups.push(drop);
    const config = loadConfig({ ...authEnv, REDIS_URL: redisUrl, REDIS_CHANNEL_PREFIX: prefix, DATA_DIR: "memory://" });
    const logs: Record<string, unknown>[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line)) });
    const app = async () => {
      const events = await openLiveEvents(config.events, logger);
      cleanups.push(() => events.close());
      const yoga = createApp({ db, config, logger, events });
      const fetchFn: Fetch = (u, init) => Promise.resolve(yoga.fetch(u, init));
      return { events, fetch: fetchFn };
    };
    const [a, b] = [await app(), await app()];
    return { db, a, b, logs };
  }
  const APP_URL = "http://test/graphql";

  it.runIf(backend() === "pglite")(
    "two apps over one database, each with its own Redis connections: a change made through one reaches a subscriber of the other",
    async () => {
      const { db, a, b } = await twoApps();
      const redis = await admin();
      const project = randomUUID();
      const contract = await buildContract(db.prisma, { projectId: project });
      const file = await buildFile(db.prisma, {
        projectId: project,
        createdBy: "worker",
        boundaryContractId: contract.id,
      });
      const token = await signToken({ sub: "worker", clearance: "internal" });

      const statusB = await listen<StatusEvent>(b.fetch, APP_URL, STATUS, project, token);
      const materializationsB = await listen<MaterializationEvent>(b.fetch, APP_URL, MATERIALIZATIONS, project, token);
      expect(await subscribers(redis, channel("processing-status", project))).toBe(1);

      await post(a.fetch, APP_URL, token, MOVE, { id: file.id, status: "PROCESSING" });
      expect((await statusB.next()).data?.fileProcessingStatusChanged).toEqual({
        file: { id: file.id, processingStatus: "PROCESSING" },
        previousStatus: "PENDING",
        status: "PROCESSING",
      });
      const registered = await post(a.fetch, APP_URL, token, REGISTER, { source: file.id });
      expect((await materializationsB.next()).data?.materializationRegistered.materialization.id).toBe(
        registered.data?.registerMaterialization?.file?.id,
      );

      // A client that disconnects gives up its Redis subscription.
      await statusB.close();
      await eventually(
        "the channel is unsubscribed",
        async () => (await subscribers(redis, channel("processing-status", project))) === 0,
      );
      // Closing ends the open streams, and then the connections.
      await b.events.close();
      await materializationsB.completed();
      expect(await subscribers(redis, channel("materialization", project))).toBe(0);
    },
  );

  /**
   * A TCP relay to Redis that can be cut and restored, as a network failure or a Redis restart
   * would: cutting closes every relayed connection and refuses new ones until restored.
   */
  async function relay(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
    const upstream = new URL(REDIS_URL);
    const sockets = new Set<Socket>();
    let server: Server | undefined;
    let port = 0;
    const listen = () =>
      new Promise<void>((resolve) => {
        const listening = createServer((client) => {
          const redis = connect(Number(upstream.port || 6379), upstream.hostname);
          for (const socket of [client, redis]) {
            sockets.add(socket);
            socket.on("error", () => {});
            socket.on("close", () => {
              sockets.delete(socket);
              client.destroy();
              redis.destroy();
            });
          }
          client.pipe(redis).pipe(client);
        });
        server = listening;
        listening.listen(port, "127.0.0.1", () => {
          port = (listening.address() as AddressInfo).port;
          resolve();
        });
      });
    await listen();
    const cut = () =>
      new Promise<void>((resolve) => {
        server?.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    cleanups.push(cut);
    const url = new URL(REDIS_URL);
    url.hostname = "127.0.0.1";
    url.port = String(port);
    return { url: url.toString(), cut, restore: listen };
  }

  it("survives losing Redis: the loss is logged, writes go on, new subscriptions are refused, open streams resume", async () => {
    const network = await relay();
    const { db, a, b, logs } = await twoApps(network.url);
    const redis = await admin();
    const project = randomUUID();
    const file = await buildFile(db.prisma, { projectId: project, createdBy: "worker" });
    const token = await signToken({ sub: "worker", clearance: "internal" });
    const statusB = await listen<StatusEvent>(b.fetch, APP_URL, STATUS, project, token);

    await network.cut();
    await eventually("the loss is logged", async () => logs.filter((l) => l.msg === LOST).length === 4);
    // A write commits: it is stored, and its event is not sent (nor queued for later).
    const moved = await post(a.fetch, APP_URL, token, MOVE, { id: file.id, status: "PROCESSING" });
    expect(moved.data?.updateProcessingStatus?.__typename).toBe("UpdateProcessingStatusSuccess");
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: NOT_PUBLISHED }));
    // A new subscription is refused, saying why.
    const refused = await (await listen(b.fetch, APP_URL, STATUS, project, token)).next();
    expect(refused.errors?.[0]).toMatchObject({
      message:
        "Live updates are unavailable right now (the server cannot reach its event bus); subscribe again shortly.",
      extensions: { code: "EVENTS_UNAVAILABLE" },
    });

    await network.restore();
    await eventually("every connection is back", async () => logs.filter((l) => l.msg === RESTORED).length === 4);
    await eventually(
      "B subscribed again",
      async () => (await subscribers(redis, channel("processing-status", project))) === 1,
    );
    await post(a.fetch, APP_URL, token, MOVE, { id: file.id, status: "COMPLETED" });
    // The stream B kept open through the outage delivers the next move; the one made during the
    // outage was never sent.
    expect((await statusB.next()).data?.fileProcessingStatusChanged).toMatchObject({
      file: { id: file.id },
      previousStatus: "PROCESSING",
      status: "COMPLETED",
    });
  });
});
