// The processing state machine on its own: no database, no GraphQL.
import { describe, expect, it } from "vitest";
import { InvalidTransitionError, ValidationError } from "../../src/domain/errors.ts";
import {
  allowedNext,
  canTransition,
  PROCESSING_TRANSITIONS,
  planTransition,
  validateUpdateProcessingStatus,
} from "../../src/domain/processing.ts";
import { PROCESSING_STATUSES } from "../../src/domain/vocabulary.ts";

const NOW = new Date("2025-01-02T03:04:05.678Z");

function issuesOf(fn: () => void): { path: string[]; message: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  return [];
}

describe("the transition table", () => {
  it("has an entry for every status, naming only statuses, never the status itself", () => {
    expect(Object.keys(PROCESSING_TRANSITIONS).sort()).toEqual([...PROCESSING_STATUSES].sort());
    for (const from of PROCESSING_STATUSES) {
      for (const to of allowedNext(from)) {
        expect(PROCESSING_STATUSES).toContain(to);
        expect(to).not.toBe(from);
      }
    }
    expect(allowedNext("skipped")).toEqual([]);
    expect(canTransition("pending", "skipped")).toBe(true);
    expect(canTransition("skipped", "processing")).toBe(false);
  });

  it("refuses an illegal move with the statuses that are allowed", () => {
    const error = (() => {
      try {
        planTransition({ status: "pending", attempts: 0, errors: [] }, "completed", null, NOW);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({
      code: "INVALID_TRANSITION",
      from: "pending",
      to: "completed",
      allowed: ["processing", "skipped"],
    });
    expect((error as Error).message).toBe(
      "A file cannot go from pending to completed; from pending it may go to processing, skipped.",
    );
  });
});

describe("planTransition", () => {
  it("→ processing: one more attempt, started now, not completed", () => {
    expect(planTransition({ status: "failed", attempts: 2, errors: [{ code: "X" }] }, "processing", null, NOW)).toEqual(
      {
        processingStatus: "processing",
        processingAttempts: 3,
        processingStartedAt: NOW,
        processingCompletedAt: null,
      },
    );
  });

  it("→ completed | skipped: completed now, nothing else", () => {
    expect(planTransition({ status: "processing", attempts: 1, errors: [] }, "completed", null, NOW)).toEqual({
      processingStatus: "completed",
      processingCompletedAt: NOW,
    });
    expect(planTransition({ status: "pending", attempts: 0, errors: [] }, "skipped", null, NOW)).toEqual({
      processingStatus: "skipped",
      processingCompletedAt: NOW,
    });
  });

  it("→ failed: appends the error with the current attempt, keeping what was there", () => {
    const earlier = [{ code: "A", message: "a", at: "2024-01-01T00:00:00.000Z", attempt: 1 }];
    const change = planTransition(
      { status: "processing", attempts: 2, errors: earlier },
      "failed",
      { code: "B", message: "b" },
      NOW,
    );
    expect(change).toEqual({
      processingStatus: "failed",
      processingCompletedAt: NOW,
      processingErrors: [...earlier, { code: "B", message: "b", at: NOW.toISOString(), attempt: 2 }],
    });
    expect(earlier).toHaveLength(1); // the value read is not mutated
  });

  it("→ failed from a legacy row: 0 attempts counts as the first; a non-array value is kept", () => {
    const change = planTransition(
      { status: "processing", attempts: 0, errors: { message: "old" } },
      "failed",
      { code: "B", message: "b" },
      NOW,
    );
    expect(change.processingAttempts).toBe(1);
    expect(change.processingErrors).toEqual([
      { message: "old" },
      { code: "B", message: "b", at: NOW.toISOString(), attempt: 1 },
    ]);
  });
});

describe("validateUpdateProcessingStatus", () => {
  it("requires an error for failed, and only for failed", () => {
    expect(issuesOf(() => validateUpdateProcessingStatus({ status: "failed" }))).toEqual([
      { path: ["input", "error"], message: expect.stringContaining("required") },
    ]);
    expect(
      issuesOf(() => validateUpdateProcessingStatus({ status: "failed", error: { code: "X", message: "x" } })),
    ).toEqual([]);
    for (const status of PROCESSING_STATUSES.filter((s) => s !== "failed")) {
      expect(issuesOf(() => validateUpdateProcessingStatus({ status }))).toEqual([]);
      expect(issuesOf(() => validateUpdateProcessingStatus({ status, error: { code: "X", message: "x" } }))).toEqual([
        { path: ["input", "error"], message: expect.stringContaining("only accepted") },
      ]);
    }
  });

  it.each([
    ["TIMEOUT", true],
    ["parquet.decode_error", true],
    ["E42", true],
    ["http:503", true],
    ["404", true],
    ["A".repeat(100), true],
    ["A".repeat(101), false],
    ["", false],
    ["two words", false],
    ["_leading", false],
    ["ünïcode", false],
  ])("error code %j is accepted: %s", (code, ok) => {
    const issues = issuesOf(() => validateUpdateProcessingStatus({ status: "failed", error: { code, message: "m" } }));
    expect(issues.map((i) => i.path)).toEqual(ok ? [] : [["input", "error", "code"]]);
  });

  it("the message must not be blank and is at most 4000 characters", () => {
    const paths = (message: string) =>
      issuesOf(() => validateUpdateProcessingStatus({ status: "failed", error: { code: "X", message } })).map(
        (i) => i.path,
      );
    expect(paths(" \n\t")).toEqual([["input", "error", "message"]]);
    expect(paths("m".repeat(4001))).toEqual([["input", "error", "message"]]);
    expect(paths("m".repeat(4000))).toEqual([]);
  });
});
