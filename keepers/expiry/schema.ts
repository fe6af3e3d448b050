import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The expiry keeper's own tables, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/expiry/drizzle.config.ts`, applied at start with their own journal.
// Everything here is learned from AIPowerDerivatives' logs (the log watcher's cursor moves past an event only once
// its handler stored it), so a restart forgets nothing. Ids and amounts are uint256 on chain: stored as decimal text.

/** Series seen in SeriesCreated. `done` once settled, every vault settled and every holder paid (or OTM). */
export const expirySeries = sqliteTable("expiry_series", {
  seriesId: text("series_id").primaryKey(),
  poolId: text("pool_id").notNull(),
  expiry: integer("expiry").notNull(),
  isCall: integer("is_call", { mode: "boolean" }).notNull(),
  strikeWad: text("strike_wad").notNull(),
  createdBlock: integer("created_block").notNull(),
  done: integer("done", { mode: "boolean" }).notNull().default(false),
});

/** Vaults seen in VaultOpened; `settled` once VaultSettled is seen (or the vault is found gone). */
export const expiryVaults = sqliteTable(
  "expiry_vaults",
  {
    vaultId: text("vault_id").primaryKey(),
    seriesId: text("series_id").notNull(),
    owner: text("owner").notNull(),
    openedBlock: integer("opened_block").notNull(),
    settled: integer("settled", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [index("expiry_vaults_series").on(t.seriesId, t.settled)],
);

/** Every address that received options of a series (ERC-6909 Transfer, mints included). Balances are read on chain. */
export const expiryHolders = sqliteTable(
  "expiry_holders",
  {
    seriesId: text("series_id").notNull(),
    holder: text("holder").notNull(),
    firstBlock: integer("first_block").notNull(),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.holder] })],
);

export const actionKinds = ["finalize", "settle", "exercise"] as const;
export type ActionKind = (typeof actionKinds)[number];

export const actionStatuses = [
  "sending",
  "mined",
  "reverted",
  "pending",
  "failed",
  "dry-run",
  /** the simulation says it is done already: settled, finalized, exercised by someone else */
  "already-done",
  /** any other revert of the simulation (e.g. the pot cannot pay yet) */
  "refused",
  /** the node failed; the next block tries again */
  "error",
] as const;
export type ActionStatus = (typeof actionStatuses)[number];

/** Every write the keeper launched (or simulated in dry-run mode), and how it ended. */
export const expiryActions = sqliteTable(
  "expiry_actions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    chainId: integer("chain_id").notNull(),
    seriesId: text("series_id").notNull(),
    kind: text("kind", { enum: actionKinds }).notNull(),
    /** The vault id (settle), the holders JSON array (exercise), `poolId:expiry` (finalize). */
    target: text("target").notNull(),
    blockNumber: integer("block_number").notNull(),
    status: text("status", { enum: actionStatuses }).notNull(),
    reason: text("reason"),
    intentId: text("intent_id").notNull(),
    txHash: text("tx_hash"),
    minedBlock: integer("mined_block"),
    decidedAt: integer("decided_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("expiry_actions_series").on(t.seriesId, t.id), index("expiry_actions_intent").on(t.intentId)],
);

export type ExpiryActionRow = typeof expiryActions.$inferSelect;
export type NewExpiryAction = typeof expiryActions.$inferInsert;
