// Which migration Prisma Migrate is applying, while it applies it. `migrate deploy` runs every
// pending migration in one CLI process and names them only at the end, so a long migration shows
// nothing but a silent terminal. The schema engine records each migration in _prisma_migrations (an
// INSERT naming it) right before it sends the migration's script, and both go through the driver
// adapter that prisma.config.ts hands the CLI: wrapped, the adapter sees the name, then the script
// start and end. It reports them on a file descriptor the parent process opened for it
// (FMS_MIGRATION_EVENTS_FD), one JSON object a line, so the CLI's own output is left as it is.
import { writeSync } from "node:fs";
import { formatDuration, type Progress, type Step } from "../progress.ts";

export const MIGRATION_EVENTS_FD = "FMS_MIGRATION_EVENTS_FD";

export interface MigrationEvent {
  event: "start" | "end" | "fail";
  migration: string;
}

interface RawQuery {
  sql: string;
  args: unknown[];
}

// biome-ignore lint/suspicious/noExplicitAny: the adapters' connection classes are not exported
type Connection = any;

/** The migration_name of Prisma's `INSERT INTO "_prisma_migrations" (…) VALUES (…)`, if that is what `q` is. */
export function recordedMigration(q: RawQuery): string | undefined {
  const m = /^\s*INSERT\s+INTO\s+"?_prisma_migrations"?\s*\(([^)]*)\)/i.exec(q.sql);
  if (!m?.[1]) return undefined;
  const columns = m[1].split(",").map((c) => c.trim().replace(/"/g, ""));
  const name = q.args[columns.indexOf("migration_name")];
  return typeof name === "string" ? name : undefined;
}

function watch(connection: Connection, send: (event: MigrationEvent) => void): Connection {
  let recorded: string | undefined;
  const queryRaw = connection.queryRaw;
  connection.queryRaw = async (q: RawQuery) => {
    recorded = recordedMigration(q) ?? recorded;
    return queryRaw.call(connection, q);
  };
  const executeScript = connection.executeScript;
  connection.executeScript = async (script: string) => {
    const migration = recorded;
    recorded = undefined;
    if (!migration) return executeScript.call(connection, script);
    send({ event: "start", migration });
    try {
      const result = await executeScript.call(connection, script);
      send({ event: "end", migration });
      return result;
    } catch (error) {
      send({ event: "fail", migration });
      throw error;
    }
  };
  return connection;
}

/**
 * In the Prisma CLI's process (prisma.config.ts): wraps the adapter factory's connections so that
 * they report each migration, when the parent asked for it; otherwise returns the factory as is.
 */
export function reportMigrationEvents<F extends object>(factory: F, env: NodeJS.ProcessEnv = process.env): F {
  const fd = Number(env[MIGRATION_EVENTS_FD]);
  if (!Number.isInteger(fd) || fd < 3) return factory;
  const send = (event: MigrationEvent) => {
    try {
      writeSync(fd, `${JSON.stringify(event)}\n`);
    } catch {
      // The parent stopped listening: the migration itself goes on.
    }
  };
  const f = factory as { connect(): Promise<Connection> };
  const connect = f.connect.bind(f);
  f.connect = async () => watch(await connect(), send);
  return factory;
}

/** Splits a stream of event lines (chunks may cut a line anywhere) into events. */
export function eventReader(onEvent: (event: MigrationEvent) => void): (chunk: Buffer | string) => void {
  let pending = "";
  return (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        onEvent(JSON.parse(line) as MigrationEvent);
      } catch {
        // not an event: ignored rather than failing the migration over a progress line
      }
    }
  };
}

/**
 * Progress of one `migrate deploy`: a step while the CLI starts and reads what is applied, then
 * one step per migration ("applying 008_lineage_invariants"), then a summary line.
 */
export function migrationProgress(progress: Progress) {
  const startedAt = progress.now();
  let step: Step | undefined = progress.step("starting Prisma Migrate");
  let applied = 0;
  return {
    onEvent(event: MigrationEvent): void {
      if (event.event === "start") {
        step?.done();
        step = progress.step(`applying ${event.migration}`);
        return;
      }
      if (event.event === "end") {
        applied += 1;
        step?.done();
      } else {
        step?.fail();
      }
      step = undefined;
    },
    /** Called when the CLI has exited. */
    finish(ok: boolean): void {
      if (step) {
        if (ok) step.done();
        else step.fail();
      }
      step = undefined;
      if (!ok) return;
      const took = formatDuration(progress.now() - startedAt);
      progress.note(applied === 0 ? `no pending migrations (${took})` : `${applied} migration(s) applied in ${took}`);
    },
  };
}
