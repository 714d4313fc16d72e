// registerFile and deleteFile over HTTP: lineage computed by the service, refusals typed and
// writing nothing.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MutationOutcome, type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile, buildLegacyFile } from "../helpers/factories.ts";
import { snapshot } from "../helpers/snapshot.ts";

const REGISTER = `mutation($input: RegisterFileInput!) {
  registerFile(input: $input) {
    __typename
    ... on RegisterFileSuccess { file { id projectId parentId rootId lineageDepth dataClassification accessLevel
      workspaceId representationType boundaryContract { id } root { id } parent { id } } }
    ... on Error { code message }
    ... on ValidationError { issues { path message } }
    ... on NotFoundError { entity id path }
    ... on ContractViolationError { rule contractId }
  }
}`;

interface Registered extends MutationOutcome {
  file?: {
    id: string;
    projectId: string;
    parentId: string | null;
    rootId: string;
    lineageDepth: number;
    dataClassification: string;
    accessLevel: string;
    workspaceId: string | null;
    representationType: string | null;
    boundaryContract: { id: string } | null;
    root: { id: string };
    parent: { id: string } | null;
  };
}

describe("registerFile", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  const register = async (input: Record<string, unknown>) =>
    (await t.ok<{ registerFile: Registered }>(REGISTER, { input })).registerFile;

  it("registers a root file: its own root at depth 0, under the project's default contract", async () => {
    const projectId = randomUUID();
    const contract = await buildContract(t.prisma, { projectId, isDefault: true });
    const r = await register({
      projectId,
      uiName: "raw.csv",
      filePath: "/raw.csv",
      dataClassification: "CONFIDENTIAL",
    });
    expect(r.__typename).toBe("RegisterFileSuccess");
    expect(r.file).toMatchObject({
      projectId,
      parentId: null,
      lineageDepth: 0,
      dataClassification: "CONFIDENTIAL",
      accessLevel: "PRIVATE",
      representationType: "original",
      boundaryContract: { id: contract.id },
      parent: null,
    });
    expect(r.file?.rootId).toBe(r.file?.id);
    expect(r.file?.root.id).toBe(r.file?.id);
    const row = await t.prisma.projectFile.findUniqueOrThrow({ where: { id: r.file?.id } });
    expect(row.rootFileId).toBe(row.id);
  });

  it("computes root, depth and project of derived files at depth 1, 2 and 10 (never from the client)", async () => {
    const projectId = randomUUID();
    const root = await register({ projectId, uiName: "r", filePath: "/r", dataClassification: "INTERNAL" });
    const rootId = root.file?.id as string;
    let parentId = rootId;
    const byDepth = new Map<number, Registered>();
    for (let depth = 1; depth <= 10; depth++) {
      const child = await register({ parentId, uiName: `d${depth}`, filePath: `/d${depth}` });
      byDepth.set(depth, child);
      parentId = child.file?.id as string;
    }
    for (const depth of [1, 2, 10]) {
      const f = byDepth.get(depth)?.file;
      expect(f).toMatchObject({ projectId, rootId, lineageDepth: depth, dataClassification: "INTERNAL" });
      const row = await t.prisma.projectFile.findUniqueOrThrow({ where: { id: f?.id } });
      expect({ root: row.rootFileId, depth: row.lineageDepth, project: row.projectId }).toEqual({
        root: rootId,
        depth,
        project: projectId,
      });
    }
    expect(byDepth.get(2)?.file?.parentId).toBe(byDepth.get(1)?.file?.id);
    expect(byDepth.get(10)?.file?.root.id).toBe(rootId);
  });

  it("a derived file under a legacy root (NULL root_file_uuid) gets that root", async () => {
    const legacy = await buildLegacyFile(t.prisma, { rootFileId: null });
    expect(legacy.rootFileId).toBeNull();
    const r = await register({ parentId: legacy.id, uiName: "x", filePath: "/x" });
    expect(r.file).toMatchObject({ rootId: legacy.id, lineageDepth: 1, projectId: legacy.projectId });
  });

  it("a derived file inherits workspace, access level, classification and contract from its parent", async () => {
    const contract = await buildContract(t.prisma);
    const workspaceId = randomUUID();
    const parent = await buildFile(t.prisma, {
      projectId: contract.projectId,
      workspaceId,
      accessLevel: "workspace",
      dataClassification: "confidential",
      boundaryContractId: contract.id,
    });
    const r = await register({ parentId: parent.id, uiName: "x", filePath: "/x", dataClassification: "RESTRICTED" });
    expect(r.file).toMatchObject({
      workspaceId,
      accessLevel: "WORKSPACE",
      dataClassification: "RESTRICTED",
      boundaryContract: { id: contract.id },
      representationType: null,
    });
  });

  it("refuses, writing nothing: bad values (all listed), a project other than the parent's, a lower classification", async () => {
    const parent = await buildFile(t.prisma, { dataClassification: "confidential" });
    const before = await snapshot(t.prisma);

    const bad = await register({
      uiName: "  ",
      filePath: "",
      fileSizeBytes: "-1",
      checksumSha256: "xyz",
      metadata: [1, 2],
      permissions: { read: ["nobody"] },
      representationType: "Parquet!",
    });
    expect(bad.__typename).toBe("ValidationError");
    expect(bad.code).toBe("INVALID_INPUT");
    expect(bad.issues?.map((i) => i.path.join("."))).toEqual([
      "input.uiName",
      "input.filePath",
      "input.fileSizeBytes",
      "input.checksumSha256",
      "input.metadata",
      "input.permissions.read",
      "input.representationType",
      "input.projectId",
    ]);

    const otherProject = await register({ parentId: parent.id, projectId: randomUUID(), uiName: "x", filePath: "/x" });
    expect(otherProject).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["input", "projectId"] }] });

    const lower = await register({ parentId: parent.id, uiName: "x", filePath: "/x", dataClassification: "PUBLIC" });
    expect(lower).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["input", "dataClassification"] }] });

    expect(await snapshot(t.prisma)).toBe(before);
  });

  it("refuses a missing or deleted parent, and a missing contract, with NotFoundError and its path", async () => {
    const deleted = await buildFile(t.prisma, { deletedAt: new Date() });
    const before = await snapshot(t.prisma);
    const missing = randomUUID();
    expect(await register({ parentId: missing, uiName: "x", filePath: "/x" })).toMatchObject({
      __typename: "NotFoundError",
      code: "NOT_FOUND",
      entity: "ProjectFile",
      id: missing,
      path: ["input", "parentId"],
    });
    expect(await register({ parentId: deleted.id, uiName: "x", filePath: "/x" })).toMatchObject({
      __typename: "NotFoundError",
      id: deleted.id,
    });
    expect(
      await register({ projectId: randomUUID(), boundaryContractId: missing, uiName: "x", filePath: "/x" }),
    ).toMatchObject({ __typename: "NotFoundError", entity: "BoundaryContract", path: ["input", "boundaryContractId"] });
    expect(await snapshot(t.prisma)).toBe(before);
  });

  it("refuses a contract whose rules the file breaks", async () => {
    const contract = await buildContract(t.prisma, { maxDataClassification: "internal" });
    const before = await snapshot(t.prisma);
    const r = await register({
      projectId: contract.projectId,
      boundaryContractId: contract.id,
      uiName: "x",
      filePath: "/x",
      dataClassification: "RESTRICTED",
    });
    expect(r).toMatchObject({
      __typename: "ContractViolationError",
      code: "CLASSIFICATION_ABOVE_CEILING",
      rule: "CLASSIFICATION_ABOVE_CEILING",
      contractId: contract.id,
    });
    expect(await snapshot(t.prisma)).toBe(before);
  });

  it("cannot create a cycle: ids are the service's, a parent must already exist, and the database refuses self-parenting", async () => {
    // the input has no id field, so a file can never name itself or a future descendant as parent
    const withId = await t.gql(REGISTER, {
      input: { id: randomUUID(), projectId: randomUUID(), uiName: "x", filePath: "/x" },
    });
    expect(withId.errors?.[0]?.message).toMatch(/"id" is not defined by type "RegisterFileInput"/);
    const file = await buildFile(t.prisma);
    await expect(
      t.prisma.projectFile.update({ where: { id: file.id }, data: { parentFileId: file.id } }),
    ).rejects.toThrow(/project_files_not_own_parent_check/);
  });
});

