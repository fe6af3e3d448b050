/**
 * The volatility keeper's decision, as a pure function of what it read: no I/O, no clock, no randomness.
 *
 * Options price from `VolatilityFeed.volatilityOf(poolId)` (annualized, 1e18 = 100 % a year). The keeper sets it
 * from the AMM pool's realized volatility — the same σ the fee keeper prices the AMM fee with, read from the
 * indexer's `/pools/:chainId/:poolId/stats` (keepers/lib/indexer.ts) over VOL_WINDOW_SECONDS:
 *
 *     targetWad  = round(σ × 1e18)
 *     clamped    = clamp(targetWad, minWad, maxWad)                 — the pool's bounds on chain
 *     newWad     = wad + sign(clamped − wad) × min(|clamped − wad|, maxStepWad)
 *
 * The feed's rules, which the keeper follows rather than having its call revert:
 * - a pool never set (`updatedAt = 0`) takes the feed's default bounds at its first update, and its first value
 *   may be anywhere inside them: the keeper sets it straight to `clamped` (`set-volatility`, `initial`);
 * - afterwards at most `maxStepWad` per update and at most one update per `max(minInterval, 1)` seconds;
 * - a value older than `maxAge` is stale and `volatilityOf` reverts (option pricing fails closed).
 *
 * Staying fresh. The feed accepts setting the value it already holds (a step of 0 is within every maxStep; the
 * value is inside its bounds, as `setBounds` clamps it), and any accepted update restarts its age. So once the
 * value is older than `maxAge − REFRESH_MARGIN_SECONDS` (and at least the interval has passed; `maxAge >
 * minInterval` by the contract, so that moment always comes before the value goes stale), the keeper writes even
 * inside the deadband: the stepped target, which is the current value when they are equal (`refresh`).
 * REFRESH_MARGIN_SECONDS must leave room for a few ticks of the schedule and a transaction to mine.
 *
 * It refreshes only from fresh measurements. Without usable stats (`no-stats`: the indexer does not know the pool
 * or σ is null; `stale-stats`: the indexer's `asOf` is more than MAX_STATS_AGE_SECONDS behind the chain;
 * `too-few-samples`) it writes nothing — not even a refresh — and says when the value on chain goes stale: a
 * volatility nobody measures should expire, which is what `maxAge` is for.
 *
 * Otherwise it skips (and says why) when `now < updatedAt + max(minInterval, 1)` (`too-soon`) or when
 * |clamped − wad| < DEADBAND_WAD and no refresh is due (`within-deadband`).
 */
import type { PoolStats } from "../lib/indexer.js";

export const WAD = 10n ** 18n;

/** The feed's `VolatilityBounds` (wad values as bigint, seconds as numbers). */
export type VolatilityBounds = {
  minWad: bigint;
  maxWad: bigint;
  maxStepWad: bigint;
  minInterval: number;
  maxAge: number;
};

export type PoolVolatilityState = {
  poolId: bigint;
  /** Current value on chain (0 until the first update). */
  volatilityWad: bigint;
  /** Unix seconds of the last update; 0 = never set. */
  updatedAt: number;
  /** The bounds the next update is checked against: the pool's own, or the feed's default before its first update. */
  bounds: VolatilityBounds;
  /** False until the pool took the default bounds at its first update (or governance set its own). */
  configured: boolean;
  /** From the indexer; null when it does not know the pool (yet). */
  stats: PoolStats | null;
};

export type VolatilityPolicy = {
  /** Smallest |clamped − wad| worth a transaction when no refresh is due, wad. */
  deadbandWad: bigint;
  /** Fewest price observations behind σ to act on. */
  minSamples: number;
  /** Refresh a value this many seconds before it would go stale. */
  refreshMarginSeconds: number;
  /** Skip stats older than this (chain time − asOf). */
  maxStatsAgeSeconds: number;
};

export type DecideState = {
  /** Latest block's timestamp, unix seconds: the chain's clock, not the keeper's. */
  now: number;
  policy: VolatilityPolicy;
  pools: PoolVolatilityState[];
};

export type SkipReason = "no-stats" | "stale-stats" | "too-few-samples" | "too-soon" | "within-deadband";

/** Why a write happens: the first value, a step toward the target, or a refresh before the value goes stale. */
export type WriteMode = "initial" | "step" | "refresh";

type DecisionBase = {
  poolId: bigint;
  oldWad: bigint;
  /** Unix seconds of the last update on chain (0 = never). */
  updatedAt: number;
  /** When the value on chain goes stale (updatedAt + maxAge), or null when it was never set. */
  staleAt: number | null;
  sigma: number | null;
  samples: number;
  /** round(σ × 1e18), when σ allowed computing one. */
  targetWad: bigint | null;
  /** Target clamped into the pool's bounds. */
  clampedWad: bigint | null;
  /** The decision in words, for logs and `/decisions`. */
  reason: string;
};

export type VolatilityDecision =
  | (DecisionBase & { kind: "set-volatility"; newWad: bigint; mode: WriteMode })
  | (DecisionBase & { kind: "skip"; skip: SkipReason; nextAllowedAt?: number });

/** round(σ × 1e18): σ as a fraction (0.5 = 50 % a year) in wad. */
export function sigmaToWad(sigma: number): bigint {
  return BigInt(Math.round(sigma * 1e18));
}

/** A wad volatility as a percentage for humans: 550000000000000000n → "55%", 123456789000000000n → "12.3457%". */
export function formatWad(wad: bigint): string {
  return `${Number((Number(wad) / 1e16).toFixed(4))}%`;
}

