// Fuzzing the API through HTTP: a few thousand random requests from schema.graphql (about a third
// invalid on purpose) against a small realistic database, sent as different callers. For every
// response: no 5xx, a JSON body, no internal detail in any message (SQL, Prisma, stack traces, table
// and column names), and no "Unexpected error." at all (the masked form of an internal error: each
// one is a bug to fix). For every mutation that is refused (GraphQL errors, or a typed error result),
// not one row may have changed; a sample of queries is checked the same way.
//
// FUZZ_SEED (default below) fixes the sequence; FUZZ_RUNS (default 3000) and FUZZ_SECONDS (default
// 60) bound the run, whichever comes first. FUZZ_REPORT=<path> also writes the distinct failures as
// JSON. A failure lists each distinct problem once, with the shortest request that showed it.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { backend } from "../helpers/db.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { snapshot } from "../helpers/snapshot.ts";
import { authEnv, signToken } from "../helpers/tokens.ts";
import { emptyPools, type FuzzRequest, loadSchema, OperationGenerator, type Pools, Rng, seedFrom } from "./generate.ts";

const SEED = process.env.FUZZ_SEED || "20250611";
const RUNS = Number(process.env.FUZZ_RUNS || 3000);
const SECONDS = Number(process.env.FUZZ_SECONDS || 60);
if (!(RUNS > 0 && SECONDS > 0)) throw new Error("FUZZ_RUNS and FUZZ_SECONDS must be positive numbers");
const SCHEMA_PATH = fileURLToPath(new URL("../../schema.graphql", import.meta.url));
/** Share of queries whose rows are compared before and after (queries must never write). */
const QUERY_SNAPSHOT_SHARE = 0.1;
/** FUZZ_VERBOSE=1 prints every request and the start of its response. */
const VERBOSE = Boolean(process.env.FUZZ_VERBOSE);

/** Who sends a request: a name for the report and the headers that make it that caller. */
interface Caller {
  name: string;
  headers: Record<string, string>;
  /** May change anything: half of the plausible mutations go to such a caller, so that writes succeed. */
  privileged?: boolean;
  /** Refused before anything runs (a bad token): one request in 25 is enough. */
  rare?: boolean;
}

/** The callers in turn, the rare ones now and then, and a privileged one for half of the plausible writes. */
function pickCaller(callers: Caller[], request: FuzzRequest, n: number, rng: Rng): Caller {
  const privileged = callers.find((c) => c.privileged);
  if (privileged && request.kind === "mutation" && request.plausible && rng.chance(0.5)) return privileged;
  const rare = callers.filter((c) => c.rare);
  const regular = callers.filter((c) => !c.rare);
  if (rare.length > 0 && (n % 25 === 24 || regular.length === 0)) return rare[n % rare.length] as Caller;
  return regular[n % regular.length] as Caller;
}

/** What in a client-visible message means internal detail leaked. */
const LEAKS: readonly (readonly [string, RegExp])[] = [
  ["Prisma", /prisma|Invalid `[\w$.]+\(\)`|\binvocation:/i],
  [
    "table or column name",
    /\b(project_files|data_boundary_contracts|_prisma_migrations|file_uuid|contract_id|parent_file_uuid|root_file_uuid|boundary_contract_id|lineage_depth|processing_status|processing_errors|data_classification|max_data_classification|materialization_scope|idempotency_key|ui_name|file_path|deleted_at|created_at|updated_at)\b/,
  ],
  [
    "SQL",
    /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH RECURSIVE)\b[\s\S]*\b(FROM|SET|VALUES|WHERE)\b|syntax error at or near|violates (unique|check|foreign key|not-null|exclusion) constraint|duplicate key value|relation "|column "|SQLSTATE|invalid input syntax for|out of range for type|invalid byte sequence|unsupported Unicode escape|\bP[1-5]\d{3}\b/,
  ],
  ["stack trace", /\n\s+at |\bat \/|at file:\/\/|node:internal|node_modules|\.[cm]?[jt]s:\d+:\d+/],
  [
    "JavaScript error",
    /\b(TypeError|ReferenceError|RangeError|SyntaxError|EvalError|URIError|AggregateError)\b|Cannot read propert|is not a function|\b[A-Za-z_$][\w$]* is not defined|Maximum call stack|\[object Object\]|Do not know how to serialize/,
  ],
  [
    "driver",
    /ECONNREFUSED|ECONNRESET|PGlite|node-postgres|Connection terminated|deadlock detected|could not serialize access/i,
  ],
];

