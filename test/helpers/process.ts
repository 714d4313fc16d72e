// Child processes: a command run to its end, and the real server started and stopped, with what
// they write kept for the test to read.
import { type ChildProcess, spawn } from "node:child_process";
import { PROJECT_ROOT } from "../../src/db/migrations.ts";

/** The server as the container starts it: node itself, so that a signal reaches it. */
export const NODE_SERVER = [process.execPath, "--import", "tsx", "src/server.ts"];

export interface Finished {
  code: number | null;
  /** stdout and stderr together, in the order they came. */
  output: string;
  stdout: string;
  stderr: string;
}

/** Runs `argv` (stdin empty) in `cwd`, the project's root unless given, and resolves when it has closed. */
export function runCommand(argv: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: options.cwd ?? PROJECT_ROOT,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const written = { output: "", stdout: "", stderr: "" };
    child.stdout.on("data", (d) => {
      written.output += d;
      written.stdout += d;
    });
    child.stderr.on("data", (d) => {
      written.output += d;
      written.stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ...written }));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** What it has written so far, stdout and stderr together. */
  output(): string;
  /** Its URL (on 127.0.0.1) once it listens; rejects if it exits first. */
  url: Promise<string>;
  /** Resolves once `text` has been written; rejects if it exits first. */
  logged(text: string): Promise<void>;
  exit: Promise<{ code: number | null; at: number }>;
  /** Stops it, if it still runs, and resolves once every process writing to its pipes is gone. */
  stop(): Promise<void>;
  /** SIGKILL, if it still runs; resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * The server, started with `env` (PORT=0 and HOST=127.0.0.1 among it) as `command` says:
 * - "node" (the default): NODE_SERVER; stop() sends it SIGTERM.
 * - "npm": `npm start`, in a process group of its own; npm does not pass SIGTERM on to the script
 *   it runs, so stop() signals the group, as a supervisor would.
 * - "npm-terminal": `npm start` through `script`, a pseudo-terminal as its stdin and stdout;
 *   `child.stdin` types into it, and stop() is Ctrl-C.
 */
export function startServer(env: NodeJS.ProcessEnv, command: "node" | "npm" | "npm-terminal" = "node"): ServerProcess {
  const argv = {
    node: NODE_SERVER,
    npm: ["npm", "start", "--silent"],
    "npm-terminal": ["script", "--quiet", "--flush", "--return", "--command", "npm start --silent", "/dev/null"],
  }[command];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: PROJECT_ROOT,
    env,
    stdio: [command === "npm-terminal" ? "pipe" : "ignore", "pipe", "pipe"],
    detached: command === "npm",
  });
  let output = "";
  const waiting = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d;
    for (const check of waiting) check();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exit = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, at: Date.now() })),
  );
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));

  /** Resolves with what `find` finds in the output once it finds something; rejects if the server exits first. */
  const until = <T>(find: (output: string) => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find(output);
        if (found === undefined) return;
        waiting.delete(check);
        resolve(found);
      };
      waiting.add(check);
      check();
      void exit.then(({ code }) => {
        waiting.delete(check);
        reject(new Error(`server exited with ${code} before ${what}:\n${output}`));
      });
    });

  // the server listens on 127.0.0.1, which "localhost" may not resolve to (::1)
  const url = until(
    (o) => /FMS GraphQL API ready at (http:\/\/\S+)/.exec(o)?.[1]?.replace("localhost", "127.0.0.1"),
    "listening",
  );
  url.catch(() => {}); // handled where a test awaits it; not an unhandled rejection meanwhile
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => output,
    url,
    logged: (text) => until((o) => (o.includes(text) ? true : undefined), `logging "${text}"`).then(() => {}),
    exit,
    async stop() {
      if (running()) {
        if (command === "npm-terminal") child.stdin?.write("\x03");
        else if (command === "npm") process.kill(-(child.pid as number), "SIGTERM");
        else child.kill("SIGTERM");
      }
      await closed;
    },
    async kill() {
      if (running()) child.kill("SIGKILL");
      await exit;
    },
  };
}