/** The earliest time the feed accepts the next update (at least one second after the last, even with minInterval 0). */
export const nextUpdateAt = (pool: Pick<PoolVolatilityState, "updatedAt" | "bounds">) =>
  pool.updatedAt + Math.max(pool.bounds.minInterval, 1);

/** When the keeper refreshes: `maxAge − margin` after the last update, but never before the feed allows it. */
export const refreshAt = (
  pool: Pick<PoolVolatilityState, "updatedAt" | "bounds">,
  refreshMarginSeconds: number,
) => Math.max(pool.updatedAt + pool.bounds.maxAge - refreshMarginSeconds, nextUpdateAt(pool));

export function decide(state: DecideState): VolatilityDecision[] {
  return state.pools.map((pool) => decidePool(pool, state.now, state.policy));
}

function decidePool(pool: PoolVolatilityState, now: number, policy: VolatilityPolicy): VolatilityDecision {
  const { volatilityWad: wad, bounds, updatedAt } = pool;
  const sigma = pool.stats?.realizedVolatility ?? null;
  const samples = pool.stats?.volatilitySamples ?? 0;
  const staleAt = updatedAt === 0 ? null : updatedAt + bounds.maxAge;
  const base = { poolId: pool.poolId, oldWad: wad, updatedAt, staleAt, sigma, samples };
  const stays =
    staleAt === null
      ? "volatility stays unset"
      : `volatility stays ${formatWad(wad)}${staleAt <= now ? ` (stale since ${staleAt})` : ` (stale at ${staleAt}, in ${staleAt - now} s)`}`;
  const skip = (
    skipReason: SkipReason,
    why: string,
    computed: { targetWad: bigint | null; clampedWad: bigint | null } = { targetWad: null, clampedWad: null },
    nextAllowedAt?: number,
  ): VolatilityDecision => ({
    ...base,
    ...computed,
    kind: "skip",
    skip: skipReason,
    ...(nextAllowedAt === undefined ? {} : { nextAllowedAt }),
    reason: `${why}; ${stays}`,
  });

  if (pool.stats !== null) {
    const asOf = pool.stats.asOf;
    const age = asOf === undefined ? undefined : now - asOf;
    if (age === undefined || !Number.isFinite(age))
      return skip("stale-stats", "indexer stats do not say how old they are");
    if (age > policy.maxStatsAgeSeconds)
      return skip(
        "stale-stats",
        `indexer stats are ${age} s old (as of ${asOf}, chain time ${now}) > MAX_STATS_AGE_SECONDS ${policy.maxStatsAgeSeconds}`,
      );
  }

  if (pool.stats === null || sigma === null || !Number.isFinite(sigma) || sigma < 0)
    return skip(
      "no-stats",
      pool.stats === null ? "indexer has no stats for the pool" : `σ unavailable (${String(sigma)})`,
    );

  const targetWad = sigmaToWad(sigma);
  const clampedWad =
    targetWad < bounds.minWad ? bounds.minWad : targetWad > bounds.maxWad ? bounds.maxWad : targetWad;
  const computed = { targetWad, clampedWad };
  const math = `σ=${sigma.toFixed(4)} → target ${formatWad(targetWad)}${clampedWad !== targetWad ? `, clamped to ${formatWad(clampedWad)} [${formatWad(bounds.minWad)}, ${formatWad(bounds.maxWad)}]` : ""}`;

  if (samples < policy.minSamples)
    return skip(
      "too-few-samples",
      `${math}; only ${samples} price samples (< MIN_SAMPLES ${policy.minSamples})`,
      computed,
    );

  if (updatedAt === 0)
    return {
      ...base,
      ...computed,
      kind: "set-volatility",
      mode: "initial",
      newWad: clampedWad,
      reason: `${math}; first value (${pool.configured ? "the pool's bounds" : "the feed's default bounds"}): setting ${formatWad(clampedWad)}`,
    };

  const nextAllowedAt = nextUpdateAt(pool);
  if (now < nextAllowedAt)
    return skip(
      "too-soon",
      `${math}; last update at ${updatedAt}, next allowed at ${nextAllowedAt} (${nextAllowedAt - now} s)`,
      computed,
      nextAllowedAt,
    );

  const distance = clampedWad - wad;
  const magnitude = distance < 0n ? -distance : distance;
  const step = magnitude < bounds.maxStepWad ? magnitude : bounds.maxStepWad;
  const newWad = distance < 0n ? wad - step : wad + step;
  const limited = step < magnitude ? ` (limited by maxStep ${formatWad(bounds.maxStepWad)})` : "";
  const refreshDue = now >= refreshAt(pool, policy.refreshMarginSeconds);

  if (magnitude !== 0n && magnitude >= policy.deadbandWad)
    return {
      ...base,
      ...computed,
      kind: "set-volatility",
      mode: "step",
      newWad,
      reason: `${math}; moving volatility ${formatWad(wad)} → ${formatWad(newWad)}${limited}`,
    };

  if (refreshDue)
    return {
      ...base,
      ...computed,
      kind: "set-volatility",
      mode: "refresh",
      newWad,
      reason: `${math}; refreshing ${formatWad(wad)} → ${formatWad(newWad)} ${staleAt! > now ? ` before it goes stale at ${staleAt} (in ${staleAt! - now} s)` : ` (stale since ${staleAt})`}; REFRESH_MARGIN_SECONDS ${policy.refreshMarginSeconds}`,
    };

  return skip(
    "within-deadband",
    `${math}; |${formatWad(clampedWad)} − ${formatWad(wad)}| < DEADBAND_WAD ${formatWad(policy.deadbandWad)}, no refresh due before ${refreshAt(pool, policy.refreshMarginSeconds)}`,
    computed,
  );
}
