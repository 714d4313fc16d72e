// The one module that opens a database: PostgreSQL through adapter-pg, or an embedded PGlite
// directory. Everything above it sees a PrismaClient and never asks which one it got.
import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { DatabaseTarget } from "../config.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import { pgPoolConfig } from "./pg-adapter.ts";
import { openPGlite, PatchedPGliteFactory } from "./pglite-adapter.ts";

export interface Database {
  readonly kind: DatabaseTarget["kind"];
  readonly prisma: PrismaClient;
  /** The connections as they are now, for the metrics (src/observability/metrics.ts). */
  pool(): PoolState;
  close(): Promise<void>;
}

/**
 * A pg pool's connections: at most `max`, `open` of them now, `idle` of those unused, and
 * `waiting` queries queued for one. PGlite is one in-process connection with no queue of its own
 * to read (its queries wait on a private lock), so it reports max and open only.
 */
export interface PoolState {
  max: number;
  open: number;
  idle?: number;
  waiting?: number;
}

export interface OpenOptions {
  poolSize?: number;
  /** An already-open PGlite instance (tests load migrated snapshots into memory). */
  pglite?: PGlite;
  /** Called with every SQL statement Prisma sends (tests count them to catch N+1 queries). */
  onStatement?: (sql: string) => void;
  /**
   * PostgreSQL's statement_timeout, in ms, for every statement of every connection (0 or unset:
   * none). PostgreSQL cancels a statement running longer with SQLSTATE 57014. PGlite takes the
   * setting but cannot enforce it: its WASM build has no timer signals.
   */
  statementTimeoutMs?: number;
}

type AdapterFactory = NonNullable<NonNullable<ConstructorParameters<typeof PrismaClient>[0]>["adapter"]>;

function client(adapter: AdapterFactory, options: OpenOptions): PrismaClient {
  if (!options.onStatement) return new PrismaClient({ adapter });
  const prisma = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  const onStatement = options.onStatement;
  prisma.$on("query", (event) => onStatement(event.query));
  return prisma as unknown as PrismaClient;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  if (target.kind === "postgres") {
    // The pool is made here rather than by the adapter so that its counts can be read; the
    // adapter still ends it when Prisma disconnects.
    const pool = new pg.Pool({
      ...pgPoolConfig(target.url),
      max: options.poolSize ?? 10,
      // sent with every new connection's startup packet, so each pooled connection has it
      statement_timeout: options.statementTimeoutMs || undefined,
    });
    const adapter = new PrismaPg(pool, { disposeExternalPool: true });
    const prisma = client(adapter, options);
    await prisma.$connect();
    return {
      kind: "postgres",
      prisma,
      pool: () => ({
        max: pool.options.max ?? 10,
        open: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
      }),
      close: () => prisma.$disconnect(),
    };
  }
  let pglite = options.pglite;
  if (!pglite) {
    if (!target.dir.startsWith("memory://")) mkdirSync(target.dir, { recursive: true });
    pglite = openPGlite(target.dir);
  }
  await pglite.waitReady;
  // One connection: setting it once sets it for the session.
  if (options.statementTimeoutMs) {
    await pglite.exec(`SET statement_timeout = ${Math.trunc(options.statementTimeoutMs)}`);
  }
  const db = pglite;
  const prisma = client(new PatchedPGliteFactory(db), options);
  await prisma.$connect();
  return {
    kind: "pglite",
    prisma,
    pool: () => ({ max: 1, open: db.closed ? 0 : 1 }),
    async close() {
      await prisma.$disconnect();
      // A PGlite directory closed cleanly needs no WAL replay at its next start.
      if (!db.closed) await db.close();
    },
  };
}
