import { describe, expect, it } from "vitest";
import {
  aggregateCandles,
  feeApr,
  realizedVolatility,
  SECONDS_PER_YEAR,
  type Candle,
} from "../src/api/metrics";

describe("realizedVolatility", () => {
  it("is null with fewer than two prices", () => {
    expect(realizedVolatility([], 3_600)).toEqual({ value: null, samples: 0 });
    expect(realizedVolatility([1.5], 3_600)).toEqual({ value: null, samples: 0 });
  });

  it("annualizes the sum of squared log returns over the window", () => {
    const prices = [2, 2.2, 1.98, 2.079];
    const r = [Math.log(2.2 / 2), Math.log(1.98 / 2.2), Math.log(2.079 / 1.98)];
    const expected = Math.sqrt(((r[0]! ** 2 + r[1]! ** 2 + r[2]! ** 2) * SECONDS_PER_YEAR) / 86_400);
    const { value, samples } = realizedVolatility(prices, 86_400);
    expect(samples).toBe(3);
    expect(value).toBeCloseTo(expected, 12);
  });

  it("is zero for a flat price and scales with 1/sqrt(window)", () => {
    expect(realizedVolatility([3, 3, 3], 600).value).toBe(0);
    const day = realizedVolatility([1, 1.01], 86_400).value!;
    const week = realizedVolatility([1, 1.01], 7 * 86_400).value!;
    expect(day / week).toBeCloseTo(Math.sqrt(7), 12);
  });

  it("does not depend on the direction of a move", () => {
    expect(realizedVolatility([1, 1.1], 3_600).value).toBeCloseTo(
      realizedVolatility([1.1, 1], 3_600).value!,
      12,
    );
  });
});

describe("feeApr", () => {
  it("is fees over TVL scaled to a year, and 0 for an empty pool", () => {
    expect(feeApr(1_000n, 2_000_000n, 86_400)).toBeCloseTo((1_000 / 2_000_000) * 365, 12);
    expect(feeApr(5n, 0n, 86_400)).toBe(0);
  });
});

describe("aggregateCandles", () => {
  const hour = (timestamp: number, open: number, high: number, low: number, close: number): Candle => ({
    timestamp,
    open,
    high,
    low,
    close,
    volume0: 10n,
    volume1: 20n,
    feesToken1: 1n,
    swapCount: 2,
  });

  it("merges hours into epoch-aligned buckets", () => {
    const day = 86_400 * 20_000;
    const merged = aggregateCandles(
      [hour(day, 1, 2, 0.5, 1.5), hour(day + 3_600, 1.5, 3, 1.4, 2), hour(day + 86_400, 2, 2.1, 1.9, 2.05)],
      86_400,
    );
    expect(merged).toEqual([
      {
        timestamp: day,
        open: 1,
        high: 3,
        low: 0.5,
        close: 2,
        volume0: 20n,
        volume1: 40n,
        feesToken1: 2n,
        swapCount: 4,
      },
      { ...hour(day + 86_400, 2, 2.1, 1.9, 2.05) },
    ]);
  });

  it("leaves hourly candles unchanged at interval 3600", () => {
    const hours = [hour(7_200, 1, 1, 1, 1), hour(10_800, 2, 2, 2, 2)];
    expect(aggregateCandles(hours, 3_600)).toEqual(hours);
  });
});
