// A portfolio scenario and the checks that the indexer's portfolio read models equal the AgentPortfolioManager.
// Alice opens a three-asset portfolio (AITBC base, GPUH, LLMT) and deposits before the oracle has any history, so
// its first valuations fail closed (null, with the revert); then the oracle is warmed, she deposits more, moves her
// targets, bob rebalances it in chunks, she trades, a stop-loss fires, she sets a take-profit that does not, changes
// her limits after the oracle went stale (null again), and withdraws. Bob opens a second portfolio that carol
// rebalances. Every expectation is read from the chain: each portfolio's row against `getPortfolio` and the
// valuations at its last block, each snapshot against the views at its block, every history row against the logs.
import type { Address } from "viem";
import { expect } from "vitest";
import type { Indexer } from "../lib/start";
import {
  byLog,
  checkOracleMatchesChain,
  expectedLossBps,
  expectReadError,
  lower,
  readAt,
  startMarket,
  str,
  strs,
  type Market,
} from "./agents";
import { e18, show } from "./protocol";
import { getJson, graphqlQuery, pollUntil, waitForBlock } from "./scenario";

const TRADE_KINDS = ["Owner", "Rebalance", "StopLoss", "TakeProfit"];
const limits = {
  driftBandBps: 500,
  maxLossPerTradeBps: 300,
  lossBudgetPpm: 100_000,
  lossWindow: 86_400,
  maxChunkBps: 2_000,
};

/** Deploys, plays the scenario and returns the market (its chain still running). */
export async function runPortfolioScenario(chainId: number): Promise<Market> {
  const market = await startMarket(chainId);
  try {
    await playPortfolios(market);
    return market;
  } catch (error) {
    await market.chain.anvil.stop();
    throw error;
  }
}

export async function playPortfolios(market: Market) {
  const { chain, alice, bob, carol, manager, tokens, pools } = market;
  const portfolioCount = async () =>
    (await chain.client.readContract({ ...manager, functionName: "portfolioCount" })) as bigint;

  // Portfolio A, valued before the oracle can price anything.
  const a = await portfolioCount();
  await chain.send(alice, manager, "openPortfolio", [
    [tokens.AITBC, tokens.GPUH, tokens.LLMT],
    [0n, pools.gpuh, pools.llmt],
    [4_000, 3_000, 3_000],
    limits,
  ]);
  await chain.sendMany([
    [alice, manager, "deposit", [a, tokens.AITBC, e18(10_000)]],
    [alice, manager, "deposit", [a, tokens.GPUH, e18(3_000)]],
  ]);

  await market.warmOracle();
  await chain.send(alice, manager, "deposit", [a, tokens.LLMT, e18(6_000)]);
  // Far from the new targets: GPUH ~ 30 % of the value against 50 %.
  await chain.send(alice, manager, "setTargets", [a, [2_000, 5_000, 3_000]]);
  for (let i = 0; i < 2; i++) {
    await chain.send(bob, manager, "rebalancePortfolio", [a]);
    await market.tick();
  }
  await chain.send(alice, manager, "executeTrade", [a, [pools.llmt], tokens.LLMT, e18(500)]);
  await market.tick();

  // A stop-loss above the time-weighted price fires at once; a take-profit far above it never does.
  const llmtPrice = await market.priceOf(tokens.LLMT);
  const gpuhPrice = await market.priceOf(tokens.GPUH);
  await chain.sendMany([
    [alice, manager, "setStopOrder", [a, tokens.LLMT, llmtPrice * 2n, 0n]],
    [alice, manager, "setStopOrder", [a, tokens.GPUH, 0n, gpuhPrice * 10n]],
  ]);
  const triggerable = await chain.client.readContract({
    ...manager,
    functionName: "stopTriggerable",
    args: [a, tokens.LLMT],
  });
  expect(triggerable, "the LLMT stop-loss should be triggerable").toBe(true);
  await chain.send(carol, manager, "triggerStop", [a, tokens.LLMT]);
  await market.tick();

  // Two windows without observations: the oracle's history is stale, so valuations fail closed again.
  await chain.increaseTime(2 * market.window);
  await chain.send(alice, manager, "setRiskLimits", [a, { ...limits, driftBandBps: 300 }]);
  await market.warmOracle();
  await chain.send(alice, manager, "withdraw", [a, tokens.AITBC, e18(1_000), alice.address]);

  // Portfolio B: all base token against 50/50 targets, rebalanced by someone else.
  const b = await portfolioCount();
  await chain.send(bob, manager, "openPortfolio", [
    [tokens.AITBC, tokens.GPUH],
    [0n, pools.gpuh],
    [5_000, 5_000],
    limits,
  ]);
  await chain.send(bob, manager, "deposit", [b, tokens.AITBC, e18(5_000)]);
  await chain.send(carol, manager, "rebalancePortfolio", [b]);
  await market.tick();
  // The guardian (the deployer on a local chain) pauses the manager: the indexer shows it paused.
  await chain.send(market.deployer, manager, "pause");
}

