// The limits on one request (README.md, "Limits"), over HTTP: for each, an operation at the limit
// runs and one just over it is refused, with a clear error and no SQL statement sent. Small limits
// are set through the environment so that the documents stay small. Also: the statement timeout,
// and the configuration of every limit.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { type GraphQLResponse, type TestApp, testApp } from "../helpers/app.ts";
import { backend } from "../helpers/db.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { snapshot } from "../helpers/snapshot.ts";

/** Sends the request and checks that the database received no statement meanwhile. */
async function refusedBeforeSql(t: TestApp, query: string, variables?: Record<string, unknown>) {
  let response: GraphQLResponse | undefined;
  const sent = await t.statements(async () => {
    response = await t.gql(query, variables);
  });
  expect(sent).toEqual([]);
  if (!response) throw new Error("no response");
  return response;
}

async function runs(t: TestApp, query: string, variables?: Record<string, unknown>) {
  const r = await t.gql(query, variables);
  expect(r.errors).toBeUndefined();
  expect(r.data).toBeTruthy();
  return r;
}

/** A refusal before execution: no `data`, 400 (the tests ask for application/graphql-response+json). */
function expectRefused(r: GraphQLResponse, code: string, max: number, actual: number, message: RegExp) {
  expect(r.status).toBe(400);
  expect(r.data).toBeUndefined();
  expect(r.errors).toHaveLength(1);
  expect(r.errors?.[0]?.message).toMatch(message);
  expect(r.errors?.[0]?.extensions).toMatchObject({ code, max, actual });
}

describe("depth, aliases and directives (validation)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ MAX_QUERY_DEPTH: "4", MAX_ALIASES: "2", MAX_DIRECTIVES: "2" });
  });
  afterAll(() => t?.close());

  it("MAX_QUERY_DEPTH: 4 levels run, 5 are refused before any SQL", async () => {
    await runs(t, "{ files { edges { node { id } } } }");
    const r = await refusedBeforeSql(t, "{ files { edges { node { parent { id } } } } }");
    expectRefused(r, "QUERY_TOO_DEEP", 4, 5, /^Query depth limit exceeded: .* 5 levels deep; at most 4 are allowed\.$/);
  });

  it("fragments do not count as levels; the fields inside them do", async () => {
    await runs(
      t,
      "{ files { ...page } } fragment page on FileConnection { edges { node { ... on ProjectFile { id } } } }",
    );
    const r = await refusedBeforeSql(
      t,
      "{ files { ...page } } fragment page on FileConnection { edges { node { parent { id } } } }",
    );
    expectRefused(r, "QUERY_TOO_DEEP", 4, 5, /5 levels deep/);
  });

  it("GraphiQL's introspection query (about 13 levels of __schema) is not measured", async () => {
    const r = await runs(t, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect((r.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(20);
  });

  it("introspection that cycles through types is refused all the same (graphql's MaxIntrospectionDepthRule)", async () => {
    const r = await refusedBeforeSql(
      t,
      "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
    );
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.message).toBe("Maximum introspection depth exceeded");
  });

  it("MAX_ALIASES: 2 aliases run, 3 are refused before any SQL; aliases of __typename are free", async () => {
    await runs(t, "{ a: files { totalCount } b: files { totalCount } x: __typename y: __typename z: __typename }");
    const r = await refusedBeforeSql(t, "{ a: files { totalCount } b: files { totalCount } c: files { totalCount } }");
    expectRefused(
      r,
      "TOO_MANY_ALIASES",
      2,
      3,
      /^Alias limit exceeded: the operation uses 3 aliases; at most 2 are allowed\.$/,
    );
  });

  it("MAX_DIRECTIVES: 2 directives run, 3 are refused before any SQL", async () => {
    await runs(t, "{ files @include(if: true) { totalCount @skip(if: false) } }");
    const r = await refusedBeforeSql(
      t,
      "{ files @include(if: true) { totalCount @skip(if: false) pageInfo @include(if: true) { hasNextPage } } }",
    );
    expectRefused(
      r,
      "TOO_MANY_DIRECTIVES",
      2,
      3,
      /^Directive limit exceeded: the operation uses 3 directives; at most 2 are allowed\.$/,
    );
  });

  it("the limits hold through variables-free caching: the same refused document is refused again", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await refusedBeforeSql(t, "{ files { edges { node { parent { id } } } } }");
      expect(r.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
    }
  });
});

