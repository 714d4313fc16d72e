// Writing boundary contracts: create, update, retire, and putting a file under one. Each operation
// validates its input first, then runs in one transaction (src/db/errors.ts), so a refusal writes
// nothing. A duplicate name is not looked for beforehand: the unique index refuses it, and the
// transaction boundary turns that into ConflictError CONTRACT_NAME_TAKEN (the same goes for two
// defaults made at once, through the partial unique index: DEFAULT_CONTRACT_EXISTS).

import { type ContractQuery, type FileQuery, type Tx, transaction } from "../db/errors.ts";
import { assertCanManageContracts, assertCanReadFile } from "../domain/access.ts";
import { checkContract } from "../domain/contracts.ts";
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.ts";
import type { Identity } from "../domain/identity.ts";
import * as v from "../domain/validation.ts";
import { CLASSIFICATIONS, type Classification } from "../domain/vocabulary.ts";
import { type DataBoundaryContract, Prisma, type PrismaClient, type ProjectFile } from "../generated/prisma/client.ts";
import { liveFile } from "./files.ts";

export interface CreateContractInput {
  projectId: string;
  name: string;
  description?: string | null;
  allowedRepresentationTypes?: readonly string[] | null;
  maxDataClassification?: string | null;
  retentionDays?: number | null;
  workspaceIds?: readonly string[] | null;
  scope?: unknown;
  isDefault?: boolean | null;
}

/** A partial update: a field left out is kept; `null` clears the fields that may be empty. */
export interface UpdateContractInput {
  name?: string | null;
  description?: string | null;
  allowedRepresentationTypes?: readonly string[] | null;
  maxDataClassification?: string | null;
  retentionDays?: number | null;
  workspaceIds?: readonly string[] | null;
  isDefault?: boolean | null;
}

const MAX_NAME = 200;
const MAX_DESCRIPTION = 4000;
const MAX_LIST = 1000;
/** How many conflicting rows an error names at most. */
const MAX_CONFLICTING_IDS = 100;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---- validation ----------------------------------------------------------------------------------

/** Runs `check` with an Issues rooted at `path` (e.g. a list field), collecting into `issues`. */
function within(issues: v.Issues, path: string[], check: (sub: v.Issues) => void): void {
  const sub = new v.Issues(path);
  check(sub);
  issues.list.push(...sub.list);
}

function representationTypes(issues: v.Issues, types: readonly string[] | null | undefined): void {
  if (!types) return;
  issues.check(types.length <= MAX_LIST, "allowedRepresentationTypes", `must list at most ${MAX_LIST} types`);
  within(issues, ["input", "allowedRepresentationTypes"], (sub) => {
    types.forEach((type, i) => {
      v.representationType(sub, String(i), type);
    });
  });
}

function workspaceIds(issues: v.Issues, ids: readonly string[] | null | undefined): void {
  if (!ids) return;
  issues.check(
    ids.length > 0,
    "workspaceIds",
    "must name at least one workspace (a contract scoped to no workspace admits nothing); leave it out or null for any workspace",
  );
  issues.check(ids.length <= MAX_LIST, "workspaceIds", `must list at most ${MAX_LIST} workspaces`);
  within(issues, ["input", "workspaceIds"], (sub) => {
    ids.forEach((id, i) => {
      sub.check(UUID_RE.test(id), String(i), "must be a UUID");
    });
  });
}

function retentionDays(issues: v.Issues, days: number | null | undefined): void {
  if (days === undefined || days === null) return;
  issues.check(Number.isInteger(days) && days > 0, "retentionDays", "must be a whole number of days above 0");
}

function notNull(issues: v.Issues, input: object, fields: string[]): void {
  for (const field of fields) {
    issues.check(
      (input as Record<string, unknown>)[field] !== null,
      field,
      "cannot be cleared (null); leave it out to keep it",
    );
  }
}

