/**
 * The APY keeper's decision, as a pure function of what it read: no I/O, no clock, no randomness.
 *
 * Why the reward rate should follow utilization. A farm pool pays a fixed budget over its period; how much
 * each staker earns depends on how many others stake. A pool nobody uses pays a headline APY nobody collects,
 * while a crowded pool dilutes its stakers. The keeper steers each pool toward a target stake, TARGET_STAKE
 * (per pool with POOL_TARGETS): pools below it pay more to attract stake, pools above it pay less.
 *
 * The rule (APYs are 1e18 fixed point, 1e18 = 100 % a year, as the farm's `currentApy` returns them):
 *
 *     u            = totalStaked / TARGET_STAKE                       — utilization of the pool
 *     targetApy    = clamp(BASE_APY × u^(−1/2), MIN_APY, MAX_APY)
 *     desiredRate  = rewardRate × targetApy / currentApy             — APY is linear in the rate
 *     clampedRate  = clamp(desiredRate, minRate, maxRate)             — the pool's on-chain bounds
 *     newRate      = rewardRate ± min(|clampedRate − rewardRate|, maxStep), at most maxAffordableRate
 *
 * The square root keeps emissions growing with √stake rather than with the stake: APY × stake is the yearly
 * reward, so with APY ∝ u^(−1/2) the pool pays BASE_APY × TARGET_STAKE × √u a year — four times the stake
 * costs twice the rewards, and a quarter of it still pays half (at twice the APY). Defaults: BASE_APY 20 %
 * at the target stake, never below MIN_APY 2 % nor above MAX_APY 100 % (a pool at 4 % of its target would
 * otherwise be offered 100 %, at 1 % of it 200 %).
 *
 * `currentApy` already prices the reward in staking-token terms (through the AMM when the two tokens differ),
 * and it is proportional to the rate, so the keeper never needs a price itself: scaling the current rate by
 * targetApy / currentApy gives the rate that pays the target.
 *
 * The budget: the farm refuses a rate the pool's remaining budget cannot pay until the period ends
 * (`newRate > undistributed / (periodFinish − now)`, with `undistributed` after the pending accrual). The
 * keeper computes that bound conservatively: it subtracts the whole `rewardRate × (now − lastUpdateTime)`
 * (the farm consumes at most that, less when nobody staked or by rounding) and divides by the time left at
 * the latest block. Any later block the write may land in only raises the bound — the farm keeps
 * `undistributed ≥ rewardRate × (periodFinish − lastUpdateTime)`, so what is left per second left grows as the
 * period runs — so the bound it uses never exceeds the one the contract checks.
 *
 * The keeper skips a pool — and says why — when:
 * - no target stake is configured for it (`no-target`);
 * - its reward period is not active: never funded or `now ≥ periodFinish` (`period-not-active`; the contract
 *   would revert PeriodNotActive);
 * - nothing is staked (`nothing-staked`: utilization 0, the APY is undefined);
 * - the farm has no price route between the reward and the staking token (`no-price-route`: `currentApy`
 *   reverts NoPriceRoute);
 * - the rate (or the APY it gives) is zero (`zero-rate`): a zero APY cannot be scaled to the target;
 * - `now < lastRateUpdate + max(minInterval, 1)` (`too-soon`; the contract would revert RateUpdateTooSoon);
 *   lastRateUpdate = 0 means the rate was never moved by the keeper, which is always allowed;
 * - governance froze the rate (maxStep = 0, `rate-frozen`);
 * - |clampedRate − rewardRate| < DEADBAND × rewardRate (`within-deadband`: too small a move to be worth a
 *   transaction, and it would make the rate jitter with every stake);
 * - the step toward the target stays outside [minRate, maxRate] (`bounds-unreachable`: the current rate lies
 *   below a minimum governance raised by more than maxStep);
 * - the budget cannot pay any raise, or only one smaller than DEADBAND (`over-budget`).
 * Moving at most maxStep per interval and within budget is the contract's rule too; the keeper follows it
 * rather than having the call revert.
 */

/** 1e18: the fixed point of APYs and fractions (1e18 = 100 %). */
export const WAD = 10n ** 18n;

export type RateBounds = { minRate: bigint; maxRate: bigint; maxStep: bigint; minInterval: number };

/** One farm pool as the chain reports it at the tick's block, and the APY the farm computes for it. */
export type PoolRateState = {
  poolId: bigint;
  /** Reward tokens per second for the whole pool. */
  rewardRate: bigint;
  /** Unix seconds the period ends; 0 = never funded. */
  periodFinish: number;
  /** Unix seconds up to which the farm has accrued rewards (and charged `undistributed`). */
  lastUpdateTime: number;
  /** Unix seconds of the last `setRewardRate`; 0 = never moved. */
  lastRateUpdate: number;
  totalStaked: bigint;
  /** Budget not yet accrued to stakers, as stored (before the accrual since lastUpdateTime). */
  undistributed: bigint;
  bounds: RateBounds;
  /** `currentApy(poolId)`, 1e18 = 100 %; null when the farm has no price route (NoPriceRoute). */
  currentApy: bigint | null;
};

