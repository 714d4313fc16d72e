// The API's protections over HTTP: CSRF prevention, persisted-operations-only mode, introspection
// on and off, and the input checks at the boundary (JSON sizes and depth, file paths, idempotency
// keys, UUIDs and enums): refusals are typed and change nothing.
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataBoundaryContract, ProjectFile } from "../../src/generated/prisma/client.ts";
import { type GraphQLResponse, type MutationOutcome, type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { snapshot } from "../helpers/snapshot.ts";

/** Runs fn and checks that the database received no statement meanwhile. */
async function withoutSql<T>(t: TestApp, fn: () => T | Promise<T>): Promise<T> {
  let result: T | undefined;
  const sent = await t.statements(async () => {
    result = await fn();
  });
  expect(sent).toEqual([]);
  return result as T;
}

const FILES = "{ files(first: 1) { totalCount } }";

describe("CSRF prevention", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  const send = (init: RequestInit & { path?: string }) => t.app.fetch(`http://test${init.path ?? "/graphql"}`, init);
  const getPath = `/graphql?query=${encodeURIComponent(FILES)}`;

  async function expectRefused(init: RequestInit & { path?: string }) {
    const res = await withoutSql(t, () => send(init));
    expect(res.status).toBe(403);
    const body = await res.json();
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      {
        message:
          "Refused as a possible cross-site request: send the operation as a POST with content-type application/json, or add the header x-graphql-yoga-csrf.",
        extensions: { code: "CSRF_PREVENTED" },
      },
    ]);
  }

  async function expectRuns(init: RequestInit & { path?: string }) {
    const res = await send(init);
    expect(res.status).toBe(200);
    expect((await res.json()).data).toEqual({ files: { totalCount: 0 } });
  }

  it("a JSON POST needs nothing more (a browser preflights it)", async () => {
    await expectRuns({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: FILES }),
    });
  });

  it("a GET without the header is refused before any SQL; with it, it runs", async () => {
    await expectRefused({ method: "GET", path: getPath });
    await expectRefused({ method: "GET", path: getPath, headers: { accept: "application/json" } });
    await expectRuns({ method: "GET", path: getPath, headers: { "x-graphql-yoga-csrf": "1" } });
  });

  it("a form-encoded POST (what an HTML form sends) without the header is refused; with it, it runs", async () => {
    const form = { method: "POST", body: new URLSearchParams({ query: FILES }).toString() };
    await expectRefused({ ...form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    await expectRuns({
      ...form,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-graphql-yoga-csrf": "1" },
    });
  });

  it("the other simple content types are refused too: text/plain, multipart/form-data, none", async () => {
    const body = JSON.stringify({ query: FILES });
    await expectRefused({ method: "POST", headers: { "content-type": "text/plain" }, body });
    await expectRefused({ method: "POST", headers: { "content-type": "multipart/form-data; boundary=x" }, body });
    await expectRefused({ method: "POST", body: new Blob([body]) });
  });

  it("GraphiQL is still served to a browser", async () => {
    const res = await send({ method: "GET", headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("graphiql");
  });
});

describe("persisted operations only (PERSISTED_OPERATIONS_FILE)", () => {
  let t: TestApp;
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
  const COUNT = "query Count($n: Int) { files(first: $n) { totalCount } }";
  const REGISTER = `mutation Register($projectId: UUID!) {
    registerFile(input: { projectId: $projectId, uiName: "p", filePath: "/p" }) { __typename } }`;

  const dir = mkdtempSync(join(tmpdir(), "fms-persisted-"));

  beforeAll(async () => {
    const file = join(dir, "operations.json");
    writeFileSync(file, JSON.stringify({ [sha256(COUNT)]: COUNT, [sha256(REGISTER)]: REGISTER }));
    t = await testApp({ PERSISTED_OPERATIONS_FILE: file });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (payload: Record<string, unknown>): Promise<GraphQLResponse> => {
    const res = await t.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    return { status: res.status, headers: res.headers, ...(await res.json()) };
  };
  const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

  it("says so at start", () => {
    expect(t.logs).toContainEqual(
      expect.objectContaining({ msg: "persisted operations only: any other operation is refused", operations: 2 }),
    );
  });

  it("runs a listed operation sent by its hash, with variables", async () => {
    const r = await post({ extensions: persisted(sha256(COUNT)), variables: { n: 1 } });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ files: { totalCount: 0 } });
    const w = await post({ extensions: persisted(sha256(REGISTER)), variables: { projectId: randomUUID() } });
    expect(w.data).toEqual({ registerFile: { __typename: "RegisterFileSuccess" } });
  });

  it("refuses any document sent as text, even a listed one, before any SQL", async () => {
    for (const query of [COUNT, FILES]) {
      const r = await withoutSql(t, () => post({ query, variables: { n: 1 } }));
      expect(r.status).toBe(400);
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0]).toMatchObject({
        message: expect.stringContaining("This server runs persisted operations only"),
        extensions: { code: "PERSISTED_QUERY_ONLY" },
      });
    }
  });

  it("refuses an unknown hash, and a request with neither, before any SQL", async () => {
    const unknown = await withoutSql(t, () => post({ extensions: persisted(sha256(FILES)) }));
    expect(unknown.status).toBe(400);
    expect(unknown.errors?.[0]).toMatchObject({
      message: "No persisted operation has this id; only the operations deployed with the server run.",
      extensions: { code: "PERSISTED_QUERY_NOT_FOUND" },
    });
    const none = await withoutSql(t, () => post({ variables: {} }));
    expect(none.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_ID_REQUIRED");
  });

  it("applies the limits to persisted operations too", async () => {
    const r = await withoutSql(t, () => post({ extensions: persisted(sha256(COUNT)), variables: { n: 501 } }));
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument: "first" });
  });

  it("runs a listed operation by GET, with the CSRF header", async () => {
    const params = new URLSearchParams({
      extensions: JSON.stringify(persisted(sha256(COUNT))),
      variables: JSON.stringify({ n: 1 }),
    });
    const res = await t.app.fetch(`http://test/graphql?${params}`, { headers: { "x-graphql-yoga-csrf": "1" } });
    const body = await res.json();
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ files: { totalCount: 1 } }); // the file registered above
  });
});

