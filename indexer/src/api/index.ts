import { db, publicClients } from "ponder:api";
import schema, {
  ammConfig,
  bridgeRequest,
  candle,
  consortium,
  consortiumContribution,
  consortiumMember,
  consortiumNav,
  consortiumTrade,
  distribution,
  farmApyHour,
  farmConfig,
  farmPool,
  liquidityEvent,
  optionSeries,
  pool,
  portfolio,
  portfolioFlow,
  portfolioRebalance,
  portfolioSnapshot,
  portfolioStop,
  portfolioTrade,
  proposal,
  ragequit,
  swap,
  vote,
} from "ponder:schema";
import { Hono, type Context } from "hono";
import { and, asc, count, desc, eq, graphql, gt, gte, isNotNull, isNull, lte, sql, sum } from "ponder";
import { getAddress, type PublicClient } from "viem";
import { agentGovernanceAbi, aiPowerDerivativesAbi, aiPowerYieldFarmAbi } from "../../../generated/abis";
import { readView } from "../lib/views";
import { aggregateCandles, feeApr, realizedVolatility, SECONDS_PER_YEAR, type Candle } from "./metrics";

// HTTP read models over the indexed AMM. Ponder serves /health, /ready, /status and /metrics itself.
//
// Contract (the fee keeper depends on these field names):
//   GET /pools?chainId=                          → { pools: PoolSummary[] }
//   GET /pools/:chainId/:poolId/stats?window=    → PoolStats
//   GET /pools/:chainId/:poolId/candles?interval=&from=&to=
//   GET /stats?chainId=                          → protocol totals and settings for one chain
//   GET /farm/apy?chainId=&source=index|chain    → current APR and APY per farm pool, each with its asOf block
//   GET /farm/apy/:poolId/history?chainId=&from=&to=  → hourly APR/APY readings
//   GET /governance/proposals/:id?chainId=       → a proposal, its votes, and the governor's state() now
//   GET /bridge/stats?from=&to=                  → bridge transfers per route: counts, volume, completion times
//   GET /portfolios/:chainId/:portfolioId/performance?from=&to=  → value series, trades vs the oracle, stops, flows
//   GET /consortia/:chainId/:consortiumId/performance?from=&to=  → NAV and NAV/share series, trades, distributions,
//                                                                   ragequits, contributions, members
//   GET /options/:chainId/chain?underlyingPoolId=  → live series by expiry and strike: premium, delta, open interest
// Bad input → 400 { error }, naming the parameter; unknown pool, portfolio or consortium → 404 { error }.
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

// ─── Farm and governance ─────────────────────────────────────────────────────────────────────────────
// APR and APY are the farm's `currentApr`/`currentApy`: 1e18 fixed point (1e18 = 100 % a year) as decimal
// strings; `apy` is null where the contract has no price route (it reverts with NoPriceRoute).

/** The governor's `ProposalState` enum, in order. */
const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;

/** `chainId` if given; without it, the one chain indexed (400 when there are several). */
async function resolveChain(value: string | undefined) {
  if (value !== undefined) return parseChain(value);
  const chains = await indexedChains();
  if (chains.size !== 1) {
    throw new BadRequest(`chainId is required (indexed: ${[...chains.keys()].join(", ")})`);
  }
  const [[chainId, head]] = [...chains.entries()] as [[number, { blockNumber: number; timestamp: number }]];
  return { chainId, now: head.timestamp, head };
}

const clientOf = (chainId: number) =>
  (publicClients as unknown as Record<string, PublicClient | undefined>)[`chain${chainId}`]!;

/** `currentApr` and `currentApy` of a farm pool read on chain at `blockNumber` (apy null on NoPriceRoute). */
async function readFarmApr(chainId: number, farm: `0x${string}`, poolId: bigint, blockNumber: bigint) {
  const read = { address: farm, abi: aiPowerYieldFarmAbi, args: [poolId], blockNumber } as const;
  const client = clientOf(chainId);
  const apr = await client.readContract({ ...read, functionName: "currentApr" });
  const apy = await client.readContract({ ...read, functionName: "currentApy" }).catch((error: Error) => {
    if (/NoPriceRoute/.test(error.message)) return null;
    throw error;
  });
  return { apr, apy };
}

