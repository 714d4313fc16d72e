// Values at the edges of what the database can take, refused at the boundary with a clear error and
// no SQL: tampered cursors of every list, 64-bit and date ranges, NUL in filters, LIKE wildcards in
// contract search, and request errors that must not carry a parser's own message.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataBoundaryContract, ProjectFile } from "../../src/generated/prisma/client.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";

let t: TestApp;
let contract: DataBoundaryContract;
let parent: ProjectFile;

beforeAll(async () => {
  t = await testApp();
  contract = await buildContract(t.prisma, { name: "50%_off\\sale" });
  await buildContract(t.prisma, { projectId: contract.projectId, name: "500 off" });
  parent = await buildFile(t.prisma, { projectId: contract.projectId, boundaryContractId: contract.id });
  await buildFile(t.prisma, { parent, boundaryContractId: contract.id });
});
afterAll(() => t?.close());

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("cursors of the files and contracts lists", () => {
  const LISTS = {
    files: `query($after: String) { files(after: $after) { edges { node { id } } } }`,
    children: `query($id: UUID!, $after: String) { file(id: $id) { children(after: $after) { totalCount } } }`,
    "contract files": `query($c: UUID!, $after: String) { contract(id: $c) { files(after: $after) { totalCount } } }`,
    contracts: `query($after: String) { contracts(after: $after) { edges { node { id } } } }`,
  };
  const TAMPERED = {
    "not base64 of a cursor": "hello",
    "a cursor of text that is not a UUID": b64("GPC:S:not-a-uuid"),
    "a cursor holding a NUL": b64(`GPC:S:${randomUUID().slice(0, 35)}\u0000`),
    "a number cursor": b64("GPC:N:42"),
    "a date cursor": b64("GPC:D:1700000000000"),
    "a cursor with a suffix": `${b64(`GPC:S:${randomUUID()}`)}==`,
  };

  for (const [list, query] of Object.entries(LISTS)) {
    it.each(Object.entries(TAMPERED))(`${list}: %s is refused before any SQL`, async (_label, after) => {
      let r: Awaited<ReturnType<TestApp["gql"]>> | undefined;
      const sent = await t.statements(async () => {
        r = await t.gql(query, { id: parent.id, c: contract.id, after });
      });
      expect(sent).toEqual([]);
      expect(r?.errors?.[0]?.message).toBe(
        "`after` is not a cursor of this list; pass back an `endCursor` or an edge's `cursor` unchanged.",
      );
      expect(r?.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument: "after" });
    });
  }

  it("a cursor the list wrote still works", async () => {
    const first = await t.ok<{ files: { pageInfo: { endCursor: string } } }>(
      "{ files(first: 1) { pageInfo { endCursor } } }",
    );
    const next = await t.gql(LISTS.files, { after: first.files.pageInfo.endCursor });
    expect(next.errors).toBeUndefined();
  });
});

describe("scalar ranges", () => {
  const REGISTER = `mutation($size: BigInt) { registerFile(input: {
    projectId: "${randomUUID()}", uiName: "x", filePath: "/x", fileSizeBytes: $size }) { __typename } }`;

  it.each([
    ["2^63", "9223372036854775808"],
    ["-2^63 - 1", "-9223372036854775809"],
  ])("BigInt %s does not fit in 64 bits: refused", async (_label, size) => {
    const r = await t.gql(REGISTER, { size });
    expect(r.errors?.[0]?.message).toContain("BigInt must fit in 64 bits");
  });

  it("BigInt 2^63 - 1 is accepted as a value (and refused by the size check only if negative)", async () => {
    const r = await t.gql<{ registerFile: { __typename: string } }>(REGISTER, { size: "9223372036854775807" });
    expect(r.errors).toBeUndefined();
    expect(r.data?.registerFile.__typename).toBe("RegisterFileSuccess");
  });

  it.each(["0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "9999-12-31T23:00:00-02:00"])(
    "DateTime %s is outside the years 0001 to 9999: refused",
    async (at) => {
      const r = await t.gql(`query($at: DateTime) { files(filter: { createdFrom: $at }) { totalCount } }`, { at });
      expect(r.errors?.[0]?.message).toMatch(/DateTime (must fall in the years 0001 to 9999|must be an ISO 8601)/);
      expect(r.data).toBeUndefined();
    },
  );
});

describe("filters", () => {
  it.each(["search", "fileType", "mimeType", "representationType"])(
    "a NUL in filter.%s is refused before any SQL",
    async (key) => {
      let r: Awaited<ReturnType<TestApp["gql"]>> | undefined;
      const sent = await t.statements(async () => {
        r = await t.gql(`query($f: FileFilter) { files(filter: $f) { totalCount } }`, { f: { [key]: "a\u0000b" } });
      });
      expect(sent).toEqual([]);
      expect(r?.errors?.[0]).toMatchObject({
        message: `filter.${key} cannot contain the NUL character`,
        extensions: { code: "BAD_USER_INPUT" },
      });
    },
  );

  it("contract search treats %, _ and \\ literally", async () => {
    const q = `query($s: String!) { contracts(filter: { search: $s }) { edges { node { name } } } }`;
    const names = async (s: string) =>
      (await t.ok<{ contracts: { edges: { node: { name: string } }[] } }>(q, { s })).contracts.edges.map(
        (e) => e.node.name,
      );
    expect(await names("50%")).toEqual(["50%_off\\sale"]);
    expect(await names("0_o")).toEqual([]); // `_` is not "any character": "500 off" does not match
    expect(await names("f\\s")).toEqual(["50%_off\\sale"]);
  });
});

describe("text that is not Unicode", () => {
  // half of a surrogate pair: JSON can spell it (\ud800), but no column or document can hold it
  it.each([
    [
      "a mutation variable",
      `mutation($d: String) { updateBoundaryContract(id: "${randomUUID()}", input: { description: $d }) { __typename } }`,
      { d: "\ud800lone" },
    ],
    [
      "a filter variable",
      `query($f: ContractFilter) { contracts(filter: $f) { totalCount } }`,
      { f: { search: "\udc00" } },
    ],
    [
      "a key of a JSON variable",
      `mutation($m: JSON) { registerFile(input: { projectId: "${randomUUID()}", uiName: "x", filePath: "/x", metadata: $m }) { __typename } }`,
      { m: { "k\ud800": 1 } },
    ],
  ])("in %s is refused before any SQL, naming where", async (_label, query, variables) => {
    let r: Awaited<ReturnType<TestApp["gql"]>> | undefined;
    const sent = await t.statements(async () => {
      r = await t.gql(query, variables);
    });
    expect(sent).toEqual([]);
    expect(r?.errors?.[0]?.message).toMatch(/^Text must be valid Unicode: variable \$\.\w+/);
    expect(r?.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("in a literal, GraphQL's parser refuses it, escaped or not", async () => {
    for (const literal of ["a\\ud800", "a\ud800"]) {
      const sent = await t.statements(async () => {
        const r = await t.gql(`{ files(filter: { search: "${literal}" }) { totalCount } }`);
        expect(r.errors?.[0]?.message).toMatch(
          /^Syntax Error: Invalid (Unicode escape sequence|character within String)/,
        );
      });
      expect(sent).toEqual([]);
    }
  });
});

describe("request errors", () => {
  it("a body that is not JSON is a 400 that names no parser internals", async () => {
    const res = await t.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: '{"query": "{ files { totalCount } }"',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string; extensions?: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).not.toHaveProperty("originalError");
    expect(JSON.stringify(body)).not.toMatch(/SyntaxError|at position|Unexpected end/);
  });
});
