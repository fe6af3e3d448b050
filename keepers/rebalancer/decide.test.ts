import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import {
  classifyRefusal,
  decide,
  Episodes,
  intentId,
  parseIntentId,
  rebalancePools,
  revertOf,
  schedule,
  type Candidate,
  slotOf,
  type IntentKey,
  type PortfolioRead,
} from "./decide.js";

const A = "0x00000000000000000000000000000000000000aA" as Address;
const B = "0x00000000000000000000000000000000000000bB" as Address;
const manager = "0x1111111111111111111111111111111111111111" as Address;
const oracle = "0x2222222222222222222222222222222222222222" as Address;

const read = (over: Partial<PortfolioRead> & { portfolioId: bigint }): PortfolioRead => ({
  rebalance: { due: false, maxDriftBps: 10n },
  stops: [],
  ...over,
});

describe("decide", () => {
  it("rebalances a portfolio outside its band and leaves one inside it", () => {
    expect(
      decide([
        read({ portfolioId: 0n, rebalance: { due: true, maxDriftBps: 812n } }),
        read({ portfolioId: 1n, rebalance: { due: false, maxDriftBps: 120n } }),
      ]),
    ).toEqual([
      { portfolioId: 0n, kind: "rebalance", maxDriftBps: 812n },
      { portfolioId: 1n, kind: "none", status: "in-band", detail: "", maxDriftBps: 120n },
    ]);
  });

  it("fires a triggerable stop before a due rebalance, one action per portfolio, the first asset first", () => {
    expect(
      decide([
        read({
          portfolioId: 4n,
          rebalance: { due: true, maxDriftBps: 900n },
          stops: [
            { asset: A, triggerable: false },
            { asset: B, triggerable: true },
          ],
        }),
        read({
          portfolioId: 5n,
          stops: [
            { asset: A, triggerable: true },
            { asset: B, triggerable: true },
          ],
        }),
      ]),
    ).toEqual([
      { portfolioId: 4n, kind: "stop", asset: B, maxDriftBps: 900n },
      { portfolioId: 5n, kind: "stop", asset: A, maxDriftBps: 10n },
    ]);
  });

  it("acts on what it can read even when another read of the portfolio fails", () => {
    const [d] = decide([
      read({
        portfolioId: 2n,
        rebalance: { error: "StaleObservation" },
        stops: [{ asset: A, triggerable: true }],
      }),
    ]);
    expect(d).toEqual({ portfolioId: 2n, kind: "stop", asset: A, maxDriftBps: null });
    const [r] = decide([
      read({
        portfolioId: 3n,
        rebalance: { due: true, maxDriftBps: 700n },
        stops: [{ asset: A, error: "PriceMovedBeyondBand" }],
      }),
    ]);
    expect(r).toEqual({ portfolioId: 3n, kind: "rebalance", maxDriftBps: 700n });
  });

  it("reports a portfolio it cannot price as unpriced, never as in band", () => {
    expect(
      decide([
        read({
          portfolioId: 6n,
          rebalance: { error: "InsufficientHistory" },
          stops: [{ asset: A, error: "InsufficientHistory" }],
        }),
        read({ portfolioId: 7n, stops: [{ asset: B, error: "PoolIdle" }] }),
      ]),
    ).toEqual([
      {
        portfolioId: 6n,
        kind: "none",
        status: "unpriced",
        detail: `needsRebalance: InsufficientHistory; stopTriggerable(${A}): InsufficientHistory`,
        maxDriftBps: null,
      },
      {
        portfolioId: 7n,
        kind: "none",
        status: "unpriced",
        detail: `stopTriggerable(${B}): PoolIdle`,
        maxDriftBps: 10n,
      },
    ]);
  });

  it("tells a portfolio the contract will not trade now, though outside its band, from one in band", () => {
    expect(
      decide([
        read({ portfolioId: 10n, driftBandBps: 500, rebalance: { due: false, maxDriftBps: 1_009n } }),
        read({ portfolioId: 11n, driftBandBps: 500, rebalance: { due: false, maxDriftBps: 500n } }),
      ]),
    ).toEqual([
      {
        portfolioId: 10n,
        kind: "none",
        status: "blocked",
        detail: "drift 1009 bps is outside the band (500 bps) but the contract would not trade now",
        maxDriftBps: 1_009n,
      },
      { portfolioId: 11n, kind: "none", status: "in-band", detail: "", maxDriftBps: 500n },
    ]);
  });

  it("leaves a busy or backing-off portfolio alone, whatever it would need", () => {
    expect(
      decide([
        {
          portfolioId: 8n,
          hold: { reason: "busy", intentId: "rebalancer:1:0x…:8:rebalance:5" },
          rebalance: { due: true, maxDriftBps: 999n },
          stops: [{ asset: A, triggerable: true }],
        },
        { portfolioId: 9n, hold: { reason: "backoff", until: 1_700_000_000 }, stops: [] },
      ]),
    ).toEqual([
      {
        portfolioId: 8n,
        kind: "none",
        status: "busy",
        detail: "rebalancer:1:0x…:8:rebalance:5",
        maxDriftBps: null,
      },
      {
        portfolioId: 9n,
        kind: "none",
        status: "backoff",
        detail: "left alone until chain time 1700000000",
        maxDriftBps: null,
      },
    ]);
  });
});

