// Boundary contracts over HTTP: contract(id) and contracts(filter) with their files and counts, and
// the four mutations. Every refusal is asserted as a typed result AND as nothing written (every row
// of both tables compared before and after).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataBoundaryContract, Prisma, ProjectFile } from "../../src/generated/prisma/client.ts";
import { type MutationOutcome, type TestApp, testApp } from "../helpers/app.ts";
import { backend, waitForLockWait } from "../helpers/db.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { snapshot } from "../helpers/snapshot.ts";

const CONTRACT = `id projectId name description allowedRepresentationTypes maxDataClassification retentionDays
  scope workspaceIds isDefault status createdAt updatedAt`;
const ERROR = "... on Error { code message }";
const VALIDATION = "... on ValidationError { issues { path message } }";
const NOT_FOUND = "... on NotFoundError { entity id path }";
const CONFLICT = "... on ConflictError { reason conflictingIds }";

const CREATE = `mutation($input: CreateBoundaryContractInput!) { createBoundaryContract(input: $input) {
  __typename ... on CreateBoundaryContractSuccess { contract { ${CONTRACT} } } ${ERROR} ${VALIDATION} ${CONFLICT} } }`;
const UPDATE = `mutation($id: UUID!, $input: UpdateBoundaryContractInput!) { updateBoundaryContract(id: $id, input: $input) {
  __typename ... on UpdateBoundaryContractSuccess { contract { ${CONTRACT} } } ${ERROR} ${VALIDATION} ${NOT_FOUND} ${CONFLICT} } }`;
const RETIRE = `mutation($id: UUID!, $newDefaultId: UUID) { retireBoundaryContract(id: $id, newDefaultId: $newDefaultId) {
  __typename ... on RetireBoundaryContractSuccess { contract { ${CONTRACT} } } ${ERROR} ${VALIDATION} ${NOT_FOUND} ${CONFLICT} } }`;
const ASSIGN = `mutation($fileId: UUID!, $contractId: UUID!) { assignContract(fileId: $fileId, contractId: $contractId) {
  __typename ... on AssignContractSuccess { file { id updatedAt boundaryContract { id fileCount } } }
  ${ERROR} ${NOT_FOUND} ${CONFLICT} ... on ContractViolationError { rule contractId } } }`;

