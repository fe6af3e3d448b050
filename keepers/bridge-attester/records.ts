import { fileURLToPath } from "node:url";
import { and, asc, desc, eq, inArray, lte, sql } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Hono } from "hono";
import type { Hex } from "viem";
import {
  requestFromStrings,
  requestToStrings,
  type AttestationKind,
  type BridgeRequest,
} from "../lib/bridge.js";
import type { Store } from "../lib/store/store.js";
import * as schema from "./schema.js";
import {
  attesterOutbox,
  attesterRequests,
  attesterSignatures,
  type AttesterOutboxRow,
  type AttesterRequestRow,
  type AttesterSignatureRow,
} from "./schema.js";

export const attesterMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_bridge_attester",
};

export type NewSignature = {
  requestId: Hex;
  kind: AttestationKind;
  validatorSetVersion: bigint;
  chainId: number;
  verifyingContract: string;
  signer: string;
  digest: Hex;
  signature: Hex;
  attestation: string;
};

/** The request as `attester_requests.request` stores it: JSON with decimal strings. */
export const requestFromJson = (raw: string): BridgeRequest => requestFromStrings(JSON.parse(raw));

/**
 * The attester's records in the keeper's SQLite store: requests seen, signatures made (the signing rule lives in
 * the unique key of `attester_signatures`, see schema.ts) and the outbox of deliveries to relayers.
 */
export class AttesterRecords {
  readonly db: BetterSQLite3Database<typeof schema>;

  constructor(readonly store: Store) {
    this.db = drizzle(store.sqlite, { schema });
  }

  // ─── Requests ───────────────────────────────────────────────────────────────────────────

