// Writing files: registering a root or derived file, and soft-deleting. Each operation validates
// its input first, then runs in one transaction (src/db/errors.ts), so a refusal writes nothing.
import { randomUUID } from "node:crypto";
import { type FileQuery, type Tx, transaction } from "../db/errors.ts";
import {
  assertCanCreateFile,
  assertCanReadCreated,
  assertCanWriteFile,
  canWriteFile,
  type FileAccessFacts,
} from "../domain/access.ts";
import { checkContract } from "../domain/contracts.ts";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../domain/errors.ts";
import type { Identity } from "../domain/identity.ts";
import { atLeast, positionUnder } from "../domain/lineage.ts";
import * as v from "../domain/validation.ts";
import { ACCESS_LEVELS, CLASSIFICATIONS, type Classification } from "../domain/vocabulary.ts";
import type { Prisma, PrismaClient, ProjectFile } from "../generated/prisma/client.ts";
import { lockedContract } from "./contracts.ts";

export interface RegisterFileInput extends v.FileContent {
  projectId?: string | null;
  parentId?: string | null;
  workspaceId?: string | null;
  uiName: string;
  accessLevel?: string | null;
  permissions?: unknown;
  dataClassification?: string | null;
  boundaryContractId?: string | null;
  representationType?: string | null;
}

function validateRegisterFile(input: RegisterFileInput): void {
  const issues = new v.Issues(["input"]);
  v.fileContent(issues, input);
  v.permissions(issues, "permissions", input.permissions);
  v.representationType(issues, "representationType", input.representationType);
  v.oneOf(issues, "accessLevel", input.accessLevel, ACCESS_LEVELS);
  v.oneOf(issues, "dataClassification", input.dataClassification, CLASSIFICATIONS);
  issues.check(
    Boolean(input.projectId) || Boolean(input.parentId),
    "projectId",
    "is required for a root file (a derived file takes its parent's project)",
  );
  issues.throwIfAny();
}

/** A live file, or a NotFoundError naming the input field that pointed at it. */
export async function liveFile(tx: Tx, id: string, path: string[]): Promise<ProjectFile> {
  const file = await tx.projectFile.findFirst({ where: { id, deletedAt: null } });
  if (!file) throw new NotFoundError("ProjectFile", id, path);
  return file;
}

/**
 * Registers a root file (given a project) or a derived file (given a parent): the service computes
 * project, root and depth from the parent. A derived file is at least as sensitive as its parent and
 * by default inherits its access level, workspace and contract; a root file without a contract gets
 * its project's default contract, if there is one. The caller is its creator; deriving a file needs
 * write access to the parent, and nobody may classify a file above their own clearance.
 */
