// The demo data set (npm run db:seed-demo, and DEMO_DATA at npm start). No other test depends on
// it: these check the loader itself. On an empty database it creates what it says, read back
// through the API as the development identity a newcomer's GraphiQL runs as; a database that holds
// anything is refused with nothing written; a load that fails midway leaves nothing behind; and
// `npm start` loads it, asks for it, or says how, as DEMO_DATA and the terminal say.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it, onTestFinished } from "vitest";
import { ConfigError, type DatabaseTarget, loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { DEMO_DATA, DEMO_PROJECTS, DEMO_WORKSPACES, type DemoDataSet } from "../../src/demo/data.ts";
import { askYesNo, demoHint, offerDemoData } from "../../src/demo/first-run.ts";
import { DemoRefusedError, databaseContents, seedDemo } from "../../src/demo/seed.ts";
import { ContractViolationError } from "../../src/domain/errors.ts";
import { Progress } from "../../src/progress.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { backend, emptyDatabase } from "../helpers/db.ts";
import { serverEnv, serviceEnv } from "../helpers/operator.ts";
import { runCommand, startServer } from "../helpers/process.ts";

function textStream(isTTY = false) {
  const stream = { text: "", isTTY, write: (s: string) => (stream.text += s) };
  return stream;
}

async function app(): Promise<TestApp> {
  const t = await testApp(); // no auth configured: the development identity, as `npm start` runs
  onTestFinished(() => t.close());
  return t;
}

interface FileNode {
  id: string;
  uiName: string;
  projectId: string;
  workspaceId: string | null;
  lineageDepth: number;
  rootId: string;
  accessLevel: string;
  dataClassification: string;
  representationType: string | null;
  processingStatus: string;
  processingAttempts: number;
  processingErrors: { code: string; message: string; attempt: number }[];
  materializationScope: { sessionId: string | null } | null;
  boundaryContract: { name: string; status: string } | null;
}

const FILES = `{ files(first: 100) { totalCount edges { node {
  id uiName projectId workspaceId lineageDepth rootId accessLevel dataClassification representationType
  processingStatus processingAttempts processingErrors { code message attempt }
  materializationScope { sessionId } boundaryContract { name status }
} } } }`;

async function allFiles(t: TestApp): Promise<{ total: number; byName: Map<string, FileNode> }> {
  const data = await t.ok<{ files: { totalCount: number; edges: { node: FileNode }[] } }>(FILES);
  return { total: data.files.totalCount, byName: new Map(data.files.edges.map((e) => [e.node.uiName, e.node])) };
}

describe("seeding the demo data", () => {
  it("on an empty database creates what it says, and the API serves it", async () => {
    const t = await app();
    const out = textStream();
    const summary = await seedDemo(t.prisma, { progress: new Progress({ stream: out }) });
    // the numbers README.md quotes
    expect(summary).toEqual({
      projects: 3,
      workspaces: 5,
      contracts: 7,
      retiredContracts: 1,
      files: 33,
      trees: 9,
      derived: 7,
      materializations: 17,
      maxDepth: 4,
      statusChanges: 69,
      processingErrors: 6,
    });
    expect(out.text).toMatch(/^registering files: 33 files in [\d.]+ s/m);
    expect(out.text).toMatch(/^recording processing histories: 69 status changes in [\d.]+ s/m);

    const { total, byName } = await allFiles(t);
    const files = [...byName.values()];
    expect(total).toBe(33);
    expect(byName.size).toBe(33); // every name once, so docs can name them
    expect(new Set(files.map((f) => f.projectId))).toEqual(new Set(Object.values(DEMO_PROJECTS).map((p) => p.id)));
    expect(new Set(files.map((f) => f.workspaceId).filter(Boolean))).toEqual(
      new Set(Object.values(DEMO_WORKSPACES).map((w) => w.id)),
    );
    expect(files.filter((f) => f.lineageDepth === 0)).toHaveLength(9);
    expect(files.filter((f) => f.materializationScope?.sessionId)).toHaveLength(17);
    expect(new Set(files.map((f) => f.accessLevel))).toEqual(new Set(["PUBLIC", "INTERNAL", "WORKSPACE", "PRIVATE"]));
    expect(new Set(files.map((f) => f.dataClassification))).toEqual(
      new Set(["PUBLIC", "INTERNAL", "CONFIDENTIAL", "RESTRICTED"]),
    );
    expect(new Set(files.map((f) => f.processingStatus))).toEqual(
      new Set(["PENDING", "PROCESSING", "COMPLETED", "FAILED", "SKIPPED"]),
    );
    expect(files.every((f) => f.boundaryContract !== null)).toBe(true);

    const contracts = await t.ok<{ contracts: { totalCount: number; edges: { node: Record<string, unknown> }[] } }>(
      "{ contracts(first: 50) { totalCount edges { node { name status isDefault fileCount } } } }",
    );
    expect(contracts.contracts.totalCount).toBe(7);
    const retired = contracts.contracts.edges.map((e) => e.node).filter((c) => c.status === "RETIRED");
    // retired after its file was in: the file keeps it
    expect(retired).toEqual([{ name: "PACS export (2019)", status: "RETIRED", isDefault: false, fileCount: 1 }]);
    expect(byName.get("ct-chest-0001.export.zip")?.boundaryContract).toEqual({
      name: "PACS export (2019)",
      status: "RETIRED",
    });
    expect(contracts.contracts.edges.filter((e) => e.node.isDefault)).toHaveLength(3);

    // a lineage tree four levels deep, walked by the API
    const root = byName.get("site-07-drone-flight.mp4");
    const tree = await t.ok<{ lineage: { totalCount: number; edges: { node: { depth: number; file: FileNode } }[] } }>(
      "query ($id: UUID!) { lineage(fileId: $id, direction: DOWN) { totalCount edges { node { depth file { uiName representationType } } } } }",
      { id: root?.id },
    );
    expect(tree.lineage.totalCount).toBe(7);
    expect(tree.lineage.edges.map((e) => [e.node.depth, e.node.file.uiName])).toEqual(
      expect.arrayContaining([
        [0, "site-07-drone-flight.mp4"],
        [1, "site-07-frames.tar"],
        [2, "site-07-orthomosaic.tif"],
        [3, "site-07-elevation-model.tif"],
        [4, "site-07-elevation-model.preview.png"],
      ]),
    );
    expect(Math.max(...tree.lineage.edges.map((e) => e.node.depth))).toBe(4);
    for (const f of files.filter((f) => f.rootId === root?.id)) expect(f.projectId).toBe(DEMO_PROJECTS.survey.id);

    // failed, retried, completed: every error kept, with the attempt it ended
    const retried = byName.get("ct-chest-0001.lung-mask.nii.gz");
    expect(retried).toMatchObject({ processingStatus: "COMPLETED", processingAttempts: 2 });
    expect(retried?.processingErrors).toEqual([
      {
        code: "SEGMENTATION_DIVERGED",
        message: "Model did not converge after 200 iterations (lung-seg v2.4.0).",
        attempt: 1,
      },
    ]);
    const stitched = byName.get("site-07-orthomosaic.tif");
    expect(stitched).toMatchObject({ processingStatus: "COMPLETED", processingAttempts: 3 });
    expect(stitched?.processingErrors.map((e) => [e.code, e.attempt])).toEqual([
      ["OUT_OF_MEMORY", 1],
      ["OUT_OF_MEMORY", 2],
    ]);
    const stuck = byName.get("mri-brain-0042.nii.gz");
    expect(stuck).toMatchObject({ processingStatus: "FAILED", processingAttempts: 2 });
    expect(stuck?.processingErrors.map((e) => [e.code, e.attempt])).toEqual([
      ["TIMEOUT", 1],
      ["DICOM_DECODE_ERROR", 2],
    ]);
  });

  it("refuses a database that holds a file, or only a contract, and writes nothing", async () => {
    const t = await app();
    const registered = await t.ok<{ registerFile: { __typename: string } }>(
      `mutation ($p: UUID!) { registerFile(input: { projectId: $p, uiName: "mine.csv", filePath: "s3://b/mine.csv" }) { __typename } }`,
      { p: "0f000000-0000-4000-8000-000000000001" },
    );
    expect(registered.registerFile.__typename).toBe("RegisterFileSuccess");
    const refused = await seedDemo(t.prisma).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DemoRefusedError);
    expect((refused as Error).message).toBe(
      "the database already holds 1 file(s) and 0 contract(s); demo data is only loaded into an empty database, and nothing was written",
    );
    expect(await databaseContents(t.prisma)).toEqual({ files: 1, contracts: 0 });

    const other = await app();
    await other.ok(
      `mutation ($p: UUID!) { createBoundaryContract(input: { projectId: $p, name: "Mine" }) { __typename } }`,
      { p: "0f000000-0000-4000-8000-000000000001" },
    );
    await expect(seedDemo(other.prisma)).rejects.toBeInstanceOf(DemoRefusedError);
    expect(await databaseContents(other.prisma)).toEqual({ files: 0, contracts: 1 });
  });

  it("a load that fails midway removes what it wrote: the database is empty again", async () => {
    const t = await app();
    // the demo data and, last, a materialization the contract refuses (a confidential source
    // shared under a contract whose ceiling is public)
    const [first, ...rest] = DEMO_DATA.trees;
    const broken: DemoDataSet = {
      contracts: DEMO_DATA.contracts,
      trees: [
        ...rest,
        {
          ...(first as (typeof DEMO_DATA.trees)[number]),
          children: [
            {
              name: "leak.csv",
              path: "s3://harbor-imaging/leak.csv",
              fileType: "dataset",
              mimeType: "text/csv",
              by: "imagingPipeline",
              representation: "csv",
              materialize: { contract: "Research derivatives", session: "s1" },
            },
          ],
        },
      ],
    };
    const failure = await seedDemo(t.prisma, { data: broken }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ContractViolationError);
    expect(await databaseContents(t.prisma)).toEqual({ files: 0, contracts: 0 });
    // and it can be loaded afterwards
    expect((await seedDemo(t.prisma)).files).toBe(33);
  });
});

