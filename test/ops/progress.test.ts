// Progress output of long operator commands (src/progress.ts): what a person or a CI log sees.
// The reporter is driven with a fake clock and stream (no database involved); then the real
// thing: `npm run db:migrate` on an empty database reports each migration on stderr, and a slow
// migration gets "still applying …" lines while a failing one is reported as failed.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import type { DatabaseTarget } from "../../src/config.ts";
import { recordedMigration } from "../../src/db/migration-events.ts";
import { MIGRATIONS_DIR, MigrationError, migrateDeploy, migrationNames } from "../../src/db/migrations.ts";
import { formatDuration, Progress, type ProgressClock } from "../../src/progress.ts";
import { emptyDatabase } from "../helpers/db.ts";
import { serviceEnv } from "../helpers/operator.ts";
import { runCommand } from "../helpers/process.ts";

/** A clock that moves only when told to, firing the periodic callbacks that fall due on the way. */
function fakeClock(): ProgressClock & { advance(ms: number): void; armed(): number } {
  let now = 0;
  const timers: { every: number; next: number; tick: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    every(ms, tick) {
      const timer = { every: ms, next: now + ms, tick, live: true };
      timers.push(timer);
      return () => {
        timer.live = false;
      };
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.live && t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.every;
        due.tick();
      }
      now = end;
    },
    armed: () => timers.filter((t) => t.live).length,
  };
}

function fakeStream(isTTY = false, columns?: number) {
  const stream = { text: "", isTTY, columns, write: (s: string) => (stream.text += s) };
  return stream;
}

const lines = (text: string) => text.split("\n").filter(Boolean);

describe("the progress reporter", () => {
  it("writes a start line, a heartbeat while a step runs long, and an end line with its time", () => {
    const clock = fakeClock();
    const out = fakeStream();
    const progress = new Progress({ stream: out, clock, heartbeatMs: 10_000 });
    const step = progress.step("applying 009_backfill");
    clock.advance(9_999);
    expect(lines(out.text)).toEqual(["applying 009_backfill ..."]);
    clock.advance(35_001);
    step.done();
    expect(lines(out.text)).toEqual([
      "applying 009_backfill ...",
      "still applying 009_backfill ... 10 s",
      "still applying 009_backfill ... 20 s",
      "still applying 009_backfill ... 30 s",
      "still applying 009_backfill ... 40 s",
      "applying 009_backfill: done in 45 s",
    ]);
    // nothing keeps ticking after the step ends, and a step ends once
    expect(clock.armed()).toBe(0);
    step.done();
    clock.advance(60_000);
    expect(lines(out.text)).toHaveLength(6);
    // plain lines for a log: no cursor movement
    expect(out.text).not.toContain("\r");
  });

  it("counts: the heartbeat and the end line give the count, the total and the rate", () => {
    const clock = fakeClock();
    const out = fakeStream();
    const progress = new Progress({ stream: out, clock, heartbeatMs: 5_000 });
    const step = progress.step("registering files", { total: 40_000, unit: "files" });
    step.add(12_000);
    clock.advance(5_000);
    step.add(28_000);
    clock.advance(3_000);
    step.done();
    expect(lines(out.text)).toEqual([
      "registering files ...",
      "still registering files ... 5.0 s, 12,000/40,000 files (2,400 files/s)",
      "registering files: 40,000 files in 8.0 s (5,000 files/s)",
    ]);
  });

  it("a failed step says so, with what it had counted; run() reports and rethrows", async () => {
    const clock = fakeClock();
    const out = fakeStream();
    const progress = new Progress({ stream: out, clock });
    const failing = progress.run(
      "recording processing histories",
      async (step) => {
        step.add(3);
        clock.advance(2_500);
        throw new Error("boom");
      },
      { total: 69, unit: "status changes" },
    );
    await expect(failing).rejects.toThrow("boom");
    const ok = await progress.run("retiring contracts", (step) => {
      step.add();
      return 42;
    });
    expect(ok).toBe(42);
    expect(lines(out.text)).toEqual([
      "recording processing histories ...",
      "recording processing histories: FAILED after 2.5 s, 3/69 status changes",
      "retiring contracts ...",
      "retiring contracts: 1 item in 0.00 s",
    ]);
  });

  it("on a terminal it redraws one line in place and ends it with the result", () => {
    const clock = fakeClock();
    const out = fakeStream(true, 60);
    const progress = new Progress({ stream: out, clock, redrawMs: 1_000, heartbeatMs: 10_000 });
    const step = progress.step("seeding", { total: 10, unit: "files" });
    step.add(4);
    clock.advance(2_000);
    progress.note("a line of its own");
    const long = progress.step("applying 005_create_default_boundary_contracts_for_existing_data");
    clock.advance(1_000);
    long.done();
    step.add(6);
    step.done();
    const CLEAR = "\r\x1b[2K";
    expect(out.text).toBe(
      [
        `${CLEAR}seeding ... 0/10 files`,
        `${CLEAR}seeding ... 1.0 s, 4/10 files (4.0 files/s)`,
        `${CLEAR}seeding ... 2.0 s, 4/10 files (2.0 files/s)`,
        `${CLEAR}a line of its own\n`,
        `${CLEAR}seeding ... 2.0 s, 4/10 files (2.0 files/s)`,
        // cut to the terminal's width, so that it never wraps (a wrapped line cannot be redrawn)
        `${CLEAR}applying 005_create_default_boundary_contracts_for_existin…`,
        `${CLEAR}applying 005_create_default_boundary_contracts_for_existin…`,
        `${CLEAR}applying 005_create_default_boundary_contracts_for_existing_data: done in 1.0 s\n`,
        `${CLEAR}seeding ... 3.0 s, 4/10 files (1.3 files/s)`,
        `${CLEAR}seeding: 10 files in 3.0 s (3.3 files/s)\n`,
      ].join(""),
    );
    // no heartbeat lines on a terminal, and no timer left once nothing runs
    expect(out.text).not.toContain("still");
    expect(clock.armed()).toBe(0);
  });

  it("durations read naturally at every scale", () => {
    expect([40, 3_210, 42_700, 125_000, 3_725_000].map(formatDuration)).toEqual([
      "0.04 s",
      "3.2 s",
      "42 s",
      "2 min 05 s",
      "1 h 02 min",
    ]);
  });

  it("finds the migration Prisma records right before running its script", () => {
    const sql = 'INSERT INTO "_prisma_migrations" ("id","checksum","started_at","migration_name") VALUES ($1,$2,$3,$4)';
    expect(recordedMigration({ sql, args: ["id", "sum", "2024-01-01", "008_lineage_invariants"] })).toBe(
      "008_lineage_invariants",
    );
    expect(recordedMigration({ sql: 'SELECT * FROM "_prisma_migrations"', args: [] })).toBeUndefined();
  });
});

