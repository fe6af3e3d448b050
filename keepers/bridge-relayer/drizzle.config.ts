import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/bridge-relayer/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/bridge-relayer/schema.ts",
  out: "./keepers/bridge-relayer/migrations",
});
