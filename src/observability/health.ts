// /healthz and /readyz, for a container's health check and a load balancer. Both are answered in
// Yoga's onRequest, before the CSRF check and authentication (which act on GraphQL requests only),
// so a probe needs no header and a bad bearer token cannot turn them into a 401.
import type { Plugin } from "graphql-yoga";
import type { Database } from "../db/database.ts";
import { migrationState } from "../db/migrations.ts";
import type { Logger } from "../logger.ts";

export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";

/**
 * Whether this instance should still receive traffic. The server calls drain() when it starts a
 * graceful shutdown; from then on /readyz answers 503 "shutting down" (with no SQL), so a load
 * balancer stops routing to it while the requests in flight finish.
 */
export class Readiness {
  #draining = false;

  drain(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }
}

/** The body of a /readyz answer. Fixed words and migration names only: never an error's text. */
export interface ReadyReport {
  status: "ready" | "unavailable" | "shutting down";
  checks?: { database: "ok" | "unreachable" | "timeout"; migrations?: "ok" | "pending" | "failed" };
  message?: string;
  pending?: string[];
  failed?: string[];
}

type FetchAPI = Parameters<NonNullable<Plugin["onRequest"]>>[0]["fetchAPI"];

function json(fetchAPI: FetchAPI, body: unknown, status: number, method: string): Response {
  return new fetchAPI.Response(method === "HEAD" ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * The database check: one catalog read and one read of Prisma's migrations table (the same
 * reading the server's start-up does), compared with the migrations this code was built with.
 * Migrations the database has and this code does not know are a newer release's: additive, so
 * not a reason to stop serving.
 */
async function checkDatabase(db: Database): Promise<ReadyReport> {
  let state: Awaited<ReturnType<typeof migrationState>>;
  try {
    state = await migrationState(db.prisma);
  } catch {
    return {
      status: "unavailable",
      checks: { database: "unreachable" },
      message: "The database did not answer the readiness query.",
    };
  }
  if (state.failed.length > 0) {
    return {
      status: "unavailable",
      checks: { database: "ok", migrations: "failed" },
      message: 'A migration failed or did not finish; see README.md, "When a migration fails".',
      failed: state.failed,
    };
  }
  if (state.pending.length > 0) {
    return {
      status: "unavailable",
      checks: { database: "ok", migrations: "pending" },
      message: "The database lacks migrations this release needs (npm run db:migrate).",
      pending: state.pending,
    };
  }
  return { status: "ready", checks: { database: "ok", migrations: "ok" } };
}

export interface HealthOptions {
  db: Database;
  readiness: Readiness;
  logger: Logger;
  /** READINESS_TIMEOUT_MS */
  timeoutMs: number;
}

export function healthEndpoints({ db, readiness, logger, timeoutMs }: HealthOptions): Plugin {
  // One check at a time: probes that arrive while one runs share its answer, so a flood of
  // /readyz (it needs no credentials) costs the database one query at a time, and a database that
  // hangs gets one stuck query rather than one per probe.
  let running: Promise<ReadyReport> | undefined;
  const check = (): Promise<ReadyReport> => {
    running ??= checkDatabase(db).finally(() => {
      running = undefined;
    });
    return running;
  };
  const withinTimeout = async (): Promise<ReadyReport> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ReadyReport>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: "unavailable",
            checks: { database: "timeout" },
            message: `The database did not answer within ${timeoutMs} ms.`,
          }),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([check(), late]);
    } finally {
      clearTimeout(timer);
    }
  };

  // Logged when the answer changes, not on every probe.
  let last: string | undefined;
  const note = (report: ReadyReport) => {
    const summary = JSON.stringify([report.status, report.checks]);
    if (summary === last) return;
    last = summary;
    const fields = { status: report.status, checks: report.checks, pending: report.pending, failed: report.failed };
    if (report.status === "ready") logger.info(fields, "ready");
    else logger.warn(fields, `not ready: ${report.message ?? report.status}`);
  };

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== HEALTH_PATH && url.pathname !== READY_PATH) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(
          new fetchAPI.Response(null, { status: 405, headers: { allow: "GET, HEAD", "cache-control": "no-store" } }),
        );
        return;
      }
      if (url.pathname === HEALTH_PATH) {
        // The process is up and its event loop turns; nothing else is asked, so a slow database
        // never gets a healthy process restarted.
        endResponse(json(fetchAPI, { status: "ok" }, 200, request.method));
        return;
      }
      if (readiness.draining) {
        const report: ReadyReport = { status: "shutting down" };
        note(report);
        endResponse(json(fetchAPI, report, 503, request.method));
        return;
      }
      const report = await withinTimeout();
      note(report);
      endResponse(json(fetchAPI, report, report.status === "ready" ? 200 : 503, request.method));
    },
  };
}
