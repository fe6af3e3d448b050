import { fileURLToPath } from "node:url";
import { and, desc, eq } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Hono } from "hono";
import type { Address } from "viem";
import type { Store } from "../lib/store/store.js";
import * as schema from "./schema.js";
import {
  expiryActions,
  expiryHolders,
  expirySeries,
  expiryVaults,
  type ActionStatus,
  type ExpiryActionRow,
  type NewExpiryAction,
} from "./schema.js";

export const expiryMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_expiry",
};

export type KnownSeries = {
  seriesId: bigint;
  poolId: bigint;
  expiry: bigint;
  isCall: boolean;
  strikeWad: bigint;
};

export type ActionUpdate = Partial<Pick<ExpiryActionRow, "status" | "reason" | "txHash" | "minedBlock">>;

/**
 * The expiry keeper's tables: series, vaults and holders learned from the derivatives' logs (kept across restarts:
 * the log watcher never delivers an event twice), and one row per write it launched, served at `GET /actions`.
 */
export class ExpiryJournal {
  readonly db: BetterSQLite3Database<typeof schema>;

  constructor(store: Store) {
    this.db = drizzle(store.sqlite, { schema });
  }

  addSeries(s: KnownSeries & { createdBlock: bigint }): void {
    this.db
      .insert(expirySeries)
      .values({
        seriesId: s.seriesId.toString(),
        poolId: s.poolId.toString(),
        expiry: Number(s.expiry),
        isCall: s.isCall,
        strikeWad: s.strikeWad.toString(),
        createdBlock: Number(s.createdBlock),
      })
      .onConflictDoNothing()
      .run();
  }

  addVault(v: { vaultId: bigint; seriesId: bigint; owner: string; openedBlock: bigint }): void {
    this.db
      .insert(expiryVaults)
      .values({
        vaultId: v.vaultId.toString(),
        seriesId: v.seriesId.toString(),
        owner: v.owner,
        openedBlock: Number(v.openedBlock),
      })
      .onConflictDoNothing()
      .run();
  }

  settleVault(vaultId: bigint): void {
    this.db
      .update(expiryVaults)
      .set({ settled: true })
      .where(eq(expiryVaults.vaultId, vaultId.toString()))
      .run();
  }

  addHolder(seriesId: bigint, holder: Address, block: bigint): void {
    this.db
      .insert(expiryHolders)
      .values({ seriesId: seriesId.toString(), holder, firstBlock: Number(block) })
      .onConflictDoNothing()
      .run();
  }

  /** Series not done yet, earliest expiry first. */
  openSeries(): KnownSeries[] {
    return this.db
      .select()
      .from(expirySeries)
      .where(eq(expirySeries.done, false))
      .orderBy(expirySeries.expiry, expirySeries.seriesId)
      .all()
      .map((r) => ({
        seriesId: BigInt(r.seriesId),
        poolId: BigInt(r.poolId),
        expiry: BigInt(r.expiry),
        isCall: r.isCall,
        strikeWad: BigInt(r.strikeWad),
      }));
  }

  allSeries(): (typeof expirySeries.$inferSelect)[] {
    return this.db.select().from(expirySeries).orderBy(expirySeries.expiry, expirySeries.seriesId).all();
  }

  markDone(seriesId: bigint): void {
    this.db
      .update(expirySeries)
      .set({ done: true })
      .where(eq(expirySeries.seriesId, seriesId.toString()))
      .run();
  }

  unsettledVaults(seriesId: bigint): bigint[] {
    return this.db
      .select({ vaultId: expiryVaults.vaultId })
      .from(expiryVaults)
      .where(and(eq(expiryVaults.seriesId, seriesId.toString()), eq(expiryVaults.settled, false)))
      .all()
      .map((r) => BigInt(r.vaultId));
  }

  holders(seriesId: bigint): Address[] {
    return this.db
      .select({ holder: expiryHolders.holder })
      .from(expiryHolders)
      .where(eq(expiryHolders.seriesId, seriesId.toString()))
      .all()
      .map((r) => r.holder as Address);
  }

  record(entry: Omit<NewExpiryAction, "id" | "decidedAt" | "updatedAt">): number {
    const now = Date.now();
    return this.db
      .insert(expiryActions)
      .values({ ...entry, decidedAt: now, updatedAt: now })
      .returning({ id: expiryActions.id })
      .get().id;
  }

  update(id: number, fields: ActionUpdate): void {
    this.db
      .update(expiryActions)
      .set({ ...fields, updatedAt: Date.now() })
      .where(eq(expiryActions.id, id))
      .run();
  }

  latestOf(intentId: string): ExpiryActionRow | undefined {
    return this.db
      .select()
      .from(expiryActions)
      .where(eq(expiryActions.intentId, intentId))
      .orderBy(desc(expiryActions.id))
      .get();
  }

  list(filter: { seriesId?: string; status?: ActionStatus; limit?: number } = {}): ExpiryActionRow[] {
    const where = and(
      filter.seriesId === undefined ? undefined : eq(expiryActions.seriesId, filter.seriesId),
      filter.status === undefined ? undefined : eq(expiryActions.status, filter.status),
    );
    return this.db
      .select()
      .from(expiryActions)
      .where(where)
      .orderBy(desc(expiryActions.id))
      .limit(filter.limit ?? 100)
      .all();
  }

  /** `GET /actions?series=&status=&limit=`: the newest first. */
  routes(app: Hono): void {
    app.get("/actions", (c) => {
      const limit = Math.min(Number(c.req.query("limit") ?? 100) || 100, 1_000);
      return c.json({
        actions: this.list({
          seriesId: c.req.query("series"),
          status: c.req.query("status") as ActionStatus | undefined,
          limit,
        }),
      });
    });
  }
}
