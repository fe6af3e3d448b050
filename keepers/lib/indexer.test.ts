import { describe, expect, it } from "vitest";
import { IndexerUnavailableError, parseStats } from "./indexer.js";

// The shape check of the indexer's `/pools/:chainId/:poolId/stats` answer (a pure function; the client itself
// runs against the real indexer in keepers/fee/keeper.test.ts
// and keepers/volatility/keeper.test.ts).
const url = "http://indexer/pools/31337/2/stats?window=3600";
const body = {
  chainId: 31337,
  poolId: "2",
  fee: 3_000,
  windowSeconds: 3_600,
  asOf: 1_700_000_000,
  swapCount: 12,
  realizedVolatility: 0.42,
  volatilitySamples: 13,
};

describe("parseStats", () => {
  it("returns the stats with the time they are as of (the indexer's latest indexed block)", () => {
    expect(parseStats(body, url, 31337, 2n)).toEqual({
      chainId: 31337,
      poolId: "2",
      fee: 3_000,
      windowSeconds: 3_600,
      asOf: 1_700_000_000,
      swapCount: 12,
      realizedVolatility: 0.42,
      volatilitySamples: 13,
    });
  });

  it.each([
    ["missing", undefined],
    ["null", null],
    ["a string", "1700000000"],
    ["fractional", 1.5],
    ["negative", -1],
  ])("refuses an answer whose asOf is %s (indexer unavailable: try next tick)", (_, value) => {
    const bad = { ...body, asOf: value };
    expect(() => parseStats(bad, url, 31337, 2n)).toThrowError(IndexerUnavailableError);
    expect(() => parseStats(bad, url, 31337, 2n)).toThrowError(/unexpected response: asOf/);
  });
});
