// The custom scalars. Each parses strictly: a bad literal or variable is a GraphQL validation
// error naming the value, before any resolver runs.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseUuid(value: unknown): string {
  if (typeof value !== "string" || !UUID_RE.test(value)) {
    throw new GraphQLError(
      `UUID must be a string like 123e4567-e89b-12d3-a456-426614174000; got ${JSON.stringify(value)}`,
    );
  }
  return value.toLowerCase();
}

export const UUIDScalar = new GraphQLScalarType<string, string>({
  name: "UUID",
  description: "A UUID in its canonical 36-character text form.",
  serialize: (v) => String(v),
  parseValue: parseUuid,
  parseLiteral: (ast) => parseUuid(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDateTime(value: unknown): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new GraphQLError(`DateTime must be an ISO 8601 string with a time zone; got ${JSON.stringify(value)}`);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new GraphQLError(`DateTime is not a real date: ${value}`);
  // Four-digit years only, in UTC too (an offset can push 0000 or 9999 across): what every client
  // and the database's timestamp type agree on.
  const year = d.getUTCFullYear();
  if (year < 1 || year > 9999) throw new GraphQLError(`DateTime must fall in the years 0001 to 9999; got ${value}`);
  return d;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: "DateTime",
  description: "A point in time, as an ISO 8601 string with a time zone (UTC on output).",
  serialize: (v) => (v instanceof Date ? v : new Date(String(v))).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;

function parseBigInt(value: unknown): bigint {
  let n: bigint | undefined;
  if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^-?\d{1,19}$/.test(value)) n = BigInt(value);
  if (n === undefined) {
    throw new GraphQLError(`BigInt must be a whole number or a string of digits; got ${JSON.stringify(value)}`);
  }
  if (n < BIGINT_MIN || n > BIGINT_MAX) {
    throw new GraphQLError(`BigInt must fit in 64 bits (${BIGINT_MIN} to ${BIGINT_MAX}); got ${value}`);
  }
  return n;
}

export const BigIntScalar = new GraphQLScalarType<bigint, string>({
  name: "BigInt",
  description: "A 64-bit whole number, serialized as a string so that no client loses precision.",
  serialize: (v) => String(v),
  parseValue: parseBigInt,
  parseLiteral: (ast) =>
    parseBigInt(ast.kind === Kind.INT ? ast.value : ast.kind === Kind.STRING ? ast.value : undefined),
});

function literalToJson(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new GraphQLError(`JSON cannot hold a ${ast.kind} literal`);
  }
}

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: "JSON",
  description: "Any JSON value (objects, arrays, strings, numbers, booleans, null).",
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literalToJson,
});
