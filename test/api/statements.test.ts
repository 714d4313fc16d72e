// SQL statements per request: relations are loaded with their parents (Pothos passes the selection
// into Prisma), so the number of statements does not grow with the page size (no N+1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectFile } from "../../src/generated/prisma/client.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";

describe("SQL statements per request", () => {
  let t: TestApp;
  let projectId: string;
  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_MAX: "100" });
    const contracts = await Promise.all([1, 2, 3].map(() => buildContract(t.prisma)));
    projectId = contracts[0]?.projectId as string;
    for (let i = 0; i < 60; i++) {
      const contract = contracts[i % 3];
      await buildFile(t.prisma, { projectId, boundaryContractId: contract?.id ?? null });
    }
  });
  afterAll(() => t?.close());

  it("file(id) with its contract", async () => {
    const file = await t.prisma.projectFile.findFirstOrThrow({ where: { projectId } });
    const r = await t.counted(`query($id: UUID!) { file(id: $id) { id uiName boundaryContract { id name } } }`, {
      id: file.id,
    });
    console.log(`statements: file with its contract = ${r.n}`);
    expect(r.data).toMatchObject({ file: { id: file.id, boundaryContract: { id: file.boundaryContractId } } });
    // one statement: the contract is joined in (relationJoins)
    expect(r.n).toBe(1);
  });

  it("a page of files with their contracts: the same count for 5 and 50 files", async () => {
    const q = `query($p: UUID!, $first: Int) { files(filter: { projectId: $p }, first: $first) {
      totalCount edges { node { id boundaryContract { id name maxDataClassification } } } } }`;
    const five = await t.counted(q, { p: projectId, first: 5 });
    const fifty = await t.counted(q, { p: projectId, first: 50 });
    console.log(`statements: page of files with contracts = ${five.n} (first: 5), ${fifty.n} (first: 50)`);
    expect((fifty.data as { files: { edges: unknown[] } }).files.edges).toHaveLength(50);
    expect(fifty.n).toBe(five.n);
    // the page with its contracts joined in, and totalCount
    expect(fifty.n).toBeLessThanOrEqual(2);
  });

  it("a file with two levels of children: the same count for a 2×2 and a 6×6 tree", async () => {
    const tree = async (width: number) => {
      const root = await buildFile(t.prisma);
      for (let i = 0; i < width; i++) {
        const child: ProjectFile = await buildFile(t.prisma, { parent: root });
        for (let j = 0; j < width; j++) await buildFile(t.prisma, { parent: child });
      }
      return root;
    };
    const q = `query($id: UUID!) { file(id: $id) { id children { totalCount edges { node { id
      children { totalCount edges { node { id uiName } } } } } } } }`;
    const small = await t.counted(q, { id: (await tree(2)).id });
    const big = await t.counted(q, { id: (await tree(6)).id });
    console.log(`statements: file with two levels of children = ${small.n} (2×2), ${big.n} (6×6)`);
    const edges = (big.data as { file: { children: { edges: { node: { children: { edges: unknown[] } } }[] } } }).file
      .children.edges;
    expect(edges).toHaveLength(6);
    expect(edges.every((e) => e.node.children.edges.length === 6)).toBe(true);
    expect(big.n).toBe(small.n);
    // both levels of children are joined into the file's statement (relationJoins)
    expect(big.n).toBe(1);
  });
});

describe("SQL statements of a mutation", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  it("registerFile loads the relations the client selects with the write, not one by one afterwards", async () => {
    const contract = await buildContract(t.prisma);
    const parent = await buildFile(t.prisma, { projectId: contract.projectId, boundaryContractId: contract.id });
    const register = (selection: string) =>
      t.statements(() =>
        t.ok(
          `mutation($p: UUID!) { registerFile(input: { parentId: $p, uiName: "x", filePath: "/x" }) {
            ... on RegisterFileSuccess { file { ${selection} } } } }`,
          { p: parent.id },
        ),
      );
    const bare = await register("id");
    const withRelations = await register("id boundaryContract { id } parent { id } root { id }");
    console.log(`statements: registerFile = ${bare.length} (bare), ${withRelations.length} (with 3 relations)`);
    // The contract and parent are included in the write's own query plan, inside its transaction;
    // only `root` (resolved by id, batched) runs after the commit. Were the selection lost, each
    // relation would re-read the file and load itself after the commit.
    const commit = withRelations.findIndex((sql) => sql.includes("COMMIT"));
    expect(commit).toBeGreaterThan(0);
    expect(withRelations.slice(commit + 1)).toHaveLength(1);
    expect(withRelations.length - bare.length).toBeLessThanOrEqual(4);
  });
});
