// The example client (examples/client, generated from schema.graphql) against the real API: its
// requests go through the app's yoga.fetch, with bearer tokens, on a fresh migrated database.
// What it shows a client team works: paging a list, walking a lineage tree page by page, and
// telling apart every way a materialization is refused.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  createClient,
  listFiles,
  type Materialization,
  RequestError,
  registerMaterialization,
  walkLineage,
} from "../../examples/client/src/index.ts";
import type { DataBoundaryContract, ProjectFile } from "../../src/generated/prisma/client.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { authEnv, signToken } from "../helpers/tokens.ts";

const ENDPOINT = "http://fms.test/graphql";
const PROJECT = randomUUID();
const WORKSPACE = randomUUID();
/** Creates the files below and may change them. */
const OWNER = { sub: "owner", workspaces: [WORKSPACE], clearance: "restricted" };
/** A member of the workspace who may read the files but not change them. */
const READER = { sub: "reader", workspaces: [WORKSPACE], clearance: "confidential" };

let t: TestApp;
let owner: Client;
let reader: Client;

/** The example client, sending its requests to the test app (no socket) with a token for `claims`. */
const clientFor = async (claims: Record<string, unknown>) =>
  createClient({
    endpoint: ENDPOINT,
    token: await signToken(claims),
    fetch: async (url, init) => t.app.fetch(url, init),
  });

/** A file of the project, created by OWNER in the workspace, readable by its members. */
const file = (overrides: Parameters<typeof buildFile>[1] = {}) =>
  buildFile(t.prisma, {
    projectId: PROJECT,
    workspaceId: WORKSPACE,
    accessLevel: "workspace",
    createdBy: OWNER.sub,
    ...overrides,
  });

beforeAll(async () => {
  t = await testApp(authEnv);
  owner = await clientFor(OWNER);
  reader = await clientFor(READER);
});
afterAll(() => t?.close());