function validateCreate(input: CreateContractInput): void {
  const issues = new v.Issues(["input"]);
  issues.check(UUID_RE.test(input.projectId), "projectId", "must be a UUID");
  v.text(issues, "name", input.name, MAX_NAME);
  v.text(issues, "description", input.description, MAX_DESCRIPTION);
  representationTypes(issues, input.allowedRepresentationTypes);
  v.oneOf(issues, "maxDataClassification", input.maxDataClassification, CLASSIFICATIONS);
  retentionDays(issues, input.retentionDays);
  workspaceIds(issues, input.workspaceIds);
  v.jsonObject(issues, "scope", input.scope);
  if (v.isPlainObject(input.scope) && "workspace_ids" in input.scope) {
    issues.add(["scope", "workspace_ids"], "is set from workspaceIds; use that field instead");
  }
  issues.throwIfAny();
}

function validateUpdate(input: UpdateContractInput): void {
  const issues = new v.Issues(["input"]);
  notNull(issues, input, ["name", "allowedRepresentationTypes", "maxDataClassification", "isDefault"]);
  v.text(issues, "name", input.name, MAX_NAME);
  v.text(issues, "description", input.description, MAX_DESCRIPTION);
  representationTypes(issues, input.allowedRepresentationTypes);
  v.oneOf(issues, "maxDataClassification", input.maxDataClassification, CLASSIFICATIONS);
  retentionDays(issues, input.retentionDays);
  workspaceIds(issues, input.workspaceIds);
  issues.throwIfAny();
}

// ---- shared steps --------------------------------------------------------------------------------

/** Each value once, in the order first given. */
const unique = (list: readonly string[]) => [...new Set(list)];

/** Workspace ids as stored in scope.workspace_ids: lower case, sorted, each once. */
const normalizedWorkspaces = (ids: readonly string[]) => unique(ids.map((id) => id.toLowerCase())).sort();

/**
 * Locks contracts for the rest of the transaction and reads them. FOR UPDATE when the contract
 * changes (it waits for, and then blocks, a concurrent assignContract's FOR SHARE, and a file
 * insert's foreign-key check); FOR SHARE when a file is put under it, so that it cannot be
 * retired or narrowed meanwhile. Several rows are locked in id order, so two requests never
 * deadlock over them.
 */
