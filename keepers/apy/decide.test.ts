import { describe, expect, it } from "vitest";
import {
  decide,
  isqrt,
  maxAffordableRate,
  percent,
  targetApy,
  targetStakeOf,
  WAD,
  type ApyDecision,
  type ApyPolicy,
  type PoolRateState,
  type RateBounds,
} from "./decide.js";

const now = 1_800_000_000;
const e18 = WAD;
const pct = (p: number) => (BigInt(Math.round(p * 100)) * WAD) / 10_000n; // 12.5 → 0.125e18

const policy: ApyPolicy = {
  baseApy: pct(20),
  minApy: pct(2),
  maxApy: pct(100),
  deadband: pct(1),
  targetStake: 1_000_000n * e18,
  poolTargets: new Map(),
};

/** A pool at its target stake (u = 1) paying 10 % at 1 token/s, with a budget that can pay much more. */
const pool = (
  over: Partial<Omit<PoolRateState, "bounds">> & { bounds?: Partial<RateBounds> } = {},
): PoolRateState => ({
  poolId: 0n,
  rewardRate: e18,
  periodFinish: now + 1_000_000,
  lastUpdateTime: now,
  lastRateUpdate: 0,
  totalStaked: 1_000_000n * e18,
  undistributed: 10n * e18 * 1_000_000n,
  currentApy: pct(10),
  ...over,
  bounds: { minRate: 0n, maxRate: 100n * e18, maxStep: e18 / 2n, minInterval: 3_600, ...over.bounds },
});

const one = (p: PoolRateState, pol: ApyPolicy = policy, at = now): ApyDecision =>
  decide({ now: at, policy: pol, pools: [p] })[0]!;

const skipOf = (d: ApyDecision) => (d.kind === "skip" ? d.skip : undefined);

describe("targetApy: BASE_APY × u^(−1/2), clamped", () => {
  it("is BASE_APY at the target stake and scales with the inverse square root of utilization", () => {
    const t = 1_000_000n * e18;
    expect(targetApy(t, t, policy)).toBe(pct(20));
    expect(targetApy(4n * t, t, policy)).toBe(pct(10)); // four times the stake: half the APY
    expect(targetApy(t / 4n, t, policy)).toBe(pct(40)); // a quarter: twice the APY
    expect(targetApy(t / 16n, t, policy)).toBe(pct(80));
    // √2: 20 % / √2 = 14.142135623730950488 %
    expect(targetApy(2n * t, t, policy)).toBe(141_421_356_237_309_504n);
  });

  it("stays within [MIN_APY, MAX_APY]", () => {
    const t = 1_000_000n * e18;
    expect(targetApy(t / 100n, t, policy)).toBe(pct(100)); // would be 200 %
    expect(targetApy(1n, t, policy)).toBe(pct(100));
    expect(targetApy(1_000n * t, t, policy)).toBe(pct(2)); // would be 0.63 %
  });

  it("isqrt is the exact integer square root, also far beyond 2^53", () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 36n, 10n ** 36n - 1n, 2n ** 255n, 7n ** 90n]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
    expect(isqrt(10n ** 36n)).toBe(10n ** 18n);
  });

  it("takes a pool's target from POOL_TARGETS before TARGET_STAKE", () => {
    const pol = { ...policy, poolTargets: new Map([[3n, 5n * e18]]) };
    expect(targetStakeOf(pol, 3n)).toBe(5n * e18);
    expect(targetStakeOf(pol, 0n)).toBe(policy.targetStake);
    expect(targetStakeOf({ poolTargets: pol.poolTargets }, 0n)).toBeNull();
  });
});

