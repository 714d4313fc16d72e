// Subscriptions: a project's live updates, over Server-Sent Events (graphql-yoga's built-in
// transport: POST /graphql with `Accept: text/event-stream`). Events travel through src/events;
// each subscriber reads the file an event names when the event is delivered, with the read rule of
// `file(id)` for the caller who subscribed, and an event about a file it may not read is not sent.
import { queryFromInfo } from "@pothos/plugin-prisma";
import { GraphQLError, type GraphQLResolveInfo } from "graphql";
import type { Context } from "../../context.ts";
import { visible } from "../../db/access.ts";
import type { FileQuery } from "../../db/errors.ts";
import {
  type EventKind,
  type EventsByKind,
  EventsUnavailableError,
  type MaterializationRegistered,
  type ProcessingStatusChanged,
} from "../../events/index.ts";
import { deliverable, type EventStream } from "../../events/stream.ts";
import type { ProjectFile as ProjectFileRow } from "../../generated/prisma/client.ts";
import { builder } from "../builder.ts";
import { ProcessingStatusEnum } from "../enums.ts";
import { ProjectFile } from "../files/index.ts";
import { ProcessingErrorRef, readProcessingErrors } from "../files/shapes.ts";

/** An event on its way to one subscriber: with the file it names, as that subscriber may read it. */
type Delivery<E> = { event: E; file: ProjectFileRow; error?: undefined } | { event: E; error: unknown };

builder.subscriptionType({
  description:
    "Live updates, over Server-Sent Events: send the subscription to /graphql with `Accept: text/event-stream`. Once the response has begun, every later event of the project is delivered, from whichever server instance made the change, provided the caller may read the file it concerns (the rule of `file(id)`, applied when the event is delivered). Events are notifications, not a log: none is replayed, so re-read what you show after reconnecting. A stream opened with a bearer token ends when the token expires.",
});

/**
 * When the caller's credentials stop being accepted (a token's `exp`, plus the clock tolerance a
 * new request would get), in ms from now; undefined when they do not expire.
 */
function credentialsExpireIn(ctx: Context): number | undefined {
  const { expiresAt } = ctx.identity;
  if (expiresAt === undefined || ctx.config.auth.mode !== "token") return undefined;
  return (expiresAt + ctx.config.auth.clockToleranceSeconds) * 1000 - Date.now();
}

/**
 * The stream of one subscription: the project's events of `kind` from now on, each with the file
 * `fileIdOf` names, read with the selection the document makes under `fileField` and only if the
 * caller may read it. A failed read is delivered as that event's error (the stream goes on).
 */
async function subscribe<K extends EventKind>(
  kind: K,
  projectId: string,
  ctx: Context,
  info: GraphQLResolveInfo,
  fileField: string,
  fileIdOf: (event: EventsByKind[K]) => string,
): Promise<AsyncIterableIterator<Delivery<EventsByKind[K]>>> {
  const query = (await queryFromInfo({ context: ctx, info, path: [fileField], awaitSelections: true })) as FileQuery;
  const expiresIn = credentialsExpireIn(ctx);
  let stream: EventStream<EventsByKind[K]>;
  try {
    stream = await ctx.events.subscribe(kind, projectId);
  } catch (error) {
    if (!(error instanceof EventsUnavailableError)) throw error;
    throw new GraphQLError(
      "Live updates are unavailable right now (the server cannot reach its event bus); subscribe again shortly.",
      { extensions: { code: "EVENTS_UNAVAILABLE" } },
    );
  }
  if (expiresIn !== undefined) {
    // setTimeout takes at most 2^31 - 1 ms (about 24 days); a token living longer ends the stream then.
    const expiry = setTimeout(() => stream.end(), Math.min(Math.max(expiresIn, 0), 2 ** 31 - 1)).unref();
    void stream.ended.then(() => clearTimeout(expiry));
  }
  return deliverable(stream, async (event): Promise<Delivery<EventsByKind[K]> | null> => {
    try {
      const file = await ctx.prisma.projectFile.findFirst({
        ...query,
        where: visible(ctx.identity, { id: fileIdOf(event), deletedAt: null }),
      });
      return file ? { event, file } : null;
    } catch (error) {
      return { event, error };
    }
  });
}

