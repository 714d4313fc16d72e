// The read rule of src/domain/access.ts as a Prisma filter, so that lists, counts and lineage
// pages leave hidden files out in SQL rather than after fetching. test/access/rules.test.ts checks
// that this filter and canReadFile agree on every combination of caller and file.

import { principals } from "../domain/access.ts";
import { type Identity, isAdmin, isAuthenticated } from "../domain/identity.ts";
import { CLASSIFICATIONS, withinCeiling } from "../domain/vocabulary.ts";
import type { Prisma } from "../generated/prisma/client.ts";

/** The files the caller may read; `{}` for an admin. Combine with AND. */
export function visibleFiles(identity: Identity): Prisma.ProjectFileWhereInput {
  if (isAdmin(identity)) return {};
  const levels: Prisma.ProjectFileWhereInput[] = [{ accessLevel: "public" }];
  if (isAuthenticated(identity)) levels.push({ accessLevel: "internal" });
  if (identity.workspaces.length > 0) {
    levels.push({ accessLevel: "workspace", workspaceId: { in: [...identity.workspaces] } });
  }
  if (identity.subject !== null) {
    levels.push({
      accessLevel: "private",
      OR: [
        { createdBy: identity.subject },
        ...principals(identity).map((p) => ({ permissions: { path: ["read"], array_contains: [p] } })),
      ],
    });
  }
  return {
    dataClassification: { in: CLASSIFICATIONS.filter((c) => withinCeiling(c, identity.clearance)) },
    OR: levels,
  };
}

/** `where` limited to the files the caller may read. */
export function visible(identity: Identity, where: Prisma.ProjectFileWhereInput = {}): Prisma.ProjectFileWhereInput {
  const rule = visibleFiles(identity);
  if (Object.keys(rule).length === 0) return where;
  return Object.keys(where).length === 0 ? rule : { AND: [where, rule] };
}

/** The columns the access rules read of a file (select them with a row a rule will be applied to). */
export const ACCESS_FACTS = {
  id: true,
  dataClassification: true,
  accessLevel: true,
  workspaceId: true,
  createdBy: true,
  permissions: true,
} as const satisfies Prisma.ProjectFileSelect;