describe("decide", () => {
  it("raises an under-paying pool toward the target APY by at most maxStep", () => {
    // u = 1 → target 20 %; the pool pays 10 % at 1 token/s → desired 2 tokens/s; maxStep 0.5
    const d = one(pool());
    expect(d).toMatchObject({
      kind: "set-rate",
      oldRate: e18,
      targetApy: pct(20),
      desiredRate: 2n * e18,
      clampedRate: 2n * e18,
      newRate: (3n * e18) / 2n,
      utilization: 1,
    });
    expect(d.reason).toBe(
      "u=1.000, APY 10.00 % → target 20.00 %: rate 2000000000000000000; moving rate 1000000000000000000 → " +
        "1500000000000000000 (limited by maxStep 500000000000000000)",
    );
  });

  it("moves straight to the desired rate when it is within one step", () => {
    const d = one(pool({ bounds: { maxStep: 10n * e18 } }));
    expect(d).toMatchObject({ kind: "set-rate", newRate: 2n * e18 });
    expect(d.reason).not.toContain("limited");
  });

  it("lowers a crowded pool's rate (APY is linear in the rate)", () => {
    // four times the target stake → target 10 %; it pays 40 % → a quarter of the rate
    const d = one(
      pool({ totalStaked: 4_000_000n * e18, currentApy: pct(40), bounds: { maxStep: 10n * e18 } }),
    );
    expect(d).toMatchObject({
      kind: "set-rate",
      targetApy: pct(10),
      desiredRate: e18 / 4n,
      newRate: e18 / 4n,
    });
  });

  it("uses the pool's own target stake from POOL_TARGETS", () => {
    // pool 2's target is a quarter of its stake → u = 4 → 10 %; it pays exactly 10 %
    const pol = { ...policy, poolTargets: new Map([[2n, 250_000n * e18]]) };
    expect(one(pool({ poolId: 2n }), pol)).toMatchObject({
      kind: "skip",
      skip: "within-deadband",
      targetStake: 250_000n * e18,
      utilization: 4,
      targetApy: pct(10),
    });
  });

  it("clamps the desired rate into the pool's bounds", () => {
    const high = one(pool({ bounds: { maxRate: (12n * e18) / 10n, maxStep: 10n * e18 } }));
    expect(high).toMatchObject({ kind: "set-rate", desiredRate: 2n * e18, clampedRate: (12n * e18) / 10n });
    expect(high.kind === "set-rate" && high.newRate).toBe((12n * e18) / 10n);
    expect(high.reason).toContain("clamped to 1200000000000000000 [0, 1200000000000000000]");

    const low = one(pool({ currentApy: pct(80), bounds: { minRate: (8n * e18) / 10n, maxStep: 10n * e18 } }));
    expect(low).toMatchObject({ kind: "set-rate", desiredRate: e18 / 4n, newRate: (8n * e18) / 10n });
  });

  it("never asks for more than the remaining budget can pay, computed conservatively", () => {
    // 1 000 000 s left; 1.25 tokens/s affordable after charging the accrual since lastUpdateTime in full
    const budget = pool({
      lastUpdateTime: now - 100,
      undistributed: 1_250_000n * e18 + 100n * e18,
    });
    expect(maxAffordableRate(budget, now)).toBe((125n * e18) / 100n);
    const d = one(budget);
    expect(d).toMatchObject({
      kind: "set-rate",
      newRate: (125n * e18) / 100n,
      maxAffordableRate: (125n * e18) / 100n,
    });
    expect(d.reason).toContain("limited by the budget, 1250000000000000000 per second");

    // a budget-capped raise under the deadband is not worth a transaction
    const little = pool({ lastUpdateTime: now - 100, undistributed: 1_005_000n * e18 + 100n * e18 });
    expect(maxAffordableRate(little, now)).toBe((1005n * e18) / 1000n);
    const skipped = one(little);
    expect(skipped).toMatchObject({ kind: "skip", skip: "over-budget" });
    expect(skipped.reason).toContain(
      "pays at most 1005000000000000000 per second, a raise under DEADBAND 1.00 %",
    );
    expect(one(little, { ...policy, deadband: pct(0.5) })).toMatchObject({
      kind: "set-rate",
      newRate: (1005n * e18) / 1000n,
    });
    // exactly the current rate affordable: no raise possible
    const broke = pool({ undistributed: 1_000_000n * e18 });
    expect(one(broke)).toMatchObject({ kind: "skip", skip: "over-budget" });
    // lowering never needs budget
    expect(one({ ...broke, currentApy: pct(40) })).toMatchObject({ kind: "set-rate", newRate: e18 / 2n });
  });

  it("the budget bound is never above what the contract allows at any later second of the period", () => {
    // The contract: undistributed' = U − consumed (consumed ≤ rate × elapsed), max = undistributed' / (pf − t).
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let i = 0; i < 500; i++) {
      const rate = BigInt(rnd(1_000_000) + 1) * 10n ** BigInt(rnd(15));
      const last = now - rnd(5_000);
      const pf = now + 1 + rnd(100_000);
      const undistributed = rate * BigInt(pf - last) + BigInt(rnd(1_000_000_000)); // the farm's invariant
      const p = pool({ rewardRate: rate, lastUpdateTime: last, periodFinish: pf, undistributed });
      const ours = maxAffordableRate(p, now);
      expect(ours).toBeGreaterThanOrEqual(rate);
      for (const t of [now, now + 1, Math.floor((now + pf) / 2), pf - 1]) {
        if (t >= pf) continue;
        for (const consumed of [rate * BigInt(t - last), 0n]) {
          const chainMax = (undistributed - consumed) / BigInt(pf - t);
          expect(ours <= chainMax).toBe(true);
        }
      }
    }
  });

  describe("skips, and says why", () => {
    it("no-target: neither TARGET_STAKE nor a POOL_TARGETS entry", () => {
      const d = one(pool(), { ...policy, targetStake: undefined });
      expect(d).toMatchObject({ kind: "skip", skip: "no-target", targetStake: null, targetApy: null });
      expect(d.reason).toBe(
        "no target stake for the pool (set TARGET_STAKE or a POOL_TARGETS entry); rate stays 1000000000000000000",
      );
    });

    it("period-not-active: never funded, or ended", () => {
      const never = one(pool({ periodFinish: 0, rewardRate: 0n, currentApy: 0n }));
      expect(never).toMatchObject({ kind: "skip", skip: "period-not-active", maxAffordableRate: null });
      expect(never.reason).toBe("reward period never funded; rate stays 0");
      const ended = one(pool({ periodFinish: now }));
      expect(skipOf(ended)).toBe("period-not-active");
      expect(ended.reason).toContain(`reward period ended at ${now}`);
    });

    it("nothing-staked", () => {
      expect(one(pool({ totalStaked: 0n, currentApy: 0n }))).toMatchObject({
        kind: "skip",
        skip: "nothing-staked",
        utilization: 0,
      });
    });

    it("no-price-route: currentApy reverted", () => {
      const d = one(pool({ currentApy: null }));
      expect(d).toMatchObject({ kind: "skip", skip: "no-price-route", targetApy: null });
      expect(d.reason).toContain("no AMM price route");
    });

    it("zero-rate: nothing to scale", () => {
      expect(skipOf(one(pool({ rewardRate: 0n, currentApy: 0n })))).toBe("zero-rate");
      expect(skipOf(one(pool({ currentApy: 0n })))).toBe("zero-rate");
    });

    it("too-soon: inside minInterval after the last change (and at least one second)", () => {
      const d = one(pool({ lastRateUpdate: now - 100 }));
      expect(d).toMatchObject({
        kind: "skip",
        skip: "too-soon",
        nextAllowedAt: now + 3_500,
        targetApy: pct(20),
        desiredRate: 2n * e18,
      });
      expect(d.reason).toContain(`next allowed at ${now + 3_500} (3500 s)`);
      expect(skipOf(one(pool({ lastRateUpdate: now - 3_600 })))).toBeUndefined();
      // minInterval 0 still means one second apart, as on chain
      const zero = { minInterval: 0 };
      expect(skipOf(one(pool({ lastRateUpdate: now, bounds: zero })))).toBe("too-soon");
      expect(one(pool({ lastRateUpdate: now - 1, bounds: zero })).kind).toBe("set-rate");
    });

    it("rate-frozen: maxStep = 0", () => {
      expect(skipOf(one(pool({ bounds: { maxStep: 0n } })))).toBe("rate-frozen");
    });

    it("within-deadband: a relative move smaller than DEADBAND", () => {
      // 20 % target, pays 19.9 % → desired is 0.5 % above the rate
      const close = pool({ currentApy: pct(19.9) });
      const d = one(close);
      expect(d).toMatchObject({ kind: "skip", skip: "within-deadband" });
      expect(d.reason).toContain("is under DEADBAND 1.00 % of the rate");
      expect(one(close, { ...policy, deadband: pct(0.25) }).kind).toBe("set-rate");
      // exactly at the target: no change, even with DEADBAND 0
      expect(skipOf(one(pool({ currentApy: pct(20) }), { ...policy, deadband: 0n }))).toBe("within-deadband");
    });

    it("bounds-unreachable: one step from a rate below a raised minimum stays below it", () => {
      const d = one(pool({ bounds: { minRate: 3n * e18 } }));
      expect(d).toMatchObject({ kind: "skip", skip: "bounds-unreachable", clampedRate: 3n * e18 });
    });
  });

  it("decides every pool independently, in order", () => {
    const ds = decide({
      now,
      policy,
      pools: [
        pool({ poolId: 0n }),
        pool({ poolId: 1n, totalStaked: 0n }),
        pool({ poolId: 2n, currentApy: null }),
      ],
    });
    expect(ds.map((d) => [d.poolId, d.kind, skipOf(d)])).toEqual([
      [0n, "set-rate", undefined],
      [1n, "skip", "nothing-staked"],
      [2n, "skip", "no-price-route"],
    ]);
  });

  it("formats fractions as percentages", () => {
    expect(percent(pct(12.34))).toBe("12.34 %");
    expect(percent(WAD)).toBe("100.00 %");
  });
});
