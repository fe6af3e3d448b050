// The assertions both database back ends must pass, against a running indexer and the scenario's chain.
import { expect } from "vitest";
import type { Indexer } from "../lib/start";
import {
  expectedHourlyCandles,
  expectedStats,
  getJson,
  graphqlQuery,
  pollUntil,
  waitForBlock,
  type Scenario,
} from "./scenario";

/** Waits for the indexer to reach the scenario's last block and for the rows the scenario made. */
export async function waitForScenario(indexer: Indexer, scenario: Scenario) {
  const chainId = scenario.anvil.chainId;
  await waitForBlock(indexer.url, chainId, scenario.lastBlock);
  const expectedSwaps = scenario.swaps.filter((s) => s.poolId === 0n).length;
  await pollUntil(
    () => graphqlQuery(indexer.url, `{ pool(chainId: ${chainId}, poolId: "0") { swapCount } }`),
    (data) => data.pool?.swapCount === expectedSwaps,
    { what: `pool 0 with ${expectedSwaps} swaps` },
  );
}

/** GraphQL pool rows and LP positions equal the contract's own state. */
export async function checkPoolsMatchChain(indexer: Indexer, scenario: Scenario) {
  const chainId = scenario.anvil.chainId;
  const { aiServiceAmmAbi } = scenario.abis;
  const amm = scenario.deployment.contracts.AIServiceAMM;
  for (const poolId of scenario.poolIds) {
    const onChain = await scenario.client.readContract({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "getPool",
      args: [poolId],
    });
    const { pool } = await graphqlQuery(
      indexer.url,
      `{ pool(chainId: ${chainId}, poolId: "${poolId}") {
          token0 token1 reserve0 reserve1 totalLiquidity fee minFee maxFee maxFeeStep minFeeInterval swapCount
          lastFeeUpdate kLast price0CumulativeLast price1CumulativeLast blockTimestampLast } }`,
    );
    expect(pool).toEqual({
      token0: onChain.token0.toLowerCase(),
      token1: onChain.token1.toLowerCase(),
      reserve0: onChain.reserve0.toString(),
      reserve1: onChain.reserve1.toString(),
      totalLiquidity: onChain.totalLiquidity.toString(),
      fee: onChain.fee,
      minFee: onChain.feeBounds.minFee,
      maxFee: onChain.feeBounds.maxFee,
      maxFeeStep: onChain.feeBounds.maxStep,
      minFeeInterval: onChain.feeBounds.minInterval,
      swapCount: scenario.swaps.filter((s) => s.poolId === poolId).length,
      lastFeeUpdate: onChain.lastFeeUpdate.toString(),
      kLast: onChain.kLast.toString(),
      price0CumulativeLast: onChain.price0CumulativeLast.toString(),
      price1CumulativeLast: onChain.price1CumulativeLast.toString(),
      blockTimestampLast: onChain.blockTimestampLast.toString(),
    });

    const { lpPositions } = await graphqlQuery(
      indexer.url,
      `{ lpPositions(where: { chainId: ${chainId}, poolId: "${poolId}" }, limit: 100) { items { owner balance } } }`,
    );
    const indexed = new Map<string, string>(
      lpPositions.items.map((p: { owner: string; balance: string }) => [p.owner.toLowerCase(), p.balance]),
    );
    let sum = 0n;
    for (const owner of scenario.lpOwners) {
      const balance = await scenario.client.readContract({
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "balanceOf",
        args: [owner, poolId],
      });
      expect(indexed.get(owner.toLowerCase()) ?? "0", `LP balance of ${owner} in pool ${poolId}`).toBe(
        balance.toString(),
      );
    }
    for (const balance of indexed.values()) sum += BigInt(balance);
    // Every share has an owner but the MINIMUM_LIQUIDITY locked at the first deposit.
    expect(sum + 1_000n).toBe(onChain.totalLiquidity);
  }

  // The protocol's fee share reached the treasury (the deployer) as LP shares, and was recorded.
  const { protocolFees } = await graphqlQuery(
    indexer.url,
    `{ protocolFees(where: { chainId: ${chainId} }) { items { poolId treasury liquidity } } }`,
  );
  expect(protocolFees.items.length).toBeGreaterThan(0);
  expect(protocolFees.items[0].treasury.toLowerCase()).toBe(scenario.accounts[0]!.address.toLowerCase());
}

