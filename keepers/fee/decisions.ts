import { fileURLToPath } from "node:url";
import { and, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Hono } from "hono";
import type { Store } from "../lib/store/store.js";
import type { TxOutcome } from "../lib/tx/sender.js";
import type { FeeDecision } from "./decide.js";
import * as schema from "./schema.js";
import { feeDecisions, type FeeDecisionRow } from "./schema.js";

export const feeMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_fee",
};

/** Rows kept; older decisions are pruned (a keeper deciding every minute for ten pools keeps about a week). */
const keepRows = 100_000;

/**
 * The fee keeper's journal of decisions, in the keeper's SQLite store, served at `GET /decisions` so that a
 * dashboard or the demo can show which fees the keeper changed and why.
 */
export class DecisionLog {
  readonly db: BetterSQLite3Database<typeof schema>;

  constructor(store: Store) {
    this.db = drizzle(store.sqlite, { schema });
  }

  record(
    decision: FeeDecision,
    context: { chainId: number; blockNumber: bigint; blockTimestamp: number; intentId?: string },
  ): number {
    const row = this.db
      .insert(feeDecisions)
      .values({
        chainId: context.chainId,
        poolId: decision.poolId.toString(),
        decidedAt: Date.now(),
        blockTimestamp: context.blockTimestamp,
        blockNumber: Number(context.blockNumber),
        sigma: decision.sigma,
        samples: decision.samples,
        oldFee: decision.oldFee,
        targetFee: decision.targetFee,
        clampedTarget: decision.clampedTarget,
        newFee: decision.kind === "set-fee" ? decision.newFee : null,
        action: decision.kind,
        skipReason: decision.kind === "skip" ? decision.skip : null,
        reason: decision.reason,
        intentId: context.intentId ?? null,
      })
      .returning({ id: feeDecisions.id })
      .get();
    return row.id;
  }

  attachTx(id: number, outcome: TxOutcome): void {
    this.db
      .update(feeDecisions)
      .set({ txHash: outcome.hash ?? null, txStatus: outcome.status, txNote: outcome.reason ?? null })
      .where(eq(feeDecisions.id, id))
      .run();
  }

  list(
    filter: { limit?: number; poolId?: string; action?: string; chainId?: number } = {},
  ): FeeDecisionRow[] {
    const where: SQL[] = [];
    if (filter.poolId !== undefined) where.push(eq(feeDecisions.poolId, filter.poolId));
    if (filter.action !== undefined) where.push(eq(feeDecisions.action, filter.action));
    if (filter.chainId !== undefined) where.push(eq(feeDecisions.chainId, filter.chainId));
    return this.db
      .select()
      .from(feeDecisions)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(feeDecisions.id))
      .limit(Math.min(filter.limit ?? 100, 1_000))
      .all();
  }

  prune(): void {
    const edge = this.db
      .select({ id: feeDecisions.id })
      .from(feeDecisions)
      .orderBy(desc(feeDecisions.id))
      .limit(1)
      .offset(keepRows)
      .get();
    if (edge) this.db.delete(feeDecisions).where(lt(feeDecisions.id, edge.id)).run();
  }

  count(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(feeDecisions)
        .get()?.n ?? 0
    );
  }

  /**
   * `GET /decisions?limit=&pool=&action=set-fee|skip` → `{ decisions: [...] }`, newest first. Each decision
   * carries the pool, time, σ, old and new fee, the reason in words, and the transaction (hash and status).
   */
  routes(app: Hono): void {
    app.get("/decisions", (c) => {
      const limit = Number(c.req.query("limit") ?? 100);
      const action = c.req.query("action");
      if (!Number.isInteger(limit) || limit < 1)
        return c.json({ error: "limit: expected a positive integer" }, 400);
      if (action !== undefined && action !== "set-fee" && action !== "skip")
        return c.json({ error: "action: expected set-fee or skip" }, 400);
      const rows = this.list({ limit, poolId: c.req.query("pool"), action });
      return c.json({
        decisions: rows.map((r) => ({
          id: r.id,
          chainId: r.chainId,
          poolId: r.poolId,
          decidedAt: new Date(r.decidedAt).toISOString(),
          blockNumber: r.blockNumber,
          blockTimestamp: r.blockTimestamp,
          sigma: r.sigma,
          samples: r.samples,
          oldFee: r.oldFee,
          targetFee: r.targetFee,
          clampedTarget: r.clampedTarget,
          newFee: r.newFee,
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
