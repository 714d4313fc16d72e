// Prisma CLI configuration. Prisma Migrate runs through its WASM schema engine over a driver
// adapter (engine "js"): the native engine binaries cannot be downloaded on our machines.
//
// Target database: PGLITE_DIR (a directory, or "memory://") wins; else DATABASE_URL (PostgreSQL);
// neither => DATA_DIR (default ./.data), the same embedded directory the server uses.
import { defineConfig } from "prisma/config";
import { reportMigrationEvents } from "./src/db/migration-events.ts";
import { PgWithPGliteShadow } from "./src/db/pg-adapter.ts";
import { openPGlite, PatchedPGliteFactory } from "./src/db/pglite-adapter.ts";

const pgliteDir =
  process.env.PGLITE_DIR ?? (process.env.DATABASE_URL ? undefined : (process.env.DATA_DIR ?? "./.data"));
// schema.prisma's url = env("DATABASE_URL") must resolve to something even for PGlite, or the
// CLI falls back to downloading a query engine.
process.env.DATABASE_URL ??= "postgresql://pglite@localhost/pglite";

// biome-ignore lint/suspicious/noExplicitAny: the two factories share no exported common type
let factory: any; // the CLI calls adapter() twice per command: share one instance
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  // Tests point this at a scratch copy to exercise failing migrations.
  migrations: { path: process.env.FMS_MIGRATIONS_DIR ?? "prisma/migrations" },
  adapter: async () => {
    // reportMigrationEvents: each migration as it is applied, when the caller asked (src/db/migration-events.ts)
    factory ??= reportMigrationEvents(
      pgliteDir
        ? new PatchedPGliteFactory(openPGlite(pgliteDir))
        : new PgWithPGliteShadow(process.env.DATABASE_URL as string),
    );
    return factory;
  },
});
