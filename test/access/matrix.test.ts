// The access matrix: every access level × classification × kind of caller, through the HTTP layer
// with real tokens. What each caller may see and change is computed here by `mayRead`/`mayWrite`,
// a restatement of the rules in README.md ("Access") written independently of src/domain/access.ts,
// and every read and write is checked against it: the file itself, lists and their counts, contract
// counts, lineage walks (hidden files as redacted nodes), cursors, and the errors of refused writes,
// which must look exactly like those for files that do not exist and must change nothing.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataBoundaryContract, ProjectFile } from "../../src/generated/prisma/client.ts";
import { type GraphQLResponse, type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { snapshot } from "../helpers/snapshot.ts";
import { authEnv, signToken } from "../helpers/tokens.ts";

const LEVELS = ["public", "internal", "workspace", "private"] as const;
const CLASSES = ["public", "internal", "confidential", "restricted"] as const;
type Level = (typeof LEVELS)[number];
type Class = (typeof CLASSES)[number];

const P = randomUUID(); // the project
const P2 = randomUUID(); // another project
const W = randomUUID(); // the files' workspace
const W2 = randomUUID(); // another workspace

interface Claims {
  sub: string;
  groups?: string[];
  workspaces?: string[];
  clearance?: Class;
  roles?: string[];
}

/** The kinds of caller; null is anonymous (no token). */
const CALLERS: Record<string, Claims | null> = {
  anonymous: null,
  member: { sub: "member", workspaces: [W], clearance: "restricted" },
  nonMember: { sub: "outsider", workspaces: [W2], clearance: "restricted" },
  listedReader: { sub: "reader", groups: ["readers"], clearance: "restricted" },
  listedWriter: { sub: "writer", workspaces: [W], clearance: "restricted" },
  admin: { sub: "root", roles: ["admin"] },
  lowClearance: { sub: "intern", workspaces: [W], groups: ["readers"], clearance: "internal" },
  creator: { sub: "owner", clearance: "restricted" },
  contractAdmin: { sub: "steward", roles: [`contract-admin:${P}`], clearance: "internal" },
};

/** Every file of the matrix is created by "owner" in workspace W, with these permissions. */
const PERMISSIONS = { read: ["group:readers", "user:writer"], write: ["user:writer"] };

const rank = (c: Class) => CLASSES.indexOf(c);

function mayRead(caller: Claims | null, file: { level: Level; cls: Class; workspace?: string }): boolean {
  if (caller?.roles?.includes("admin")) return true;
  if (rank(file.cls) > rank(caller?.clearance ?? "public")) return false;
  switch (file.level) {
    case "public":
      return true;
    case "internal":
      return caller !== null;
    case "workspace":
      return caller?.workspaces?.includes(file.workspace ?? W) ?? false;
    case "private":
      return caller?.sub === "owner" || caller?.sub === "writer" || (caller?.groups?.includes("readers") ?? false);
  }
}

function mayWrite(caller: Claims | null, file: { level: Level; cls: Class }): boolean {
  if (!mayRead(caller, file)) return false;
  return caller?.roles?.includes("admin") === true || caller?.sub === "owner" || caller?.sub === "writer";
}

/** What a write on the file should return: success, a NotFoundError (hidden = missing), or a ForbiddenError. */
function expectedWrite(caller: Claims | null, file: { level: Level; cls: Class }, extra = true): string {
  if (caller === null) return "ForbiddenError"; // every mutation needs a signed-in caller
  if (!mayRead(caller, file)) return "NotFoundError";
  return mayWrite(caller, file) && extra ? "Success" : "ForbiddenError";
}

interface Cell {
  level: Level;
  cls: Class;
  file: ProjectFile;
}

let t: TestApp;
let contract: DataBoundaryContract;
const tokens: Record<string, string | undefined> = {};

async function buildMatrix(): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const level of LEVELS) {
    for (const cls of CLASSES) {
      const file = await buildFile(t.prisma, {
        projectId: P,
        workspaceId: W,
        accessLevel: level,
        dataClassification: cls,
        createdBy: "owner",
        permissions: PERMISSIONS,
        boundaryContractId: contract.id,
        uiName: `${level}-${cls}.csv`,
      });
      cells.push({ level, cls, file });
    }
  }
  return cells;
}