async function lockContracts(
  tx: Tx,
  ids: string[],
  mode: "UPDATE" | "SHARE",
): Promise<Map<string, DataBoundaryContract>> {
  await tx.$queryRaw`
    SELECT contract_id FROM data_boundary_contracts
    WHERE contract_id IN (${Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`))})
    ORDER BY contract_id
    FOR ${Prisma.raw(mode)}`;
  const rows = await tx.dataBoundaryContract.findMany({ where: { id: { in: ids } } });
  return new Map(rows.map((row) => [row.id, row]));
}

export async function lockedContract(tx: Tx, id: string, path: string[], mode: "UPDATE" | "SHARE") {
  const contract = (await lockContracts(tx, [id], mode)).get(id);
  if (!contract) throw new NotFoundError("BoundaryContract", id, path);
  return contract;
}

/** Makes no contract of the project the default, except `keep`; the caller then names the new one. */
function demoteDefaults(tx: Tx, projectId: string, keep?: string) {
  return tx.dataBoundaryContract.updateMany({
    where: { projectId, isDefault: true, ...(keep ? { id: { not: keep } } : {}) },
    data: { isDefault: false },
  });
}

const rank = (level: string) => CLASSIFICATIONS.indexOf(level as Classification);

/** Refuses a ceiling under which live files of the contract would no longer fit. */
async function checkCeiling(tx: Tx, contract: DataBoundaryContract, ceiling: string): Promise<void> {
  if (rank(ceiling) >= rank(contract.maxDataClassification)) return;
  const above = CLASSIFICATIONS.filter((level) => rank(level) > rank(ceiling));
  const files = await tx.projectFile.findMany({
    where: { boundaryContractId: contract.id, deletedAt: null, dataClassification: { in: above } },
    select: { id: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: MAX_CONFLICTING_IDS,
  });
  if (files.length > 0) {
    throw new ConflictError(
      "CEILING_BELOW_FILES",
      `Live files under contract ${contract.id} are classified above ${ceiling}; reclassify, move or delete them first.`,
      files.map((f) => f.id),
    );
  }
}

// ---- operations ----------------------------------------------------------------------------------

/**
 * Creates an active contract. With isDefault it becomes its project's default, and the previous
 * default (if any) stops being one, in the same transaction.
 */
export async function createContract(
  prisma: PrismaClient,
  identity: Identity,
  input: CreateContractInput,
  query: ContractQuery = {},
): Promise<DataBoundaryContract> {
  validateCreate(input);
  const scope: Record<string, unknown> = { ...((input.scope ?? {}) as Record<string, unknown>) };
  if (input.workspaceIds) scope.workspace_ids = normalizedWorkspaces(input.workspaceIds);
  assertCanManageContracts(identity, input.projectId);
  return transaction(prisma, async (tx) => {
    if (input.isDefault) await demoteDefaults(tx, input.projectId);
    return tx.dataBoundaryContract.create({
      ...query,
      data: {
        projectId: input.projectId,
        name: input.name,
        description: input.description ?? null,
        allowedRepresentationTypes: unique(input.allowedRepresentationTypes ?? []),
        maxDataClassification: input.maxDataClassification ?? "internal",
        retentionDays: input.retentionDays ?? null,
        scope: scope as Prisma.InputJsonValue,
        isDefault: input.isDefault ?? false,
      },
    });
  });
}

/**
 * Changes the fields given. isDefault true makes it the default (not for a retired contract),
 * demoting the previous one; false is refused on the current default, since a project keeps its
 * default until another one is named. Lowering the ceiling is refused while live files under the
 * contract are classified above the new one. Narrowing the representation types or workspaces
 * applies to what comes next: files already held keep the contract.
 */
export async function updateContract(
  prisma: PrismaClient,
  identity: Identity,
  id: string,
  input: UpdateContractInput,
  query: ContractQuery = {},
): Promise<DataBoundaryContract> {
  validateUpdate(input);
  return transaction(prisma, async (tx) => {
    const contract = await lockedContract(tx, id, ["id"], "UPDATE");
    assertCanManageContracts(identity, contract.projectId);
    const becomesDefault = input.isDefault === true && !contract.isDefault;
    if (becomesDefault && contract.status !== "active") {
      throw new ConflictError("CONTRACT_RETIRED", `Contract ${id} is retired; it cannot become the default.`, [id]);
    }
    if (input.isDefault === false && contract.isDefault) {
      throw new ValidationError([
        {
          path: ["input", "isDefault"],
          message:
            "cannot be set to false on the project's default: make another contract the default instead (isDefault: true on it)",
        },
      ]);
    }
    if (input.maxDataClassification) await checkCeiling(tx, contract, input.maxDataClassification);

    const data: Prisma.DataBoundaryContractUpdateInput = {};
    if (input.name !== undefined && input.name !== null) data.name = input.name;
    if (input.description !== undefined) data.description = input.description;
    if (input.allowedRepresentationTypes) data.allowedRepresentationTypes = unique(input.allowedRepresentationTypes);
    if (input.maxDataClassification) data.maxDataClassification = input.maxDataClassification;
    if (input.retentionDays !== undefined) data.retentionDays = input.retentionDays;
    if (input.workspaceIds !== undefined) {
      const { workspace_ids: _, ...rest } = contract.scope as Record<string, unknown>;
      const scope = input.workspaceIds ? { ...rest, workspace_ids: normalizedWorkspaces(input.workspaceIds) } : rest;
      data.scope = scope as Prisma.InputJsonValue;
    }
    if (becomesDefault) data.isDefault = true;

    if (Object.keys(data).length === 0) {
      // Nothing to change (an empty input, or isDefault as it already is): updatedAt is kept.
      return tx.dataBoundaryContract.findUniqueOrThrow({ ...query, where: { id } });
    }
    if (becomesDefault) await demoteDefaults(tx, contract.projectId, id);
    return tx.dataBoundaryContract.update({ ...query, where: { id }, data });
  });
}

/**
 * Retires a contract: it accepts nothing new, and the files under it keep it. The project's
 * default can be retired only by naming another active contract of the project (`newDefaultId`),
 * which becomes the default in the same transaction. Retiring a retired contract returns it as is.
 */
export async function retireContract(
  prisma: PrismaClient,
  identity: Identity,
  id: string,
  newDefaultId: string | null | undefined,
  query: ContractQuery = {},
): Promise<DataBoundaryContract> {
  if (newDefaultId === id) {
    throw new ValidationError([{ path: ["newDefaultId"], message: "must name another contract than the one retired" }]);
  }
  return transaction(prisma, async (tx) => {
    const locked = await lockContracts(tx, newDefaultId ? [id, newDefaultId] : [id], "UPDATE");
    const contract = locked.get(id);
    if (!contract) throw new NotFoundError("BoundaryContract", id, ["id"]);
    assertCanManageContracts(identity, contract.projectId);
    if (contract.status === "retired") return tx.dataBoundaryContract.findUniqueOrThrow({ ...query, where: { id } });

    if (!contract.isDefault) {
      if (newDefaultId) {
        throw new ValidationError([
          {
            path: ["newDefaultId"],
            message: "is only for retiring the project's default contract, and this contract is not the default",
          },
        ]);
      }
      return tx.dataBoundaryContract.update({ ...query, where: { id }, data: { status: "retired" } });
    }

    if (!newDefaultId) {
      throw new ConflictError(
        "DEFAULT_CONTRACT_RETIRING",
        `Contract ${id} is its project's default; retire it with newDefaultId naming the active contract that takes over.`,
        [id],
      );
    }
    const next = locked.get(newDefaultId);
    if (!next) throw new NotFoundError("BoundaryContract", newDefaultId, ["newDefaultId"]);
    if (next.projectId !== contract.projectId) {
      throw new ValidationError([
        { path: ["newDefaultId"], message: `must be a contract of the same project (${contract.projectId})` },
      ]);
    }
    if (next.status !== "active") {
      throw new ConflictError(
        "CONTRACT_RETIRED",
        `Contract ${newDefaultId} is retired; it cannot become the default.`,
        [newDefaultId],
      );
    }
    // The old default first: the partial unique index allows one default per project at any time.
    const retired = await tx.dataBoundaryContract.update({
      ...query,
      where: { id },
      data: { status: "retired", isDefault: false },
    });
    await tx.dataBoundaryContract.update({ where: { id: newDefaultId }, data: { isDefault: true } });
    return retired;
  });
}

/**
 * Puts a live file under a contract, if the contract's rules admit it (the same checks as a
 * materialization: active, same project, representation type, workspace, classification). A file
 * already under the contract is returned as it is. This is a contract change: it needs a caller who
 * may see the file and manage its project's contracts.
 */
export async function assignContract(
  prisma: PrismaClient,
  identity: Identity,
  fileId: string,
  contractId: string,
  query: FileQuery = {},
): Promise<ProjectFile> {
  return transaction(prisma, async (tx) => {
    const file = await liveFile(tx, fileId, ["fileId"]);
    assertCanReadFile(identity, file, ["fileId"]);
    assertCanManageContracts(identity, file.projectId);
    const contract = await lockedContract(tx, contractId, ["contractId"], "SHARE");
    if (file.boundaryContractId === contract.id) {
      return tx.projectFile.findUniqueOrThrow({ ...query, where: { id: file.id } }) as Promise<ProjectFile>;
    }
    checkContract(contract, {
      projectId: file.projectId,
      representationType: file.representationType,
      workspaceId: file.workspaceId,
      dataClassification: file.dataClassification,
    });
    return tx.projectFile.update({ ...query, where: { id: file.id }, data: { boundaryContractId: contract.id } });
  });
}
