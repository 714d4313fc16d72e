// The process entry point: reads the configuration, brings the database up to date, listens.
// The only module that acts on import.
import { createServer } from "node:http";
import { DEVELOPMENT_NOTICE, describeAuth } from "./auth/config.ts";
import { ConfigError, type DatabaseTarget, describeTarget, loadConfig } from "./config.ts";
import { type Database, type OpenOptions, openDatabase } from "./db/database.ts";
import { MigrationError, migrationState, openMigrated } from "./db/migrations.ts";
import { offerDemoData } from "./demo/first-run.ts";
import { EventsUnavailableError, openLiveEvents } from "./events/index.ts";
import { logger } from "./logger.ts";
import { Readiness } from "./observability/index.ts";
import { Progress } from "./progress.ts";
import { handleShutdown, holdSignalsDuringStart } from "./shutdown.ts";
import { createApp } from "./yoga.ts";

/**
 * MIGRATE_ON_START=false: the migrations are applied by a separate one-shot command (npm run
 * db:migrate, README "Container"); the server refuses to serve a database that lacks any.
 */
async function openCurrent(target: DatabaseTarget, options: OpenOptions): Promise<Database> {
  const db = await openDatabase(target, options);
  const state = await migrationState(db.prisma);
  if (state.failed.length > 0 || state.pending.length > 0) {
    await db.close();
    throw new MigrationError(
      state.failed.length > 0
        ? `migration ${state.failed.join(", ")} failed earlier and is recorded as failed`
        : `${state.pending.length} migration(s) pending (${state.pending.join(", ")}) and MIGRATE_ON_START is false`,
      "Apply them with: npm run db:migrate (or set MIGRATE_ON_START=true)",
    );
  }
  return db;
}

async function main() {
  const starting = holdSignalsDuringStart(logger);
  const config = loadConfig();
  if (config.auth.mode === "development") {
    logger.warn({ auth: describeAuth(config.auth) }, DEVELOPMENT_NOTICE);
  } else {
    logger.info({ auth: describeAuth(config.auth) }, "authentication");
  }
  // Live updates first: with REDIS_URL, a Redis that cannot be reached stops the start here.
  const events = await openLiveEvents(config.events, logger);
  logger.info({ database: describeTarget(config.database) }, "opening database");
  const options = { poolSize: config.poolSize, statementTimeoutMs: config.limits.statementTimeoutMs };
  const db = config.migrateOnStart
    ? await openMigrated(
        config.database,
        options,
        (n) => logger.info(`applying ${n} pending migration(s) with Prisma Migrate`),
        new Progress(), // each migration as it runs, on stderr
      )
    : await openCurrent(config.database, options);
  // An empty database: demo data, as DEMO_DATA says (asked at a terminal by default).
  await offerDemoData(db, config);
  // /readyz answers 503 from the moment a shutdown starts
  const readiness = new Readiness();
  const yoga = createApp({ db, config, events, readiness });
  const server = createServer(yoga);

  // SIGTERM and SIGINT drain the server (src/shutdown.ts); then these close, in this order. Add
  // what the server opens here, before the database.
  const stopRequested = starting.release();
  const shutdown = handleShutdown(server, {
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    onDrain: () => {
      readiness.drain();
      events.endStreams(); // each subscriber reads `event: complete`, and may subscribe elsewhere
    },
    closers: [
      { name: "GraphQL app", close: () => yoga.dispose() },
      { name: "event transport", close: () => events.close() },
      { name: "database", close: () => db.close() },
    ],
  });
  // Cannot listen (the port is taken, the address is not this machine's): nothing is served yet.
  server.on("error", (err) => {
    logger.error({ err }, `cannot listen on ${config.host}:${config.port}`);
    console.error(`cannot listen on ${config.host}:${config.port}: ${err.message}`);
    void db.close().finally(() => process.exit(1));
  });
  if (stopRequested) {
    shutdown(stopRequested); // asked to stop while starting: close everything, never listen
    return;
  }

  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const url = `http://localhost:${port}/graphql`;
    logger.info({ url }, "listening");
    // The one line meant for a person at a terminal (and for tests that start the server).
    console.log(`FMS GraphQL API ready at ${url}${config.graphiql ? " (GraphiQL in a browser)" : ""}`);
    if (config.auth.mode === "development") console.warn(`WARNING: ${DEVELOPMENT_NOTICE}`);
  });
}

main().catch((e) => {
  if (e instanceof ConfigError) console.error(`configuration error: ${e.message}`);
  else if (e instanceof EventsUnavailableError) console.error(e.message);
  else if (e instanceof MigrationError)
    console.error(`${e.message}\n${e.output}\nSee README.md, "When a migration fails".`);
  else console.error(e);
  process.exit(1);
});
