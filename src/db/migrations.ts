// Prisma Migrate, driven from code: the server at start-up, the operator commands and the tests
// all apply migrations through the same function, which runs the Prisma CLI (WASM schema engine)
// in a child process against one database target.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { DatabaseTarget } from "../config.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Progress } from "../progress.ts";
import { type Database, type OpenOptions, openDatabase } from "./database.ts";
import { eventReader, MIGRATION_EVENTS_FD, type MigrationEvent, migrationProgress } from "./migration-events.ts";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MIGRATIONS_DIR = join(PROJECT_ROOT, "prisma/migrations");
const PRISMA_CLI = join(PROJECT_ROOT, "node_modules/prisma/build/index.js");
const PRELOAD = join(PROJECT_ROOT, "scripts/unref-wasm-timers.cjs");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as a person would have seen them */
  output: string;
}

export interface CliOptions {
  /** Another migrations directory (tests use scratch copies). */
  migrationsDir?: string;
  /** Echo the CLI's output to this process's stdout/stderr while it runs. */
  echo?: boolean;
  /** `migrate deploy`: report each migration as it starts and ends (./migration-events.ts). */
  progress?: Progress;
}

interface RunOptions extends CliOptions {
  onMigrationEvent?: (event: MigrationEvent) => void;
}

/** The environment that points prisma.config.ts at a target. */
export function targetEnv(target: DatabaseTarget): Record<string, string> {
  return target.kind === "postgres"
    ? { DATABASE_URL: target.url }
    : { PGLITE_DIR: target.dir, DATABASE_URL: "postgresql://pglite@localhost/pglite" };
}

export function runPrisma(args: string[], target: DatabaseTarget, options: RunOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...targetEnv(target) };
  if (options.migrationsDir) env.FMS_MIGRATIONS_DIR = resolve(options.migrationsDir);
  else delete env.FMS_MIGRATIONS_DIR;
  // Never ask the CLI to reach the network (update checks, telemetry).
  env.CHECKPOINT_DISABLE = "1";
  env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
  // fd 3 carries the migration events, apart from the CLI's own output
  if (options.onMigrationEvent) env[MIGRATION_EVENTS_FD] = "3";
  else delete env[MIGRATION_EVENTS_FD];
  const echo = (stream: NodeJS.WriteStream, d: Buffer) => {
    if (!options.echo) return;
    if (options.progress) options.progress.interject(() => stream.write(d));
    else stream.write(d);
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--require", PRELOAD, PRISMA_CLI, ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const events = child.stdio[3] as Readable | null;
    if (options.onMigrationEvent) events?.on("data", eventReader(options.onMigrationEvent));
    else events?.resume(); // nothing is sent on it; drained so that it closes with the others
    let stdout = "";
    let stderr = "";
    let output = "";
    // all four are pipes; the types cannot say so for a fourth
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d;
      output += d;
      echo(process.stdout, d);
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d;
      output += d;
      echo(process.stderr, d);
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr, output }));
  });
}

/** The migration directory names, in the order Prisma applies them. */
export function migrationNames(dir: string = MIGRATIONS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d+_/.test(d.name))
    .map((d) => d.name)
    .sort();
}

export interface MigrationState {
  applied: string[];
  failed: string[];
  pending: string[];
}

/**
 * Reads _prisma_migrations directly (in-process, milliseconds) so that a start-up with nothing to
 * apply need not launch the schema engine.
 */
export async function migrationState(prisma: PrismaClient, dir: string = MIGRATIONS_DIR): Promise<MigrationState> {
  const [exists] = await prisma.$queryRawUnsafe<{ present: boolean }[]>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present",
  );
  const rows = exists?.present
    ? await prisma.$queryRawUnsafe<{ migration_name: string; finished: boolean; rolled_back: boolean }[]>(
        `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM _prisma_migrations`,
      )
    : [];
  const applied = new Set(rows.filter((r) => r.finished && !r.rolled_back).map((r) => r.migration_name));
  const failed = rows.filter((r) => !r.finished && !r.rolled_back).map((r) => r.migration_name);
  return {
    applied: [...applied].sort(),
    failed: [...new Set(failed)].sort(),
    pending: migrationNames(dir).filter((n) => !applied.has(n)),
  };
}

export class MigrationError extends Error {
  override name = "MigrationError";
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/** `prisma migrate deploy`: applies every pending migration, each in its own transaction. */
export async function migrateDeploy(target: DatabaseTarget, options: CliOptions = {}): Promise<CliResult> {
  const tracker = options.progress && migrationProgress(options.progress);
  const result = await runPrisma(["migrate", "deploy"], target, { ...options, onMigrationEvent: tracker?.onEvent });
  tracker?.finish(result.code === 0);
  if (result.code !== 0) {
    throw new MigrationError(`prisma migrate deploy failed (exit ${result.code})`, result.output);
  }
  return result;
}

/**
 * Opens the target with every migration applied. When nothing is pending (the usual start) this
 * costs one catalog read; otherwise the database is closed (a PGlite directory has one owner at a
 * time), `migrate deploy` runs, and the database is opened again.
 */
export async function openMigrated(
  target: DatabaseTarget,
  options: OpenOptions = {},
  onApply: (pending: number) => void = () => {},
  progress?: Progress,
): Promise<Database> {
  const db = await openDatabase(target, options);
  const state = await migrationState(db.prisma);
  if (state.failed.length > 0) {
    await db.close();
    throw new MigrationError(
      `migration ${state.failed.join(", ")} failed earlier and is recorded as failed`,
      "Fix it, then: npm run db:rolled-back -- <migration name> && npm run db:migrate",
    );
  }
  if (state.pending.length === 0) return db;
  await db.close();
  onApply(state.pending.length);
  await migrateDeploy(target, { progress }); // its output is in the MigrationError when it fails
  return openDatabase(target, options);
}