describe("listFiles", () => {
  it("pages through a filtered list: every matching file once, in order, with the total", async () => {
    const tag = `report-${randomUUID().slice(0, 8)}`;
    for (const i of [3, 0, 4, 1, 2]) await file({ uiName: `${tag}-${i}.csv` });
    await file({ uiName: "unrelated.csv" });

    const names: string[] = [];
    let after: string | null = null;
    let requests = 0;
    do {
      const page = await listFiles(owner, {
        filter: { projectId: PROJECT, search: tag },
        orderBy: { field: "NAME" },
        first: 2,
        after,
      });
      expect(page.totalCount).toBe(5);
      names.push(...page.files.map((f) => f.uiName));
      after = page.next;
      requests++;
    } while (after !== null);

    expect(requests).toBe(3);
    expect(names).toEqual([0, 1, 2, 3, 4].map((i) => `${tag}-${i}.csv`));
  });

  it("reports a request the API refuses as a RequestError with the server's code and request id", async () => {
    const tooMany = await listFiles(owner, { first: t.config.pageSize.max + 1 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(RequestError);
    expect(tooMany).toMatchObject({
      errors: [{ extensions: { code: "BAD_USER_INPUT" } }],
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    const expired = await clientFor({ ...OWNER, exp: Math.floor(Date.now() / 1000) - 3600 });
    const refused = await listFiles(expired).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RequestError);
    expect(refused).toMatchObject({ status: 401, errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
  });
});

describe("walkLineage", () => {
  it("follows endCursor page by page and collects every node of the tree exactly once", async () => {
    // root -> 3 children -> 2 grandchildren each: 10 nodes; one grandchild is another user's
    // private file, which the walk still places (redacted) without revealing it.
    const root = await file({ uiName: "root.csv" });
    const tree: ProjectFile[] = [root];
    let hidden: ProjectFile | undefined;
    for (let c = 0; c < 3; c++) {
      const child = await file({ parent: root, uiName: `child-${c}.parquet` });
      tree.push(child);
      for (let g = 0; g < 2; g++) {
        const secret = c === 2 && g === 1;
        const grandchild = await file({
          parent: child,
          uiName: secret ? "secret.parquet" : `grandchild-${c}-${g}.parquet`,
          ...(secret ? { accessLevel: "private", createdBy: "someone-else" } : {}),
        });
        if (secret) hidden = grandchild;
        tree.push(grandchild);
      }
    }

    const walk = await walkLineage(owner, root.id, { pageSize: 3 });
    if (!walk) throw new Error("the root is visible to its owner");
    expect(walk.pages).toBe(4); // 3 + 3 + 3 + 1
    expect(walk.totalCount).toBe(10);
    const ids = walk.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(tree.map((f) => f.id).sort());
    // by depth, then id: the order the cursors follow
    const byDepthThenId = [...walk.nodes].sort((a, b) => a.depth - b.depth || (a.id < b.id ? -1 : 1));
    expect(ids).toEqual(byDepthThenId.map((n) => n.id));

    for (const node of walk.nodes) {
      const row = tree.find((f) => f.id === node.id);
      expect(node).toMatchObject({
        depth: row?.lineageDepth,
        distance: row?.lineageDepth,
        parentId: row?.parentFileId,
      });
      if (node.id === hidden?.id) expect(node.file).toBeNull();
      else expect(node.file?.uiName).toBe(row?.uiName);
    }
    expect(JSON.stringify(walk)).not.toContain("secret.parquet");
  });

  it("is null for a file that does not exist", async () => {
    expect(await walkLineage(owner, randomUUID(), { pageSize: 3 })).toBeNull();
  });
});

describe("registerMaterialization", () => {
  let contract: DataBoundaryContract;
  let source: ProjectFile;
  let made: Materialization;
  const key = `export-${randomUUID()}`;
  const input = () => ({
    sourceFileId: source.id,
    representationType: "parquet",
    filePath: `/exports/${randomUUID()}.parquet`,
  });

  beforeAll(async () => {
    contract = await buildContract(t.prisma, {
      projectId: PROJECT,
      name: "exports",
      allowedRepresentationTypes: ["parquet", "preview"],
      maxDataClassification: "confidential",
      scope: { workspace_ids: [WORKSPACE] },
    });
    source = await file({
      uiName: "measurements.csv",
      boundaryContractId: contract.id,
      dataClassification: "internal",
    });
  });

  it("registers it under the source's contract, and a retry with the same key returns the same file", async () => {
    const request = { ...input(), sessionId: "session-1", idempotencyKey: key };
    const outcome = await registerMaterialization(owner, request);
    if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.refusal)}`);
    made = outcome.file;
    expect(made).toMatchObject({
      uiName: "measurements.csv (parquet)",
      parentId: source.id,
      rootId: source.id,
      lineageDepth: 1,
      representationType: "parquet",
      dataClassification: "INTERNAL",
      boundaryContract: { id: contract.id, name: "exports" },
      materializationScope: { workspaceId: WORKSPACE, sessionId: "session-1", materializedBy: "owner" },
    });
    expect(await registerMaterialization(owner, request)).toEqual({ ok: true, file: made });
  });

  it("tells apart each kind of refusal, with what the client needs to act on it, and writes nothing", async () => {
    const before = await listFiles(owner, { filter: { rootId: source.id } });

    expect(await registerMaterialization(owner, { ...input(), representationType: "embedding" })).toEqual({
      ok: false,
      refusal: {
        kind: "contract",
        code: "REPRESENTATION_NOT_ALLOWED",
        rule: "REPRESENTATION_NOT_ALLOWED",
        contractId: contract.id,
        message: expect.stringContaining("embedding"),
      },
    });
    expect(await registerMaterialization(owner, { ...input(), dataClassification: "RESTRICTED" })).toMatchObject({
      refusal: { kind: "contract", rule: "CLASSIFICATION_ABOVE_CEILING" },
    });
    expect(await registerMaterialization(owner, { ...input(), representationType: " " })).toEqual({
      ok: false,
      refusal: {
        kind: "invalid",
        code: "INVALID_INPUT",
        message: expect.any(String),
        issues: [{ field: "input.representationType", message: expect.any(String) }],
      },
    });
    expect(await registerMaterialization(owner, { ...input(), sourceFileId: randomUUID() })).toEqual({
      ok: false,
      refusal: {
        kind: "not-found",
        code: "NOT_FOUND",
        message: expect.any(String),
        entity: "ProjectFile",
        field: "input.sourceFileId",
      },
    });
    expect(await registerMaterialization(reader, input())).toEqual({
      ok: false,
      refusal: { kind: "forbidden", code: "FORBIDDEN", message: expect.any(String) },
    });
    expect(
      await registerMaterialization(owner, { ...input(), representationType: "preview", idempotencyKey: key }),
    ).toEqual({
      ok: false,
      refusal: {
        kind: "conflict",
        code: "IDEMPOTENCY_KEY_REUSED",
        message: expect.stringContaining(key),
        reason: "IDEMPOTENCY_KEY_REUSED",
        conflictingIds: [made.id],
        retryable: false,
      },
    });

    expect(await listFiles(owner, { filter: { rootId: source.id } })).toEqual(before);
  });
});
