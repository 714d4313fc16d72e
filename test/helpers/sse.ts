// GraphQL subscriptions over Server-Sent Events, read the way a client reads them: POST the
// document with `Accept: text/event-stream`, then parse the response body into frames
// (`event: next` / `data: <result>`, `event: complete`; lines starting with ":" are pings).
import type { GraphQLError } from "./app.ts";

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface EventResult<T> {
  data?: T | null;
  errors?: GraphQLError[];
  extensions?: Record<string, unknown>;
}

export interface Subscription<T> {
  response: Response;
  /** The next `next` event's result; fails when the stream completes first or nothing comes in time. */
  next(timeoutMs?: number): Promise<EventResult<T>>;
  /** Resolves when the server completes the stream (`event: complete`); fails on anything else, or after timeoutMs. */
  completed(timeoutMs?: number): Promise<void>;
  /** Resolves when the stream ends, completed or cut off by the server; fails on an event, or after timeoutMs. */
  ended(timeoutMs?: number): Promise<void>;
  /** Disconnects, as a client closing the stream does. */
  close(): Promise<void>;
}

interface Frame {
  event: string;
  data: string;
}

export async function subscribe<T = Record<string, unknown>>(
  fetchFn: Fetch,
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<Subscription<T>> {
  const response = await fetchFn(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = response.body;
  if (!body) throw new Error(`no response body (HTTP ${response.status})`);
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  void (async () => {
    let text = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const frame: Frame = { event: "message", data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue; // a ping
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") frame.event = value;
            else if (field === "data") data.push(value);
          }
          frame.data = data.join("\n");
          if (block.split("\n").some((line) => !line.startsWith(":"))) {
            frames.push(frame);
            notify();
          }
        }
      }
    } catch (e) {
      failure = e;
    }
    ended = true;
    notify();
  })();

  async function nextFrame(timeoutMs: number): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = frames.shift();
      if (frame) return frame;
      if (ended) {
        if (failure) throw failure;
        return undefined;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  return {
    response,
    async next(timeoutMs = 10_000) {
      const frame = await nextFrame(timeoutMs);
      if (!frame) throw new Error("the stream ended before the next event");
      if (frame.event !== "next") throw new Error(`expected a next event, got "${frame.event}" (${frame.data})`);
      return JSON.parse(frame.data) as EventResult<T>;
    },
    async completed(timeoutMs = 10_000) {
      const frame = await nextFrame(timeoutMs);
      if (frame?.event !== "complete") {
        throw new Error(
          frame
            ? `expected the end of the stream, got "${frame.event}" (${frame.data})`
            : "the body ended without event: complete",
        );
      }
    },
    async ended(timeoutMs = 10_000) {
      let frame: Frame | undefined;
      try {
        frame = await nextFrame(timeoutMs);
      } catch (e) {
        if (ended) return; // the connection was cut
        throw e;
      }
      if (frame && frame.event !== "complete") {
        throw new Error(`expected the end of the stream, got "${frame.event}" (${frame.data})`);
      }
    },
    async close() {
      await reader.cancel().catch(() => {});
    },
  };
}
