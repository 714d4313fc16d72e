// updateProcessingStatus over HTTP: every legal move and its effects, every illegal one refused with
// the row untouched, the error rules, missing and deleted files, compare-and-set, and racing workers.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROCESSING_TRANSITIONS } from "../../src/domain/processing.ts";
import { PROCESSING_STATUSES, type ProcessingStatus } from "../../src/domain/vocabulary.ts";
import type { ProjectFile } from "../../src/generated/prisma/client.ts";
import { type MutationOutcome, type TestApp, testApp } from "../helpers/app.ts";
import { backend, waitForLockWait } from "../helpers/db.ts";
import { buildFile } from "../helpers/factories.ts";

// The SPEC's moves, written out here rather than read from the code under test.
const LEGAL: [ProcessingStatus, ProcessingStatus][] = [
  ["pending", "processing"],
  ["pending", "skipped"],
  ["processing", "completed"],
  ["processing", "failed"],
  ["processing", "skipped"],
  ["failed", "processing"],
  ["completed", "processing"],
];
const isLegal = (from: ProcessingStatus, to: ProcessingStatus) => LEGAL.some(([f, t]) => f === from && t === to);
const ILLEGAL = PROCESSING_STATUSES.flatMap((from) =>
  PROCESSING_STATUSES.filter((to) => !isLegal(from, to)).map((to) => [from, to] as const),
);
const allowedFrom = (from: ProcessingStatus) => LEGAL.filter(([f]) => f === from).map(([, to]) => to.toUpperCase());

const MOVE = `mutation($input: UpdateProcessingStatusInput!) {
  updateProcessingStatus(input: $input) {
    __typename
    ... on UpdateProcessingStatusSuccess {
      file {
        id processingStatus processingAttempts processingStartedAt processingCompletedAt updatedAt
        processingErrors { code message at attempt }
      }
    }
    ... on Error { code message }
    ... on InvalidTransitionError { from to allowed }
    ... on ValidationError { issues { path message } }
    ... on NotFoundError { entity id path }
    ... on ConflictError { reason conflictingIds }
  }
}`;

interface MovedFile {
  id: string;
  processingStatus: string;
  processingAttempts: number;
  processingStartedAt: string | null;
  processingCompletedAt: string | null;
  updatedAt: string;
  processingErrors: { code: string; message: string; at: string | null; attempt: number | null }[];
}

interface MoveResult extends MutationOutcome {
  file?: MovedFile;
}

interface MoveInput {
  status: ProcessingStatus;
  error?: { code: string; message: string } | null;
  expectedStatus?: ProcessingStatus;
}

