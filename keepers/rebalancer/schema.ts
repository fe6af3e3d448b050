import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The rebalancer's own table, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/rebalancer/drizzle.config.ts`, applied at start with their own journal.
// Prices, drifts and pool ids are uint256 on chain: stored as decimal text.

export const actionStatuses = [
  /** launched: simulating, signing or waiting for the receipt */
  "sending",
  "mined",
  "reverted",
  /** stored and broadcast, not mined within TX_WAIT_SECONDS: the transaction layer resumes it */
  "pending",
  /** none of its transactions can be mined any more (refused, or the nonce went to another) */
  "failed",
  "dry-run",
  /** the simulation says the condition no longer holds: someone else acted first, or prices moved back */
  "already-done",
  /** the contract protects the portfolio: LossBudgetExceeded or TradeLossTooHigh */
  "loss-limited",
  /** a pool of the trade was traded earlier in the block (PoolTradedThisBlock): the next block tries again */
  "contended",
  /** any other revert of the simulation */
  "refused",
  /** the write could not be attempted (node unreachable, …); the next block tries again */
  "error",
] as const;
export type ActionStatus = (typeof actionStatuses)[number];

/** Every action the keeper took or simulated: why, in which block it first saw the need, and how it ended. */
export const rebalancerActions = sqliteTable(
  "rebalancer_actions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    chainId: integer("chain_id").notNull(),
    /** `rebalance`, `stop` or `record` (the oracle). */
    action: text("action").notNull(),
    portfolioId: text("portfolio_id"),
    /** stop: the asset sold. */
    asset: text("asset"),
    /** stop: `stop-loss` or `take-profit` (from the oracle price at the decision; null when unpriced). */
    side: text("side"),
    /** record: the pools, comma-separated. */
    pools: text("pools"),
    /** The block where the condition was first seen (the episode in the intent id). */
    episodeBlock: integer("episode_block").notNull(),
    /** The block the decision was made at (the tick's). */
    blockNumber: integer("block_number").notNull(),
    blockTimestamp: integer("block_timestamp").notNull(),
    /** Keeper's clock, unix ms. */
    decidedAt: integer("decided_at").notNull(),
    maxDriftBps: text("max_drift_bps"),
    price: text("price"),
    stopLossPrice: text("stop_loss_price"),
    takeProfitPrice: text("take_profit_price"),
    status: text("status", { enum: actionStatuses }).notNull(),
    /** The revert or error in one line, or the transaction layer's note. */
    reason: text("reason"),
    intentId: text("intent_id").notNull(),
    txHash: text("tx_hash"),
    minedBlock: integer("mined_block"),
    /** minedBlock − episodeBlock: 1 is the best a keeper can do (it sees block N, its transaction lands in N+1). */
    latencyBlocks: integer("latency_blocks"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("rebalancer_actions_portfolio").on(t.chainId, t.portfolioId, t.id),
    index("rebalancer_actions_intent").on(t.intentId),
    index("rebalancer_actions_status").on(t.status, t.id),
  ],
);

export type RebalancerActionRow = typeof rebalancerActions.$inferSelect;
export type NewRebalancerAction = typeof rebalancerActions.$inferInsert;
