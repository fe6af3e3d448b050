import { fileURLToPath } from "node:url";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Hex } from "viem";
import {
  requestFromStrings,
  type Attestation,
  type AttestationKind,
  type BridgeRequest,
} from "../lib/bridge.js";
import type { Store } from "../lib/store/store.js";
import * as schema from "./schema.js";
import {
  bridgeAttestations,
  bridgeRequests,
  type BridgeAttestationRow,
  type BridgeRequestRow,
  type RequestStatus,
} from "./schema.js";

export const relayerMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_bridge_relayer",
};

/** Statuses from which a request never moves again. */
export const finalStatuses: readonly RequestStatus[] = ["completed", "refunded"];

export const requestOfRow = (row: BridgeRequestRow): BridgeRequest => requestFromStrings(row);

/**
 * The relayer's records in the keeper's SQLite store: every request it has heard of with its lifecycle, and every
 * attestation it accepted. Writes are synchronous and on disk when the call returns (the runtime's store opens
 * the file with `synchronous = FULL`).
 */
export class RequestLog {
  readonly db: BetterSQLite3Database<typeof schema>;

  constructor(store: Store) {
    this.db = drizzle(store.sqlite, { schema });
  }

  get(requestId: Hex): BridgeRequestRow | undefined {
    return this.db.select().from(bridgeRequests).where(eq(bridgeRequests.requestId, requestId)).get();
  }

  /**
   * Stores an accepted attestation (and its request, `pending`, when it is new); returns false when this exact
   * signer had already attested (request, kind, version): a repeat changes nothing.
   */
  addAttestation(a: Attestation): boolean {
    const now = Date.now();
    return this.db.transaction((tx) => {
      const r = a.request;
      tx.insert(bridgeRequests)
        .values({
          requestId: a.requestId,
          srcChainId: Number(r.srcChainId),
          dstChainId: Number(r.dstChainId),
          srcBridge: r.srcBridge,
          dstBridge: r.dstBridge,
          srcToken: r.srcToken,
          dstToken: r.dstToken,
          sender: r.sender,
          recipient: r.recipient,
          amount: r.amount.toString(),
          deadline: r.deadline.toString(),
          nonce: r.nonce.toString(),
          status: "pending",
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing()
        .run();
      const inserted = tx
        .insert(bridgeAttestations)
        .values({
          requestId: a.requestId,
          kind: a.kind,
          validatorSetVersion: a.validatorSetVersion.toString(),
          signer: a.signer,
          signature: a.signature,
          receivedAt: now,
        })
        .onConflictDoNothing()
        .run();
      return inserted.changes > 0;
    });
  }

  /** The accepted signatures of (request, kind, version), one per signer. */
  signatures(requestId: Hex, kind: AttestationKind, version: bigint): BridgeAttestationRow[] {
    const t = bridgeAttestations;
    return this.db
      .select()
      .from(t)
      .where(and(eq(t.requestId, requestId), eq(t.kind, kind), eq(t.validatorSetVersion, version.toString())))
      .orderBy(asc(t.receivedAt))
      .all();
  }

  attestations(requestId: Hex): BridgeAttestationRow[] {
    return this.db
      .select()
      .from(bridgeAttestations)
      .where(eq(bridgeAttestations.requestId, requestId))
      .orderBy(asc(bridgeAttestations.receivedAt))
      .all();
  }

  /** Moves a request; a completed or refunded one never moves again (returns false then). */
  update(
    requestId: Hex,
    fields: Partial<
      Pick<BridgeRequestRow, "status" | "kind" | "intentId" | "txHash" | "settledBy" | "reason" | "checkedAt">
    >,
  ): boolean {
    const result = this.db
      .update(bridgeRequests)
      .set({ ...fields, updatedAt: Date.now() })
      .where(
        and(
          eq(bridgeRequests.requestId, requestId),
          sql`${bridgeRequests.status} NOT IN ('completed', 'refunded')`,
        ),
      )
      .run();
    return result.changes > 0;
  }

  /**
   * The one way back from `completed` or `refunded`: a reorg took the relayer's own transaction that settled the
   * request off the chain (the transaction layer drives it again); the request is `submitted` until it mines.
   */
  reopen(requestId: Hex, reason: string): boolean {
    const result = this.db
      .update(bridgeRequests)
      .set({ status: "submitted", reason, updatedAt: Date.now() })
      .where(
        and(
          eq(bridgeRequests.requestId, requestId),
          sql`${bridgeRequests.status} IN ('completed', 'refunded')`,
          eq(bridgeRequests.settledBy, "relayer"),
        ),
      )
      .run();
    return result.changes > 0;
  }

  /** Requests not yet completed or refunded, oldest first: what the schedule tracks. */
  open(): BridgeRequestRow[] {
    return this.db
      .select()
      .from(bridgeRequests)
      .where(inArray(bridgeRequests.status, ["pending", "submitted", "failed"]))
      .orderBy(asc(bridgeRequests.createdAt))
      .all();
  }

  list(filter: { status?: RequestStatus; limit?: number } = {}): BridgeRequestRow[] {
    return this.db
      .select()
      .from(bridgeRequests)
      .where(filter.status ? eq(bridgeRequests.status, filter.status) : undefined)
      .orderBy(desc(bridgeRequests.updatedAt))
      .limit(Math.min(filter.limit ?? 100, 1_000))
      .all();
  }

  countByStatus(): Record<RequestStatus, number> {
    const out = { pending: 0, submitted: 0, completed: 0, refunded: 0, failed: 0 };
    const rows = this.db
      .select({ status: bridgeRequests.status, n: sql<number>`count(*)` })
      .from(bridgeRequests)
      .groupBy(bridgeRequests.status)
      .all();
    for (const r of rows) out[r.status] = r.n;
    return out;
  }
}
