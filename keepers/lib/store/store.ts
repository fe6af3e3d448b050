import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { and, asc, desc, eq, gte, inArray, isNotNull, lte, max, ne } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.js";
import type { AttemptStatus, IntentStatus, TxAttemptRow, TxIntentRow } from "./schema.js";

export const runtimeMigrations = fileURLToPath(new URL("./migrations", import.meta.url));

export type NewIntent = Omit<
  TxIntentRow,
  | "status"
  | "minedHash"
  | "minedBlock"
  | "minedBlockHash"
  | "orphanedAt"
  | "error"
  | "createdAt"
  | "updatedAt"
>;
export type NewAttempt = Pick<
  TxAttemptRow,
  "attempt" | "nonce" | "hash" | "rawTx" | "gas" | "maxFeePerGas" | "maxPriorityFeePerGas"
>;
export type IntentWithAttempts = { intent: TxIntentRow; attempts: TxAttemptRow[] };

/**
 * The keeper's local store: one SQLite file (drizzle-orm over better-sqlite3). Writes are synchronous and,
 * with `synchronous = FULL`, on disk when the call returns — which is what lets the transaction layer store
 * a signed transaction *before* broadcasting it and find it again after a SIGKILL or a power cut.
 */
export class Store {
  readonly sqlite: Database.Database;
  readonly db: BetterSQLite3Database<typeof schema>;
  readonly path: string;

  constructor(file: string) {
    this.path = file;
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.sqlite = new Database(file);
    this.sqlite.pragma("journal_mode = WAL");
    this.sqlite.pragma("synchronous = FULL");
    this.sqlite.pragma("foreign_keys = ON");
    this.sqlite.pragma("busy_timeout = 5000");
    this.db = drizzle(this.sqlite, { schema });
  }

  /** Applies the runtime's migrations, then a keeper's own (each folder keeps its own journal table). */
  migrate(extra: { folder: string; table: string }[] = []): void {
    migrate(this.db, { migrationsFolder: runtimeMigrations, migrationsTable: "__drizzle_migrations" });
    for (const m of extra) migrate(this.db, { migrationsFolder: m.folder, migrationsTable: m.table });
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }

  // ─── Cursors ──────────────────────────────────────────────────────────────────────────────

  getCursor(key: string): string | undefined {
    return this.db.select().from(schema.cursors).where(eq(schema.cursors.key, key)).get()?.value;
  }

  setCursor(key: string, value: string): void {
    const updatedAt = Date.now();
    this.db
      .insert(schema.cursors)
      .values({ key, value, updatedAt })
      .onConflictDoUpdate({ target: schema.cursors.key, set: { value, updatedAt } })
      .run();
  }

  // ─── Seen events ──────────────────────────────────────────────────────────────────────────

  isSeen(e: { source: string; chainId: number; txHash: string; logIndex: number }): boolean {
    const t = schema.seenEvents;
    return (
      this.db
        .select({ n: t.logIndex })
        .from(t)
        .where(
          and(
            eq(t.source, e.source),
            eq(t.chainId, e.chainId),
            eq(t.txHash, e.txHash),
            eq(t.logIndex, e.logIndex),
          ),
        )
        .get() !== undefined
    );
  }

  /** Records an event; false when it was already recorded. */
  markSeen(e: Omit<typeof schema.seenEvents.$inferInsert, "seenAt">): boolean {
    const result = this.db
      .insert(schema.seenEvents)
      .values({ ...e, seenAt: Date.now() })
      .onConflictDoNothing()
      .run();
    return result.changes > 0;
  }

  // ─── Transaction intents ──────────────────────────────────────────────────────────────────

  getIntent(id: string): IntentWithAttempts | undefined {
    const intent = this.db.select().from(schema.txIntents).where(eq(schema.txIntents.id, id)).get();
    if (!intent) return undefined;
    const attempts = this.db
      .select()
      .from(schema.txAttempts)
      .where(eq(schema.txAttempts.intentId, id))
      .orderBy(asc(schema.txAttempts.attempt))
      .all();
    return { intent, attempts };
  }

  pendingIntentIds(chainId: number, fromAddress: string): string[] {
    const t = schema.txIntents;
    return this.db
      .select({ id: t.id })
      .from(t)
      .where(and(eq(t.chainId, chainId), eq(t.fromAddress, fromAddress), eq(t.status, "pending")))
      .orderBy(asc(t.nonce))
      .all()
      .map((r) => r.id);
  }

