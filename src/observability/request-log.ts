// One JSON log line per GraphQL request: its id, operation, HTTP status, duration and outcome. It
// never holds the document, the variables (file metadata, paths, permissions), the headers or the
// bearer token: only the fields below, each built from the operation's name and the errors' codes.
import { type DocumentNode, type ExecutionResult, getOperationAST } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Logger } from "../logger.ts";

/** Longer operation names are cut: a name is for finding a line, and it comes from the client. */
const MAX_NAME_LENGTH = 100;

/**
 * ok: the operation ran without errors; error: it ran and some field or the whole result failed;
 * refused: it was stopped before running (authentication, CSRF, body size, parse, validation, or
 * a limit checked with the variables).
 */
export type Outcome = "ok" | "error" | "refused";

/** The fields of the log line, as written. */
export interface OperationLogLine {
  requestId: string;
  method: string;
  operationName: string | null;
  operationType: string | null;
  status: number;
  durationMs: number;
  outcome: Outcome;
  /** The errors' `extensions.code`s, once each, in order (absent when there are none). */
  errorCodes?: string[];
  /** The result is a stream (a subscription): the line is written when it starts. */
  streamed?: true;
}

interface RequestRecord {
  start: number;
  operationName: string | null;
  operationType: string | null;
  /** The document reached the parser: refusals before it are the "request" phase in the metrics. */
  parsing: boolean;
  executed: boolean;
  outcome?: Pick<OperationLogLine, "outcome" | "errorCodes" | "streamed">;
}

/** An error's `extensions.code`, when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

function cut(name: string): string {
  return name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name;
}

export interface RequestLogOptions {
  logger: Logger;
  requestId: (request: Request) => string;
  /** Called with the codes of a request refused before its document was parsed (for the metrics). */
  onRefusedBeforeParse?: (codes: string[]) => void;
}

export function requestLog({ logger, requestId, onRefusedBeforeParse }: RequestLogOptions): Plugin {
  const records = new WeakMap<Request, RequestRecord>();
  const recordOf = (context: unknown) => {
    const request = (context as { request?: Request } | undefined)?.request;
    return request ? records.get(request) : undefined;
  };
  return {
    // Only requests that reach the GraphQL request parsing are logged: GraphiQL's page, the
    // health, readiness and metrics endpoints and unknown paths are answered before it.
    onRequestParse({ request }) {
      records.set(request, {
        start: performance.now(),
        operationName: null,
        operationType: null,
        parsing: false,
        executed: false,
      });
    },
    onParams({ request, params }) {
      const record = records.get(request);
      if (record && typeof params.operationName === "string") record.operationName = cut(params.operationName);
    },
    onParse({ context }) {
      const record = recordOf(context);
      if (!record) return;
      record.parsing = true;
      return ({ result }) => {
        if (result instanceof Error || !result) return;
        const wanted = (context as { params?: { operationName?: string | null } }).params?.operationName;
        const operation = getOperationAST(result as DocumentNode, wanted ?? undefined);
        if (!operation) return; // no such operation: the error says so, the line keeps the name asked for
        record.operationName = operation.name ? cut(operation.name.value) : null;
        record.operationType = operation.operation;
      };
    },
    // "Executed" means the executor itself was called: a plugin that refuses the operation in
    // onExecute (the page-size and cost limits) stops it before that.
    onExecute({ args, executeFn, setExecuteFn }) {
      const record = recordOf(args.contextValue);
      if (!record) return;
      setExecuteFn((a) => {
        record.executed = true;
        return executeFn(a);
      });
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const record = recordOf(args.contextValue);
      if (!record) return;
      setSubscribeFn((a) => {
        record.executed = true;
        return subscribeFn(a);
      });
    },
    onResultProcess({ request, result }) {
      const record = records.get(request);
      if (!record) return;
      if (isAsyncIterable(result)) {
        record.outcome = { outcome: record.executed ? "ok" : "refused", streamed: true };
        return;
      }
      const codes: string[] = [];
      for (const r of (Array.isArray(result) ? result : [result]) as ExecutionResult[]) {
        for (const error of r?.errors ?? []) codes.push(errorCode(error) ?? "UNKNOWN");
      }
      if (!record.parsing && codes.length > 0) onRefusedBeforeParse?.(codes);
      const errorCodes = [...new Set(codes)];
      record.outcome = {
        outcome: !record.executed ? "refused" : errorCodes.length > 0 ? "error" : "ok",
        ...(errorCodes.length > 0 ? { errorCodes } : {}),
      };
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record) return;
      records.delete(request);
      const line: OperationLogLine = {
        requestId: requestId(request),
        method: request.method,
        operationName: record.operationName,
        operationType: record.operationType,
        status: response.status,
        durationMs: Math.round((performance.now() - record.start) * 10) / 10,
        ...(record.outcome ?? { outcome: "refused" }),
      };
      logger.info(line, "graphql request");
    },
  };
}