type Contract = {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  allowedRepresentationTypes: string[];
  maxDataClassification: string;
  retentionDays: number | null;
  scope: Record<string, unknown>;
  workspaceIds: string[] | null;
  isDefault: boolean;
  status: string;
  createdAt: string;
  updatedAt: string;
};
interface Result extends MutationOutcome {
  contract?: Contract;
  file?: { id: string; updatedAt: string; boundaryContract: { id: string; fileCount: number } | null };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("boundary contracts", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_DEFAULT: "3", PAGE_SIZE_MAX: "20" });
  });
  afterAll(() => t?.close());

  // ---- local factories ---------------------------------------------------------------------------

  /** A contract of `projectId` (a new project by default). */
  const contractIn = (projectId: string, overrides: Partial<Prisma.DataBoundaryContractUncheckedCreateInput> = {}) =>
    buildContract(t.prisma, { projectId, ...overrides });

  /** A live original file under `contract`, of its project. */
  const fileUnder = (contract: DataBoundaryContract, overrides: Partial<Prisma.ProjectFileUncheckedCreateInput> = {}) =>
    buildFile(t.prisma, { projectId: contract.projectId, boundaryContractId: contract.id, ...overrides });

  /** A live materialization of `source`, under `contract` (default: the source's). */
  const materializationOf = (
    source: ProjectFile,
    overrides: Partial<Prisma.ProjectFileUncheckedCreateInput> = {},
  ): Promise<ProjectFile> =>
    buildFile(t.prisma, {
      parent: source,
      boundaryContractId: source.boundaryContractId,
      dataClassification: source.dataClassification,
      materializationScope: {
        workspace_id: source.workspaceId,
        session_id: "s1",
        materialized_at: new Date().toISOString(),
      },
      ...overrides,
    });

  const defaultsOf = async (projectId: string) =>
    (await t.prisma.dataBoundaryContract.findMany({ where: { projectId, isDefault: true } })).map((c) => c.id);

  // ---- calling the API ---------------------------------------------------------------------------

  const create = async (input: Record<string, unknown>) =>
    (await t.ok<{ createBoundaryContract: Result }>(CREATE, { input })).createBoundaryContract;
  const update = async (id: string, input: Record<string, unknown>) =>
    (await t.ok<{ updateBoundaryContract: Result }>(UPDATE, { id, input })).updateBoundaryContract;
  const retire = async (id: string, newDefaultId?: string) =>
    (await t.ok<{ retireBoundaryContract: Result }>(RETIRE, { id, newDefaultId })).retireBoundaryContract;
  const assign = async (fileId: string, contractId: string) =>
    (await t.ok<{ assignContract: Result }>(ASSIGN, { fileId, contractId })).assignContract;

  /** Runs a request that must be refused, and checks that no row of either table changed. */
  const refused = async (request: () => Promise<Result>): Promise<Result> => {
    const before = await snapshot(t.prisma);
    const result = await request();
    expect(result.__typename).toMatch(/Error$/);
    expect(await snapshot(t.prisma)).toBe(before);
    return result;
  };

  // ---- reads -------------------------------------------------------------------------------------

  describe("contract(id)", () => {
    const QUERY = `query($id: UUID!) { contract(id: $id) { ${CONTRACT} } }`;

    it("returns every field, with workspaceIds read from the scope", async () => {
      const ws = [randomUUID(), randomUUID()].sort();
      const c = await contractIn(randomUUID(), {
        name: "analytics",
        description: "for BI",
        allowedRepresentationTypes: ["parquet", "csv"],
        maxDataClassification: "confidential",
        retentionDays: 30,
        scope: { workspace_ids: ws, region: "eu" },
        isDefault: true,
      });
      const r = await t.ok<{ contract: Contract }>(QUERY, { id: c.id });
      expect(r.contract).toEqual({
        id: c.id,
        projectId: c.projectId,
        name: "analytics",
        description: "for BI",
        allowedRepresentationTypes: ["parquet", "csv"],
        maxDataClassification: "CONFIDENTIAL",
        retentionDays: 30,
        scope: { workspace_ids: ws, region: "eu" },
        workspaceIds: ws,
        isDefault: true,
        status: "ACTIVE",
        createdAt: c.createdAt.toISOString(),
        updatedAt: c.updatedAt.toISOString(),
      });
    });

    it("workspaceIds is null when the scope names none (any workspace); a retired contract is found", async () => {
      const c = await contractIn(randomUUID(), { status: "retired" });
      const r = await t.ok<{ contract: Contract }>(QUERY, { id: c.id });
      expect(r.contract).toMatchObject({ workspaceIds: null, scope: {}, status: "RETIRED", isDefault: false });
    });

    it("is null for an unknown id", async () => {
      expect(await t.ok(QUERY, { id: randomUUID() })).toEqual({ contract: null });
    });
  });

  describe("contracts(filter)", () => {
    const QUERY = `query($filter: ContractFilter, $first: Int, $after: String) {
      contracts(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } } }`;
    interface Page {
      contracts: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: { cursor: string; node: { id: string; name: string } }[];
      };
    }
    const list = async (filter: Record<string, unknown>, first = 20) =>
      (await t.ok<Page>(QUERY, { filter, first })).contracts;
    const ids = (page: Page["contracts"]) => page.edges.map((e) => e.node.id);

    let project: string;
    let made: DataBoundaryContract[];
    beforeAll(async () => {
      project = randomUUID();
      made = [
        await contractIn(project, { name: "Default Analytics", isDefault: true }),
        await contractIn(project, { name: "Exports" }),
        await contractIn(project, { name: "old analytics", status: "retired" }),
        await contractIn(project, { name: "Previews" }),
        await contractIn(project, { name: "ML features" }),
      ];
      await contractIn(randomUUID(), { name: "analytics elsewhere", isDefault: true });
    });
    const pick = (...i: number[]) => i.map((k) => made[k]?.id);

    it("by project, oldest first, with totalCount", async () => {
      const page = await list({ projectId: project });
      expect(ids(page)).toEqual(pick(0, 1, 2, 3, 4));
      expect(page.totalCount).toBe(5);
    });

    it("by status (any of a list)", async () => {
      expect(ids(await list({ projectId: project, status: ["RETIRED"] }))).toEqual(pick(2));
      expect(ids(await list({ projectId: project, status: ["ACTIVE"] }))).toEqual(pick(0, 1, 3, 4));
      expect(ids(await list({ projectId: project, status: ["ACTIVE", "RETIRED"] }))).toEqual(pick(0, 1, 2, 3, 4));
    });

    it("by isDefault, true or false", async () => {
      expect(ids(await list({ projectId: project, isDefault: true }))).toEqual(pick(0));
      const others = await list({ projectId: project, isDefault: false });
      expect(ids(others)).toEqual(pick(1, 2, 3, 4));
      expect(others.totalCount).toBe(4);
    });

    it("by name, ignoring case, across projects unless a project is given; totalCount follows the filter", async () => {
      const everywhere = await list({ search: "ANALYTICS" });
      expect(everywhere.edges.map((e) => e.node.name)).toEqual(
        expect.arrayContaining(["Default Analytics", "old analytics", "analytics elsewhere"]),
      );
      const here = await list({ projectId: project, search: "analytics", status: ["ACTIVE"] });
      expect(ids(here)).toEqual(pick(0));
      expect(here.totalCount).toBe(1);
      expect((await list({ projectId: project, search: "nothing like it" })).totalCount).toBe(0);
    });

    it("pages through a project's contracts exactly once, by cursor", async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: Page["contracts"] = (await t.ok<Page>(QUERY, { filter: { projectId: project }, first: 2, after }))
          .contracts;
        expect(page.totalCount).toBe(5);
        seen.push(...ids(page));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(pick(0, 1, 2, 3, 4));
    });

    it("refuses an empty or over-long search, and a page over the maximum, as BAD_USER_INPUT", async () => {
      for (const search of ["", "x".repeat(201)]) {
        const r = await t.gql(QUERY, { filter: { search } });
        expect(r.errors?.[0]).toMatchObject({
          message: "filter.search must be 1 to 200 characters long",
          extensions: { code: "BAD_USER_INPUT", argument: "filter.search" },
        });
      }
      expect((await list({ search: "x".repeat(200) })).totalCount).toBe(0);
      const r = await t.gql(QUERY, { first: 21 });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument: "first", max: 20 });
    });
  });

  describe("a contract's files, materializations and counts", () => {
    const QUERY = `query($id: UUID!, $first: Int, $after: String) { contract(id: $id) {
      fileCount materializationCount
      files(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
      materializations { totalCount edges { node { id parentId materializationScope { sessionId } } } } } }`;
    interface Data {
      contract: {
        fileCount: number;
        materializationCount: number;
        files: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: { id: string } }[];
        };
        materializations: {
          totalCount: number;
          edges: { node: { id: string; parentId: string; materializationScope: { sessionId: string } } }[];
        };
      };
    }

    it("lists live files and live materializations, oldest first, with matching counts", async () => {
      const c = await contractIn(randomUUID());
      const other = await contractIn(c.projectId);
      const a = await fileUnder(c);
      const b = await fileUnder(c);
      const m1 = await materializationOf(a);
      const m2 = await materializationOf(b);
      await fileUnder(c, { deletedAt: new Date() }); // deleted: in no list or count
      await materializationOf(a, { deletedAt: new Date() });
      await buildFile(t.prisma, { parent: a, boundaryContractId: c.id }); // derived, but not a materialization
      await fileUnder(other); // another contract's

      const r = await t.ok<Data>(QUERY, { id: c.id, first: 20 });
      const live = [a, b, m1, m2].map((f) => f.id);
      expect(r.contract.fileCount).toBe(5);
      expect(r.contract.files.totalCount).toBe(5);
      expect(r.contract.files.edges.map((e) => e.node.id).slice(0, 4)).toEqual(live);
      expect(r.contract.materializationCount).toBe(2);
      expect(r.contract.materializations.totalCount).toBe(2);
      expect(r.contract.materializations.edges.map((e) => e.node)).toEqual([
        { id: m1.id, parentId: a.id, materializationScope: { sessionId: "s1" } },
        { id: m2.id, parentId: b.id, materializationScope: { sessionId: "s1" } },
      ]);

      // the files list pages like every FileConnection
      const first = await t.ok<Data>(QUERY, { id: c.id, first: 2 });
      expect(first.contract.files.edges.map((e) => e.node.id)).toEqual(live.slice(0, 2));
      expect(first.contract.files.pageInfo.hasNextPage).toBe(true);
      const second = await t.ok<Data>(QUERY, { id: c.id, first: 2, after: first.contract.files.pageInfo.endCursor });
      expect(second.contract.files.edges.map((e) => e.node.id)).toEqual(live.slice(2, 4));
      expect(second.contract.files.totalCount).toBe(5);
    });

    it("a contract with no files has empty lists and zero counts", async () => {
      const c = await contractIn(randomUUID());
      const r = await t.ok<Data>(QUERY, { id: c.id });
      expect(r.contract).toMatchObject({
        fileCount: 0,
        materializationCount: 0,
        files: { totalCount: 0, edges: [] },
        materializations: { totalCount: 0, edges: [] },
      });
    });

    it("a page of contracts with their counts and files takes the same number of SQL statements for 2 and 12 contracts", async () => {
      const project = randomUUID();
      for (let i = 0; i < 12; i++) {
        const c = await contractIn(project);
        const f = await fileUnder(c);
        await materializationOf(f);
        if (i % 2) await fileUnder(c);
      }
      const q = `query($p: UUID!, $first: Int) { contracts(filter: { projectId: $p }, first: $first) { totalCount
        edges { node { id name fileCount materializationCount workspaceIds
          files(first: 5) { totalCount edges { node { id uiName } } }
          materializations(first: 5) { totalCount edges { node { id } } } } } } }`;
      type Page = {
        contracts: {
          edges: { node: { fileCount: number; materializationCount: number; files: { totalCount: number } } }[];
        };
      };
      const run = async (first: number) => {
        let data: Page | undefined;
        const statements = await t.statements(async () => {
          data = await t.ok<Page>(q, { p: project, first });
        });
        return { statements, data: data as Page };
      };
      const small = await run(2);
      const big = await run(12);
      console.log(
        `statements: page of contracts with counts and files = ${small.statements.length} (2), ${big.statements.length} (12)`,
      );
      expect(big.data.contracts.edges).toHaveLength(12);
      expect(big.data.contracts.edges.map((e) => e.node.fileCount)).toEqual(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? 3 : 2)),
      );
      expect(big.data.contracts.edges.every((e) => e.node.materializationCount === 1)).toBe(true);
      expect(big.data.contracts.edges.every((e) => e.node.files.totalCount === e.node.fileCount)).toBe(true);
      expect(big.statements.length).toBe(small.statements.length);
    });
  });

  // ---- createBoundaryContract --------------------------------------------------------------------

  describe("createBoundaryContract", () => {
    it("creates an active contract; workspaceIds are stored sorted and once each in scope.workspace_ids", async () => {
      const project = randomUUID();
      const [w1, w2] = [randomUUID(), randomUUID()].sort() as [string, string];
      const r = await create({
        projectId: project,
        name: "analytics",
        description: "BI extracts",
        allowedRepresentationTypes: ["parquet", "csv", "parquet"],
        maxDataClassification: "CONFIDENTIAL",
        retentionDays: 90,
        workspaceIds: [w2, w1.toUpperCase(), w2],
        scope: { region: "eu" },
      });
      expect(r.__typename).toBe("CreateBoundaryContractSuccess");
      expect(r.contract).toMatchObject({
        projectId: project,
        name: "analytics",
        description: "BI extracts",
        allowedRepresentationTypes: ["parquet", "csv"],
        maxDataClassification: "CONFIDENTIAL",
        retentionDays: 90,
        workspaceIds: [w1, w2],
        scope: { region: "eu", workspace_ids: [w1, w2] },
        isDefault: false,
        status: "ACTIVE",
      });
      const row = await t.prisma.dataBoundaryContract.findUniqueOrThrow({ where: { id: r.contract?.id } });
      expect(row.scope).toEqual({ region: "eu", workspace_ids: [w1, w2] });
    });

    it("defaults: ceiling INTERNAL, any representation type, any workspace, no retention, not the default", async () => {
      const r = await create({ projectId: randomUUID(), name: "minimal" });
      expect(r.contract).toMatchObject({
        description: null,
        allowedRepresentationTypes: [],
        maxDataClassification: "INTERNAL",
        retentionDays: null,
        workspaceIds: null,
        scope: {},
        isDefault: false,
      });
    });

    it("isDefault makes it the project's only default; other projects keep theirs", async () => {
      const project = randomUUID();
      const first = await create({ projectId: project, name: "first", isDefault: true });
      expect(first.contract?.isDefault).toBe(true);
      const elsewhere = await contractIn(randomUUID(), { isDefault: true });
      const second = await create({ projectId: project, name: "second", isDefault: true });
      expect(second.contract?.isDefault).toBe(true);
      expect(await defaultsOf(project)).toEqual([second.contract?.id]);
      expect(await defaultsOf(elsewhere.projectId)).toEqual([elsewhere.id]);
      const demoted = await t.prisma.dataBoundaryContract.findUniqueOrThrow({ where: { id: first.contract?.id } });
      expect(demoted.updatedAt.getTime()).toBeGreaterThan(new Date(first.contract?.updatedAt ?? 0).getTime());
    });

    it("a name already used in the project is CONTRACT_NAME_TAKEN, from the unique index, and writes nothing", async () => {
      const existing = await contractIn(randomUUID(), { name: "exports", isDefault: true });
      let statements: string[] = [];
      const result = await refused(async () => {
        let r: Result | undefined;
        // isDefault too: the demotion of the existing default is rolled back with the failed insert
        statements = await t.statements(async () => {
          r = await create({ projectId: existing.projectId, name: "exports", isDefault: true });
        });
        return r as Result;
      });
      expect(result).toMatchObject({
        __typename: "ConflictError",
        code: "CONTRACT_NAME_TAKEN",
        reason: "CONTRACT_NAME_TAKEN",
        conflictingIds: [],
      });
      // Not looked for beforehand: the only statement on contracts that succeeded was the demotion
      // (the failed INSERT is not reported as a statement), then the transaction rolled back.
      const onContracts = statements.filter((s) => s.includes('"data_boundary_contracts"'));
      expect(onContracts.map((s) => s.split(" ")[0])).toEqual(["UPDATE"]);
      expect(statements.at(-1)).toMatch(/ROLLBACK/);
      expect(await defaultsOf(existing.projectId)).toEqual([existing.id]);
      // the same name in another project is fine
      expect((await create({ projectId: randomUUID(), name: "exports" })).__typename).toBe(
        "CreateBoundaryContractSuccess",
      );
    });

    it("reports every invalid value at once, with its path, and writes nothing", async () => {
      const r = await refused(() =>
        create({
          projectId: randomUUID(),
          name: "   ",
          description: "x".repeat(4001),
          allowedRepresentationTypes: ["parquet", "Not A Type"],
          retentionDays: 0,
          workspaceIds: [],
          scope: { workspace_ids: [randomUUID()] },
        }),
      );
      expect(r).toMatchObject({ __typename: "ValidationError", code: "INVALID_INPUT" });
      expect(r.issues?.map((i) => i.path)).toEqual([
        ["input", "name"],
        ["input", "description"],
        ["input", "allowedRepresentationTypes", "1"],
        ["input", "retentionDays"],
        ["input", "workspaceIds"],
        ["input", "scope", "workspace_ids"],
      ]);
      const notObject = await refused(() => create({ projectId: randomUUID(), name: "x", scope: [1, 2] }));
      expect(notObject.issues?.map((i) => i.path)).toEqual([["input", "scope"]]);
      const longName = await refused(() => create({ projectId: randomUUID(), name: "n".repeat(201) }));
      expect(longName.issues?.map((i) => i.path)).toEqual([["input", "name"]]);
    });

    it.skipIf(backend() !== "postgres")(
      "a default made by another transaction at the same time is DEFAULT_CONTRACT_EXISTS, from the partial unique index",
      async () => {
        const project = randomUUID();
        let pending: Promise<Result> | undefined;
        await t.prisma.$transaction(async (tx) => {
          // Another request's default, not committed yet: the mutation cannot see (or demote) it...
          await tx.dataBoundaryContract.create({ data: { projectId: project, name: "theirs", isDefault: true } });
          pending = create({ projectId: project, name: "ours", isDefault: true });
          // ...so its insert waits on the index entry; once it waits, the other request commits.
          await waitForLockWait(tx);
        });
        const result = await pending;
        expect(result).toMatchObject({ __typename: "ConflictError", reason: "DEFAULT_CONTRACT_EXISTS" });
        const rows = await t.prisma.dataBoundaryContract.findMany({ where: { projectId: project } });
        expect(rows.map((c) => [c.name, c.isDefault])).toEqual([["theirs", true]]);
      },
    );
  });

  // ---- updateBoundaryContract --------------------------------------------------------------------

  describe("updateBoundaryContract", () => {
    it("changes only the fields given; null clears description, retentionDays and workspaceIds; updatedAt moves", async () => {
      const ws = randomUUID();
      const c = await contractIn(randomUUID(), {
        name: "before",
        description: "old",
        allowedRepresentationTypes: ["csv"],
        maxDataClassification: "internal",
        retentionDays: 7,
        scope: { workspace_ids: [ws], region: "eu" },
      });
      await sleep(5);
      const [w1, w2] = [randomUUID(), randomUUID()].sort() as [string, string];
      const r = await update(c.id, {
        name: "after",
        allowedRepresentationTypes: ["parquet", "preview"],
        maxDataClassification: "RESTRICTED",
        workspaceIds: [w2, w1],
      });
      expect(r.__typename).toBe("UpdateBoundaryContractSuccess");
      expect(r.contract).toMatchObject({
        id: c.id,
        name: "after",
        description: "old",
        allowedRepresentationTypes: ["parquet", "preview"],
        maxDataClassification: "RESTRICTED",
        retentionDays: 7,
        workspaceIds: [w1, w2],
        scope: { region: "eu", workspace_ids: [w1, w2] },
        createdAt: c.createdAt.toISOString(),
      });
      expect(new Date(r.contract?.updatedAt ?? 0).getTime()).toBeGreaterThan(c.updatedAt.getTime());

      const cleared = await update(c.id, { description: null, retentionDays: null, workspaceIds: null });
      expect(cleared.contract).toMatchObject({
        name: "after",
        description: null,
        retentionDays: null,
        workspaceIds: null,
        scope: { region: "eu" },
      });
      const row = await t.prisma.dataBoundaryContract.findUniqueOrThrow({ where: { id: c.id } });
      expect(row.scope).toEqual({ region: "eu" });
      expect(row.allowedRepresentationTypes).toEqual(["parquet", "preview"]);
    });

    it("an empty input (or isDefault as it already is) returns the contract unchanged", async () => {
      const c = await contractIn(randomUUID());
      const before = await snapshot(t.prisma);
      expect((await update(c.id, {})).contract?.updatedAt).toBe(c.updatedAt.toISOString());
      expect((await update(c.id, { isDefault: false })).contract?.isDefault).toBe(false);
      expect(await snapshot(t.prisma)).toBe(before);
    });

    it("isDefault: true makes it the default and demotes the previous one, leaving exactly one", async () => {
      const project = randomUUID();
      const old = await contractIn(project, { isDefault: true });
      const next = await contractIn(project);
      const r = await update(next.id, { isDefault: true });
      expect(r.contract).toMatchObject({ id: next.id, isDefault: true });
      expect(await defaultsOf(project)).toEqual([next.id]);
      const again = await update(next.id, { isDefault: true });
      expect(again.contract?.isDefault).toBe(true);
      expect(await defaultsOf(project)).toEqual([next.id]);
      const demoted = await t.prisma.dataBoundaryContract.findUniqueOrThrow({ where: { id: old.id } });
      expect(demoted.isDefault).toBe(false);
    });

    it("a retired contract cannot become the default: CONTRACT_RETIRED, nothing written", async () => {
      const project = randomUUID();
      const current = await contractIn(project, { isDefault: true });
      const retired = await contractIn(project, { status: "retired" });
      const r = await refused(() => update(retired.id, { isDefault: true, name: "revived" }));
      expect(r).toMatchObject({
        __typename: "ConflictError",
        code: "CONTRACT_RETIRED",
        reason: "CONTRACT_RETIRED",
        conflictingIds: [retired.id],
      });
      expect(await defaultsOf(project)).toEqual([current.id]);
      // other fields of a retired contract may still change
      expect((await update(retired.id, { description: "kept for history" })).contract?.description).toBe(
        "kept for history",
      );
    });

    it("isDefault: false on the current default is a ValidationError: name another default instead", async () => {
      const c = await contractIn(randomUUID(), { isDefault: true });
      const r = await refused(() => update(c.id, { isDefault: false }));
      expect(r).toMatchObject({ __typename: "ValidationError", code: "INVALID_INPUT" });
      expect(r.issues).toEqual([
        { path: ["input", "isDefault"], message: expect.stringContaining("another contract") },
      ]);
    });

    it("lowering the ceiling below live files under it is CEILING_BELOW_FILES naming them; down to them is fine", async () => {
      const c = await contractIn(randomUUID(), { maxDataClassification: "restricted" });
      const secret = await fileUnder(c, { dataClassification: "restricted" });
      const confidential = await fileUnder(c, { dataClassification: "confidential" });
      await fileUnder(c, { dataClassification: "restricted", deletedAt: new Date() }); // deleted: does not count
      await fileUnder(c, { dataClassification: "internal" });
      await buildFile(t.prisma, { dataClassification: "restricted" }); // not under the contract

      const toInternal = await refused(() => update(c.id, { maxDataClassification: "INTERNAL", name: "lowered" }));
      expect(toInternal).toMatchObject({ __typename: "ConflictError", reason: "CEILING_BELOW_FILES" });
      expect(toInternal.conflictingIds).toEqual([secret.id, confidential.id]);
      const toConfidential = await refused(() => update(c.id, { maxDataClassification: "CONFIDENTIAL" }));
      expect(toConfidential.conflictingIds).toEqual([secret.id]);

      await t.prisma.projectFile.update({ where: { id: secret.id }, data: { deletedAt: new Date() } });
      const ok = await update(c.id, { maxDataClassification: "CONFIDENTIAL" });
      expect(ok.contract?.maxDataClassification).toBe("CONFIDENTIAL");
    });

    it("a name used by another contract of the project is CONTRACT_NAME_TAKEN, from the unique index", async () => {
      const project = randomUUID();
      await contractIn(project, { name: "taken" });
      const c = await contractIn(project, { name: "mine" });
      const r = await refused(() => update(c.id, { name: "taken", description: "changed" }));
      expect(r).toMatchObject({ __typename: "ConflictError", reason: "CONTRACT_NAME_TAKEN" });
    });

    it("an unknown id is a NotFoundError on the id argument", async () => {
      const id = randomUUID();
      const r = await refused(() => update(id, { name: "x" }));
      expect(r).toMatchObject({
        __typename: "NotFoundError",
        code: "NOT_FOUND",
        entity: "BoundaryContract",
        id,
        path: ["id"],
      });
    });

    it("reports invalid values (and nulls for fields that cannot be empty) with their paths", async () => {
      const c = await contractIn(randomUUID());
      const r = await refused(() =>
        update(c.id, {
          name: null,
          allowedRepresentationTypes: null,
          maxDataClassification: null,
          isDefault: null,
          retentionDays: -1,
          workspaceIds: [],
        }),
      );
      expect(r.issues?.map((i) => i.path)).toEqual([
        ["input", "name"],
        ["input", "allowedRepresentationTypes"],
        ["input", "maxDataClassification"],
        ["input", "isDefault"],
        ["input", "retentionDays"],
        ["input", "workspaceIds"],
      ]);
      const badType = await refused(() => update(c.id, { allowedRepresentationTypes: ["ok", "BAD!"] }));
      expect(badType.issues?.map((i) => i.path)).toEqual([["input", "allowedRepresentationTypes", "1"]]);
    });
  });

  // ---- retireBoundaryContract --------------------------------------------------------------------

  describe("retireBoundaryContract", () => {
    it("retires a contract; its files keep it; retiring it again returns it unchanged", async () => {
      const c = await contractIn(randomUUID());
      const f = await fileUnder(c);
      await sleep(5);
      const r = await retire(c.id);
      expect(r).toMatchObject({
        __typename: "RetireBoundaryContractSuccess",
        contract: { id: c.id, status: "RETIRED", isDefault: false },
      });
      expect(new Date(r.contract?.updatedAt ?? 0).getTime()).toBeGreaterThan(c.updatedAt.getTime());
      expect((await t.prisma.projectFile.findUniqueOrThrow({ where: { id: f.id } })).boundaryContractId).toBe(c.id);

      const before = await snapshot(t.prisma);
      const again = await retire(c.id);
      expect(again.contract).toEqual(r.contract);
      expect(await snapshot(t.prisma)).toBe(before);
    });

    it("the project's default is refused without newDefaultId: DEFAULT_CONTRACT_RETIRING", async () => {
      const c = await contractIn(randomUUID(), { isDefault: true });
      const r = await refused(() => retire(c.id));
      expect(r).toMatchObject({
        __typename: "ConflictError",
        code: "DEFAULT_CONTRACT_RETIRING",
        reason: "DEFAULT_CONTRACT_RETIRING",
        conflictingIds: [c.id],
      });
    });

    it("with newDefaultId, the default is retired and the other contract becomes the only default", async () => {
      const project = randomUUID();
      const old = await contractIn(project, { isDefault: true });
      const next = await contractIn(project);
      const r = await retire(old.id, next.id);
      expect(r.contract).toMatchObject({ id: old.id, status: "RETIRED", isDefault: false });
      expect(await defaultsOf(project)).toEqual([next.id]);
      expect((await t.prisma.dataBoundaryContract.findUniqueOrThrow({ where: { id: next.id } })).status).toBe("active");
      // a retry returns the retired contract as it is
      const before = await snapshot(t.prisma);
      expect((await retire(old.id, next.id)).contract).toEqual(r.contract);
      expect(await snapshot(t.prisma)).toBe(before);
    });

    it("refuses a newDefaultId that is the same contract, of another project, retired, unknown, or not needed", async () => {
      const project = randomUUID();
      const current = await contractIn(project, { isDefault: true });
      const retired = await contractIn(project, { status: "retired" });
      const plain = await contractIn(project);
      const foreign = await contractIn(randomUUID());
      const unknown = randomUUID();

      expect(await refused(() => retire(current.id, current.id))).toMatchObject({
        __typename: "ValidationError",
        issues: [{ path: ["newDefaultId"] }],
      });
      expect(await refused(() => retire(current.id, foreign.id))).toMatchObject({
        __typename: "ValidationError",
        issues: [{ path: ["newDefaultId"], message: expect.stringContaining("same project") }],
      });
      expect(await refused(() => retire(current.id, retired.id))).toMatchObject({
        __typename: "ConflictError",
        reason: "CONTRACT_RETIRED",
        conflictingIds: [retired.id],
      });
      expect(await refused(() => retire(current.id, unknown))).toMatchObject({
        __typename: "NotFoundError",
        entity: "BoundaryContract",
        id: unknown,
        path: ["newDefaultId"],
      });
      expect(await refused(() => retire(plain.id, current.id))).toMatchObject({
        __typename: "ValidationError",
        issues: [{ path: ["newDefaultId"], message: expect.stringContaining("not the default") }],
      });
      expect(await defaultsOf(project)).toEqual([current.id]);
    });

    it("an unknown id is a NotFoundError on the id argument", async () => {
      const id = randomUUID();
      expect(await refused(() => retire(id))).toMatchObject({
        __typename: "NotFoundError",
        entity: "BoundaryContract",
        id,
        path: ["id"],
      });
    });
  });

  // ---- assignContract ----------------------------------------------------------------------------

  describe("assignContract", () => {
    const ws = randomUUID();
    let target: DataBoundaryContract;
    beforeAll(async () => {
      target = await contractIn(randomUUID(), {
        allowedRepresentationTypes: ["original", "parquet"],
        maxDataClassification: "confidential",
        scope: { workspace_ids: [ws] },
      });
    });
    /** A file of the target's project that every rule of the target admits, unless overridden. */
    const fitting = (overrides: Partial<Prisma.ProjectFileUncheckedCreateInput> = {}) =>
      buildFile(t.prisma, {
        projectId: target.projectId,
        workspaceId: ws,
        dataClassification: "internal",
        representationType: "original",
        ...overrides,
      });

    it("puts a live file under the contract and returns it", async () => {
      const before = await contractIn(target.projectId);
      const f = await fitting({ boundaryContractId: before.id });
      await sleep(5);
      const r = await assign(f.id, target.id);
      expect(r).toMatchObject({
        __typename: "AssignContractSuccess",
        file: { id: f.id, boundaryContract: { id: target.id } },
      });
      expect(new Date(r.file?.updatedAt ?? 0).getTime()).toBeGreaterThan(f.updatedAt.getTime());
      expect((await t.prisma.projectFile.findUniqueOrThrow({ where: { id: f.id } })).boundaryContractId).toBe(
        target.id,
      );

      // already under it: returned as it is
      const snap = await snapshot(t.prisma);
      expect((await assign(f.id, target.id)).file?.boundaryContract?.id).toBe(target.id);
      expect(await snapshot(t.prisma)).toBe(snap);
    });

    it.each([
      ["CONTRACT_RETIRED", "retired"],
      ["CONTRACT_OTHER_PROJECT", "other project"],
      ["REPRESENTATION_NOT_ALLOWED", "representation"],
      ["WORKSPACE_OUT_OF_SCOPE", "workspace"],
      ["WORKSPACE_OUT_OF_SCOPE", "no workspace"],
      ["CLASSIFICATION_ABOVE_CEILING", "classification"],
    ])("refuses with %s (%s), writing nothing", async (rule, what) => {
      let contract = target;
      let file: ProjectFile;
      switch (what) {
        case "retired":
          contract = await contractIn(target.projectId, { status: "retired" });
          file = await fitting();
          break;
        case "other project":
          file = await fitting({ projectId: randomUUID() });
          break;
        case "representation":
          file = await fitting({ representationType: "thumbnail" });
          break;
        case "workspace":
          file = await fitting({ workspaceId: randomUUID() });
          break;
        case "no workspace":
          file = await fitting({ workspaceId: null });
          break;
        default:
          file = await fitting({ dataClassification: "restricted" });
      }
      const r = await refused(() => assign(file.id, contract.id));
      expect(r).toMatchObject({ __typename: "ContractViolationError", code: rule, rule, contractId: contract.id });
      expect(r.message).toContain(contract.id);
    });

    it("an unknown or deleted file, or an unknown contract, is a NotFoundError naming the argument", async () => {
      const gone = await fitting({ deletedAt: new Date() });
      const unknown = randomUUID();
      expect(await refused(() => assign(gone.id, target.id))).toMatchObject({
        __typename: "NotFoundError",
        entity: "ProjectFile",
        id: gone.id,
        path: ["fileId"],
      });
      expect(await refused(() => assign(unknown, target.id))).toMatchObject({
        __typename: "NotFoundError",
        entity: "ProjectFile",
        path: ["fileId"],
      });
      const f = await fitting();
      expect(await refused(() => assign(f.id, unknown))).toMatchObject({
        __typename: "NotFoundError",
        entity: "BoundaryContract",
        id: unknown,
        path: ["contractId"],
      });
    });

    it("the contract's counts follow the assignment", async () => {
      const c = await contractIn(target.projectId);
      const f = await fitting();
      const count = async () =>
        (
          await t.ok<{ contract: { fileCount: number } }>("query($id: UUID!) { contract(id: $id) { fileCount } }", {
            id: c.id,
          })
        ).contract.fileCount;
      expect(await count()).toBe(0);
      expect((await assign(f.id, c.id)).file?.boundaryContract?.fileCount).toBe(1);
      expect(await count()).toBe(1);
    });
  });
});
