// Pure numbers behind the API's aggregate routes. No database access here, so each formula can be tested
// on its own (indexer/test/metrics.test.ts).

export const SECONDS_PER_YEAR = 31_536_000; // 365 days

export type RealizedVolatility = {
  /** Annualized realized volatility, or null with fewer than 2 prices. */
  value: number | null;
  /** Number of log returns used (prices − 1, or 0). */
  samples: number;
};

/**
 * Realized volatility — THE one implementation in the project (keepers ask `/pools/:chainId/:poolId/stats`
 * rather than computing it again).
 *
 * Inputs: the prices p_0 … p_n of a pool in time order, where p = reserve1 / reserve0 (token1 per token0,
 * raw units) after each swap in the window, preceded by the price standing when the window opened (the
 * reserves after the last swap or liquidity event before the window), if there is one.
 *
 *   r_i = ln(p_i / p_{i−1})                                    for i = 1 … n
 *   σ   = sqrt( Σ r_i² × SECONDS_PER_YEAR / windowSeconds )     (SECONDS_PER_YEAR = 365 × 86 400)
 *
 * i.e. the realized variance over the window, scaled to a year, without subtracting a mean (the usual
 * convention for realized volatility over short horizons). Fewer than 2 prices → null.
 */
export function realizedVolatility(prices: readonly number[], windowSeconds: number): RealizedVolatility {
  if (prices.length < 2) return { value: null, samples: 0 };
  let sumOfSquares = 0;
  for (let i = 1; i < prices.length; i++) {
    const r = Math.log(prices[i]! / prices[i - 1]!);
    sumOfSquares += r * r;
  }
  return { value: Math.sqrt((sumOfSquares * SECONDS_PER_YEAR) / windowSeconds), samples: prices.length - 1 };
}

/** Fee APR: the window's fees over the pool's TVL (both in token1), scaled to a year. 0 for an empty pool. */
export function feeApr(feesToken1: bigint, tvlToken1: bigint, windowSeconds: number): number {
  if (tvlToken1 === 0n) return 0;
  return (Number(feesToken1) / Number(tvlToken1)) * (SECONDS_PER_YEAR / windowSeconds);
}

export type Candle = {
  /** Unix seconds at the start of the bucket. */
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume0: bigint;
  volume1: bigint;
  feesToken1: bigint;
  swapCount: number;
};

/**
 * Merges hourly candles (sorted by time) into buckets of `intervalSeconds` (a multiple of 3600) aligned to
 * the Unix epoch: open of the first, close of the last, extremes and sums over all.
 */
export function aggregateCandles(hourly: readonly Candle[], intervalSeconds: number): Candle[] {
  const out: Candle[] = [];
  for (const c of hourly) {
    const bucket = c.timestamp - (c.timestamp % intervalSeconds);
    const last = out[out.length - 1];
    if (last && last.timestamp === bucket) {
      last.high = Math.max(last.high, c.high);
      last.low = Math.min(last.low, c.low);
      last.close = c.close;
      last.volume0 += c.volume0;
      last.volume1 += c.volume1;
      last.feesToken1 += c.feesToken1;
      last.swapCount += c.swapCount;
    } else {
      out.push({ ...c, timestamp: bucket });
    }
  }
  return out;
}