describe("introspection", () => {
  const TYPE = '{ __type(name: "ProjectFile") { name } }';

  describe("on (the default)", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await testApp();
    });
    afterAll(() => t?.close());

    it("answers GraphiQL's introspection query, from which the schema can be rebuilt", async () => {
      const data = await t.ok<IntrospectionQuery>(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true }));
      expect(buildClientSchema(data).getType("ProjectFile")).toBeDefined();
      expect(await t.ok(TYPE)).toEqual({ __type: { name: "ProjectFile" } });
    });

    it("suggests field names in validation errors", async () => {
      const r = await t.gql("{ files { totalCont } }");
      expect(r.errors?.[0]?.message).toMatch(/Did you mean "totalCount"\?/);
      const v = await t.gql("query($f: FileFilter) { files(filter: $f) { totalCount } }", { f: { projectI: "x" } });
      expect(v.errors?.[0]?.message).toMatch(/Did you mean "projectId"\?/);
    });
  });

  describe("off (INTROSPECTION=false)", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await testApp({ INTROSPECTION: "false" });
    });
    afterAll(() => t?.close());

    it("refuses __schema and __type before anything runs", async () => {
      const r = await withoutSql(t, () => t.gql(getIntrospectionQuery()));
      expect(r.status).toBe(400);
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0]).toMatchObject({
        message: 'Introspection is turned off on this server; the operation asks for "__schema".',
        extensions: { code: "INTROSPECTION_DISABLED" },
      });
      const type = await t.gql(TYPE);
      expect(type.errors?.[0]?.message).toBe(
        'Introspection is turned off on this server; the operation asks for "__type".',
      );
    });

    it("still answers __typename and every other field", async () => {
      expect(await t.ok("{ __typename files(first: 1) { totalCount } }")).toEqual({
        __typename: "Query",
        files: { totalCount: 0 },
      });
    });

    it("does not spell out the schema in validation errors, nor in those of variables", async () => {
      const r = await t.gql("{ files { totalCont } }");
      expect(r.errors?.[0]?.message).toBe('Cannot query field "totalCont" on type "FileConnection".');
      const v = await t.gql("query($f: FileFilter) { files(filter: $f) { totalCount } }", { f: { projectI: "x" } });
      expect(v.errors?.[0]?.message).toMatch(
        /^Variable "\$f" got invalid value .*"projectI" is not defined by type "FileFilter"\.$/,
      );
    });
  });
});