describe("MAX_QUERY_COMPLEXITY", () => {
  let t: TestApp;
  beforeAll(async () => {
    // files(first: n) { edges { node { id } } } costs 1 + n × 3
    t = await testApp({ MAX_QUERY_COMPLEXITY: "31", PAGE_SIZE_DEFAULT: "2" });
  });
  afterAll(() => t?.close());

  const PAGE = "query($n: Int) { files(first: $n) { edges { node { id } } } }";

  it("a list's selection costs once per item asked for: first: 10 costs 31 and runs, first: 11 costs 34 and is refused", async () => {
    await runs(t, PAGE, { n: 10 });
    // the same document: the cost depends on the variables, so no cached validation lets it through
    const r = await refusedBeforeSql(t, PAGE, { n: 11 });
    expectRefused(
      r,
      "QUERY_TOO_COMPLEX",
      31,
      34,
      /^Query cost limit exceeded: the operation costs 34; at most 31 is allowed\. .*ask for fewer items or fewer nested lists\.$/,
    );
    await runs(t, PAGE, { n: 10 });
  });

  it("`last` counts like `first`, and no argument counts as the default page size", async () => {
    const r = await refusedBeforeSql(t, "query($n: Int) { files(last: $n) { edges { node { id } } } }", { n: 11 });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", actual: 34 });
    await runs(t, "{ files { edges { node { id } } } }"); // 1 + 2 × 3
  });

  it("nested lists multiply: 2 × 2 runs (21), 3 × 3 is refused (40)", async () => {
    const nested = `query($n: Int) { files(first: $n) { edges { node { id
      children(first: $n) { edges { node { id } } } } } } }`;
    await runs(t, nested, { n: 2 });
    const r = await refusedBeforeSql(t, nested, { n: 3 });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", max: 31, actual: 40 });
  });

  it("a mutation is measured too, before it writes anything", async () => {
    const before = await snapshot(t.prisma);
    const r = await refusedBeforeSql(
      t,
      `mutation { registerFile(input: { projectId: "00000000-0000-4000-8000-000000000001", uiName: "x", filePath: "/x" }) {
        ... on RegisterFileSuccess { file { id children(first: 20) { edges { node { id } } } } } } }`,
    );
    expect(r.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
    expect(await snapshot(t.prisma)).toBe(before);
  });
});

describe("the default limits", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  it("are the documented ones", () => {
    expect(t.config.limits).toEqual({
      depth: 12,
      complexity: 50_000,
      aliases: 20,
      tokens: 2_000,
      directives: 20,
      bodyBytes: 1_048_576,
      statementTimeoutMs: 15_000,
      jsonBytes: 65_536,
      jsonDepth: 16,
      introspection: true,
      persistedOperations: null,
    });
  });

  it("refuse a cheap-looking query that nests three connections of first: 500, before any SQL", async () => {
    const r = await refusedBeforeSql(
      t,
      `{ files(first: 500) { edges { node { id children(first: 500) { edges { node { id
          children(first: 500) { edges { node { id } } } } } } } } } }`,
    );
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", max: 50_000 });
    expect(r.errors?.[0]?.extensions?.actual).toBeGreaterThan(100_000_000);
  });

  it("run a full page of 500 files with their contracts, and two nested default pages", async () => {
    await runs(
      t,
      `{ files(first: 500) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
        id projectId workspaceId uiName filePath fileType mimeType fileSizeBytes checksumSha256 storageBackend
        metadata createdBy createdAt updatedAt processingStatus processingAttempts processingStartedAt
        processingCompletedAt lineageDepth parentId rootId accessLevel permissions dataClassification
        representationType idempotencyKey processingErrors { code message }
        boundaryContract { id name status maxDataClassification isDefault } } } } }`,
    );
    await runs(t, "{ files { edges { node { id children { totalCount edges { node { id uiName } } } } } } }");
  });
});

