import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The liquidator's own tables, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/liquidator/drizzle.config.ts`, applied at start with their own journal.
// Ids and amounts are uint256 on chain: stored as decimal text.

/** Margined vaults seen in VaultOpened events (the log watcher's cursor moves past them only once stored). */
export const liquidatorVaults = sqliteTable("liquidator_vaults", {
  vaultId: text("vault_id").primaryKey(),
  seriesId: text("series_id").notNull(),
  owner: text("owner").notNull(),
  openedBlock: integer("opened_block").notNull(),
  /** Set once the vault is gone (settled) or its series expired: it is not read any more. */
  closed: integer("closed", { mode: "boolean" }).notNull().default(false),
});

export const actionStatuses = [
  "sending",
  "mined",
  "reverted",
  "pending",
  "failed",
  "dry-run",
  /** the simulation says there is nothing to do any more: healthy again, already liquidated, expired */
  "already-done",
  /** any other revert of the simulation */
  "refused",
  /** the node failed; the next block tries again */
  "error",
] as const;
export type ActionStatus = (typeof actionStatuses)[number];

/** Every liquidation the keeper launched (or simulated in dry-run mode), and how it ended. */
export const liquidatorActions = sqliteTable(
  "liquidator_actions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    chainId: integer("chain_id").notNull(),
    vaultId: text("vault_id").notNull(),
    seriesId: text("series_id").notNull(),
    amount: text("amount").notNull(),
    /** Collateral the simulation said the contract pays, and that minus the options' value (raw collateral). */
    collateralPaid: text("collateral_paid"),
    reward: text("reward"),
    gasCost: text("gas_cost"),
    /** The first block in which the keeper saw the vault liquidatable. */
    episodeBlock: integer("episode_block").notNull(),
    blockNumber: integer("block_number").notNull(),
    status: text("status", { enum: actionStatuses }).notNull(),
    reason: text("reason"),
    intentId: text("intent_id").notNull(),
    txHash: text("tx_hash"),
    minedBlock: integer("mined_block"),
    /** minedBlock − episodeBlock: 1 is the best a keeper can do. */
    latencyBlocks: integer("latency_blocks"),
    decidedAt: integer("decided_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("liquidator_actions_vault").on(t.vaultId, t.id),
    index("liquidator_actions_intent").on(t.intentId),
  ],
);

export type LiquidatorActionRow = typeof liquidatorActions.$inferSelect;
export type NewLiquidatorAction = typeof liquidatorActions.$inferInsert;