describe("DEMO_DATA", () => {
  it("is ask, true or false; anything else, or true in production, stops the start with a message naming it", () => {
    expect(loadConfig({}).demoData).toBe("ask");
    expect(loadConfig({ DEMO_DATA: "ASK" }).demoData).toBe("ask");
    expect(loadConfig({ DEMO_DATA: "true" }).demoData).toBe(true);
    expect(loadConfig({ DEMO_DATA: "0" }).demoData).toBe(false);
    expect(() => loadConfig({ DEMO_DATA: "maybe" })).toThrow(
      new ConfigError('DEMO_DATA must be ask, true or false; got "maybe"'),
    );
    expect(() => loadConfig({ DEMO_DATA: "yes", NODE_ENV: "production", AUTH_JWT_SECRET: "x".repeat(32) })).toThrow(
      /^DEMO_DATA=true is refused with NODE_ENV=production/,
    );
  });
});

describe("offering the demo data at start", () => {
  it("a question left unanswered means no, after the timeout; Enter means yes; n means no", async () => {
    const silent = new PassThrough();
    const out = textStream(true);
    expect(await askYesNo("Load? [Y/n] ", silent, out, 50)).toBeUndefined();
    expect(out.text).toBe("Load? [Y/n] \n");
    for (const [typed, answer] of [
      ["\n", true],
      ["y\n", true],
      ["YES\n", true],
      ["n\n", false],
      ["nope\n", false],
    ] as const) {
      const input = new PassThrough();
      const asked = askYesNo("Load? [Y/n] ", input, textStream(), 5_000);
      input.write(typed);
      expect(await asked).toBe(answer);
    }
  });

  it("at a terminal with no answer it starts without demo data; in production it never asks", async () => {
    const t = await app();
    const db = { prisma: t.prisma };
    const database: DatabaseTarget = { kind: "pglite", dir: "./.data" };
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    const out = textStream(true);
    await offerDemoData(
      db,
      { demoData: "ask", nodeEnv: "development", database },
      { input: terminal, output: out, timeoutMs: 50 },
    );
    expect(out.text).toContain("The database is empty. Load the demo data (3 projects, 33 files");
    expect(out.text).toContain("No answer: starting without demo data");
    expect(await databaseContents(t.prisma)).toEqual({ files: 0, contracts: 0 });

    const quiet = textStream(true);
    await offerDemoData(
      db,
      { demoData: "ask", nodeEnv: "production", database },
      { input: terminal, output: quiet, timeoutMs: 50 },
    );
    expect(quiet.text).toBe("");
    expect(await databaseContents(t.prisma)).toEqual({ files: 0, contracts: 0 });
  });
});