// GET /farm/apy?chainId=&source=index|chain — every farm pool's APR and APY (of one chain, or of every indexed
// chain without chainId). source=index (default): the values the indexer read at the pool's last farm event,
// asOf that block — they go stale between events (a period's end, AMM price moves). source=chain: read from the
// chain now, at the chain's latest indexed block (asOf that block).
app.get("/farm/apy", async (c) => {
  const chainParam = query(c, "chainId");
  const source = query(c, "source") ?? "index";
  if (source !== "index" && source !== "chain") {
    throw new BadRequest(`source must be "index" or "chain", got ${JSON.stringify(source)}`);
  }
  const chainId = chainParam === undefined ? undefined : (await parseChain(chainParam)).chainId;
  const [rows, configs, heads] = await Promise.all([
    db
      .select()
      .from(farmPool)
      .where(chainId === undefined ? undefined : eq(farmPool.chainId, chainId))
      .orderBy(asc(farmPool.chainId), asc(farmPool.poolId)),
    db.select().from(farmConfig),
    indexedChains(),
  ]);
  const farms = new Map(configs.map((row) => [row.chainId, row.address]));
  const pools = await Promise.all(
    rows.map(async (row) => {
      let reading = { apr: row.apr, apy: row.apy };
      let asOf = { blockNumber: Number(row.aprBlock), timestamp: Number(row.aprTimestamp) };
      if (source === "chain") {
        const head = heads.get(row.chainId)!;
        reading = await readFarmApr(
          row.chainId,
          farms.get(row.chainId)!,
          row.poolId,
          BigInt(head.blockNumber),
        );
        asOf = head;
      }
      return {
        chainId: row.chainId,
        poolId: row.poolId.toString(),
        stakingToken: getAddress(row.stakingToken),
        rewardToken: getAddress(row.rewardToken),
        lpShares: row.lpShares,
        ammPoolId: row.ammPoolId.toString(),
        rewardRate: row.rewardRate.toString(),
        periodFinish: Number(row.periodFinish),
        totalStaked: row.totalStaked.toString(),
        totalWeight: row.totalWeight.toString(),
        apr: reading.apr.toString(),
        apy: reading.apy === null ? null : reading.apy.toString(),
        asOf,
      };
    }),
  );
  return c.json({ source, pools });
});

// GET /farm/apy/:poolId/history?chainId=&from=&to= — hourly APR/APY: per hour of block time with a farm event of
// the pool, the last reading in it. from/to: Unix seconds (default: the last 30 days up to now); an hour is
// included if it starts in [floor(from to the hour), to].
app.get("/farm/apy/:poolId/history", async (c) => {
  const { chainId, now } = await resolveChain(query(c, "chainId"));
  const poolId = parsePoolId(c.req.param("poolId"));
  const toParam = query(c, "to");
  const fromParam = query(c, "from");
  const to = toParam === undefined ? now : parseInteger(toParam, "to", 0, Number.MAX_SAFE_INTEGER);
  const fromRaw =
    fromParam === undefined
      ? Math.max(0, to - 30 * DAY)
      : parseInteger(fromParam, "from", 0, Number.MAX_SAFE_INTEGER);
  if (fromRaw > to) throw new BadRequest(`from (${fromRaw}) must not be after to (${to})`);
  const from = fromRaw - (fromRaw % HOUR);
  if ((to - from) / HOUR >= MAX_CANDLES) {
    throw new BadRequest(`from..to spans more than ${MAX_CANDLES} hours; narrow it`);
  }
  const [row] = await db
    .select({ poolId: farmPool.poolId })
    .from(farmPool)
    .where(and(eq(farmPool.chainId, chainId), eq(farmPool.poolId, poolId)));
  if (!row) throw new BadRequest(`farm pool ${poolId} does not exist on chain ${chainId}`, 404);
  const hours = await db
    .select()
    .from(farmApyHour)
    .where(
      and(
        eq(farmApyHour.chainId, chainId),
        eq(farmApyHour.poolId, poolId),
        gte(farmApyHour.bucketStart, BigInt(from)),
        lte(farmApyHour.bucketStart, BigInt(to)),
      ),
    )
    .orderBy(asc(farmApyHour.bucketStart));
  return c.json({
    chainId,
    poolId: poolId.toString(),
    interval: HOUR,
    from,
    to,
    points: hours.map((h) => ({
      timestamp: Number(h.bucketStart),
      apr: h.apr.toString(),
      apy: h.apy === null ? null : h.apy.toString(),
      blockNumber: Number(h.blockNumber),
      blockTimestamp: Number(h.timestamp),
      samples: h.samples,
    })),
  });
});

