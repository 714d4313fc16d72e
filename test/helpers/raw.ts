// Plain SQL against a test database from outside Prisma, as an operator with psql would: for
// building databases "by hand" (a legacy 001, rows written by old code).
import pg from "pg";
import type { DatabaseTarget } from "../../src/config.ts";
import { openPGlite } from "../../src/db/pglite-adapter.ts";

export interface RawSql {
  /** One or more statements, no parameters (simple query protocol, one implicit transaction). */
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** Opens the target, runs fn, and closes it again (a PGlite directory has one owner at a time). */
export async function withRawSql<T>(target: DatabaseTarget, fn: (sql: RawSql) => Promise<T>): Promise<T> {
  if (target.kind === "postgres") {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      return await fn({
        exec: async (sql) => {
          await client.query(sql);
        },
        query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
      });
    } finally {
      await client.end();
    }
  }
  const db = openPGlite(target.dir);
  await db.waitReady;
  try {
    return await fn({
      exec: async (sql) => {
        await db.exec(sql);
      },
      query: async <R>(sql: string, params?: unknown[]) => (await db.query<R>(sql, params)).rows,
    });
  } finally {
    await db.close();
  }
}
