// Load generators: wrk (with a Lua script that picks a request body per request and counts the
// responses that are not 2xx or carry GraphQL "errors"), autocannon when wrk is not installed, and
// pgbench for the raw-SQL floor. Each returns the same few numbers.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Transport errors, timeouts, non-2xx responses and bodies with GraphQL "errors" (SQL failures for pgbench). */
  errors: number;
}

export interface HttpLoad {
  url: string;
  headers: Record<string, string>;
  /** Request bodies; each request sends one picked at random. */
  bodies: string[];
  connections: number;
  seconds: number;
  /** A directory for the wrk script. */
  dir: string;
}

export const WRK = "/usr/bin/wrk";
export type Tool = "wrk" | "autocannon";

export function loadTool(): Tool {
  const forced = process.env.BENCH_TOOL;
  if (forced === "wrk" || forced === "autocannon") return forced;
  if (forced) throw new Error(`BENCH_TOOL must be wrk or autocannon; got "${forced}"`);
  return existsSync(WRK) ? "wrk" : "autocannon";
}

/** The processes the benchmark started that are still running, so that an interrupted run can stop them. */
export const running = new Set<ChildProcess>();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("error", (e) => {
      running.delete(child);
      reject(e);
    });
    child.on("close", (code) => {
      running.delete(child);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

// --- wrk

/** A Lua long string holding `text` whatever it contains. */
function luaString(text: string): string {
  let eq = "";
  while (text.includes(`]${eq}]`)) eq += "=";
  return `[${eq}[${text}]${eq}]`;
}

function wrkScript(load: HttpLoad): string {
  const headers = Object.entries(load.headers)
    .map(([k, v]) => `  [ ${luaString(k)} ] = ${luaString(v)},`)
    .join("\n");
  return `-- written by scripts/bench/load.ts
local bodies = {
${load.bodies.map((b) => `  ${luaString(b)},`).join("\n")}
}
local headers = {
${headers}
}
local prepared = {}
local threads = {}
-- globals, so that done() can read them from each thread with thread:get
bad = 0
thread_id = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  for i, b in ipairs(bodies) do
    prepared[i] = wrk.format("POST", "/graphql", headers, b)
  end
end

function request()
  return prepared[math.random(#prepared)]
end

function response(status, hdrs, body)
  if status < 200 or status >= 300 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("bad") end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d transport=%d bad=%d p50_us=%d p99_us=%d mean_us=%d\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, n,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
`;
}

export async function wrkLoad(load: HttpLoad, name: string): Promise<LoadResult> {
  const script = join(load.dir, `${name}-c${load.connections}.lua`);
  writeFileSync(script, wrkScript(load));
  const threads = Math.min(2, load.connections);
  const args = ["-t", String(threads), "-c", String(load.connections), "-d", `${load.seconds}s`];
  const r = await run(WRK, [...args, "--timeout", "30s", "--latency", "-s", script, load.url]);
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (r.code !== 0 || !line) throw new Error(`wrk failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const f = Object.fromEntries(
    line
      .slice(6)
      .split(" ")
      .map((kv) => kv.split("="))
      .map(([k, v]) => [k, Number(v)]),
  ) as Record<string, number>;
  const seconds = (f.duration_us as number) / 1e6;
  return {
    connections: load.connections,
    seconds,
    requests: f.requests as number,
    perSecond: (f.requests as number) / seconds,
    p50Ms: (f.p50_us as number) / 1000,
    p99Ms: (f.p99_us as number) / 1000,
    meanMs: (f.mean_us as number) / 1000,
    errors: (f.transport as number) + (f.bad as number),
  };
}

// --- autocannon (in this process)

export async function autocannonLoad(load: HttpLoad): Promise<LoadResult> {
  let bad = 0;
  const pick = () => load.bodies[Math.floor(Math.random() * load.bodies.length)] as string;
  const result = await autocannon({
    url: load.url,
    connections: load.connections,
    duration: load.seconds,
    timeout: 30,
    method: "POST",
    headers: load.headers,
    requests: [
      {
        method: "POST",
        setupRequest: (request) => ({ ...request, body: pick() }),
        onResponse: (status, body) => {
          if (status < 200 || status >= 300 || body.includes('"errors"')) bad++;
        },
      },
    ],
  });
  return {
    connections: load.connections,
    seconds: result.duration,
    requests: result.requests.total,
    perSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
    // non-2xx responses are among `bad` (onResponse sees every response)
    errors: result.errors + bad,
  };
}

// --- pgbench

export interface PgbenchLoad {
  /** The script file (\set lines and one statement). */
  script: string;
  /** PG* variables naming the database. */
  env: Record<string, string>;
  clients: number;
  seconds: number;
  /** A directory for the per-transaction logs (the latency percentiles come from them). */
  dir: string;
  name: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export async function pgbenchLoad(load: PgbenchLoad): Promise<LoadResult> {
  const prefix = `pgbench-${load.name}-c${load.clients}`;
  const args = ["-n", "-M", "prepared", "-c", String(load.clients), "-j", String(Math.min(2, load.clients))];
  args.push("-T", String(load.seconds), "-f", load.script, "-l", `--log-prefix=${join(load.dir, prefix)}`);
  const r = await run("pgbench", args, { ...process.env, ...load.env });
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout);
  const processed = /number of transactions actually processed: (\d+)/.exec(r.stdout);
  if (r.code !== 0 || !tps || !processed) {
    throw new Error(`pgbench failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  const failed = Number(/number of failed transactions: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  // -l: one line per transaction, "client_id transaction_no time_us script_no epoch epoch_us"
  const latencies: number[] = [];
  for (const file of readdirSync(load.dir).filter((f) => f.startsWith(`${prefix}.`))) {
    for (const line of readFileSync(join(load.dir, file), "utf8").split("\n")) {
      const us = Number(line.split(" ")[2]);
      if (line && Number.isFinite(us)) latencies.push(us / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    connections: load.clients,
    seconds: load.seconds,
    requests: Number(processed[1]),
    perSecond: Number(tps[1]),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length),
    errors: failed,
  };
}