export async function registerFile(
  prisma: PrismaClient,
  identity: Identity,
  input: RegisterFileInput,
  select: FileQuery = {},
): Promise<ProjectFile> {
  validateRegisterFile(input);
  return transaction(prisma, async (tx) => {
    const parent = input.parentId ? await liveFile(tx, input.parentId, ["input", "parentId"]) : null;
    if (parent) assertCanWriteFile(identity, parent, ["input", "parentId"]);
    if (parent && input.projectId && input.projectId !== parent.projectId) {
      throw new ValidationError([
        { path: ["input", "projectId"], message: `must be the parent's project (${parent.projectId}) or left out` },
      ]);
    }
    const id = randomUUID();
    const position = positionUnder(parent, id, input.projectId ?? parent?.projectId ?? "");
    const inherited = (parent?.dataClassification ?? "public") as Classification;
    const asked = (input.dataClassification ?? (parent ? inherited : "internal")) as Classification;
    if (parent && CLASSIFICATIONS.indexOf(asked) < CLASSIFICATIONS.indexOf(inherited)) {
      throw new ValidationError([
        {
          path: ["input", "dataClassification"],
          message: `must be at least the parent's classification (${inherited}): derived data is as sensitive as its source`,
        },
      ]);
    }
    const dataClassification = atLeast(asked, inherited);
    const workspaceId = input.workspaceId ?? parent?.workspaceId ?? null;
    // A derived file lives where its parent does; only a workspace the caller chose is checked.
    assertCanCreateFile(identity, { dataClassification, workspaceId: input.workspaceId ?? null });
    const accessLevel = input.accessLevel ?? parent?.accessLevel ?? "private";
    const permissions = input.permissions ?? parent?.permissions ?? {};
    assertCanReadCreated(identity, {
      id,
      dataClassification,
      accessLevel,
      workspaceId,
      createdBy: identity.subject,
      permissions,
    });
    const representationType = input.representationType ?? (parent ? null : "original");

    const contractId =
      input.boundaryContractId ??
      parent?.boundaryContractId ??
      (
        await tx.dataBoundaryContract.findFirst({
          where: { projectId: position.projectId, isDefault: true, status: "active" },
        })
      )?.id ??
      null;
    if (contractId) {
      // FOR SHARE: the contract cannot be retired or narrowed until this file is in
      const contract = await lockedContract(tx, contractId, ["input", "boundaryContractId"], "SHARE");
      checkContract(contract, { projectId: position.projectId, representationType, workspaceId, dataClassification });
    }

    return tx.projectFile.create({
      ...select,
      data: {
        id,
        ...position,
        workspaceId,
        uiName: input.uiName,
        filePath: input.filePath,
        fileType: input.fileType ?? null,
        mimeType: input.mimeType ?? null,
        fileSizeBytes: input.fileSizeBytes ?? null,
        checksumSha256: input.checksumSha256 ?? null,
        storageBackend: input.storageBackend ?? null,
        metadata: (input.metadata ?? {}) as Prisma.InputJsonValue,
        createdBy: identity.subject,
        accessLevel,
        permissions: permissions as Prisma.InputJsonValue,
        dataClassification,
        boundaryContractId: contractId,
        representationType,
      },
    });
  });
}

/**
 * Soft-deletes a file. While it has live descendants it is refused, unless `cascade`, which deletes
 * the whole live subtree in the same transaction. Deleting needs write access to the file, and with
 * `cascade` to every file deleted with it. Returns the ids deleted, the file's first.
 */
export async function deleteFile(
  prisma: PrismaClient,
  identity: Identity,
  id: string,
  cascade: boolean,
): Promise<string[]> {
  return transaction(prisma, async (tx) => {
    const file = await liveFile(tx, id, ["id"]);
    assertCanWriteFile(identity, file, ["id"]);
    const descendants = await tx.$queryRaw<FileAccessFacts[]>`
      WITH RECURSIVE sub AS (
        SELECT c.file_uuid, c.lineage_depth FROM project_files c
        WHERE c.parent_file_uuid = ${file.id}::uuid AND c.deleted_at IS NULL
        UNION ALL
        SELECT c.file_uuid, c.lineage_depth FROM project_files c
        JOIN sub s ON c.parent_file_uuid = s.file_uuid
        WHERE c.deleted_at IS NULL AND c.lineage_depth > s.lineage_depth
      )
      SELECT f.file_uuid::text AS id, f.data_classification AS "dataClassification",
             f.access_level AS "accessLevel", f.workspace_id::text AS "workspaceId",
             f.created_by AS "createdBy", f.permissions
      FROM sub JOIN project_files f ON f.file_uuid = sub.file_uuid
      ORDER BY sub.lineage_depth, sub.file_uuid`;
    if (descendants.length > 0 && !cascade) {
      throw new ConflictError(
        "HAS_LIVE_DESCENDANTS",
        `File ${id} has ${descendants.length} live descendant(s); delete with cascade: true to delete them too.`,
        descendants.slice(0, 100).map((d) => d.id),
      );
    }
    const refused = descendants.filter((d) => !canWriteFile(identity, d)).length;
    if (refused > 0) {
      throw new ForbiddenError(
        `You may not change ${refused} of the ${descendants.length} live file(s) below ${id}; nothing was deleted.`,
      );
    }
    const ids = [file.id, ...descendants.map((d) => d.id)];
    const now = new Date();
    await tx.projectFile.updateMany({ where: { id: { in: ids }, deletedAt: null }, data: { deletedAt: now } });
    return ids;
  });
}