const MASKED = "Unexpected error.";

interface Failure {
  category: string;
  /** What makes two failures the same problem. */
  key: string;
  detail: string;
  request: FuzzRequest;
  caller: string;
  status: number;
  response: string;
  count: number;
}

interface Stats {
  tried: number;
  valid: number;
  invalid: number;
  queries: number;
  mutations: number;
  raw: number;
  mutationsRefused: number;
  mutationsSucceeded: number;
  mutationsPartly: number;
  snapshotsCompared: number;
  withErrors: number;
  byStatus: Record<string, number>;
  byFlaw: Record<string, number>;
  byCaller: Record<string, number>;
  /** Valid requests refused before execution: the generator's mistakes or schema changes. */
  validRejected: Map<string, number>;
  /** Why mutations were refused (typed error and code, or GraphQL error path and code). */
  refusals: Map<string, number>;
  slowest: { ms: number; n: number; query: string }[];
}

describe("fuzzing the API from schema.graphql", () => {
  let t: TestApp;
  let callers: Caller[];
  const pools: Pools = emptyPools();
  const seed = seedFrom(SEED);

  beforeAll(async () => {
    t = await testApp(authEnv);
    const seeded = await seedDatabase(t.prisma, new Rng(seed ^ 0x5eed));
    await refreshPools(t.prisma, pools);
    callers = await makeCallers(seeded);
  });
  afterAll(() => t?.close());

  it(
    "no 5xx, no internal error or detail, no row changed by a refused mutation",
    async () => {
      const schema = loadSchema(SCHEMA_PATH);
      const rng = new Rng(seed);
      const generator = new OperationGenerator(schema, rng, pools);
      const failures = new Map<string, Failure>();
      const stats: Stats = {
        tried: 0,
        valid: 0,
        invalid: 0,
        queries: 0,
        mutations: 0,
        raw: 0,
        mutationsRefused: 0,
        mutationsSucceeded: 0,
        mutationsPartly: 0,
        snapshotsCompared: 0,
        withErrors: 0,
        byStatus: {},
        byFlaw: {},
        byCaller: {},
        validRejected: new Map(),
        refusals: new Map(),
        slowest: [],
      };
      const started = Date.now();
      const deadline = started + SECONDS * 1000;
      console.log(
        `fuzz: seed ${SEED} (FUZZ_SEED), backend ${backend()}, up to ${RUNS} requests (FUZZ_RUNS) or ${SECONDS} s (FUZZ_SECONDS); callers: ${callers.map((c) => c.name).join(", ")}`,
      );

      const fail = (f: Omit<Failure, "count">) => {
        const id = `${f.category} | ${f.key}`;
        const seen = failures.get(id);
        if (!seen) failures.set(id, { ...f, count: 1 });
        else {
          seen.count++;
          // keep the shortest request that shows the problem
          if (f.request.body.length < seen.request.body.length) Object.assign(seen, { ...f, count: seen.count });
        }
      };

      while (stats.tried < RUNS && Date.now() < deadline) {
        const request = generator.next();
        const caller = pickCaller(callers, request, stats.tried, rng);
        stats.tried++;
        if (request.valid) stats.valid++;
        else stats.invalid++;
        stats[request.kind === "query" ? "queries" : request.kind === "mutation" ? "mutations" : "raw"]++;
        if (request.flaw) stats.byFlaw[request.flaw] = (stats.byFlaw[request.flaw] ?? 0) + 1;
        stats.byCaller[caller.name] = (stats.byCaller[caller.name] ?? 0) + 1;

        const compare = request.kind === "mutation" || (request.kind === "query" && rng.chance(QUERY_SNAPSHOT_SHARE));
        const before = compare ? await snapshot(t.prisma) : undefined;
        t.logs.length = 0;
        const at = performance.now();
        let status = 0;
        let text = "";
        let requestId: string | null = null;
        try {
          const response = await t.app.fetch("http://test/graphql", {
            method: "POST",
            headers: {
              ...(request.contentType ? { "content-type": request.contentType } : {}),
              accept: stats.tried % 5 === 0 ? "application/json" : "application/graphql-response+json",
              ...caller.headers,
            },
            body: request.body,
          });
          status = response.status;
          requestId = response.headers.get("x-request-id");
          text = await response.text();
        } catch (e) {
          fail({
            category: "request threw",
            key: `${request.roots.map((r) => r.field).join(",")} ${normalize(String(e))}`,
            detail: String((e as Error)?.stack ?? e),
            request,
            caller: caller.name,
            status,
            response: "",
          });
          continue;
        }
        const ms = performance.now() - at;
        stats.slowest.push({ ms, n: request.n, query: (request.query ?? request.body).slice(0, 300) });
        stats.slowest.sort((a, b) => b.ms - a.ms);
        stats.slowest.length = Math.min(stats.slowest.length, 5);
        stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
        const report = { request, caller: caller.name, status, response: text.slice(0, 4000) };
        const internal = internalErrors(t.logs, requestId);

        if (status >= 500) {
          fail({
            ...report,
            category: "5xx",
            key: `${status} ${request.roots.map((r) => r.field).join(",")} ${internal.key}`,
            detail: internal.detail,
          });
        }
        let body: ResponseBody;
        try {
          body = JSON.parse(text) as ResponseBody;
        } catch {
          fail({ ...report, category: "body is not JSON", key: `${status} ${text.slice(0, 60)}`, detail: "" });
          continue;
        }
        if (!body || typeof body !== "object") {
          fail({ ...report, category: "body is not a JSON object", key: `${status}`, detail: "" });
          continue;
        }

        if (VERBOSE) {
          console.log(
            `#${request.n} ${caller.name} ${request.kind} ${request.valid ? "valid" : request.flaw} ${status}\n  ${truncate(request.query ?? request.body, 600)}\n  ${truncate(JSON.stringify(request.variables ?? null), 400)}\n  → ${truncate(text, 600)}`,
          );
        }
        const errors = Array.isArray(body.errors) ? body.errors : [];
        if (errors.length > 0) stats.withErrors++;
        for (const error of errors) {
          const message = typeof error?.message === "string" ? error.message : JSON.stringify(error);
          const where = pathPattern(error?.path, request.roots);
          if (message === MASKED) {
            fail({
              ...report,
              category: "unexpected error",
              key: `${where}: ${internal.key}`,
              detail: internal.detail || "(no log line for the request id)",
            });
            continue;
          }
          for (const [what, re] of LEAKS) {
            if (re.test(withoutEcho(message, request))) {
              fail({
                ...report,
                category: `leaked ${what}`,
                key: `${where}: ${normalize(message)}`,
                detail: message.slice(0, 1000),
              });
            }
          }
          const { requestId: _id, ...extensions } = (error?.extensions ?? {}) as Record<string, unknown>;
          const ext = JSON.stringify(extensions);
          if (/"(stack|exception|originalError|stacktrace)"/.test(ext) || LEAKS[0]?.[1].test(ext)) {
            fail({ ...report, category: "leaked in extensions", key: `${where}: ${normalize(ext)}`, detail: ext });
          }
        }
        // Typed errors' messages are client-visible too.
        for (const message of typedErrorMessages(body.data, generator)) {
          if (message === MASKED) {
            fail({ ...report, category: "unexpected error (typed)", key: internal.key, detail: internal.detail });
          }
          for (const [what, re] of LEAKS) {
            if (re.test(withoutEcho(message, request))) {
              fail({ ...report, category: `leaked ${what} (typed error)`, key: normalize(message), detail: message });
            }
          }
        }
        // Valid requests refused before any resolver ran: counted, to keep the generator honest.
        if (request.valid && status !== 401 && errors.length > 0 && (body.data === undefined || body.data === null)) {
          const early = errors.filter((e) => !e?.path);
          if (early.length > 0) {
            const m = normalize(String(early[0]?.message));
            stats.validRejected.set(m, (stats.validRejected.get(m) ?? 0) + 1);
          }
        }
        harvestCursors(body.data, pools);

        if (request.kind === "mutation") {
          const outcome = mutationOutcome(request, body, generator);
          if (outcome === "refused") {
            stats.mutationsRefused++;
            const reason = refusalKey(body, generator) || "(no reason)";
            stats.refusals.set(reason, (stats.refusals.get(reason) ?? 0) + 1);
          } else if (outcome === "succeeded") stats.mutationsSucceeded++;
          else stats.mutationsPartly++;
          if (outcome === "refused" && before !== undefined) {
            stats.snapshotsCompared++;
            const after = await snapshot(t.prisma);
            if (after !== before) {
              const nested = errors.length > 0 && errors.every((e) => Array.isArray(e?.path) && e.path.length > 1);
              fail({
                ...report,
                category: nested
                  ? "rows changed by a mutation whose result was nulled by an error below it"
                  : "rows changed by a refused mutation",
                key: `${request.roots.map((r) => r.field).join(",")} ${refusalKey(body, generator)}`,
                detail: diff(before, after),
              });
            }
          }
          if (outcome !== "refused") await refreshPools(t.prisma, pools);
        } else if (before !== undefined) {
          stats.snapshotsCompared++;
          const after = await snapshot(t.prisma);
          if (after !== before) {
            fail({
              ...report,
              category: "rows changed by a query",
              key: request.roots.map((r) => r.field).join(","),
              detail: diff(before, after),
            });
          }
        }
      }

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const lines = [
        `fuzz: seed ${SEED}, backend ${backend()}: ${stats.tried} requests in ${seconds} s (limits ${RUNS} requests, ${SECONDS} s)`,
        `  valid ${stats.valid}, invalid ${stats.invalid}; queries ${stats.queries}, mutations ${stats.mutations}, malformed bodies ${stats.raw}`,
        `  mutations refused ${stats.mutationsRefused}, succeeded ${stats.mutationsSucceeded}, partly ${stats.mutationsPartly}; snapshots compared ${stats.snapshotsCompared}`,
        `  responses with errors ${stats.withErrors}; by status ${JSON.stringify(stats.byStatus)}`,
        `  by caller ${JSON.stringify(stats.byCaller)}`,
        `  flaws ${JSON.stringify(stats.byFlaw)}`,
        `  slowest: ${stats.slowest.map((s) => `#${s.n} ${s.ms.toFixed(0)} ms`).join(", ")}`,
      ];
      if (stats.validRejected.size > 0) {
        const top = [...stats.validRejected].sort((a, b) => b[1] - a[1]).slice(0, 8);
        lines.push(`  valid requests refused before execution: ${top.map(([m, n]) => `${n}× ${m}`).join(" | ")}`);
      }
      const refusals = [...stats.refusals].sort((a, b) => b[1] - a[1]).slice(0, 12);
      lines.push(`  mutations refused because: ${refusals.map(([m, n]) => `${n}× ${m}`).join(" | ")}`);
      console.log(lines.join("\n"));

      const distinct = [...failures.values()].sort((a, b) => a.category.localeCompare(b.category));
      if (process.env.FUZZ_REPORT) {
        writeFileSync(
          process.env.FUZZ_REPORT,
          JSON.stringify(
            {
              seed: SEED,
              backend: backend(),
              stats: { ...stats, validRejected: [...stats.validRejected], refusals: [...stats.refusals] },
              failures: distinct,
            },
            null,
            2,
          ),
        );
      }
      if (distinct.length > 0) {
        const text = distinct.map((f, i) => describeFailure(f, i + 1)).join("\n\n");
        throw new Error(
          `${distinct.length} distinct problem(s) in ${stats.tried} requests (FUZZ_SEED=${SEED}, backend ${backend()}):\n\n${text}`,
        );
      }
    },
    (SECONDS + 240) * 1000,
  );
});

