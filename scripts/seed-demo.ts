// npm run db:seed-demo: loads the demo data set (src/demo/data.ts) into the configured database —
// the embedded directory (DATA_DIR) unless DATABASE_URL is set — applying pending migrations first,
// so it also works before the first `npm start`. It refuses, writing nothing, a database that
// already holds any file or contract, and any database when NODE_ENV is production. There is no
// --force: demo rows mixed into real ones could not be told apart or removed cleanly afterwards.
// The result goes to stdout, the progress of each step to stderr.
import { ConfigError, databaseTarget, describeTarget } from "../src/config.ts";
import { MigrationError, openMigrated } from "../src/db/migrations.ts";
import { DemoRefusedError, seedDemo } from "../src/demo/seed.ts";
import { Progress } from "../src/progress.ts";

async function main(): Promise<number> {
  if (process.env.NODE_ENV === "production") {
    console.error("Refused: NODE_ENV is production. Demo data is for a first look on a development machine.");
    return 1;
  }
  const target = databaseTarget();
  const progress = new Progress();
  console.log(`Loading the demo data into ${describeTarget(target)} ...`);
  const db = await openMigrated(
    target,
    { poolSize: 1 },
    (n) => console.log(`Applying ${n} pending migration(s) first.`),
    progress,
  );
  try {
    const s = await seedDemo(db.prisma, { progress });
    console.log(
      `Loaded ${s.projects} projects with ${s.workspaces} workspaces, ${s.contracts} boundary contracts (${s.retiredContracts} retired), ` +
        `${s.files} files in ${s.trees} lineage trees up to ${s.maxDepth} levels deep (${s.derived} derived files, ${s.materializations} materializations), ` +
        `and ${s.statusChanges} processing status changes with ${s.processingErrors} processing errors.`,
    );
    console.log('Start the server (npm start) and try the queries of README.md, "First run".');
    return 0;
  } catch (e) {
    if (!(e instanceof DemoRefusedError)) throw e;
    console.error(`Refused: ${e.message}.`);
    return 1;
  } finally {
    await db.close();
  }
}

try {
  process.exitCode = await main();
} catch (e) {
  if (e instanceof ConfigError) console.error(`configuration error: ${e.message}`);
  else if (e instanceof MigrationError)
    console.error(`${e.message}\n${e.output}\nSee README.md, "When a migration fails".`);
  else console.error(e);
  process.exitCode = 1;
}
