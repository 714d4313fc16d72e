// `npm start` on a fresh embedded directory: it migrates, listens, answers GraphQL over a real
// socket, and stops cleanly on SIGTERM. Against PostgreSQL too when the run uses it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { DatabaseTarget } from "../../src/config.ts";
import { migrationNames, PROJECT_ROOT } from "../../src/db/migrations.ts";
import { backend, emptyDatabase } from "../helpers/db.ts";
import { serviceEnv } from "../helpers/operator.ts";

function start(target: DatabaseTarget): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn("npm", ["start", "--silent"], {
    cwd: PROJECT_ROOT,
    env: serviceEnv(target, { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" }),
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
