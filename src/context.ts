import type { Config } from "./config.ts";
import type { Identity } from "./domain/identity.ts";
import type { LiveEvents } from "./events/index.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";

/** What every resolver gets: the database, the limits, the caller, and the request's id for logs. */
export interface Context {
  prisma: PrismaClient;
  config: Config;
  requestId: string;
  /** Who is calling, from the verified bearer token (see src/auth). */
  identity: Identity;
  /** Live updates: writes publish to it once committed, subscriptions read from it (see src/events). */
  events: LiveEvents;
}
