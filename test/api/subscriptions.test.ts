// Subscriptions over Server-Sent Events, through yoga.fetch with in-process events: a committed
// status move or materialization reaches the subscribers of its project who may read the file (the
// rule of file(id)), in order; refused writes and idempotent replays send nothing; bad project ids
// and over-limit documents are refused; a stream ends when its token expires.
//
// "Nothing was sent" is shown by order: events reach a subscriber in the order they were
// committed, so when the first event a subscriber receives is a later one, the earlier one was
// not sent to it.
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DataBoundaryContract, ProjectFile } from "../../src/generated/prisma/client.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";
import { type Subscription, subscribe } from "../helpers/sse.ts";
import { authEnv, signToken } from "../helpers/tokens.ts";

const STATUS = `subscription($projectId: UUID!) {
  fileProcessingStatusChanged(projectId: $projectId) {
    file { id projectId processingStatus processingAttempts boundaryContract { id } }
    previousStatus status attempt changedAt
    error { code message attempt at }
  }
}`;

const MATERIALIZATIONS = `subscription($projectId: UUID!) {
  materializationRegistered(projectId: $projectId) {
    materialization { id parentId representationType idempotencyKey workspaceId }
    sourceId source { id uiName }
    contract { id name }
    registeredAt
  }
}`;

const MOVE = `mutation($input: UpdateProcessingStatusInput!) {
  updateProcessingStatus(input: $input) {
    __typename
    ... on UpdateProcessingStatusSuccess { file { id processingStatus } }
    ... on Error { code }
  }
}`;

const REGISTER = `mutation($input: RegisterMaterializationInput!) {
  registerMaterialization(input: $input) {
    __typename
    ... on RegisterMaterializationSuccess { file { id materializationScope { materializedAt } } }
    ... on Error { code }
  }
}`;

interface StatusEvent {
  fileProcessingStatusChanged: {
    file: { id: string; projectId: string; processingStatus: string; processingAttempts: number };
    previousStatus: string;
    status: string;
    attempt: number;
    changedAt: string;
    error: { code: string; message: string; attempt: number; at: string } | null;
  };
}

interface MaterializationEvent {
  materializationRegistered: {
    materialization: { id: string; parentId: string; representationType: string; idempotencyKey: string | null };
    sourceId: string;
    source: { id: string; uiName: string } | null;
    contract: { id: string; name: string };
    registeredAt: string;
  };
}

