// Prometheus metrics at /metrics: GraphQL requests, latency and errors by operation (from
// @graphql-yoga/plugin-prometheus), the database connections, and Node's process metrics.
import { timingSafeEqual } from "node:crypto";
import {
  createCounter,
  createHistogram,
  type FillLabelsFnParams,
  usePrometheus,
} from "@graphql-yoga/plugin-prometheus";
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Database } from "../db/database.ts";

export const METRICS_PATH = "/metrics";

/**
 * How many distinct operation names get their own label value; later ones are counted as "other".
 * Operation names come from clients, and every label value is a time series kept in memory for the
 * life of the process, so they are bounded (an application has tens of operations, not hundreds).
 */
export const MAX_OPERATION_NAMES = 200;
/** Longer names are counted as "other" too. */
const MAX_NAME_LENGTH = 100;

/**
 * The codes Yoga gives parse and validation errors that have none of their own; it adds them after
 * the metrics plugin has seen the error.
 */
const FALLBACK_CODES: Record<string, string> = {
  parse: "GRAPHQL_PARSE_FAILED",
  validate: "GRAPHQL_VALIDATION_FAILED",
};

type OperationLabels = { operationName: string; operationType: string };

/**
 * The operation a request runs, as metric labels: the name of the operation the document selects
 * (never the raw operationName parameter, which need not name anything in it), "Anonymous" for an
 * unnamed one, "unknown" when there is no document or no such operation, "other" past the bound.
 */
function operationLabeler(): (params: FillLabelsFnParams, context: unknown) => OperationLabels {
  const seen = new Set<string>();
  const bounded = (name: string): string => {
    if (seen.has(name)) return name;
    if (name.length > MAX_NAME_LENGTH || seen.size >= MAX_OPERATION_NAMES) return "other";
    seen.add(name);
    return name;
  };
  return (params, context) => {
    const document = params.document;
    if (!document) return { operationName: "unknown", operationType: "unknown" };
    // Envelop's hooks pass the GraphQL context (with the request's params); Yoga's HTTP histogram
    // passes the operation's own name.
    const wanted = (context as { params?: { operationName?: string | null } } | undefined)?.params?.operationName;
    const operation = getOperationAST(document, wanted ?? params.operationName ?? undefined);
    if (!operation) return { operationName: "unknown", operationType: "unknown" };
    return { operationName: bounded(operation.name?.value ?? "Anonymous"), operationType: operation.operation };
  };
}

// Node's own metrics (CPU, memory, event loop, GC) describe the process, not an app: collected once
// per process, whatever number of apps it creates (the tests create many).
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Gauges of the database connections, read from the pool at each scrape. */
function poolGauges(registry: Registry, db: Database): void {
  const labels = { backend: db.kind };
  const gauge = (name: string, help: string, read: () => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["backend"],
      registers: [registry],
      collect() {
        const value = read();
        if (value !== undefined) this.set(labels, value);
      },
    });
  const initial = db.pool();
  gauge(
    "fms_db_pool_max_connections",
    "Connections the database pool may open (PGlite: its one).",
    () => db.pool().max,
  );
  gauge("fms_db_pool_open_connections", "Connections the database pool has open now.", () => db.pool().open);
  // PGlite has no pool whose idle connections or queue could be read: these are absent for it.
  if (initial.idle !== undefined) {
    gauge("fms_db_pool_idle_connections", "Open connections no query is using.", () => db.pool().idle);
  }
  if (initial.waiting !== undefined) {
    gauge("fms_db_pool_waiting_requests", "Queries waiting for a free connection.", () => db.pool().waiting);
  }
}

