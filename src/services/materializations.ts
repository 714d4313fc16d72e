// registerMaterialization: the seed's register_materialization(). A new project_files row derived
// from a source file under a boundary contract, checked against every rule of the contract, with an
// idempotency key that makes a worker's retry return the same row.
import { randomUUID } from "node:crypto";
import { type FileQuery, type Tx, transaction } from "../db/errors.ts";
import { assertCanCreateFile, assertCanReadCreated, assertCanWriteFile, canReadFile } from "../domain/access.ts";
import { checkContract } from "../domain/contracts.ts";
import { ConflictError, ContractViolationError, ValidationError } from "../domain/errors.ts";
import type { Identity } from "../domain/identity.ts";
import { atLeast, positionUnder } from "../domain/lineage.ts";
import * as v from "../domain/validation.ts";
import { CLASSIFICATIONS, type Classification } from "../domain/vocabulary.ts";
import { type MaterializationRegistered, NO_EVENTS, type Publisher } from "../events/index.ts";
import type { Prisma, PrismaClient, ProjectFile } from "../generated/prisma/client.ts";
import { lockedContract } from "./contracts.ts";
import { liveFile } from "./files.ts";

/** The keys of materialization_scope the service sets; a caller's `scope` may not use them. */
export const RESERVED_SCOPE_KEYS = ["workspace_id", "session_id", "materialized_at", "materialized_by"];

export interface RegisterMaterializationInput extends v.FileContent {
  sourceFileId: string;
  representationType: string;
  contractId?: string | null;
  workspaceId?: string | null;
  sessionId?: string | null;
  scope?: unknown;
  idempotencyKey?: string | null;
  dataClassification?: string | null;
}

function validate(input: RegisterMaterializationInput): void {
  const issues = new v.Issues(["input"]);
  v.representationType(issues, "representationType", input.representationType);
  v.fileContent(issues, input);
  v.text(issues, "sessionId", input.sessionId, 200);
  v.jsonObject(issues, "scope", input.scope);
  v.oneOf(issues, "dataClassification", input.dataClassification, CLASSIFICATIONS);
  if (v.isPlainObject(input.scope)) {
    for (const key of RESERVED_SCOPE_KEYS) {
      issues.check(!(key in input.scope), ["scope", key], "is set by the service; use the input field instead");
    }
  }
  if (input.idempotencyKey !== undefined && input.idempotencyKey !== null) {
    issues.check(
      /^[\x21-\x7e]{1,200}$/.test(input.idempotencyKey),
      "idempotencyKey",
      "must be 1 to 200 printable ASCII characters without spaces",
    );
  }
  issues.throwIfAny();
}

/** The parts of a request that a retry with the same idempotency key must repeat. */
function sameRequest(existing: ProjectFile, input: RegisterMaterializationInput, source: ProjectFile): boolean {
  const scope = (existing.materializationScope ?? {}) as Record<string, unknown>;
  return (
    existing.parentFileId === source.id &&
    existing.representationType === input.representationType &&
    existing.boundaryContractId === (input.contractId ?? source.boundaryContractId) &&
    existing.workspaceId === (input.workspaceId ?? source.workspaceId ?? null) &&
    (scope.session_id ?? null) === (input.sessionId ?? null)
  );
}

/** The materialization an earlier request made with the same key, if any (and if it matches). */
async function byKey(
  db: Tx | PrismaClient,
  identity: Identity,
  source: ProjectFile,
  input: RegisterMaterializationInput,
  query: FileQuery,
): Promise<ProjectFile | null> {
  if (!input.idempotencyKey) return null;
  const existing = await db.projectFile.findUnique({
    where: { projectId_idempotencyKey: { projectId: source.projectId, idempotencyKey: input.idempotencyKey } },
  });
  if (!existing) return null;
  if (!sameRequest(existing, input, source)) {
    // The other materialization is named only to a caller who may see it.
    const named = canReadFile(identity, existing);
    throw new ConflictError(
      "IDEMPOTENCY_KEY_REUSED",
      `Idempotency key "${input.idempotencyKey}" was used for a different materialization${named ? ` (${existing.id})` : ""}.`,
      named ? [existing.id] : [],
    );
  }
  return query.select || query.include
    ? (db.projectFile.findUniqueOrThrow({ ...query, where: { id: existing.id } }) as Promise<ProjectFile>)
    : existing;
}

