// The cost model of an operation, for MAX_QUERY_COMPLEXITY. Every selected field costs 1; the
// selection below a list costs once per item the list may return:
//   - a connection (any field with a `first` argument) returns `first` (or `last`) items, or the
//     default page size when neither is given; a value above the maximum page size counts as the
//     maximum (the request is refused for that anyway, with the clearer BAD_USER_INPUT error);
//   - `edges` of a connection counts once: the connection has already multiplied it;
//   - any other list of objects (ancestors, processingErrors, issues) counts LIST_MULTIPLIER times.
// So `files(first: 500) { edges { node { id } } }` costs 1 + 500 × (1 + 1 + 1) = 1501, and three
// nested connections of first: 500 cost about 375 million.
import type { FieldComplexityValue } from "@pothos/plugin-complexity";
import { type GraphQLField, type GraphQLOutputType, getNamedType, isListType, isNonNullType } from "graphql";
import type { Context } from "../context.ts";

/** What a list of objects other than a connection counts for (Pothos' default list multiplier). */
export const LIST_MULTIPLIER = 10;

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function pageArg(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) ? value : undefined;
}

/** The builder's `complexity.fieldComplexity`: the cost of one field and its list multiplier. */
export function fieldComplexity(
  args: Record<string, unknown>,
  ctx: Context,
  field: GraphQLField<unknown, Context, Record<string, unknown>>,
): FieldComplexityValue {
  if (field.args.some((a) => a.name === "first")) {
    const { pageSize } = ctx.config;
    const asked = pageArg(args.first) ?? pageArg(args.last) ?? pageSize.default;
    return { field: 1, multiplier: Math.min(Math.max(asked, 0), pageSize.max) };
  }
  if (!isList(field.type)) return { field: 1, multiplier: 1 };
  if (field.name === "edges" && getNamedType(field.type).name.endsWith("Edge")) return { field: 1, multiplier: 1 };
  return { field: 1, multiplier: LIST_MULTIPLIER };
}
