// The service over HTTP for tests: a Yoga app on a fresh migrated database, called through
// yoga.fetch() with no socket, the way a client calls it. It also records what a request did: the
// SQL statements it sent (to catch N+1 queries) and the log lines it wrote.
import { Writable } from "node:stream";
import pino from "pino";
import { type Config, loadConfig } from "../../src/config.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { type App, createApp } from "../../src/yoga.ts";
import { migratedDatabase } from "./db.ts";

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: GraphQLError[];
  extensions?: Record<string, unknown>;
}

/**
 * What a mutation returns, as its tests select it: `__typename`, and the fields of whichever typed
 * error it is (each test adds its own success field).
 */
export interface MutationOutcome {
  __typename: string;
  code?: string;
  message?: string;
  issues?: { path: string[]; message: string }[];
  entity?: string;
  id?: string | null;
  path?: string[];
  rule?: string;
  contractId?: string | null;
  reason?: string;
  conflictingIds?: string[];
  from?: string;
  to?: string;
  allowed?: string[];
}

/** How a test request is sent: a bearer token (see ./tokens.ts) and any other headers. */
export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
}

/** The request functions of a TestApp with the options bound (`t.as(token)`). */
export interface Caller {
  gql: TestApp["gql"];
  ok: TestApp["ok"];
  counted: TestApp["counted"];
}

export interface TestApp {
  app: App;
  prisma: PrismaClient;
  config: Config;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<T>>;
  /** Like gql, and fails the test when the response has GraphQL errors. */
  ok<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<T>;
  /** Runs fn and returns the SQL statements the database received meanwhile. */
  statements(fn: () => Promise<unknown>): Promise<string[]>;
  /** Like ok, and also returns the SQL statements the request sent (n of them). */
  counted<T = unknown>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<{ n: number; data: T; statements: string[] }>;
  /** gql, ok and counted that send `Authorization: Bearer <token>`. */
  as(token: string): Caller;
  /** Log lines written so far (JSON objects). */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function testApp(env: Record<string, string> = {}): Promise<TestApp> {
  let recording: string[] | undefined;
  const config = loadConfig({ ...env, DATA_DIR: "memory://" });
  const { db, drop } = await migratedDatabase({
    onStatement: (sql) => recording?.push(sql),
    statementTimeoutMs: config.limits.statementTimeoutMs,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = createApp({ db, config, logger: pino({ level: "info" }, sink) });
  const gql: TestApp["gql"] = async (query, variables, options = {}) => {
    const response = await app.fetch("http://test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json",
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...options.headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, ...(await response.json()) };
  };
  const ok: TestApp["ok"] = async (query, variables, options) => {
    const r = await gql(query, variables, options);
    if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    return r.data as never;
  };
  const statements: TestApp["statements"] = async (fn) => {
    const seen: string[] = [];
    recording = seen;
    try {
      await fn();
    } finally {
      recording = undefined;
    }
    return seen;
  };
  const counted: TestApp["counted"] = async (query, variables, options) => {
    let data: unknown;
    const sent = await statements(async () => {
      data = await ok(query, variables, options);
    });
    return { n: sent.length, data: data as never, statements: sent };
  };
  return {
    app,
    prisma: db.prisma,
    config,
    gql,
    ok,
    statements,
    counted,
    as: (token) => ({
      gql: (query, variables, options) => gql(query, variables, { token, ...options }),
      ok: (query, variables, options) => ok(query, variables, { token, ...options }),
      counted: (query, variables, options) => counted(query, variables, { token, ...options }),
    }),
    logs,
    close: drop,
  };
}
