// Every list is bounded: `first` has a default and a maximum, and asking for more than the
// maximum is an error the client can read, never a silent truncation.
import { GraphQLError } from "graphql";
import type { Context } from "../context.ts";

interface PageArgs {
  first?: number | null;
  last?: number | null;
}

function check(args: PageArgs, max: number): void {
  for (const name of ["first", "last"] as const) {
    const n = args[name];
    if (n === undefined || n === null) continue;
    if (n < 0 || n > max) {
      throw new GraphQLError(
        `\`${name}\` must be between 0 and ${max}; got ${n}. Page through longer lists with \`after\`.`,
        {
          extensions: { code: "BAD_USER_INPUT", argument: name, max },
        },
      );
    }
  }
}

/** Options for prismaConnection / relatedConnection: the configured default and maximum page size. */
export const pageSizes = {
  defaultSize: (_args: PageArgs, ctx: Context) => ctx.config.pageSize.default,
  maxSize: (args: PageArgs, ctx: Context) => {
    check(args, ctx.config.pageSize.max);
    return ctx.config.pageSize.max;
  },
};

/**
 * Connection options for a prismaConnection with `totalCount`: Pothos adds the field without a
 * description, so it is declared again here, the same way (the extension keeps Pothos's shortcut
 * that answers a count-only selection without loading a page).
 */
export function countedConnection(description: string) {
  return {
    description,
    // biome-ignore lint/suspicious/noExplicitAny: the connection's field builder type is internal to Pothos
    fields: (t: any) => ({
      totalCount: t.int({
        description: "How many items the whole list holds, across all pages.",
        nullable: false,
        extensions: { pothosPrismaTotalCount: true },
        resolve: (parent: { totalCount?: () => number | Promise<number> }) => parent.totalCount?.(),
      }),
    }),
  };
}
