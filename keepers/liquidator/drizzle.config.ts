import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/liquidator/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/liquidator/schema.ts",
  out: "./keepers/liquidator/migrations",
});
