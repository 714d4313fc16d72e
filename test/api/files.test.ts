// Reading files over HTTP: file(id) and files(first, after), bounded pages, request ids.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphQLResponse, type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile, buildLegacyFile } from "../helpers/factories.ts";

describe("file and files", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_DEFAULT: "3", PAGE_SIZE_MAX: "4" });
  });
  afterAll(() => t?.close());

  it("file(id) returns a file with its contract; a missing or deleted file is null", async () => {
    const contract = await buildContract(t.prisma, { name: "analytics" });
    const root = await buildFile(t.prisma, {
      projectId: contract.projectId,
      boundaryContractId: contract.id,
      fileSizeBytes: 9_007_199_254_740_993n, // beyond 2^53: must not lose precision
      dataClassification: "confidential",
      metadata: { rows: 3, tags: ["x"] },
    });
    const child = await buildFile(t.prisma, { parent: root });
    const deleted = await buildFile(t.prisma, { deletedAt: new Date() });
    const query = `query($id: UUID!) { file(id: $id) {
      id projectId uiName fileSizeBytes dataClassification accessLevel processingStatus metadata
      lineageDepth parentId rootId createdAt boundaryContract { id name maxDataClassification status isDefault }
    } }`;

    const r = await t.gql<{ file: Record<string, unknown> }>(query, { id: root.id });
    expect(r.errors).toBeUndefined();
    expect(r.data?.file).toMatchObject({
      id: root.id,
      projectId: contract.projectId,
      uiName: root.uiName,
      fileSizeBytes: "9007199254740993",
      dataClassification: "CONFIDENTIAL",
      accessLevel: "INTERNAL",
      processingStatus: "PENDING",
      metadata: { rows: 3, tags: ["x"] },
      lineageDepth: 0,
      parentId: null,
      rootId: root.id,
      createdAt: root.createdAt.toISOString(),
      boundaryContract: { id: contract.id, name: "analytics", maxDataClassification: "RESTRICTED", status: "ACTIVE" },
    });

    const c = await t.gql<{ file: Record<string, unknown> }>(query, { id: child.id });
    expect(c.data?.file).toMatchObject({ lineageDepth: 1, parentId: root.id, rootId: root.id, boundaryContract: null });

    expect((await t.gql(query, { id: deleted.id })).data).toEqual({ file: null });
    expect((await t.gql(query, { id: "00000000-0000-4000-8000-000000000000" })).data).toEqual({ file: null });
  });

  it("a legacy root with a NULL root_file_uuid reads as its own root", async () => {
    const legacy = await buildLegacyFile(t.prisma, { rootFileId: null });
    expect(legacy.rootFileId).toBeNull();
    const r = await t.gql<{ file: { rootId: string } }>("query($id: UUID!) { file(id: $id) { rootId } }", {
      id: legacy.id,
    });
    expect(r.data?.file.rootId).toBe(legacy.id);
  });

  it("rejects a malformed UUID before running anything", async () => {
    const r = await t.gql('query { file(id: "not-a-uuid") { id } }');
    expect(r.data).toBeUndefined();
    expect(r.errors?.[0]?.message).toMatch(/UUID must be a string like/);
  });

  it("files pages through every live file exactly once, with totalCount", async () => {
    await t.prisma.projectFile.updateMany({ data: { deletedAt: new Date() } });
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await buildFile(t.prisma));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    interface Page {
      files: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: { node: { id: string } }[];
      };
    }
    for (;;) {
      const r: GraphQLResponse<Page> = await t.gql<Page>(
        `query($after: String) { files(after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
        { after },
      );
      expect(r.errors).toBeUndefined();
      const files = r.data?.files;
      if (!files) throw new Error("no page");
      expect(files.totalCount).toBe(7);
      expect(files.edges.length).toBeLessThanOrEqual(3); // PAGE_SIZE_DEFAULT
      seen.push(...files.edges.map((e) => e.node.id));
      pages++;
      if (!files.pageInfo.hasNextPage) break;
      after = files.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(made.map((f) => f.id));
  });

  it("asking for more than the maximum page is a clear error, not a silent truncation", async () => {
    const r = await t.gql("{ files(first: 5) { totalCount } }");
    expect(r.data).toBeNull();
    expect(r.errors?.[0]).toMatchObject({
      message: expect.stringContaining("`first` must be between 0 and 4; got 5"),
      extensions: { code: "BAD_USER_INPUT", argument: "first", max: 4 },
    });
    const ok = await t.gql<{ files: { edges: unknown[] } }>("{ files(first: 4) { edges { cursor } } }");
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.files.edges.length).toBeLessThanOrEqual(4);
  });

  it("every response carries a request id, in extensions and in a header; a sane incoming one is kept", async () => {
    const r = await t.gql("{ files(first: 1) { totalCount } }");
    expect(r.extensions?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get("x-request-id")).toBe(r.extensions?.requestId);
    const res = await t.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-42" },
      body: JSON.stringify({ query: "{ files(first: 1) { totalCount } }" }),
    });
    expect((await res.json()).extensions.requestId).toBe("trace-42");
  });

  it("answers introspection by default (GraphiQL and codegen need it)", async () => {
    const r = await t.ok<{ __schema: { mutationType: { fields: { name: string }[] } } }>(
      "{ __schema { mutationType { fields { name } } } }",
    );
    expect(r.__schema.mutationType.fields.map((f) => f.name)).toContain("registerMaterialization");
  });

  it("serves GraphiQL to a browser at /graphql", async () => {
    const res = await t.app.fetch("http://test/graphql", { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("graphiql");
  });
});
