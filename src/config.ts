// The environment, parsed and validated once. Every variable the service reads is here, with its
// default; README.md lists the same table.
import { type AuthConfig, authConfig } from "./auth/config.ts";
import { type PersistedOperations, readPersistedOperations } from "./hardening/persisted.ts";

export type DatabaseTarget = { kind: "postgres"; url: string } | { kind: "pglite"; dir: string };

export interface Config {
  port: number;
  host: string;
  database: DatabaseTarget;
  /** NODE_ENV: "production" in the container image. */
  nodeEnv: string;
  graphiql: boolean;
  /** DEMO_DATA: whether `npm start` loads demo data into an empty database: ask, true or false (src/demo/first-run.ts). */
  demoData: DemoData;
  /** Default and maximum page size of every list. */
  pageSize: { default: number; max: number };
  /** Pool size of the PostgreSQL connection pool (PGlite is single-connection). */
  poolSize: number;
  /** MIGRATE_ON_START: apply pending migrations at start; false: refuse to start while any is pending. */
  migrateOnStart: boolean;
  /** SHUTDOWN_TIMEOUT_MS: how long a graceful shutdown may take before the exit is forced (src/shutdown.ts). */
  shutdownTimeoutMs: number;
  /** What one request may ask for (README.md, "Limits"). */
  limits: Limits;
  /** How callers are identified: verified bearer tokens, or (never in production) development mode. */
  auth: AuthConfig;
  /** How live updates (GraphQL subscriptions) travel between server instances (README.md, "Live updates"). */
  events: EventsConfig;
  /** LOG_LEVEL: the pino level of the JSON logs (src/logger.ts reads it through logLevel()). */
  logLevel: LogLevel;
  /** The health, readiness and metrics endpoints (README.md, "Operating: health, logs, metrics"). */
  observability: ObservabilityConfig;
}

export interface ObservabilityConfig {
  /** METRICS: serve Prometheus metrics at /metrics. */
  metrics: boolean;
  /** METRICS_TOKEN: when set, /metrics answers only requests with `Authorization: Bearer <it>`. */
  metricsToken: string | null;
  /** READINESS_TIMEOUT_MS: how long /readyz waits for the database before answering 503. */
  readinessTimeoutMs: number;
}

export interface EventsConfig {
  /** REDIS_URL: publish and receive events through this Redis server; null: within this process only. */
  redisUrl: string | null;
  /** REDIS_CHANNEL_PREFIX: the start of every Redis channel name, so deployments sharing one Redis stay apart. */
  channelPrefix: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}; got "${raw}"`);
  }
  return n;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key]?.toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${key} must be true or false; got "${env[key]}"`);
}

/** What one request may ask for; every value is in README.md's "Limits" table. */
export interface Limits {
  /** MAX_QUERY_DEPTH: how deeply selections nest (fragments do not count; introspection's __schema is not measured). */
  depth: number;
  /** MAX_QUERY_COMPLEXITY: the cost of an operation (src/hardening/complexity.ts). */
  complexity: number;
  /** MAX_ALIASES: aliased fields in an operation (`__typename` aliases are free). */
  aliases: number;
  /** MAX_TOKENS: lexical tokens in a document. */
  tokens: number;
  /** MAX_DIRECTIVES: directive uses in an operation. */
  directives: number;
  /** MAX_BODY_BYTES: the largest request body, declared or streamed. */
  bodyBytes: number;
  /** STATEMENT_TIMEOUT_MS: PostgreSQL's statement_timeout on every connection; 0 means none. */
  statementTimeoutMs: number;
  /** MAX_JSON_BYTES: the largest JSON input value (metadata, permissions, scope), as UTF-8 JSON text. */
  jsonBytes: number;
  /** MAX_JSON_DEPTH: how deeply a JSON input value's objects and arrays may nest. */
  jsonDepth: number;
  /** INTROSPECTION: whether __schema and __type are answered. */
  introspection: boolean;
  /** PERSISTED_OPERATIONS_FILE: when set, only the operations of this file (read at start) run. */
  persistedOperations: PersistedOperations | null;
}

