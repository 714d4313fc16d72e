// Every list is bounded: `first` has a default and a maximum, and asking for more than the
// maximum is an error the client can read, never a silent truncation.
import { GraphQLError } from "graphql";
import type { Context } from "../context.ts";

interface PageArgs {
  first?: number | null;
  last?: number | null;
}

/** How every list words a cursor it did not write (after "`after` " or "`before` "). */
export const FOREIGN_CURSOR = "is not a cursor of this list; pass back an `endCursor` or an edge's `cursor` unchanged.";

/** A refused read argument: a GraphQL error with code BAD_USER_INPUT naming the argument. */
export function badInput(message: string, argument: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", argument, ...extra } });
}

function check(args: PageArgs, max: number): void {
  for (const name of ["first", "last"] as const) {
    const n = args[name];
    if (n === undefined || n === null) continue;
    if (n < 0 || n > max) {
      throw badInput(
        `\`${name}\` must be between 0 and ${max}; got ${n}. Page through longer lists with \`after\`.`,
        name,
        { max },
      );
    }
  }
}

// Also run on every `first`/`last` of an operation before it executes (src/hardening), so that a
// nested list asking for too much is refused before its parent's SQL runs.
export { check as checkPageArgs };

/** Options for prismaConnection / relatedConnection: the configured default and maximum page size. */
export const pageSizes = {
  defaultSize: (_args: PageArgs, ctx: Context) => ctx.config.pageSize.default,
  maxSize: (args: PageArgs, ctx: Context) => {
    check(args, ctx.config.pageSize.max);
    return ctx.config.pageSize.max;
  },
};

/** The page size of a hand-made connection: `first`, or the default; over the maximum is an error. */
export function pageSize(first: number | null | undefined, ctx: Context): number {
  check({ first }, ctx.config.pageSize.max);
  return first ?? ctx.config.pageSize.default;
}