// ─── Checks ───────────────────────────────────────────────────────────────────────────────────────────

type Log = {
  eventName: string;
  args: Record<string, any>;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: `0x${string}`;
};

async function managerLogs(market: Market): Promise<Log[]> {
  const { chain } = market;
  return (await chain.client.getContractEvents({
    address: market.manager.address,
    abi: chain.abis.agentPortfolioManagerAbi,
    fromBlock: BigInt(chain.deployment.startBlock),
    toBlock: chain.lastBlock,
  })) as unknown as Log[];
}

/** The four valuations of a portfolio at a block, each a value or the error it reverted with. */
async function readValuations(market: Market, portfolioId: bigint, blockNumber: bigint) {
  const at = <T>(fn: string) => readAt<T>(market, market.manager, fn, [portfolioId], blockNumber);
  const [portfolioValue, currentWeights, needsRebalance, calculateRiskScore] = await Promise.all([
    at<readonly [bigint, readonly bigint[]]>("portfolioValue"),
    at<readonly number[]>("currentWeights"),
    at<readonly [boolean, bigint]>("needsRebalance"),
    at<readonly [bigint, bigint]>("calculateRiskScore"),
  ]);
  return {
    results: { portfolioValue, currentWeights, needsRebalance, calculateRiskScore },
    fields: {
      value: str(portfolioValue.value?.[0]),
      values: strs(portfolioValue.value?.[1]),
      weightsBps: currentWeights.value ? [...currentWeights.value] : null,
      needsRebalance: needsRebalance.value?.[0] ?? null,
      maxDriftBps: str(needsRebalance.value?.[1]),
      riskScoreBps: str(calculateRiskScore.value?.[0]),
      hhiBps: str(calculateRiskScore.value?.[1]),
    },
  };
}

type PortfolioView = {
  owner: Address;
  assets: readonly Address[];
  pools: readonly bigint[];
  targetWeightsBps: readonly number[];
  holdings: readonly bigint[];
  limits: typeof limits;
  lossUsedPpm: bigint;
  lossUpdatedAt: bigint;
};

const getPortfolio = async (market: Market, portfolioId: bigint, blockNumber?: bigint) =>
  (await market.chain.client.readContract({
    ...market.manager,
    functionName: "getPortfolio",
    args: [portfolioId],
    ...(blockNumber === undefined ? {} : { blockNumber }),
  })) as PortfolioView;

/** Waits until the indexer has indexed the chain's last transaction and every portfolio. */
export async function waitForPortfolios(indexer: Indexer, market: Market) {
  const { chain } = market;
  await waitForBlock(indexer.url, chain.anvil.chainId, chain.lastBlock);
  const count = await chain.client.readContract({ ...market.manager, functionName: "portfolioCount" });
  await pollUntil(
    () =>
      graphqlQuery(indexer.url, `{ portfolios(where: { chainId: ${chain.anvil.chainId} }) { totalCount } }`),
    (d) => d.portfolios.totalCount === Number(count),
    { what: "portfolios" },
  );
}

const ROW_FIELDS = `portfolioId manager owner baseToken assets pools targetWeightsBps holdings driftBandBps
  maxLossPerTradeBps lossBudgetPpm lossWindow maxChunkBps lossUsedPpm lossUpdatedAt lossUsedNowPpm value values weightsBps
  needsRebalance maxDriftBps riskScoreBps hhiBps readError tradeCount rebalanceCount stopCount lossPpmTotal
  createdBlock updatedBlock`;

