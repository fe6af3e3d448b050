import type { Address, PublicClient } from "viem";
import { Counter, Gauge, type Registry } from "prom-client";
import { aiServiceAmmAbi } from "../../generated/abis.js";
import type { Health } from "../lib/health.js";
import type { Logger } from "../lib/log.js";
import type { Metrics } from "../lib/metrics.js";
import { actOnDecisions } from "../lib/decisions.js";
import { trackRun } from "../lib/process.js";
import type { TxManager, TxOutcome } from "../lib/tx/sender.js";
import { readPools } from "./chain.js";
import { decide, type FeeDecision, type FeePolicy, type PoolFeeState } from "./decide.js";
import type { DecisionLog } from "./decisions.js";
import { IndexerUnavailableError, type IndexerClient } from "../lib/indexer.js";

/** Everything one tick needs; built by `startFeeKeeper` (main.ts) or by a test. */
export type FeeKeeperContext = {
  chainId: number;
  amm: Address;
  publicClient: PublicClient;
  tx: TxManager;
  indexer: IndexerClient;
  decisions: DecisionLog;
  policy: FeePolicy;
  /** MAX_STATS_AGE_SECONDS: skip a pool whose indexer stats are older than this (chain time − asOf). */
  maxStatsAgeSeconds: number;
  volWindowSeconds: number;
  poolIds?: bigint[];
  log: Logger;
  health: Health;
  metrics: Metrics;
  feeMetrics: FeeMetrics;
};

export type FeeMetrics = ReturnType<typeof createFeeMetrics>;

export function createFeeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    decisions: new Counter({
      name: "fee_keeper_decisions_total",
      help: "Decisions by action (set-fee, skip) and skip reason.",
      labelNames: ["action", "reason"] as const,
      registers,
    }),
    indexerErrors: new Counter({
      name: "fee_keeper_indexer_errors_total",
      help: "Ticks that could not read the indexer (retried next tick).",
      registers,
    }),
    poolFee: new Gauge({
      name: "fee_keeper_pool_fee_pips",
      help: "Pool fee on chain at the last tick, pips.",
      labelNames: ["pool"] as const,
      registers,
    }),
    poolVolatility: new Gauge({
      name: "fee_keeper_pool_volatility",
      help: "Annualized realized volatility from the indexer at the last tick.",
      labelNames: ["pool"] as const,
      registers,
    }),
    feeUpdatesSeen: new Counter({
      name: "fee_keeper_fee_updates_seen_total",
      help: "FeeUpdated events seen on chain, by who made them (keeper, other).",
      labelNames: ["by"] as const,
      registers,
    }),
  };
}

/**
 * The id of a fee write: one per pool per on-chain fee epoch, so a restart can never set a fee twice. The AMM's
 * address is part of it: a redeployment on the same chain id starts fresh epochs instead of meeting old ids.
 */
export const feeIntentId = (chainId: number, amm: Address, poolId: bigint, lastFeeUpdate: number) =>
  `fee:${chainId}:${amm.toLowerCase()}:${poolId}:${lastFeeUpdate}`;

export type TickResult = { blockNumber: bigint; decisions: (FeeDecision & { outcome?: TxOutcome })[] };

/**
 * One tick: finish any write a previous process left pending; read the pools on chain (the truth for fee,
 * bounds and lastFeeUpdate) and their volatility from the indexer (with the time it is as of: stale stats are
 * skipped); decide; log and record every decision;
 * send the fee changes (simulated first; only simulated in dry-run mode). An unreachable indexer fails the
 * tick (logged, counted, retried next tick), never the process.
 */
export function runOnce(ctx: FeeKeeperContext): Promise<TickResult> {
  const log = ctx.log.child("fee");
  return trackRun({ health: ctx.health, metrics: ctx.metrics, log }, async () => {
    await ctx.tx.resumePending();

    const chain = await readPools(ctx.publicClient, ctx.amm, ctx.poolIds);
    const states: PoolFeeState[] = [];
    for (const pool of chain.pools) {
      let stats;
      try {
        stats = await ctx.indexer.poolStats(ctx.chainId, pool.poolId, ctx.volWindowSeconds);
      } catch (error) {
        if (error instanceof IndexerUnavailableError) ctx.feeMetrics.indexerErrors.inc();
        throw error;
      }
      ctx.feeMetrics.poolFee.set({ pool: pool.poolId.toString() }, pool.fee);
      if (stats?.realizedVolatility != null)
        ctx.feeMetrics.poolVolatility.set({ pool: pool.poolId.toString() }, stats.realizedVolatility);
      states.push({ ...pool, stats });
    }

    const decisions = decide({
      now: chain.now,
      policy: ctx.policy,
      pools: states,
      maxStatsAgeSeconds: ctx.maxStatsAgeSeconds,
    });
    const results = await actOnDecisions({
      decisions,
      write: "set-fee",
      noun: "fee",
      journal: ctx.decisions,
      counter: ctx.feeMetrics.decisions,
      tx: ctx.tx,
      log,
      chain: { chainId: ctx.chainId, blockNumber: chain.blockNumber, now: chain.now },
      intentId: (d) =>
        feeIntentId(ctx.chainId, ctx.amm, d.poolId, states.find((p) => p.poolId === d.poolId)!.lastFeeUpdate),
      fields: (d) => ({
        poolId: d.poolId,
        action: d.kind,
        skip: d.kind === "skip" ? d.skip : undefined,
        sigma: d.sigma,
        samples: d.samples,
        oldFee: d.oldFee,
        targetFee: d.targetFee,
        clampedTarget: d.clampedTarget,
        newFee: d.kind === "set-fee" ? d.newFee : undefined,
        statsAsOf: states.find((p) => p.poolId === d.poolId)!.stats?.asOf,
      }),
      call: (d) => ({
        address: ctx.amm,
        abi: aiServiceAmmAbi,
        functionName: "setFee",
        args: [d.poolId, d.newFee],
        label: `setFee(pool ${d.poolId}: ${d.oldFee} → ${d.newFee})`,
      }),
      onMined: (d) => ctx.feeMetrics.poolFee.set({ pool: d.poolId.toString() }, d.newFee),
    });
    return { blockNumber: chain.blockNumber, decisions: results };
  });
}
