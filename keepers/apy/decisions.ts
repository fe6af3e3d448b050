import { fileURLToPath } from "node:url";
import { and, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Hono } from "hono";
import type { Store } from "../lib/store/store.js";
import type { TxOutcome } from "../lib/tx/sender.js";
import type { ApyDecision } from "./decide.js";
import * as schema from "./schema.js";
import { apyDecisions, type ApyDecisionRow } from "./schema.js";

export const apyMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_apy",
};

/** Rows kept; older decisions are pruned (a keeper deciding every minute for ten pools keeps about a week). */
const keepRows = 100_000;

const text = (v: bigint | null | undefined) => (v === null || v === undefined ? null : v.toString());

/**
 * The APY keeper's journal of decisions, in the keeper's SQLite store, served at `GET /decisions` so that a
 * dashboard or the demo can show which reward rates the keeper changed and why.
 */
export class DecisionLog {
  readonly db: BetterSQLite3Database<typeof schema>;

  constructor(store: Store) {
    this.db = drizzle(store.sqlite, { schema });
  }

  record(
    decision: ApyDecision,
    context: { chainId: number; blockNumber: bigint; blockTimestamp: number; intentId?: string },
  ): number {
    const row = this.db
      .insert(apyDecisions)
      .values({
        chainId: context.chainId,
        poolId: decision.poolId.toString(),
        decidedAt: Date.now(),
        blockTimestamp: context.blockTimestamp,
        blockNumber: Number(context.blockNumber),
        totalStaked: decision.totalStaked.toString(),
        targetStake: text(decision.targetStake),
        utilization: decision.utilization,
        currentApy: text(decision.currentApy),
        targetApy: text(decision.targetApy),
        oldRate: decision.oldRate.toString(),
        desiredRate: text(decision.desiredRate),
        clampedRate: text(decision.clampedRate),
        maxAffordableRate: text(decision.maxAffordableRate),
        newRate: decision.kind === "set-rate" ? decision.newRate.toString() : null,
        action: decision.kind,
        skipReason: decision.kind === "skip" ? decision.skip : null,
        reason: decision.reason,
        intentId: context.intentId ?? null,
      })
      .returning({ id: apyDecisions.id })
      .get();
    return row.id;
  }

  attachTx(id: number, outcome: TxOutcome): void {
    this.db
      .update(apyDecisions)
      .set({ txHash: outcome.hash ?? null, txStatus: outcome.status, txNote: outcome.reason ?? null })
      .where(eq(apyDecisions.id, id))
      .run();
  }

  list(
    filter: { limit?: number; poolId?: string; action?: string; chainId?: number } = {},
  ): ApyDecisionRow[] {
    const where: SQL[] = [];
    if (filter.poolId !== undefined) where.push(eq(apyDecisions.poolId, filter.poolId));
    if (filter.action !== undefined) where.push(eq(apyDecisions.action, filter.action));
    if (filter.chainId !== undefined) where.push(eq(apyDecisions.chainId, filter.chainId));
    return this.db
      .select()
      .from(apyDecisions)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(apyDecisions.id))
      .limit(Math.min(filter.limit ?? 100, 1_000))
      .all();
  }

  prune(): void {
    const edge = this.db
      .select({ id: apyDecisions.id })
      .from(apyDecisions)
      .orderBy(desc(apyDecisions.id))
      .limit(1)
      .offset(keepRows)
      .get();
    if (edge) this.db.delete(apyDecisions).where(lt(apyDecisions.id, edge.id)).run();
  }

  count(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(apyDecisions)
        .get()?.n ?? 0
    );
  }

  /**
   * `GET /decisions?limit=&pool=&action=set-rate|skip` → `{ decisions: [...] }`, newest first. Each decision
   * carries the pool, time, stake and target, current and target APY (1e18 = 100 %, as decimal strings), old,
   * desired and new rate, the reason in words, and the transaction (hash and status).
   */
  routes(app: Hono): void {
    app.get("/decisions", (c) => {
      const limit = Number(c.req.query("limit") ?? 100);
      const action = c.req.query("action");
      if (!Number.isInteger(limit) || limit < 1)
        return c.json({ error: "limit: expected a positive integer" }, 400);
      if (action !== undefined && action !== "set-rate" && action !== "skip")
        return c.json({ error: "action: expected set-rate or skip" }, 400);
      const rows = this.list({ limit, poolId: c.req.query("pool"), action });
      return c.json({
        decisions: rows.map((r) => ({
          id: r.id,
          chainId: r.chainId,
          poolId: r.poolId,
          decidedAt: new Date(r.decidedAt).toISOString(),
          blockNumber: r.blockNumber,
          blockTimestamp: r.blockTimestamp,
          totalStaked: r.totalStaked,
          targetStake: r.targetStake,
          utilization: r.utilization,
          currentApy: r.currentApy,
          targetApy: r.targetApy,
          oldRate: r.oldRate,
          desiredRate: r.desiredRate,
          clampedRate: r.clampedRate,
          maxAffordableRate: r.maxAffordableRate,
          newRate: r.newRate,
          action: r.action,
          skipReason: r.skipReason,
          reason: r.reason,
          intentId: r.intentId,
          tx: r.txStatus ? { hash: r.txHash, status: r.txStatus, note: r.txNote } : null,
        })),
      });
    });
  }
}
