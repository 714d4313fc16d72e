// Live updates through Redis pub/sub (REDIS_URL), with @graphql-yoga/redis-event-target: every
// instance publishes to and subscribes on the same channels, so a subscriber connected to one
// instance receives what a write on any other made.
//
// Failure handling, in short (README.md, "Live updates"):
// - at start, both connections must open, or the server refuses to start and says why;
// - later, an outage never crashes the server: it is logged once, ioredis reconnects (and
//   re-subscribes) on its own, and writes go on. Events published during the outage are lost
//   (pub/sub keeps no history), new subscriptions are refused with EVENTS_UNAVAILABLE until
//   Redis is back, and open ones resume delivering once it is.
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import { describeRedis } from "../config.ts";
import type { Logger } from "../logger.ts";
import { EventsUnavailableError, type Transport } from "./transport.ts";

/** How long the start waits for Redis, and a subscription for its SUBSCRIBE to be confirmed. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Logs the state of a connection: an outage once (not every reconnection attempt), and the
 * recovery. Returns what to call before closing it on purpose, which is not an outage.
 */
function watch(client: Redis, role: string, redis: string, logger: Logger): { closing(): void } {
  let state: "starting" | "up" | "down" | "closing" = "starting";
  client.on("ready", () => {
    logger.info({ redis, role }, state === "down" ? "Redis connection restored" : "Redis connection ready");
    state = "up";
  });
  // A connection the server closes (a restart, CLIENT KILL, a network cut) may end without an
  // "error" event, so the loss is seen on "close".
  client.on("close", () => {
    if (state !== "up") return;
    logger.error({ redis, role }, "Redis connection lost; reconnecting (live updates paused)");
    state = "down";
  });
  client.on("error", (err: Error) => {
    if (state === "up") logger.warn({ redis, role, err: err.message }, "Redis connection error");
    else logger.debug({ redis, role, err: err.message }, "Redis connection attempt failed");
  });
  return {
    closing: () => {
      state = "closing";
    },
  };
}

/** Opens `client`, or throws an EventsUnavailableError naming the server and the reason. */
async function connect(client: Redis, redis: string): Promise<void> {
  // ioredis reports why a connection failed as an "error" event; connect() only says it closed.
  let cause: Error | undefined;
  const onError = (err: Error) => {
    cause ??= err;
  };
  client.on("error", onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    const reason = (cause ?? (error as Error)).message;
    throw new EventsUnavailableError(
      `REDIS_URL: cannot connect to Redis at ${redis} (${reason}). Start Redis or correct REDIS_URL; unset it to deliver live updates within one server process only.`,
    );
  } finally {
    clearTimeout(timer);
    client.off("error", onError);
  }
}

async function closeClient(client: Redis): Promise<void> {
  if (client.status === "ready") {
    try {
      await client.quit(); // waits for the replies of commands already sent
      return;
    } catch {
      // fall through: drop the connection
    }
  }
  client.disconnect();
}

/**
 * Opens the two connections (a connection that subscribes can do nothing else). Their client
 * names (CLIENT LIST) start with the channel prefix, so an operator can tell deployments apart.
 */
export async function openRedisTransport(url: string, channelPrefix: string, logger: Logger): Promise<Transport> {
  const redis = describeRedis(url);
  const common = { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS };
  // The publisher keeps no offline queue: during an outage a publish fails at once (and is
  // logged) instead of piling up in memory to be sent, stale, later.
  const publisher = new Redis(url, {
    ...common,
    connectionName: `${channelPrefix}events-publish`,
    enableOfflineQueue: false,
  });
  // The subscriber waits for the connection however long it takes: ioredis re-subscribes its
  // channels when it reconnects.
  const subscriber = new Redis(url, {
    ...common,
    connectionName: `${channelPrefix}events-subscribe`,
    maxRetriesPerRequest: null,
  });
  const watched = [watch(publisher, "publish", redis, logger), watch(subscriber, "subscribe", redis, logger)];
  try {
    await Promise.all([connect(publisher, redis), connect(subscriber, redis)]);
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    throw error;
  }

  // The event target calls publish, subscribe and unsubscribe and drops the promises they return;
  // a rejected one would be an unhandled rejection, which ends a Node process. These stand-ins
  // for the two clients (the only methods it uses) catch and log every failure, and keep each
  // channel's SUBSCRIBE so that a subscription can wait for Redis to confirm it.
  const confirmed = new Map<string, Promise<unknown>>();
  const publishClient = {
    publish: (channel: string, message: string) =>
      publisher.publish(channel, message).catch((err: Error) => {
        logger.warn({ redis, channel, err: err.message }, "live update not published: Redis is unreachable");
      }),
  };
  const subscribeClient = {
    // biome-ignore lint/suspicious/noExplicitAny: the listener type of EventEmitter.on
    on: (event: string, listener: (...args: any[]) => void) => subscriber.on(event, listener),
    subscribe: (channel: string) => {
      const done = subscriber.subscribe(channel);
      confirmed.set(channel, done);
      done.catch((err: Error) => {
        confirmed.delete(channel);
        logger.warn({ redis, channel, err: err.message }, "Redis SUBSCRIBE failed");
      });
      return done;
    },
    unsubscribe: (channel: string) => {
      confirmed.delete(channel);
      return subscriber.unsubscribe(channel).catch((err: Error) => {
        logger.warn({ redis, channel, err: err.message }, "Redis UNSUBSCRIBE failed");
      });
    },
  };
  const target = createRedisEventTarget({
    publishClient: publishClient as unknown as Redis,
    subscribeClient: subscribeClient as unknown as Redis,
    serializer: {
      stringify: (message) => JSON.stringify(message),
      // A message that is not JSON (another program on the channel) must not throw inside
      // ioredis' message handler; it arrives as null and is dropped as malformed.
      parse: (message) => {
        try {
          return JSON.parse(message);
        } catch {
          return null;
        }
      },
    },
  });

  return {
    target: target as unknown as EventTarget,
    description: `Redis at ${redis}`,
    async ready(channel) {
      if (subscriber.status !== "ready") {
        throw new EventsUnavailableError(`Redis at ${redis} is unreachable (${subscriber.status})`);
      }
      const unavailable = () => new EventsUnavailableError(`Redis at ${redis} did not confirm the subscription`);
      const pending = confirmed.get(channel);
      if (!pending) throw unavailable();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          pending.catch(() => {
            throw unavailable();
          }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(unavailable()), CONNECT_TIMEOUT_MS);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      for (const w of watched) w.closing();
      await Promise.all([closeClient(publisher), closeClient(subscriber)]);
    },
  };
}