// --- the database the requests run against

interface Seeded {
  projects: string[];
  workspaces: string[];
}

/**
 * Two projects with contracts (a default, a narrow one, a retired one), a lineage tree four levels
 * deep with materializations (idempotency keys, scopes), files in every processing status, a deleted
 * file, a legacy root with a NULL root id, and a file with no contract.
 */
async function seedDatabase(prisma: PrismaClient, rng: Rng): Promise<Seeded> {
  const [projectA, projectB] = [rng.uuid(), rng.uuid()] as const;
  const [w1, w2, w3] = [rng.uuid(), rng.uuid(), rng.uuid()] as const;
  const at = (minutes: number) => new Date(Date.UTC(2025, 0, 1, 0, minutes));

  const aDefault = await buildContract(prisma, {
    id: rng.uuid(),
    projectId: projectA,
    name: "Default contract",
    isDefault: true,
    maxDataClassification: "restricted",
  });
  const aNarrow = await buildContract(prisma, {
    id: rng.uuid(),
    projectId: projectA,
    name: "Analytics exports",
    description: "Parquet and CSV for the analytics workspaces",
    allowedRepresentationTypes: ["parquet", "csv"],
    maxDataClassification: "confidential",
    retentionDays: 30,
    scope: { workspace_ids: [w1, w2].sort() },
  });
  await buildContract(prisma, {
    id: rng.uuid(),
    projectId: projectA,
    name: "Old contract",
    status: "retired",
    maxDataClassification: "internal",
  });
  const bDefault = await buildContract(prisma, {
    id: rng.uuid(),
    projectId: projectB,
    name: "Default contract",
    isDefault: true,
    maxDataClassification: "internal",
  });
  await buildContract(prisma, {
    id: rng.uuid(),
    projectId: projectB,
    name: "Previews only",
    allowedRepresentationTypes: ["preview", "thumbnail"],
    maxDataClassification: "public",
    scope: { workspace_ids: [w3] },
  });

  const common = { projectId: projectA, workspaceId: w1, boundaryContractId: aDefault.id };
  const root = await buildFile(prisma, {
    ...common,
    id: rng.uuid(),
    uiName: "sales 2024.csv",
    accessLevel: "workspace",
    permissions: { read: ["group:g1"], write: ["user:member"] },
    processingStatus: "completed",
    processingAttempts: 1,
    processingStartedAt: at(1),
    processingCompletedAt: at(2),
    createdAt: at(0),
    createdBy: "user:member",
    checksumSha256: "a".repeat(64),
    metadata: { source: "upload", rows: 1200 },
  });
  const children = [];
  for (const [i, rep] of (["parquet", "csv"] as const).entries()) {
    children.push(
      await buildFile(prisma, {
        ...common,
        parent: root,
        id: rng.uuid(),
        boundaryContractId: aNarrow.id,
        representationType: rep,
        accessLevel: "workspace",
        dataClassification: "confidential",
        createdAt: at(10 + i),
        idempotencyKey: `seed-key-${i + 1}`,
        materializationScope: {
          workspace_id: w1,
          session_id: `sess-${i}`,
          materialized_at: at(10 + i).toISOString(),
          materialized_by: "worker-1",
          job: i,
        },
        processingStatus: i === 0 ? "failed" : "processing",
        processingAttempts: 1,
        processingErrors:
          i === 0 ? [{ code: "TIMEOUT", message: "took too long", at: at(12).toISOString(), attempt: 1 }] : [],
      }),
    );
  }
  const grandchildren = [];
  for (const [i, parent] of [children[0], children[0], children[1]].entries()) {
    if (!parent) continue;
    grandchildren.push(
      await buildFile(prisma, {
        ...common,
        parent,
        id: rng.uuid(),
        boundaryContractId: parent.boundaryContractId,
        dataClassification: "confidential",
        representationType: i === 2 ? "csv" : "parquet",
        processingStatus: ["pending", "skipped", "completed"][i],
        createdAt: at(20 + i),
      }),
    );
  }
  const leaf = await buildFile(prisma, {
    ...common,
    parent: grandchildren[0],
    id: rng.uuid(),
    dataClassification: "restricted",
    representationType: "thumbnail",
    idempotencyKey: "seed-key-3",
    materializationScope: { workspace_id: w1, materialized_by: "worker-2" },
    createdAt: at(30),
  });
  await buildFile(prisma, { ...common, parent: leaf, id: rng.uuid(), deletedAt: at(40), createdAt: at(31) });
  await buildFile(prisma, { ...common, id: rng.uuid(), rootFileId: null, uiName: "legacy.csv", createdAt: at(3) });
  await buildFile(prisma, {
    projectId: projectA,
    workspaceId: w2,
    id: rng.uuid(),
    boundaryContractId: null,
    accessLevel: "private",
    uiName: "no contract.bin",
    fileSizeBytes: null,
    createdAt: at(4),
  });
  await buildFile(prisma, {
    projectId: projectA,
    id: rng.uuid(),
    boundaryContractId: aDefault.id,
    accessLevel: "public",
    dataClassification: "public",
    uiName: "100%_done\\.txt",
    createdAt: at(5),
  });

  let parent = await buildFile(prisma, {
    projectId: projectB,
    workspaceId: w3,
    id: rng.uuid(),
    boundaryContractId: bDefault.id,
    accessLevel: "internal",
    createdAt: at(50),
  });
  for (let i = 0; i < 3; i++) {
    parent = await buildFile(prisma, {
      parent,
      id: rng.uuid(),
      workspaceId: w3,
      boundaryContractId: bDefault.id,
      accessLevel: "internal",
      representationType: "preview",
      createdAt: at(51 + i),
    });
  }
  return { projects: [projectA, projectB], workspaces: [w1, w2, w3] };
}