// GET /governance/proposals/:id?chainId= — the indexed proposal and its votes, with the governor's `state()` read
// at the chain's latest indexed block (`chainState`, asOf that block). `state` is the lifecycle events decide
// (Pending, Queued, Executed, Canceled); `phase` adds what the clock decides without the quorum: Pending until
// voteStart, Active until voteEnd, then Ended (Succeeded, Defeated or Expired per `chainState`).
app.get("/governance/proposals/:id", async (c) => {
  const { chainId, now, head } = await resolveChain(query(c, "chainId"));
  const idParam = c.req.param("id");
  if (!/^[0-9]{1,78}$/.test(idParam) || BigInt(idParam) >= 2n ** 256n) {
    throw new BadRequest(`id must be a proposal id (a uint256 in decimal), got "${idParam}"`);
  }
  const proposalId = BigInt(idParam);
  const [row] = await db
    .select()
    .from(proposal)
    .where(and(eq(proposal.chainId, chainId), eq(proposal.proposalId, proposalId)));
  if (!row) throw new BadRequest(`proposal ${proposalId} does not exist on chain ${chainId}`, 404);
  const votes = await db
    .select()
    .from(vote)
    .where(and(eq(vote.chainId, chainId), eq(vote.proposalId, proposalId)))
    .orderBy(asc(vote.blockNumber), asc(vote.logIndex));
  const stateIndex = await clientOf(chainId).readContract({
    address: row.governor,
    abi: agentGovernanceAbi,
    functionName: "state",
    args: [proposalId],
    blockNumber: BigInt(head.blockNumber),
  });
  const phase =
    row.state !== "Pending"
      ? row.state
      : now <= Number(row.voteStart)
        ? "Pending"
        : now <= Number(row.voteEnd)
          ? "Active"
          : "Ended";
  return c.json({
    chainId,
    proposalId: row.proposalId.toString(),
    governor: getAddress(row.governor),
    proposer: getAddress(row.proposer),
    targets: row.targets.map((t) => getAddress(t)),
    values: row.values.map((v) => v.toString()),
    signatures: row.signatures,
    calldatas: row.calldatas,
    description: row.description,
    voteStart: Number(row.voteStart),
    voteEnd: Number(row.voteEnd),
    etaSeconds: row.etaSeconds === null ? null : Number(row.etaSeconds),
    state: row.state,
    phase,
    chainState: PROPOSAL_STATES[stateIndex] ?? `unknown(${stateIndex})`,
    asOf: head,
    forVotes: row.forVotes.toString(),
    againstVotes: row.againstVotes.toString(),
    abstainVotes: row.abstainVotes.toString(),
    votes: votes.map((v) => ({
      voter: getAddress(v.voter),
      support: v.support,
      weight: v.weight.toString(),
      reason: v.reason,
      params: v.params,
      blockNumber: Number(v.blockNumber),
      timestamp: Number(v.timestamp),
    })),
  });
});

// ─── CrossChainBridge ────────────────────────────────────────────────────────────────────────────────

/** A sum of numeric(78) values as a decimal string ("0" for none). */
const sumString = (value: string | null) => (value === null ? "0" : BigInt(value.split(".")[0]!).toString());

