// The one module that opens a database: PostgreSQL through adapter-pg, or an embedded PGlite
// directory. Everything above it sees a PrismaClient and never asks which one it got.
import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { DatabaseTarget } from "../config.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import { pgPoolConfig } from "./pg-adapter.ts";
import { openPGlite, PatchedPGliteFactory } from "./pglite-adapter.ts";

export interface Database {
  readonly kind: DatabaseTarget["kind"];
  readonly prisma: PrismaClient;
  close(): Promise<void>;
}

export interface OpenOptions {
  poolSize?: number;
  /** An already-open PGlite instance (tests load migrated snapshots into memory). */
  pglite?: PGlite;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  if (target.kind === "postgres") {
    const adapter = new PrismaPg({ ...pgPoolConfig(target.url), max: options.poolSize ?? 10 });
    const prisma = new PrismaClient({ adapter });
    await prisma.$connect();
    return { kind: "postgres", prisma, close: () => prisma.$disconnect() };
  }
  let pglite = options.pglite;
  if (!pglite) {
    if (!target.dir.startsWith("memory://")) mkdirSync(target.dir, { recursive: true });
    pglite = openPGlite(target.dir);
  }
  await pglite.waitReady;
  const db = pglite;
  const prisma = new PrismaClient({ adapter: new PatchedPGliteFactory(db) });
  await prisma.$connect();
  return {
    kind: "pglite",
    prisma,
    async close() {
      await prisma.$disconnect();
      // A PGlite directory closed cleanly needs no WAL replay at its next start.
      if (!db.closed) await db.close();
    },
  };
}
