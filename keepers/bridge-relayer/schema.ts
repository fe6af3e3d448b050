import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The bridge relayer's own tables, beside the runtime's (intents, attempts, cursors) in the same SQLite file.
// Migrations: `npx drizzle-kit generate --config keepers/bridge-relayer/drizzle.config.ts`, applied at start with
// their own journal. uint256 values are decimal text; times are unix ms unless named otherwise.

export const requestStatuses = ["pending", "submitted", "completed", "refunded", "failed"] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/**
 * One bridge request the relayer has heard of (through an accepted attestation), and where it is in its life:
 * `pending` (collecting signatures, or waiting: for the deadline, for refund attestations, for a chain), then
 * `submitted` (our completeBridge/refundBridge is signed and stored; the runtime drives it to a receipt), then
 * `completed` (on the destination) or `refunded` (on the source) — by us or by anyone else — or `failed` (the
 * transaction reverted or can never be sent; `reason` says why; it is still checked on chain and may end).
 */
export const bridgeRequests = sqliteTable(
  "bridge_requests",
  {
    requestId: text("request_id").primaryKey(),
    srcChainId: integer("src_chain_id").notNull(),
    dstChainId: integer("dst_chain_id").notNull(),
    srcBridge: text("src_bridge").notNull(),
    dstBridge: text("dst_bridge").notNull(),
    srcToken: text("src_token").notNull(),
    dstToken: text("dst_token").notNull(),
    sender: text("sender").notNull(),
    recipient: text("recipient").notNull(),
    amount: text("amount").notNull(),
    /** Unix seconds (source chain clock at initiation + requestTtl). */
    deadline: text("deadline").notNull(),
    nonce: text("nonce").notNull(),
    status: text("status", { enum: requestStatuses }).notNull(),
    /** The action under way or done: completion or refund. */
    kind: text("kind", { enum: ["completion", "refund"] }),
    intentId: text("intent_id"),
    txHash: text("tx_hash"),
    /** Whether the completion/refund on chain was ours (`relayer`) or someone else's (`other`). */
    settledBy: text("settled_by", { enum: ["relayer", "other"] }),
    /** Why it is waiting, or why it failed (an error name from a simulation, a revert …). */
    reason: text("reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    checkedAt: integer("checked_at"),
  },
  (t) => [index("bridge_requests_status").on(t.status, t.updatedAt)],
);

/** Every accepted attestation: one validator's signature for (request, kind, validator set version). */
export const bridgeAttestations = sqliteTable(
  "bridge_attestations",
  {
    requestId: text("request_id")
      .notNull()
      .references(() => bridgeRequests.requestId),
    kind: text("kind", { enum: ["completion", "refund"] }).notNull(),
    validatorSetVersion: text("validator_set_version").notNull(),
    signer: text("signer").notNull(),
    signature: text("signature").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.kind, t.validatorSetVersion, t.signer] })],
);

export type BridgeRequestRow = typeof bridgeRequests.$inferSelect;
export type BridgeAttestationRow = typeof bridgeAttestations.$inferSelect;
