// Who may see and change what: the access rules of every model, in one place. The schema declares
// the coarse gates as auth scopes (src/schema/builder.ts), SQL filters read the same rules through
// src/db/access.ts (a test checks that both agree on every combination), and the services call
// the checks below inside the transaction that writes.
import { ForbiddenError, NotFoundError } from "./errors.ts";
import { contractAdminRole, type Identity, isAdmin, isAuthenticated } from "./identity.ts";
import { type AccessLevel, type Classification, withinCeiling } from "./vocabulary.ts";

/** What the rules read of a file. */
export interface FileAccessFacts {
  id: string;
  dataClassification: string;
  accessLevel: string;
  workspaceId: string | null;
  createdBy: string | null;
  permissions: unknown;
}

/** The names a caller may be listed under in `permissions.read` / `permissions.write`. */
export function principals(identity: Identity): string[] {
  if (!identity.subject) return [];
  return [`user:${identity.subject}`, ...identity.groups.map((g) => `group:${g}`)];
}

function listed(identity: Identity, permissions: unknown, key: "read" | "write"): boolean {
  if (!permissions || typeof permissions !== "object" || Array.isArray(permissions)) return false;
  const list = (permissions as Record<string, unknown>)[key];
  if (!Array.isArray(list)) return false;
  const names = principals(identity);
  return list.some((entry) => typeof entry === "string" && names.includes(entry));
}

function isCreator(identity: Identity, file: FileAccessFacts): boolean {
  return identity.subject !== null && file.createdBy === identity.subject;
}

function isMember(identity: Identity, workspaceId: string | null): boolean {
  return workspaceId !== null && identity.workspaces.includes(workspaceId);
}

/**
 * Read: the caller's clearance covers the file's classification, and its access level admits the
 * caller — public: anyone; internal: any authenticated caller; workspace: a member of the file's
 * workspace; private: its creator or someone listed in `permissions.read`. Admins see every file.
 */
export function canReadFile(identity: Identity, file: FileAccessFacts): boolean {
  if (isAdmin(identity)) return true;
  if (!withinCeiling(file.dataClassification as Classification, identity.clearance)) return false;
  switch (file.accessLevel as AccessLevel) {
    case "public":
      return true;
    case "internal":
      return isAuthenticated(identity);
    case "workspace":
      return isMember(identity, file.workspaceId);
    case "private":
      return isCreator(identity, file) || listed(identity, file.permissions, "read");
    default:
      return false;
  }
}

/** Write: the caller may read the file and is its creator, is listed in `permissions.write`, or is an admin. */
export function canWriteFile(identity: Identity, file: FileAccessFacts): boolean {
  if (!canReadFile(identity, file)) return false;
  return isAdmin(identity) || isCreator(identity, file) || listed(identity, file.permissions, "write");
}

/** Contract changes: an admin, or a `contract-admin:<projectId>` of the contract's project. */
export function canManageContracts(identity: Identity, projectId: string): boolean {
  return isAdmin(identity) || identity.roles.includes(contractAdminRole(projectId));
}

// --- the checks the services make, as typed errors

/**
 * The file a write acts on. A file the caller may not see is reported exactly as a missing one
 * (no existence oracle); one it may see but not change is a ForbiddenError.
 */
export function assertCanWriteFile(identity: Identity, file: FileAccessFacts, path: string[]): void {
  if (!canReadFile(identity, file)) throw new NotFoundError("ProjectFile", file.id, path);
  if (!canWriteFile(identity, file)) {
    throw new ForbiddenError(
      `You may read file ${file.id} but not change it (you are not its creator or listed in permissions.write).`,
    );
  }
}

/** A file the caller is about to read by id: hidden is reported as missing. */
export function assertCanReadFile(identity: Identity, file: FileAccessFacts, path: string[]): void {
  if (!canReadFile(identity, file)) throw new NotFoundError("ProjectFile", file.id, path);
}

export function assertCanManageContracts(identity: Identity, projectId: string): void {
  if (!canManageContracts(identity, projectId)) {
    throw new ForbiddenError(
      `Changing the contracts of project ${projectId} needs the admin role or the contract-admin:${projectId} role.`,
    );
  }
}

/**
 * A new file the caller registers: it must be signed in, may not classify the file above its own
 * clearance (it could not see what it made), and may only place it in a workspace it is a member of.
 */
export function assertCanCreateFile(
  identity: Identity,
  file: { dataClassification: string; workspaceId: string | null },
): void {
  if (!isAuthenticated(identity))
    throw new ForbiddenError("Anonymous callers cannot register files; send a bearer token.");
  if (isAdmin(identity)) return;
  if (!withinCeiling(file.dataClassification as Classification, identity.clearance)) {
    throw new ForbiddenError(
      `A file classified ${file.dataClassification} is above your clearance (${identity.clearance}).`,
    );
  }
  if (file.workspaceId !== null && !isMember(identity, file.workspaceId)) {
    throw new ForbiddenError(`You are not a member of workspace ${file.workspaceId}.`);
  }
}

/**
 * The file about to be written, as it will be: its maker must be able to read it (an access level of
 * WORKSPACE without a workspace of theirs, say, would hide it from them at once).
 */
export function assertCanReadCreated(identity: Identity, file: FileAccessFacts): void {
  if (!canReadFile(identity, file)) {
    throw new ForbiddenError(
      `You could not see this file once registered (access level ${file.accessLevel}${file.workspaceId ? ` in workspace ${file.workspaceId}` : " without a workspace"}, classified ${file.dataClassification}); choose an access level that admits you.`,
    );
  }
}
