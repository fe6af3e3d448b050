import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/apy/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/apy/schema.ts",
  out: "./keepers/apy/migrations",
});