/** The ids that exist now (and some that are gone), for the generator. */
async function refreshPools(prisma: PrismaClient, pools: Pools): Promise<void> {
  const [files, contracts] = await Promise.all([
    prisma.projectFile.findMany({
      select: { id: true, projectId: true, workspaceId: true, deletedAt: true, idempotencyKey: true },
      orderBy: { createdAt: "desc" },
      take: 300,
    }),
    prisma.dataBoundaryContract.findMany({
      select: { id: true, projectId: true, name: true, scope: true },
      orderBy: { createdAt: "desc" },
      take: 200,
    }),
  ]);
  pools.fileIds = files.filter((f) => !f.deletedAt).map((f) => f.id);
  pools.deletedFileIds = files.filter((f) => f.deletedAt).map((f) => f.id);
  pools.contractIds = contracts.map((c) => c.id);
  pools.projectIds = [...new Set([...files.map((f) => f.projectId), ...contracts.map((c) => c.projectId)])];
  pools.workspaceIds = [...new Set(files.flatMap((f) => (f.workspaceId ? [f.workspaceId] : [])))];
  pools.contractNames = [...new Set(contracts.map((c) => c.name))];
  pools.idempotencyKeys = [...new Set(files.flatMap((f) => (f.idempotencyKey ? [f.idempotencyKey] : [])))];
}