export type ApyPolicy = {
  /** APY at the target stake (u = 1), 1e18 = 100 %. */
  baseApy: bigint;
  minApy: bigint;
  maxApy: bigint;
  /** Smallest relative move worth a transaction, 1e18 = 100 % (1e16 = 1 %). */
  deadband: bigint;
  /** TARGET_STAKE: target stake of every pool not in `poolTargets`, in staking-token base units. */
  targetStake?: bigint;
  /** POOL_TARGETS: target stake per pool id, in staking-token base units. */
  poolTargets: ReadonlyMap<bigint, bigint>;
};

export type DecideState = {
  /** Latest block's timestamp, unix seconds: the chain's clock, not the keeper's. */
  now: number;
  policy: ApyPolicy;
  pools: PoolRateState[];
};

export type SkipReason =
  | "no-target"
  | "period-not-active"
  | "nothing-staked"
  | "no-price-route"
  | "zero-rate"
  | "too-soon"
  | "rate-frozen"
  | "within-deadband"
  | "bounds-unreachable"
  | "over-budget";

type DecisionBase = {
  poolId: bigint;
  oldRate: bigint;
  totalStaked: bigint;
  /** The pool's target stake (null: none configured). */
  targetStake: bigint | null;
  /** totalStaked / targetStake, for display (null without a target). */
  utilization: number | null;
  currentApy: bigint | null;
  /** Target APY after [MIN_APY, MAX_APY], when the pool's state allowed computing one. */
  targetApy: bigint | null;
  /** rewardRate × targetApy / currentApy (unclamped). */
  desiredRate: bigint | null;
  /** desiredRate clamped into the pool's on-chain bounds. */
  clampedRate: bigint | null;
  /** What the remaining budget can pay per second until the period ends (conservative), when active. */
  maxAffordableRate: bigint | null;
  /** The decision in words, for logs and `/decisions`. */
  reason: string;
};

export type ApyDecision =
  | (DecisionBase & { kind: "set-rate"; newRate: bigint })
  | (DecisionBase & { kind: "skip"; skip: SkipReason; nextAllowedAt?: number });

/** The target stake the policy gives `poolId`: its POOL_TARGETS entry, else TARGET_STAKE, else null. */
export function targetStakeOf(policy: Pick<ApyPolicy, "targetStake" | "poolTargets">, poolId: bigint) {
  return policy.poolTargets.get(poolId) ?? policy.targetStake ?? null;
}

/** ⌊√n⌋ for a non-negative bigint (Newton's method). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError("isqrt of a negative number");
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n; // ≥ √n for any size Number can approximate
  for (;;) {
    const y = (x + n / x) / 2n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** clamp(BASE_APY × (totalStaked / targetStake)^(−1/2), MIN_APY, MAX_APY), 1e18 fixed point; totalStaked > 0. */
export function targetApy(
  totalStaked: bigint,
  targetStake: bigint,
  policy: Pick<ApyPolicy, "baseApy" | "minApy" | "maxApy">,
): bigint {
  // √(target / staked) in 1e18 fixed point = √(target × 1e36 / staked)
  const sqrtInverseU = isqrt((targetStake * WAD * WAD) / totalStaked);
  const raw = (policy.baseApy * sqrtInverseU) / WAD;
  return raw < policy.minApy ? policy.minApy : raw > policy.maxApy ? policy.maxApy : raw;
}

/**
 * The most the pool can pay per second from `now` to the end of its period, never more than the farm's own
 * check allows at `now` or any later second of the period (see the top of this file).
 */
export function maxAffordableRate(pool: PoolRateState, now: number): bigint {
  const remaining = BigInt(pool.periodFinish - now);
  if (remaining <= 0n) return 0n;
  const elapsed = BigInt(Math.max(0, Math.min(now, pool.periodFinish) - pool.lastUpdateTime));
  const consumed = pool.rewardRate * elapsed; // an upper bound on the pending accrual
  const left = pool.undistributed > consumed ? pool.undistributed - consumed : 0n;
  return left / remaining;
}

/** A 1e18 fraction as a percentage for humans: 123_400_000_000_000_000n → "12.34 %". */
export function percent(wad: bigint): string {
  return `${(Number(wad) / 1e16).toFixed(2)} %`;
}

export function decide(state: DecideState): ApyDecision[] {
  return state.pools.map((pool) => decidePool(pool, state.now, state.policy));
}

