import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { decisionIndexes, decisionKeyColumns, decisionOutcomeColumns } from "../lib/decisions.js";

// The volatility keeper's own table, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/volatility/drizzle.config.ts`, applied at start with their own journal.

/**
 * Every decision the keeper made (`set-volatility` or `skip`), with its reason and, when it wrote, the transaction.
 * Volatilities are wad (1e18 = 100 % a year) kept as decimal text.
 */
export const volatilityDecisions = sqliteTable(
  "volatility_decisions",
  {
    ...decisionKeyColumns(),
    sigma: real("sigma"),
    samples: integer("samples").notNull(),
    oldWad: text("old_wad").notNull(),
    updatedAt: integer("updated_at").notNull(),
    staleAt: integer("stale_at"),
    targetWad: text("target_wad"),
    clampedWad: text("clamped_wad"),
    newWad: text("new_wad"),
    /** initial, step or refresh (writes only). */
    mode: text("mode"),
    ...decisionOutcomeColumns(),
  },
  decisionIndexes("volatility_decisions"),
);

export type VolatilityDecisionRow = typeof volatilityDecisions.$inferSelect;
