/**
 * The fee keeper's decision, as a pure function of what it read: no I/O, no clock, no randomness.
 *
 * Why fees should follow volatility. A constant-product pool quotes a stale price between trades; when the
 * market moves, arbitrageurs trade the pool back to the market price and the pool's LPs lose the difference
 * ("loss-versus-rebalancing", which grows with σ² for a CPMM). The swap fee is the LPs' defence: an arbitrage
 * trade only pays when the price has moved more than the fee, and every trade that does happen pays it. So a
 * volatile pair needs a higher fee to keep LPs whole, and a calm pair can charge less and win volume.
 *
 * The rule (all fees in pips, 1 pip = 1e-6, 3 000 pips = 0.30 %):
 *
 *     targetFee    = BASE_FEE + FEE_PER_VOL × σ
 *     clamped      = clamp(round(targetFee), minFee, maxFee)        — the pool's on-chain bounds
 *     newFee       = fee + sign(clamped − fee) × min(|clamped − fee|, maxStep)
 *
 * where σ is the pool's annualized realized volatility over the indexer's window (0.5 = 50 % a year).
 * Defaults BASE_FEE = 500 and FEE_PER_VOL = 5 000 reproduce the three fee tiers Uniswap settled on for the
 * same reason: σ ≈ 0 (a stable pair) → 500 pips (0.05 %); σ = 50 % (a typical volatile pair) → 3 000 pips
 * (0.30 %, also this AMM's default fee); σ ≈ 190 % (an exotic, jumpy pair) → 10 000 pips (1 %, the default
 * maxFee). The line is linear in σ rather than σ² on purpose: fee revenue also scales with the volume that
 * volatility brings, which roughly cancels one power of σ, and a linear rule is easy to reason about.
 *
 * The keeper skips a pool — and says why — when:
 * - the indexer has no stats for it, or σ is null (fewer than two price observations) or not finite;
 * - the stats are stale: the indexer's `asOf` (the timestamp of the latest block it has indexed) is more than
 *   MAX_STATS_AGE_SECONDS behind the chain's clock — an indexer that stopped or fell behind would otherwise
 *   have the keeper act on yesterday's volatility;
 * - fewer than MIN_SAMPLES price observations back σ (too noisy to act on);
 * - `now < lastFeeUpdate + minInterval` (the contract would revert FeeUpdateTooSoon); lastFeeUpdate = 0 means
 *   the fee was never moved, which is always allowed;
 * - governance froze the fee (maxStep = 0);
 * - |clamped − fee| < DEADBAND: the move is too small to be worth a transaction (and would make the fee
 *   jitter with the noise in σ).
 * Moving at most maxStep per interval is the contract's rule too; the keeper follows it rather than having
 * the call revert.
 */

import type { PoolStats } from "../lib/indexer.js";

export type { PoolStats };

export type FeeBounds = { minFee: number; maxFee: number; maxStep: number; minInterval: number };

export type PoolFeeState = {
  poolId: bigint;
  /** Current fee on chain, in pips. */
  fee: number;
  /** Unix seconds of the last fee change on chain; 0 = never changed. */
  lastFeeUpdate: number;
  bounds: FeeBounds;
  /** From the indexer; null when it does not know the pool (yet). */
  stats: PoolStats | null;
};

export type FeePolicy = {
  /** Fee at zero volatility, pips. */
  baseFee: number;
  /** Pips of fee per unit of annualized σ (σ = 1.0 is 100 %/year). */
  feePerVol: number;
  /** Smallest |target − fee| worth a transaction, pips. */
  deadband: number;
  /** Fewest price observations behind σ to act on. */
  minSamples: number;
};

export type DecideState = {
  /** Latest block's timestamp, unix seconds: the chain's clock, not the keeper's. */
  now: number;
  policy: FeePolicy;
  pools: PoolFeeState[];
  /**
   * MAX_STATS_AGE_SECONDS: a pool whose stats are older than this (`now − asOf`), or do not say how old they
   * are, is skipped (`stale-stats`). Unset: the age of the stats is not checked.
   */
  maxStatsAgeSeconds?: number;
};

export type SkipReason =
  "no-stats" | "stale-stats" | "too-few-samples" | "too-soon" | "within-deadband" | "fee-frozen";

type DecisionBase = {
  poolId: bigint;
  oldFee: number;
  sigma: number | null;
  samples: number;
  /** Unclamped target (pips), when σ allowed computing one. */
  targetFee: number | null;
  /** Target clamped into the pool's bounds. */
  clampedTarget: number | null;
  /** The decision in words, for logs and `/decisions`. */
  reason: string;
};