/** Anonymous, a workspace member, an admin, a low-clearance user, a contract admin, and a bad token. */
async function makeCallers({ projects, workspaces }: Seeded): Promise<Caller[]> {
  const bearer = async (claims: Record<string, unknown>) => ({
    authorization: `Bearer ${await signToken(claims)}`,
  });
  return [
    { name: "anonymous", headers: {} },
    {
      name: "member",
      headers: await bearer({
        sub: "member",
        groups: ["g1"],
        workspaces: [workspaces[0]],
        clearance: "confidential",
      }),
    },
    {
      name: "admin",
      headers: await bearer({ sub: "admin", roles: ["admin"], clearance: "restricted" }),
      privileged: true,
    },
    { name: "low-clearance", headers: await bearer({ sub: "low", workspaces: [workspaces[0]], clearance: "public" }) },
    {
      name: "contract-admin",
      headers: await bearer({
        sub: "owner",
        roles: [`contract-admin:${projects[0]}`],
        workspaces: workspaces.slice(0, 2),
        clearance: "internal",
      }),
    },
    { name: "bad-token", headers: { authorization: "Bearer not.a.jwt" }, rare: true },
  ];
}

// --- reading responses

interface ResponseBody {
  data?: Record<string, unknown> | null;
  errors?: { message?: unknown; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/**
 * Refused: nothing ran (errors without a path), or every root field is a typed error or has an error
 * of its own. A root field nulled only because another one failed (non-null results null `data` as a
 * whole) may have been written: that makes the outcome "partly", and no comparison is made.
 */
function mutationOutcome(
  request: FuzzRequest,
  body: ResponseBody,
  generator: OperationGenerator,
): "refused" | "succeeded" | "partly" {
  const errors = body.errors ?? [];
  const failedRoots = new Set(errors.flatMap((e) => (Array.isArray(e.path) && e.path.length > 0 ? [e.path[0]] : [])));
  if (request.roots.length === 0 || (!body.data && failedRoots.size === 0)) return "refused";
  const data = body.data ?? {};
  const refused = request.roots.map(({ key }) => {
    const value = data[key] as Record<string, unknown> | null | undefined;
    if (value !== null && value !== undefined) return generator.isErrorType(value.__typename);
    return failedRoots.has(key) ? true : undefined;
  });
  if (refused.every((r) => r === true)) return "refused";
  return refused.every((r) => r === false) ? "succeeded" : "partly";
}

function refusalKey(body: ResponseBody, generator: OperationGenerator): string {
  const typed = Object.values(body.data ?? {}).flatMap((v) => {
    const o = v as Record<string, unknown> | null;
    return o && generator.isErrorType(o.__typename) ? [`${o.__typename}:${o.code ?? ""}`] : [];
  });
  const errors = (body.errors ?? []).map((e) => `${pathPattern(e.path)} ${e.extensions?.code ?? ""}`);
  return [...typed, ...errors].join("; ");
}

/** The `message` of every typed error (and of its issues) in the data. */
function typedErrorMessages(data: unknown, generator: OperationGenerator): string[] {
  const out: string[] = [];
  const walk = (v: unknown, inError: boolean) => {
    if (Array.isArray(v)) for (const x of v) walk(x, inError);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const isError = generator.isErrorType(o.__typename);
      if ((isError || inError) && typeof o.message === "string") out.push(o.message);
      for (const [k, x] of Object.entries(o)) if (k === "issues" || !isError) walk(x, isError && k === "issues");
    }
  };
  walk(data, false);
  return out;
}

/** Every cursor in the data, by the list field it came from (a root alias's digits dropped). */
function harvestCursors(data: unknown, pools: Pools): void {
  const keep = (list: string[], cursor: string) => {
    if (list.includes(cursor)) return;
    list.push(cursor);
    if (list.length > 300) list.splice(0, list.length - 300);
  };
  const walk = (v: unknown, field: string) => {
    if (Array.isArray(v)) for (const x of v) walk(x, field);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if ((k === "cursor" || k === "endCursor" || k === "startCursor") && typeof x === "string") {
          keep(pools.cursors, x);
          pools.cursorsByField[field] ??= [];
          keep(pools.cursorsByField[field], x);
        } else walk(x, k === "edges" || k === "pageInfo" || k === "node" ? field : k.replace(/\d+$/, ""));
      }
    }
  };
  walk(data, "");
}

