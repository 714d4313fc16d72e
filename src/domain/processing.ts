// The processing state machine (SPEC "Processing"): which status may follow which, what each move
// does to the processing columns, and what a worker must send with it. Plain TypeScript: the
// service (src/services/processing.ts) reads and writes the row, the schema maps the errors.
import { ConflictError, InvalidTransitionError } from "./errors.ts";
import * as v from "./validation.ts";
import { PROCESSING_STATUSES, type ProcessingStatus } from "./vocabulary.ts";

/**
 * The legal moves, from each status to the ones that may follow it. Anything not listed is refused,
 * staying in the same status included: a move is an event (it stamps times, counts attempts), so
 * repeating one is a mistake to report, not a no-op.
 */
export const PROCESSING_TRANSITIONS: Readonly<Record<ProcessingStatus, readonly ProcessingStatus[]>> = {
  // skipped straight from pending: a file that needs no processing
  pending: ["processing", "skipped"],
  processing: ["completed", "failed", "skipped"],
  // back to processing: a retry
  failed: ["processing"],
  // back to processing: a reprocess
  completed: ["processing"],
  // final
  skipped: [],
};

/** The statuses a file may move to from `from`, in the order of PROCESSING_STATUSES. */
export function allowedNext(from: ProcessingStatus): readonly ProcessingStatus[] {
  return PROCESSING_TRANSITIONS[from] ?? [];
}

export function canTransition(from: ProcessingStatus, to: ProcessingStatus): boolean {
  return allowedNext(from).includes(to);
}

export function isProcessingStatus(value: string): value is ProcessingStatus {
  return (PROCESSING_STATUSES as readonly string[]).includes(value);
}

/** Throws the InvalidTransitionError for `from → to` unless it is a legal move. */
export function assertTransition(from: ProcessingStatus, to: ProcessingStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, allowedNext(from));
}

/** What a worker reports with a move to failed. */
export interface ReportedError {
  code: string;
  message: string;
}

/** One entry of processing_errors, as stored (JSON). */
export interface StoredProcessingError {
  code: string;
  message: string;
  /** ISO 8601 */
  at: string;
  attempt: number;
}

/** Error codes are short identifiers a worker branches on: TIMEOUT, parquet.decode_error, E42... */
export const ERROR_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
export const MAX_ERROR_MESSAGE = 4000;

export interface UpdateProcessingStatusRequest {
  status: ProcessingStatus;
  error?: ReportedError | null;
}

/**
 * Input checks that need no row: an error is required with a move to failed and refused with any
 * other (it would be dropped silently otherwise), and must be well formed.
 */
export function validateUpdateProcessingStatus(input: UpdateProcessingStatusRequest): void {
  const issues = new v.Issues(["input"]);
  const error = input.error ?? null;
  if (input.status === "failed") {
    issues.check(error !== null, "error", "is required when the status becomes FAILED: say what went wrong");
  } else {
    issues.check(error === null, "error", "is only accepted when the status becomes FAILED");
  }
  if (error) {
    issues.check(
      ERROR_CODE_RE.test(error.code),
      ["error", "code"],
      "must be a short identifier (letters, digits, _ . : -), at most 100 characters, e.g. TIMEOUT",
    );
    issues.check(error.message.trim().length > 0, ["error", "message"], "must not be blank");
    issues.check(
      error.message.length <= MAX_ERROR_MESSAGE,
      ["error", "message"],
      `must be at most ${MAX_ERROR_MESSAGE} characters`,
    );
    issues.check(!error.message.includes("\0"), ["error", "message"], v.NO_NUL);
  }
  issues.throwIfAny();
}

/** The processing columns of a file, as the state machine sees them. */
export interface ProcessingState {
  status: ProcessingStatus;
  attempts: number;
  /** processing_errors as stored: a JSON array (kept as is, whatever its entries look like). */
  errors: unknown;
}

/** The columns a move changes; a column left out keeps its value. */
export interface ProcessingChange {
  processingStatus: ProcessingStatus;
  processingAttempts?: number;
  processingStartedAt?: Date;
  processingCompletedAt?: Date | null;
  processingErrors?: unknown[];
}

/**
 * What moving `current` to `to` at `now` writes, or the InvalidTransitionError that refuses it.
 * - → processing: one more attempt, started now, not completed;
 * - → completed | failed | skipped: completed now (the start stays as it was);
 * - → failed: the error is appended to processing_errors with the attempt it ended, never replacing
 *   earlier entries.
 * `error` is expected to have passed validateUpdateProcessingStatus.
 */
export function planTransition(
  current: ProcessingState,
  to: ProcessingStatus,
  error: ReportedError | null | undefined,
  now: Date,
): ProcessingChange {
  assertTransition(current.status, to);
  if (to === "processing") {
    return {
      processingStatus: to,
      processingAttempts: current.attempts + 1,
      processingStartedAt: now,
      processingCompletedAt: null,
    };
  }
  const change: ProcessingChange = { processingStatus: to, processingCompletedAt: now };
  if (to === "failed") {
    if (!error) throw new Error("planTransition: a move to failed needs an error (validate the input first)");
    // A row put into processing by code that predates processing_attempts has 0 attempts; it is
    // on its first one, and the counter is brought in line with the error that says so.
    const attempt = Math.max(current.attempts, 1);
    if (attempt !== current.attempts) change.processingAttempts = attempt;
    const entry: StoredProcessingError = { code: error.code, message: error.message, at: now.toISOString(), attempt };
    // The column is a JSON array (CHECK in 001); anything else is kept as the first entry, not lost.
    const earlier = Array.isArray(current.errors) ? current.errors : [current.errors];
    change.processingErrors = [...earlier, entry];
  }
  return change;
}

/** The refusal of a compare-and-set whose expected status is not the file's. */
export function unexpectedStatus(fileId: string, expected: ProcessingStatus, found: ProcessingStatus): ConflictError {
  return new ConflictError(
    "CONCURRENT_UPDATE",
    `File ${fileId} is ${found}, not ${expected} as expected: another request changed its processing status; read it again before retrying.`,
    [fileId],
  );
}
