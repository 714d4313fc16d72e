// The whole transport: POST a generated TypedDocumentNode with its variables, get its typed data
// back. No cache and no framework; any fetch implementation will do (the platform's by default).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type DocumentNode, print } from "graphql";

export interface ClientOptions {
  /** The API's URL, e.g. http://localhost:4000/graphql. */
  endpoint: string;
  /** A bearer token (README, "Authentication"); without one the caller is anonymous. */
  token?: string;
  /** The fetch to send requests with; the platform's when not given. */
  fetch?: Fetch;
}

/** The part of the fetch API the client uses: any implementation of it will do. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** One entry of a response's `errors`. */
export interface ResponseError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/**
 * The request failed as a whole: GraphQL errors (a refused token, a limit, a bad variable, an
 * unexpected server error) or an answer that is not GraphQL. Expected refusals of a mutation are
 * not this: they are typed results in `data` (see ./materialize.ts).
 */
export class RequestError extends Error {
  override readonly name = "RequestError";
  constructor(
    message: string,
    readonly status: number,
    readonly errors: ResponseError[],
    /** The server's id for the request: quote it when reporting a problem. */
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

/** Runs one operation and resolves to its data, typed by the document. */
export type Client = <TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
) => Promise<TResult>;

interface ResponseBody {
  data?: unknown;
  errors?: ResponseError[];
  extensions?: { requestId?: unknown };
}

export function createClient(options: ClientOptions): Client {
  const send: Fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json;q=0.9",
    ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
  };
  // Documents are generated constants: print each once.
  const texts = new WeakMap<DocumentNode, string>();
  const textOf = (document: DocumentNode) => {
    let text = texts.get(document);
    if (text === undefined) {
      text = print(document);
      texts.set(document, text);
    }
    return text;
  };

  return async function request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const response = await send(options.endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify({ query: textOf(document), variables }),
    });
    const text = await response.text();
    let body: ResponseBody;
    try {
      body = JSON.parse(text) as ResponseBody;
    } catch {
      throw new RequestError(
        `HTTP ${response.status}: not a GraphQL response: ${text.slice(0, 200)}`,
        response.status,
        [],
        response.headers.get("x-request-id"),
      );
    }
    const requestId =
      typeof body.extensions?.requestId === "string" ? body.extensions.requestId : response.headers.get("x-request-id");
    // Partial data with errors is treated as a failure: these operations need all of their data.
    if (body.errors?.length || body.data == null) {
      const errors = body.errors ?? [];
      const message = errors.map((e) => e.message).join("; ") || `HTTP ${response.status}: no data`;
      throw new RequestError(message, response.status, errors, requestId);
    }
    return body.data as TResult;
  };
}
