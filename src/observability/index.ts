// Operating the service (README.md, "Operating: health, logs, metrics"): /healthz and /readyz, a
// log line per GraphQL request, and Prometheus metrics at /metrics, as Yoga plugins. They go first
// in the app's plugin list: the endpoints answer before the CSRF check and authentication, and the
// metrics see a refusal by the operation limits, which act after them.
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import { healthEndpoints, type Readiness } from "./health.ts";
import { metrics } from "./metrics.ts";
import { errorCode, requestLog } from "./request-log.ts";

export { Readiness } from "./health.ts";

export interface ObservabilityOptions {
  db: Database;
  config: Config;
  logger: Logger;
  readiness: Readiness;
  requestId: (request: Request) => string;
  /** The app's error masking: the errors' codes in the metrics are the ones clients see. */
  maskError: (error: unknown, message: string, isDev?: boolean) => Error;
}

export function observability({ db, config, logger, readiness, requestId, maskError }: ObservabilityOptions): Plugin[] {
  const { observability: options } = config;
  const health = healthEndpoints({ db, readiness, logger, timeoutMs: options.readinessTimeoutMs });
  if (!options.metrics) return [health, requestLog({ logger, requestId })];
  const m = metrics({
    db,
    token: options.metricsToken,
    codeOf: (error) => errorCode(maskError(error, "Unexpected error.", false)),
  });
  return [health, ...m.plugins, requestLog({ logger, requestId, onRefusedBeforeParse: m.countRefused })];
}
