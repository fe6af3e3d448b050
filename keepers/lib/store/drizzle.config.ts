import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --config keepers/lib/store/drizzle.config.ts` (from the repository root).
export default defineConfig({
  dialect: "sqlite",
  schema: "./keepers/lib/store/schema.ts",
  out: "./keepers/lib/store/migrations",
});