const as = (name: string) => {
  const token = tokens[name];
  return token ? { token } : {};
};

/** The parts of an error a client sees, with `id` put in place of the file id it names. */
function errorShape(outcome: Record<string, unknown>, id: string): string {
  return JSON.stringify(outcome).replaceAll(id, "<id>");
}

beforeAll(async () => {
  t = await testApp(authEnv);
  contract = await buildContract(t.prisma, {
    projectId: P,
    name: "matrix",
    isDefault: true,
    maxDataClassification: "restricted",
  });
  for (const [name, claims] of Object.entries(CALLERS)) {
    tokens[name] = claims ? await signToken({ ...claims }) : undefined;
  }
}, 60_000);
afterAll(() => t?.close());

describe.each(Object.keys(CALLERS))("as %s", (name) => {
  const caller = CALLERS[name] ?? null;
  let cells: Cell[];

  beforeAll(async () => {
    // Each caller gets its own project's worth of files, so that writes of one do not affect another.
    await t.prisma.projectFile.deleteMany({ where: { projectId: P } });
    cells = await buildMatrix();
  });

  it("file(id): exactly the files the rules admit; a hidden one is indistinguishable from a missing one", async () => {
    const missing = randomUUID();
    const fields = cells.map((c, i) => `f${i}: file(id: "${c.file.id}") { id uiName }`).join("\n");
    const r = await t.gql<Record<string, { id: string } | null>>(
      `{ ${fields}\n missing: file(id: "${missing}") { id uiName } }`,
      {},
      as(name),
    );
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
    cells.forEach((c, i) => {
      const expected = mayRead(caller, c);
      expect(r.data?.[`f${i}`] ?? null, `${c.level}/${c.cls}`).toEqual(
        expected ? { id: c.file.id, uiName: c.file.uiName } : null,
      );
    });
    expect(r.data?.missing).toBeNull();
  });

  it("files, totalCount and contract counts hold only what may be read", async () => {
    const visible = cells.filter((c) => mayRead(caller, c)).map((c) => c.file.id);
    const r = await t.gql<{
      files: { totalCount: number; edges: { node: { id: string } }[] };
      contract: { fileCount: number; files: { totalCount: number; edges: { node: { id: string } }[] } };
    }>(
      `query($p: UUID!, $c: UUID!) {
        files(filter: { projectId: $p }, first: 100) { totalCount edges { node { id } } }
        contract(id: $c) { fileCount files(first: 100) { totalCount edges { node { id } } } } }`,
      { p: P, c: contract.id },
      as(name),
    );
    expect(r.errors).toBeUndefined();
    const ids = (edges: { node: { id: string } }[]) => edges.map((e) => e.node.id).sort();
    expect(ids(r.data?.files.edges ?? [])).toEqual([...visible].sort());
    expect(r.data?.files.totalCount).toBe(visible.length);
    expect(ids(r.data?.contract.files.edges ?? [])).toEqual([...visible].sort());
    expect(r.data?.contract.files.totalCount).toBe(visible.length);
    expect(r.data?.contract.fileCount).toBe(visible.length);
  });

  it("a cursor forged from a hidden file is refused exactly like one from a missing file", async () => {
    const hidden = cells.find((c) => !mayRead(caller, c));
    const shown = cells.find((c) => mayRead(caller, c));
    if (!hidden || !shown) return; // admins see everything; nobody sees nothing (public/public)
    const page = await t.gql<{ files: { pageInfo: { endCursor: string } } }>(
      `query($p: UUID!) { files(filter: { projectId: $p }, first: 1) { pageInfo { endCursor } } }`,
      { p: P },
      as(name),
    );
    const cursor = page.data?.files.pageInfo.endCursor ?? "";
    const decoded = Buffer.from(cursor, "base64").toString("utf8");
    const visibleId = decoded.match(/[0-9a-f-]{36}/)?.[0] ?? "";
    expect(visibleId).not.toBe("");
    const forge = (id: string) => Buffer.from(decoded.replace(visibleId, id)).toString("base64");
    const q = `query($p: UUID!, $after: String) { files(filter: { projectId: $p }, after: $after) { edges { node { id } } } }`;
    const fromHidden = await t.gql(q, { p: P, after: forge(hidden.file.id) }, as(name));
    const fromMissing = await t.gql(q, { p: P, after: forge(randomUUID()) }, as(name));
    expect(fromHidden.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(fromHidden.errors?.[0]?.message).toBe(fromMissing.errors?.[0]?.message);
    expect(fromHidden.data).toEqual(fromMissing.data);
    // the same for a list of files under another row: a contract's files
    const q2 = `query($c: UUID!, $after: String) { contract(id: $c) { files(after: $after) { edges { node { id } } } } }`;
    const underHidden = await t.gql(q2, { c: contract.id, after: forge(hidden.file.id) }, as(name));
    const underMissing = await t.gql(q2, { c: contract.id, after: forge(randomUUID()) }, as(name));
    expect(underHidden.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(underHidden.errors?.[0]?.message).toBe(underMissing.errors?.[0]?.message);
    expect(underHidden.data).toEqual(underMissing.data);
    // and a cursor of a file the caller may see still pages
    const fromShown = await t.gql(q2, { c: contract.id, after: forge(shown.file.id) }, as(name));
    expect(fromShown.errors).toBeUndefined();
  });

  const OUTCOME = `__typename ... on Error { code message } ... on NotFoundError { entity id path }`;
  const mutations = {
    updateProcessingStatus: (id: string) => ({
      query: `mutation($id: UUID!) { updateProcessingStatus(input: { fileId: $id, status: PROCESSING }) { ${OUTCOME} } }`,
      vars: { id },
    }),
    registerFile: (id: string) => ({
      query: `mutation($id: UUID!) { registerFile(input: { parentId: $id, uiName: "derived.parquet", filePath: "/d/${randomUUID()}" }) { ${OUTCOME} } }`,
      vars: { id },
    }),
    registerMaterialization: (id: string) => ({
      query: `mutation($id: UUID!) { registerMaterialization(input: { sourceFileId: $id, representationType: "parquet", filePath: "/m/${randomUUID()}" }) { ${OUTCOME} } }`,
      vars: { id },
    }),
    deleteFile: (id: string) => ({
      query: `mutation($id: UUID!) { deleteFile(id: $id, cascade: true) { ${OUTCOME} } }`,
      vars: { id },
    }),
  };

  it.each(Object.keys(mutations) as (keyof typeof mutations)[])(
    "%s: succeeds exactly where the rules allow; a refusal changes nothing and a hidden file looks missing",
    async (mutation) => {
      const missing = randomUUID();
      const missingRun = mutations[mutation](missing);
      const onMissing = await t.gql<Record<string, Record<string, unknown>>>(
        missingRun.query,
        missingRun.vars,
        as(name),
      );
      const missingOutcome = onMissing.data?.[mutation] ?? {};
      for (const cell of cells) {
        // a materialization also needs membership of its workspace (the source's, W)
        const extra =
          mutation !== "registerMaterialization" ||
          caller?.roles?.includes("admin") === true ||
          caller?.workspaces?.includes(W) === true;
        const expected = expectedWrite(caller, cell, extra);
        const run = mutations[mutation](cell.file.id);
        const before = expected === "Success" ? null : await snapshot(t.prisma);
        const r = await t.gql<Record<string, Record<string, unknown>>>(run.query, run.vars, as(name));
        expect(r.status).toBe(200);
        expect(r.errors, `${cell.level}/${cell.cls}`).toBeUndefined();
        const outcome = r.data?.[mutation] ?? {};
        const typename = String(outcome.__typename);
        const succeeded = typename.endsWith("Success") || typename === "DeletedFiles";
        expect(succeeded ? "Success" : typename, `${mutation} on ${cell.level}/${cell.cls}`).toBe(expected);
        if (before !== null) expect(await snapshot(t.prisma)).toBe(before);
        if (expected === "NotFoundError") {
          // the same answer, word for word, as for a file that does not exist
          expect(errorShape(outcome, cell.file.id)).toBe(errorShape(missingOutcome, missing));
        }
      }
    },
  );

  it("contract changes: only an admin or the project's contract-admin", async () => {
    const allowed = caller?.roles?.includes("admin") || caller?.roles?.includes(`contract-admin:${P}`);
    const create = `mutation($p: UUID!, $name: String!) { createBoundaryContract(input: { projectId: $p, name: $name }) { __typename ... on Error { code message } } }`;
    for (const [project, ok] of [
      [P, allowed],
      [P2, caller?.roles?.includes("admin")],
    ] as const) {
      const before = ok ? null : await snapshot(t.prisma);
      const r = await t.gql<{ createBoundaryContract: { __typename: string } }>(
        create,
        { p: project, name: `by ${name} ${randomUUID()}` },
        as(name),
      );
      expect(r.data?.createBoundaryContract.__typename).toBe(ok ? "CreateBoundaryContractSuccess" : "ForbiddenError");
      if (before !== null) expect(await snapshot(t.prisma)).toBe(before);
    }
    const before = allowed ? null : await snapshot(t.prisma);
    const update = await t.gql<{ updateBoundaryContract: { __typename: string } }>(
      `mutation($id: UUID!) { updateBoundaryContract(id: $id, input: { description: "changed" }) { ${OUTCOME} } }`,
      { id: contract.id },
      as(name),
    );
    expect(update.data?.updateBoundaryContract.__typename).toBe(
      allowed ? "UpdateBoundaryContractSuccess" : "ForbiddenError",
    );
    if (before !== null) expect(await snapshot(t.prisma)).toBe(before);
  });
});

describe("lineage through a hidden file", () => {
  // R (public) → H (workspace W2: hidden from everyone outside W2) → L (public)
  let R: ProjectFile;
  let H: ProjectFile;
  let L: ProjectFile;
  const outsider = "nonMember"; // member of W2: sees H
  const member = "member"; // member of W only: H is hidden

  beforeAll(async () => {
    const common = { projectId: P2, dataClassification: "public", createdBy: "owner", permissions: {} } as const;
    R = await buildFile(t.prisma, { ...common, accessLevel: "public" });
    H = await buildFile(t.prisma, { ...common, parent: R, accessLevel: "workspace", workspaceId: W2 });
    L = await buildFile(t.prisma, { ...common, parent: H, accessLevel: "public" });
  });

  const WALK = `query($id: UUID!, $dir: LineageDirection) { lineage(fileId: $id, direction: $dir) {
    totalCount edges { node { id depth distance parentId file { id uiName filePath metadata } } } } }`;

  it("keeps the tree's shape: the hidden file is a node with its id and position, and nothing else", async () => {
    for (const name of [member, "anonymous"]) {
      const r = await t.gql<{
        lineage: { totalCount: number; edges: { node: Record<string, unknown> }[] };
      }>(WALK, { id: R.id, dir: "DOWN" }, as(name));
      expect(r.errors).toBeUndefined();
      expect(r.data?.lineage.totalCount).toBe(3);
      expect(r.data?.lineage.edges.map((e) => e.node)).toEqual([
        { id: R.id, depth: 0, distance: 0, parentId: null, file: expect.objectContaining({ id: R.id }) },
        // redacted: the id and position only (the decision in README.md: a hidden ancestor's id is shown)
        { id: H.id, depth: 1, distance: 1, parentId: R.id, file: null },
        { id: L.id, depth: 2, distance: 2, parentId: H.id, file: expect.objectContaining({ id: L.id }) },
      ]);
      // nothing of H's content anywhere in the response
      const body = JSON.stringify(r.data);
      for (const secret of [H.uiName, H.filePath]) expect(body).not.toContain(secret);
    }
  });

  it("ancestors and descendants redact the same way; parent is null while parentId names it", async () => {
    const q = `query($l: UUID!, $r: UUID!) {
      leaf: file(id: $l) { parentId parent { id } ancestors { id depth distance file { id } } }
      root: file(id: $r) { descendants { totalCount edges { node { id depth file { id } } } } } }`;
    const r = await t.gql<{
      leaf: { parentId: string; parent: unknown; ancestors: unknown[] };
      root: { descendants: { totalCount: number; edges: { node: unknown }[] } };
    }>(q, { l: L.id, r: R.id }, as(member));
    expect(r.errors).toBeUndefined();
    expect(r.data?.leaf).toEqual({
      parentId: H.id,
      parent: null,
      ancestors: [
        { id: R.id, depth: 0, distance: -2, file: { id: R.id } },
        { id: H.id, depth: 1, distance: -1, file: null },
      ],
    });
    expect(r.data?.root.descendants).toEqual({
      totalCount: 2,
      edges: [{ node: { id: H.id, depth: 1, file: null } }, { node: { id: L.id, depth: 2, file: { id: L.id } } }],
    });
  });

  it("a walk cannot start at a hidden file (null, as for a missing one); a member of its workspace sees it all", async () => {
    const hidden = await t.gql<{ lineage: unknown }>(WALK, { id: H.id, dir: "BOTH" }, as(member));
    const missing = await t.gql<{ lineage: unknown }>(WALK, { id: randomUUID(), dir: "BOTH" }, as(member));
    expect(hidden.data).toEqual({ lineage: null });
    expect(hidden.errors).toEqual(missing.errors);

    const seen = await t.gql<{ lineage: { edges: { node: { file: { id: string } | null } }[] } }>(
      WALK,
      { id: H.id, dir: "BOTH" },
      as(outsider),
    );
    expect(seen.data?.lineage.edges.map((e) => e.node.file?.id)).toEqual([R.id, H.id, L.id]);
  });

  it("children and their counts leave the hidden child out", async () => {
    const r = await t.gql<{ file: { children: { totalCount: number; edges: unknown[] } } }>(
      `query($id: UUID!) { file(id: $id) { children { totalCount edges { node { id } } } } }`,
      { id: R.id },
      as(member),
    );
    expect(r.data?.file.children).toEqual({ totalCount: 0, edges: [] });
  });
});

describe("responses carry no trace of the rules' inputs", () => {
  it("an anonymous response is the same for a hidden and a missing file, header for header", async () => {
    const hidden = await buildFile(t.prisma, { accessLevel: "internal", dataClassification: "public" });
    const ask = (id: string) => t.gql<GraphQLResponse>(`query($id: UUID!) { file(id: $id) { id } }`, { id });
    const [a, b] = [await ask(hidden.id), await ask(randomUUID())];
    expect(a.status).toBe(b.status);
    expect(a.data).toEqual(b.data);
    expect(a.errors).toEqual(b.errors);
  });
});

describe("registering a root file", () => {
  const REGISTER = `mutation($input: RegisterFileInput!) { registerFile(input: $input) {
    __typename ... on Error { code message } ... on RegisterFileSuccess { file { id createdBy } } } }`;
  const root = (extra: Record<string, unknown>) => ({
    projectId: P2,
    uiName: "new.csv",
    filePath: `/r/${randomUUID()}`,
    ...extra,
  });

  it("any signed-in caller may, as its creator; anonymous may not", async () => {
    const r = await t.gql<{ registerFile: { __typename: string; file?: { createdBy: string } } }>(
      REGISTER,
      { input: root({ accessLevel: "PRIVATE", dataClassification: "INTERNAL" }) },
      as("listedReader"),
    );
    expect(r.data?.registerFile).toMatchObject({ __typename: "RegisterFileSuccess", file: { createdBy: "reader" } });
    const before = await snapshot(t.prisma);
    const anonymous = await t.gql<{ registerFile: { __typename: string } }>(REGISTER, { input: root({}) });
    expect(anonymous.data?.registerFile.__typename).toBe("ForbiddenError");
    expect(await snapshot(t.prisma)).toBe(before);
  });

  it.each([
    ["a workspace the caller is not a member of", { workspaceId: W2, accessLevel: "WORKSPACE" }],
    ["a classification above the caller's clearance", { dataClassification: "CONFIDENTIAL" }],
    ["an access level that would hide the file from its maker", { accessLevel: "WORKSPACE" }],
  ])("refuses %s with a ForbiddenError, writing nothing", async (_label, extra) => {
    const before = await snapshot(t.prisma);
    const r = await t.gql<{ registerFile: { __typename: string; message: string } }>(
      REGISTER,
      { input: root(extra) },
      as("lowClearance"), // member of W, clearance internal
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.registerFile.__typename).toBe("ForbiddenError");
    expect(await snapshot(t.prisma)).toBe(before);
  });
});
