// GraphQL Code Generator: typed documents for the operations in ./operations, from the committed
// schema.graphql (never from a running server, so generation needs no network and no database).
// Run from the repository root: npm run client:generate.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: "examples/client/operations/*.graphql",
  generates: {
    "examples/client/src/generated/": {
      preset: "client",
      // Operations only, no fragments to unmask; the documents are ASTs typed as TypedDocumentNode.
      presetConfig: { fragmentMasking: false },
      config: {
        // A scalar added to the schema without a mapping here fails generation, rather than
        // typing its values as `any`.
        strictScalars: true,
        scalars: {
          UUID: "string",
          DateTime: { input: "string", output: "string" },
          // 64-bit: sent as a string (or a safe integer), always received as a string.
          BigInt: { input: "string | number", output: "string" },
          JSON: "unknown",
        },
        useTypeImports: true,
        enumsAsTypes: true,
      },
    },
  },
  // Quiet when it works; the reason when it does not (an operation that no longer fits the schema
  // is a validation error naming the field, the file and the line).
  silent: true,
  hooks: { onError: (error: string) => console.error(error) },
};

export default config;