/** Every portfolio_* row against the contract's views and logs. */
export async function checkPortfoliosMatchChain(indexer: Indexer, market: Market) {
  const { chain } = market;
  const chainId = chain.anvil.chainId;
  const q = (body: string) => graphqlQuery(indexer.url, body);
  const logs = await managerLogs(market);
  const count = (await chain.client.readContract({
    ...market.manager,
    functionName: "portfolioCount",
  })) as bigint;
  expect(count).toBeGreaterThanOrEqual(2n);

  const { portfolios } = await q(
    `{ portfolios(where: { chainId: ${chainId} }, orderBy: "portfolioId", limit: 100) { items { ${ROW_FIELDS} } } }`,
  );
  expect(portfolios.items).toHaveLength(Number(count));
  let nullSnapshots = 0;
  let valuedSnapshots = 0;
  for (const row of portfolios.items) {
    const portfolioId = BigInt(row.portfolioId);
    const mine = logs.filter((l) => l.args.portfolioId === portfolioId);
    const last = mine.at(-1)!;
    // The row: getPortfolio now (nothing changes it without an event) and the valuations at its last event's block.
    const view = await getPortfolio(market, portfolioId);
    const valuations = await readValuations(market, portfolioId, last.blockNumber);
    const opened = mine.find((l) => l.eventName === "PortfolioOpened")!;
    const trades = mine.filter((l) => l.eventName === "Traded");
    expect(row, `portfolio ${portfolioId}`).toEqual({
      portfolioId: String(portfolioId),
      manager: lower(market.manager.address),
      owner: lower(view.owner),
      baseToken: lower(view.assets[0]!),
      assets: view.assets.map(lower),
      pools: view.pools.map(String),
      targetWeightsBps: [...view.targetWeightsBps],
      holdings: view.holdings.map(String),
      driftBandBps: view.limits.driftBandBps,
      maxLossPerTradeBps: view.limits.maxLossPerTradeBps,
      lossBudgetPpm: String(view.limits.lossBudgetPpm),
      lossWindow: String(view.limits.lossWindow),
      maxChunkBps: view.limits.maxChunkBps,
      lossUsedPpm: view.lossUsedPpm.toString(),
      lossUpdatedAt: view.lossUpdatedAt.toString(),
      lossUsedNowPpm: String(
        await chain.client.readContract({
          ...market.manager,
          functionName: "lossUsedNow",
          args: [portfolioId],
          blockNumber: last.blockNumber,
        }),
      ),
      ...valuations.fields,
      readError: row.readError,
      tradeCount: trades.length,
      rebalanceCount: mine.filter((l) => l.eventName === "Rebalanced").length,
      stopCount: mine.filter((l) => l.eventName === "StopTriggered").length,
      lossPpmTotal: trades.reduce((t, l) => t + (l.args.lossPpm as bigint), 0n).toString(),
      createdBlock: opened.blockNumber.toString(),
      updatedBlock: last.blockNumber.toString(),
    });
    expectReadError(row.readError, valuations.results, `portfolio ${portfolioId} readError`);

    // Snapshots: one per block with an event of the portfolio, equal to the views at that block.
    const { portfolioSnapshots } = await q(
      `{ portfolioSnapshots(where: { chainId: ${chainId}, portfolioId: "${portfolioId}" }, orderBy: "blockNumber",
          limit: 1000) { items { blockNumber timestamp value values weightsBps needsRebalance maxDriftBps
          riskScoreBps hhiBps readError holdings targetWeightsBps events } } }`,
    );
    const blocks = [...new Set(mine.map((l) => l.blockNumber))];
    expect(portfolioSnapshots.items.map((s: any) => s.blockNumber)).toEqual(blocks.map(String));
    for (const [i, blockNumber] of blocks.entries()) {
      const snapshot = portfolioSnapshots.items[i];
      const at = await readValuations(market, portfolioId, blockNumber);
      const state = await getPortfolio(market, portfolioId, blockNumber);
      expect(snapshot, `portfolio ${portfolioId} at block ${blockNumber}`).toEqual({
        blockNumber: String(blockNumber),
        timestamp: String(await chain.blockTimestamp(blockNumber)),
        ...at.fields,
        readError: snapshot.readError,
        holdings: state.holdings.map(String),
        targetWeightsBps: [...state.targetWeightsBps],
        events: mine.filter((l) => l.blockNumber === blockNumber).length,
      });
      expectReadError(
        snapshot.readError,
        at.results,
        `portfolio ${portfolioId} readError at block ${blockNumber}`,
      );
      at.fields.value === null ? nullSnapshots++ : valuedSnapshots++;
    }
  }
  // The scenario covers both valuations that answered and ones the oracle refused.
  expect(nullSnapshots, "snapshots whose valuation failed closed").toBeGreaterThanOrEqual(2);
  expect(valuedSnapshots).toBeGreaterThanOrEqual(5);

  // Trades: one row per Traded log, with its loss against the oracle.
  const { portfolioTrades } = await q(
    `{ portfolioTrades(where: { chainId: ${chainId} }, limit: 1000) { items { blockNumber logIndex portfolioId
        txHash kind caller tokenIn tokenOut amountIn amountOut oracleAmountOut lossBps lossPpm } } }`,
  );
  const tradeLogs = logs.filter((l) => l.eventName === "Traded");
  expect(byLog(portfolioTrades.items)).toEqual(
    tradeLogs.map((l) => ({
      blockNumber: l.blockNumber.toString(),
      logIndex: l.logIndex,
      portfolioId: String(l.args.portfolioId),
      txHash: l.transactionHash,
      kind: TRADE_KINDS[l.args.kind],
      caller: lower(l.args.caller),
      tokenIn: lower(l.args.tokenIn),
      tokenOut: lower(l.args.tokenOut),
      amountIn: String(l.args.amountIn),
      amountOut: String(l.args.amountOut),
      oracleAmountOut: String(l.args.oracleAmountOut),
      lossBps: expectedLossBps(l.args.amountOut, l.args.oracleAmountOut),
      lossPpm: String(l.args.lossPpm),
    })),
  );
  expect(new Set(portfolioTrades.items.map((t: any) => t.kind))).toEqual(
    new Set(["Owner", "Rebalance", "StopLoss"]),
  );

  const { portfolioRebalances } = await q(
    `{ portfolioRebalances(where: { chainId: ${chainId} }, limit: 1000) { items { blockNumber logIndex portfolioId
        txHash caller maxDriftBps valueBefore } } }`,
  );
  const rebalanceLogs = logs.filter((l) => l.eventName === "Rebalanced");
  expect(rebalanceLogs.length).toBeGreaterThanOrEqual(3);
  expect(byLog(portfolioRebalances.items)).toEqual(
    rebalanceLogs.map((l) => ({
      blockNumber: l.blockNumber.toString(),
      logIndex: l.logIndex,
      portfolioId: String(l.args.portfolioId),
      txHash: l.transactionHash,
      caller: lower(l.args.caller),
      maxDriftBps: String(l.args.maxDriftBps),
      valueBefore: String(l.args.valueBefore),
    })),
  );

  const { portfolioFlows } = await q(
    `{ portfolioFlows(where: { chainId: ${chainId} }, limit: 1000) { items { blockNumber logIndex portfolioId kind
        token account amount } } }`,
  );
  const flowLogs = logs.filter((l) => l.eventName === "Deposited" || l.eventName === "Withdrawn");
  expect(byLog(portfolioFlows.items)).toEqual(
    flowLogs.map((l) => ({
      blockNumber: l.blockNumber.toString(),
      logIndex: l.logIndex,
      portfolioId: String(l.args.portfolioId),
      kind: l.eventName === "Deposited" ? "deposit" : "withdraw",
      token: lower(l.args.token),
      account: lower(l.eventName === "Deposited" ? l.args.from : l.args.to),
      amount: String(l.args.amount),
    })),
  );

  // Stop events, and each asset's standing order against stopOrderOf.
  const { portfolioStops } = await q(
    `{ portfolioStops(where: { chainId: ${chainId} }, limit: 1000) { items { blockNumber logIndex portfolioId asset
        kind stopLossPrice takeProfitPrice price stopLoss } } }`,
  );
  const stopLogs = logs.filter((l) => l.eventName === "StopOrderSet" || l.eventName === "StopTriggered");
  expect(byLog(portfolioStops.items)).toEqual(
    stopLogs.map((l) => {
      const set = l.eventName === "StopOrderSet";
      return {
        blockNumber: l.blockNumber.toString(),
        logIndex: l.logIndex,
        portfolioId: String(l.args.portfolioId),
        asset: lower(l.args.asset),
        kind: set ? "set" : "triggered",
        stopLossPrice: set ? String(l.args.stopLossPrice) : null,
        takeProfitPrice: set ? String(l.args.takeProfitPrice) : null,
        price: set ? null : String(l.args.price),
        stopLoss: set ? null : l.args.stopLoss,
      };
    }),
  );
  expect(stopLogs.filter((l) => l.eventName === "StopTriggered")).toHaveLength(1);
  const { portfolioStopOrders } = await q(
    `{ portfolioStopOrders(where: { chainId: ${chainId} }, limit: 1000) { items { portfolioId asset stopLossPrice
        takeProfitPrice triggerCount } } }`,
  );
  const orderKeys = [...new Set(stopLogs.map((l) => `${l.args.portfolioId}:${lower(l.args.asset)}`))];
  expect(portfolioStopOrders.items).toHaveLength(orderKeys.length);
  for (const key of orderKeys) {
    const [id, asset] = key.split(":") as [string, Address];
    const order = (await chain.client.readContract({
      ...market.manager,
      functionName: "stopOrderOf",
      args: [BigInt(id), asset],
    })) as { stopLossPrice: bigint; takeProfitPrice: bigint };
    const row = portfolioStopOrders.items.find((o: any) => o.portfolioId === id && o.asset === asset);
    expect(row, key).toEqual({
      portfolioId: id,
      asset,
      stopLossPrice: String(order.stopLossPrice),
      takeProfitPrice: String(order.takeProfitPrice),
      triggerCount: stopLogs.filter(
        (l) => l.eventName === "StopTriggered" && `${l.args.portfolioId}:${lower(l.args.asset)}` === key,
      ).length,
    });
  }

  const paused = await chain.client.readContract({ ...market.manager, functionName: "paused" });
  expect(paused, "the scenario ends with the manager paused").toBe(true);
  const { portfolioManagerConfig } = await q(
    `{ portfolioManagerConfig(chainId: ${chainId}) { address paused } }`,
  );
  expect(portfolioManagerConfig).toEqual({ address: lower(market.manager.address), paused });

  await checkOracleMatchesChain(indexer, market);
}