/** The Hono routes: contract fields, numbers recomputed from the scenario's swaps, and bad input. */
export async function checkRoutes(indexer: Indexer, scenario: Scenario) {
  const chainId = scenario.anvil.chainId;
  const base = indexer.url;

  // Ponder's built-ins next to the routes: /health, /ready, and GraphiQL on GET /graphql.
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect((await fetch(`${base}/ready`)).status).toBe(200);
  const graphiql = await fetch(`${base}/graphql`, { headers: { accept: "text/html" } });
  expect(graphiql.status).toBe(200);
  expect(await graphiql.text()).toMatch(/graphiql/i);

  // /pools
  const pools = await getJson(`${base}/pools?chainId=${chainId}`);
  expect(pools.status).toBe(200);
  expect(pools.body.pools).toHaveLength(scenario.poolIds.length);
  for (const p of pools.body.pools) {
    expect(Object.keys(p).sort()).toEqual(
      [
        "chainId",
        "poolId",
        "token0",
        "token1",
        "reserve0",
        "reserve1",
        "totalLiquidity",
        "fee",
        "swapCount",
      ].sort(),
    );
    const onChain = await scenario.client.readContract({
      address: scenario.deployment.contracts.AIServiceAMM,
      abi: scenario.abis.aiServiceAmmAbi,
      functionName: "getPool",
      args: [BigInt(p.poolId)],
    });
    expect(p).toEqual({
      chainId,
      poolId: p.poolId,
      token0: onChain.token0,
      token1: onChain.token1,
      reserve0: onChain.reserve0.toString(),
      reserve1: onChain.reserve1.toString(),
      totalLiquidity: onChain.totalLiquidity.toString(),
      fee: onChain.fee,
      swapCount: scenario.swaps.filter((s) => s.poolId === BigInt(p.poolId)).length,
    });
  }

  // /pools/:chainId/:poolId/stats for the default window (everything) and for the last hour (batch B,
  // with the last price before it as the first price).
  for (const [poolId, window] of [
    [0n, undefined],
    [0n, 3_600],
    [1n, undefined],
  ] as const) {
    const query = window === undefined ? "" : `?window=${window}`;
    const { status, body } = await getJson(`${base}/pools/${chainId}/${poolId}/stats${query}`);
    expect(status).toBe(200);
    const windowSeconds = window ?? 86_400;
    const lastSwap = scenario.swaps.filter((s) => s.poolId === poolId).at(-1)!;
    // "Now" is the chain's latest indexed block: at or after the last swap, never the wall clock alone.
    expect(body.asOf).toBeGreaterThanOrEqual(lastSwap.timestamp);
    const expected = expectedStats(scenario, poolId, body.asOf, windowSeconds);
    const reserve1 = BigInt(body.reserve1);
    expect(body).toMatchObject({
      chainId,
      poolId: poolId.toString(),
      windowSeconds,
      swapCount: expected.swapCount,
      volumeToken1: expected.volumeToken1.toString(),
      feesToken1: expected.feesToken1.toString(),
      tvlToken1: (2n * reserve1).toString(),
      volatilitySamples: expected.volatilitySamples,
      lastSwapTimestamp: expected.lastSwapTimestamp,
    });
    expect(body.feeApr).toBeCloseTo(
      (Number(expected.feesToken1) / Number(2n * reserve1)) * (31_536_000 / windowSeconds),
      12,
    );
    expect(body.realizedVolatility).not.toBeNull();
    expect(body.realizedVolatility / expected.realizedVolatility!).toBeCloseTo(1, 10);
    if (window === 3_600 && scenario.timeTravel) {
      // Batch A is two hours back: outside the window, but its last price opens it, so there is one
      // return per swap in the window rather than one fewer.
      expect(body.swapCount).toBeGreaterThanOrEqual(3);
      expect(body.swapCount).toBeLessThan(scenario.swaps.filter((s) => s.poolId === poolId).length);
      expect(body.volatilitySamples).toBe(body.swapCount);
    }
    if (!scenario.timeTravel) {
      // Everything happened within the hour: every swap of the pool is in the window, with no price before it.
      expect(body.volatilitySamples).toBe(expected.swapCount - 1);
    }
  }

  // Candles: hourly, as computed from the swaps; batch A and batch B fall in different hours.
  const from = scenario.swaps[0]!.timestamp - 7_200;
  const candles = await getJson(`${base}/pools/${chainId}/0/candles?interval=3600&from=${from}`);
  expect(candles.status).toBe(200);
  const expectedCandles = expectedHourlyCandles(scenario, 0n);
  expect(candles.body.candles).toHaveLength(expectedCandles.length);
  candles.body.candles.forEach((c: any, i: number) => {
    const e = expectedCandles[i]!;
    expect(c.timestamp).toBe(e.timestamp);
    expect(c.swapCount).toBe(e.swapCount);
    expect(c.volume0).toBe(e.volume0.toString());
    expect(c.volume1).toBe(e.volume1.toString());
    for (const k of ["open", "high", "low", "close"] as const) expect(c[k]).toBe(e[k]);
  });
  const daily = await getJson(`${base}/pools/${chainId}/0/candles?interval=86400&from=${from}`);
  expect(daily.status).toBe(200);
  expect(daily.body.candles.reduce((n: number, c: any) => n + c.swapCount, 0)).toBe(
    expectedCandles.reduce((n, c) => n + c.swapCount, 0),
  );

  // /stats: pool count and TVL per token (sum of reserves).
  const stats = await getJson(`${base}/stats?chainId=${chainId}`);
  expect(stats.status).toBe(200);
  expect(stats.body.poolCount).toBe(scenario.poolIds.length);
  const tvl = new Map<string, bigint>();
  for (const p of pools.body.pools) {
    tvl.set(p.token0, (tvl.get(p.token0) ?? 0n) + BigInt(p.reserve0));
    tvl.set(p.token1, (tvl.get(p.token1) ?? 0n) + BigInt(p.reserve1));
  }
  expect(stats.body.tvl).toHaveLength(tvl.size);
  for (const { token, amount } of stats.body.tvl) expect(amount).toBe(tvl.get(token)!.toString());
  const pool0Day = stats.body.pools.find((p: any) => p.poolId === "0");
  const expectedDay = expectedStats(scenario, 0n, stats.body.asOf, 86_400);
  expect(pool0Day.swapCount24h).toBe(expectedDay.swapCount);
  expect(pool0Day.volume24hToken1).toBe(expectedDay.volumeToken1.toString());

  // Bad input: 400 naming the parameter; unknown pool: 404.
  const bad: [string, number, RegExp][] = [
    [`/pools?chainId=abc`, 400, /chainId/],
    [`/pools?chainId=999999`, 400, /chainId 999999 is not indexed/],
    [`/pools/abc/0/stats`, 400, /chainId/],
    [`/pools/${chainId}/x1/stats`, 400, /poolId/],
    [`/pools/${chainId}/-1/stats`, 400, /poolId/],
    [`/pools/${chainId}/0/stats?window=59`, 400, /window/],
    [`/pools/${chainId}/0/stats?window=31536001`, 400, /window/],
    [`/pools/${chainId}/0/stats?window=1h`, 400, /window/],
    [`/pools/${chainId}/99/stats`, 404, /pool 99/],
    [`/pools/${chainId}/99/candles`, 404, /pool 99/],
    [`/pools/${chainId}/0/candles?interval=60`, 400, /interval/],
    [`/pools/${chainId}/0/candles?interval=5400`, 400, /interval/],
    [`/pools/${chainId}/0/candles?from=10&to=5`, 400, /from/],
    [`/pools/${chainId}/0/candles?interval=3600&from=0`, 400, /intervals/],
    [`/stats`, 400, /chainId/],
    [`/stats?chainId=0`, 400, /chainId/],
  ];
  for (const [path, status, reason] of bad) {
    const response = await getJson(`${base}${path}`);
    expect(response.status, path).toBe(status);
    expect(response.body.error, path).toMatch(reason);
  }
}

