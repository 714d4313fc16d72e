// `npm start` on a fresh embedded directory: it migrates, listens, answers GraphQL over a real
// socket, and stops cleanly on SIGTERM. Against PostgreSQL too when the run uses it. Without
// authentication it announces development mode, and in production it refuses to start.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { AUTH_VARIABLES } from "../../src/auth/config.ts";
import type { DatabaseTarget } from "../../src/config.ts";
import { migrationNames, PROJECT_ROOT } from "../../src/db/migrations.ts";
import { backend, emptyDatabase } from "../helpers/db.ts";
import { serviceEnv } from "../helpers/operator.ts";

/** The server's environment, with no authentication configured (development mode unless NODE_ENV says otherwise). */
function startEnv(target: DatabaseTarget, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = serviceEnv(target, { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...extra });
  for (const k of AUTH_VARIABLES) delete env[k];
  return env;
}

function start(target: DatabaseTarget): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn("npm", ["start", "--silent"], {
    cwd: PROJECT_ROOT,
    env: startEnv(target),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so the stop signal reaches npm, tsx and the server
  });
  let output = "";
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = /FMS GraphQL API ready at (http:\/\/\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function startQueryStop(target: DatabaseTarget) {
  const server = start(target);
  try {
    const url = (await server.url).replace("localhost", "127.0.0.1");
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ files(first: 5) { totalCount edges { node { id } } } }" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { files: { totalCount: 0, edges: [] } } });
    expect(server.output()).toContain(`applying ${migrationNames().length} pending migration(s)`);
    // no authentication configured: development mode, announced in the log and on the console
    expect(server.output()).toContain(
      "WARNING: No authentication is configured: every request runs as the all-access development identity.",
    );
    expect(server.output()).toMatch(/"level":40,.*"msg":"No authentication is configured/);
  } finally {
    // npm does not pass SIGTERM on to the script it runs, so the group is signalled, as a
    // supervisor would. The server's graceful stop shows as its last log line, once every process
    // writing to the pipes is gone.
    const closed = new Promise((resolve) => server.child.on("close", resolve));
    process.kill(-(server.child.pid as number), "SIGTERM");
    await closed;
  }
  expect(server.output()).toContain('"msg":"stopped"');
}

it("npm start on a fresh embedded directory migrates it and answers a GraphQL query", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fms-start-"));
  try {
    await startQueryStop({ kind: "pglite", dir: join(dir, "data") });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it.runIf(backend() === "postgres")("npm start against a fresh PostgreSQL database does the same", async () => {
  const db = await emptyDatabase();
  try {
    await startQueryStop(db.target);
  } finally {
    await db.drop();
  }
});

it("npm start with NODE_ENV=production and no authentication configured refuses to start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fms-start-"));
  try {
    const data = join(dir, "data");
    const child = spawn("npm", ["start", "--silent"], {
      cwd: PROJECT_ROOT,
      env: startEnv({ kind: "pglite", dir: data }, { NODE_ENV: "production" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).not.toBe(0);
    expect(output).toContain(
      "configuration error: no authentication is configured and NODE_ENV is production: set one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE or AUTH_JWKS_FILE",
    );
    expect(output).not.toContain("ready at");
    expect(existsSync(data)).toBe(false); // refused before the database was opened
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