/** The delivery, or its failed read as the event's error (masked and logged with the request id). */
function delivered<E>(delivery: Delivery<E>): { event: E; file: ProjectFileRow } {
  if (delivery.error !== undefined) throw delivery.error;
  return delivery as { event: E; file: ProjectFileRow };
}

const FileProcessingStatusChangedEvent = builder
  .objectRef<{ event: ProcessingStatusChanged; file: ProjectFileRow }>("FileProcessingStatusChangedEvent")
  .implement({
    description: "A file's processing status was moved (updateProcessingStatus).",
    fields: (t) => ({
      file: t.field({
        type: ProjectFile,
        description:
          "The file, read when the event was delivered: its processingStatus may have moved on since the move this event reports.",
        resolve: ({ file }) => file,
      }),
      previousStatus: t.field({
        type: ProcessingStatusEnum,
        description: "The status the file was moved from.",
        resolve: ({ event }) => event.previousStatus,
      }),
      status: t.field({
        type: ProcessingStatusEnum,
        description: "The status the file was moved to.",
        resolve: ({ event }) => event.status,
      }),
      error: t.field({
        type: ProcessingErrorRef,
        nullable: true,
        description: "The error the move appended to processingErrors (a move to FAILED); null for other moves.",
        resolve: ({ event }) => (event.error ? (readProcessingErrors([event.error])[0] ?? null) : null),
      }),
      attempt: t.int({
        description: "The processing attempt the move belongs to (processingAttempts after it).",
        resolve: ({ event }) => event.attempt,
      }),
      changedAt: t.field({
        type: "DateTime",
        description: "When the move was made (the time it stamped on the file).",
        resolve: ({ event }) => new Date(event.changedAt),
      }),
    }),
  });

const MaterializationRegisteredEvent = builder
  .objectRef<{ event: MaterializationRegistered; file: ProjectFileRow }>("MaterializationRegisteredEvent")
  .implement({
    description:
      "A new materialization was registered (registerMaterialization). A retry that returns an earlier materialization (the same idempotency key) is not a new one and sends no event.",
    fields: (t) => ({
      materialization: t.field({
        type: ProjectFile,
        description: "The new materialization, read when the event was delivered.",
        resolve: ({ file }) => file,
      }),
      sourceId: t.field({
        type: "UUID",
        description: "The file it was derived from.",
        resolve: ({ event }) => event.sourceId,
      }),
      source: t.prismaField({
        type: "ProjectFile",
        nullable: true,
        description:
          "The file it was derived from; null when the caller may not see it (a materialization can be in another workspace than its source) or it has been deleted since.",
        resolve: (query, { event }, _args, ctx) =>
          ctx.prisma.projectFile.findFirst({
            ...query,
            where: visible(ctx.identity, { id: event.sourceId, deletedAt: null }),
          }),
      }),
      contract: t.prismaField({
        type: "DataBoundaryContract",
        description: "The boundary contract it was registered under.",
        resolve: (query, { event }, _args, ctx) =>
          ctx.prisma.dataBoundaryContract.findUniqueOrThrow({ ...query, where: { id: event.contractId } }),
      }),
      registeredAt: t.field({
        type: "DateTime",
        description: "When it was registered (materializationScope.materializedAt).",
        resolve: ({ event }) => new Date(event.registeredAt),
      }),
    }),
  });

builder.subscriptionFields((t) => ({
  fileProcessingStatusChanged: t.field({
    type: FileProcessingStatusChangedEvent,
    description:
      "Every move of the processing status of a file of the project that the caller may read, as it is committed. Open to anonymous callers too (they see public files).",
    args: {
      projectId: t.arg({ type: "UUID", required: true, description: "The project whose files to follow." }),
    },
    subscribe: (_root, args, ctx, info) =>
      subscribe("processing-status", args.projectId, ctx, info, "file", (event) => event.fileId),
    resolve: (delivery) => delivered(delivery),
  }),
  materializationRegistered: t.field({
    type: MaterializationRegisteredEvent,
    description:
      "Every new materialization registered from a file of the project that the caller may read (the materialization itself), as it is committed. Open to anonymous callers too (they see public files).",
    args: {
      projectId: t.arg({ type: "UUID", required: true, description: "The project whose materializations to follow." }),
    },
    subscribe: (_root, args, ctx, info) =>
      subscribe("materialization", args.projectId, ctx, info, "materialization", (event) => event.materializationId),
    resolve: (delivery) => delivered(delivery),
  }),
}));