function decidePool(pool: PoolRateState, now: number, policy: ApyPolicy): ApyDecision {
  const { rewardRate: rate, bounds, totalStaked } = pool;
  const target = targetStakeOf(policy, pool.poolId);
  const active = pool.periodFinish > now;
  const base: DecisionBase = {
    poolId: pool.poolId,
    oldRate: rate,
    totalStaked,
    targetStake: target,
    utilization: target === null ? null : Number(totalStaked) / Number(target),
    currentApy: pool.currentApy,
    targetApy: null,
    desiredRate: null,
    clampedRate: null,
    maxAffordableRate: active ? maxAffordableRate(pool, now) : null,
    reason: "",
  };
  const skip = (
    reason: SkipReason,
    why: string,
    extra: Partial<DecisionBase> & { nextAllowedAt?: number } = {},
  ) =>
    ({ ...base, ...extra, kind: "skip", skip: reason, reason: `${why}; rate stays ${rate}` }) as ApyDecision;

  if (target === null)
    return skip("no-target", "no target stake for the pool (set TARGET_STAKE or a POOL_TARGETS entry)");
  if (!active)
    return skip(
      "period-not-active",
      pool.periodFinish === 0
        ? "reward period never funded"
        : `reward period ended at ${pool.periodFinish} (chain time ${now})`,
    );
  if (totalStaked === 0n) return skip("nothing-staked", "nothing staked (utilization 0)");

  const u = `u=${base.utilization!.toPrecision(4)}`;
  if (pool.currentApy === null)
    return skip("no-price-route", `${u}; the farm has no AMM price route for the pool (currentApy reverts)`);
  if (rate === 0n || pool.currentApy === 0n)
    return skip(
      "zero-rate",
      `${u}; reward rate ${rate} gives APY ${percent(pool.currentApy)}: nothing to scale`,
    );

  const tApy = targetApy(totalStaked, target, policy);
  const desired = (rate * tApy) / pool.currentApy;
  const clamped =
    desired < bounds.minRate ? bounds.minRate : desired > bounds.maxRate ? bounds.maxRate : desired;
  const computed = { targetApy: tApy, desiredRate: desired, clampedRate: clamped };
  const math =
    `${u}, APY ${percent(pool.currentApy)} → target ${percent(tApy)}: rate ${desired}` +
    (clamped !== desired ? `, clamped to ${clamped} [${bounds.minRate}, ${bounds.maxRate}]` : "");

  const nextAllowedAt = pool.lastRateUpdate + Math.max(bounds.minInterval, 1);
  if (pool.lastRateUpdate !== 0 && now < nextAllowedAt)
    return skip(
      "too-soon",
      `${math}; last change at ${pool.lastRateUpdate}, next allowed at ${nextAllowedAt} (${nextAllowedAt - now} s)`,
      { ...computed, nextAllowedAt },
    );

  if (bounds.maxStep === 0n)
    return skip("rate-frozen", `${math}; governance set maxStep = 0 (rate frozen)`, computed);

  const distance = clamped > rate ? clamped - rate : rate - clamped;
  if (distance === 0n || distance * WAD < policy.deadband * rate)
    return skip(
      "within-deadband",
      `${math}; |${clamped} − ${rate}| is under DEADBAND ${percent(policy.deadband)} of the rate`,
      computed,
    );

  const step = distance < bounds.maxStep ? distance : bounds.maxStep;
  let newRate = clamped > rate ? rate + step : rate - step;
  const notes: string[] = [];
  if (step < distance) notes.push(`limited by maxStep ${bounds.maxStep}`);
  if (newRate < bounds.minRate || newRate > bounds.maxRate)
    return skip(
      "bounds-unreachable",
      `${math}; one maxStep (${bounds.maxStep}) from ${rate} reaches ${newRate}, outside [${bounds.minRate}, ${bounds.maxRate}]`,
      computed,
    );

  const affordable = base.maxAffordableRate!;
  if (newRate > affordable) {
    // The budget caps a raise (a cut always fits: the farm keeps the current rate payable). A raise the budget
    // shrinks below the deadband is not worth a transaction either.
    if (
      affordable <= rate ||
      affordable < bounds.minRate ||
      (affordable - rate) * WAD < policy.deadband * rate
    )
      return skip(
        "over-budget",
        `${math}; the remaining budget pays at most ${affordable} per second` +
          (affordable > rate ? `, a raise under DEADBAND ${percent(policy.deadband)}` : ""),
        computed,
      );
    newRate = affordable;
    notes.push(`limited by the budget, ${affordable} per second`);
  }

  return {
    ...base,
    ...computed,
    kind: "set-rate",
    newRate,
    reason: `${math}; moving rate ${rate} → ${newRate}${notes.length ? ` (${notes.join("; ")})` : ""}`,
  };
}