/** The real errors behind a masked response, from the log lines written under its request id. */
function internalErrors(logs: Record<string, unknown>[], requestId: string | null): { key: string; detail: string } {
  const lines = logs.filter((l) => (l.level as number) >= 50 && (!requestId || l.requestId === requestId));
  if (lines.length === 0) return { key: "(not logged)", detail: "" };
  const keys: string[] = [];
  const details: string[] = [];
  for (const l of lines) {
    const err = (l.err ?? {}) as { type?: string; message?: string; code?: string; stack?: string };
    const message = String(err.message ?? l.msg ?? "");
    const last = message
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean)
      .pop();
    keys.push(`${err.type ?? "?"}${err.code ? `(${err.code})` : ""}: ${normalize(last ?? "")}`);
    const frame = (err.stack ?? "").split("\n").find((s) => /\/src\//.test(s) && !/generated|-adapter\.ts/.test(s));
    details.push(
      `${l.path ?? ""} ${err.type ?? ""} ${message.slice(0, 1500)}${frame ? `\n    first frame in src: ${frame.trim()}` : ""}`,
    );
  }
  return { key: [...new Set(keys)].join(" + "), detail: details.join("\n") };
}

/** Where an error is, by field names (a root alias resolved, list indexes as *); "(request)" without a path. */
function pathPattern(path: unknown, roots: FuzzRequest["roots"] = []): string {
  if (!Array.isArray(path) || path.length === 0) return "(request)";
  return path
    .map((p, i) => (typeof p === "number" ? "*" : i === 0 ? (roots.find((r) => r.key === p)?.field ?? p) : p))
    .join(".");
}