/**
 * The `amm_config` row (GraphQL) and `/stats`' settings equal the contract's: `paused()`, `treasury()`,
 * `protocolFeeShareBps()`, and the default fee and bounds of its last `DefaultFeeSet` (no getter exists).
 * The row was created by the AMM's deployment: the contract has no code the block before `createdBlock`.
 */
export async function checkConfigMatchesChain(indexer: Indexer, scenario: Scenario) {
  const chainId = scenario.anvil.chainId;
  const { client, abis } = scenario;
  const address = scenario.deployment.contracts.AIServiceAMM;
  const read = { address, abi: abis.aiServiceAmmAbi } as const;
  const [paused, treasury, protocolFeeShareBps, defaultFeeLogs] = await Promise.all([
    client.readContract({ ...read, functionName: "paused" }),
    client.readContract({ ...read, functionName: "treasury" }),
    client.readContract({ ...read, functionName: "protocolFeeShareBps" }),
    client.getContractEvents({ ...read, eventName: "DefaultFeeSet", fromBlock: 0n }),
  ]);
  const defaults = defaultFeeLogs.at(-1)!.args;
  const { ammConfig } = await graphqlQuery(
    indexer.url,
    `{ ammConfig(chainId: ${chainId}) {
        address paused treasury protocolFeeShareBps defaultFee defaultMinFee defaultMaxFee defaultMaxFeeStep
        defaultMinFeeInterval createdBlock } }`,
  );
  expect(ammConfig).toMatchObject({
    address: address.toLowerCase(),
    paused,
    treasury: treasury.toLowerCase(),
    protocolFeeShareBps,
    defaultFee: defaults.fee,
    defaultMinFee: defaults.feeBounds!.minFee,
    defaultMaxFee: defaults.feeBounds!.maxFee,
    defaultMaxFeeStep: defaults.feeBounds!.maxStep,
    defaultMinFeeInterval: defaults.feeBounds!.minInterval,
  });
  const createdBlock = BigInt(ammConfig.createdBlock);
  expect(createdBlock).toBe(defaultFeeLogs[0]!.blockNumber);
  expect(await client.getCode({ address, blockNumber: createdBlock - 1n })).toBeUndefined();
  expect(await client.getCode({ address, blockNumber: createdBlock })).toMatch(/^0x[0-9a-f]{2,}$/);

  const stats = await getJson(`${indexer.url}/stats?chainId=${chainId}`);
  expect(stats.status).toBe(200);
  expect(stats.body).toMatchObject({ paused, protocolFeeShareBps });
}

/** Waits until the indexer has indexed the scenario's last block and `ready` holds over GraphQL. */
export async function waitForIndexed(
  indexer: Indexer,
  scenario: Scenario,
  graphql: string,
  ready: (data: any) => boolean,
  what: string,
) {
  await waitForBlock(indexer.url, scenario.anvil.chainId, scenario.lastBlock);
  return pollUntil(() => graphqlQuery(indexer.url, graphql), ready, { what, timeoutMs: 30_000 });
}