// GET /bridge/stats?from=&to= — per route (source chain, destination chain, source token), the transfers initiated
// in [from, to] (Unix seconds of the source chain's block time; default: all): count, volume (Σ amount after fee),
// fees, and how many are completed, refunded, pending (neither yet) or in conflict (both), with the median and
// 95th percentile of secondsToComplete over the completed ones (PostgreSQL's percentile_cont: linear
// interpolation; null when none is completed). `unmatched` counts rows whose initiation is not indexed (a
// completion from a chain not indexed here, or not indexed yet).
app.get("/bridge/stats", async (c) => {
  const fromParam = query(c, "from");
  const toParam = query(c, "to");
  const from = fromParam === undefined ? 0 : parseInteger(fromParam, "from", 0, Number.MAX_SAFE_INTEGER);
  const to = toParam === undefined ? null : parseInteger(toParam, "to", 0, Number.MAX_SAFE_INTEGER);
  if (to !== null && from > to) throw new BadRequest(`from (${from}) must not be after to (${to})`);

  const r = bridgeRequest;
  const countWhere = (status: string) =>
    sql<string>`count(*) filter (where ${r.status} = ${status})`.mapWith(Number);
  const percentile = (p: number) =>
    sql<
      number | null
    >`percentile_cont(${sql.raw(String(p))}) within group (order by ${r.secondsToComplete})`.mapWith(
      (v: unknown) => (v === null ? null : Number(v)),
    );
  const [routes, [unmatched]] = await Promise.all([
    db
      .select({
        srcChainId: r.srcChainId,
        dstChainId: r.dstChainId,
        token: r.srcToken,
        count: count(),
        volume: sum(r.amount),
        fees: sum(r.fee),
        completed: countWhere("completed"),
        refunded: countWhere("refunded"),
        pending: countWhere("initiated"),
        conflict: countWhere("conflict"),
        median: percentile(0.5),
        p95: percentile(0.95),
      })
      .from(r)
      .where(
        and(
          isNotNull(r.initiatedTimestamp),
          gte(r.initiatedTimestamp, BigInt(from)),
          to === null ? undefined : lte(r.initiatedTimestamp, BigInt(to)),
        ),
      )
      .groupBy(r.srcChainId, r.dstChainId, r.srcToken)
      .orderBy(asc(r.srcChainId), asc(r.dstChainId), asc(r.srcToken)),
    db.select({ count: count() }).from(r).where(isNull(r.initiatedTimestamp)),
  ]);
  return c.json({
    from,
    to,
    routes: routes.map((row) => ({
      srcChainId: Number(row.srcChainId),
      dstChainId: Number(row.dstChainId),
      token: getAddress(row.token!),
      count: row.count,
      volume: sumString(row.volume),
      fees: sumString(row.fees),
      completed: row.completed,
      refunded: row.refunded,
      pending: row.pending,
      conflict: row.conflict,
      medianSecondsToComplete: row.median,
      p95SecondsToComplete: row.p95,
    })),
    unmatched: unmatched?.count ?? 0,
  });
});

// ─── Portfolios and consortia ────────────────────────────────────────────────────────────────────────
// Values are base-token raw units as decimal strings; weights, drift and risk are bps. A valuation the contract could
// not give at a block (the oracle failed closed) is null, with the revert in `readError`.

/** Most series points (snapshots or NAV points) one request returns. */
const MAX_POINTS = 5_000;

/** A uint256 id in decimal (portfolio or consortium). */
function parseId(value: string, name: string): bigint {
  if (!/^[0-9]{1,78}$/.test(value) || BigInt(value) >= 2n ** 256n) {
    throw new BadRequest(`${name} must be a uint256 in decimal, got "${value}"`);
  }
  return BigInt(value);
}

/** `from`/`to` (Unix seconds of block time, inclusive): default the whole history up to the chain's `now`. */
function parseTimeRange(c: Context, now: number) {
  const fromParam = query(c, "from");
  const toParam = query(c, "to");
  const from = fromParam === undefined ? 0 : parseInteger(fromParam, "from", 0, Number.MAX_SAFE_INTEGER);
  const to = toParam === undefined ? now : parseInteger(toParam, "to", 0, Number.MAX_SAFE_INTEGER);
  if (from > to) throw new BadRequest(`from (${from}) must not be after to (${to})`);
  return { from, to };
}

const str = (value: bigint | null) => (value === null ? null : value.toString());
const strs = (values: readonly bigint[] | null) => (values === null ? null : values.map((v) => v.toString()));
const addresses = (values: readonly `0x${string}`[]) => values.map((a) => getAddress(a));
const logFields = (row: {
  blockNumber: bigint;
  logIndex: number;
  timestamp: bigint;
  txHash: `0x${string}`;
}) => ({
  blockNumber: Number(row.blockNumber),
  logIndex: row.logIndex,
  timestamp: Number(row.timestamp),
  txHash: row.txHash,
});

/** Rejects a series longer than MAX_POINTS (the query fetched one more to tell). */
function capped<T>(rows: T[], what: string): T[] {
  if (rows.length > MAX_POINTS) {
    throw new BadRequest(`from..to holds more than ${MAX_POINTS} ${what}; narrow it`);
  }
  return rows;
}

