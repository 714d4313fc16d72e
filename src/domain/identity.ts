// Who is calling. A caller is anonymous, a person or service named by a verified bearer token,
// or — only when no auth is configured outside production — the all-access development identity.
// The access rules (./access.ts) read nothing else about a request.
import type { Classification } from "./vocabulary.ts";

export interface Identity {
  kind: "anonymous" | "token" | "development";
  /** The token's `sub`; null for anonymous. */
  subject: string | null;
  groups: readonly string[];
  /** The workspaces (UUIDs) the caller is a member of. */
  workspaces: readonly string[];
  /** The most sensitive classification the caller may see. */
  clearance: Classification;
  /** `admin` (sees and changes everything), `contract-admin:<projectId>` (manages that project's contracts). */
  roles: readonly string[];
  /** When the caller's token stops being valid: its `exp`, in seconds since the epoch; absent for anonymous and development. */
  expiresAt?: number;
}

export const ANONYMOUS: Identity = Object.freeze({
  kind: "anonymous",
  subject: null,
  groups: [],
  workspaces: [],
  clearance: "public",
  roles: [],
});

/** Used when no auth is configured and NODE_ENV is not production; announced in every response. */
export const DEVELOPMENT: Identity = Object.freeze({
  kind: "development",
  subject: "development",
  groups: [],
  workspaces: [],
  clearance: "restricted",
  roles: ["admin"],
});

export const ADMIN_ROLE = "admin";
export const CONTRACT_ADMIN_ROLE = "contract-admin";

export function isAdmin(identity: Identity): boolean {
  return identity.roles.includes(ADMIN_ROLE);
}

export function isAuthenticated(identity: Identity): boolean {
  return identity.kind !== "anonymous";
}

/** The role that lets a caller manage one project's contracts. */
export function contractAdminRole(projectId: string): string {
  return `${CONTRACT_ADMIN_ROLE}:${projectId}`;
}
