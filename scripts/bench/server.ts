// The service under test: the real server (`node --import tsx src/server.ts`) as a child process,
// on a free loopback port, its output in a log file; its resident memory read from /proc.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/db/migrations.ts";
import { running } from "./load.ts";

export interface Server {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** The node process that runs src/server.ts. */
  pid: number;
  /** Its resident set size (VmRSS), in MB. */
  rssMb(): number;
  stop(): Promise<void>;
}

const READY = /FMS GraphQL API ready at http:\/\/[^:/]+:(\d+)\/graphql/;

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

function childrenOf(pid: number): number[] {
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((tid) => {
    try {
      return readFileSync(join(dir, tid, "children"), "utf8")
        .split(" ")
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  });
}

/**
 * The process that runs src/server.ts: the child itself when it is node, or the deepest of its
 * descendants that is (a wrapper such as npx or tsx's CLI would sit between).
 */
function serverProcess(root: number): number {
  let found = root;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (/\bnode\b.*src\/server\.ts/.test(cmdline(pid))) found = pid;
    queue.push(...childrenOf(pid));
  }
  return found;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/** Starts the server and waits until it answers a GraphQL request with `token`. */
export async function startServer(env: Record<string, string>, logFile: string, token: string): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // stopped with the load tools if the benchmark is interrupted before it has the Server
  running.add(child);
  const log = createWriteStream(logFile);
  let output = "";
  let port: number | null = null;
  const collect = (d: Buffer) => {
    log.write(d);
    if (port === null) {
      output += d;
      const m = READY.exec(output);
      if (m) port = Number(m[1]);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited: number | null = null;
  const exit = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      exited = code ?? (signal ? 128 : 1);
      running.delete(child);
      log.end();
      resolve();
    }),
  );

  const stop = async () => {
    if (exited !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exit;
    clearTimeout(timer);
  };

  try {
    const deadline = Date.now() + 60_000;
    while (port === null) {
      if (exited !== null) throw new Error(`the server exited (${exited}) before it was ready:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the server was not ready within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = `http://127.0.0.1:${port}/graphql`;
    // Ready when a real request is answered (the log line comes when it listens).
    for (;;) {
      const ok = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ __typename }" }),
      }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (exited !== null) throw new Error(`the server exited (${exited}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`the server did not answer within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const pid = serverProcess(child.pid as number);
    return { url, pid, rssMb: () => rssMb(pid), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
