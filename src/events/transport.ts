// How events reach the subscribers of one server process. Events are published on `target` as
// CustomEvents whose type is the topic (graphql-yoga's createPubSub); `ready(topic)` resolves once
// events of the topic published by any instance from then on will arrive here.

/** A subscription could not be opened: the event transport is down (Redis unreachable). */
export class EventsUnavailableError extends Error {
  override name = "EventsUnavailableError";
}

export interface Transport {
  target: EventTarget;
  /** For logs: "in-process", or the Redis server with its password hidden. */
  description: string;
  ready(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** Events within this process only: an in-memory EventTarget, as createPubSub makes by default. */
export function inProcessTransport(): Transport {
  return {
    target: new EventTarget(),
    description: "in-process",
    ready: async () => {},
    close: async () => {},
  };
}
