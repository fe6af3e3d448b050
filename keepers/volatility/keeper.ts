import type { Address, PublicClient } from "viem";
import { Counter, Gauge, type Registry } from "prom-client";
import { volatilityFeedAbi } from "../../generated/abis.js";
import { actOnDecisions } from "../lib/decisions.js";
import type { Health } from "../lib/health.js";
import { IndexerUnavailableError, type IndexerClient } from "../lib/indexer.js";
import type { Logger } from "../lib/log.js";
import type { Metrics } from "../lib/metrics.js";
import { trackRun } from "../lib/process.js";
import type { TxManager, TxOutcome } from "../lib/tx/sender.js";
import { readVolatilities } from "./chain.js";
import {
  decide,
  formatWad,
  WAD,
  type PoolVolatilityState,
  type VolatilityDecision,
  type VolatilityPolicy,
} from "./decide.js";
import type { DecisionLog } from "./decisions.js";

/** Everything one tick needs; built by `startVolatilityKeeper` (main.ts) or by a test. */
export type VolatilityKeeperContext = {
  chainId: number;
  feed: Address;
  publicClient: PublicClient;
  tx: TxManager;
  indexer: IndexerClient;
  decisions: DecisionLog;
  policy: VolatilityPolicy;
  volWindowSeconds: number;
  poolIds: bigint[];
  log: Logger;
  health: Health;
  metrics: Metrics;
  volatilityMetrics: VolatilityMetrics;
};

export type VolatilityMetrics = ReturnType<typeof createVolatilityMetrics>;

export function createVolatilityMetrics(registry: Registry) {
  const registers = [registry];
  return {
    decisions: new Counter({
      name: "volatility_keeper_decisions_total",
      help: "Decisions by action (set-volatility, skip) and skip reason.",
      labelNames: ["action", "reason"] as const,
      registers,
    }),
    indexerErrors: new Counter({
      name: "volatility_keeper_indexer_errors_total",
      help: "Ticks that could not read the indexer (retried next tick).",
      registers,
    }),
    volatility: new Gauge({
      name: "volatility_keeper_pool_volatility",
      help: "The feed's volatility on chain at the last tick, as a fraction (1 = 100 %/year).",
      labelNames: ["pool"] as const,
      registers,
    }),
    realizedVolatility: new Gauge({
      name: "volatility_keeper_pool_realized_volatility",
      help: "Annualized realized volatility from the indexer at the last tick.",
      labelNames: ["pool"] as const,
      registers,
    }),
    staleAt: new Gauge({
      name: "volatility_keeper_pool_stale_at_seconds",
      help: "Unix time at which the pool's value on chain goes stale (updatedAt + maxAge); alert when it nears.",
      labelNames: ["pool"] as const,
      registers,
    }),
    updatesSeen: new Counter({
      name: "volatility_keeper_updates_seen_total",
      help: "VolatilityUpdated events seen on chain, by who made them (keeper, other).",
      labelNames: ["by"] as const,
      registers,
    }),
  };
}

/**
 * The id of a volatility write: one per pool per on-chain update (`updatedAt`; the feed allows at most one update
 * per second), so a restart can never write twice for the same state. The feed's address is part of it: a
 * redeployment on the same chain id starts fresh instead of meeting old ids.
 */
export const volatilityIntentId = (chainId: number, feed: Address, poolId: bigint, updatedAt: number) =>
  `volatility:${chainId}:${feed.toLowerCase()}:${poolId}:${updatedAt}`;

export type TickResult = {
  blockNumber: bigint;
  decisions: (VolatilityDecision & { outcome?: TxOutcome })[];
};

const fraction = (wad: bigint) => Number(wad) / Number(WAD);

/**
 * One tick: finish any write a previous process left pending; read the pools' volatility and bounds on chain (the
 * truth) and their realized volatility from the indexer (with the time it is as of: stale stats are skipped);
 * decide; log and record every decision; send the writes (simulated first; only simulated in dry-run mode). An
 * unreachable indexer fails the tick (logged, counted, retried next tick), never the process.
 */
export function runOnce(ctx: VolatilityKeeperContext): Promise<TickResult> {
  const log = ctx.log.child("volatility");
  return trackRun({ health: ctx.health, metrics: ctx.metrics, log }, async () => {
    await ctx.tx.resumePending();

    const chain = await readVolatilities(ctx.publicClient, ctx.feed, ctx.poolIds);
    const states: PoolVolatilityState[] = [];
    for (const pool of chain.pools) {
      let stats;
      try {
        stats = await ctx.indexer.poolStats(ctx.chainId, pool.poolId, ctx.volWindowSeconds);
      } catch (error) {
        if (error instanceof IndexerUnavailableError) ctx.volatilityMetrics.indexerErrors.inc();
        throw error;
      }
      const labels = { pool: pool.poolId.toString() };
      if (pool.updatedAt !== 0) {
        ctx.volatilityMetrics.volatility.set(labels, fraction(pool.volatilityWad));
        ctx.volatilityMetrics.staleAt.set(labels, pool.updatedAt + pool.bounds.maxAge);
      }
      if (stats?.realizedVolatility != null)
        ctx.volatilityMetrics.realizedVolatility.set(labels, stats.realizedVolatility);
      states.push({ ...pool, stats });
    }

    const decisions = decide({ now: chain.now, policy: ctx.policy, pools: states });
    const stateOf = (poolId: bigint) => states.find((p) => p.poolId === poolId)!;
    const results = await actOnDecisions({
      decisions,
      write: "set-volatility",
      noun: "volatility",
      journal: ctx.decisions,
      counter: ctx.volatilityMetrics.decisions,
      tx: ctx.tx,
      log,
      chain: { chainId: ctx.chainId, blockNumber: chain.blockNumber, now: chain.now },
      intentId: (d) => volatilityIntentId(ctx.chainId, ctx.feed, d.poolId, d.updatedAt),
      fields: (d) => ({
        poolId: d.poolId,
        action: d.kind,
        skip: d.kind === "skip" ? d.skip : undefined,
        mode: d.kind === "set-volatility" ? d.mode : undefined,
        sigma: d.sigma,
        samples: d.samples,
        oldWad: d.oldWad,
        targetWad: d.targetWad,
        clampedWad: d.clampedWad,
        newWad: d.kind === "set-volatility" ? d.newWad : undefined,
        staleAt: d.staleAt,
        statsAsOf: stateOf(d.poolId).stats?.asOf,
      }),
      call: (d) => ({
        address: ctx.feed,
        abi: volatilityFeedAbi,
        functionName: "setVolatility",
        args: [d.poolId, d.newWad],
        label: `setVolatility(pool ${d.poolId}: ${formatWad(d.oldWad)} → ${formatWad(d.newWad)}, ${d.mode})`,
      }),
      onMined: (d) => {
        const labels = { pool: d.poolId.toString() };
        ctx.volatilityMetrics.volatility.set(labels, fraction(d.newWad));
        // The write restarts the value's age in its block, at or after this tick's: a safe (early) estimate until the next tick reads it.
        ctx.volatilityMetrics.staleAt.set(labels, chain.now + stateOf(d.poolId).bounds.maxAge);
      },
    });
    return { blockNumber: chain.blockNumber, decisions: results };
  });
}