  /** The highest nonce held by a pending intent of this sender, if any. */
  maxPendingNonce(chainId: number, fromAddress: string): number | undefined {
    const t = schema.txIntents;
    const row = this.db
      .select({ n: max(t.nonce) })
      .from(t)
      .where(and(eq(t.chainId, chainId), eq(t.fromAddress, fromAddress), eq(t.status, "pending")))
      .get();
    return row?.n ?? undefined;
  }

  /** The nonces held by this sender's intents of one status (from `fromNonce` up), lowest first. */
  intentNonces(chainId: number, fromAddress: string, status: IntentStatus, fromNonce = 0): number[] {
    const t = schema.txIntents;
    return this.db
      .select({ n: t.nonce })
      .from(t)
      .where(
        and(
          eq(t.chainId, chainId),
          eq(t.fromAddress, fromAddress),
          eq(t.status, status),
          gte(t.nonce, fromNonce),
        ),
      )
      .orderBy(asc(t.nonce))
      .all()
      .map((r) => r.n);
  }

  /**
   * Stores a new intent with its first signed transaction, atomically. When the intent exists already (it
   * failed or reverted before), it starts a new attempt series: every field of the intent is replaced by the
   * new call (target, data, value, label, nonce, gas), its outcome is cleared, it becomes pending again, and
   * its earlier attempts become `dead` (a `mined` one keeps its status). A pending or mined intent is never
   * overwritten.
   */
  insertIntentWithAttempt(intent: NewIntent, attempt: NewAttempt): void {
    const now = Date.now();
    this.db.transaction((tx) => {
      const t = schema.txIntents;
      const found = tx.select({ status: t.status }).from(t).where(eq(t.id, intent.id)).get();
      if (found && found.status !== "failed" && found.status !== "reverted")
        throw new Error(`intent ${intent.id} is ${found.status}: it cannot be sent again`);
      if (found)
        tx.update(schema.txAttempts)
          .set({ status: "dead" })
          .where(and(eq(schema.txAttempts.intentId, intent.id), ne(schema.txAttempts.status, "mined")))
          .run();
      tx.insert(t)
        .values({ ...intent, status: "pending", createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: t.id,
          set: {
            chainId: intent.chainId,
            fromAddress: intent.fromAddress,
            toAddress: intent.toAddress,
            data: intent.data,
            value: intent.value,
            label: intent.label,
            nonce: intent.nonce,
            gas: intent.gas,
            status: "pending",
            minedHash: null,
            minedBlock: null,
            minedBlockHash: null,
            orphanedAt: null,
            error: null,
            updatedAt: now,
          },
        })
        .run();
      tx.insert(schema.txAttempts)
        .values({ ...attempt, intentId: intent.id, status: "signed", createdAt: now })
        .run();
    });
  }

  /** Stores a replacement attempt and marks the ones it supersedes `replaced`, atomically. */
  insertReplacement(intentId: string, attempt: NewAttempt): void {
    const now = Date.now();
    this.db.transaction((tx) => {
      tx.update(schema.txAttempts)
        .set({ status: "replaced" })
        .where(
          and(
            eq(schema.txAttempts.intentId, intentId),
            inArray(schema.txAttempts.status, ["signed", "broadcast"]),
          ),
        )
        .run();
      tx.insert(schema.txAttempts)
        .values({ ...attempt, intentId, status: "signed", createdAt: now })
        .run();
      tx.update(schema.txIntents).set({ updatedAt: now }).where(eq(schema.txIntents.id, intentId)).run();
    });
  }

  updateAttempt(
    hash: string,
    fields: { status?: AttemptStatus; error?: string | null; broadcastAt?: number; broadcastBlock?: number },
  ): void {
    this.db.update(schema.txAttempts).set(fields).where(eq(schema.txAttempts.hash, hash)).run();
  }

  /** Settles an intent (a receipt on chain again, or failed for good: no longer orphaned either way). */
  resolveIntent(
    id: string,
    status: Exclude<IntentStatus, "pending">,
    fields: { minedHash?: string; minedBlock?: number; minedBlockHash?: string; error?: string } = {},
  ): void {
    const now = Date.now();
    this.db.transaction((tx) => {
      tx.update(schema.txIntents)
        .set({ status, ...fields, orphanedAt: null, updatedAt: now })
        .where(eq(schema.txIntents.id, id))
        .run();
      if (fields.minedHash)
        tx.update(schema.txAttempts)
          .set({ status: "mined" })
          .where(eq(schema.txAttempts.hash, fields.minedHash))
          .run();
    });
  }

