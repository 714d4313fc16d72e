// `npm start` on a fresh embedded directory: it migrates, listens, answers GraphQL over a real
// socket, and stops cleanly on SIGTERM. Against PostgreSQL too when the run uses it. Without
// authentication it announces development mode, and in production it refuses to start.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { DatabaseTarget } from "../../src/config.ts";
import { migrationNames } from "../../src/db/migrations.ts";
import { backend, emptyDatabase } from "../helpers/db.ts";
import { serverEnv } from "../helpers/operator.ts";
import { runCommand, startServer } from "../helpers/process.ts";

async function startQueryStop(target: DatabaseTarget) {
  const server = startServer(serverEnv(target), "npm");
  try {
    const url = await server.url;
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
    // SIGTERM to npm's process group. The server's graceful stop shows as its last log line, once
    // every process writing to the pipes is gone.
    await server.stop();
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
    const { code, output } = await runCommand(["npm", "start", "--silent"], {
      env: serverEnv({ kind: "pglite", dir: data }, { NODE_ENV: "production" }),
    });
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
