// Operator commands: npm run db:<command>. Each prints what it did and exits non-zero on failure.
//   migrate                 apply pending migrations to the configured database
//   status                  which migrations are applied, pending or failed
//   baseline                mark a hand-applied 001 as applied, after checking the live table
//   verify                  the seed's verification queries plus the lineage and contract rules
//   rolled-back <name>      mark a failed migration as rolled back, so a fixed one can be re-applied
//   drift                   fail when prisma/migrations and schema.prisma disagree
//   new-migration <name>    write the next migration from schema.prisma changes (--empty: hand-written)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type DatabaseTarget, databaseTarget, describeTarget } from "../src/config.ts";
import { baseline } from "../src/db/baseline.ts";
import { openDatabase } from "../src/db/database.ts";
import { MIGRATIONS_DIR, MigrationError, migrateDeploy, migrationNames, runPrisma } from "../src/db/migrations.ts";
import { formatReport, verify } from "../src/db/verify.ts";
import { Progress } from "../src/progress.ts";

const MEMORY: DatabaseTarget = { kind: "pglite", dir: "memory://" };
/** What the migrations build (replayed into an in-memory PGlite) against what schema.prisma says. */
const DIFF_MIGRATIONS_TO_SCHEMA = [
  "migrate",
  "diff",
  "--from-migrations",
  MIGRATIONS_DIR,
  "--to-schema-datamodel",
  "prisma/schema.prisma",
];

const commands: Record<string, (args: string[]) => Promise<number>> = {
  async migrate() {
    const target = databaseTarget();
    console.log(`Applying pending migrations to ${describeTarget(target)} ...`);
    try {
      // each migration's start and end on stderr, as it runs
      await migrateDeploy(target, { echo: true, progress: new Progress() });
      return 0;
    } catch (e) {
      if (!(e instanceof MigrationError)) throw e;
      console.error(`\n${e.message}. The failed migration's statements were rolled back.`);
      console.error("To recover: fix the migration (or the data it tripped on), then");
      console.error("  npm run db:rolled-back -- <migration name>   # marks the failed attempt as rolled back");
      console.error("  npm run db:migrate                           # applies it again");
      return 1;
    }
  },

  async status() {
    const target = databaseTarget();
    console.log(`Migration status of ${describeTarget(target)}:`);
    return (await runPrisma(["migrate", "status"], target, { echo: true })).code;
  },

  async baseline() {
    const target = databaseTarget();
    console.log(`Baselining ${describeTarget(target)} ...`);
    const result = await baseline(target);
    for (const line of result.messages) (result.ok ? console.log : console.error)(line);
    return result.ok ? 0 : 1;
  },

  async verify() {
    const target = databaseTarget();
    const db = await openDatabase(target, { poolSize: 1 });
    try {
      const checks = await verify(db.prisma);
      console.log(formatReport(`Verifying ${describeTarget(target)}`, checks));
      return checks.every((c) => c.ok) ? 0 : 1;
    } finally {
      await db.close();
    }
  },

  async "rolled-back"([name]) {
    if (!name) {
      console.error("usage: npm run db:rolled-back -- <migration name>");
      return 2;
    }
    const target = databaseTarget();
    const db = await openDatabase(target, { poolSize: 1 });
    try {
      const n = await db.prisma.$executeRawUnsafe(
        `UPDATE _prisma_migrations SET rolled_back_at = now()
         WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`,
        name,
      );
      if (n === 0) {
        console.error(`No failed attempt of ${name} is recorded in ${describeTarget(target)}: nothing to mark.`);
        return 1;
      }
      console.log(`Marked the failed attempt of ${name} as rolled back. Fix it, then run npm run db:migrate.`);
      return 0;
    } finally {
      await db.close();
    }
  },

  async drift() {
    const r = await runPrisma([...DIFF_MIGRATIONS_TO_SCHEMA, "--exit-code"], MEMORY);
    if (r.code === 0) {
      console.log("prisma/migrations and prisma/schema.prisma agree.");
      return 0;
    }
    console.error(r.output.trim());
    console.error(
      r.code === 2
        ? "\nDrift: prisma/schema.prisma differs from what the migrations build. Add a migration:\n  npm run db:new-migration -- <name>"
        : `\nThe drift check itself failed (exit ${r.code}).`,
    );
    return 1;
  },

  async "new-migration"(args) {
    const empty = args.includes("--empty");
    const raw = args.find((a) => !a.startsWith("--")) ?? "";
    const name = raw
      .replace(/[^a-z0-9_]+/gi, "_")
      .replace(/^_+|_+$/g, "")
      .toLowerCase();
    if (!name) {
      console.error("usage: npm run db:new-migration -- <name> [--empty]");
      return 2;
    }
    const numbers = migrationNames().map((n) => Number.parseInt(n, 10));
    const next = String(Math.max(0, ...numbers) + 1).padStart(3, "0");
    const target = join(MIGRATIONS_DIR, `${next}_${name}`);
    let sql = `-- ${next}: ${name.replace(/_/g, " ")} (hand-written)\n`;
    if (!empty) {
      const tmp = join(MIGRATIONS_DIR, `.tmp-${process.pid}.sql`);
      const r = await runPrisma([...DIFF_MIGRATIONS_TO_SCHEMA, "--script", "--output", tmp], MEMORY);
      if (r.code !== 0 || !existsSync(tmp)) {
        rmSync(tmp, { force: true });
        console.error(r.output.trim());
        return 1;
      }
      sql = readFileSync(tmp, "utf8");
      rmSync(tmp);
      if (/This is an empty migration/.test(sql)) {
        console.log("schema.prisma matches the migrations: no migration needed (use --empty for a hand-written one).");
        return 0;
      }
    }
    mkdirSync(target);
    writeFileSync(join(target, "migration.sql"), sql);
    console.log(`created ${join(target, "migration.sql")}`);
    return 0;
  },
};

const [command = "", ...args] = process.argv.slice(2);
const run = commands[command];
if (!run) {
  console.error(`unknown command "${command}"; one of: ${Object.keys(commands).join(", ")}`);
  process.exit(2);
}
try {
  process.exitCode = await run(args);
} catch (e) {
  console.error(e instanceof ConfigError ? `configuration error: ${e.message}` : e);
  process.exitCode = 1;
}