describe("deleteFile", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  const DELETE = `mutation($id: UUID!, $cascade: Boolean) { deleteFile(id: $id, cascade: $cascade) {
    __typename
    ... on DeletedFiles { deletedIds }
    ... on Error { code message }
    ... on ConflictError { reason conflictingIds }
    ... on NotFoundError { id }
  } }`;
  type Deleted = {
    __typename: string;
    deletedIds?: string[];
    code?: string;
    reason?: string;
    conflictingIds?: string[];
  };
  const del = async (id: string, cascade?: boolean) =>
    (await t.ok<{ deleteFile: Deleted }>(DELETE, { id, cascade })).deleteFile;

  it("soft-deletes a leaf: it drops out of file, files and its parent's children", async () => {
    const root = await buildFile(t.prisma);
    const leaf = await buildFile(t.prisma, { parent: root });
    expect(await del(leaf.id)).toEqual({ __typename: "DeletedFiles", deletedIds: [leaf.id] });
    const row = await t.prisma.projectFile.findUniqueOrThrow({ where: { id: leaf.id } });
    expect(row.deletedAt).toBeInstanceOf(Date);
    const r = await t.ok<{
      file: null;
      root: { children: { totalCount: number; edges: unknown[] } };
      files: { edges: { node: { id: string } }[] };
    }>(
      `query($leaf: UUID!, $root: UUID!, $p: UUID!) { file(id: $leaf) { id } root: file(id: $root) { children { totalCount edges { cursor } } }
        files(filter: { projectId: $p }) { edges { node { id } } } }`,
      { leaf: leaf.id, root: root.id, p: root.projectId },
    );
    expect(r.file).toBeNull();
    expect(r.root.children).toEqual({ totalCount: 0, edges: [] });
    expect(r.files.edges.map((e) => e.node.id)).toEqual([root.id]);
  });

  it("refuses while live descendants exist, naming them; cascade deletes the whole subtree at once", async () => {
    const root = await buildFile(t.prisma);
    const a = await buildFile(t.prisma, { parent: root });
    const b = await buildFile(t.prisma, { parent: a });
    const c = await buildFile(t.prisma, { parent: root });
    const before = await snapshot(t.prisma);
    const refused = await del(root.id);
    expect(refused).toMatchObject({
      __typename: "ConflictError",
      code: "HAS_LIVE_DESCENDANTS",
      reason: "HAS_LIVE_DESCENDANTS",
    });
    expect(new Set(refused.conflictingIds)).toEqual(new Set([a.id, b.id, c.id]));
    expect(await snapshot(t.prisma)).toBe(before);

    const done = await del(root.id, true);
    expect(done.deletedIds?.[0]).toBe(root.id);
    expect(new Set(done.deletedIds)).toEqual(new Set([root.id, a.id, b.id, c.id]));
    const rows = await t.prisma.projectFile.findMany({ where: { id: { in: [root.id, a.id, b.id, c.id] } } });
    expect(new Set(rows.map((r) => r.deletedAt?.getTime()))).toHaveLength(1);
  });

  it("a missing or already deleted file is NotFoundError", async () => {
    const gone = await buildFile(t.prisma, { deletedAt: new Date() });
    expect(await del(gone.id)).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND", id: gone.id });
    expect(await del(randomUUID())).toMatchObject({ __typename: "NotFoundError" });
  });
});