describe("MAX_TOKENS and MAX_BODY_BYTES", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ MAX_TOKENS: "12", MAX_BODY_BYTES: "1024" });
  });
  afterAll(() => t?.close());

  it("MAX_TOKENS: 12 tokens run, 13 are refused before any SQL; comments and whitespace do not count", async () => {
    await runs(t, "{ files(first: 1) { totalCount __typename } }");
    await runs(t, "# the number of files\n{\n  files(first: 1) {\n    totalCount, __typename\n  }\n}\n");
    const r = await refusedBeforeSql(t, "{ files(first: 1) { totalCount __typename } __typename }");
    expectRefused(
      r,
      "TOO_MANY_TOKENS",
      12,
      13,
      /^Token limit exceeded: the document has 13 tokens; at most 12 are allowed\.$/,
    );
  });

  async function sentWithoutSql(send: () => Response | Promise<Response>): Promise<Response> {
    let res: Response | undefined;
    const sent = await t.statements(async () => {
      res = await send();
    });
    expect(sent).toEqual([]);
    if (!res) throw new Error("no response");
    return res;
  }

  const QUERY = "{ files(first: 1) { totalCount } }";
  /** A JSON request body of exactly `size` bytes (padded with an unused variable). */
  function body(size: number): string {
    const bare = JSON.stringify({ query: QUERY, variables: { pad: "" } });
    const text = JSON.stringify({ query: QUERY, variables: { pad: "x".repeat(size - bare.length) } });
    expect(text.length).toBe(size);
    return text;
  }
  const post = (payload: BodyInit, init: RequestInit = {}) =>
    t.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: payload,
      ...init,
    });
  /** The same bytes as a stream, in two chunks and without a Content-Length (as a chunked upload). */
  const streamed = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 500));
        controller.enqueue(bytes.slice(500));
        controller.close();
      },
    });
    return post(stream, { duplex: "half" } as RequestInit);
  };

  it("MAX_BODY_BYTES: a body of 1024 bytes runs; 1025 is refused with 413 before any SQL", async () => {
    const ok = await post(body(1024));
    expect(ok.status).toBe(200);
    expect((await ok.json()).data.files.totalCount).toBe(0);

    const res = await sentWithoutSql(() => post(body(1025)));
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toMatch(/json/);
    const refused = await res.json();
    expect(refused.data).toBeUndefined();
    expect(refused.errors).toEqual([
      {
        message: "The request body is 1025 bytes; at most 1024 are accepted.",
        extensions: { code: "REQUEST_TOO_LARGE", max: 1024 },
      },
    ]);
    expect(refused.extensions.requestId).toBeTruthy();
  });

  it("MAX_BODY_BYTES: a body without Content-Length is counted as it is read", async () => {
    const ok = await streamed(body(1024));
    expect(ok.status).toBe(200);
    expect((await ok.json()).data.files.totalCount).toBe(0);

    const res = await sentWithoutSql(() => streamed(body(1025)));
    expect(res.status).toBe(413);
    expect((await res.json()).errors).toEqual([
      {
        message: "The request body is larger than the limit of 1024 bytes.",
        extensions: { code: "REQUEST_TOO_LARGE", max: 1024 },
      },
    ]);
  });
});