export type FeeDecision =
  | (DecisionBase & { kind: "set-fee"; newFee: number })
  | (DecisionBase & { kind: "skip"; skip: SkipReason; nextAllowedAt?: number });

/** BASE_FEE + FEE_PER_VOL × σ, in whole pips (unclamped). */
export function targetFee(sigma: number, policy: Pick<FeePolicy, "baseFee" | "feePerVol">): number {
  return Math.round(policy.baseFee + policy.feePerVol * sigma);
}

export function decide(state: DecideState): FeeDecision[] {
  return state.pools.map((pool) => decidePool(pool, state.now, state.policy, state.maxStatsAgeSeconds));
}

function decidePool(
  pool: PoolFeeState,
  now: number,
  policy: FeePolicy,
  maxStatsAgeSeconds: number | undefined,
): FeeDecision {
  const { fee, bounds } = pool;
  const sigma = pool.stats?.realizedVolatility ?? null;
  const samples = pool.stats?.volatilitySamples ?? 0;
  const base = { poolId: pool.poolId, oldFee: fee, sigma, samples };

  if (pool.stats !== null && maxStatsAgeSeconds !== undefined) {
    const asOf = pool.stats.asOf;
    const age = asOf === undefined ? undefined : now - asOf;
    if (age === undefined || !Number.isFinite(age) || age > maxStatsAgeSeconds)
      return {
        ...base,
        kind: "skip",
        skip: "stale-stats",
        targetFee: null,
        clampedTarget: null,
        reason:
          age === undefined || !Number.isFinite(age)
            ? `indexer stats do not say how old they are; fee stays ${fee}`
            : `indexer stats are ${age} s old (as of ${asOf}, chain time ${now}) > MAX_STATS_AGE_SECONDS ${maxStatsAgeSeconds}; fee stays ${fee}`,
      };
  }

  if (pool.stats === null || sigma === null || !Number.isFinite(sigma) || sigma < 0) {
    const why =
      pool.stats === null ? "indexer has no stats for the pool" : `σ unavailable (${String(sigma)})`;
    return {
      ...base,
      kind: "skip",
      skip: "no-stats",
      targetFee: null,
      clampedTarget: null,
      reason: `${why}; fee stays ${fee}`,
    };
  }

  const target = targetFee(sigma, policy);
  const clamped = Math.min(Math.max(target, bounds.minFee), bounds.maxFee);
  const computed = { targetFee: target, clampedTarget: clamped };
  const math = `σ=${sigma.toFixed(4)} → target ${target} pips${clamped !== target ? `, clamped to ${clamped} [${bounds.minFee}, ${bounds.maxFee}]` : ""}`;

  if (samples < policy.minSamples)
    return {
      ...base,
      ...computed,
      kind: "skip",
      skip: "too-few-samples",
      reason: `${math}; only ${samples} price samples (< MIN_SAMPLES ${policy.minSamples}); fee stays ${fee}`,
    };

  const nextAllowedAt = pool.lastFeeUpdate + bounds.minInterval;
  if (pool.lastFeeUpdate !== 0 && now < nextAllowedAt)
    return {
      ...base,
      ...computed,
      kind: "skip",
      skip: "too-soon",
      nextAllowedAt,
      reason: `${math}; last change at ${pool.lastFeeUpdate}, next allowed at ${nextAllowedAt} (${nextAllowedAt - now} s); fee stays ${fee}`,
    };

  if (bounds.maxStep === 0)
    return {
      ...base,
      ...computed,
      kind: "skip",
      skip: "fee-frozen",
      reason: `${math}; governance set maxStep = 0 (fee frozen); fee stays ${fee}`,
    };

  const distance = clamped - fee;
  if (Math.abs(distance) < policy.deadband || distance === 0)
    return {
      ...base,
      ...computed,
      kind: "skip",
      skip: "within-deadband",
      reason: `${math}; |${clamped} − ${fee}| = ${Math.abs(distance)} < DEADBAND ${policy.deadband}; fee stays ${fee}`,
    };

  const step = Math.min(Math.abs(distance), bounds.maxStep);
  const newFee = fee + Math.sign(distance) * step;
  const limited = step < Math.abs(distance) ? ` (limited by maxStep ${bounds.maxStep})` : "";
  return {
    ...base,
    ...computed,
    kind: "set-fee",
    newFee,
    reason: `${math}; moving fee ${fee} → ${newFee}${limited}`,
  };
}
