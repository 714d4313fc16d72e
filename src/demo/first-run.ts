// `npm start` on an empty database offers the demo data (DEMO_DATA, src/config.ts), after the
// migrations and before it listens. It has to happen in the server's own process: an embedded
// (PGlite) directory can be opened by one process at a time, so `npm run db:seed-demo` cannot run
// beside a server that holds it.
//   ask (default)  a person at a terminal is asked, and no answer within 30 s means no, so an
//                  unattended start never waits; without a terminal, one line says how to load it
//   true           loaded (refused at configuration time with NODE_ENV=production)
//   false          nothing said, nothing loaded
// A database that holds any file or contract is never touched, and production is never asked.
import { createInterface } from "node:readline";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import { logger as defaultLogger, type Logger } from "../logger.ts";
import { Progress, type ProgressStream } from "../progress.ts";
import { isEmptyDatabase, seedDemo, summarize } from "./seed.ts";

export const ASK_TIMEOUT_MS = 30_000;

export interface FirstRunOptions {
  /** Where the answer is read (process.stdin); asked only when it is a terminal. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where the question, the hint and the progress go (process.stderr: stdout is the JSON log). */
  output?: ProgressStream;
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * Writes `question` and reads one line: Enter or y/yes is true, n/no (or anything else) false;
 * undefined when nothing came within `timeoutMs` or the input ended.
 */
export function askYesNo(
  question: string,
  input: NodeJS.ReadableStream,
  output: ProgressStream,
  timeoutMs: number,
): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    // terminal: false leaves line editing and Ctrl-C to the terminal, so Ctrl-C stops the server as usual
    const lines = createInterface({ input, terminal: false });
    let settled = false;
    const finish = (answer: boolean | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      lines.close();
      resolve(answer);
    };
    const timer = setTimeout(() => {
      output.write("\n");
      finish(undefined);
    }, timeoutMs);
    lines.once("line", (line) => finish(/^\s*(y|yes)?\s*$/i.test(line)));
    lines.once("close", () => finish(undefined));
    output.write(question);
  });
}

/** The one line said to a start without a terminal: how to load the demo data. */
export function demoHint(config: Pick<Config, "database">): string {
  return config.database.kind === "pglite"
    ? "The database is empty. To start with demo data: DEMO_DATA=true npm start (or stop the server and run npm run db:seed-demo)."
    : "The database is empty. To load demo data: npm run db:seed-demo (it can run beside the server), or DEMO_DATA=true npm start.";
}

/** Offers, loads or leaves the demo data as DEMO_DATA says; see the top of this file. */
export async function offerDemoData(
  db: Pick<Database, "prisma">,
  config: Pick<Config, "demoData" | "nodeEnv" | "database">,
  options: FirstRunOptions = {},
): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  const log = options.logger ?? defaultLogger;
  if (config.demoData === false || config.nodeEnv === "production") return;
  if (!(await isEmptyDatabase(db.prisma))) return;

  if (config.demoData === "ask") {
    if (!input.isTTY) {
      output.write(`${demoHint(config)}\n`);
      return;
    }
    const { projects, files } = summarize();
    const answer = await askYesNo(
      `The database is empty. Load the demo data (${projects} projects, ${files} files; README.md, "First run")? [Y/n] `,
      input,
      output,
      options.timeoutMs ?? ASK_TIMEOUT_MS,
    );
    if (!answer) {
      output.write(
        `${answer === undefined ? "No answer: starting" : "Starting"} without demo data (later: DEMO_DATA=true npm start, or npm run db:seed-demo with the server stopped).\n`,
      );
      return;
    }
  }

  const progress = new Progress({ stream: output });
  try {
    const summary = await seedDemo(db.prisma, { progress });
    progress.note(
      `Demo data loaded: ${summary.files} files in ${summary.trees} lineage trees, ${summary.contracts} contracts, ${summary.projects} projects (README.md, "First run").`,
    );
    log.info({ demoData: summary }, "demo data loaded");
  } catch (error) {
    // The server is as useful without it; seedDemo has removed whatever it had written.
    progress.note(`Demo data could not be loaded (the database is left empty): ${(error as Error).message}`);
    log.error({ err: error }, "demo data could not be loaded");
  }
}