describe("subscriptions over SSE", () => {
  let t: TestApp;
  const project = randomUUID();
  const otherProject = randomUUID();
  const w1 = randomUUID();
  const w2 = randomUUID();
  let alice: string; // workspaces w1 and w2, clearance confidential: reads every file below
  let bob: string; // workspace w2 only, clearance internal
  let contract: DataBoundaryContract;
  let inW1: ProjectFile; // access level workspace (w1): alice only
  let internal: ProjectFile; // any signed-in caller; only alice (its creator) may change it
  let pub: ProjectFile; // public: anonymous callers too
  let elsewhere: ProjectFile; // another project
  const open: Subscription<unknown>[] = [];

  const url = "http://test/graphql";
  const fetchApp = (u: string, init: RequestInit) => Promise.resolve(t.app.fetch(u, init));
  async function listen<T>(query: string, token?: string, projectId: string = project): Promise<Subscription<T>> {
    const s = await subscribe<T>(fetchApp, url, query, { projectId }, { token });
    open.push(s as Subscription<unknown>);
    return s;
  }
  async function move(token: string, fileId: string, status: string, extra: Record<string, unknown> = {}) {
    const r = await t.ok<{ updateProcessingStatus: { __typename: string; code?: string } }>(
      MOVE,
      { input: { fileId, status, ...extra } },
      { token },
    );
    return r.updateProcessingStatus;
  }
  const file = (overrides: Parameters<typeof buildFile>[1]) =>
    buildFile(t.prisma, { projectId: project, createdBy: "alice", boundaryContractId: contract.id, ...overrides });

  beforeAll(async () => {
    // No clock tolerance, so that a token's expiry is exactly its `exp`.
    t = await testApp({ ...authEnv, AUTH_CLOCK_TOLERANCE_SECONDS: "0" });
    alice = await signToken({ sub: "alice", workspaces: [w1, w2], clearance: "confidential" });
    bob = await signToken({ sub: "bob", workspaces: [w2], clearance: "internal" });
    contract = await buildContract(t.prisma, { projectId: project, name: "live" });
    inW1 = await file({ accessLevel: "workspace", workspaceId: w1 });
    internal = await file({ accessLevel: "internal" });
    pub = await file({ accessLevel: "public", dataClassification: "public" });
    elsewhere = await buildFile(t.prisma, { projectId: otherProject, createdBy: "alice" });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(() => t?.close());

  it("delivers a committed status move to a subscriber of the project, with what changed", async () => {
    const s = await listen<StatusEvent>(STATUS, alice);
    expect(s.response.status).toBe(200);
    expect(s.response.headers.get("content-type")).toContain("text/event-stream");

    expect(await move(alice, internal.id, "PROCESSING")).toMatchObject({ __typename: "UpdateProcessingStatusSuccess" });
    const started = (await s.next()).data?.fileProcessingStatusChanged;
    expect(started).toMatchObject({
      file: { id: internal.id, projectId: project, processingStatus: "PROCESSING", processingAttempts: 1 },
      previousStatus: "PENDING",
      status: "PROCESSING",
      attempt: 1,
      error: null,
    });
    const stamped = await t.prisma.projectFile.findUniqueOrThrow({ where: { id: internal.id } });
    expect(started?.changedAt).toBe(stamped.processingStartedAt?.toISOString());

    await move(alice, internal.id, "FAILED", { error: { code: "TIMEOUT", message: "took too long" } });
    const failed = (await s.next()).data?.fileProcessingStatusChanged;
    expect(failed).toMatchObject({
      previousStatus: "PROCESSING",
      status: "FAILED",
      attempt: 1,
      error: { code: "TIMEOUT", message: "took too long", attempt: 1, at: failed?.changedAt },
      file: { processingStatus: "FAILED" },
    });
  });

  it("reads an event's file once it has committed, in one SQL statement with the relations asked for", async () => {
    const s = await listen<StatusEvent>(STATUS, alice);
    const target = await file({ accessLevel: "internal" });
    const sent = await t.statements(async () => {
      await move(alice, target.id, "PROCESSING");
      expect((await s.next()).data?.fileProcessingStatusChanged.file.id).toBe(target.id);
    });
    const commit = sent.map((sql) => /\bCOMMIT\b/.test(sql)).lastIndexOf(true);
    expect(commit).toBeGreaterThan(0);
    const delivery = sent.slice(commit + 1);
    expect(delivery).toHaveLength(1);
    expect(delivery[0]).toMatch(/data_boundary_contracts/); // boundaryContract, joined
  });

  it("sends each subscriber only its project's events, and only about files it may read", async () => {
    const a = await listen<StatusEvent>(STATUS, alice);
    const b = await listen<StatusEvent>(STATUS, bob);
    const anonymous = await listen<StatusEvent>(STATUS);
    const onOther = await listen<StatusEvent>(STATUS, alice, otherProject);

    await move(alice, elsewhere.id, "PROCESSING"); // another project
    await move(alice, inW1.id, "PROCESSING"); // alice only
    await move(alice, internal.id, "PROCESSING"); // signed-in callers (from FAILED: a retry)
    await move(alice, pub.id, "PROCESSING"); // everyone

    const ids = async (s: Subscription<StatusEvent>, n: number) => {
      const got: string[] = [];
      for (let i = 0; i < n; i++) got.push((await s.next()).data?.fileProcessingStatusChanged.file.id ?? "?");
      return got;
    };
    expect(await ids(a, 3)).toEqual([inW1.id, internal.id, pub.id]);
    expect(await ids(b, 2)).toEqual([internal.id, pub.id]);
    expect(await ids(anonymous, 1)).toEqual([pub.id]);
    expect(await ids(onOther, 1)).toEqual([elsewhere.id]);
  });

  it("sends nothing for a refused write", async () => {
    const s = await listen<StatusEvent>(STATUS, alice);
    const target = await file({ accessLevel: "internal" });
    // bob may read the file but not change it
    expect(await move(bob, target.id, "PROCESSING")).toMatchObject({ code: "FORBIDDEN" });
    // an illegal move
    expect(await move(alice, target.id, "COMPLETED")).toMatchObject({ code: "INVALID_TRANSITION" });
    // compare-and-set against another status
    expect(await move(alice, target.id, "PROCESSING", { expectedStatus: "FAILED" })).toMatchObject({
      code: "CONCURRENT_UPDATE",
    });
    // a file bob may not see, and one that does not exist
    expect(await move(bob, inW1.id, "COMPLETED")).toMatchObject({ code: "NOT_FOUND" });
    expect(await move(alice, randomUUID(), "PROCESSING")).toMatchObject({ code: "NOT_FOUND" });

    await move(alice, target.id, "SKIPPED");
    expect((await s.next()).data?.fileProcessingStatusChanged).toMatchObject({
      file: { id: target.id },
      previousStatus: "PENDING",
      status: "SKIPPED",
    });
  });

  it("delivers a new materialization with its source and contract, once: an idempotent replay sends nothing", async () => {
    const s = await listen<MaterializationEvent>(MATERIALIZATIONS, alice);
    const register = async (idempotencyKey: string, sourceFileId = internal.id, extra = {}) => {
      const r = await t.ok<{ registerMaterialization: { file: { id: string } } }>(
        REGISTER,
        {
          input: {
            sourceFileId,
            representationType: "parquet",
            filePath: `/m/${idempotencyKey}.parquet`,
            idempotencyKey,
            ...extra,
          },
        },
        { token: alice },
      );
      return r.registerMaterialization.file.id;
    };

    const first = await register("k1");
    expect((await s.next()).data?.materializationRegistered).toMatchObject({
      materialization: { id: first, parentId: internal.id, representationType: "parquet", idempotencyKey: "k1" },
      sourceId: internal.id,
      source: { id: internal.id, uiName: internal.uiName },
      contract: { id: contract.id, name: "live" },
    });

    expect(await register("k1")).toBe(first); // the replay returns the first one...
    const second = await register("k2");
    // ...and the next event is the next materialization
    expect((await s.next()).data?.materializationRegistered.materialization.id).toBe(second);
  });

  it("gives a materialization the caller may see from a source it may not see with source null", async () => {
    const a = await listen<MaterializationEvent>(MATERIALIZATIONS, alice);
    const b = await listen<MaterializationEvent>(MATERIALIZATIONS, bob);
    // from inW1 (workspace w1, hidden from bob) into workspace w2 (bob's)
    const r = await t.ok<{ registerMaterialization: { __typename: string; file: { id: string } } }>(
      REGISTER,
      { input: { sourceFileId: inW1.id, representationType: "csv", filePath: "/m/w2.csv", workspaceId: w2 } },
      { token: alice },
    );
    const id = r.registerMaterialization.file.id;
    expect((await a.next()).data?.materializationRegistered).toMatchObject({
      materialization: { id },
      source: { id: inW1.id },
    });
    expect((await b.next()).data?.materializationRegistered).toMatchObject({
      materialization: { id, workspaceId: w2 },
      sourceId: inW1.id,
      source: null,
    });
  });

  it("refuses a malformed project id with the UUID's error", async () => {
    const s = await listen(STATUS, alice, "not-a-uuid");
    const result = await s.next();
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]).toMatchObject({
      message: expect.stringContaining(
        'Variable "$projectId" got invalid value "not-a-uuid"; UUID must be a string like 123e4567-e89b-12d3-a456-426614174000',
      ),
      extensions: { code: "BAD_USER_INPUT" },
    });
    await s.completed();
  });

  it("answers a subscription asked for as JSON with 406 Not Acceptable (a stream needs text/event-stream)", async () => {
    const r = await t.app.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${alice}` },
      body: JSON.stringify({ query: STATUS, variables: { projectId: project } }),
    });
    expect(r.status).toBe(406);
  });

  it("applies the query limits to subscription documents before opening them", async () => {
    const tooComplex = `subscription($projectId: UUID!) {
      fileProcessingStatusChanged(projectId: $projectId) {
        file { children(first: 500) { edges { node { children(first: 500) { edges { node { id } } } } } } }
      }
    }`;
    const s = await listen(tooComplex, alice);
    const result = await s.next();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", max: 50_000 });
    await s.completed();

    const tooLarge = `subscription($projectId: UUID!) {
      fileProcessingStatusChanged(projectId: $projectId) { file { children(first: 501) { totalCount } } }
    }`;
    const page = await (await listen(tooLarge, alice)).next();
    expect(page.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", max: 500 });
  });

  it("ends a stream when the token it was opened with expires", async () => {
    const shortLived = await signToken({ sub: "alice", workspaces: [w1], exp: Math.floor(Date.now() / 1000) + 2 });
    const s = await listen<StatusEvent>(STATUS, shortLived);
    await s.completed(5_000);
  });
});
