// What a mutation's result should read: the Prisma selection the document asked for under the
// result's data field, so that its relations load with the write (no N+1 after the commit).
import { queryFromInfo } from "@pothos/plugin-prisma";
import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "../context.ts";

/**
 * The selection for a mutation's data field. A document that selects only `__typename` or the
 * error fragments yields an empty `select`, which Prisma refuses; the whole row is read then.
 */
export async function resultSelection(
  ctx: Context,
  info: GraphQLResolveInfo,
): Promise<{ select?: object; include?: object }> {
  // No `path`: under the errors plugin the plan already points at the data field.
  const query = (await queryFromInfo({ context: ctx, info, awaitSelections: true })) as {
    select?: object;
    include?: object;
  };
  return query.select && Object.keys(query.select).length === 0 ? {} : query;
}
