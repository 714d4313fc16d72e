// The environments that point the service and the server at one test database, and an operator
// command (npm run db:<command>) run as a child process against it, exactly as an operator would.
import { join } from "node:path";
import { AUTH_VARIABLES } from "../../src/auth/config.ts";
import type { DatabaseTarget } from "../../src/config.ts";
import { PROJECT_ROOT } from "../../src/db/migrations.ts";
import { runCommand } from "./process.ts";

const TSX = join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs");

export interface OperatorResult {
  code: number;
  output: string;
}

/** The environment that points the service's configuration (src/config.ts) at a target. */
export function serviceEnv(target: DatabaseTarget, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  delete env.FMS_MIGRATIONS_DIR;
  if (target.kind === "postgres") env.DATABASE_URL = target.url;
  else env.DATA_DIR = target.dir;
  return env;
}

/** The server's environment on a target: any free port on 127.0.0.1, info logs, no authentication configured (development mode unless `extra` says otherwise). */
export function serverEnv(target: DatabaseTarget, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = serviceEnv(target, { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" });
  for (const k of AUTH_VARIABLES) delete env[k];
  return { ...env, ...extra };
}

export async function runOperator(args: string[], target: DatabaseTarget): Promise<OperatorResult> {
  const { code, output } = await runCommand([process.execPath, TSX, join(PROJECT_ROOT, "scripts/db.ts"), ...args], {
    env: serviceEnv(target),
  });
  return { code: code ?? 1, output };
}
