import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/fee/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/fee/schema.ts",
  out: "./keepers/fee/migrations",
});
