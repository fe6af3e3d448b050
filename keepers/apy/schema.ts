import { real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { decisionIndexes, decisionKeyColumns, decisionOutcomeColumns } from "../lib/decisions.js";

// The APY keeper's own table, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/apy/drizzle.config.ts`, applied at start with their own journal.
// Rates, stakes and APYs are uint256 on chain: stored as decimal text (APYs as 1e18 fixed point).

/** Every decision the keeper made (`set-rate` or `skip`), with its reason and, when it wrote, the transaction. */
export const apyDecisions = sqliteTable(
  "apy_decisions",
  {
    ...decisionKeyColumns(),
    totalStaked: text("total_staked").notNull(),
    targetStake: text("target_stake"),
    utilization: real("utilization"),
    currentApy: text("current_apy"),
    targetApy: text("target_apy"),
    oldRate: text("old_rate").notNull(),
    desiredRate: text("desired_rate"),
    clampedRate: text("clamped_rate"),
    maxAffordableRate: text("max_affordable_rate"),
    newRate: text("new_rate"),
    ...decisionOutcomeColumns(),
  },
  decisionIndexes("apy_decisions"),
);

export type ApyDecisionRow = typeof apyDecisions.$inferSelect;
