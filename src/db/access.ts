// The read rule of src/domain/access.ts as a Prisma filter, so that lists, counts and lineage
// pages leave hidden files out in SQL rather than after fetching. test/access/sql-rule.test.ts checks
// that this filter, its SQL twin `visibleSql` and canReadFile agree on every caller and file.

import { principals } from "../domain/access.ts";
import { type Identity, isAdmin, isAuthenticated } from "../domain/identity.ts";
import { CLASSIFICATIONS, withinCeiling } from "../domain/vocabulary.ts";
import { Prisma } from "../generated/prisma/client.ts";

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

/**
 * The same rule as `visibleFiles`, as a SQL condition on the project_files row called `alias`, for
 * the hand-written lineage statements. test/access/sql-rule.test.ts checks that the two filters and
 * canReadFile agree on every combination of caller and file.
 */
export function visibleSql(identity: Identity, alias: string): Prisma.Sql {
  if (isAdmin(identity)) return Prisma.sql`TRUE`;
  const f = (column: string) => Prisma.raw(`${alias}.${column}`);
  const levels: Prisma.Sql[] = [Prisma.sql`${f("access_level")} = 'public'`];
  if (isAuthenticated(identity)) levels.push(Prisma.sql`${f("access_level")} = 'internal'`);
  if (identity.workspaces.length > 0) {
    levels.push(
      Prisma.sql`(${f("access_level")} = 'workspace' AND ${f("workspace_id")} IN (${Prisma.join(
        identity.workspaces.map((w) => Prisma.sql`${w}::uuid`),
      )}))`,
    );
  }
  if (identity.subject !== null) {
    // `@>` with a one-string array matches a string element of a `read` array, and nothing when
    // `read` is not an array: the rule of canReadFile (and of Prisma's array_contains).
    const listed = principals(identity).map(
      (p) => Prisma.sql`${f("permissions")} -> 'read' @> ${JSON.stringify([p])}::jsonb`,
    );
    levels.push(
      Prisma.sql`(${f("access_level")} = 'private' AND (${Prisma.join(
        [Prisma.sql`${f("created_by")} = ${identity.subject}`, ...listed],
        " OR ",
      )}))`,
    );
  }
  const allowed = CLASSIFICATIONS.filter((c) => withinCeiling(c, identity.clearance));
  return Prisma.sql`(${f("data_classification")} IN (${Prisma.join(allowed)}) AND (${Prisma.join(levels, " OR ")}))`;
}
