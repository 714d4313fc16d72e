// Unexpected errors: masked for the client, logged with the request id, which the client gets in
// `extensions` (and X-Request-Id) to quote.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, testApp } from "../helpers/app.ts";
import { buildFile } from "../helpers/factories.ts";

describe("unexpected errors", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  it("a failing query is masked, and logged with the request id and the real error", async () => {
    const file = await buildFile(t.prisma);
    // a database that lost its table: nothing a client did, so nothing a client should see
    await t.prisma.$executeRawUnsafe("ALTER TABLE project_files RENAME TO project_files_gone");
    try {
      const r = await t.gql(`query($id: UUID!) { file(id: $id) { id } }`, { id: file.id });
      expect(r.errors).toHaveLength(1);
      expect(r.errors?.[0]?.message).toBe("Unexpected error.");
      expect(JSON.stringify(r)).not.toMatch(/project_files|prisma|relation|stack/i);
      const requestId = r.extensions?.requestId;
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.get("x-request-id")).toBe(requestId);
      const line = t.logs.find((l) => l.requestId === requestId && l.msg === "unexpected error");
      expect(line).toMatchObject({ level: 50, path: "file" });
      expect(JSON.stringify(line?.err)).toMatch(/project_files/);

      const m = await t.gql(
        `mutation { registerFile(input: { projectId: "${file.projectId}", uiName: "x", filePath: "/x" }) { __typename } }`,
      );
      expect(m.errors?.[0]?.message).toBe("Unexpected error.");
      expect(t.logs.some((l) => l.requestId === m.extensions?.requestId && l.path === "registerFile")).toBe(true);
    } finally {
      await t.prisma.$executeRawUnsafe("ALTER TABLE project_files_gone RENAME TO project_files");
    }
  });

  it("expected failures are typed results and are not logged as errors", async () => {
    const before = t.logs.length;
    const r = await t.ok<{ deleteFile: { __typename: string } }>(
      `mutation { deleteFile(id: "00000000-0000-4000-8000-000000000000") { __typename } }`,
    );
    expect(r.deleteFile.__typename).toBe("NotFoundError");
    expect(t.logs.slice(before).filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
