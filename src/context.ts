import type { Config } from "./config.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";

/** What every resolver gets: the database, the limits, and the request's id for logs. */
export interface Context {
  prisma: PrismaClient;
  config: Config;
  requestId: string;
}
