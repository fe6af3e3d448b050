import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/volatility/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/volatility/schema.ts",
  out: "./keepers/volatility/migrations",
});
