import { describe, expect, it } from "vitest";
import { decide, targetFee, type DecideState, type FeePolicy, type PoolFeeState } from "./decide.js";

const policy: FeePolicy = { baseFee: 500, feePerVol: 5_000, deadband: 100, minSamples: 10 };
const bounds = { minFee: 500, maxFee: 10_000, maxStep: 1_000, minInterval: 3_600 };

const pool = (
  over: Partial<PoolFeeState> & { sigma?: number | null; samples?: number } = {},
): PoolFeeState => {
  const { sigma = 0.5, samples = 50, ...rest } = over;
  return {
    poolId: 0n,
    fee: 3_000,
    lastFeeUpdate: 0,
    bounds,
    stats: { realizedVolatility: sigma, volatilitySamples: samples, swapCount: samples },
    ...rest,
  };
};

const one = (p: PoolFeeState, now = 1_000_000, pol = policy, maxStatsAgeSeconds?: number) =>
  decide({ now, policy: pol, pools: [p], maxStatsAgeSeconds })[0]!;
const asOf = (p: PoolFeeState, at: number | undefined): PoolFeeState => ({
  ...p,
  stats: { ...p.stats!, asOf: at },
});

describe("targetFee", () => {
  it("maps volatility onto Uniswap's tiers with the default policy", () => {
    expect(targetFee(0, policy)).toBe(500);
    expect(targetFee(0.5, policy)).toBe(3_000);
    expect(targetFee(1.9, policy)).toBe(10_000);
  });
});