// GET /portfolios/:chainId/:portfolioId/performance?from=&to= — the portfolio now (its row: state and the latest
// valuations) and, over [from, to] (Unix seconds, default all history up to now): `values` (one point per block
// with an event of the portfolio: value, weights, drift, risk score, HHI read at that block, holdings after it),
// `trades` (each with its loss against the oracle's price, bps, and the budget charge, ppm), `rebalances`, `flows`
// (deposits and withdrawals), `stops` (orders set and triggered), and a `summary` of the window.
app.get("/portfolios/:chainId/:portfolioId/performance", async (c) => {
  const { chainId, now, head } = await parseChain(c.req.param("chainId"));
  const portfolioId = parseId(c.req.param("portfolioId"), "portfolioId");
  const { from, to } = parseTimeRange(c, now);
  const [row] = await db
    .select()
    .from(portfolio)
    .where(and(eq(portfolio.chainId, chainId), eq(portfolio.portfolioId, portfolioId)));
  if (!row) throw new BadRequest(`portfolio ${portfolioId} does not exist on chain ${chainId}`, 404);

  const inWindow = (
    table:
      | typeof portfolioSnapshot
      | typeof portfolioTrade
      | typeof portfolioRebalance
      | typeof portfolioFlow
      | typeof portfolioStop,
  ) =>
    and(
      eq(table.chainId, chainId),
      eq(table.portfolioId, portfolioId),
      gte(table.timestamp, BigInt(from)),
      lte(table.timestamp, BigInt(to)),
    );
  const [snapshots, trades, rebalances, flows, stops] = await Promise.all([
    db
      .select()
      .from(portfolioSnapshot)
      .where(inWindow(portfolioSnapshot))
      .orderBy(asc(portfolioSnapshot.blockNumber))
      .limit(MAX_POINTS + 1),
    db
      .select()
      .from(portfolioTrade)
      .where(inWindow(portfolioTrade))
      .orderBy(asc(portfolioTrade.blockNumber), asc(portfolioTrade.logIndex)),
    db
      .select()
      .from(portfolioRebalance)
      .where(inWindow(portfolioRebalance))
      .orderBy(asc(portfolioRebalance.blockNumber), asc(portfolioRebalance.logIndex)),
    db
      .select()
      .from(portfolioFlow)
      .where(inWindow(portfolioFlow))
      .orderBy(asc(portfolioFlow.blockNumber), asc(portfolioFlow.logIndex)),
    db
      .select()
      .from(portfolioStop)
      .where(inWindow(portfolioStop))
      .orderBy(asc(portfolioStop.blockNumber), asc(portfolioStop.logIndex)),
  ]);
  capped(snapshots, "value points");

  const valued = snapshots.filter((s) => s.value !== null);
  const losses = trades.flatMap((t) => (t.lossBps === null ? [] : [t.lossBps]));
  return c.json({
    chainId,
    portfolioId: portfolioId.toString(),
    manager: getAddress(row.manager),
    owner: getAddress(row.owner),
    baseToken: getAddress(row.baseToken),
    assets: addresses(row.assets),
    pools: strs(row.pools),
    targetWeightsBps: row.targetWeightsBps,
    holdings: strs(row.holdings),
    limits: {
      driftBandBps: row.driftBandBps,
      maxLossPerTradeBps: row.maxLossPerTradeBps,
      lossBudgetPpm: Number(row.lossBudgetPpm),
      lossWindow: Number(row.lossWindow),
      maxChunkBps: row.maxChunkBps,
    },
    lossUsedPpm: row.lossUsedPpm.toString(),
    lossUpdatedAt: Number(row.lossUpdatedAt),
    lossUsedNowPpm: row.lossUsedNowPpm.toString(),
    latest: {
      blockNumber: Number(row.updatedBlock),
      timestamp: Number(row.updatedTimestamp),
      value: str(row.value),
      values: strs(row.values),
      weightsBps: row.weightsBps,
      needsRebalance: row.needsRebalance,
      maxDriftBps: str(row.maxDriftBps),
      riskScoreBps: str(row.riskScoreBps),
      hhiBps: str(row.hhiBps),
      readError: row.readError,
    },
    createdBlock: Number(row.createdBlock),
    createdTimestamp: Number(row.createdTimestamp),
    from,
    to,
    asOf: head,
    summary: {
      firstValue: valued.length ? valued[0]!.value!.toString() : null,
      lastValue: valued.length ? valued.at(-1)!.value!.toString() : null,
      unvaluedPoints: snapshots.length - valued.length,
      tradeCount: trades.length,
      lossPpmTotal: trades.reduce((total, t) => total + t.lossPpm, 0n).toString(),
      meanLossBps: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
      maxLossBps: losses.length ? Math.max(...losses) : null,
      stopsTriggered: stops.filter((s) => s.kind === "triggered").length,
    },
    values: snapshots.map((s) => ({
      blockNumber: Number(s.blockNumber),
      timestamp: Number(s.timestamp),
      value: str(s.value),
      values: strs(s.values),
      weightsBps: s.weightsBps,
      needsRebalance: s.needsRebalance,
      maxDriftBps: str(s.maxDriftBps),
      riskScoreBps: str(s.riskScoreBps),
      hhiBps: str(s.hhiBps),
      holdings: strs(s.holdings),
      targetWeightsBps: s.targetWeightsBps,
      readError: s.readError,
    })),
    trades: trades.map((t) => ({
      ...logFields(t),
      kind: t.kind,
      caller: getAddress(t.caller),
      tokenIn: getAddress(t.tokenIn),
      tokenOut: getAddress(t.tokenOut),
      amountIn: t.amountIn.toString(),
      amountOut: t.amountOut.toString(),
      oracleAmountOut: t.oracleAmountOut.toString(),
      lossBps: t.lossBps,
      lossPpm: t.lossPpm.toString(),
    })),
    rebalances: rebalances.map((r) => ({
      ...logFields(r),
      caller: getAddress(r.caller),
      maxDriftBps: r.maxDriftBps.toString(),
      valueBefore: r.valueBefore.toString(),
    })),
    flows: flows.map((f) => ({
      ...logFields(f),
      kind: f.kind,
      token: getAddress(f.token),
      account: getAddress(f.account),
      amount: f.amount.toString(),
    })),
    stops: stops.map((s) => ({
      ...logFields(s),
      kind: s.kind,
      asset: getAddress(s.asset),
      stopLossPrice: str(s.stopLossPrice),
      takeProfitPrice: str(s.takeProfitPrice),
      price: str(s.price),
      stopLoss: s.stopLoss,
    })),
  });
});

