import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The fee keeper's own table, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/fee/drizzle.config.ts`, applied at start with their own journal.

/** Every decision the keeper made, with its reason and, when it wrote, the transaction. */
export const feeDecisions = sqliteTable(
  "fee_decisions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    chainId: integer("chain_id").notNull(),
    poolId: text("pool_id").notNull(),
    /** Keeper's clock, unix ms. */
    decidedAt: integer("decided_at").notNull(),
    /** Chain's clock (latest block timestamp), unix s. */
    blockTimestamp: integer("block_timestamp").notNull(),
    blockNumber: integer("block_number").notNull(),
    sigma: real("sigma"),
    samples: integer("samples").notNull(),
    oldFee: integer("old_fee").notNull(),
    targetFee: integer("target_fee"),
    clampedTarget: integer("clamped_target"),
    newFee: integer("new_fee"),
    /** `set-fee` or `skip`. */
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
    index("fee_decisions_pool").on(t.chainId, t.poolId, t.id),
    index("fee_decisions_action").on(t.action, t.id),
  ],
);

export type FeeDecisionRow = typeof feeDecisions.$inferSelect;
