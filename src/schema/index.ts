// Imports each domain for its side effects on the builder, then builds the schema.
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./errors.ts";
import "./files/index.ts";
import "./files/mutations.ts";
import "./contracts/index.ts";
import "./contracts/mutations.ts";
import "./lineage/index.ts";
import "./materializations/index.ts";
import "./processing/index.ts";
import "./subscriptions/index.ts";

export const schema = builder.toSchema();

/** The SDL committed as schema.graphql: sorted, so that diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
