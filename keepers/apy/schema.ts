import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The APY keeper's own table, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/apy/drizzle.config.ts`, applied at start with their own journal.
// Rates, stakes and APYs are uint256 on chain: stored as decimal text (APYs as 1e18 fixed point).

/** Every decision the keeper made, with its reason and, when it wrote, the transaction. */
export const apyDecisions = sqliteTable(
  "apy_decisions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    chainId: integer("chain_id").notNull(),
    poolId: text("pool_id").notNull(),
    /** Keeper's clock, unix ms. */
    decidedAt: integer("decided_at").notNull(),
    /** Chain's clock (latest block timestamp), unix s. */
    blockTimestamp: integer("block_timestamp").notNull(),
    blockNumber: integer("block_number").notNull(),
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
    /** `set-rate` or `skip`. */
    action: text("action").notNull(),
    skipReason: text("skip_reason"),
    reason: text("reason").notNull(),
    intentId: text("intent_id"),
    txHash: text("tx_hash"),
    /** mined, reverted, pending, failed, dry-run, simulation-failed. */
    txStatus: text("tx_status"),
    txNote: text("tx_note"),
  },
  (t) => [
    index("apy_decisions_pool").on(t.chainId, t.poolId, t.id),
    index("apy_decisions_action").on(t.action, t.id),
  ],
);

export type ApyDecisionRow = typeof apyDecisions.$inferSelect;
