// The Yoga instance: schema, context, error masking and request ids. It never listens; server.ts
// does, and tests call yoga.fetch() directly.
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { authentication } from "./auth/plugin.ts";
import type { Config } from "./config.ts";
import type { Context } from "./context.ts";
import type { Database } from "./db/database.ts";
import { inProcessTransport, type LiveEvents, liveEvents } from "./events/index.ts";
import { hardening } from "./hardening/index.ts";
import { logger as defaultLogger, type Logger } from "./logger.ts";
import { observability, Readiness } from "./observability/index.ts";
import { schema } from "./schema/index.ts";

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

export interface AppOptions {
  db: Database;
  config: Config;
  logger?: Logger;
  /** Live updates (server.ts opens them from the configuration); within this app when not given. */
  events?: LiveEvents;
  /** The server calls its drain() when a graceful shutdown begins: /readyz then answers 503. */
  readiness?: Readiness;
}

/**
 * Every request gets an id (a sane incoming X-Request-Id is kept). It is in the context, in the
 * response's `extensions.requestId` and X-Request-Id header, and in every log line about the
 * request, so a client can quote it and an operator can find the masked error behind it.
 */
function requestIds(log: Logger): { plugin: Plugin<Context>; idOf: (request: Request) => string } {
  const ids = new WeakMap<Request, string>();
  const idOf = (request: Request) => {
    let id = ids.get(request);
    if (!id) {
      const incoming = request.headers.get("x-request-id");
      id = incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
      ids.set(request, id);
    }
    return id;
  };
  const logUnexpected = (context: unknown, errors: readonly GraphQLError[] | undefined) => {
    const { requestId } = context as Context;
    for (const error of errors ?? []) {
      if (error.originalError && !(error.originalError instanceof GraphQLError)) {
        log.error({ requestId, path: error.path?.join("."), err: error.originalError }, "unexpected error");
      }
    }
  };
  const plugin: Plugin<Context> = {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        if (!("errors" in result)) return; // a stream: nothing to inspect here
        logUnexpected(args.contextValue, result.errors);
      },
    }),
    // A subscription's events are executed one by one; each may carry an error of its own.
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result }) => {
        if ("errors" in result) {
          logUnexpected(args.contextValue, result.errors);
          return undefined;
        }
        return { onNext: ({ result: event }) => logUnexpected(args.contextValue, event.errors) };
      },
    }),
    onResultProcess: ({ request, result }) => {
      for (const r of Array.isArray(result) ? result : [result]) {
        if (r && typeof r === "object" && ("data" in r || "errors" in r)) {
          r.extensions = { ...r.extensions, requestId: idOf(request) };
        }
      }
    },
    onResponse: ({ request, response }) => {
      response.headers.set("x-request-id", idOf(request));
    },
  };
  return { plugin, idOf };
}

/**
 * The GraphiQL page gzipped (9 MB of inlined scripts become 2.4 MB) for a browser that accepts it.
 * Only that page: the API's own responses stay as they are (an SSE stream must not be buffered by
 * a compressor), and request bodies are never inflated (MAX_BODY_BYTES counts what arrives). The
 * page never changes in a process, so it is compressed once, off the event loop.
 */
function gzippedGraphiQL(): Plugin {
  let gzipped: Promise<Buffer<ArrayBuffer>> | undefined;
  return {
    async onResponse({ request, response, setResponse }) {
      if (request.method !== "GET" || !response.headers.get("content-type")?.startsWith("text/html")) return;
      const headers = new Headers(response.headers);
      headers.append("vary", "accept-encoding");
      if (!/\bgzip\b/i.test(request.headers.get("accept-encoding") ?? "")) {
        setResponse(new Response(response.body, { status: response.status, headers }));
        return;
      }
      gzipped ??= response
        .clone()
        .text()
        .then((page) => promisify(gzip)(page));
      headers.set("content-encoding", "gzip");
      headers.delete("content-length");
      setResponse(new Response(await gzipped, { status: response.status, headers }));
    },
  };
}

export function createApp({
  db,
  config,
  logger = defaultLogger,
  events = liveEvents(inProcessTransport(), config.events.channelPrefix, logger),
  readiness = new Readiness(),
}: AppOptions) {
  const ids = requestIds(logger);
  let graphiqlPage: Promise<string> | undefined;
  const auth = authentication(config.auth, { logger, requestId: ids.idOf });
  const guard = hardening(config, logger);
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: config.graphiql ? { title: "FMS — file metadata API" } : false,
    // Yoga's own page loads GraphiQL from unpkg.com, which many networks cannot reach; this one
    // inlines its scripts and styles (about 9 MB, served only to a browser's GET asking for
    // text/html). Yoga renders the page on every such request and the options never change, so it
    // is built once; the module is imported on first use, not by every process that serves the API.
    renderGraphiQL: (options) =>
      (graphiqlPage ??= import("@graphql-yoga/render-graphiql").then((m) => m.renderGraphiQL(options))),
    landingPage: false,
    logging: {
      debug: (...a) => logger.debug(a.map(String).join(" ")),
      info: (...a) => logger.info(a.map(String).join(" ")),
      warn: (...a) => logger.warn(a.map(String).join(" ")),
      error: (...a) => logger.error(a.map(String).join(" ")),
    },
    // Unexpected errors reach the client as "Unexpected error." with the request id; the real
    // error is logged (see requestIds) and never sent. A statement cancelled by
    // STATEMENT_TIMEOUT_MS is reported as such (src/hardening).
    maskedErrors: { isDev: false, maskError: guard.maskError },
    // MAX_BODY_BYTES is enforced by src/hardening, with the limit in its message.
    maxRequestBodySize: false,
    context: async ({ request }) => ({
      prisma: db.prisma,
      config,
      requestId: ids.idOf(request),
      identity: await auth.identityOf(request),
      events,
    }),
    plugins: [
      // /healthz, /readyz and /metrics answer before authentication and the CSRF check, and the
      // metrics see the refusals of the operation limits (src/observability).
      ...(observability({
        db,
        config,
        logger,
        readiness,
        requestId: ids.idOf,
        maskError: guard.maskError,
      }) as Plugin<Context>[]),
      ids.plugin,
      auth.plugin,
      ...guard.plugins,
      ...(config.graphiql ? [gzippedGraphiQL()] : []),
    ],
  });
}

export type App = ReturnType<typeof createApp>;
