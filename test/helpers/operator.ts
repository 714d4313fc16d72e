// Runs an operator command (npm run db:<command>) as a child process, exactly as an operator
// would, against one test database.
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { DatabaseTarget } from "../../src/config.ts";
import { PROJECT_ROOT } from "../../src/db/migrations.ts";

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

export function runOperator(args: string[], target: DatabaseTarget): Promise<OperatorResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, join(PROJECT_ROOT, "scripts/db.ts"), ...args], {
      cwd: PROJECT_ROOT,
      env: serviceEnv(target),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
