// Writes a tarball of a (closed, migrated) PGlite data directory: node test/setup/dump-pglite.ts DIR OUT.
// Run as its own process: inside vitest's main process, PGlite's start-up never settles.
import { writeFileSync } from "node:fs";
import { openPGlite } from "../../src/db/pglite-adapter.ts";

const [dir, out] = process.argv.slice(2);
if (!dir || !out) throw new Error("usage: dump-pglite.ts DIR OUT");
// Opening and dumping awaits work that holds no handle on Node's event loop: without a live
// timer the process would exit mid-await, silently, with code 0.
const keepAlive = setInterval(() => {}, 1_000);
const db = openPGlite(dir);
await db.waitReady; // dumpDataDir() before start-up has finished never settles
const dump = await db.dumpDataDir("none");
await db.close();
writeFileSync(out, Buffer.from(await dump.arrayBuffer()));
clearInterval(keepAlive);
