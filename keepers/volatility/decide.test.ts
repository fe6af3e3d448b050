import { describe, expect, it } from "vitest";
import {
  decide,
  formatWad,
  sigmaToWad,
  type PoolVolatilityState,
  type VolatilityBounds,
  type VolatilityPolicy,
} from "./decide.js";

// The deploy script's default bounds: 10 % … 500 %, at most 10 % per update, one update an hour, stale after a day.
const pct = (p: number) => BigInt(Math.round(p * 1e4)) * 10n ** 12n; // percent → wad
const bounds: VolatilityBounds = {
  minWad: pct(10),
  maxWad: pct(500),
  maxStepWad: pct(10),
  minInterval: 3_600,
  maxAge: 86_400,
};
const policy: VolatilityPolicy = {
  deadbandWad: pct(0.5),
  minSamples: 10,
  refreshMarginSeconds: 3_600,
  maxStatsAgeSeconds: 300,
};
const now = 1_700_000_000;
const stats = (sigma: number | null, samples = 20, asOf = now - 10) => ({
  realizedVolatility: sigma,
  volatilitySamples: samples,
  swapCount: samples,
  asOf,
});
/** A pool set to 50 % two hours ago. */
const pool = (over: Partial<PoolVolatilityState> = {}): PoolVolatilityState => ({
  poolId: 3n,
  volatilityWad: pct(50),
  updatedAt: now - 7_200,
  configured: true,
  bounds,
  stats: stats(0.8),
  ...over,
});
const one = (p: PoolVolatilityState, pol: VolatilityPolicy = policy) =>
  decide({ now, policy: pol, pools: [p] })[0]!;

