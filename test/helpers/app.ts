// The service over HTTP for tests: a Yoga app on a fresh migrated database, called through
// yoga.fetch() with no socket, the way a client calls it.
import { type Config, loadConfig } from "../../src/config.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { type App, createApp } from "../../src/yoga.ts";
import { migratedDatabase } from "./db.ts";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface TestApp {
  app: App;
  prisma: PrismaClient;
  config: Config;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export async function testApp(env: Record<string, string> = {}): Promise<TestApp> {
  const { db, drop } = await migratedDatabase();
  const config = loadConfig({ ...env, DATA_DIR: "memory://" });
  const app = createApp({ db, config });
  return {
    app,
    prisma: db.prisma,
    config,
    async gql(query, variables) {
      const response = await app.fetch("http://test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, ...(await response.json()) };
    },
    close: drop,
  };
}
