// schema.graphql is the contract client teams generate code from: it must be exactly what the
// Pothos schema prints, and every public type and field must say what it is.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/db/migrations.ts";
import { printSortedSchema, schema } from "../src/schema/index.ts";

describe("schema.graphql", () => {
  it("is up to date with the Pothos schema (run npm run schema:print)", () => {
    expect(readFileSync(join(PROJECT_ROOT, "schema.graphql"), "utf8")).toBe(printSortedSchema());
  });

  it("describes every type, field, argument and enum value", () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of "args" in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