describe("volatility keeper decide", () => {
  it("turns σ into wad and wad into a percentage", () => {
    expect(sigmaToWad(0.5)).toBe(5n * 10n ** 17n);
    expect(sigmaToWad(0.8)).toBe(pct(80));
    expect(formatWad(pct(55))).toBe("55%");
    expect(formatWad(123_456_789_000_000_000n)).toBe("12.3457%");
  });

  it("sets a never-set pool straight to its target inside the default bounds (the first value needs no step)", () => {
    const d = one(pool({ volatilityWad: 0n, updatedAt: 0, configured: false }));
    expect(d).toMatchObject({
      kind: "set-volatility",
      mode: "initial",
      newWad: pct(80),
      targetWad: pct(80),
      clampedWad: pct(80),
      staleAt: null,
    });
    expect(d.reason).toBe("σ=0.8000 → target 80%; first value (the feed's default bounds): setting 80%");
  });

  it("clamps the first value into the bounds", () => {
    expect(one(pool({ volatilityWad: 0n, updatedAt: 0, stats: stats(12) }))).toMatchObject({
      kind: "set-volatility",
      mode: "initial",
      targetWad: pct(1_200),
      clampedWad: pct(500),
      newWad: pct(500),
    });
    expect(one(pool({ volatilityWad: 0n, updatedAt: 0, stats: stats(0.01) }))).toMatchObject({
      newWad: pct(10),
    });
  });

  it("moves toward the target by at most maxStep per update, up and down", () => {
    const up = one(pool());
    expect(up).toMatchObject({ kind: "set-volatility", mode: "step", oldWad: pct(50), newWad: pct(60) });
    expect(up.reason).toBe("σ=0.8000 → target 80%; moving volatility 50% → 60% (limited by maxStep 10%)");
    expect(one(pool({ stats: stats(0.45) }))).toMatchObject({ mode: "step", newWad: pct(45) });
    expect(one(pool({ stats: stats(0.2) }))).toMatchObject({ mode: "step", newWad: pct(40) });
  });

  it("never steps beyond the bounds: a target above maxWad stops at maxWad", () => {
    const d = one(pool({ volatilityWad: pct(495), stats: stats(9) }));
    expect(d).toMatchObject({ kind: "set-volatility", clampedWad: pct(500), newWad: pct(500) });
    const low = one(pool({ volatilityWad: pct(12), stats: stats(0) }));
    expect(low).toMatchObject({
      kind: "set-volatility",
      targetWad: 0n,
      clampedWad: pct(10),
      newWad: pct(10),
    });
  });

  it("waits out the feed's minInterval (too-soon) and says when it may act", () => {
    const d = one(pool({ updatedAt: now - 600 }));
    expect(d).toMatchObject({ kind: "skip", skip: "too-soon", nextAllowedAt: now + 3_000 });
    expect(d.reason).toContain(`next allowed at ${now + 3_000} (3000 s)`);
    // Exactly at the interval it acts; with minInterval 0 the feed still wants a second between updates.
    expect(one(pool({ updatedAt: now - 3_600 }))).toMatchObject({ kind: "set-volatility" });
    const zero = { ...bounds, minInterval: 0 };
    expect(one(pool({ updatedAt: now, bounds: zero }))).toMatchObject({
      skip: "too-soon",
      nextAllowedAt: now + 1,
    });
    expect(one(pool({ updatedAt: now - 1, bounds: zero }))).toMatchObject({ kind: "set-volatility" });
  });

  it("skips a move inside the deadband while the value is fresh", () => {
    const d = one(pool({ stats: stats(0.503) }));
    expect(d).toMatchObject({ kind: "skip", skip: "within-deadband", clampedWad: pct(50.3) });
    expect(d.reason).toContain(`no refresh due before ${now - 7_200 + 86_400 - 3_600}`);
    expect(d.reason).toContain(`volatility stays 50% (stale at ${now - 7_200 + 86_400}, in 79200 s)`);
    expect(one(pool({ stats: stats(0.5) }))).toMatchObject({ skip: "within-deadband" });
  });

  it("refreshes before maxAge even without a change (the feed accepts its own value), and nudges inside the deadband", () => {
    // Updated 23 h ago: stale in an hour, which is the refresh margin.
    const old = now - 86_400 + 3_600;
    const same = one(pool({ updatedAt: old, stats: stats(0.5) }));
    expect(same).toMatchObject({ kind: "set-volatility", mode: "refresh", oldWad: pct(50), newWad: pct(50) });
    expect(same.reason).toContain(`before it goes stale at ${now + 3_600} (in 3600 s)`);
    expect(one(pool({ updatedAt: old, stats: stats(0.503) }))).toMatchObject({
      mode: "refresh",
      newWad: pct(50.3),
    });
    // A second earlier the refresh is not due yet.
    expect(one(pool({ updatedAt: old + 1, stats: stats(0.5) }))).toMatchObject({ skip: "within-deadband" });
    // Already stale: refreshed at once (any accepted update restarts its age).
    const stale = one(pool({ updatedAt: now - 100_000, stats: stats(0.5) }));
    expect(stale).toMatchObject({ mode: "refresh", newWad: pct(50) });
    expect(stale.reason).toContain(`(stale since ${now - 100_000 + 86_400})`);
  });

  it("refreshes at the earliest moment the feed allows when the margin exceeds maxAge − minInterval", () => {
    const tight = { ...bounds, minInterval: 3_600, maxAge: 4_000 };
    expect(one(pool({ updatedAt: now - 3_599, bounds: tight, stats: stats(0.5) }))).toMatchObject({
      skip: "too-soon",
    });
    expect(one(pool({ updatedAt: now - 3_600, bounds: tight, stats: stats(0.5) }))).toMatchObject({
      mode: "refresh",
      newWad: pct(50),
    });
  });

  it("takes no action without indexer data, says why and when the value goes stale", () => {
    const none = one(pool({ stats: null }));
    expect(none).toMatchObject({ kind: "skip", skip: "no-stats", targetWad: null, clampedWad: null });
    expect(none.reason).toBe(
      `indexer has no stats for the pool; volatility stays 50% (stale at ${now - 7_200 + 86_400}, in 79200 s)`,
    );
    expect(one(pool({ stats: stats(null, 1) })).reason).toMatch(
      /^σ unavailable \(null\); volatility stays 50%/,
    );
    expect(one(pool({ volatilityWad: 0n, updatedAt: 0, stats: null })).reason).toBe(
      "indexer has no stats for the pool; volatility stays unset",
    );
  });

  it("does not refresh from missing, stale or thin data, even when the value is about to go stale", () => {
    const old = now - 86_000;
    expect(one(pool({ updatedAt: old, stats: null }))).toMatchObject({ skip: "no-stats" });
    const stale = one(pool({ updatedAt: old, stats: stats(0.5, 20, now - 301) }));
    expect(stale).toMatchObject({ kind: "skip", skip: "stale-stats" });
    expect(stale.reason).toContain("indexer stats are 301 s old");
    expect(one(pool({ updatedAt: old, stats: { ...stats(0.5), asOf: undefined } }))).toMatchObject({
      skip: "stale-stats",
    });
    const thin = one(pool({ updatedAt: old, stats: stats(0.5, 9) }));
    expect(thin).toMatchObject({ kind: "skip", skip: "too-few-samples", targetWad: pct(50) });
    expect(thin.reason).toContain("only 9 price samples (< MIN_SAMPLES 10)");
    // At MAX_STATS_AGE_SECONDS exactly the stats are still used.
    expect(one(pool({ stats: stats(0.8, 20, now - 300) }))).toMatchObject({ kind: "set-volatility" });
  });

  it("decides every pool independently, in order", () => {
    const ds = decide({
      now,
      policy,
      pools: [
        pool({ poolId: 0n }),
        pool({ poolId: 1n, stats: null }),
        pool({ poolId: 2n, updatedAt: now - 1 }),
      ],
    });
    expect(ds.map((d) => [d.poolId, d.kind === "skip" ? d.skip : d.mode])).toEqual([
      [0n, "step"],
      [1n, "no-stats"],
      [2n, "too-soon"],
    ]);
  });
});
