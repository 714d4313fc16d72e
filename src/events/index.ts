// Live updates: the events a write publishes once its transaction has committed, and the streams
// GraphQL subscriptions read them from (src/schema/subscriptions). Without REDIS_URL they travel
// within this process; with it, through Redis pub/sub (./redis.ts), so that every instance behind
// a load balancer delivers every event, whichever instance made the change.
//
// An event names what changed, not what it looks like: each subscriber reads the file at delivery
// time, with its own read rule, exactly as `file(id)` would answer it.
import { createPubSub } from "graphql-yoga";
import type { EventsConfig } from "../config.ts";
import type { StoredProcessingError } from "../domain/processing.ts";
import type { ProcessingStatus } from "../domain/vocabulary.ts";
import type { Logger } from "../logger.ts";
import { openRedisTransport } from "./redis.ts";
import { EventStream } from "./stream.ts";
import { inProcessTransport, type Transport } from "./transport.ts";

export { EventsUnavailableError, inProcessTransport, type Transport } from "./transport.ts";

/** updateProcessingStatus moved a file. JSON-safe: it may cross Redis. */
export interface ProcessingStatusChanged {
  projectId: string;
  fileId: string;
  previousStatus: ProcessingStatus;
  status: ProcessingStatus;
  /** processing_attempts after the move: the attempt it belongs to. */
  attempt: number;
  /** The entry the move appended to processing_errors (a move to failed), else null. */
  error: StoredProcessingError | null;
  /** ISO 8601: when the move was made (the time it stamped on the file). */
  changedAt: string;
}

/** registerMaterialization made a new materialization (never sent for an idempotent replay). */
export interface MaterializationRegistered {
  projectId: string;
  materializationId: string;
  sourceId: string;
  contractId: string;
  /** ISO 8601: materialization_scope.materialized_at. */
  registeredAt: string;
}

export interface EventsByKind {
  "processing-status": ProcessingStatusChanged;
  materialization: MaterializationRegistered;
}

export type EventKind = keyof EventsByKind;

/**
 * What a write calls after its transaction has committed. It neither throws nor waits: the change
 * is stored whatever becomes of its notification, and a failure to send one is logged.
 */
export interface Publisher {
  publish<K extends EventKind>(kind: K, event: EventsByKind[K]): void;
}

/** For code that writes outside a server (scripts): nobody is listening. */
export const NO_EVENTS: Publisher = { publish() {} };

export interface LiveEvents extends Publisher {
  /** Where events travel, for logs. */
  readonly transport: string;
  /**
   * A project's events of one kind, from now on: resolves once events published by any instance
   * will be delivered to the stream. Rejects with EventsUnavailableError when they cannot be.
   */
  subscribe<K extends EventKind>(kind: K, projectId: string): Promise<EventStream<EventsByKind[K]>>;
  /**
   * Ends every open stream (each client receives the end of its subscription and may subscribe
   * again, to another instance), and any opened later: the first step of a shutdown.
   */
  endStreams(): void;
  /** endStreams(), then closes the transport's connections. Idempotent. */
  close(): Promise<void>;
}

// What a received event must carry, checked before it reaches a subscriber: a message on a shared
// Redis may come from an older or foreign publisher.
const REQUIRED: { [K in EventKind]: readonly (keyof EventsByKind[K])[] } = {
  "processing-status": ["projectId", "fileId", "previousStatus", "status", "changedAt"],
  materialization: ["projectId", "materializationId", "sourceId", "contractId", "registeredAt"],
};

function isEvent<K extends EventKind>(kind: K, detail: unknown): detail is EventsByKind[K] {
  if (typeof detail !== "object" || detail === null) return false;
  const fields = detail as Record<string, unknown>;
  return REQUIRED[kind].every((key) => typeof fields[key as string] === "string");
}

export function liveEvents(transport: Transport, channelPrefix: string, logger: Logger): LiveEvents {
  const pubsub = createPubSub<Record<string, [unknown]>>({ eventTarget: transport.target as never });
  const streams = new Set<EventStream<unknown>>();
  let ending = false;
  let closing: Promise<void> | undefined;
  const topic = (kind: EventKind, projectId: string) => `${channelPrefix}${kind}:${projectId}`;

  const endStreams = () => {
    ending = true;
    for (const stream of [...streams]) stream.end();
  };

  return {
    transport: transport.description,
    publish(kind, event) {
      try {
        pubsub.publish(topic(kind, event.projectId), event);
      } catch (err) {
        logger.error({ err, kind, projectId: event.projectId }, "live update not published");
      }
    },
    async subscribe<K extends EventKind>(kind: K, projectId: string) {
      const name = topic(kind, projectId);
      let warned = false;
      const stream = new EventStream<EventsByKind[K]>(
        () => {
          transport.target.removeEventListener(name, listener);
          streams.delete(stream as EventStream<unknown>);
        },
        () => {
          if (warned) return;
          warned = true;
          logger.warn({ topic: name }, "a subscriber is too slow: its oldest undelivered events are being dropped");
        },
      );
      const listener = (event: Event) => {
        const detail = (event as CustomEvent).detail;
        if (isEvent(kind, detail)) stream.push(detail);
        else logger.warn({ topic: name }, "ignored a malformed live update");
      };
      if (ending) {
        stream.end();
        return stream;
      }
      transport.target.addEventListener(name, listener);
      streams.add(stream as EventStream<unknown>);
      try {
        await transport.ready(name);
      } catch (error) {
        stream.end();
        throw error;
      }
      return stream;
    },
    endStreams,
    close() {
      closing ??= (async () => {
        endStreams();
        await transport.close();
      })();
      return closing;
    },
  };
}

/**
 * The live-event transport the configuration asks for. With REDIS_URL, both Redis connections are
 * open when this resolves, or it rejects with EventsUnavailableError saying why (the server does
 * not start without the Redis it was told to use).
 */
export async function openLiveEvents(config: EventsConfig, logger: Logger): Promise<LiveEvents> {
  const transport = config.redisUrl
    ? await openRedisTransport(config.redisUrl, config.channelPrefix, logger)
    : inProcessTransport();
  logger.info({ transport: transport.description, channelPrefix: config.channelPrefix }, "live updates");
  return liveEvents(transport, config.channelPrefix, logger);
}
