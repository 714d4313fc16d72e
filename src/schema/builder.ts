// The SchemaBuilder: plugins, scalars and shared types only. Object types live in one folder per
// domain next to their queries and mutations.
import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { nodeEnv } from "../config.ts";
import type { Context } from "../context.ts";
import { canManageContracts } from "../domain/access.ts";
import { ForbiddenError } from "../domain/errors.ts";
import { isAdmin, isAuthenticated } from "../domain/identity.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import { fieldComplexity } from "../hardening/complexity.ts";
import { BigIntScalar, DateTimeScalar, JSONScalar, UUIDScalar } from "./scalars.ts";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  Scalars: {
    UUID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
    BigInt: { Input: bigint; Output: bigint | number | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
  // A relation list checks its cursor against the caller's read rule while the query is planned.
  AsyncSelections: true;
  AuthScopes: {
    /** Any caller with a verified token (or the development identity). */
    authenticated: boolean;
    /** The admin role. */
    admin: boolean;
    /** May change the contracts of this project (admin, or contract-admin:<projectId>). */
    contractAdmin: string;
  };
}>({
  // Errors before scope-auth, so that a refused scope is a typed ForbiddenError result of a
  // mutation rather than a top-level error.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  // Each field's cost, for MAX_QUERY_COMPLEXITY. The limit is checked by src/hardening before
  // execution starts (with the request's variables), not by the plugin's resolver wrapper.
  complexity: { fieldComplexity, disabled: true },
  scopeAuth: {
    authScopes: (ctx) => ({
      authenticated: isAuthenticated(ctx.identity),
      admin: isAdmin(ctx.identity),
      contractAdmin: (projectId) => canManageContracts(ctx.identity, projectId),
    }),
    unauthorizedError: (_parent, ctx) =>
      new ForbiddenError(
        isAuthenticated(ctx.identity)
          ? "Your roles do not allow this (see the access rules in the README)."
          : "Anonymous callers cannot do this; send a bearer token.",
      ),
  },
  defaultFieldNullability: false,
  errors: {
    // Each mutation lists the errors it can return; the union and success type are named after it
    // (registerFile → RegisterFileResult = RegisterFileSuccess | ValidationError | ...).
    // Any mutation may be refused by the access rules.
    defaultTypes: [ForbiddenError],
    defaultResultOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Success` },
    defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
  },
  prisma: {
    // The client is per request (tests and servers each own a database), so resolve it from context.
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: nodeEnv() === "production" ? null : "warn",
  },
  relay: {
    cursorType: "String",
    // Files and contracts are addressed by their UUIDs, not by global relay ids.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    pageInfoTypeOptions: { description: "Where a page sits in its list, and the cursors to move from it." },
    edgesFieldOptions: { description: "The page's items, each with its cursor." },
    pageInfoFieldOptions: { description: "Whether there are more items before or after this page." },
    cursorFieldOptions: { description: "An opaque position in the list; pass it as `after` to continue." },
    nodeFieldOptions: { description: "The item." },
    hasNextPageFieldOptions: { description: "True when more items follow this page." },
    hasPreviousPageFieldOptions: { description: "True when items come before this page." },
    startCursorFieldOptions: { description: "The cursor of the first item of the page." },
    endCursorFieldOptions: { description: "The cursor of the last item of the page." },
    firstArgOptions: { description: "How many items to return (see the list's default and maximum)." },
    afterArgOptions: { description: "Return items after this cursor." },
    lastArgOptions: { description: "How many items to return, counting back from `before`." },
    beforeArgOptions: { description: "Return items before this cursor." },
  },
});

builder.addScalarType("UUID", UUIDScalar);
builder.addScalarType("DateTime", DateTimeScalar);
builder.addScalarType("BigInt", BigIntScalar);
builder.addScalarType("JSON", JSONScalar);

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

builder.queryType({ description: "Reads: files, their lineage, and boundary contracts." });
builder.mutationType({
  description: "Writes. Each runs in one transaction; a refusal is a typed error and changes nothing.",
});
