import { defineConfig } from "vitest/config";

// Unit tests run in parallel; tests that start anvil, Ponder or keeper processes use their own free
// ports and files, so they can run side by side too.
export default defineConfig({
  test: {
    include: [
      "keepers/**/*.test.ts",
      "indexer/test/**/*.test.ts",
      "scripts/**/*.test.ts",
      "test-e2e/**/*.test.ts",
    ],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