  /**
   * Puts a `mined` or `reverted` intent whose receipt a reorg took off the canonical chain back to `pending`, its
   * attempts intact: the one that had mined becomes `signed` again, so that the same signed transaction is
   * broadcast again and any receipt of the intent's attempts settles it, as for any pending intent.
   */
  reopenIntent(id: string): void {
    const now = Date.now();
    this.db.transaction((tx) => {
      const t = schema.txIntents;
      const found = tx
        .select({ status: t.status, orphanedAt: t.orphanedAt, nonce: t.nonce })
        .from(t)
        .where(eq(t.id, id))
        .get();
      if (!found || (found.status !== "mined" && found.status !== "reverted"))
        throw new Error(
          `intent ${id} is ${found?.status ?? "unknown"}: only a mined or reverted one is reopened`,
        );
      tx.update(t)
        .set({
          status: "pending",
          minedHash: null,
          minedBlock: null,
          minedBlockHash: null,
          error: null,
          orphanedAt: found.orphanedAt ?? now,
          updatedAt: now,
        })
        .where(eq(t.id, id))
        .run();
      // As far as the new chain knows, none of them was ever sent: the stuck clock starts again at the next
      // broadcast, instead of replacing at once for the time they spent mined.
      tx.update(schema.txAttempts)
        .set({ broadcastAt: null, broadcastBlock: null })
        .where(and(eq(schema.txAttempts.intentId, id), eq(schema.txAttempts.nonce, found.nonce)))
        .run();
      tx.update(schema.txAttempts)
        .set({ status: "signed" })
        .where(and(eq(schema.txAttempts.intentId, id), eq(schema.txAttempts.status, "mined")))
        .run();
    });
  }

  /**
   * A new attempt series for a pending intent whose nonce another transaction took (after a reorg): its
   * earlier attempts become `dead`, the intent takes the new attempt's nonce and stays pending (and orphaned
   * until it mines), atomically.
   */
  resignIntent(id: string, attempt: NewAttempt): void {
    const now = Date.now();
    this.db.transaction((tx) => {
      const t = schema.txIntents;
      const found = tx.select({ status: t.status }).from(t).where(eq(t.id, id)).get();
      if (found?.status !== "pending") throw new Error(`intent ${id} is not pending: it cannot be re-signed`);
      tx.update(schema.txAttempts)
        .set({ status: "dead" })
        .where(and(eq(schema.txAttempts.intentId, id), ne(schema.txAttempts.status, "mined")))
        .run();
      tx.update(t).set({ nonce: attempt.nonce, updatedAt: now }).where(eq(t.id, id)).run();
      tx.insert(schema.txAttempts)
        .values({ ...attempt, intentId: id, status: "signed", createdAt: now })
        .run();
    });
  }

  /** This sender's intents with a receipt (mined or reverted) in a block from `fromBlock` up: those a reorg can undo. */
  settledSince(chainId: number, fromAddress: string, fromBlock: number): TxIntentRow[] {
    const t = schema.txIntents;
    return this.db
      .select()
      .from(t)
      .where(
        and(
          eq(t.chainId, chainId),
          eq(t.fromAddress, fromAddress),
          inArray(t.status, ["mined", "reverted"]),
          gte(t.minedBlock, fromBlock),
        ),
      )
      .orderBy(asc(t.nonce))
      .all();
  }

  /** Intents a reorg took off the chain at or before `before` (unix ms) that are not back on it. */
  orphanedBefore(before: number): TxIntentRow[] {
    const t = schema.txIntents;
    return this.db
      .select()
      .from(t)
      .where(and(isNotNull(t.orphanedAt), lte(t.orphanedAt, before)))
      .orderBy(asc(t.orphanedAt))
      .all();
  }

  recentIntents(limit = 50): TxIntentRow[] {
    return this.db
      .select()
      .from(schema.txIntents)
      .orderBy(desc(schema.txIntents.updatedAt))
      .limit(limit)
      .all();
  }
}

/** Opens (creating if needed) the SQLite file and applies migrations. */
export function openStore(file: string, extraMigrations: { folder: string; table: string }[] = []): Store {
  const store = new Store(file);
  try {
    store.migrate(extraMigrations);
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}
