// The request limits and protections of the API, as Yoga plugins (README.md, "Limits"). In the
// order they act: CSRF prevention and MAX_BODY_BYTES on the HTTP request, persisted-operations-only
// mode on its parameters, then the operation limits (src/hardening/operation-limits.ts). The
// statement timeout is set on the database connections (src/db/database.ts); its cancellations
// reach the client as STATEMENT_TIMEOUT errors through maskError.
import { GraphQLError } from "graphql";
import { type Plugin, maskError as yogaMaskError } from "graphql-yoga";
import type { Config } from "../config.ts";
import type { Context } from "../context.ts";
import { pgFailure } from "../db/errors.ts";
import type { Logger } from "../logger.ts";
import { bodyLimit, csrfPrevention } from "./http.ts";
import { operationLimits } from "./operation-limits.ts";
import { persistedOperationsOnly } from "./persisted.ts";

type MaskError = (error: unknown, message: string, isDev?: boolean) => Error;

/** SQLSTATE query_canceled: what PostgreSQL reports when statement_timeout cancels a statement. */
const QUERY_CANCELED = "57014";
/** SQLSTATE class 22, data exception: a value the database cannot take (bad text, out of range). */
const DATA_EXCEPTION = "22";

function causeOf(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? causeOf(error.originalError) : error;
}

/**
 * Yoga's error masking, except for a statement the database cancelled: that is reported as what it
 * is (STATEMENT_TIMEOUT, with the limit) rather than as "Unexpected error.". It is logged all the
 * same, with the request id, as every unexpected error is.
 */
export function maskErrors(statementTimeoutMs: number): MaskError {
  return (error, message, isDev) => {
    const sqlState = pgFailure(causeOf(error))?.sqlState;
    if (sqlState?.startsWith(DATA_EXCEPTION)) {
      // The input checks should refuse such a value first; this is the net below them, so that a
      // value the database cannot take is the client's error, not an "Unexpected error." (it is
      // still logged as unexpected, with the request id, so that the missing check gets added).
      const at = error instanceof GraphQLError ? error : undefined;
      return new GraphQLError(
        "A value in this request cannot be stored or compared by the database (for example text with a NUL character, or a number or date out of range).",
        { nodes: at?.nodes, path: at?.path, extensions: { code: "BAD_USER_INPUT", sqlState } },
      );
    }
    if (error instanceof GraphQLError && error.extensions.originalError !== undefined) {
      // Yoga attaches the parser's own error to some request errors (e.g. a body that is not
      // JSON); its message is the parser's, not ours.
      const { originalError: _, ...extensions } = error.extensions;
      return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions });
    }
    if (sqlState === QUERY_CANCELED) {
      const at = error instanceof GraphQLError ? error : undefined;
      return new GraphQLError(
        `The database cancelled a statement of this request: it ran longer than the limit of ${statementTimeoutMs} ms. Ask for less at once, or retry later.`,
        { nodes: at?.nodes, path: at?.path, extensions: { code: "STATEMENT_TIMEOUT", timeoutMs: statementTimeoutMs } },
      );
    }
    return yogaMaskError(error, message, isDev);
  };
}

export interface Hardening {
  plugins: Plugin<Context>[];
  maskError: MaskError;
}

export function hardening(config: Config, logger: Logger): Hardening {
  const { limits } = config;
  if (limits.persistedOperations) {
    const { file, documents } = limits.persistedOperations;
    logger.info({ file, operations: documents.size }, "persisted operations only: any other operation is refused");
  }
  return {
    plugins: [
      csrfPrevention() as Plugin<Context>,
      bodyLimit(limits.bodyBytes) as Plugin<Context>,
      ...(limits.persistedOperations ? [persistedOperationsOnly(limits.persistedOperations) as Plugin<Context>] : []),
      operationLimits(limits, config.pageSize.max),
    ],
    maskError: maskErrors(limits.statementTimeoutMs),
  };
}
