// updateProcessingStatus: what processing workers call to move a file through the processing
// state machine. The rules are in src/domain/processing.ts, the write in src/services/processing.ts.
import { ConflictError, InvalidTransitionError, NotFoundError, ValidationError } from "../../domain/errors.ts";
import type { ProcessingStatus } from "../../domain/vocabulary.ts";
import { updateProcessingStatus } from "../../services/processing.ts";
import { builder } from "../builder.ts";
import { ProcessingStatusEnum } from "../enums.ts";
import { ProjectFile } from "../files/index.ts";
import { resultSelection } from "../selection.ts";

const ProcessingErrorInput = builder.inputType("ProcessingErrorInput", {
  description: "What went wrong, reported with a move to FAILED. It is appended to the file's processingErrors.",
  fields: (t) => ({
    code: t.string({
      required: true,
      description: "A short identifier to branch on (letters, digits, _ . : -; at most 100 characters), e.g. TIMEOUT.",
    }),
    message: t.string({
      required: true,
      description: "What went wrong, for people (not blank; at most 4000 characters).",
    }),
  }),
});

const UpdateProcessingStatusInput = builder.inputType("UpdateProcessingStatusInput", {
  description:
    "A move of a file's processing status. Legal moves: PENDING → PROCESSING | SKIPPED; PROCESSING → COMPLETED | FAILED | SKIPPED; FAILED → PROCESSING (retry); COMPLETED → PROCESSING (reprocess). SKIPPED is final.",
  fields: (t) => ({
    fileId: t.field({ type: "UUID", required: true, description: "The live file to move." }),
    status: t.field({ type: ProcessingStatusEnum, required: true, description: "The status to move it to." }),
    error: t.field({
      type: ProcessingErrorInput,
      description: "Required when `status` is FAILED, and refused otherwise: the error to append.",
    }),
    expectedStatus: t.field({
      type: ProcessingStatusEnum,
      description:
        "Compare-and-set: move only if the file is in this status now; otherwise a ConflictError (CONCURRENT_UPDATE) is returned and nothing changes.",
    }),
  }),
});

builder.mutationFields((t) => ({
  updateProcessingStatus: t.field({
    type: ProjectFile,
    description:
      "Moves a file's processing status. To PROCESSING: counts one more attempt, sets processingStartedAt and clears processingCompletedAt. To COMPLETED, FAILED or SKIPPED: sets processingCompletedAt. To FAILED: appends the error, with the attempt it ended, to processingErrors. Of two requests racing for the same move, one wins; the other gets the error that describes the state it lost to. Needs write access to the file.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateProcessingStatusInput, required: true, description: "The move." }) },
    errors: {
      types: [ValidationError, NotFoundError, InvalidTransitionError, ConflictError],
      dataField: { name: "file", description: "The file, after the move." },
      result: { description: "The file's processing status was moved." },
      union: { description: "The moved file, or why it was not moved." },
    },
    resolve: async (_root, { input }, ctx, info) =>
      updateProcessingStatus(
        ctx.prisma,
        ctx.identity,
        {
          fileId: input.fileId,
          status: input.status as ProcessingStatus,
          error: input.error ?? null,
          expectedStatus: (input.expectedStatus ?? null) as ProcessingStatus | null,
        },
        // No `path`: the errors plugin already marks the result union as loading ProjectFile through
        // UpdateProcessingStatusSuccess.file (its pothosIndirectInclude), and a path would be
        // followed beneath that, find nothing, and leave every relation to a query of its own.
        await resultSelection(ctx, info),
        ctx.events,
      ),
  }),
}));
