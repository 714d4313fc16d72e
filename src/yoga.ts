// The Yoga instance: schema, context, error masking and request ids. It never listens; server.ts
// does, and tests call yoga.fetch() directly.
import { randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { authentication } from "./auth/plugin.ts";
import type { Config } from "./config.ts";
import type { Context } from "./context.ts";
import type { Database } from "./db/database.ts";
import { hardening } from "./hardening/index.ts";
import { logger as defaultLogger, type Logger } from "./logger.ts";
import { schema } from "./schema/index.ts";

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

export interface AppOptions {
  db: Database;
  config: Config;
  logger?: Logger;
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
  const plugin: Plugin<Context> = {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        if (!("errors" in result)) return; // a stream (subscription): nothing to inspect here
        const { requestId } = args.contextValue as Context;
        for (const error of result.errors ?? []) {
          if (error.originalError && !(error.originalError instanceof GraphQLError)) {
            log.error({ requestId, path: error.path?.join("."), err: error.originalError }, "unexpected error");
          }
        }
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

export function createApp({ db, config, logger = defaultLogger }: AppOptions) {
  const ids = requestIds(logger);
  const auth = authentication(config.auth, { logger, requestId: ids.idOf });
  const guard = hardening(config, logger);
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: config.graphiql ? { title: "FMS — file metadata API" } : false,
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
    }),
    plugins: [ids.plugin, auth.plugin, ...guard.plugins],
  });
}

export type App = ReturnType<typeof createApp>;