// GET /consortia/:chainId/:consortiumId/performance?from=&to= — the consortium now (leader, mandate, assets,
// holdings, shares, high-water mark, latest NAV) with its `members`, and over [from, to] (Unix seconds, default all
// history up to now): `nav` (one point per block with a vault event: NAV read at that block, shares, NAV per share,
// high-water mark), `trades` (with the loss against the oracle), `contributions`, `distributions` (with what has
// been claimed of each), `ragequits`, and a `summary` of the window.
app.get("/consortia/:chainId/:consortiumId/performance", async (c) => {
  const { chainId, now, head } = await parseChain(c.req.param("chainId"));
  const consortiumId = parseId(c.req.param("consortiumId"), "consortiumId");
  const { from, to } = parseTimeRange(c, now);
  const [row] = await db
    .select()
    .from(consortium)
    .where(and(eq(consortium.chainId, chainId), eq(consortium.consortiumId, consortiumId)));
  if (!row) throw new BadRequest(`consortium ${consortiumId} does not exist on chain ${chainId}`, 404);

  type History =
    | typeof consortiumNav
    | typeof consortiumTrade
    | typeof consortiumContribution
    | typeof distribution
    | typeof ragequit;
  const ofConsortium = (table: History | typeof consortiumMember) =>
    and(eq(table.chainId, chainId), eq(table.consortiumId, consortiumId));
  const inWindow = (table: History) =>
    and(ofConsortium(table), gte(table.timestamp, BigInt(from)), lte(table.timestamp, BigInt(to)));
  const [points, trades, contributions, distributions, ragequits, members] = await Promise.all([
    db
      .select()
      .from(consortiumNav)
      .where(inWindow(consortiumNav))
      .orderBy(asc(consortiumNav.blockNumber))
      .limit(MAX_POINTS + 1),
    db
      .select()
      .from(consortiumTrade)
      .where(inWindow(consortiumTrade))
      .orderBy(asc(consortiumTrade.blockNumber), asc(consortiumTrade.logIndex)),
    db
      .select()
      .from(consortiumContribution)
      .where(inWindow(consortiumContribution))
      .orderBy(asc(consortiumContribution.blockNumber), asc(consortiumContribution.logIndex)),
    db.select().from(distribution).where(inWindow(distribution)).orderBy(asc(distribution.distributionId)),
    db
      .select()
      .from(ragequit)
      .where(inWindow(ragequit))
      .orderBy(asc(ragequit.blockNumber), asc(ragequit.logIndex)),
    db
      .select()
      .from(consortiumMember)
      .where(ofConsortium(consortiumMember))
      .orderBy(desc(consortiumMember.shares), asc(consortiumMember.account)),
  ]);
  capped(points, "NAV points");

  const priced = points.filter((p) => p.navPerShare !== null);
  return c.json({
    chainId,
    consortiumId: consortiumId.toString(),
    coordinator: getAddress(row.coordinator),
    leader: getAddress(row.leader),
    baseToken: getAddress(row.baseToken),
    governance: {
      votingPeriod: Number(row.votingPeriod),
      gracePeriod: Number(row.gracePeriod),
      quorumBps: row.quorumBps,
      performanceFeeBps: row.performanceFeeBps,
    },
    mandate: {
      maxTradeBps: row.maxTradeBps,
      maxLossPerTradeBps: row.maxLossPerTradeBps,
      maxLossPerPeriodBps: row.maxLossPerPeriodBps,
      lossPeriod: Number(row.lossPeriod),
    },
    allowedPools: strs(row.allowedPools),
    assets: addresses(row.assets),
    holdings: strs(row.holdings),
    totalShares: row.totalShares.toString(),
    highWaterMark: row.highWaterMark.toString(),
    lossUsedBps: row.lossUsedBps.toString(),
    lossPeriodStart: Number(row.lossPeriodStart),
    latest: {
      blockNumber: Number(row.updatedBlock),
      timestamp: Number(row.updatedTimestamp),
      nav: str(row.nav),
      navValues: strs(row.navValues),
      navPerShare: str(row.navPerShare),
      readError: row.readError,
    },
    totals: {
      contributed: row.contributed.toString(),
      distributed: row.distributed.toString(),
      feesPaid: row.feesPaid.toString(),
      tradeCount: row.tradeCount,
      proposalCount: row.proposalCount,
      distributionCount: row.distributionCount,
      ragequitCount: row.ragequitCount,
    },
    createdBlock: Number(row.createdBlock),
    createdTimestamp: Number(row.createdTimestamp),
    from,
    to,
    asOf: head,
    summary: {
      firstNavPerShare: priced.length ? priced[0]!.navPerShare!.toString() : null,
      lastNavPerShare: priced.length ? priced.at(-1)!.navPerShare!.toString() : null,
      unvaluedPoints: points.length - points.filter((p) => p.nav !== null).length,
      tradeCount: trades.length,
      contributed: contributions.reduce((total, x) => total + x.amount, 0n).toString(),
      distributed: distributions.reduce((total, d) => total + d.amount, 0n).toString(),
      feesPaid: distributions.reduce((total, d) => total + d.fee, 0n).toString(),
      ragequitShares: ragequits.reduce((total, r) => total + r.shares, 0n).toString(),
    },
    nav: points.map((p) => ({
      blockNumber: Number(p.blockNumber),
      timestamp: Number(p.timestamp),
      nav: str(p.nav),
      navValues: strs(p.navValues),
      totalShares: p.totalShares.toString(),
      navPerShare: str(p.navPerShare),
      highWaterMark: p.highWaterMark.toString(),
      readError: p.readError,
    })),
    trades: trades.map((t) => ({
      ...logFields(t),
      proposalId: t.proposalId.toString(),
      tokenIn: getAddress(t.tokenIn),
      tokenOut: getAddress(t.tokenOut),
      amountIn: t.amountIn.toString(),
      amountOut: t.amountOut.toString(),
      oracleAmountOut: t.oracleAmountOut.toString(),
      lossBps: t.lossBps,
      navAfter: t.navAfter.toString(),
    })),
    contributions: contributions.map((x) => ({
      ...logFields(x),
      member: getAddress(x.member),
      amount: x.amount.toString(),
      shares: x.shares.toString(),
      navBefore: x.navBefore.toString(),
    })),
    distributions: distributions.map((d) => ({
      distributionId: d.distributionId.toString(),
      blockNumber: Number(d.blockNumber),
      timestamp: Number(d.timestamp),
      txHash: d.txHash,
      amount: d.amount.toString(),
      fee: d.fee.toString(),
      snapshotBlock: Number(d.snapshotBlock),
      totalSharesAtSnapshot: d.totalSharesAtSnapshot.toString(),
      highWaterMark: d.highWaterMark.toString(),
      claimed: d.claimed.toString(),
      claimCount: d.claimCount,
    })),
    ragequits: ragequits.map((r) => ({
      ...logFields(r),
      member: getAddress(r.member),
      shares: r.shares.toString(),
      tokens: addresses(r.tokens),
      amounts: strs(r.amounts),
    })),
    members: members.map((m) => ({
      account: getAddress(m.account),
      listed: m.listed,
      shares: m.shares.toString(),
      contributed: m.contributed.toString(),
      sharesContributed: m.sharesContributed.toString(),
      sharesRagequit: m.sharesRagequit.toString(),
      claimed: m.claimed.toString(),
    })),
  });
});

