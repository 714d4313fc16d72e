// Graceful shutdown of the HTTP server on SIGTERM (a container runtime, a supervisor) or SIGINT
// (Ctrl-C): stop accepting connections, let the requests in flight finish, end the streams that
// never would, close what the server opened (the database last), exit 0. A deadline, or a second
// signal, forces exit 1.
import type { Server, ServerResponse } from "node:http";
import type { Logger } from "./logger.ts";

/** Something the server opened, closed once the last request has finished. */
export interface Closer {
  /** For the log: what it is ("database", "event transport"). */
  name: string;
  close(): unknown;
}

export interface ShutdownOptions {
  /** SHUTDOWN_TIMEOUT_MS: from the signal to the end of the last closer. */
  timeoutMs: number;
  /** Closed in this order once no request is in flight: requests still need the database. */
  closers: Closer[];
  logger: Logger;
  /** Called first, as the drain starts (readiness turns to 503). */
  onDrain?: () => void;
}

// Content types of responses that stay open for as long as the client listens: GraphQL
// subscriptions over SSE, and incremental delivery over multipart. They never finish by
// themselves, so the drain ends them rather than wait for the deadline; their clients reconnect,
// to another instance.
const STREAM_TYPES = /^\s*(text\/event-stream|multipart\/mixed)/i;

function contentType(res: ServerResponse): string {
  const declared = res.getHeader("content-type");
  if (declared !== undefined) return String(declared);
  // writeHead(status, {headers}) without an earlier setHeader (what @whatwg-node/server does for a
  // response whose headers are a plain object) stores the headers only in the serialized head.
  const head = (res as unknown as { _header?: string | null })._header ?? "";
  return /^content-type:([^\r\n]*)/im.exec(head)?.[1] ?? "";
}

/** A response whose head is out and whose body is a stream that does not end by itself. */
function isEndlessStream(res: ServerResponse): boolean {
  return res.headersSent && !res.writableEnded && STREAM_TYPES.test(contentType(res));
}

/**
 * Installs the SIGTERM and SIGINT handlers for `server` and returns the shutdown itself (for a
 * signal that came during start-up). It tracks the responses in flight on the server's `request`
 * event, so it must be installed before the server listens.
 */
export function handleShutdown(server: Server, options: ShutdownOptions): (reason: string) => void {
  const { timeoutMs, closers, logger } = options;
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let forced = false;

  const force = (why: string) => {
    if (forced) return;
    forced = true;
    logger.error({ inFlight: inFlight.size }, `${why}; forcing exit (the database was not closed cleanly)`);
    process.exit(1);
  };

  // Closes the connections that have just become idle (Node closes the idle ones once, at
  // server.close(); a keep-alive connection whose response finishes later would otherwise wait for
  // its keep-alive timeout). With `cut`, also cuts the endless streams still open: onDrain asks
  // their sources to end them properly (a subscription's client then reads `event: complete`), and
  // the periodic sweep cuts whatever is left after that.
  const sweep = (cut: boolean) => {
    if (cut) for (const res of inFlight) if (isEndlessStream(res)) res.destroy();
    server.closeIdleConnections();
  };

  server.on("request", (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once("close", () => {
      inFlight.delete(res);
      if (draining) setImmediate(sweep, false);
    });
    // A request that arrives on an open connection during the drain is answered, and its
    // connection closed after it.
    if (draining) res.setHeader("connection", "close");
  });

  const shutdown = (reason: string) => {
    if (draining) {
      force(`${reason} during shutdown`);
      return;
    }
    draining = true;
    const started = Date.now();
    const deadline = setTimeout(() => force(`shutdown did not finish within ${timeoutMs} ms`), timeoutMs);
    options.onDrain?.();
    for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
    // A stream that did not end when asked to, or one that starts during the drain on a connection
    // that was open, is cut at the next sweep.
    const sweeper = setInterval(sweep, 200, true);
    // Stops listening (a new connection is refused) and closes the idle connections; the callback
    // runs once the last connection has closed.
    server.close(async () => {
      clearInterval(sweeper);
      let failed = false;
      for (const closer of closers) {
        try {
          await closer.close();
        } catch (err) {
          failed = true;
          logger.error({ err, closer: closer.name }, `closing ${closer.name} failed`);
        }
      }
      if (forced) return;
      clearTimeout(deadline);
      logger.info({ ms: Date.now() - started }, "stopped");
      process.exit(failed ? 1 : 0);
    });
    sweep(false);
    // Logged once the listening socket is closed, so that whoever reads it knows new connections are refused.
    logger.info(
      { reason, inFlight: inFlight.size, timeoutMs },
      "shutting down: no new connections; finishing the requests in flight",
    );
  };

  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  return shutdown;
}

/**
 * From the start of the process until handleShutdown takes over: a SIGTERM or SIGINT is noted and
 * acted on once start-up is done (a migration is never cut off halfway), by shutting down before
 * listening. In a container the server is PID 1, which has no default signal action: without a
 * handler, a signal during start-up would be ignored until the runtime's SIGKILL. A second signal
 * exits at once.
 */
export function holdSignalsDuringStart(logger: Logger): { release(): string | undefined } {
  let requested: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) {
      logger.error(`${signal} during start-up, after ${requested}; exiting at once`);
      process.exit(1);
    }
    requested = signal;
    logger.info({ signal }, "stopping once start-up has finished");
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return {
    /** Removes these handlers; returns the signal that came meanwhile, if any. */
    release() {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      return requested;
    },
  };
}
