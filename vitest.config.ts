import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node, and so Pothos and Yoga, load the
    // CJS one; Vite would hand our inlined sources the ESM one, and instanceof checks across the
    // two copies fail ("Cannot use GraphQLEnumType from another module or realm", GraphQLErrors
    // masked as unexpected). Resolve it the way Node does.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/global.ts"],
    // Real databases and child processes (the Prisma CLI, the server): generous, not infinite.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One fork per core (vitest's default leaves one core free): much of a test file's time is
    // spent waiting on PostgreSQL, PGlite's migrations and the servers it starts, so files overlap well.
    maxWorkers: availableParallelism(),
    env: { NODE_ENV: "test" },
  },
});