// ─── Options ─────────────────────────────────────────────────────────────────────────────────────────
// Strikes, premiums and delta are wads (quote per whole underlying unit; delta signed, 1e18 = 1); open interest is
// raw underlying units, locked collateral raw units of the series' collateral token, all decimal strings.

// GET /options/:chainId/chain?underlyingPoolId= — the option chain of one underlying: its live series (expiry after
// the chain's latest indexed block) grouped by expiry, then strike, a call and a put at each, with open interest and
// locked collateral from the index and `calculatePremium`/`delta` read on chain at that block (`asOf`). A view that
// reverted (the index or the volatility cannot be served) gives null, with the revert in `readError`. No live series:
// `chain: []`. A chain id that is not indexed here → 404.
app.get("/options/:chainId/chain", async (c) => {
  const chainId = parseInteger(c.req.param("chainId"), "chainId", 1, Number.MAX_SAFE_INTEGER);
  const chains = await indexedChains();
  const head = chains.get(chainId);
  if (!head) {
    throw new BadRequest(
      `chainId ${chainId} is not indexed here (indexed: ${[...chains.keys()].join(", ")})`,
      404,
    );
  }
  const poolParam = query(c, "underlyingPoolId");
  if (poolParam === undefined || !/^[0-9]{1,20}$/.test(poolParam) || BigInt(poolParam) >= 2n ** 64n) {
    throw new BadRequest(
      `underlyingPoolId must be a uint64 in decimal, got ${JSON.stringify(poolParam ?? null)}`,
    );
  }
  const underlyingPoolId = BigInt(poolParam);
  const rows = await db
    .select()
    .from(optionSeries)
    .where(
      and(
        eq(optionSeries.chainId, chainId),
        eq(optionSeries.underlyingPoolId, underlyingPoolId),
        gt(optionSeries.expiry, BigInt(head.timestamp)),
      ),
    )
    .orderBy(asc(optionSeries.expiry), asc(optionSeries.strikeWad), asc(optionSeries.seriesId));

  const client = clientOf(chainId);
  const blockNumber = BigInt(head.blockNumber);
  const quotes = await Promise.all(
    rows.map(async (row) => {
      const call = {
        address: row.derivatives,
        abi: aiPowerDerivativesAbi,
        args: [row.seriesId],
        blockNumber,
      } as const;
      const [premium, delta] = await Promise.all([
        readView("calculatePremium", () =>
          client.readContract({ ...call, functionName: "calculatePremium" }),
        ),
        readView("delta", () => client.readContract({ ...call, functionName: "delta" })),
      ]);
      const errors = [premium.error, delta.error].filter((e) => e !== null);
      return {
        row,
        option: {
          seriesId: row.seriesId.toString(),
          premiumWad: str(premium.value),
          deltaWad: str(delta.value),
          openInterest: row.totalShort.toString(),
          collateralLocked: row.collateralLocked.toString(),
          readError: errors.length ? errors.join("; ") : null,
        },
      };
    }),
  );

  type Option = (typeof quotes)[number]["option"];
  const expiries: {
    expiry: number;
    strikes: { strikeWad: string; call: Option | null; put: Option | null }[];
  }[] = [];
  for (const { row, option } of quotes) {
    const expiry = Number(row.expiry);
    let group = expiries.at(-1);
    if (group?.expiry !== expiry) expiries.push((group = { expiry, strikes: [] }));
    const strikeWad = row.strikeWad.toString();
    let strike = group.strikes.at(-1);
    if (strike?.strikeWad !== strikeWad) group.strikes.push((strike = { strikeWad, call: null, put: null }));
    // Two series of one strike and expiry on the same side cannot both be listed for one pool: the first is kept.
    if (row.isCall) strike.call ??= option;
    else strike.put ??= option;
  }
  return c.json({ chainId, underlyingPoolId: underlyingPoolId.toString(), asOf: head, chain: expiries });
});

export default app;
