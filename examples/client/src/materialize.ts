// Registering a materialization and handling each way it can be refused. The mutation returns a
// union; the switch below names every member, so when the schema adds one (a new kind of
// refusal), the generated type gains it and this file stops typechecking until it is handled.
import type { Client } from "./client.ts";
import {
  type ConflictReason,
  type ContractRule,
  RegisterMaterializationDocument,
  type RegisterMaterializationInput,
  type RegisterMaterializationMutation,
} from "./generated/graphql.ts";

type Result = RegisterMaterializationMutation["registerMaterialization"];
export type Materialization = Extract<Result, { __typename: "RegisterMaterializationSuccess" }>["file"];

/** Why a materialization was refused; nothing was written. `code` is the server's stable code. */
export type Refusal = { code: string; message: string } & (
  | { kind: "contract"; rule: ContractRule; contractId: string | null }
  | { kind: "invalid"; issues: { field: string; message: string }[] }
  | { kind: "not-found"; entity: string; field: string }
  | { kind: "conflict"; reason: ConflictReason; conflictingIds: string[]; retryable: boolean }
  | { kind: "forbidden" }
);

export type MaterializationOutcome = { ok: true; file: Materialization } | { ok: false; refusal: Refusal };

export async function registerMaterialization(
  client: Client,
  input: RegisterMaterializationInput,
): Promise<MaterializationOutcome> {
  const { registerMaterialization: result } = await client(RegisterMaterializationDocument, { input });
  const refused = (refusal: Refusal): MaterializationOutcome => ({ ok: false, refusal });
  switch (result.__typename) {
    case "RegisterMaterializationSuccess":
      return { ok: true, file: result.file };
    case "ContractViolationError":
      return refused({
        kind: "contract",
        code: result.code,
        message: result.message,
        rule: result.rule,
        contractId: result.contractId ?? null,
      });
    case "ValidationError":
      return refused({
        kind: "invalid",
        code: result.code,
        message: result.message,
        issues: result.issues.map((issue) => ({ field: issue.path.join("."), message: issue.message })),
      });
    case "NotFoundError":
      return refused({
        kind: "not-found",
        code: result.code,
        message: result.message,
        entity: result.entity,
        field: result.path.join("."),
      });
    case "ConflictError":
      return refused({
        kind: "conflict",
        code: result.code,
        message: result.message,
        reason: result.reason,
        conflictingIds: result.conflictingIds,
        // Another request changed the same rows meanwhile: the same request (with the same
        // idempotency key) may simply be sent again.
        retryable: result.reason === "CONCURRENT_UPDATE",
      });
    case "ForbiddenError":
      return refused({ kind: "forbidden", code: result.code, message: result.message });
    default:
      return unhandled(result);
  }
}

/** Compiles only when every member of the union has a case above. */
function unhandled(result: never): never {
  throw new Error(`unexpected registerMaterialization result: ${JSON.stringify(result)}`);
}
