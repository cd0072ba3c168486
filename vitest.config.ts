import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its public name; exact-match regexes so `plinth` does not
    // also rewrite `plinth/schema` (or any path merely starting with "plinth").
    alias: [
      { find: /^plinth\/schema$/, replacement: src("schema/index.ts") },
      { find: /^plinth\/migrate$/, replacement: src("migrate/index.ts") },
      { find: /^plinth\/security$/, replacement: src("security/index.ts") },
      { find: /^plinth\/review$/, replacement: src("review/index.ts") },
      { find: /^plinth\/ops$/, replacement: src("ops/index.ts") },
      { find: /^plinth$/, replacement: src("index.ts") },
    ],
  },
  test: {
    // Schemas with encrypted columns need keys; tests run as a configured deployment would. Tests of
    // the missing-key paths remove the variable themselves.
    env: { PLINTH_ENCRYPTION_KEYS: "test:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=" },
    include: ["test/**/*.test.ts", "blueprints/**/*.test.ts"],
    // Row-type inference is checked by the compiler: *.test-d.ts files are type-checked, not run.
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    // Starts throwaway PostgreSQL/MariaDB servers shared by all test files.
    globalSetup: ["./test/engines/global-setup.ts"],
    // Real servers (and first-run wasm init for pglite) are slow compared to unit tests.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // forks, not threads: native drivers (better-sqlite3) and pglite are happier in processes.
    pool: "forks",
    // CI boxes have 2 cores and the database servers need CPU too.
    maxWorkers: 2,
  },
});