describe("decide", () => {
  it("moves the fee toward the target, at most maxStep", () => {
    const d = one(pool({ sigma: 1.5 })); // target 8 000
    expect(d).toMatchObject({
      kind: "set-fee",
      oldFee: 3_000,
      newFee: 4_000,
      targetFee: 8_000,
      clampedTarget: 8_000,
    });
    expect(d.reason).toContain("limited by maxStep 1000");
  });

  it("moves the whole way when the target is within one step", () => {
    expect(one(pool({ sigma: 0.6 }))).toMatchObject({ kind: "set-fee", newFee: 3_500 });
  });

  it("lowers the fee when volatility falls", () => {
    expect(one(pool({ sigma: 0.1 }))).toMatchObject({ kind: "set-fee", newFee: 2_000, targetFee: 1_000 });
  });

  it("clamps the target into the pool's bounds", () => {
    const high = one(pool({ sigma: 10, fee: 9_800 }));
    expect(high).toMatchObject({ kind: "set-fee", targetFee: 50_500, clampedTarget: 10_000, newFee: 10_000 });
    const low = one(pool({ sigma: 0, fee: 700, bounds: { ...bounds, minFee: 600 } }));
    expect(low).toMatchObject({ kind: "set-fee", targetFee: 500, clampedTarget: 600, newFee: 600 });
  });

  it("skips a pool the indexer does not know, or whose σ is null", () => {
    expect(one(pool({ stats: null }))).toMatchObject({ kind: "skip", skip: "no-stats", targetFee: null });
    expect(one(pool({ sigma: null }))).toMatchObject({ kind: "skip", skip: "no-stats" });
    expect(one(pool({ sigma: Number.NaN }))).toMatchObject({ kind: "skip", skip: "no-stats" });
  });

  it("skips a pool whose stats are older than MAX_STATS_AGE_SECONDS by the chain's clock (stale-stats)", () => {
    const now = 1_000_000;
    const p = pool({ sigma: 1.5 }); // target 8 000: would move the fee
    // Within the limit (up to and including it), and stats "from the future" (the indexer saw a newer block
    // than the one the keeper read): acted on.
    expect(one(asOf(p, now), now, policy, 300)).toMatchObject({ kind: "set-fee", newFee: 4_000 });
    expect(one(asOf(p, now - 300), now, policy, 300)).toMatchObject({ kind: "set-fee", newFee: 4_000 });
    expect(one(asOf(p, now + 5), now, policy, 300)).toMatchObject({ kind: "set-fee" });
    // One second over: skipped, and the reason says by how much.
    const stale = one(asOf(p, now - 301), now, policy, 300);
    expect(stale).toMatchObject({
      kind: "skip",
      skip: "stale-stats",
      sigma: 1.5,
      samples: 50,
      targetFee: null,
      clampedTarget: null,
    });
    expect(stale.reason).toBe(
      `indexer stats are 301 s old (as of ${now - 301}, chain time ${now}) > MAX_STATS_AGE_SECONDS 300; fee stays 3000`,
    );
    // Staleness comes before everything the stale stats would say (σ null, too few samples).
    expect(one(asOf(pool({ sigma: null }), now - 3_600), now, policy, 300)).toMatchObject({
      skip: "stale-stats",
    });
    expect(one(asOf(pool({ samples: 1 }), now - 3_600), now, policy, 300)).toMatchObject({
      skip: "stale-stats",
    });
    // Stats that do not say how old they are cannot be trusted to be fresh.
    expect(one(asOf(p, undefined), now, policy, 300)).toMatchObject({ kind: "skip", skip: "stale-stats" });
    expect(one(asOf(p, undefined), now, policy, 300).reason).toContain("do not say how old");
    // No stats at all is still no-stats; without a limit the age is not checked.
    expect(one(pool({ stats: null }), now, policy, 300)).toMatchObject({ skip: "no-stats" });
    expect(one(asOf(p, now - 86_400), now)).toMatchObject({ kind: "set-fee" });
  });

  it("skips when too few price samples back σ", () => {
    const d = one(pool({ sigma: 1.5, samples: 9 }));
    expect(d).toMatchObject({ kind: "skip", skip: "too-few-samples", targetFee: 8_000 });
    expect(d.reason).toContain("MIN_SAMPLES 10");
  });

  it("skips inside the minimum interval, and acts from its last second on", () => {
    const p = pool({ sigma: 1.5, lastFeeUpdate: 10_000 });
    expect(one(p, 13_599)).toMatchObject({ kind: "skip", skip: "too-soon", nextAllowedAt: 13_600 });
    expect(one(p, 13_600)).toMatchObject({ kind: "set-fee", newFee: 4_000 });
  });

  it("treats lastFeeUpdate 0 as never updated: allowed at once", () => {
    expect(one(pool({ sigma: 1.5, lastFeeUpdate: 0 }), 5)).toMatchObject({ kind: "set-fee" });
  });

  it("skips moves smaller than the deadband", () => {
    expect(one(pool({ sigma: 0.51 }))).toMatchObject({
      kind: "skip",
      skip: "within-deadband",
      clampedTarget: 3_050,
    });
    expect(one(pool({ sigma: 0.5 }))).toMatchObject({ kind: "skip", skip: "within-deadband" });
    expect(one(pool({ sigma: 0.52 }))).toMatchObject({ kind: "set-fee", newFee: 3_100 });
  });

  it("never moves a fee governance froze (maxStep 0)", () => {
    expect(one(pool({ sigma: 1.5, bounds: { ...bounds, maxStep: 0 } }))).toMatchObject({
      kind: "skip",
      skip: "fee-frozen",
    });
  });

  it("decides each pool on its own and leaves its input untouched", () => {
    const state: DecideState = {
      now: 1_000_000,
      policy,
      pools: [
        pool({ poolId: 0n, sigma: 1.5 }),
        pool({ poolId: 1n, stats: null }),
        pool({ poolId: 2n, sigma: 0.1 }),
      ],
    };
    const copy = structuredClone(state);
    const decisions = decide(state);
    expect(decisions.map((d) => [d.poolId, d.kind])).toEqual([
      [0n, "set-fee"],
      [1n, "skip"],
      [2n, "set-fee"],
    ]);
    expect(state).toEqual(copy);
    expect(decide(state)).toEqual(decisions);
  });

  it("always proposes a fee the contract accepts (bounds, step) — randomized", () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2_000; i++) {
      const minFee = Math.floor(rand() * 5_000);
      const maxFee = minFee + Math.floor(rand() * 50_000);
      const maxStep = Math.floor(rand() * maxFee);
      const fee = minFee + Math.floor(rand() * (maxFee - minFee + 1));
      const b = { minFee, maxFee, maxStep, minInterval: 60 };
      const d = one(pool({ fee, bounds: b, sigma: rand() * 5 }), 1_000, {
        ...policy,
        deadband: Math.floor(rand() * 200),
      });
      if (d.kind !== "set-fee") continue;
      expect(d.newFee).toBeGreaterThanOrEqual(minFee);
      expect(d.newFee).toBeLessThanOrEqual(maxFee);
      expect(Math.abs(d.newFee - fee)).toBeLessThanOrEqual(maxStep);
      expect(d.newFee).not.toBe(fee);
      expect(Number.isInteger(d.newFee)).toBe(true);
    }
  });
});
