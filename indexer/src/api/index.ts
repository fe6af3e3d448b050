import { db } from "ponder:api";
import schema, { ammConfig, candle, liquidityEvent, pool, swap } from "ponder:schema";
import { Hono, type Context } from "hono";
import { and, asc, count, desc, eq, graphql, gt, gte, lte, sql, sum } from "ponder";
import { getAddress } from "viem";
import { aggregateCandles, feeApr, realizedVolatility, SECONDS_PER_YEAR, type Candle } from "./metrics";

// HTTP read models over the indexed AMM. Ponder serves /health, /ready, /status and /metrics itself.
//
// Contract (the fee keeper depends on these field names):
//   GET /pools?chainId=                          → { pools: PoolSummary[] }
//   GET /pools/:chainId/:poolId/stats?window=    → PoolStats
//   GET /pools/:chainId/:poolId/candles?interval=&from=&to=
//   GET /stats?chainId=                          → protocol totals and settings for one chain
// Bad input → 400 { error }, naming the parameter; unknown pool → 404 { error }.
// Amounts are raw token units as decimal strings; fees are pips (1e6 = 100 %) as numbers.
// "Now" for every window is the timestamp of the chain's latest indexed block, not the wall clock.

const HOUR = 3_600;
const DAY = 86_400;
const MAX_CANDLES = 5_000;

const app = new Hono();

app.use("/graphql", graphql({ db, schema }));

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

app.onError((error, c) => {
  if (error instanceof BadRequest) return c.json({ error: error.message }, error.status);
  throw error;
});

/** Chains Ponder indexes, with the block each has been indexed up to (from Ponder's own checkpoint table). */
async function indexedChains(): Promise<Map<number, { blockNumber: number; timestamp: number }>> {
  const result = await db.execute(sql`select chain_id, latest_checkpoint from _ponder_checkpoint`);
  const rows = (result as unknown as { rows: { chain_id: string | number; latest_checkpoint: string }[] })
    .rows;
  // A checkpoint is fixed-width digits: 10 of block timestamp, 16 of chain id, 16 of block number, …
  return new Map(
    rows.map((row) => [
      Number(row.chain_id),
      {
        timestamp: Number(row.latest_checkpoint.slice(0, 10)),
        blockNumber: Number(row.latest_checkpoint.slice(26, 42)),
      },
    ]),
  );
}