describe("PAGE_SIZE_MAX on every `first` and `last`, before any SQL", () => {
  let t: TestApp;
  let fileId: string;
  let contractId: string;
  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_DEFAULT: "2", PAGE_SIZE_MAX: "3" });
    const contract = await buildContract(t.prisma);
    const root = await buildFile(t.prisma, { projectId: contract.projectId, boundaryContractId: contract.id });
    await buildFile(t.prisma, { parent: root, boundaryContractId: contract.id });
    fileId = root.id;
    contractId = contract.id;
  });
  afterAll(() => t?.close());

  // Every list of the schema, top-level and nested (a nested list is refused before its parent's SQL).
  const lists: [string, string][] = [
    ["first", "files(first: $n) { totalCount }"],
    ["last", "files(last: $n) { totalCount }"],
    ["first", "contracts(first: $n) { totalCount }"],
    ["last", "contracts(last: $n) { totalCount }"],
    ["first", "lineage(fileId: $file, first: $n) { totalCount }"],
    ["first", "file(id: $file) { children(first: $n) { totalCount } }"],
    ["last", "file(id: $file) { children(last: $n) { totalCount } }"],
    ["first", "file(id: $file) { materializations(first: $n) { totalCount } }"],
    ["first", "file(id: $file) { descendants(first: $n) { totalCount } }"],
    ["first", "files { edges { node { descendants(first: $n) { totalCount } } } }"],
    ["first", "contract(id: $contract) { files(first: $n) { totalCount } }"],
    ["first", "contract(id: $contract) { materializations(first: $n) { totalCount } }"],
  ];

  it.each(lists)("%s in %s: 3 runs, 4 and -1 are BAD_USER_INPUT", async (argument, selection) => {
    const uses = (name: string) => selection.includes(`$${name}`);
    const query = `query($n: Int${uses("file") ? ", $file: UUID!" : ""}${uses("contract") ? ", $contract: UUID!" : ""}) { ${selection} }`;
    const vars = (n: number) => ({
      n,
      ...(uses("file") ? { file: fileId } : {}),
      ...(uses("contract") ? { contract: contractId } : {}),
    });
    await runs(t, query, vars(3));
    for (const n of [4, -1]) {
      const r = await refusedBeforeSql(t, query, vars(n));
      expect(r.data).toBeNull(); // as when the resolver refuses it
      expect(r.errors).toHaveLength(1);
      expect(r.errors?.[0]).toMatchObject({
        message: `\`${argument}\` must be between 0 and 3; got ${n}. Page through longer lists with \`after\`.`,
        extensions: { code: "BAD_USER_INPUT", argument, max: 3 },
      });
    }
  });

  it("a literal argument is checked the same way", async () => {
    const r = await refusedBeforeSql(t, `{ file(id: "${fileId}") { children(first: 4) { totalCount } } }`);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument: "first", max: 3 });
  });
});

describe("STATEMENT_TIMEOUT_MS", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ STATEMENT_TIMEOUT_MS: "300" });
  });
  afterAll(() => t?.close());

  it("is set on the app's database connections", async () => {
    const [row] = await t.prisma.$queryRaw<{ statement_timeout: string }[]>`SHOW statement_timeout`;
    expect(row?.statement_timeout).toBe("300ms");
  });

  // PGlite takes the setting but cannot cancel anything: its WASM build has no timer signals.
  it.skipIf(backend() !== "postgres")("PostgreSQL cancels a statement running longer (SQLSTATE 57014)", async () => {
    await expect(t.prisma.$queryRaw`SELECT 1 AS one FROM pg_sleep(2)`).rejects.toThrow(/57014|statement timeout/);
  });

  it.skipIf(backend() !== "postgres")(
    "a request whose statement runs longer gets STATEMENT_TIMEOUT (logged with its request id), and a cancelled write changes nothing",
    async () => {
      const before = await snapshot(t.prisma);
      // Another session holds a lock the request's statements wait for: they run past the limit.
      const [read, write] = await t.prisma.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe("LOCK TABLE project_files IN ACCESS EXCLUSIVE MODE");
          return [
            await t.gql("{ files { totalCount } }"),
            await t.gql(
              `mutation { registerFile(input: { projectId: "00000000-0000-4000-8000-000000000002", uiName: "x", filePath: "/x" }) { __typename } }`,
            ),
          ];
        },
        { timeout: 20_000 },
      );
      for (const r of [read, write]) {
        expect(r.data).toBeNull();
        expect(r.errors).toHaveLength(1);
        expect(r.errors?.[0]).toMatchObject({
          message:
            "The database cancelled a statement of this request: it ran longer than the limit of 300 ms. Ask for less at once, or retry later.",
          extensions: { code: "STATEMENT_TIMEOUT", timeoutMs: 300 },
        });
        const logged = t.logs.find((l) => l.requestId === r.extensions?.requestId && l.level === 50);
        expect(JSON.stringify(logged?.err)).toContain("statement timeout");
      }
      expect(await snapshot(t.prisma)).toBe(before);
    },
  );
});

