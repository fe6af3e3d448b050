import { and, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { index, integer, text, type AnySQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Hono } from "hono";
import type { Counter } from "prom-client";
import type { LogFields, Logger } from "./log.js";
import type { Store } from "./store/store.js";
import type { TxManager, TxOutcome, WriteRequest } from "./tx/sender.js";

// A journal of decisions for a keeper that, per pool and tick, decides either one write or a skip (the fee and
// APY keepers): its table (the runtime's columns around the keeper's own), `GET /decisions`, and the loop that
// logs, records, counts and sends each decision.

// ─── Schema ────────────────────────────────────────────────────────────────────────────────────

/** The columns a decision table starts with (drizzle schema; the keeper's own columns follow them). */
export const decisionKeyColumns = () => ({
  id: integer("id").primaryKey({ autoIncrement: true }),
  chainId: integer("chain_id").notNull(),
  poolId: text("pool_id").notNull(),
  /** Keeper's clock, unix ms. */
  decidedAt: integer("decided_at").notNull(),
  /** Chain's clock (latest block timestamp), unix s. */
  blockTimestamp: integer("block_timestamp").notNull(),
  blockNumber: integer("block_number").notNull(),
});

/** The columns a decision table ends with: what was decided, why, and the transaction. */
export const decisionOutcomeColumns = () => ({
  /** The keeper's write action (`set-fee`, `set-rate`) or `skip`. */
  action: text("action").notNull(),
  skipReason: text("skip_reason"),
  reason: text("reason").notNull(),
  intentId: text("intent_id"),
  txHash: text("tx_hash"),
  /** mined, reverted, pending, failed, dry-run, simulation-failed. */
  txStatus: text("tx_status"),
  txNote: text("tx_note"),
});

type DecisionIndexed = {
  chainId: AnySQLiteColumn;
  poolId: AnySQLiteColumn;
  action: AnySQLiteColumn;
  id: AnySQLiteColumn;
};

/** The indexes of a decision table named `table`: by pool and by action, newest last. */
export const decisionIndexes = (table: string) => (t: DecisionIndexed) => [
  index(`${table}_pool`).on(t.chainId, t.poolId, t.id),
  index(`${table}_action`).on(t.action, t.id),
];

// ─── Journal ───────────────────────────────────────────────────────────────────────────────────

/** What every decision says: the pool, the write (`kind` = the write action) or a skip with its reason. */
export type Decision = { poolId: bigint; kind: string; skip?: string; reason: string };

/** The common part of a row (see {@link decisionKeyColumns} and {@link decisionOutcomeColumns}). */
export type DecisionRowBase = {
  id: number;
  chainId: number;
  poolId: string;
  decidedAt: number;
  blockTimestamp: number;
  blockNumber: number;
  action: string;
  skipReason: string | null;
  reason: string;
  intentId: string | null;
  txHash: string | null;
  txStatus: string | null;
  txNote: string | null;
};

type DecisionTable = SQLiteTable & {
  [K in "id" | "chainId" | "poolId" | "action"]: AnySQLiteColumn;
};

/** Rows kept; older decisions are pruned (a keeper deciding every minute for ten pools keeps about a week). */
const keepRows = 100_000;

/**
 * A keeper's journal of decisions, in its SQLite store, served at `GET /decisions` so that a dashboard or the demo
 * can show what the keeper changed and why. `values` gives the keeper's own columns of a decision, `json` those of
 * a row for `/decisions` (between `blockTimestamp` and `action`).
 */
export class DecisionJournal<D extends Decision, Row extends DecisionRowBase> {
  readonly db: BetterSQLite3Database;

  constructor(
    store: Store,
    private readonly table: DecisionTable,
    private readonly shape: {
      /** The write action (`set-fee`): `/decisions?action=` takes it or `skip`. */
      write: string;
      values(decision: D): Record<string, unknown>;
      json(row: Row): Record<string, unknown>;
    },
  ) {
    this.db = drizzle(store.sqlite);
  }

  record(
    decision: D,
    context: { chainId: number; blockNumber: bigint; blockTimestamp: number; intentId?: string },
  ): number {
    const row = this.db
      .insert(this.table)
      .values({
        chainId: context.chainId,
        poolId: decision.poolId.toString(),
        decidedAt: Date.now(),
        blockTimestamp: context.blockTimestamp,
        blockNumber: Number(context.blockNumber),
        ...this.shape.values(decision),
        action: decision.kind,
        skipReason: decision.kind === "skip" ? decision.skip : null,
        reason: decision.reason,
        intentId: context.intentId ?? null,
      } as never)
      .returning({ id: this.table.id })
      .get() as { id: number };
    return row.id;
  }

  attachTx(id: number, outcome: TxOutcome): void {
    this.db
      .update(this.table)
      .set({
        txHash: outcome.hash ?? null,
        txStatus: outcome.status,
        txNote: outcome.reason ?? null,
      } as never)
      .where(eq(this.table.id, id))
      .run();
  }

  list(filter: { limit?: number; poolId?: string; action?: string; chainId?: number } = {}): Row[] {
    const where: SQL[] = [];
    if (filter.poolId !== undefined) where.push(eq(this.table.poolId, filter.poolId));
    if (filter.action !== undefined) where.push(eq(this.table.action, filter.action));
    if (filter.chainId !== undefined) where.push(eq(this.table.chainId, filter.chainId));
    return this.db
      .select()
      .from(this.table)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(this.table.id))
      .limit(Math.min(filter.limit ?? 100, 1_000))
      .all() as Row[];
  }

  prune(): void {
    const edge = this.db
      .select({ id: this.table.id })
      .from(this.table)
      .orderBy(desc(this.table.id))
      .limit(1)
      .offset(keepRows)
      .get() as { id: number } | undefined;
    if (edge) this.db.delete(this.table).where(lt(this.table.id, edge.id)).run();
  }

  count(): number {
    return (
      (
        this.db
          .select({ n: sql<number>`count(*)` })
          .from(this.table)
          .get() as { n: number } | undefined
      )?.n ?? 0
    );
  }

  /**
   * `GET /decisions?limit=&pool=&action=<write>|skip` → `{ decisions: [...] }`, newest first: each with the pool,
   * time, the keeper's own fields, the action, the reason in words, and the transaction (hash and status).
   */
  routes(app: Hono): void {
    const { write } = this.shape;
    app.get("/decisions", (c) => {
      const limit = Number(c.req.query("limit") ?? 100);
      const action = c.req.query("action");
      if (!Number.isInteger(limit) || limit < 1)
        return c.json({ error: "limit: expected a positive integer" }, 400);
      if (action !== undefined && action !== write && action !== "skip")
        return c.json({ error: `action: expected ${write} or skip` }, 400);
      const rows = this.list({ limit, poolId: c.req.query("pool"), action });
      return c.json({
        decisions: rows.map((r) => ({
          id: r.id,
          chainId: r.chainId,
          poolId: r.poolId,
          decidedAt: new Date(r.decidedAt).toISOString(),
          blockNumber: r.blockNumber,
          blockTimestamp: r.blockTimestamp,
          ...this.shape.json(r),
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

// ─── Acting on decisions ───────────────────────────────────────────────────────────────────────

/**
 * The second half of a tick: for each decision, in order, log `decision: <reason>` with its `fields`, record it,
 * count it (`decisions{action, reason}`); a write (`kind` = the journal's write action) is then sent under its
 * intent id, its outcome attached to the record, `onMined` told when it mined, and `<noun> write <status>` logged.
 * Then the journal is pruned. Returns the decisions, the writes with their outcome.
 */
export async function actOnDecisions<D extends Decision, W extends D["kind"]>(args: {
  decisions: readonly D[];
  /** The write action (`set-fee`). */
  write: W;
  /** Names the write in its outcome line (`fee` → "fee write mined"). */
  noun: string;
  journal: Pick<DecisionJournal<D, never>, "record" | "attachTx" | "prune">;
  counter: Counter<"action" | "reason">;
  tx: TxManager;
  log: Logger;
  chain: { chainId: number; blockNumber: bigint; now: number };
  /** The intent id of a write (one per pool per on-chain epoch). */
  intentId(write: Extract<D, { kind: W }>): string;
  /** Log fields of a decision (`intentId` is added last). */
  fields(decision: D): LogFields;
  /** The call a write makes. */
  call(write: Extract<D, { kind: W }>): Omit<WriteRequest, "intentId">;
  onMined?(write: Extract<D, { kind: W }>): void;
}): Promise<(D & { outcome?: TxOutcome })[]> {
  const results: (D & { outcome?: TxOutcome })[] = [];
  for (const decision of args.decisions) {
    const write = decision.kind === args.write ? (decision as Extract<D, { kind: W }>) : undefined;
    const intentId = write && args.intentId(write);
    const fields = { ...args.fields(decision), intentId };
    args.log.info(`decision: ${decision.reason}`, fields);
    const id = args.journal.record(decision, {
      chainId: args.chain.chainId,
      blockNumber: args.chain.blockNumber,
      blockTimestamp: args.chain.now,
      intentId,
    });
    args.counter.inc({ action: decision.kind, reason: decision.kind === "skip" ? decision.skip : "" });

    if (!write) {
      results.push(decision);
      continue;
    }
    const outcome = await args.tx.send({ intentId: intentId!, ...args.call(write) });
    args.journal.attachTx(id, outcome);
    if (outcome.status === "mined") args.onMined?.(write);
    args.log.info(`${args.noun} write ${outcome.status}`, {
      ...fields,
      hash: outcome.hash,
      resumed: outcome.resumed,
      note: outcome.reason,
    });
    results.push({ ...decision, outcome });
  }
  args.journal.prune();
  return results;
}
