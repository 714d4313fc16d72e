// The environment, parsed and validated once. Every variable the service reads is here, with its
// default; README.md lists the same table.

export type DatabaseTarget = { kind: "postgres"; url: string } | { kind: "pglite"; dir: string };

export interface Config {
  port: number;
  host: string;
  database: DatabaseTarget;
  /** NODE_ENV: "production" in the container image. */
  nodeEnv: string;
  graphiql: boolean;
  /** Default and maximum page size of every list. */
  pageSize: { default: number; max: number };
  /** Pool size of the PostgreSQL connection pool (PGlite is single-connection). */
  poolSize: number;
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
    nodeEnv: env.NODE_ENV || "development",
    graphiql: bool(env, "GRAPHIQL", true),
    pageSize: { default: defaultPage, max: maxPage },
    poolSize: int(env, "DATABASE_POOL_SIZE", 10, 1, 1_000),
  };
}

/** A target's description for logs, with any password removed. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === "pglite") return `embedded PGlite at ${target.dir}`;
  const u = new URL(target.url);
  if (u.password) u.password = "****";
  return `PostgreSQL at ${u.toString()}`;
}