/**
 * Needs write access to the source and, unless admin, membership of the materialization's
 * workspace; the caller is recorded as its creator and in `materialized_by`. A new
 * materialization is published to `events` once committed; a retry that returns an earlier one
 * publishes nothing (its subscribers were told the first time).
 */
export async function registerMaterialization(
  prisma: PrismaClient,
  identity: Identity,
  input: RegisterMaterializationInput,
  query: FileQuery = {},
  events: Publisher = NO_EVENTS,
): Promise<ProjectFile> {
  validate(input);
  try {
    const { file, registered } = await transaction(prisma, async (tx) => {
      const source = await liveFile(tx, input.sourceFileId, ["input", "sourceFileId"]);
      assertCanWriteFile(identity, source, ["input", "sourceFileId"]);
      // A retry returns what the first request made, whatever has changed since.
      const again = await byKey(tx, identity, source, input, query);
      if (again) return { file: again, registered: null };

      const contractId = input.contractId ?? source.boundaryContractId;
      if (!contractId) {
        throw new ContractViolationError(
          "NO_CONTRACT",
          `No contract was given and source file ${source.id} is not held under one.`,
          null,
        );
      }
      // FOR SHARE: the contract cannot be retired or narrowed until this materialization is in
      const contract = await lockedContract(tx, contractId, ["input", "contractId"], "SHARE");

      const sourceLevel = source.dataClassification as Classification;
      const asked = (input.dataClassification ?? sourceLevel) as Classification;
      if (CLASSIFICATIONS.indexOf(asked) < CLASSIFICATIONS.indexOf(sourceLevel)) {
        throw new ValidationError([
          {
            path: ["input", "dataClassification"],
            message: `must be at least the source's classification (${sourceLevel})`,
          },
        ]);
      }
      const dataClassification = atLeast(asked, sourceLevel);
      const workspaceId = input.workspaceId ?? source.workspaceId ?? null;
      assertCanCreateFile(identity, { dataClassification, workspaceId });
      assertCanReadCreated(identity, {
        id: source.id,
        dataClassification,
        accessLevel: source.accessLevel,
        workspaceId,
        createdBy: identity.subject,
        permissions: source.permissions,
      });
      checkContract(contract, {
        projectId: source.projectId,
        representationType: input.representationType,
        workspaceId,
        dataClassification,
      });

      const id = randomUUID();
      const scope = {
        ...((input.scope ?? {}) as Record<string, unknown>),
        workspace_id: workspaceId,
        session_id: input.sessionId ?? null,
        materialized_at: new Date().toISOString(),
        materialized_by: identity.subject,
      };
      const registered: MaterializationRegistered = {
        projectId: source.projectId,
        materializationId: id,
        sourceId: source.id,
        contractId: contract.id,
        registeredAt: scope.materialized_at,
      };
      const file = await tx.projectFile.create({
        ...query,
        data: {
          id,
          ...positionUnder(source, id, source.projectId),
          workspaceId,
          uiName: input.uiName ?? `${source.uiName} (${input.representationType})`,
          filePath: input.filePath,
          fileType: input.fileType ?? source.fileType,
          mimeType: input.mimeType ?? null,
          fileSizeBytes: input.fileSizeBytes ?? null,
          checksumSha256: input.checksumSha256 ?? null,
          storageBackend: input.storageBackend ?? source.storageBackend,
          metadata: (input.metadata ?? {}) as Prisma.InputJsonValue,
          createdBy: identity.subject,
          accessLevel: source.accessLevel,
          permissions: source.permissions as Prisma.InputJsonValue,
          dataClassification,
          boundaryContractId: contract.id,
          representationType: input.representationType,
          materializationScope: scope as Prisma.InputJsonValue,
          idempotencyKey: input.idempotencyKey ?? null,
        },
      });
      return { file, registered };
    });
    if (registered) events.publish("materialization", registered);
    return file;
  } catch (error) {
    // Two requests with the same key at once: the unique index lets one in; the other returns it.
    if (
      error instanceof ConflictError &&
      error.code === "IDEMPOTENCY_KEY_REUSED" &&
      error.conflictingIds.length === 0
    ) {
      const source = await prisma.projectFile.findUnique({ where: { id: input.sourceFileId } });
      const existing = source && (await byKey(prisma, identity, source, input, query));
      if (existing) return existing;
    }
    throw error;
  }
}
