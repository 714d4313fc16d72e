// npm run schema:print: writes the sorted SDL of the Pothos schema to schema.graphql.
// `--check` writes nothing and exits 1 when the committed file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../src/db/migrations.ts";
import { printSortedSchema } from "../src/schema/index.ts";

const file = join(PROJECT_ROOT, "schema.graphql");
const sdl = printSortedSchema();
if (process.argv.includes("--check")) {
  const committed = readFileSync(file, "utf8");
  if (committed !== sdl) {
    console.error("schema.graphql is stale: run npm run schema:print and commit it.");
    process.exit(1);
  }
  console.log("schema.graphql is up to date.");
} else {
  writeFileSync(file, sdl);
  console.log(`wrote ${file}`);
}