  /** Records a request seen in a log; false when it was known already. */
  addRequest(r: {
    requestId: Hex;
    seenOnChainId: number;
    request: BridgeRequest;
    blockNumber: bigint;
    blockHash: Hex;
    txHash: Hex;
    logIndex: number;
  }): boolean {
    const now = Date.now();
    const result = this.db
      .insert(attesterRequests)
      .values({
        requestId: r.requestId,
        seenOnChainId: r.seenOnChainId,
        srcChainId: r.request.srcChainId.toString(),
        dstChainId: r.request.dstChainId.toString(),
        request: JSON.stringify(requestToStrings(r.request)),
        deadline: r.request.deadline.toString(),
        blockNumber: Number(r.blockNumber),
        blockHash: r.blockHash,
        txHash: r.txHash,
        logIndex: r.logIndex,
        state: "open",
        seenAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .run();
    return result.changes > 0;
  }

  getRequest(requestId: string): AttesterRequestRow | undefined {
    return this.db.select().from(attesterRequests).where(eq(attesterRequests.requestId, requestId)).get();
  }

  openRequests(limit = 500): AttesterRequestRow[] {
    return this.db
      .select()
      .from(attesterRequests)
      .where(eq(attesterRequests.state, "open"))
      .orderBy(asc(attesterRequests.blockNumber), asc(attesterRequests.logIndex))
      .limit(limit)
      .all();
  }

  /** Sets the request's note; true when it changed (so a caller logs a reason once, not every tick). */
  note(requestId: string, note: string): boolean {
    const row = this.getRequest(requestId);
    if (!row || row.note === note) return false;
    this.db
      .update(attesterRequests)
      .set({ note, updatedAt: Date.now() })
      .where(eq(attesterRequests.requestId, requestId))
      .run();
    return true;
  }

  /** Closes a request (settled or refused); pending deliveries of its signatures are dropped. */
  close(requestId: string, state: "settled" | "refused", note: string): void {
    const now = Date.now();
    this.store.sqlite.transaction(() => {
      this.db
        .update(attesterRequests)
        .set({ state, note, updatedAt: now })
        .where(eq(attesterRequests.requestId, requestId))
        .run();
      const ids = this.db
        .select({ id: attesterSignatures.id })
        .from(attesterSignatures)
        .where(eq(attesterSignatures.requestId, requestId))
        .all()
        .map((r) => r.id);
      if (ids.length > 0)
        this.db
          .update(attesterOutbox)
          .set({ status: "dropped", updatedAt: now })
          .where(and(inArray(attesterOutbox.signatureId, ids), eq(attesterOutbox.status, "pending")))
          .run();
    })();
  }

  // ─── Signatures ─────────────────────────────────────────────────────────────────────────

  getSignature(requestId: string, kind: AttestationKind, version: bigint): AttesterSignatureRow | undefined {
    const t = attesterSignatures;
    return this.db
      .select()
      .from(t)
      .where(and(eq(t.requestId, requestId), eq(t.kind, kind), eq(t.validatorSetVersion, version.toString())))
      .get();
  }

  hasSignature(requestId: string, kind: AttestationKind): boolean {
    const t = attesterSignatures;
    return (
      this.db
        .select({ id: t.id })
        .from(t)
        .where(and(eq(t.requestId, requestId), eq(t.kind, kind)))
        .get() !== undefined
    );
  }

  /**
   * Stores a signature and one pending delivery per relayer, atomically, before anything is published. Throws
   * when a signature for the same (request, kind, version) exists: that is the signing rule's last line.
   */
  insertSignature(s: NewSignature, relayers: string[]): AttesterSignatureRow {
    const now = Date.now();
    return this.store.sqlite.transaction(() => {
      const row = this.db
        .insert(attesterSignatures)
        .values({ ...s, validatorSetVersion: s.validatorSetVersion.toString(), createdAt: now })
        .returning()
        .get();
      for (const relayerUrl of relayers)
        this.db
          .insert(attesterOutbox)
          .values({
            signatureId: row.id,
            relayerUrl,
            status: "pending",
            attempts: 0,
            nextAttemptAt: 0,
            updatedAt: now,
          })
          .run();
      return row;
    })();
  }

  signatureCount(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(attesterSignatures)
        .get()?.n ?? 0
    );
  }

  listSignatures(filter: { requestId?: string; limit?: number } = {}): AttesterSignatureRow[] {
    return this.db
      .select()
      .from(attesterSignatures)
      .where(filter.requestId ? eq(attesterSignatures.requestId, filter.requestId) : undefined)
      .orderBy(desc(attesterSignatures.id))
      .limit(Math.min(filter.limit ?? 100, 1_000))
      .all();
  }

  // ─── Outbox ─────────────────────────────────────────────────────────────────────────────

  /**
   * Adds a pending delivery to every configured relayer that has none yet, for the signatures of open requests
   * (a relayer added to RELAYER_URLS then receives what is still useful).
   */
  backfillOutbox(relayers: string[]): number {
    const now = Date.now();
    const rows = this.db
      .select({ id: attesterSignatures.id })
      .from(attesterSignatures)
      .innerJoin(attesterRequests, eq(attesterRequests.requestId, attesterSignatures.requestId))
      .where(eq(attesterRequests.state, "open"))
      .all();
    let added = 0;
    for (const { id } of rows)
      for (const relayerUrl of relayers)
        added += this.db
          .insert(attesterOutbox)
          .values({
            signatureId: id,
            relayerUrl,
            status: "pending",
            attempts: 0,
            nextAttemptAt: 0,
            updatedAt: now,
          })
          .onConflictDoNothing()
          .run().changes;
    return added;
  }

  /** Pending deliveries whose next attempt is due, to the configured relayers only, oldest first. */
  dueDeliveries(
    now: number,
    relayers: string[],
    limit = 200,
  ): { delivery: AttesterOutboxRow; signature: AttesterSignatureRow }[] {
    if (relayers.length === 0) return [];
    return this.db
      .select({ delivery: attesterOutbox, signature: attesterSignatures })
      .from(attesterOutbox)
      .innerJoin(attesterSignatures, eq(attesterSignatures.id, attesterOutbox.signatureId))
      .where(
        and(
          eq(attesterOutbox.status, "pending"),
          lte(attesterOutbox.nextAttemptAt, now),
          inArray(attesterOutbox.relayerUrl, relayers),
        ),
      )
      .orderBy(asc(attesterOutbox.signatureId))
      .limit(limit)
      .all();
  }

  acked(signatureId: number, relayerUrl: string): void {
    const now = Date.now();
    this.db
      .update(attesterOutbox)
      .set({ status: "acked", ackedAt: now, lastError: null, updatedAt: now })
      .where(and(eq(attesterOutbox.signatureId, signatureId), eq(attesterOutbox.relayerUrl, relayerUrl)))
      .run();
  }

  deliveryFailed(signatureId: number, relayerUrl: string, error: string, nextAttemptAt: number): void {
    this.db
      .update(attesterOutbox)
      .set({
        attempts: sql`${attesterOutbox.attempts} + 1`,
        lastError: error,
        nextAttemptAt,
        updatedAt: Date.now(),
      })
      .where(and(eq(attesterOutbox.signatureId, signatureId), eq(attesterOutbox.relayerUrl, relayerUrl)))
      .run();
  }

  deliveries(signatureId: number): AttesterOutboxRow[] {
    return this.db
      .select()
      .from(attesterOutbox)
      .where(eq(attesterOutbox.signatureId, signatureId))
      .orderBy(asc(attesterOutbox.relayerUrl))
      .all();
  }

  pendingDeliveries(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(attesterOutbox)
        .where(eq(attesterOutbox.status, "pending"))
        .get()?.n ?? 0
    );
  }

  /**
   * `GET /attestations?requestId=0x…&limit=` → `{ attestations: [...] }`, newest first: what this validator signed
   * (the attestation JSON as published, its digest, when) and each relayer's delivery status.
   */
  routes(app: Hono): void {
    app.get("/attestations", (c) => {
      const requestId = c.req.query("requestId");
      const limit = Number(c.req.query("limit") ?? 100);
      if (requestId !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(requestId))
        return c.json({ error: "requestId: expected 32 bytes of hex" }, 400);
      if (!Number.isInteger(limit) || limit < 1)
        return c.json({ error: "limit: expected a positive integer" }, 400);
      const rows = this.listSignatures({ requestId: requestId?.toLowerCase(), limit });
      return c.json({
        attestations: rows.map((r) => ({
          ...(JSON.parse(r.attestation) as object),
          digest: r.digest,
          chainId: r.chainId,
          verifyingContract: r.verifyingContract,
          signedAt: new Date(r.createdAt).toISOString(),
          deliveries: this.deliveries(r.id).map((d) => ({
            relayer: d.relayerUrl,
            status: d.status,
            attempts: d.attempts,
            lastError: d.lastError,
            ackedAt: d.ackedAt === null ? null : new Date(d.ackedAt).toISOString(),
          })),
        })),
      });
    });
  }
}
