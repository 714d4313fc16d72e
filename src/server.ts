// The process entry point: reads the configuration, brings the database up to date, listens.
// The only module that acts on import.
import { createServer } from "node:http";
import { DEVELOPMENT_NOTICE, describeAuth } from "./auth/config.ts";
import { ConfigError, describeTarget, loadConfig } from "./config.ts";
import { MigrationError, openMigrated } from "./db/migrations.ts";
import { logger } from "./logger.ts";
import { createApp } from "./yoga.ts";

async function main() {
  const config = loadConfig();
  if (config.auth.mode === "development") {
    logger.warn({ auth: describeAuth(config.auth) }, DEVELOPMENT_NOTICE);
  } else {
    logger.info({ auth: describeAuth(config.auth) }, "authentication");
  }
  logger.info({ database: describeTarget(config.database) }, "opening database");
  const db = await openMigrated(
    config.database,
    { poolSize: config.poolSize, statementTimeoutMs: config.limits.statementTimeoutMs },
    (n) => logger.info(`applying ${n} pending migration(s) with Prisma Migrate`),
  );
  const yoga = createApp({ db, config });
  const server = createServer(yoga);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      logger.warn("in-flight requests did not finish within 10 s; closing anyway");
      server.closeAllConnections();
    }, 10_000);
    deadline.unref();
    server.close(async () => {
      await db.close();
      logger.info("stopped");
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

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
  else if (e instanceof MigrationError)
    console.error(`${e.message}\n${e.output}\nSee README.md, "When a migration fails".`);
  else console.error(e);
  process.exit(1);
});
