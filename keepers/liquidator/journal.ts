import { fileURLToPath } from "node:url";
import { and, desc, eq } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Hono } from "hono";
import type { Store } from "../lib/store/store.js";
import * as schema from "./schema.js";
import {
  liquidatorActions,
  liquidatorVaults,
  type ActionStatus,
  type LiquidatorActionRow,
  type NewLiquidatorAction,
} from "./schema.js";

export const liquidatorMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_liquidator",
};

export type ActionUpdate = Partial<
  Pick<LiquidatorActionRow, "status" | "reason" | "txHash" | "minedBlock" | "latencyBlocks">
>;

/**
 * The liquidator's tables: the margined vaults it watches (from VaultOpened, kept across restarts: the log watcher
 * never delivers an event twice) and one row per liquidation it launched, served at `GET /actions`.
 */
export class LiquidatorJournal {
  readonly db: BetterSQLite3Database<typeof schema>;

  constructor(store: Store) {
    this.db = drizzle(store.sqlite, { schema });
  }

  addVault(v: { vaultId: bigint; seriesId: bigint; owner: string; openedBlock: bigint }): void {
    this.db
      .insert(liquidatorVaults)
      .values({
        vaultId: v.vaultId.toString(),
        seriesId: v.seriesId.toString(),
        owner: v.owner,
        openedBlock: Number(v.openedBlock),
      })
      .onConflictDoNothing()
      .run();
  }

  openVaults(): { vaultId: bigint; seriesId: bigint }[] {
    return this.db
      .select()
      .from(liquidatorVaults)
      .where(eq(liquidatorVaults.closed, false))
      .all()
      .map((r) => ({ vaultId: BigInt(r.vaultId), seriesId: BigInt(r.seriesId) }));
  }

  closeVault(vaultId: bigint): void {
    this.db
      .update(liquidatorVaults)
      .set({ closed: true })
      .where(eq(liquidatorVaults.vaultId, vaultId.toString()))
      .run();
  }

  record(entry: Omit<NewLiquidatorAction, "id" | "decidedAt" | "updatedAt">): number {
    const now = Date.now();
    return this.db
      .insert(liquidatorActions)
      .values({ ...entry, decidedAt: now, updatedAt: now })
      .returning({ id: liquidatorActions.id })
      .get().id;
  }

  update(id: number, fields: ActionUpdate): void {
    this.db
      .update(liquidatorActions)
      .set({ ...fields, updatedAt: Date.now() })
      .where(eq(liquidatorActions.id, id))
      .run();
  }

  latestOf(intentId: string): LiquidatorActionRow | undefined {
    return this.db
      .select()
      .from(liquidatorActions)
      .where(eq(liquidatorActions.intentId, intentId))
      .orderBy(desc(liquidatorActions.id))
      .get();
  }

  list(filter: { vaultId?: string; status?: ActionStatus; limit?: number } = {}): LiquidatorActionRow[] {
    const where = and(
      filter.vaultId === undefined ? undefined : eq(liquidatorActions.vaultId, filter.vaultId),
      filter.status === undefined ? undefined : eq(liquidatorActions.status, filter.status),
    );
    return this.db
      .select()
      .from(liquidatorActions)
      .where(where)
      .orderBy(desc(liquidatorActions.id))
      .limit(filter.limit ?? 100)
      .all();
  }

  /** `GET /actions?vault=&status=&limit=`: the newest first. */
  routes(app: Hono): void {
    app.get("/actions", (c) => {
      const limit = Math.min(Number(c.req.query("limit") ?? 100) || 100, 1_000);
      return c.json({
        actions: this.list({
          vaultId: c.req.query("vault"),
          status: c.req.query("status") as ActionStatus | undefined,
          limit,
        }),
      });
    });
  }
}