describe("updateProcessingStatus", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  async function move(fileId: string, { status, error, expectedStatus }: MoveInput): Promise<MoveResult> {
    const input: Record<string, unknown> = { fileId, status: status.toUpperCase() };
    if (error !== undefined) input.error = error;
    if (expectedStatus) input.expectedStatus = expectedStatus.toUpperCase();
    const r = await t.gql<{ updateProcessingStatus: MoveResult }>(MOVE, { input });
    expect(r.errors).toBeUndefined();
    const result = r.data?.updateProcessingStatus;
    if (!result) throw new Error(`no result: ${JSON.stringify(r)}`);
    return result;
  }

  /** A move that must succeed; returns the file as the mutation returned it. */
  async function moved(fileId: string, input: MoveInput): Promise<MovedFile> {
    const result = await move(fileId, input);
    expect(result.__typename, JSON.stringify(result)).toBe("UpdateProcessingStatusSuccess");
    if (!result.file) throw new Error("no file");
    return result.file;
  }

  const row = (id: string) => t.prisma.projectFile.findUniqueOrThrow({ where: { id } });

  const failure = (code = "TIMEOUT", message = "the worker timed out") => ({ code, message });

  /** A file in `status`, with the history a file in it would have. */
  function fileIn(status: ProcessingStatus): Promise<ProjectFile> {
    const started = new Date("2024-05-01T10:00:00.000Z");
    const ended = new Date("2024-05-01T10:05:00.000Z");
    switch (status) {
      case "pending":
        return buildFile(t.prisma);
      case "processing":
        return buildFile(t.prisma, { processingStatus: status, processingAttempts: 1, processingStartedAt: started });
      case "completed":
        return buildFile(t.prisma, {
          processingStatus: status,
          processingAttempts: 1,
          processingStartedAt: started,
          processingCompletedAt: ended,
        });
      case "failed":
        return buildFile(t.prisma, {
          processingStatus: status,
          processingAttempts: 1,
          processingStartedAt: started,
          processingCompletedAt: ended,
          processingErrors: [{ code: "OOM", message: "out of memory", at: ended.toISOString(), attempt: 1 }],
        });
      case "skipped":
        return buildFile(t.prisma, { processingStatus: status, processingCompletedAt: ended });
    }
  }

  it("the exported transition table is the SPEC's", () => {
    for (const from of PROCESSING_STATUSES) {
      expect([...PROCESSING_TRANSITIONS[from]].sort(), from).toEqual(
        LEGAL.filter(([f]) => f === from)
          .map(([, to]) => to)
          .sort(),
      );
    }
    expect(ILLEGAL).toHaveLength(25 - LEGAL.length);
  });

  it("pending → processing → completed: counts the attempt and stamps start and end", async () => {
    const file = await buildFile(t.prisma);
    expect(file).toMatchObject({ processingStatus: "pending", processingAttempts: 0, processingStartedAt: null });

    const t0 = Date.now();
    const started = await moved(file.id, { status: "processing" });
    const t1 = Date.now();
    expect(started).toMatchObject({
      id: file.id,
      processingStatus: "PROCESSING",
      processingAttempts: 1,
      processingCompletedAt: null,
      processingErrors: [],
    });
    const startedAt = Date.parse(started.processingStartedAt ?? "");
    expect(startedAt).toBeGreaterThanOrEqual(t0);
    expect(startedAt).toBeLessThanOrEqual(t1);
    expect(Date.parse(started.updatedAt)).toBeGreaterThan(file.updatedAt.getTime() - 1);

    const done = await moved(file.id, { status: "completed" });
    const t2 = Date.now();
    expect(done).toMatchObject({
      processingStatus: "COMPLETED",
      processingAttempts: 1,
      processingStartedAt: started.processingStartedAt,
      processingErrors: [],
    });
    const completedAt = Date.parse(done.processingCompletedAt ?? "");
    expect(completedAt).toBeGreaterThanOrEqual(startedAt);
    expect(completedAt).toBeLessThanOrEqual(t2);

    // what the mutation returned is what was stored
    const stored = await row(file.id);
    expect(stored.processingStatus).toBe("completed");
    expect(stored.processingStartedAt?.toISOString()).toBe(started.processingStartedAt);
    expect(stored.processingCompletedAt?.toISOString()).toBe(done.processingCompletedAt);
  });

  it("pending → skipped: ends without starting; processing → skipped keeps the start", async () => {
    const file = await buildFile(t.prisma);
    const skipped = await moved(file.id, { status: "skipped" });
    expect(skipped).toMatchObject({ processingStatus: "SKIPPED", processingAttempts: 0, processingStartedAt: null });
    expect(skipped.processingCompletedAt).not.toBeNull();

    const busy = await fileIn("processing");
    const skippedLate = await moved(busy.id, { status: "skipped" });
    expect(skippedLate).toMatchObject({
      processingStatus: "SKIPPED",
      processingAttempts: 1,
      processingStartedAt: busy.processingStartedAt?.toISOString(),
      processingErrors: [],
    });
    expect(Date.parse(skippedLate.processingCompletedAt ?? "")).toBeGreaterThan(
      busy.processingStartedAt?.getTime() ?? 0,
    );
  });

  it("retries append each error with its attempt, never replacing earlier ones; a reprocess counts too", async () => {
    const file = await buildFile(t.prisma);
    const first = await moved(file.id, { status: "processing" });
    expect(first.processingAttempts).toBe(1);

    const failed1 = await moved(file.id, { status: "failed", error: failure("TIMEOUT", "timed out after 60 s") });
    expect(failed1).toMatchObject({
      processingStatus: "FAILED",
      processingAttempts: 1,
      processingErrors: [{ code: "TIMEOUT", message: "timed out after 60 s", attempt: 1 }],
    });
    expect(failed1.processingCompletedAt).not.toBeNull();
    expect(failed1.processingErrors[0]?.at).toBe(failed1.processingCompletedAt);

    const retry = await moved(file.id, { status: "processing" });
    expect(retry).toMatchObject({ processingStatus: "PROCESSING", processingAttempts: 2, processingCompletedAt: null });
    expect(Date.parse(retry.processingStartedAt ?? "")).toBeGreaterThanOrEqual(
      Date.parse(first.processingStartedAt ?? ""),
    );
    expect(retry.processingErrors).toHaveLength(1); // a retry clears nothing

    const failed2 = await moved(file.id, { status: "failed", error: failure("PARSE_ERROR", "bad row 17") });
    expect(failed2.processingAttempts).toBe(2);
    expect(failed2.processingErrors).toEqual([
      failed1.processingErrors[0],
      { code: "PARSE_ERROR", message: "bad row 17", at: failed2.processingCompletedAt, attempt: 2 },
    ]);

    await moved(file.id, { status: "processing" });
    const done = await moved(file.id, { status: "completed" });
    expect(done).toMatchObject({ processingStatus: "COMPLETED", processingAttempts: 3 });
    const reprocess = await moved(file.id, { status: "processing" });
    expect(reprocess).toMatchObject({
      processingStatus: "PROCESSING",
      processingAttempts: 4,
      processingCompletedAt: null,
    });
    expect(reprocess.processingErrors.map((e) => e.attempt)).toEqual([1, 2]);

    // read back through file(id), and as stored: the {code, message, at, attempt} entries of the SPEC
    const read = await t.ok<{ file: Pick<MovedFile, "processingAttempts" | "processingErrors"> }>(
      "query($id: UUID!) { file(id: $id) { processingAttempts processingErrors { code message at attempt } } }",
      { id: file.id },
    );
    expect(read.file).toEqual({ processingAttempts: 4, processingErrors: failed2.processingErrors });
    expect((await row(file.id)).processingErrors).toEqual([
      { code: "TIMEOUT", message: "timed out after 60 s", at: failed1.processingCompletedAt, attempt: 1 },
      { code: "PARSE_ERROR", message: "bad row 17", at: failed2.processingCompletedAt, attempt: 2 },
    ]);
  });

  it("keeps errors written by older code, whatever their shape", async () => {
    const legacy = [{ message: "legacy failure" }, "plain text error"];
    const file = await buildFile(t.prisma, {
      processingStatus: "processing",
      processingAttempts: 0, // put into processing by code that did not count attempts
      processingErrors: legacy,
    });
    const failed = await moved(file.id, { status: "failed", error: failure("E_IO", "disk full") });
    expect(failed.processingAttempts).toBe(1);
    const stored = await row(file.id);
    expect(stored.processingErrors).toEqual([
      ...legacy,
      { code: "E_IO", message: "disk full", at: failed.processingCompletedAt, attempt: 1 },
    ]);
    expect(stored.processingAttempts).toBe(1);
  });

  it.each(ILLEGAL)("refuses %s → %s with an InvalidTransitionError and changes nothing", async (from, to) => {
    const file = await fileIn(from);
    const before = await row(file.id);
    const result = await move(file.id, { status: to, error: to === "failed" ? failure() : undefined });
    expect(result).toMatchObject({
      __typename: "InvalidTransitionError",
      code: "INVALID_TRANSITION",
      from: from.toUpperCase(),
      to: to.toUpperCase(),
      allowed: allowedFrom(from),
    });
    expect(result.message).toContain(`from ${from} to ${to}`);
    expect(await row(file.id)).toEqual(before);
  });

  it("requires an error for FAILED and refuses one for any other status", async () => {
    const file = await fileIn("processing");
    const before = await row(file.id);

    for (const error of [undefined, null]) {
      expect(await move(file.id, { status: "failed", error })).toMatchObject({
        __typename: "ValidationError",
        code: "INVALID_INPUT",
        issues: [{ path: ["input", "error"], message: expect.stringContaining("required") }],
      });
    }
    for (const status of ["completed", "skipped", "processing", "pending"] as const) {
      expect(await move(file.id, { status, error: failure() })).toMatchObject({
        __typename: "ValidationError",
        issues: [{ path: ["input", "error"], message: expect.stringContaining("only accepted") }],
      });
    }
    expect(await row(file.id)).toEqual(before);
  });

  it("checks the error's code and message", async () => {
    const file = await fileIn("processing");
    const before = await row(file.id);
    const cases: [{ code: string; message: string }, string[][]][] = [
      [{ code: "", message: "x" }, [["input", "error", "code"]]],
      [{ code: "has spaces", message: "x" }, [["input", "error", "code"]]],
      [{ code: "A".repeat(101), message: "x" }, [["input", "error", "code"]]],
      [{ code: "OK", message: "   " }, [["input", "error", "message"]]],
      [{ code: "OK", message: "m".repeat(4001) }, [["input", "error", "message"]]],
      [
        { code: "-bad", message: "" },
        [
          ["input", "error", "code"],
          ["input", "error", "message"],
        ],
      ],
    ];
    for (const [error, paths] of cases) {
      const result = await move(file.id, { status: "failed", error });
      expect(result.__typename, JSON.stringify(error)).toBe("ValidationError");
      expect(result.issues?.map((i) => i.path)).toEqual(paths);
    }
    expect(await row(file.id)).toEqual(before);

    // the limits themselves are accepted
    const ok = await moved(file.id, { status: "failed", error: { code: "A".repeat(100), message: "m".repeat(4000) } });
    expect(ok.processingErrors[0]).toMatchObject({ code: "A".repeat(100), attempt: 1 });
  });

  it("an unknown or deleted file is a NotFoundError naming input.fileId", async () => {
    const missing = randomUUID();
    expect(await move(missing, { status: "processing" })).toMatchObject({
      __typename: "NotFoundError",
      code: "NOT_FOUND",
      entity: "ProjectFile",
      id: missing,
      path: ["input", "fileId"],
    });

    const deleted = await buildFile(t.prisma, { deletedAt: new Date() });
    const before = await row(deleted.id);
    expect(await move(deleted.id, { status: "processing" })).toMatchObject({
      __typename: "NotFoundError",
      id: deleted.id,
      path: ["input", "fileId"],
    });
    expect(await row(deleted.id)).toEqual(before);
  });

  it("expectedStatus: moves when it matches, and is a CONCURRENT_UPDATE conflict when it does not", async () => {
    const file = await buildFile(t.prisma);
    const before = await row(file.id);
    const stale = await move(file.id, { status: "skipped", expectedStatus: "processing" });
    expect(stale).toMatchObject({
      __typename: "ConflictError",
      code: "CONCURRENT_UPDATE",
      reason: "CONCURRENT_UPDATE",
      conflictingIds: [file.id],
    });
    expect(stale.message).toContain("is pending, not processing");
    expect(await row(file.id)).toEqual(before);

    const ok = await moved(file.id, { status: "processing", expectedStatus: "pending" });
    expect(ok).toMatchObject({ processingStatus: "PROCESSING", processingAttempts: 1 });
  });

  it("of two workers racing to start a file, exactly one wins", async () => {
    for (let round = 0; round < 5; round++) {
      const file = await buildFile(t.prisma);
      const results = await Promise.all([
        move(file.id, { status: "processing" }),
        move(file.id, { status: "processing" }),
      ]);
      const winners = results.filter((r) => r.__typename === "UpdateProcessingStatusSuccess");
      const losers = results.filter((r) => r.__typename !== "UpdateProcessingStatusSuccess");
      expect(winners).toHaveLength(1);
      expect(losers).toEqual([
        expect.objectContaining({
          __typename: "InvalidTransitionError",
          from: "PROCESSING",
          to: "PROCESSING",
          allowed: ["COMPLETED", "FAILED", "SKIPPED"],
        }),
      ]);
      expect(winners[0]?.file?.processingAttempts).toBe(1);
      expect(await row(file.id)).toMatchObject({ processingStatus: "processing", processingAttempts: 1 });
    }
  });

  it("with expectedStatus, the loser of a race gets a CONCURRENT_UPDATE conflict", async () => {
    const file = await buildFile(t.prisma);
    const results = await Promise.all(
      [0, 1].map(() => move(file.id, { status: "processing", expectedStatus: "pending" })),
    );
    expect(results.map((r) => r.__typename).sort()).toEqual(["ConflictError", "UpdateProcessingStatusSuccess"]);
    expect(results.find((r) => r.__typename === "ConflictError")).toMatchObject({ reason: "CONCURRENT_UPDATE" });
    expect((await row(file.id)).processingAttempts).toBe(1);
  });

  it("racing to end a file: completed and failed cannot both happen, and no error is left behind", async () => {
    const file = await fileIn("processing");
    const results = await Promise.all([
      move(file.id, { status: "completed" }),
      move(file.id, { status: "failed", error: failure() }),
    ]);
    const winner = results.find((r) => r.__typename === "UpdateProcessingStatusSuccess");
    const loser = results.find((r) => r.__typename !== "UpdateProcessingStatusSuccess");
    expect(loser).toMatchObject({ __typename: "InvalidTransitionError", from: winner?.file?.processingStatus });
    const stored = await row(file.id);
    expect(stored.processingErrors).toHaveLength(stored.processingStatus === "failed" ? 1 : 0);
  });

  /**
   * Runs `input` on the file while another transaction writes `data` to it and holds its row lock.
   * On PostgreSQL the request reads the row as it was, waits at its conditional UPDATE until the
   * other transaction commits, then matches nothing and reads the row again (the statements show
   * the second read). PGlite runs one transaction at a time: the request simply starts after the
   * commit and reads the row once.
   */
  async function whileLocked(
    fileId: string,
    data: Parameters<TestApp["prisma"]["projectFile"]["update"]>[0]["data"],
    input: MoveInput,
  ): Promise<MoveResult> {
    let request: Promise<MoveResult> | undefined;
    const sql = await t.statements(async () => {
      await t.prisma.$transaction(
        async (tx) => {
          await tx.projectFile.update({ where: { id: fileId }, data });
          request = move(fileId, input);
          if (backend() === "postgres") await waitForLockWait(t.prisma);
        },
        { timeout: 30_000 },
      );
      await request;
    });
    const result = await request;
    if (!result) throw new Error("no request");
    const reads = sql.filter((s) =>
      /^SELECT[\s\S]*"processing_errors"[\s\S]* FROM[\s\S]*"deleted_at" IS NULL\)/.test(s),
    );
    expect(reads).toHaveLength(backend() === "postgres" ? 2 : 1);
    return result;
  }

  it("a move that loses the row to a concurrent one is judged against the state it finds", async () => {
    const file = await buildFile(t.prisma);
    const result = await whileLocked(
      file.id,
      { processingStatus: "processing", processingAttempts: 1, processingStartedAt: new Date() },
      { status: "processing" },
    );
    expect(result).toMatchObject({ __typename: "InvalidTransitionError", from: "PROCESSING", to: "PROCESSING" });
    expect(await row(file.id)).toMatchObject({ processingStatus: "processing", processingAttempts: 1 });
  });

  it("when the file is deleted meanwhile, the move is a NotFoundError", async () => {
    const file = await buildFile(t.prisma);
    const result = await whileLocked(file.id, { deletedAt: new Date() }, { status: "processing" });
    expect(result).toMatchObject({ __typename: "NotFoundError", path: ["input", "fileId"] });
    expect(await row(file.id)).toMatchObject({ processingStatus: "pending", processingAttempts: 0 });
  });

  it("a retry decided on a state that another worker has meanwhile been through is a CONCURRENT_UPDATE", async () => {
    // failed at attempt 1; meanwhile another worker retries and fails again (attempt 2). The move
    // failed → processing is still legal, but it was decided on stale data: on PostgreSQL the
    // request is refused and changes nothing; on PGlite it runs after and is attempt 3.
    const file = await fileIn("failed");
    const result = await whileLocked(file.id, { processingAttempts: 2 }, { status: "processing" });
    if (backend() === "postgres") {
      expect(result).toMatchObject({
        __typename: "ConflictError",
        reason: "CONCURRENT_UPDATE",
        conflictingIds: [file.id],
      });
      expect(await row(file.id)).toMatchObject({ processingStatus: "failed", processingAttempts: 2 });
    } else {
      expect(result.file).toMatchObject({ processingStatus: "PROCESSING", processingAttempts: 3 });
    }
  });

  it("reads, moves and returns the file in a fixed number of statements", async () => {
    const file = await buildFile(t.prisma);
    const sql = await t.statements(() =>
      t.ok(
        `mutation($input: UpdateProcessingStatusInput!) { updateProcessingStatus(input: $input) {
          ... on UpdateProcessingStatusSuccess { file { id processingStatus boundaryContract { id } parent { id } } }
        } }`,
        { input: { fileId: file.id, status: "PROCESSING" } },
      ),
    );
    const dml = sql.filter((s) => /^\s*(SELECT|UPDATE|INSERT|DELETE)/i.test(s));
    // read the row, update it conditionally, return it with its relations joined into the same
    // statement (relationJoins): a relation left to its own resolver would add a re-read of the
    // file per relation
    expect(dml.map((s) => /^\s*(\w+)\s[\s\S]*?"public"\."(\w+)"/.exec(s)?.slice(1).join(" "))).toEqual([
      "SELECT project_files",
      "UPDATE project_files",
      "SELECT project_files",
    ]);
    const read = dml[2] ?? "";
    expect(read).toContain("data_boundary_contracts");
    expect(read).toMatch(/JOIN/i);
  });
});