describe("input checks at the boundary", () => {
  let t: TestApp;
  let contract: DataBoundaryContract;
  let source: ProjectFile;

  beforeAll(async () => {
    t = await testApp({ MAX_JSON_BYTES: "64", MAX_JSON_DEPTH: "3" });
    contract = await buildContract(t.prisma, { allowedRepresentationTypes: ["parquet"] });
    source = await buildFile(t.prisma, { projectId: contract.projectId, boundaryContractId: contract.id });
  });
  afterAll(() => t?.close());

  const OUTCOME = `__typename ... on Error { code message } ... on ValidationError { issues { path message } }`;
  const REGISTER = `mutation($input: RegisterFileInput!) { registerFile(input: $input) { ${OUTCOME} } }`;
  const MATERIALIZE = `mutation($input: RegisterMaterializationInput!) { registerMaterialization(input: $input) { ${OUTCOME} } }`;
  const CREATE = `mutation($input: CreateBoundaryContractInput!) { createBoundaryContract(input: $input) { ${OUTCOME} } }`;

  const fileInput = (extra: Record<string, unknown> = {}) => ({
    projectId: contract.projectId,
    uiName: "x",
    filePath: `/x/${randomUUID()}`,
    ...extra,
  });
  const materializationInput = (extra: Record<string, unknown> = {}) => ({
    sourceFileId: source.id,
    representationType: "parquet",
    filePath: `/m/${randomUUID()}`,
    ...extra,
  });

  async function outcome(query: string, input: Record<string, unknown>): Promise<MutationOutcome> {
    const data = await t.ok<Record<string, MutationOutcome>>(query, { input });
    return Object.values(data)[0] as MutationOutcome;
  }

  /** The mutation is refused with exactly these issues, and nothing is written. */
  async function expectIssues(
    query: string,
    input: Record<string, unknown>,
    issues: { path: string; message: string | RegExp }[],
  ) {
    const before = await snapshot(t.prisma);
    const r = await outcome(query, input);
    expect(r.__typename).toBe("ValidationError");
    expect(r.code).toBe("INVALID_INPUT");
    expect(r.issues?.map((i) => i.path.join("."))).toEqual(issues.map((i) => i.path));
    issues.forEach((issue, i) => {
      expect(r.issues?.[i]?.message).toMatch(issue.message);
    });
    expect(await snapshot(t.prisma)).toBe(before);
  }

  async function expectAccepted(query: string, input: Record<string, unknown>) {
    const r = await outcome(query, input);
    expect(r).toMatchObject({ __typename: expect.stringMatching(/Success$/) });
  }

  /** {"a":"xxx…"} of exactly `bytes` bytes as JSON. */
  const ofBytes = (bytes: number) => ({ a: "x".repeat(bytes - 8) });

  describe("JSON values (MAX_JSON_BYTES=64, MAX_JSON_DEPTH=3)", () => {
    it("metadata of 64 bytes is accepted, 65 is refused", async () => {
      expect(JSON.stringify(ofBytes(64))).toHaveLength(64);
      await expectAccepted(REGISTER, fileInput({ metadata: ofBytes(64) }));
      await expectIssues(REGISTER, fileInput({ metadata: ofBytes(65) }), [
        { path: "input.metadata", message: "is 65 bytes as JSON; at most 64 are allowed" },
      ]);
    });

    it("size counts UTF-8 bytes, not characters", async () => {
      await expectIssues(REGISTER, fileInput({ metadata: { a: "é".repeat(40) } }), [
        { path: "input.metadata", message: "is 88 bytes as JSON; at most 64 are allowed" },
      ]);
    });

    it("metadata nested 3 levels is accepted, 4 is refused (arrays count as levels)", async () => {
      await expectAccepted(REGISTER, fileInput({ metadata: { a: { b: [1] } } }));
      await expectIssues(REGISTER, fileInput({ metadata: { a: { b: [{}] } } }), [
        { path: "input.metadata", message: "is nested 4 levels deep; at most 3 are allowed" },
      ]);
    });

    it("a value written as a GraphQL literal is checked the same way", async () => {
      const before = await snapshot(t.prisma);
      const data = await t.ok<{ registerFile: MutationOutcome }>(
        `mutation { registerFile(input: { projectId: "${contract.projectId}", uiName: "x", filePath: "/lit",
          metadata: { a: { b: { c: { d: 1 } } } } }) { ${OUTCOME} } }`,
      );
      expect(data.registerFile.issues).toEqual([
        { path: ["input", "metadata"], message: "is nested 4 levels deep; at most 3 are allowed" },
      ]);
      expect(await snapshot(t.prisma)).toBe(before);
    });

    it("permissions, a materialization's scope and a contract's scope are bounded too, each named", async () => {
      await expectIssues(REGISTER, fileInput({ metadata: ofBytes(65), permissions: { read: [[[["user:u1"]]]] } }), [
        { path: "input.metadata", message: /65 bytes/ },
        { path: "input.permissions", message: "is nested 5 levels deep; at most 3 are allowed" },
      ]);
      await expectIssues(MATERIALIZE, materializationInput({ scope: ofBytes(100) }), [
        { path: "input.scope", message: "is 100 bytes as JSON; at most 64 are allowed" },
      ]);
      await expectIssues(MATERIALIZE, materializationInput({ metadata: [[[[]]]] }), [
        { path: "input.metadata", message: /nested 4 levels/ },
      ]);
      await expectIssues(CREATE, { projectId: contract.projectId, name: "big", scope: { a: { b: { c: {} } } } }, [
        { path: "input.scope", message: /nested 4 levels/ },
      ]);
      await expectAccepted(CREATE, { projectId: contract.projectId, name: "small", scope: { a: { b: 1 } } });
    });

    it("a NUL character, which PostgreSQL cannot store, is refused where it is", async () => {
      await expectIssues(REGISTER, fileInput({ metadata: { tags: ["ok", "a\u0000b"] } }), [
        { path: "input.metadata.tags.1", message: /must not contain the NUL character/ },
      ]);
      await expectIssues(REGISTER, fileInput({ metadata: { "k\u0000": 1 } }), [
        { path: "input.metadata.k\u0000", message: /NUL/ },
      ]);
      await expectIssues(REGISTER, fileInput({ uiName: "a\u0000b" }), [{ path: "input.uiName", message: /NUL/ }]);
      const processing = await buildFile(t.prisma, { processingStatus: "processing", processingAttempts: 1 });
      await expectIssues(
        `mutation($input: UpdateProcessingStatusInput!) { updateProcessingStatus(input: $input) { ${OUTCOME} } }`,
        { fileId: processing.id, status: "FAILED", error: { code: "X", message: "bad\u0000byte" } },
        [{ path: "input.error.message", message: /NUL/ }],
      );
    });
  });

  describe("file paths", () => {
    const refused: [string, string, string | RegExp][] = [
      ["a NUL", "/a\u0000b", /control characters/],
      ["a line break", "/a\nb", /control characters/],
      ["a tab", "/a\tb", /control characters/],
      ["DEL", "/a\u007fb", /control characters/],
      ["a C1 control", "/a\u0085b", /control characters/],
      // half of a surrogate pair is refused for every text, before execution: test/api/boundary-values.test.ts
      ["a leading .. segment", "../etc/passwd", "must not contain a `..` segment"],
      ["an inner .. segment", "/data/../../etc", "must not contain a `..` segment"],
      ["a .. segment between backslashes", "data\\..\\x", "must not contain a `..` segment"],
      ["only ..", "..", "must not contain a `..` segment"],
      ["4097 characters", `/${"x".repeat(4096)}`, "must be at most 4096 characters"],
      ["blank", "   ", "must not be blank"],
    ];

    it.each(refused)("%s is refused, once, writing nothing", async (_what, filePath, message) => {
      await expectIssues(REGISTER, fileInput({ filePath }), [{ path: "input.filePath", message }]);
      await expectIssues(MATERIALIZE, materializationInput({ filePath }), [{ path: "input.filePath", message }]);
    });

    const accepted: [string, string][] = [
      ["4096 characters", `/${"x".repeat(4095)}`],
      ["an object-store URL with spaces and accents", "s3://bucket/données brutes/été 2024.parquet"],
      ["dots that are not a .. segment", "/a/..b/c../..././d"],
      ["a character outside the BMP", "/emoji/😀.png"],
    ];

    it.each(accepted)("%s is accepted", async (_what, filePath) => {
      await expectAccepted(REGISTER, fileInput({ filePath }));
    });
  });

  describe("idempotency keys", () => {
    const message = "must be 1 to 200 printable ASCII characters without spaces";
    it.each([
      ["empty", ""],
      ["201 characters", "k".repeat(201)],
      ["a space", "has space"],
      ["non-ASCII", "clé"],
      ["a control character", "a\u0001b"],
    ])("%s is refused", async (_what, idempotencyKey) => {
      await expectIssues(MATERIALIZE, materializationInput({ idempotencyKey }), [
        { path: "input.idempotencyKey", message },
      ]);
    });

    it("200 printable ASCII characters are accepted", async () => {
      await expectAccepted(MATERIALIZE, materializationInput({ idempotencyKey: `${"k".repeat(190)}:/-_.~!@#$` }));
    });
  });

  describe("UUIDs and enums are checked by GraphQL, before any SQL", () => {
    it.each([
      ["a malformed UUID variable", { ...{ projectId: "not-a-uuid", uiName: "x", filePath: "/u" } }, /UUID must be/],
      [
        "an unknown enum value",
        { projectId: randomUUID(), uiName: "x", filePath: "/u", dataClassification: "TOP_SECRET" },
        /TOP_SECRET/,
      ],
    ])("%s", async (_what, input, message) => {
      const before = await snapshot(t.prisma);
      const r = await withoutSql(t, () => t.gql(REGISTER, { input }));
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0]?.message).toMatch(message);
      expect(await snapshot(t.prisma)).toBe(before);
    });
  });
});
