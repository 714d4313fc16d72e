// updateProcessingStatus: a worker moves a file through the processing state machine
// (src/domain/processing.ts). The move is a compare-and-set on the row, so two workers racing for
// the same file cannot both win.

import { ACCESS_FACTS } from "../db/access.ts";
import { type FileQuery, type Tx, transaction } from "../db/errors.ts";
import { assertCanWriteFile } from "../domain/access.ts";
import { ConflictError, NotFoundError } from "../domain/errors.ts";
import type { Identity } from "../domain/identity.ts";
import {
  assertTransition,
  isProcessingStatus,
  planTransition,
  type ReportedError,
  type StoredProcessingError,
  unexpectedStatus,
  validateUpdateProcessingStatus,
} from "../domain/processing.ts";
import type { ProcessingStatus } from "../domain/vocabulary.ts";
import { NO_EVENTS, type ProcessingStatusChanged, type Publisher } from "../events/index.ts";
import type { Prisma, PrismaClient, ProjectFile } from "../generated/prisma/client.ts";

export interface UpdateProcessingStatusInput {
  fileId: string;
  status: ProcessingStatus;
  error?: ReportedError | null;
  /** Compare-and-set: refuse unless the file is in this status. */
  expectedStatus?: ProcessingStatus | null;
}

const FILE_ID = ["input", "fileId"];

/** The processing columns of a live file, or a NotFoundError. */
async function processingRow(tx: Tx, identity: Identity, id: string) {
  const row = await tx.projectFile.findFirst({
    where: { id, deletedAt: null },
    select: {
      processingStatus: true,
      processingAttempts: true,
      processingErrors: true,
      projectId: true,
      ...ACCESS_FACTS,
    },
  });
  if (!row) throw new NotFoundError("ProjectFile", id, FILE_ID);
  assertCanWriteFile(identity, row, FILE_ID);
  if (!isProcessingStatus(row.processingStatus)) {
    // The CHECK constraint of 001 rules this out; say so plainly if it ever happens.
    throw new Error(`File ${id} has an unknown processing status ${JSON.stringify(row.processingStatus)}`);
  }
  return { ...row, processingStatus: row.processingStatus };
}

/**
 * Moves a file to `input.status`, with the effects the state machine prescribes, and returns it.
 *
 * The row is read, the move planned from what was read, then written with an UPDATE that only
 * matches while the row still holds that status and attempt count (together they identify the
 * processing state: every start of processing counts an attempt, so no state recurs). When a
 * concurrent request moved the file first, the UPDATE matches nothing (PostgreSQL re-checks the
 * condition once the other transaction commits), and the file is read again: the refusal then
 * describes the state actually found.
 *
 * Once the move has committed (never for a refused one), it is published to `events` for the
 * project's fileProcessingStatusChanged subscribers.
 */
export async function updateProcessingStatus(
  prisma: PrismaClient,
  identity: Identity,
  input: UpdateProcessingStatusInput,
  query: FileQuery = {},
  events: Publisher = NO_EVENTS,
): Promise<ProjectFile> {
  validateUpdateProcessingStatus(input);
  const { file, moved } = await transaction(prisma, async (tx) => {
    const current = await processingRow(tx, identity, input.fileId);
    if (input.expectedStatus && input.expectedStatus !== current.processingStatus) {
      throw unexpectedStatus(input.fileId, input.expectedStatus, current.processingStatus);
    }
    const now = new Date();
    const change = planTransition(
      { status: current.processingStatus, attempts: current.processingAttempts, errors: current.processingErrors },
      input.status,
      input.error,
      now,
    );
    const { count } = await tx.projectFile.updateMany({
      where: {
        id: current.id,
        deletedAt: null,
        processingStatus: current.processingStatus,
        processingAttempts: current.processingAttempts,
      },
      data: { ...change, processingErrors: change.processingErrors as Prisma.InputJsonValue | undefined },
    });
    if (count === 0) {
      // Lost a race: report against the state found now (deleted, another status, or a move that
      // is now illegal). If the move would still be legal, the caller decided on stale data: retry.
      const found = await processingRow(tx, identity, input.fileId);
      if (input.expectedStatus && input.expectedStatus !== found.processingStatus) {
        throw unexpectedStatus(input.fileId, input.expectedStatus, found.processingStatus);
      }
      assertTransition(found.processingStatus, input.status);
      throw new ConflictError(
        "CONCURRENT_UPDATE",
        `Another request changed the processing status of file ${input.fileId} at the same time; read it again and retry.`,
        [input.fileId],
      );
    }
    const moved: ProcessingStatusChanged = {
      projectId: current.projectId,
      fileId: current.id,
      previousStatus: current.processingStatus,
      status: input.status,
      attempt: change.processingAttempts ?? current.processingAttempts,
      error: input.status === "failed" ? (change.processingErrors?.at(-1) as StoredProcessingError) : null,
      changedAt: now.toISOString(),
    };
    return { file: await tx.projectFile.findUniqueOrThrow({ ...query, where: { id: current.id } }), moved };
  });
  events.publish("processing-status", moved);
  return file;
}