describe("one trade per pool per block", () => {
  const pools = [0n, 7n, 9n];

  it("names the pools of the trade the contract will make: most overweight to most underweight", () => {
    // Value 10 000 at 40/30/30 % targets: GPUH (pool 7) 38 % over by 8 points, AITBC 27 % under by 13.
    expect(rebalancePools([2_700n, 3_800n, 3_500n], 10_000n, [4_000, 3_000, 3_000], pools)).toEqual([7n]);
    // Base over, both assets under: from base into the most underweight (pool 9).
    expect(rebalancePools([5_000n, 2_800n, 2_200n], 10_000n, [4_000, 3_000, 3_000], pools)).toEqual([9n]);
    // Asset to asset: two pools (through the base token).
    expect(rebalancePools([4_000n, 3_600n, 2_400n], 10_000n, [4_000, 3_000, 3_000], pools)).toEqual([7n, 9n]);
    // A tie goes to the first asset, as in the contract.
    expect(rebalancePools([3_000n, 3_500n, 3_500n], 10_000n, [4_000, 3_000, 3_000], pools)).toEqual([7n]);
    expect(rebalancePools([0n, 0n, 0n], 0n, [4_000, 3_000, 3_000], pools)).toEqual([]);
  });

  const rebalance = (portfolioId: bigint, drift: bigint, p: bigint[]): Candidate => ({
    decision: { portfolioId, kind: "rebalance", maxDriftBps: drift },
    pools: p,
  });
  const stop = (portfolioId: bigint, p: bigint): Candidate => ({
    decision: { portfolioId, kind: "stop", asset: A, maxDriftBps: null },
    pools: [p],
  });

  it("sends stops first, then the largest drifts, and leaves for the next block what needs a pool already taken", () => {
    const { launch, queued } = schedule(
      [rebalance(1n, 400n, [7n]), rebalance(2n, 900n, [7n, 9n]), stop(3n, 9n), rebalance(4n, 600n, [11n])],
      new Map(),
    );
    expect(launch.map((c) => c.decision.portfolioId)).toEqual([3n, 4n, 1n]);
    expect(queued).toEqual([{ candidate: rebalance(2n, 900n, [7n, 9n]), pool: 9n, by: "portfolio 3" }]);
  });

  it("keeps off the pools of writes still on their way to the chain", () => {
    const { launch, queued } = schedule(
      [rebalance(1n, 400n, [7n]), rebalance(2n, 300n, [9n])],
      new Map([[7n, "rebalancer:1:0x…:0:rebalance:5"]]),
    );
    expect(launch.map((c) => c.decision.portfolioId)).toEqual([2n]);
    expect(queued.map((q) => [q.candidate.decision.portfolioId, q.pool, q.by])).toEqual([
      [1n, 7n, "rebalancer:1:0x…:0:rebalance:5"],
    ]);
  });

  it("sends everything when no two trades share a pool", () => {
    const { launch, queued } = schedule(
      [rebalance(1n, 400n, [7n]), stop(2n, 9n), rebalance(3n, 0n, [])],
      new Map(),
    );
    expect(launch).toHaveLength(3);
    expect(queued).toEqual([]);
  });
});

