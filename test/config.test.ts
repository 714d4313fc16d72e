// The configuration is one validated module: src/config.ts, with the AUTH_* part in
// src/auth/config.ts, which it calls. Every variable they read is in README.md's tables (the
// Configuration and Limits sections) and every variable there is read; a documented default means
// what leaving the variable out means; a bad value is a ConfigError naming the variable, and stops
// the server at start. No other module of the service reads the environment.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, logLevel, nodeEnv } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { migrationState, PROJECT_ROOT } from "../src/db/migrations.ts";
import { emptyDatabase } from "./helpers/db.ts";
import { serviceEnv } from "./helpers/operator.ts";
import { NODE_SERVER, runCommand } from "./helpers/process.ts";
import { authEnv } from "./helpers/tokens.ts";

type Env = Record<string, string | undefined>;

const CONFIG_MODULES = ["src/config.ts", "src/auth/config.ts"];
const AUTH_KEY_SOURCES = ["AUTH_JWT_SECRET", "AUTH_JWT_PUBLIC_KEY_FILE", "AUTH_JWKS_FILE"];

/** The backticked names in the `variable` column of every table in README's Configuration and Limits sections. */
function documentedVariables(): Map<string, string> {
  const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
  const defaults = new Map<string, string>();
  for (const section of ["Configuration", "Limits"]) {
    const body = readme.split(new RegExp(`^## ${section}\\s*$`, "m"))[1]?.split(/^## /m)[0];
    expect(body, `README.md has a "## ${section}" section`).toBeDefined();
    const cells = (line: string) =>
      line
        .trim()
        .replace(/^\||\|$/g, "")
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
    let columns: string[] | undefined;
    for (const line of (body as string).split("\n")) {
      if (!line.trim().startsWith("|")) {
        columns = undefined;
        continue;
      }
      if (!columns) {
        columns = cells(line);
        continue;
      }
      if (/^\|[\s|:-]+\|$/.test(line.trim())) continue; // the header's underline
      const row = cells(line);
      const variable = row[columns.indexOf("variable")];
      if (variable === undefined) continue; // a table without a variable column
      const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(variable)?.[1];
      expect(name, `README ${section} row "${line}": the variable cell is one \`NAME\``).toBeDefined();
      defaults.set(name as string, row[columns.indexOf("default")] ?? "");
    }
  }
  return defaults;
}

/** An environment that records every variable asked for. */
function recording(values: Env, read: Set<string>): Env {
  return new Proxy(values, {
    get(target, key) {
      if (typeof key === "string") read.add(key);
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (typeof key === "string") read.add(key);
      return Reflect.has(target, key);
    },
  });
}

/**
 * The variables the configuration modules read: what loadConfig asks for, in the configurations
 * that take each branch (embedded or PostgreSQL, development mode or a key), and what their source
 * names as a key of `env` (a read that no branch above reaches is still found).
 */
function variablesRead(): Set<string> {
  const read = new Set<string>();
  for (const env of [{}, { DATABASE_URL: "postgresql://fms@db.example:5432/fms" }, { ...authEnv }]) {
    loadConfig(recording(env, read));
  }
  logLevel(recording({}, read));
  nodeEnv(recording({}, read));
  for (const file of CONFIG_MODULES) {
    const source = readFileSync(join(PROJECT_ROOT, file), "utf8");
    const keyRe =
      /\benv(?:\?)?\.([A-Z][A-Z0-9_]*)\b|\benv\[\s*"([A-Z][A-Z0-9_]*)"\s*\]|\(\s*env\s*,\s*"([A-Z][A-Z0-9_]*)"/g;
    for (const m of source.matchAll(keyRe)) read.add((m[1] ?? m[2] ?? m[3]) as string);
  }
  return read;
}

function refusal(env: Env): unknown {
  try {
    loadConfig({ DATA_DIR: "memory://", ...env });
    return undefined;
  } catch (e) {
    return e;
  }
}

/** Where a variable's value is checked only alongside others. */
function baseFor(variable: string): Env {
  if (AUTH_KEY_SOURCES.includes(variable)) return { AUTH_JWT_ISSUER: "https://issuer.test", AUTH_JWT_AUDIENCE: "fms" };
  if (variable.startsWith("AUTH_")) return { ...authEnv };
  return {};
}

/** Free text by design: no value of theirs is wrong (a HOST that is not this machine's fails at listen). */
const FREE_TEXT = new Set(["HOST", "DATA_DIR", "NODE_ENV", "AUTH_JWT_ISSUER", "AUTH_JWT_AUDIENCE"]);
const BAD_VALUES = ["abc", "-1", "1.5", "99999999999999", "maybe", "x y", "{"];

describe("configuration", () => {
  const documented = documentedVariables();

  it("every variable the configuration reads is in README's tables, and every one there is read", () => {
    const read = variablesRead();
    expect([...read].filter((v) => !documented.has(v)).sort(), "read but not in README.md").toEqual([]);
    expect([...documented.keys()].filter((v) => !read.has(v)).sort(), "in README.md but never read").toEqual([]);
    expect(documented.size).toBeGreaterThan(30);
  });

  it("a documented default means the same as leaving the variable out", () => {
    const checked: string[] = [];
    for (const [variable, cell] of documented) {
      const value = /^`([^`]*)`/.exec(cell)?.[1]; // "`info` (`silent` under tests)" → info
      if (value === undefined) continue; // "—", "inferred from the key": no value to write down
      const base: Env = { DATA_DIR: "memory://", ...baseFor(variable) };
      if (variable === "DATA_DIR") delete base.DATA_DIR;
      expect(loadConfig({ ...base, [variable]: value }), `${variable}=${value}`).toEqual(loadConfig(base));
      checked.push(variable);
    }
    expect(checked).toEqual(expect.arrayContaining(["PORT", "SHUTDOWN_TIMEOUT_MS", "MIGRATE_ON_START", "LOG_LEVEL"]));
  });

  it("a bad value is a ConfigError that names the variable", () => {
    for (const variable of documented.keys()) {
      if (FREE_TEXT.has(variable)) continue;
      const refusals = BAD_VALUES.map((bad) => ({ bad, error: refusal({ ...baseFor(variable), [variable]: bad }) }));
      const refused = refusals.filter((r) => r.error !== undefined);
      expect(refused.length, `${variable} accepts ${BAD_VALUES.join(", ")}`).toBeGreaterThan(0);
      for (const { bad, error } of refused) {
        expect(error, `${variable}=${bad}`).toBeInstanceOf(ConfigError);
        expect((error as Error).message, `${variable}=${bad}`).toContain(variable);
      }
    }
    expect(String(refusal({ SHUTDOWN_TIMEOUT_MS: "soon" }))).toBe(
      'ConfigError: SHUTDOWN_TIMEOUT_MS must be a whole number from 100 to 3600000; got "soon"',
    );
    expect(String(refusal({ MIGRATE_ON_START: "sometimes" }))).toBe(
      'ConfigError: MIGRATE_ON_START must be true or false; got "sometimes"',
    );
  });

  it("no other module of the service reads the environment", () => {
    // The two that touch it do not read configuration: one hands the environment on to the Prisma
    // CLI it starts, the other reads, inside that CLI, the descriptor the server passed it.
    const plumbing = ["src/db/migrations.ts", "src/db/migration-events.ts"];
    const readers = (readdirSync(join(PROJECT_ROOT, "src"), { recursive: true }) as string[])
      .map((p) => join(PROJECT_ROOT, "src", p))
      .filter((p) => p.endsWith(".ts") && !p.includes("/generated/"))
      .filter((p) => /\bprocess\.env\b/.test(readFileSync(p, "utf8")))
      .map((p) => relative(PROJECT_ROOT, p));
    expect(readers.filter((p) => !CONFIG_MODULES.includes(p) && !plumbing.includes(p))).toEqual([]);
  });
});

describe("at start", () => {
  it("a bad value stops the server with a message naming the variable", async () => {
    const { code, output } = await runCommand(NODE_SERVER, {
      env: serviceEnv({ kind: "pglite", dir: "memory://" }, { PORT: "0", SHUTDOWN_TIMEOUT_MS: "10s" }),
    });
    expect(code).toBe(1);
    expect(output).toContain(
      'configuration error: SHUTDOWN_TIMEOUT_MS must be a whole number from 100 to 3600000; got "10s"',
    );
  });

  it("MIGRATE_ON_START=false refuses a database with pending migrations, and applies none", async () => {
    const db = await emptyDatabase();
    try {
      const { code, output } = await runCommand(NODE_SERVER, {
        env: serviceEnv(db.target, { PORT: "0", HOST: "127.0.0.1", MIGRATE_ON_START: "false", DEMO_DATA: "false" }),
      });
      expect(code).toBe(1);
      expect(output).toMatch(/\d+ migration\(s\) pending \(001_\S+.*\) and MIGRATE_ON_START is false/);
      expect(output).toContain("npm run db:migrate");
      expect(output).not.toContain("ready at");
      const opened = await openDatabase(db.target);
      try {
        expect((await migrationState(opened.prisma)).applied).toEqual([]);
      } finally {
        await opened.close();
      }
    } finally {
      await db.drop();
    }
  });
});