/** The message without the quoted values it repeats from the request (they are the client's own). */
function withoutEcho(message: string, request: FuzzRequest): string {
  return message.replace(/"((?:[^"\\]|\\.)*)"/g, (quoted, inner: string) =>
    inner !== "" && request.body.includes(inner) ? '"…"' : quoted,
  );
}

/** A message without the parts that vary between occurrences (ids, numbers, quoted values). */
function normalize(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d+/g, "N")
    .slice(0, 240);
}

/** Which rows differ between two snapshots. */
function diff(before: string, after: string): string {
  type Snap = { files: { id: string }[]; contracts: { id: string }[] };
  const a = JSON.parse(before) as Snap;
  const b = JSON.parse(after) as Snap;
  const out: string[] = [];
  for (const table of ["files", "contracts"] as const) {
    const old = new Map(a[table].map((r) => [r.id, JSON.stringify(r)]));
    const now = new Map(b[table].map((r) => [r.id, JSON.stringify(r)]));
    for (const [id, row] of now) {
      if (!old.has(id)) out.push(`${table}: inserted ${row.slice(0, 600)}`);
      else if (old.get(id) !== row)
        out.push(
          `${table}: changed ${id}\n      before ${old.get(id)?.slice(0, 600)}\n      after  ${row.slice(0, 600)}`,
        );
    }
    for (const id of old.keys()) if (!now.has(id)) out.push(`${table}: removed ${id}`);
  }
  return out.join("\n    ");
}

function describeFailure(f: Failure, i: number): string {
  const r = f.request;
  const vars = r.variables === undefined ? "" : `\n  variables: ${truncate(JSON.stringify(r.variables), 2000)}`;
  const what =
    r.query !== undefined ? `  query: ${truncate(r.query, 3000)}${vars}` : `  body: ${truncate(r.body, 2000)}`;
  return [
    `${i}. [${f.category}] ${f.key}`,
    `  seen ${f.count}×; shortest at request #${r.n} (FUZZ_SEED=${SEED}), caller ${f.caller}, ${r.valid ? "valid" : `invalid: ${r.flaw}`}, content-type ${JSON.stringify(r.contentType)}`,
    what,
    `  status ${f.status}; response: ${truncate(f.response, 1500)}`,
    f.detail ? `  detail: ${truncate(f.detail, 3000)}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}