/** The server's environment: no authentication configured (development mode), any free port, DEMO_DATA only as `extra` says. */
function startEnv(target: DatabaseTarget, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = serverEnv(target);
  delete env.DEMO_DATA;
  return { ...env, ...extra };
}

async function query<T>(url: string, document: string): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: document }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const DEMO_QUERY = `{ files(first: 10, filter: { search: "ct-chest-0001" }) { totalCount edges { node { uiName lineageDepth boundaryContract { name } } } } }`;

function embeddedDir(): DatabaseTarget {
  const dir = mkdtempSync(join(tmpdir(), "fms-demo-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return { kind: "pglite", dir: join(dir, "data") };
}

async function startedWithDemo(target: DatabaseTarget) {
  const server = startServer(startEnv(target, { DEMO_DATA: "true" }), "npm");
  try {
    const url = await server.url;
    const data = await query<{ files: { totalCount: number; edges: { node: Record<string, unknown> }[] } }>(
      url,
      DEMO_QUERY,
    );
    expect(data.files.totalCount).toBe(7);
    expect(data.files.edges[0]?.node).toEqual({
      uiName: "ct-chest-0001.dcm",
      lineageDepth: 0,
      boundaryContract: { name: "Clinical imaging" },
    });
    // progress on stderr, a summary, and the one log record saying so
    expect(server.output()).toMatch(/registering files: 33 files in [\d.]+ s/);
    expect(server.output()).toContain("Demo data loaded: 33 files in 9 lineage trees");
    expect(server.output()).toMatch(/"msg":"demo data loaded"/);
  } finally {
    await server.stop();
  }
  return server;
}

describe("npm start and DEMO_DATA", () => {
  it("DEMO_DATA=true on an empty embedded directory loads the demo data and serves it", async () => {
    const target = embeddedDir();
    await startedWithDemo(target);
    // a second start finds the database in use and leaves it alone
    const again = startServer(startEnv(target, { DEMO_DATA: "true" }), "npm");
    try {
      const url = await again.url;
      expect((await query<{ files: { totalCount: number } }>(url, "{ files { totalCount } }")).files.totalCount).toBe(
        33,
      );
      expect(again.output()).not.toContain("registering files");
    } finally {
      await again.stop();
    }
  });

  it.runIf(backend() === "postgres")("DEMO_DATA=true against an empty PostgreSQL database does the same", async () => {
    const db = await emptyDatabase();
    onTestFinished(() => db.drop());
    await startedWithDemo(db.target);
  });

  it("DEMO_DATA=ask (the default) without a terminal says how, and loads nothing", async () => {
    const target = embeddedDir();
    const server = startServer(startEnv(target, {}), "npm");
    try {
      const url = await server.url;
      expect((await query<{ files: { totalCount: number } }>(url, "{ files { totalCount } }")).files.totalCount).toBe(
        0,
      );
      expect(server.output()).toContain(demoHint({ database: target }));
      expect(server.output()).toContain("DEMO_DATA=true npm start");
      expect(server.output()).not.toContain("[Y/n]");
    } finally {
      await server.stop();
    }
  });

  it("DEMO_DATA=ask at a terminal asks, and Enter loads the demo data", async () => {
    const target = embeddedDir();
    const server = startServer(startEnv(target, {}), "npm-terminal");
    try {
      await server.logged("[Y/n]");
      expect(server.output()).toContain("The database is empty. Load the demo data (3 projects, 33 files");
      server.child.stdin?.write("\n");
      const url = await server.url;
      expect((await query<{ files: { totalCount: number } }>(url, "{ files { totalCount } }")).files.totalCount).toBe(
        33,
      );
      // on a terminal the step line is redrawn in place
      expect(server.output()).toContain("\r\x1b[2Kregistering files: 33 files in");
    } finally {
      await server.stop();
    }
  });

  it("DEMO_DATA=true with NODE_ENV=production is refused before the database is opened", async () => {
    const target = embeddedDir();
    const server = startServer(startEnv(target, { DEMO_DATA: "true", NODE_ENV: "production" }), "npm");
    await server.url.catch(() => {});
    await server.stop();
    expect(server.output()).toContain(
      "configuration error: DEMO_DATA=true is refused with NODE_ENV=production: demo data is for a first look on a development machine",
    );
  });
});

describe("npm run db:seed-demo", () => {
  function seedDemoCommand(target: DatabaseTarget, extra: Record<string, string> = {}) {
    return runCommand(["npm", "run", "--silent", "db:seed-demo"], { env: serviceEnv(target, extra) });
  }

  it("loads the demo data into a new database (migrating it first), then refuses to load it again", async () => {
    const db = await emptyDatabase();
    onTestFinished(() => db.drop());
    const first = await seedDemoCommand(db.target);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      "Loaded 3 projects with 5 workspaces, 7 boundary contracts (1 retired), 33 files in 9 lineage trees up to 4 levels deep",
    );
    // progress on stderr, results on stdout
    expect(first.stderr).toMatch(/^applying 008_lineage_invariants: done in/m);
    expect(first.stderr).toMatch(/^registering files: 33 files in/m);
    expect(first.stdout).not.toContain("registering files");

    const second = await seedDemoCommand(db.target);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      "Refused: the database already holds 33 file(s) and 7 contract(s); demo data is only loaded into an empty database, and nothing was written.",
    );
    const refusedInProduction = await seedDemoCommand(db.target, { NODE_ENV: "production" });
    expect(refusedInProduction.code).toBe(1);
    expect(refusedInProduction.stderr).toContain("Refused: NODE_ENV is production.");

    const opened = await openDatabase(db.target, { poolSize: 1 });
    try {
      expect(await databaseContents(opened.prisma)).toEqual({ files: 33, contracts: 7 });
    } finally {
      await opened.close();
    }
  });
});
