// Imports each domain for its side effects on the builder, then builds the schema.
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./files/index.ts";
import "./contracts/index.ts";

export const schema = builder.toSchema();

/** The SDL committed as schema.graphql: sorted, so that diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
