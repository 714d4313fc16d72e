import { PrismaPg } from "@prisma/adapter-pg";
import { NameAsTextClient } from "./pg-name-fix.ts";
import { openPGlite, PatchedPGliteFactory } from "./pglite-adapter.ts";

/**
 * pg pool settings from a postgresql:// URL, as discrete fields. pg lets a connectionString
 * override `database`, so adapter-pg 6.19's shadow pool ({...config, database: shadow}) would
 * silently target the MAIN database if we passed the string.
 */
export function pgPoolConfig(url: string) {
  const u = new URL(url);
  const sslmode = u.searchParams.get("sslmode");
  const ssl =
    sslmode === "require" || sslmode === "prefer"
      ? { rejectUnauthorized: false }
      : sslmode === "verify-ca" || sslmode === "verify-full"
        ? { rejectUnauthorized: true }
        : undefined;
  return {
    // ?host=/var/run/postgresql selects a unix socket directory, as libpq does
    host: u.searchParams.get("host") ?? (decodeURIComponent(u.hostname) || "localhost"),
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.slice(1)) || undefined,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    ssl,
    application_name: u.searchParams.get("application_name") ?? "fms",
    Client: NameAsTextClient, // OID 18/19 catalog columns (prisma/orm#27403)
    allowExitOnIdle: true, // the CLI never disposes adapters; let Node exit
  };
}

/** Schema-engine adapter for a real PostgreSQL server (used by prisma.config.ts only). */
export class PgWithPGliteShadow extends PrismaPg {
  constructor(url: string) {
    // biome-ignore lint/suspicious/noExplicitAny: pg.PoolConfig's Client typing is narrower than pg accepts
    super(pgPoolConfig(url) as any);
  }

  override async connect() {
    // biome-ignore lint/suspicious/noExplicitAny: reaching into the adapter to replace one method
    const a: any = await super.connect();
    // adapter-pg 6.19 executeScript() splits migration.sql on ";" and runs the pieces in
    // autocommit: that breaks $$ bodies and ';' in literals, and leaves a failed migration
    // half-applied. Send the whole script as ONE simple query, which PostgreSQL runs as one
    // implicit transaction, as the native engine does.
    a.executeScript = async (script: string) => {
      try {
        await a.client.query(script);
      } catch (e) {
        a.onError(e);
      }
    };
    return a;
  }

  // Shadow database = in-memory PGlite: no CREATEDB privilege needed, nothing left behind.
  // biome-ignore lint/suspicious/noExplicitAny: the schema engine only needs a SqlDriverAdapter
  override async connectToShadowDb(): Promise<any> {
    return new PatchedPGliteFactory(openPGlite("memory://")).connect();
  }
}
