import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/expiry/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/expiry/schema.ts",
  out: "./keepers/expiry/migrations",
});