function limits(env: Env): Limits {
  return {
    depth: int(env, "MAX_QUERY_DEPTH", 12, 1, 1_000),
    complexity: int(env, "MAX_QUERY_COMPLEXITY", 50_000, 1, 1_000_000_000),
    aliases: int(env, "MAX_ALIASES", 20, 0, 10_000),
    tokens: int(env, "MAX_TOKENS", 2_000, 1, 1_000_000),
    directives: int(env, "MAX_DIRECTIVES", 20, 0, 10_000),
    bodyBytes: int(env, "MAX_BODY_BYTES", 1_048_576, 1_024, 1_073_741_824),
    statementTimeoutMs: int(env, "STATEMENT_TIMEOUT_MS", 15_000, 0, 86_400_000),
    jsonBytes: int(env, "MAX_JSON_BYTES", 65_536, 2, 1_073_741_824),
    jsonDepth: int(env, "MAX_JSON_DEPTH", 16, 1, 1_000),
    introspection: bool(env, "INTROSPECTION", true),
    persistedOperations: env.PERSISTED_OPERATIONS_FILE ? readPersistedOperations(env.PERSISTED_OPERATIONS_FILE) : null,
  };
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * NODE_ENV, or development. Exported for the schema builder, which is built on import, before the
 * configuration is loaded.
 */
export function nodeEnv(env: Env = process.env): string {
  return env.NODE_ENV || "development";
}

/** LOG_LEVEL, or `info` (`silent` when NODE_ENV is test). */
export function logLevel(env: Env = process.env): LogLevel {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === "") return env.NODE_ENV === "test" ? "silent" : "info";
  const level = LOG_LEVELS.find((l) => l === raw.toLowerCase());
  if (!level) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}; got "${raw}"`);
  return level;
}

// RFC 6750's b64token: what a client can send after "Bearer " without quoting.
const BEARER_TOKEN_RE = /^[A-Za-z0-9._~+/-]+=*$/;

function observability(env: Env): ObservabilityConfig {
  const token = env.METRICS_TOKEN || null;
  if (token !== null && (token.length < 16 || !BEARER_TOKEN_RE.test(token))) {
    throw new ConfigError(
      "METRICS_TOKEN must be at least 16 characters of A-Z, a-z, 0-9 and -._~+/ (a bearer token a scraper can send)",
    );
  }
  return {
    metrics: bool(env, "METRICS", true),
    metricsToken: token,
    readinessTimeoutMs: int(env, "READINESS_TIMEOUT_MS", 2_000, 10, 60_000),
  };
}

function events(env: Env): EventsConfig {
  const url = env.REDIS_URL || null;
  if (url !== null) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError("REDIS_URL is not a valid URL (expected redis://[:password@]host:6379[/db])");
    }
    if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
      throw new ConfigError(`REDIS_URL must start with redis:// or rediss:// (got ${parsed.protocol})`);
    }
  }
  const prefix = env.REDIS_CHANNEL_PREFIX || "fms:";
  // Printable ASCII without spaces: a channel name that shows as typed in redis-cli and MONITOR.
  if (!/^[\x21-\x7e]{1,100}$/.test(prefix)) {
    throw new ConfigError(
      `REDIS_CHANNEL_PREFIX must be 1 to 100 printable ASCII characters without spaces; got ${JSON.stringify(prefix)}`,
    );
  }
  return { redisUrl: url, channelPrefix: prefix };
}

/** A Redis URL for logs, with any password removed. */
export function describeRedis(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "****";
  return u.toString();
}

export function databaseTarget(env: Env = process.env): DatabaseTarget {
  const url = env.DATABASE_URL;
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError("DATABASE_URL is not a valid URL (expected postgresql://user:pass@host:5432/db)");
    }
    if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
      throw new ConfigError(`DATABASE_URL must start with postgresql:// (got ${parsed.protocol}//)`);
    }
    return { kind: "postgres", url };
  }
  return { kind: "pglite", dir: env.DATA_DIR || "./.data" };
}

export type DemoData = "ask" | boolean;

/** DEMO_DATA: `ask` (the default), or true/false. Demo data never goes into a production database. */
function demoData(env: Env): DemoData {
  const raw = env.DEMO_DATA?.toLowerCase();
  if (raw === undefined || raw === "" || raw === "ask") return "ask";
  if (!["1", "true", "yes", "on", "0", "false", "no", "off"].includes(raw)) {
    throw new ConfigError(`DEMO_DATA must be ask, true or false; got "${env.DEMO_DATA}"`);
  }
  const load = bool(env, "DEMO_DATA", false);
  if (load && env.NODE_ENV === "production") {
    throw new ConfigError(
      "DEMO_DATA=true is refused with NODE_ENV=production: demo data is for a first look on a development machine",
    );
  }
  return load;
}

export function loadConfig(env: Env = process.env): Config {
  const defaultPage = int(env, "PAGE_SIZE_DEFAULT", 50, 1, 10_000);
  const maxPage = int(env, "PAGE_SIZE_MAX", 500, 1, 10_000);
  if (defaultPage > maxPage) {
    throw new ConfigError(`PAGE_SIZE_DEFAULT (${defaultPage}) must not exceed PAGE_SIZE_MAX (${maxPage})`);
  }
  return {
    port: int(env, "PORT", 4000, 0, 65_535),
    host: env.HOST || "0.0.0.0",
    database: databaseTarget(env),
    nodeEnv: nodeEnv(env),
    graphiql: bool(env, "GRAPHIQL", true),
    demoData: demoData(env),
    pageSize: { default: defaultPage, max: maxPage },
    poolSize: int(env, "DATABASE_POOL_SIZE", 10, 1, 1_000),
    limits: limits(env),
    auth: authConfig(env),
    events: events(env),
    logLevel: logLevel(env),
    observability: observability(env),
    migrateOnStart: bool(env, "MIGRATE_ON_START", true),
    shutdownTimeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 100, 3_600_000),
  };
}

/** A target's description for logs, with any password removed. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === "pglite") return `embedded PGlite at ${target.dir}`;
  const u = new URL(target.url);
  if (u.password) u.password = "****";
  return `PostgreSQL at ${u.toString()}`;
}