/** Whether the Authorization header carries the metrics token (compared in constant time). */
function authorized(header: string | null, token: string): boolean {
  const given = /^Bearer (\S+)$/i.exec(header ?? "")?.[1];
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface MetricsOptions {
  db: Database;
  /** METRICS_TOKEN: required as a bearer token by /metrics when set. */
  token: string | null;
  /** The code a client sees for an error (the app's masking applied), for the errors' `code` label. */
  codeOf: (error: unknown) => string | undefined;
}

export interface Metrics {
  plugins: Plugin[];
  /** Counts the errors of a request refused before its document was parsed (phase "request"). */
  countRefused(codes: string[]): void;
}

export function metrics({ db, token, codeOf }: MetricsOptions): Metrics {
  // One registry per app: apps in one process (the tests) must not share or collide on metrics.
  const registry = new Registry();
  const operationOf = operationLabeler();
  const operationLabels = ["operationType", "operationName"] as const;

  const requests = createCounter<"execute" | "subscribe", (typeof operationLabels)[number], FillLabelsFnParams>({
    registry,
    counter: {
      name: "graphql_envelop_request",
      help: "GraphQL operations executed (refused ones included once they reach execution), by operation",
      labelNames: [...operationLabels],
    },
    fillLabelsFn: operationOf,
  });
  const duration = createHistogram<"execute" | "subscribe", (typeof operationLabels)[number], FillLabelsFnParams>({
    registry,
    histogram: {
      name: "graphql_envelop_request_duration",
      help: "Time spent executing GraphQL operations, in seconds, by operation",
      labelNames: [...operationLabels],
    },
    fillLabelsFn: operationOf,
  });

  // The validation phase hands the error counter no error: its codes are kept here for it.
  const validationCodes = new WeakMap<object, string>();
  const errorLabels = ["operationType", "operationName", "phase", "code"] as const;
  type ErrorParams = FillLabelsFnParams & { error: unknown; errorPhase: string };
  const errors = createCounter<
    "parse" | "validate" | "context" | "execute" | "subscribe",
    (typeof errorLabels)[number],
    ErrorParams
  >({
    registry,
    counter: {
      name: "graphql_envelop_error_result",
      help: "GraphQL errors, by operation, phase (request: refused before parsing, parse, validate, context, execute, subscribe) and code",
      labelNames: [...errorLabels],
    },
    fillLabelsFn: (params, context) => ({
      ...operationOf(params, context),
      phase: params.errorPhase,
      code:
        (params.error === undefined ? validationCodes.get(context as object) : codeOf(params.error)) ??
        FALLBACK_CODES[params.errorPhase] ??
        "UNKNOWN",
    }),
  });

  type HttpParams = FillLabelsFnParams & { request: Request; response: Response };
  const httpLabels = [...operationLabels, "method", "statusCode"] as const;
  const http = createHistogram<"request", (typeof httpLabels)[number], HttpParams>({
    registry,
    histogram: {
      name: "graphql_yoga_http_duration",
      help: "Time from receiving an HTTP request with a GraphQL document to answering it, in seconds",
      labelNames: [...httpLabels],
    },
    // No `url` label: a GET request's URL holds its document and variables.
    fillLabelsFn: (params, context) => ({
      ...operationOf(params, context),
      method: params.request.method,
      statusCode: params.response.status,
    }),
  });

  poolGauges(registry, db);

  const validationStash: Plugin = {
    onValidate: ({ context }) => {
      return ({ valid, result }) => {
        const code = !valid && result[0] ? codeOf(result[0]) : undefined;
        if (code) validationCodes.set(context, code);
      };
    },
  };

  const endpoint: Plugin = {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== METRICS_PATH) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: "GET, HEAD" } }));
        return;
      }
      if (token !== null && !authorized(request.headers.get("authorization"), token)) {
        endResponse(
          new fetchAPI.Response("A bearer token (METRICS_TOKEN) is required.\n", {
            status: 401,
            headers: { "www-authenticate": 'Bearer realm="metrics"', "content-type": "text/plain; charset=utf-8" },
          }),
        );
        return;
      }
      const merged = Registry.merge([processMetrics(), registry]);
      const body = await merged.metrics();
      endResponse(
        new fetchAPI.Response(request.method === "HEAD" ? null : body, {
          headers: { "content-type": merged.contentType, "cache-control": "no-store" },
        }),
      );
    },
  };

  return {
    plugins: [
      endpoint,
      validationStash,
      usePrometheus({
        registry,
        endpoint: false, // served above, with the token check and the process metrics
        metrics: {
          graphql_envelop_request: requests,
          graphql_envelop_request_duration: duration,
          graphql_envelop_error_result: errors,
          graphql_yoga_http_duration: http,
          // Off: the summary duplicates the histogram and cannot be aggregated across instances;
          // the phase histograms split what the request histogram measures; the schema never
          // changes and has no deprecated fields.
          graphql_envelop_request_time_summary: false,
          graphql_envelop_phase_parse: false,
          graphql_envelop_phase_validate: false,
          graphql_envelop_phase_context: false,
          graphql_envelop_phase_execute: false,
          graphql_envelop_phase_subscribe: false,
          graphql_envelop_deprecated_field: false,
          graphql_envelop_schema_change: false,
        },
      }),
    ],
    countRefused(codes) {
      for (const code of codes) {
        errors.counter.labels({ operationName: "unknown", operationType: "unknown", phase: "request", code }).inc();
      }
    },
  };
}
