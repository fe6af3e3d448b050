import type { Address, PublicClient } from "viem";
import { Counter, Gauge, type Registry } from "prom-client";
import { aiPowerYieldFarmAbi } from "../../generated/abis.js";
import type { Health } from "../lib/health.js";
import type { Logger } from "../lib/log.js";
import type { Metrics } from "../lib/metrics.js";
import { actOnDecisions } from "../lib/decisions.js";
import { trackRun } from "../lib/process.js";
import type { TxManager, TxOutcome } from "../lib/tx/sender.js";
import { readFarmPools } from "./chain.js";
import { decide, WAD, type ApyDecision, type ApyPolicy } from "./decide.js";
import type { DecisionLog } from "./decisions.js";

/** Everything one tick needs; built by `startApyKeeper` (main.ts) or by a test. */
export type ApyKeeperContext = {
  chainId: number;
  farm: Address;
  publicClient: PublicClient;
  tx: TxManager;
  decisions: DecisionLog;
  policy: ApyPolicy;
  poolIds?: bigint[];
  log: Logger;
  health: Health;
  metrics: Metrics;
  apyMetrics: ApyMetrics;
};

export type ApyMetrics = ReturnType<typeof createApyMetrics>;

export function createApyMetrics(registry: Registry) {
  const registers = [registry];
  return {
    decisions: new Counter({
      name: "apy_keeper_decisions_total",
      help: "Decisions by action (set-rate, skip) and skip reason.",
      labelNames: ["action", "reason"] as const,
      registers,
    }),
    rewardRate: new Gauge({
      name: "apy_keeper_pool_reward_rate",
      help: "Pool reward rate on chain at the last tick, reward-token base units per second.",
      labelNames: ["pool"] as const,
      registers,
    }),
    apy: new Gauge({
      name: "apy_keeper_pool_apy",
      help: "The farm's currentApy at the last tick, as a fraction (1 = 100 %/year).",
      labelNames: ["pool"] as const,
      registers,
    }),
    targetApy: new Gauge({
      name: "apy_keeper_pool_target_apy",
      help: "The keeper's target APY at the last tick, as a fraction (1 = 100 %/year).",
      labelNames: ["pool"] as const,
      registers,
    }),
    utilization: new Gauge({
      name: "apy_keeper_pool_utilization",
      help: "Total staked over the pool's target stake at the last tick.",
      labelNames: ["pool"] as const,
      registers,
    }),
    rateUpdatesSeen: new Counter({
      name: "apy_keeper_rate_updates_seen_total",
      help: "RewardRateUpdated events seen on chain, by who made them (keeper, other).",
      labelNames: ["by"] as const,
      registers,
    }),
  };
}

/**
 * The id of a rate write: one per pool per on-chain rate epoch (`lastRateUpdate` moves with every change), so a
 * restart can never set a rate twice. The farm's address is part of it: a redeployment on the same chain id
 * (a restarted devnet, a testnet reset) starts fresh epochs instead of meeting the old deployment's ids.
 */
export const apyIntentId = (chainId: number, farm: Address, poolId: bigint, lastRateUpdate: number) =>
  `apy:${chainId}:${farm.toLowerCase()}:${poolId}:${lastRateUpdate}`;

export type TickResult = { blockNumber: bigint; decisions: (ApyDecision & { outcome?: TxOutcome })[] };

const fraction = (wad: bigint) => Number(wad) / Number(WAD);

/**
 * One tick: finish any write a previous process left pending; read the farm's pools at the latest block (rate,
 * period, stake, budget, bounds, lastRateUpdate and currentApy — the chain is the only input); decide; log and
 * record every decision; send the rate changes (simulated first; only simulated in dry-run mode). An
 * unreachable RPC fails the tick (logged, counted, retried next tick), never the process.
 */
export function runOnce(ctx: ApyKeeperContext): Promise<TickResult> {
  const log = ctx.log.child("apy");
  return trackRun({ health: ctx.health, metrics: ctx.metrics, log }, async () => {
    await ctx.tx.resumePending();

    const chain = await readFarmPools(ctx.publicClient, ctx.farm, ctx.poolIds);
    for (const pool of chain.pools) {
      const labels = { pool: pool.poolId.toString() };
      ctx.apyMetrics.rewardRate.set(labels, Number(pool.rewardRate));
      if (pool.currentApy !== null) ctx.apyMetrics.apy.set(labels, fraction(pool.currentApy));
    }

    const decisions = decide({ now: chain.now, policy: ctx.policy, pools: chain.pools });
    for (const decision of decisions) {
      const labels = { pool: decision.poolId.toString() };
      if (decision.utilization !== null) ctx.apyMetrics.utilization.set(labels, decision.utilization);
      if (decision.targetApy !== null) ctx.apyMetrics.targetApy.set(labels, fraction(decision.targetApy));
    }
    const results = await actOnDecisions({
      decisions,
      write: "set-rate",
      noun: "rate",
      journal: ctx.decisions,
      counter: ctx.apyMetrics.decisions,
      tx: ctx.tx,
      log,
      chain: { chainId: ctx.chainId, blockNumber: chain.blockNumber, now: chain.now },
      intentId: (d) =>
        apyIntentId(
          ctx.chainId,
          ctx.farm,
          d.poolId,
          chain.pools.find((p) => p.poolId === d.poolId)!.lastRateUpdate,
        ),
      fields: (d) => ({
        poolId: d.poolId,
        action: d.kind,
        skip: d.kind === "skip" ? d.skip : undefined,
        totalStaked: d.totalStaked,
        targetStake: d.targetStake,
        currentApy: d.currentApy,
        targetApy: d.targetApy,
        oldRate: d.oldRate,
        desiredRate: d.desiredRate,
        clampedRate: d.clampedRate,
        maxAffordableRate: d.maxAffordableRate,
        newRate: d.kind === "set-rate" ? d.newRate : undefined,
      }),
      call: (d) => ({
        address: ctx.farm,
        abi: aiPowerYieldFarmAbi,
        functionName: "setRewardRate",
        args: [d.poolId, d.newRate],
        label: `setRewardRate(pool ${d.poolId}: ${d.oldRate} → ${d.newRate})`,
      }),
      onMined: (d) => ctx.apyMetrics.rewardRate.set({ pool: d.poolId.toString() }, Number(d.newRate)),
    });
    return { blockNumber: chain.blockNumber, decisions: results };
  });
}
