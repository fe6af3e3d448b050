import { index, integer, primaryKey, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";

// The runtime's tables. Times are unix milliseconds; amounts (wei, gas) are decimal strings so that no
// bigint is ever rounded through a JS number. Migrations: `npx drizzle-kit generate --config
// keepers/lib/store/drizzle.config.ts`, committed under ./migrations and applied at start.

/** Where a reader has got to (e.g. the last block a log watcher processed). */
export const cursors = sqliteTable("cursors", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Events a watcher has handled, so that a restart or an overlapping range never handles one twice. */
export const seenEvents = sqliteTable(
  "seen_events",
  {
    source: text("source").notNull(),
    chainId: integer("chain_id").notNull(),
    txHash: text("tx_hash").notNull(),
    logIndex: integer("log_index").notNull(),
    blockNumber: integer("block_number").notNull(),
    blockHash: text("block_hash").notNull(),
    seenAt: integer("seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.source, t.chainId, t.txHash, t.logIndex] })],
);

export const intentStatuses = ["pending", "mined", "reverted", "failed"] as const;
export type IntentStatus = (typeof intentStatuses)[number];

/**
 * One write a keeper wants done, under an id the keeper chooses deterministically. `pending` holds from the
 * moment its first signed transaction is stored until a receipt is seen (`mined` / `reverted`) or no attempt
 * can ever be mined (`failed`: every attempt was rejected, or another transaction took the nonce). A `mined` or
 * `reverted` intent whose block a reorg replaced becomes `pending` again (`orphanedAt` set): it counts as done
 * only while its receipt is on the canonical chain.
 */
export const txIntents = sqliteTable(
  "tx_intents",
  {
    id: text("id").primaryKey(),
    chainId: integer("chain_id").notNull(),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address").notNull(),
    data: text("data").notNull(),
    value: text("value").notNull(),
    label: text("label"),
    status: text("status", { enum: intentStatuses }).notNull(),
    nonce: integer("nonce").notNull(),
    gas: text("gas").notNull(),
    minedHash: text("mined_hash"),
    minedBlock: integer("mined_block"),
    /** The hash of the block the receipt was in: a block at `minedBlock` with another hash means a reorg. */
    minedBlockHash: text("mined_block_hash"),
    /**
     * When a reorg took the intent's receipt off the canonical chain; cleared once a receipt is on it again (or
     * the intent fails for good). Set while the layer drives it back on chain.
     */
    orphanedAt: integer("orphaned_at"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("tx_intents_status").on(t.chainId, t.fromAddress, t.status)],
);

export const attemptStatuses = ["signed", "broadcast", "replaced", "mined", "rejected", "dead"] as const;
export type AttemptStatus = (typeof attemptStatuses)[number];

/**
 * Every signed transaction of an intent, stored before it is broadcast. Replacements share the nonce and
 * carry higher fees; `replaced` attempts — and `rejected` ones, which another node may have taken — may still
 * be the one that mines, so every attempt with the intent's current nonce is watched. An intent sent again
 * after it failed or reverted starts a new attempt series: its earlier attempts become `dead` (a `mined` one,
 * i.e. the reverted transaction, keeps its status) and only count if they carry the new series' nonce.
 */
export const txAttempts = sqliteTable(
  "tx_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    intentId: text("intent_id")
      .notNull()
      .references(() => txIntents.id),
    attempt: integer("attempt").notNull(),
    nonce: integer("nonce").notNull(),
    hash: text("hash").notNull().unique(),
    rawTx: text("raw_tx").notNull(),
    gas: text("gas").notNull(),
    maxFeePerGas: text("max_fee_per_gas").notNull(),
    maxPriorityFeePerGas: text("max_priority_fee_per_gas").notNull(),
    status: text("status", { enum: attemptStatuses }).notNull(),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    broadcastAt: integer("broadcast_at"),
    broadcastBlock: integer("broadcast_block"),
  },
  (t) => [unique("tx_attempts_intent_attempt").on(t.intentId, t.attempt)],
);

export type TxIntentRow = typeof txIntents.$inferSelect;
export type TxAttemptRow = typeof txAttempts.$inferSelect;