/** An empty database for this test only (the run's backend), dropped when it finishes. */
async function freshTarget(): Promise<DatabaseTarget> {
  const empty = await emptyDatabase();
  onTestFinished(() => empty.drop());
  return empty.target;
}

describe("migrations report their progress", () => {
  it("npm run db:migrate on an empty database prints a line per migration on stderr, none on stdout", async () => {
    const target = await freshTarget();
    const { code, stdout, stderr } = await runCommand(["npm", "run", "--silent", "db:migrate"], {
      env: serviceEnv(target),
    });
    expect(code).toBe(0);
    const names = migrationNames();
    const reported = lines(stderr).filter((l) => /^(starting|applying|still|\d+ migration)/.test(l));
    // a busy machine may take long enough to start the CLI for a heartbeat or two
    for (const heartbeat of reported.filter((l) => l.startsWith("still"))) {
      expect(heartbeat).toMatch(/^still (starting Prisma Migrate|applying \d+_\w+) \.\.\. \d+ s$/);
    }
    const progress = reported.filter((l) => !l.startsWith("still"));
    expect(progress[0]).toBe("starting Prisma Migrate ...");
    expect(progress[1]).toMatch(/^starting Prisma Migrate: done in [\d.]+ (s|min)/);
    const perMigration = progress.filter((l) => l.startsWith("applying "));
    expect(perMigration).toEqual(
      names.flatMap((n) => [
        `applying ${n} ...`,
        expect.stringMatching(new RegExp(`^applying ${n}: done in [\\d.]+ s$`)),
      ]),
    );
    expect(progress.at(-1)).toMatch(new RegExp(`^${names.length} migration\\(s\\) applied in [\\d.]+ s$`));
    expect(stdout).not.toContain("applying 0");
    // the CLI's own report is still there
    expect(stdout + stderr).toContain("All migrations have been successfully applied");
  });

  it("a slow migration gets heartbeat lines with its name, and a failing one is reported as failed", async () => {
    const target = await freshTarget();
    const dir = mkdtempSync(join(tmpdir(), `${inject("runId")}-migrations-`));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const add = (name: string, sql: string) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "migration.sql"), sql);
    };
    add("900_slow", "SELECT pg_sleep(1.6);");
    add("901_broken", "INSERT INTO no_such_table VALUES (1);");
    const out = fakeStream();
    // the system clock: real heartbeats, at a short interval
    const progress = new Progress({ stream: out, heartbeatMs: 500 });

    const failure = await migrateDeploy(target, { migrationsDir: dir, progress }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MigrationError);
    const seen = lines(out.text);
    const slow = seen.filter((l) => l.includes("900_slow"));
    expect(slow[0]).toBe("applying 900_slow ...");
    expect(slow.filter((l) => /^still applying 900_slow \.\.\. [\d.]+ s$/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(slow.at(-1)).toMatch(/^applying 900_slow: done in [\d.]+ s$/);
    expect(seen).toContain("applying 901_broken ...");
    expect(seen.at(-1)).toMatch(/^applying 901_broken: FAILED after [\d.]+ s$/);
    // no summary claims success
    expect(out.text).not.toMatch(/migration\(s\) applied/);
  });
});
