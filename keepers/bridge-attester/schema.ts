import { index, integer, primaryKey, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";

// The attester's own tables, beside the runtime's (cursors, seen events) in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/bridge-attester/drizzle.config.ts`, applied at start with their own
// journal table. uint256 values are decimal text; times are unix milliseconds unless named otherwise.

export const requestStates = ["open", "settled", "refused"] as const;
export type RequestState = (typeof requestStates)[number];

/**
 * Every `BridgeInitiated` the watchers saw, on any configured chain. `open` until nothing more can ever be signed
 * for it: `settled` (completed on the destination, or refunded on the source) or `refused` (it does not exist on
 * chain or does not match the configuration; nothing is signed for it).
 */
export const attesterRequests = sqliteTable(
  "attester_requests",
  {
    requestId: text("request_id").primaryKey(),
    /** The chain whose log reported it (its source, for a genuine request). */
    seenOnChainId: integer("seen_on_chain_id").notNull(),
    srcChainId: text("src_chain_id").notNull(),
    dstChainId: text("dst_chain_id").notNull(),
    /** The request as emitted, JSON with decimal strings (the `request` of the attestation format). */
    request: text("request").notNull(),
    /** The request's deadline (unix seconds, source clock), decimal. */
    deadline: text("deadline").notNull(),
    blockNumber: integer("block_number").notNull(),
    blockHash: text("block_hash").notNull(),
    txHash: text("tx_hash").notNull(),
    logIndex: integer("log_index").notNull(),
    state: text("state", { enum: requestStates }).notNull(),
    /** Why it waits, or why it was settled or refused (the last reason logged). */
    note: text("note"),
    seenAt: integer("seen_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("attester_requests_state").on(t.state, t.blockNumber)],
);

export const attestationKinds = ["completion", "refund"] as const;

/**
 * Every signature this validator made, stored BEFORE it is published. One row per (request, kind, set version):
 * the message is a function of exactly these (the request id commits every field of the request), so the unique
 * key means this key never signs two different messages for the same request and kind under one validator set.
 * A new set version (signatures of the old one stop counting on chain) allows one more row for the new version.
 */
export const attesterSignatures = sqliteTable(
  "attester_signatures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    requestId: text("request_id")
      .notNull()
      .references(() => attesterRequests.requestId),
    kind: text("kind", { enum: attestationKinds }).notNull(),
    validatorSetVersion: text("validator_set_version").notNull(),
    /** The chain and bridge that verify it: the destination for a completion, the source for a refund. */
    chainId: integer("chain_id").notNull(),
    verifyingContract: text("verifying_contract").notNull(),
    signer: text("signer").notNull(),
    digest: text("digest").notNull(),
    signature: text("signature").notNull(),
    /** The exact body POSTed to every relayer: `attestationToJson(...)`. */
    attestation: text("attestation").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    unique("attester_signatures_once").on(t.requestId, t.kind, t.validatorSetVersion),
    index("attester_signatures_request").on(t.requestId, t.kind),
  ],
);

export const outboxStatuses = ["pending", "acked", "dropped"] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

/**
 * One delivery of one signature to one relayer: `pending` until the relayer answered 2xx (`acked`), retried with
 * a doubling pause; `dropped` when the request settled first (the delivery can no longer matter).
 */
export const attesterOutbox = sqliteTable(
  "attester_outbox",
  {
    signatureId: integer("signature_id")
      .notNull()
      .references(() => attesterSignatures.id),
    relayerUrl: text("relayer_url").notNull(),
    status: text("status", { enum: outboxStatuses }).notNull(),
    attempts: integer("attempts").notNull(),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    ackedAt: integer("acked_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.signatureId, t.relayerUrl] }),
    index("attester_outbox_due").on(t.status, t.nextAttemptAt),
  ],
);

export type AttesterRequestRow = typeof attesterRequests.$inferSelect;
export type AttesterSignatureRow = typeof attesterSignatures.$inferSelect;
export type AttesterOutboxRow = typeof attesterOutbox.$inferSelect;
