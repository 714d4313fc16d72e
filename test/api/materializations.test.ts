// registerMaterialization over HTTP: every rule of a boundary contract refused with its reason and
// nothing written; inheritance from the source; session_id only in the scope; idempotent retries.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataBoundaryContract, ProjectFile } from "../../src/generated/prisma/client.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { backend, waitForLockWait } from "../helpers/db.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { snapshot } from "../helpers/snapshot.ts";

const REGISTER = `mutation($input: RegisterMaterializationInput!) {
  registerMaterialization(input: $input) {
    __typename
    ... on RegisterMaterializationSuccess { file {
      id projectId parentId rootId lineageDepth workspaceId accessLevel dataClassification permissions
      representationType idempotencyKey uiName boundaryContract { id }
      materializationScope { workspaceId sessionId materializedAt materializedBy extra }
    } }
    ... on Error { code message }
    ... on ContractViolationError { rule contractId }
    ... on ValidationError { issues { path message } }
    ... on NotFoundError { entity id path }
    ... on ConflictError { reason conflictingIds }
  }
}`;

type Result = Record<string, unknown> & { __typename: string; file?: Record<string, unknown> & { id: string } };

describe("registerMaterialization", () => {
  let t: TestApp;
  let contract: DataBoundaryContract;
  let source: ProjectFile;
  const workspace = randomUUID();

  beforeAll(async () => {
    t = await testApp();
    contract = await buildContract(t.prisma, {
      allowedRepresentationTypes: ["parquet", "preview"],
      maxDataClassification: "confidential",
      scope: { workspace_ids: [workspace] },
    });
    source = await buildFile(t.prisma, {
      projectId: contract.projectId,
      workspaceId: workspace,
      boundaryContractId: contract.id,
      accessLevel: "workspace",
      dataClassification: "internal",
      permissions: { read: ["group:g1"] },
    });
  });
  afterAll(() => t?.close());

  const register = async (input: Record<string, unknown>) =>
    (await t.ok<{ registerMaterialization: Result }>(REGISTER, { input })).registerMaterialization;
  const base = () => ({
    sourceFileId: source.id,
    representationType: "parquet",
    filePath: `/m/${randomUUID()}.parquet`,
  });

  it("creates a derived file under the source's contract, inheriting project, access, permissions and classification", async () => {
    const r = await register({ ...base(), sessionId: "sess-1", scope: { job: 42 } });
    expect(r.__typename).toBe("RegisterMaterializationSuccess");
    expect(r.file).toMatchObject({
      projectId: source.projectId,
      parentId: source.id,
      rootId: source.id,
      lineageDepth: 1,
      workspaceId: workspace,
      accessLevel: "WORKSPACE",
      dataClassification: "INTERNAL",
      permissions: { read: ["group:g1"] },
      representationType: "parquet",
      uiName: `${source.uiName} (parquet)`,
      boundaryContract: { id: contract.id },
      materializationScope: {
        workspaceId: workspace,
        sessionId: "sess-1",
        // the caller: here the development identity (test/auth covers tokens)
        materializedBy: "development",
        extra: { job: 42 },
      },
    });
    const row = await t.prisma.projectFile.findUniqueOrThrow({ where: { id: r.file?.id } });
    // session_id lives only inside materialization_scope: there is no column for it
    expect(row).not.toHaveProperty("sessionId");
    expect(row.materializationScope).toMatchObject({ session_id: "sess-1", workspace_id: workspace, job: 42 });
    const cols = await t.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'project_files' AND column_name = 'session_id'`;
    expect(Number(cols[0]?.n)).toBe(0);
  });

  it("classification is at least the source's, and may be raised up to the ceiling", async () => {
    const r = await register({ ...base(), dataClassification: "CONFIDENTIAL" });
    expect(r.file?.dataClassification).toBe("CONFIDENTIAL");
    const before = await snapshot(t.prisma);
    const lower = await register({ ...base(), dataClassification: "PUBLIC" });
    expect(lower).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["input", "dataClassification"] }] });
    expect(await snapshot(t.prisma)).toBe(before);
  });

  describe("refuses each rule with its reason, writing nothing", () => {
    const cases: [string, () => Promise<Record<string, unknown>>, string][] = [
      [
        "a retired contract",
        async () => ({
          contractId: (await buildContract(t.prisma, { projectId: source.projectId, status: "retired" })).id,
        }),
        "CONTRACT_RETIRED",
      ],
      [
        "a contract of another project",
        async () => ({ contractId: (await buildContract(t.prisma)).id }),
        "CONTRACT_OTHER_PROJECT",
      ],
      [
        "a representation type the contract does not allow",
        async () => ({ representationType: "embedding" }),
        "REPRESENTATION_NOT_ALLOWED",
      ],
      [
        "a workspace outside the contract's scope",
        async () => ({ workspaceId: randomUUID() }),
        "WORKSPACE_OUT_OF_SCOPE",
      ],
      [
        "a classification above the ceiling",
        async () => ({ dataClassification: "RESTRICTED" }),
        "CLASSIFICATION_ABOVE_CEILING",
      ],
    ];
    for (const [what, overrides, reason] of cases) {
      it(what, async () => {
        const extra = await overrides();
        const before = await snapshot(t.prisma);
        const r = await register({ ...base(), ...extra });
        expect(r).toMatchObject({ __typename: "ContractViolationError", code: reason, rule: reason });
        expect(r.message).toEqual(expect.any(String));
        expect(await snapshot(t.prisma)).toBe(before);
      });
    }

    it("a source classified above the ceiling", async () => {
      const secret = await buildFile(t.prisma, {
        projectId: contract.projectId,
        workspaceId: workspace,
        boundaryContractId: contract.id,
        dataClassification: "restricted",
      });
      const before = await snapshot(t.prisma);
      const r = await register({ ...base(), sourceFileId: secret.id });
      expect(r).toMatchObject({ rule: "CLASSIFICATION_ABOVE_CEILING", contractId: contract.id });
      expect(await snapshot(t.prisma)).toBe(before);
    });

    it("a source with no contract and none given", async () => {
      const bare = await buildFile(t.prisma, { projectId: contract.projectId });
      const before = await snapshot(t.prisma);
      expect(await register({ ...base(), sourceFileId: bare.id })).toMatchObject({
        __typename: "ContractViolationError",
        rule: "NO_CONTRACT",
        contractId: null,
      });
      expect(await snapshot(t.prisma)).toBe(before);
    });

    it("a missing source or contract, and invalid input", async () => {
      const before = await snapshot(t.prisma);
      expect(await register({ ...base(), sourceFileId: randomUUID() })).toMatchObject({
        __typename: "NotFoundError",
        path: ["input", "sourceFileId"],
      });
      expect(await register({ ...base(), contractId: randomUUID() })).toMatchObject({
        __typename: "NotFoundError",
        entity: "BoundaryContract",
        path: ["input", "contractId"],
      });
      const bad = await register({
        ...base(),
        representationType: "",
        scope: { session_id: "x", workspace_id: "y" },
        idempotencyKey: "has space",
      });
      expect((bad.issues as { path: string[] }[]).map((i) => i.path.join("."))).toEqual([
        "input.representationType",
        "input.scope.workspace_id",
        "input.scope.session_id",
        "input.idempotencyKey",
      ]);
      expect(await snapshot(t.prisma)).toBe(before);
    });
  });

  describe("idempotency", () => {
    it("a retry with the same key returns the same materialization, even after the contract changed", async () => {
      const key = `job-${randomUUID()}`;
      const input = { ...base(), idempotencyKey: key, sessionId: "s" };
      const first = await register(input);
      const tighter = await buildContract(t.prisma, { projectId: source.projectId, maxDataClassification: "internal" });
      await t.prisma.dataBoundaryContract.update({ where: { id: contract.id }, data: { updatedAt: new Date() } });
      const before = await snapshot(t.prisma);
      const again = await register(input);
      expect(again.__typename).toBe("RegisterMaterializationSuccess");
      expect(again.file?.id).toBe(first.file?.id);
      expect(again.file?.idempotencyKey).toBe(key);
      expect(await snapshot(t.prisma)).toBe(before);
      expect(tighter.id).not.toBe(contract.id);
    });

    it("the same key for a different request is a ConflictError naming the first materialization", async () => {
      const key = `job-${randomUUID()}`;
      const first = await register({ ...base(), idempotencyKey: key });
      const before = await snapshot(t.prisma);
      const other = await register({ ...base(), idempotencyKey: key, representationType: "preview" });
      expect(other).toMatchObject({
        __typename: "ConflictError",
        code: "IDEMPOTENCY_KEY_REUSED",
        conflictingIds: [first.file?.id],
      });
      expect(await snapshot(t.prisma)).toBe(before);
    });

    it("concurrent requests with one key make exactly one materialization and all return it", async () => {
      const key = `job-${randomUUID()}`;
      const input = { ...base(), idempotencyKey: key };
      const results = await Promise.all(Array.from({ length: 5 }, () => register(input)));
      const ids = new Set(results.map((r) => r.file?.id));
      expect(results.map((r) => r.__typename)).toEqual(Array(5).fill("RegisterMaterializationSuccess"));
      expect(ids.size).toBe(1);
      expect(await t.prisma.projectFile.count({ where: { idempotencyKey: key } })).toBe(1);
    });
  });

  it("a contract narrowed while a materialization is being registered is judged as narrowed", async () => {
    const c = await buildContract(t.prisma, { maxDataClassification: "confidential" });
    const src = await buildFile(t.prisma, {
      projectId: c.projectId,
      boundaryContractId: c.id,
      dataClassification: "confidential",
    });
    let pending: Promise<Result> | undefined;
    await t.prisma.$transaction(async (tx) => {
      // another request lowers the ceiling and has not committed yet
      await tx.dataBoundaryContract.update({ where: { id: c.id }, data: { maxDataClassification: "internal" } });
      pending = register({ ...base(), sourceFileId: src.id });
      if (backend() === "postgres") await waitForLockWait(tx); // the registration waits for the row
    });
    expect(await pending).toMatchObject({ __typename: "ContractViolationError", rule: "CLASSIFICATION_ABOVE_CEILING" });
    expect(await t.prisma.projectFile.count({ where: { parentFileId: src.id } })).toBe(0);
  });

  it("materializations are listed on the source file and on the contract's files", async () => {
    const src = await buildFile(t.prisma, {
      projectId: contract.projectId,
      workspaceId: workspace,
      boundaryContractId: contract.id,
    });
    const m = await register({ ...base(), sourceFileId: src.id });
    await buildFile(t.prisma, { parent: src }); // a derived file that is not a materialization
    const r = await t.ok<{
      file: {
        materializations: { totalCount: number; edges: { node: { id: string } }[] };
        children: { totalCount: number };
      };
    }>(
      `query($id: UUID!) { file(id: $id) { materializations { totalCount edges { node { id } } } children { totalCount } } }`,
      { id: src.id },
    );
    expect(r.file.materializations.edges.map((e) => e.node.id)).toEqual([m.file?.id]);
    expect(r.file.materializations.totalCount).toBe(1);
    expect(r.file.children.totalCount).toBe(2);
  });
});