describe("configuration of the limits", () => {
  const bad: [string, string][] = [
    ["MAX_QUERY_DEPTH", "0"],
    ["MAX_QUERY_DEPTH", "deep"],
    ["MAX_QUERY_COMPLEXITY", "-1"],
    ["MAX_QUERY_COMPLEXITY", "1.5"],
    ["MAX_ALIASES", "x"],
    ["MAX_TOKENS", "0"],
    ["MAX_DIRECTIVES", "-2"],
    ["MAX_BODY_BYTES", "1023"],
    ["MAX_BODY_BYTES", "1MB"],
    ["STATEMENT_TIMEOUT_MS", "-1"],
    ["STATEMENT_TIMEOUT_MS", "15s"],
    ["MAX_JSON_BYTES", "1"],
    ["MAX_JSON_DEPTH", "0"],
    ["INTROSPECTION", "maybe"],
  ];

  it.each(bad)("%s=%s is a ConfigError naming the variable", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`^${key} must be`));
  });

  it("each variable sets its limit; STATEMENT_TIMEOUT_MS=0 means none", () => {
    const { limits } = loadConfig({
      MAX_QUERY_DEPTH: "7",
      MAX_QUERY_COMPLEXITY: "1000",
      MAX_ALIASES: "0",
      MAX_TOKENS: "500",
      MAX_DIRECTIVES: "0",
      MAX_BODY_BYTES: "2048",
      STATEMENT_TIMEOUT_MS: "0",
      MAX_JSON_BYTES: "100",
      MAX_JSON_DEPTH: "3",
      INTROSPECTION: "false",
    });
    expect(limits).toEqual({
      depth: 7,
      complexity: 1000,
      aliases: 0,
      tokens: 500,
      directives: 0,
      bodyBytes: 2048,
      statementTimeoutMs: 0,
      jsonBytes: 100,
      jsonDepth: 3,
      introspection: false,
      persistedOperations: null,
    });
  });

  describe("PERSISTED_OPERATIONS_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), "fms-persisted-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const cases: [string, string, RegExp][] = [
      ["missing", join(dir, "missing.json"), /cannot be read/],
      ["not JSON", file("a.json", "{"), /is not JSON/],
      ["not an object", file("b.json", '["{ files { totalCount } }"]'), /must hold a JSON object/],
      ["empty", file("c.json", "{}"), /holds no operations/],
      ["a non-string document", file("d.json", '{"abc": 1}'), /maps abc to a number/],
      [
        "a document that does not parse",
        file("e.json", '{"abc": "{ files {"}'),
        /maps abc to a document that does not parse/,
      ],
      ["a bad id", file("f.json", '{"a b": "{ __typename }"}'), /has an id that is not/],
    ];

    it.each(cases)("%s is a ConfigError naming the variable and the file", (_what, path, message) => {
      expect(() => loadConfig({ PERSISTED_OPERATIONS_FILE: path })).toThrow(ConfigError);
      expect(() => loadConfig({ PERSISTED_OPERATIONS_FILE: path })).toThrow(message);
      expect(() => loadConfig({ PERSISTED_OPERATIONS_FILE: path })).toThrow(`PERSISTED_OPERATIONS_FILE (${path})`);
    });

    it("a good file is read at start", () => {
      const path = file("ok.json", JSON.stringify({ abc123: "{ files { totalCount } }" }));
      expect(loadConfig({ PERSISTED_OPERATIONS_FILE: path }).limits.persistedOperations).toEqual({
        file: path,
        documents: new Map([["abc123", "{ files { totalCount } }"]]),
      });
    });
  });
});