/** GET /portfolios/:chainId/:portfolioId/performance against the chain, windows, and answers to bad input. */
export async function checkPortfolioRoute(indexer: Indexer, market: Market) {
  const { chain } = market;
  const chainId = chain.anvil.chainId;
  const logs = await managerLogs(market);
  const portfolioId = 0n;
  const mine = logs.filter((l) => l.args.portfolioId === portfolioId);
  const url = (query = "") => `${indexer.url}/portfolios/${chainId}/${portfolioId}/performance${query}`;

  const all = await getJson(url());
  expect(all.status, show(all.body)).toBe(200);
  const body = all.body;
  const view = await getPortfolio(market, portfolioId);
  expect(body).toMatchObject({
    chainId,
    portfolioId: "0",
    owner: view.owner,
    baseToken: view.assets[0],
    assets: [...view.assets],
    holdings: view.holdings.map(String),
    targetWeightsBps: [...view.targetWeightsBps],
    limits: { ...view.limits },
  });
  const blocks = [...new Set(mine.map((l) => l.blockNumber))];
  expect(body.values.map((v: any) => v.blockNumber)).toEqual(blocks.map(Number));
  for (const point of body.values) {
    const { fields } = await readValuations(market, portfolioId, BigInt(point.blockNumber));
    expect(point).toMatchObject({
      ...fields,
      timestamp: Number(await chain.blockTimestamp(BigInt(point.blockNumber))),
    });
  }
  const tradeLogs = mine.filter((l) => l.eventName === "Traded");
  expect(body.trades).toEqual(
    await Promise.all(
      tradeLogs.map(async (l) => ({
        blockNumber: Number(l.blockNumber),
        logIndex: l.logIndex,
        timestamp: Number(await chain.blockTimestamp(l.blockNumber)),
        txHash: l.transactionHash,
        kind: TRADE_KINDS[l.args.kind],
        caller: l.args.caller,
        tokenIn: l.args.tokenIn,
        tokenOut: l.args.tokenOut,
        amountIn: String(l.args.amountIn),
        amountOut: String(l.args.amountOut),
        oracleAmountOut: String(l.args.oracleAmountOut),
        lossBps: expectedLossBps(l.args.amountOut, l.args.oracleAmountOut),
        lossPpm: String(l.args.lossPpm),
      })),
    ),
  );
  expect(body.stops.map((s: any) => s.kind)).toEqual(
    mine
      .filter((l) => l.eventName.startsWith("Stop"))
      .map((l) => (l.eventName === "StopOrderSet" ? "set" : "triggered")),
  );
  expect(body.flows).toHaveLength(
    mine.filter((l) => l.eventName === "Deposited" || l.eventName === "Withdrawn").length,
  );
  expect(body.rebalances).toHaveLength(mine.filter((l) => l.eventName === "Rebalanced").length);
  const losses = tradeLogs.map((l) => expectedLossBps(l.args.amountOut, l.args.oracleAmountOut)!);
  expect(body.summary).toEqual({
    firstValue: body.values.find((v: any) => v.value !== null).value,
    lastValue: [...body.values].reverse().find((v: any) => v.value !== null).value,
    unvaluedPoints: body.values.filter((v: any) => v.value === null).length,
    tradeCount: tradeLogs.length,
    lossPpmTotal: tradeLogs.reduce((t, l) => t + (l.args.lossPpm as bigint), 0n).toString(),
    meanLossBps: losses.reduce((a, b) => a + b, 0) / losses.length,
    maxLossBps: Math.max(...losses),
    stopsTriggered: 1,
  });
  expect(body.summary.unvaluedPoints).toBeGreaterThan(0);

  // A window: only what happened in [from, to].
  const middle = blocks[Math.floor(blocks.length / 2)]!;
  const from = Number(await chain.blockTimestamp(middle));
  const to = Number(await chain.blockTimestamp(blocks.at(-2)!));
  const windowed = await getJson(url(`?from=${from}&to=${to}`));
  expect(windowed.status, show(windowed.body)).toBe(200);
  const inWindow = (t: number) => t >= from && t <= to;
  expect(windowed.body.values.map((v: any) => v.blockNumber)).toEqual(
    body.values.filter((v: any) => inWindow(v.timestamp)).map((v: any) => v.blockNumber),
  );
  expect(windowed.body.trades).toEqual(body.trades.filter((t: any) => inWindow(t.timestamp)));
  expect(windowed.body.values.length).toBeLessThan(body.values.length);

  const bad: [string, number, RegExp][] = [
    [`/portfolios/abc/0/performance`, 400, /chainId/],
    [`/portfolios/999999/0/performance`, 400, /chainId 999999 is not indexed/],
    [`/portfolios/${chainId}/x/performance`, 400, /portfolioId/],
    [`/portfolios/${chainId}/${2n ** 256n}/performance`, 400, /portfolioId/],
    [`/portfolios/${chainId}/999/performance`, 404, /portfolio 999 does not exist/],
    [`/portfolios/${chainId}/0/performance?from=10&to=5`, 400, /from/],
    [`/portfolios/${chainId}/0/performance?to=soon`, 400, /to/],
    [`/portfolios/${chainId}/0/performance?from=-1`, 400, /from/],
  ];
  for (const [path, status, reason] of bad) {
    const response = await getJson(`${indexer.url}${path}`);
    expect(response.status, path).toBe(status);
    expect(response.body.error, path).toMatch(reason);
  }
}