function parseInteger(value: string | undefined, name: string, min: number, max: number): number {
  if (value === undefined || !/^[0-9]{1,16}$/.test(value)) {
    throw new BadRequest(`${name} must be an integer, got ${JSON.stringify(value ?? null)}`);
  }
  const n = Number(value);
  if (n < min || n > max) throw new BadRequest(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses a chain id and checks the indexer follows that chain; returns its latest indexed block. */
async function parseChain(value: string | undefined) {
  const chainId = parseInteger(value, "chainId", 1, Number.MAX_SAFE_INTEGER);
  const chains = await indexedChains();
  const head = chains.get(chainId);
  if (!head) {
    throw new BadRequest(
      `chainId ${chainId} is not indexed here (indexed: ${[...chains.keys()].join(", ")})`,
    );
  }
  return { chainId, now: head.timestamp, head };
}

function parsePoolId(value: string): bigint {
  if (!/^[0-9]{1,78}$/.test(value))
    throw new BadRequest(`poolId must be a non-negative integer, got "${value}"`);
  return BigInt(value);
}

async function findPool(chainId: number, poolId: bigint) {
  const [row] = await db
    .select()
    .from(pool)
    .where(and(eq(pool.chainId, chainId), eq(pool.poolId, poolId)));
  if (!row) throw new BadRequest(`pool ${poolId} does not exist on chain ${chainId}`, 404);
  return row;
}

const poolSummary = (row: typeof pool.$inferSelect) => ({
  chainId: row.chainId,
  poolId: row.poolId.toString(),
  token0: getAddress(row.token0),
  token1: getAddress(row.token1),
  reserve0: row.reserve0.toString(),
  reserve1: row.reserve1.toString(),
  totalLiquidity: row.totalLiquidity.toString(),
  fee: row.fee,
  swapCount: row.swapCount,
});

const query = (c: Context, name: string) => c.req.query(name);

// GET /pools?chainId=<id> — every pool (of one chain, or of every indexed chain without chainId).
app.get("/pools", async (c) => {
  const chainParam = query(c, "chainId");
  const where =
    chainParam === undefined ? undefined : eq(pool.chainId, (await parseChain(chainParam)).chainId);
  const rows = await db.select().from(pool).where(where).orderBy(asc(pool.chainId), asc(pool.poolId));
  return c.json({ pools: rows.map(poolSummary) });
});

// GET /pools/:chainId/:poolId/stats?window=<seconds> — TVL, volume, fees, fee APR and realized volatility
// over the window (now − window, now], where now = the chain's latest indexed block timestamp.
app.get("/pools/:chainId/:poolId/stats", async (c) => {
  const { chainId, now } = await parseChain(c.req.param("chainId"));
  const poolId = parsePoolId(c.req.param("poolId"));
  const windowParam = query(c, "window");
  const windowSeconds =
    windowParam === undefined ? DAY : parseInteger(windowParam, "window", 60, SECONDS_PER_YEAR);
  const row = await findPool(chainId, poolId);
  const windowStart = now - windowSeconds;
  const ofPool = (table: typeof swap | typeof liquidityEvent) =>
    and(eq(table.chainId, chainId), eq(table.poolId, poolId));

  const [swaps, [lastSwapBefore], [lastLiquidityBefore]] = await Promise.all([
    db
      .select({ price: swap.price, amount1: swap.amount1, feeToken1: swap.feeToken1 })
      .from(swap)
      .where(and(ofPool(swap), gt(swap.timestamp, BigInt(windowStart)), lte(swap.timestamp, BigInt(now))))
      .orderBy(asc(swap.blockNumber), asc(swap.logIndex)),
    db
      .select({ price: swap.price, blockNumber: swap.blockNumber, logIndex: swap.logIndex })
      .from(swap)
      .where(and(ofPool(swap), lte(swap.timestamp, BigInt(windowStart))))
      .orderBy(desc(swap.blockNumber), desc(swap.logIndex))
      .limit(1),
    db
      .select({
        price: liquidityEvent.price,
        blockNumber: liquidityEvent.blockNumber,
        logIndex: liquidityEvent.logIndex,
      })
      .from(liquidityEvent)
      .where(and(ofPool(liquidityEvent), lte(liquidityEvent.timestamp, BigInt(windowStart))))
      .orderBy(desc(liquidityEvent.blockNumber), desc(liquidityEvent.logIndex))
      .limit(1),
  ]);

  // The price standing when the window opened: reserves after the later of the last swap and the last
  // liquidity event before the window.
  const opening = [lastSwapBefore, lastLiquidityBefore]
    .filter((e) => e !== undefined && e.price !== null)
    .sort((a, b) =>
      a!.blockNumber !== b!.blockNumber ? Number(b!.blockNumber - a!.blockNumber) : b!.logIndex - a!.logIndex,
    )[0];
  const prices = [...(opening ? [opening.price!] : []), ...swaps.map((s) => s.price)];
  const volatility = realizedVolatility(prices, windowSeconds);

  const volumeToken1 = swaps.reduce((total, s) => total + s.amount1, 0n);
  const feesToken1 = swaps.reduce((total, s) => total + s.feeToken1, 0n);
  const tvlToken1 = 2n * row.reserve1;

  return c.json({
    ...poolSummary(row),
    tvlToken1: tvlToken1.toString(),
    windowSeconds,
    asOf: now,
    swapCount: swaps.length,
    volumeToken1: volumeToken1.toString(),
    feesToken1: feesToken1.toString(),
    feeApr: feeApr(feesToken1, tvlToken1, windowSeconds),
    realizedVolatility: volatility.value,
    volatilitySamples: volatility.samples,
    lastSwapTimestamp: row.lastSwapTimestamp === null ? null : Number(row.lastSwapTimestamp),
  });
});

// GET /pools/:chainId/:poolId/candles?interval=3600&from=&to= — OHLCV over buckets with at least one swap.
// interval: a multiple of 3600 up to 30 days (default 3600); from/to: Unix seconds (default: the last 100
// intervals up to now). Buckets are aligned to the Unix epoch; a bucket is included if it starts in
// [floor(from), to].
app.get("/pools/:chainId/:poolId/candles", async (c) => {
  const { chainId, now } = await parseChain(c.req.param("chainId"));
  const poolId = parsePoolId(c.req.param("poolId"));
  const intervalParam = query(c, "interval");
  const interval =
    intervalParam === undefined ? HOUR : parseInteger(intervalParam, "interval", HOUR, 30 * DAY);
  if (interval % HOUR !== 0)
    throw new BadRequest(`interval must be a multiple of ${HOUR} seconds, got ${interval}`);
  const toParam = query(c, "to");
  const fromParam = query(c, "from");
  const to = toParam === undefined ? now : parseInteger(toParam, "to", 0, Number.MAX_SAFE_INTEGER);
  const fromRaw =
    fromParam === undefined
      ? Math.max(0, to - 99 * interval)
      : parseInteger(fromParam, "from", 0, Number.MAX_SAFE_INTEGER);
  if (fromRaw > to) throw new BadRequest(`from (${fromRaw}) must not be after to (${to})`);
  const from = fromRaw - (fromRaw % interval);
  if ((to - from) / interval >= MAX_CANDLES) {
    throw new BadRequest(`from..to spans more than ${MAX_CANDLES} intervals; narrow it or raise interval`);
  }
  await findPool(chainId, poolId);

  const hourly = await db
    .select()
    .from(candle)
    .where(
      and(
        eq(candle.chainId, chainId),
        eq(candle.poolId, poolId),
        gte(candle.bucketStart, BigInt(from)),
        lte(candle.bucketStart, BigInt(to)),
      ),
    )
    .orderBy(asc(candle.bucketStart));
  const candles = aggregateCandles(
    hourly.map((row): Candle => ({
      timestamp: Number(row.bucketStart),
      open: row.open,
      high: row.high,
      low: row.low,
      close: row.close,
      volume0: row.volume0,
      volume1: row.volume1,
      feesToken1: row.feesToken1,
      swapCount: row.swapCount,
    })),
    interval,
  );
  return c.json({
    chainId,
    poolId: poolId.toString(),
    interval,
    from,
    to,
    candles: candles.map((k) => ({
      ...k,
      volume0: k.volume0.toString(),
      volume1: k.volume1.toString(),
      feesToken1: k.feesToken1.toString(),
    })),
  });
});

// GET /stats?chainId=<id> — pool count, TVL per token (sum of reserves over pools), 24 h volume per pool,
// and the AMM's pause state and protocol fee share (null until its deployment is indexed).
app.get("/stats", async (c) => {
  const chainParam = query(c, "chainId");
  if (chainParam === undefined) throw new BadRequest("chainId is required");
  const { chainId, now } = await parseChain(chainParam);
  const [[config], pools, volumes] = await Promise.all([
    db
      .select({ paused: ammConfig.paused, protocolFeeShareBps: ammConfig.protocolFeeShareBps })
      .from(ammConfig)
      .where(eq(ammConfig.chainId, chainId)),
    db.select().from(pool).where(eq(pool.chainId, chainId)).orderBy(asc(pool.poolId)),
    db
      .select({
        poolId: swap.poolId,
        swapCount: count(),
        volume0: sum(swap.amount0),
        volume1: sum(swap.amount1),
      })
      .from(swap)
      .where(
        and(
          eq(swap.chainId, chainId),
          gt(swap.timestamp, BigInt(now - DAY)),
          lte(swap.timestamp, BigInt(now)),
        ),
      )
      .groupBy(swap.poolId),
  ]);

  const tvl = new Map<string, bigint>();
  for (const p of pools) {
    const [token0, token1] = [getAddress(p.token0), getAddress(p.token1)];
    tvl.set(token0, (tvl.get(token0) ?? 0n) + p.reserve0);
    tvl.set(token1, (tvl.get(token1) ?? 0n) + p.reserve1);
  }
  const volumeByPool = new Map(volumes.map((v) => [v.poolId, v]));
  return c.json({
    chainId,
    asOf: now,
    paused: config?.paused ?? null,
    protocolFeeShareBps: config?.protocolFeeShareBps ?? null,
    poolCount: pools.length,
    tvl: [...tvl.entries()]
      .sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
      .map(([token, amount]) => ({ token, amount: amount.toString() })),
    pools: pools.map((p) => {
      const v = volumeByPool.get(p.poolId);
      return {
        poolId: p.poolId.toString(),
        token0: getAddress(p.token0),
        token1: getAddress(p.token1),
        swapCount24h: v ? Number(v.swapCount) : 0,
        volume24hToken0: v?.volume0 ? BigInt(v.volume0.split(".")[0]!).toString() : "0",
        volume24hToken1: v?.volume1 ? BigInt(v.volume1.split(".")[0]!).toString() : "0",
      };
    }),
  });
});

export default app;