describe("refusals", () => {
  it("tells 'already done' from the contract's protection and from anything else", () => {
    expect(classifyRefusal("WithinDriftBand")).toBe("already-done");
    expect(classifyRefusal("StopNotTriggered")).toBe("already-done");
    expect(classifyRefusal("LossBudgetExceeded")).toBe("loss-limited");
    expect(classifyRefusal("TradeLossTooHigh")).toBe("loss-limited");
    expect(classifyRefusal("PoolTradedThisBlock")).toBe("contended");
    expect(classifyRefusal("EnforcedPause")).toBe("refused");
    expect(classifyRefusal("StaleObservation")).toBe("refused");
    expect(classifyRefusal(undefined)).toBe("refused");
  });

  it("reads the error out of the transaction layer's reason", () => {
    expect(revertOf("simulation of x failed: reverted: WithinDriftBand(312, 500)")).toEqual({
      name: "WithinDriftBand",
      args: "312, 500",
    });
    expect(revertOf("simulation of x failed: reverted: EnforcedPause()")).toEqual({
      name: "EnforcedPause",
      args: "",
    });
    expect(revertOf("simulation of x failed: fetch failed")).toBeUndefined();
    expect(revertOf(undefined)).toBeUndefined();
  });
});

describe("intent ids", () => {
  const keys: IntentKey[] = [
    { action: "rebalance", chainId: 31520, contract: manager, portfolioId: 12n, episode: 345n },
    { action: "stop", chainId: 31520, contract: manager, portfolioId: 12n, asset: A, episode: 346n },
    { action: "record", chainId: 31520, contract: oracle, episode: 7n },
  ];

  it("name the contract, the portfolio, the action and the episode, and read back exactly", () => {
    expect(keys.map(intentId)).toEqual([
      `rebalancer:31520:${manager}:12:rebalance:345`,
      `rebalancer:31520:${manager}:12:stop:${A.toLowerCase()}:346`,
      `rebalancer:31520:${oracle}:record:7`,
    ]);
    for (const key of keys)
      expect(parseIntentId(intentId(key))).toEqual(
        key.action === "stop"
          ? { ...key, asset: A.toLowerCase() }
          : { ...key, contract: key.contract.toLowerCase() },
      );
    expect(keys.map(slotOf)).toEqual(["portfolio:12", "portfolio:12", "record"]);
  });

  it("differ per deployment, portfolio, action, asset and episode", () => {
    const other = "0x3333333333333333333333333333333333333333" as Address;
    const base = keys[0] as Extract<IntentKey, { action: "rebalance" }>;
    const ids = new Set([
      intentId(base),
      intentId({ ...base, contract: other }),
      intentId({ ...base, chainId: 31521 }),
      intentId({ ...base, portfolioId: 13n }),
      intentId({ ...base, episode: 346n }),
      intentId({ ...keys[1]! }),
      intentId({ ...(keys[1] as Extract<IntentKey, { action: "stop" }>), asset: B }),
    ]);
    expect(ids.size).toBe(7);
  });

  it("refuses ids that are not the rebalancer's", () => {
    for (const id of [
      "apy:31520:0x1111111111111111111111111111111111111111:0:0",
      `rebalancer:31520:${manager}:12:rebalance:`,
      `rebalancer:31520:${manager}:12:swap:3`,
      `rebalancer:31520:${manager}:record:x`,
    ])
      expect(parseIntentId(id), id).toBeUndefined();
  });
});

describe("episodes", () => {
  it("keep the block where the condition was first seen until it ends", () => {
    const e = new Episodes();
    const key = Episodes.key("portfolio:1", "rebalance");
    expect(e.observe(key, 100n)).toBe(100n);
    expect(e.observe(key, 101n)).toBe(100n);
    e.close(key);
    expect(e.observe(key, 105n)).toBe(105n);
  });

  it("close every condition of a portfolio that no longer holds, and only that portfolio's", () => {
    const e = new Episodes();
    const stopA = Episodes.key("portfolio:1", "stop", A);
    const rebalance = Episodes.key("portfolio:1", "rebalance");
    const other = Episodes.key("portfolio:10", "rebalance");
    e.observe(stopA, 1n);
    e.observe(rebalance, 1n);
    e.observe(other, 1n);
    e.closeAllBut("portfolio:1", new Set([rebalance]));
    expect([e.get(stopA), e.get(rebalance), e.get(other)]).toEqual([undefined, 1n, 1n]);
  });

  it("remember a dry-run report for as long as the episode lasts", () => {
    const e = new Episodes();
    const key = Episodes.key("record", "record");
    e.observe(key, 3n);
    e.markReported(key);
    expect(e.reported(key)).toBe(true);
    e.close(key);
    e.observe(key, 9n);
    expect(e.reported(key)).toBe(false);
  });
});
