import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/bridge-attester/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/bridge-attester/schema.ts",
  out: "./keepers/bridge-attester/migrations",
});
