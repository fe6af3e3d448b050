import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/rebalancer/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/rebalancer/schema.ts",
  out: "./keepers/rebalancer/migrations",
});
