import { fileURLToPath } from "node:url";
import { and, desc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Hono } from "hono";
import type { Store } from "../lib/store/store.js";
import * as schema from "./schema.js";
import {
  actionStatuses,
  rebalancerActions,
  type ActionStatus,
  type NewRebalancerAction,
  type RebalancerActionRow,
} from "./schema.js";

export const rebalancerMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_rebalancer",
};

/** Rows kept; older ones are pruned. */
const keepRows = 100_000;

export type ActionEntry = Omit<NewRebalancerAction, "id" | "decidedAt" | "updatedAt" | "status"> & {
  status?: ActionStatus;
};

export type ActionUpdate = Partial<
  Pick<RebalancerActionRow, "status" | "reason" | "txHash" | "minedBlock" | "latencyBlocks">
>;

const actions = ["rebalance", "stop", "record"] as const;

/**
 * The rebalancer's journal: one row per action it launched (or simulated in dry-run mode), updated as the action
 * ends — in the keeper's SQLite store, served at `GET /actions` so that a dashboard or the demo can show what the
 * keeper did, why, and how fast (blocks from first seeing the need to the mined transaction).
 */
export class ActionJournal {
  readonly db: BetterSQLite3Database<typeof schema>;

  constructor(store: Store) {
    this.db = drizzle(store.sqlite, { schema });
  }

  record(entry: ActionEntry): number {
    const now = Date.now();
    return this.db
      .insert(rebalancerActions)
      .values({ ...entry, status: entry.status ?? "sending", decidedAt: now, updatedAt: now })
      .returning({ id: rebalancerActions.id })
      .get().id;
  }

  update(id: number, fields: ActionUpdate): void {
    this.db
      .update(rebalancerActions)
      .set({ ...fields, updatedAt: Date.now() })
      .where(eq(rebalancerActions.id, id))
      .run();
  }

  /** What a stop was compared with: the oracle price at the decision, and which side it crossed. */
  annotate(id: number, fields: { price: string; side: "stop-loss" | "take-profit" }): void {
    this.db.update(rebalancerActions).set(fields).where(eq(rebalancerActions.id, id)).run();
  }

  /** The newest row of an intent (the one a resumed intent's outcome belongs to). */
  latestOf(intentId: string): RebalancerActionRow | undefined {
    return this.db
      .select()
      .from(rebalancerActions)
      .where(eq(rebalancerActions.intentId, intentId))
      .orderBy(desc(rebalancerActions.id))
      .limit(1)
      .get();
  }

  list(
    filter: {
      limit?: number;
      portfolioId?: string;
      action?: string;
      status?: string[];
      chainId?: number;
    } = {},
  ): RebalancerActionRow[] {
    const t = rebalancerActions;
    const where: SQL[] = [];
    if (filter.portfolioId !== undefined) where.push(eq(t.portfolioId, filter.portfolioId));
    if (filter.action !== undefined) where.push(eq(t.action, filter.action));
    if (filter.status?.length) where.push(inArray(t.status, filter.status as ActionStatus[]));
    if (filter.chainId !== undefined) where.push(eq(t.chainId, filter.chainId));
    return this.db
      .select()
      .from(t)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(t.id))
      .limit(Math.min(filter.limit ?? 100, 1_000))
      .all();
  }

  count(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(rebalancerActions)
        .get()?.n ?? 0
    );
  }

  prune(): void {
    const edge = this.db
      .select({ id: rebalancerActions.id })
      .from(rebalancerActions)
      .orderBy(desc(rebalancerActions.id))
      .limit(1)
      .offset(keepRows)
      .get();
    if (edge) this.db.delete(rebalancerActions).where(lt(rebalancerActions.id, edge.id)).run();
  }

  /**
   * `GET /actions?limit=&portfolio=&action=rebalance|stop|record&status=mined,already-done` → `{ actions: [...] }`,
   * newest first. Each row: the action, portfolio, asset and side of a stop, the pools of a recording, the block
   * where the need was first seen (`episodeBlock`) and the one decided at, drift and stop prices (decimal strings),
   * the status and its reason, the intent id, and the transaction (hash, mined block, latency in blocks).
   */
  routes(app: Hono): void {
    app.get("/actions", (c) => {
      const limit = Number(c.req.query("limit") ?? 100);
      if (!Number.isInteger(limit) || limit < 1)
        return c.json({ error: "limit: expected a positive integer" }, 400);
      const action = c.req.query("action");
      if (action !== undefined && !(actions as readonly string[]).includes(action))
        return c.json({ error: `action: expected one of ${actions.join(", ")}` }, 400);
      const status = c.req.query("status")?.split(",");
      const unknown = status?.find((s) => !(actionStatuses as readonly string[]).includes(s));
      if (unknown !== undefined)
        return c.json(
          { error: `status: ${JSON.stringify(unknown)} is not one of ${actionStatuses.join(", ")}` },
          400,
        );
      const portfolio = c.req.query("portfolio");
      if (portfolio !== undefined && !/^\d+$/.test(portfolio))
        return c.json({ error: "portfolio: expected a portfolio id" }, 400);
      const rows = this.list({ limit, portfolioId: portfolio, action, status });
      return c.json({
        actions: rows.map((r) => ({
          id: r.id,
          chainId: r.chainId,
          action: r.action,
          portfolioId: r.portfolioId,
          asset: r.asset,
          side: r.side,
          pools: r.pools === null ? null : r.pools.split(","),
          episodeBlock: r.episodeBlock,
          blockNumber: r.blockNumber,
          blockTimestamp: r.blockTimestamp,
          decidedAt: new Date(r.decidedAt).toISOString(),
          updatedAt: new Date(r.updatedAt).toISOString(),
          maxDriftBps: r.maxDriftBps,
          price: r.price,
          stopLossPrice: r.stopLossPrice,
          takeProfitPrice: r.takeProfitPrice,
          status: r.status,
          reason: r.reason,
          intentId: r.intentId,
          tx: r.txHash ? { hash: r.txHash, minedBlock: r.minedBlock, latencyBlocks: r.latencyBlocks } : null,
        })),
      });
    });
  }
}
