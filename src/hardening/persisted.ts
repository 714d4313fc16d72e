// Persisted-operations-only mode. PERSISTED_OPERATIONS_FILE names a JSON object mapping each
// operation's id (what clients send as extensions.persistedQuery.sha256Hash) to its document. When
// it is set, only those operations run: a request carrying a `query` is refused, and so is an id
// the file does not hold. The file is read and every document parsed once, at start.
import { readFileSync } from "node:fs";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { parse } from "graphql";
import type { Plugin } from "graphql-yoga";
import { ConfigError } from "../config.ts";

export interface PersistedOperations {
  /** Where the operations were read from (for logs). */
  file: string;
  /** id → document text. */
  documents: ReadonlyMap<string, string>;
}

const ID_RE = /^[\w.:-]{1,200}$/;

function refuse(file: string, problem: string): never {
  throw new ConfigError(`PERSISTED_OPERATIONS_FILE (${file}) ${problem}`);
}

export function readPersistedOperations(file: string): PersistedOperations {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    refuse(file, `cannot be read: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    refuse(file, `is not JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    refuse(file, 'must hold a JSON object like {"<sha256 hash>": "query { ... }"}');
  }
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(value)) {
    if (!ID_RE.test(id)) refuse(file, `has an id that is not 1 to 200 letters, digits, _ . : -: ${JSON.stringify(id)}`);
    if (typeof document !== "string") refuse(file, `maps ${id} to a ${typeof document}, not a GraphQL document`);
    try {
      parse(document);
    } catch (e) {
      refuse(file, `maps ${id} to a document that does not parse: ${(e as Error).message}`);
    }
    documents.set(id, document);
  }
  if (documents.size === 0) refuse(file, "holds no operations, so nothing could run");
  return { file, documents };
}

const badRequest = (code: string, message: string) => ({ message, extensions: { code, http: { status: 400 } } });

/** Runs only the persisted operations; every other request is refused before it is parsed. */
export function persistedOperationsOnly(operations: PersistedOperations): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (id) => operations.documents.get(id) ?? null,
    allowArbitraryOperations: false,
    customErrors: {
      persistedQueryOnly: badRequest(
        "PERSISTED_QUERY_ONLY",
        "This server runs persisted operations only: send the operation's id as extensions.persistedQuery.sha256Hash (version 1), without a query.",
      ),
      keyNotFound: badRequest(
        "PERSISTED_QUERY_ID_REQUIRED",
        "This server runs persisted operations only: send the operation's id as extensions.persistedQuery.sha256Hash (version 1).",
      ),
      notFound: badRequest(
        "PERSISTED_QUERY_NOT_FOUND",
        "No persisted operation has this id; only the operations deployed with the server run.",
      ),
    },
  });
}
