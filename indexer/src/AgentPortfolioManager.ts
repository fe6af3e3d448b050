import { ponder, type Context } from "ponder:registry";
import {
  portfolio,
  portfolioFlow,
  portfolioManagerConfig,
  portfolioRebalance,
  portfolioSnapshot,
  portfolioStop,
  portfolioStopOrder,
  portfolioTrade,
} from "ponder:schema";
import type { Address, Hex } from "viem";
import { agentPortfolioManagerAbi } from "../../generated/abis";
import { lossBps, readErrors, readView } from "./lib/views";

// Read models of the AgentPortfolioManager. After each event of a portfolio the handler reads, at the event's block,
// the contract's storage view (`getPortfolio`: owner, assets, targets, holdings, limits, loss budget) and its
// valuations (`portfolioValue`, `currentWeights`, `needsRebalance`, `calculateRiskScore`), so the row is what the
// contract says after that block whatever order a transaction emits its events in (a stop moves targets without
// a TargetsSet, for one). The valuations price through the oracle and may revert when it fails closed: null then,
// with the revert in `readError`. Event arguments fill the history tables (trades, rebalances, flows, stops).

const TRADE_KINDS = ["Owner", "Rebalance", "StopLoss", "TakeProfit"] as const;

type PortfolioEvent = {
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number; address: Address };
  transaction: { hash: Hex };
};

const logKey = (context: Context, event: PortfolioEvent) => ({
  chainId: context.chain.id,
  blockNumber: event.block.number,
  logIndex: event.log.logIndex,
  timestamp: event.block.timestamp,
  txHash: event.transaction.hash,
});

/** The portfolio's storage view and its valuations at `blockNumber` (valuations null where they reverted). */
async function readPortfolio(context: Context, manager: Address, portfolioId: bigint, blockNumber: bigint) {
  const call = { address: manager, abi: agentPortfolioManagerAbi, args: [portfolioId], blockNumber } as const;
  const client = context.client;
  const [view, lossUsedNow, value, weights, rebalance, risk] = await Promise.all([
    client.readContract({ ...call, functionName: "getPortfolio" }),
    client.readContract({ ...call, functionName: "lossUsedNow" }),
    readView("portfolioValue", () => client.readContract({ ...call, functionName: "portfolioValue" })),
    readView("currentWeights", () => client.readContract({ ...call, functionName: "currentWeights" })),
    readView("needsRebalance", () => client.readContract({ ...call, functionName: "needsRebalance" })),
    readView("calculateRiskScore", () =>
      client.readContract({ ...call, functionName: "calculateRiskScore" }),
    ),
  ]);
  return {
    state: {
      owner: view.owner,
      baseToken: view.assets[0]!,
      assets: [...view.assets],
      pools: [...view.pools],
      targetWeightsBps: [...view.targetWeightsBps],
      holdings: [...view.holdings],
      driftBandBps: view.limits.driftBandBps,
      maxLossPerTradeBps: view.limits.maxLossPerTradeBps,
      lossBudgetPpm: BigInt(view.limits.lossBudgetPpm),
      lossWindow: BigInt(view.limits.lossWindow),
      maxChunkBps: view.limits.maxChunkBps,
      lossUsedPpm: view.lossUsedPpm,
      lossUpdatedAt: view.lossUpdatedAt,
      lossUsedNowPpm: lossUsedNow,
    },
    readings: {
      value: value.value?.[0] ?? null,
      values: value.value ? [...value.value[1]] : null,
      weightsBps: weights.value ? [...weights.value] : null,
      needsRebalance: rebalance.value?.[0] ?? null,
      maxDriftBps: rebalance.value?.[1] ?? null,
      riskScoreBps: risk.value?.[0] ?? null,
      hhiBps: risk.value?.[1] ?? null,
      readError: readErrors(value, weights, rebalance, risk),
    },
  };
}

type Counters = Partial<
  Pick<typeof portfolio.$inferSelect, "tradeCount" | "rebalanceCount" | "stopCount" | "lossPpmTotal">
>;

/**
 * Refreshes the portfolio's row from the chain at the event's block (creating it at PortfolioOpened), adds `counters`
 * to its running totals, and writes the block's snapshot (one per portfolio and block: the reads are the block's).
 */
async function refresh(
  context: Context,
  event: PortfolioEvent,
  portfolioId: bigint,
  counters: (row: typeof portfolio.$inferSelect) => Counters = () => ({}),
) {
  const chainId = context.chain.id;
  const { number: blockNumber, timestamp } = event.block;
  const { state, readings } = await readPortfolio(context, event.log.address, portfolioId, blockNumber);
  const stamp = { updatedBlock: blockNumber, updatedTimestamp: timestamp };
  const existing = await context.db.find(portfolio, { chainId, portfolioId });
  if (!existing) {
    throw new Error(
      `portfolio event for portfolio ${portfolioId} on chain ${chainId} before its PortfolioOpened: the ` +
        `deployments file's startBlock must be at or before the manager's deployment`,
    );
  }
  await context.db
    .update(portfolio, { chainId, portfolioId })
    .set({ ...state, ...readings, ...stamp, ...counters(existing) });
  await context.db
    .insert(portfolioSnapshot)
    .values({
      chainId,
      portfolioId,
      blockNumber,
      timestamp,
      ...readings,
      holdings: state.holdings,
      targetWeightsBps: state.targetWeightsBps,
      events: 1,
    })
    .onConflictDoUpdate((row) => ({
      ...readings,
      holdings: state.holdings,
      targetWeightsBps: state.targetWeightsBps,
      events: row.events + 1,
    }));
}

ponder.on("AgentPortfolioManager:PortfolioOpened", async ({ event, context }) => {
  const { portfolioId, owner, assets, pools, targetWeightsBps, limits } = event.args;
  await context.db
    .insert(portfolioManagerConfig)
    .values({
      chainId: context.chain.id,
      address: event.log.address,
      paused: false,
      updatedBlock: event.block.number,
      updatedTimestamp: event.block.timestamp,
    })
    .onConflictDoNothing();
  // The row starts from the event; `refresh` then replaces every field with the contract's view at this block.
  await context.db.insert(portfolio).values({
    chainId: context.chain.id,
    portfolioId,
    manager: event.log.address,
    owner,
    baseToken: assets[0]!,
    assets: [...assets],
    pools: [...pools],
    targetWeightsBps: [...targetWeightsBps],
    holdings: assets.map(() => 0n),
    driftBandBps: limits.driftBandBps,
    maxLossPerTradeBps: limits.maxLossPerTradeBps,
    lossBudgetPpm: BigInt(limits.lossBudgetPpm),
    lossWindow: BigInt(limits.lossWindow),
    maxChunkBps: limits.maxChunkBps,
    lossUsedPpm: 0n,
    lossUpdatedAt: event.block.timestamp,
    lossUsedNowPpm: 0n,
    tradeCount: 0,
    rebalanceCount: 0,
    stopCount: 0,
    lossPpmTotal: 0n,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    updatedBlock: event.block.number,
    updatedTimestamp: event.block.timestamp,
  });
  await refresh(context, event, portfolioId);
});

ponder.on("AgentPortfolioManager:TargetsSet", async ({ event, context }) => {
  await refresh(context, event, event.args.portfolioId);
});

ponder.on("AgentPortfolioManager:RiskLimitsSet", async ({ event, context }) => {
  await refresh(context, event, event.args.portfolioId);
});

ponder.on("AgentPortfolioManager:Deposited", async ({ event, context }) => {
  const { portfolioId, token, from, amount } = event.args;
  await context.db
    .insert(portfolioFlow)
    .values({ ...logKey(context, event), portfolioId, kind: "deposit", token, account: from, amount });
  await refresh(context, event, portfolioId);
});

ponder.on("AgentPortfolioManager:Withdrawn", async ({ event, context }) => {
  const { portfolioId, token, to, amount } = event.args;
  await context.db
    .insert(portfolioFlow)
    .values({ ...logKey(context, event), portfolioId, kind: "withdraw", token, account: to, amount });
  await refresh(context, event, portfolioId);
});

ponder.on("AgentPortfolioManager:Traded", async ({ event, context }) => {
  const { portfolioId, kind, caller, tokenIn, tokenOut, amountIn, amountOut, oracleAmountOut, lossPpm } =
    event.args;
  const kindName = TRADE_KINDS[kind];
  if (kindName === undefined)
    throw new Error(`Traded with unknown TradeKind ${kind} (portfolio ${portfolioId})`);
  await context.db.insert(portfolioTrade).values({
    ...logKey(context, event),
    portfolioId,
    kind: kindName,
    caller,
    tokenIn,
    tokenOut,
    amountIn,
    amountOut,
    oracleAmountOut,
    lossBps: lossBps(amountOut, oracleAmountOut),
    lossPpm,
  });
  await refresh(context, event, portfolioId, (row) => ({
    tradeCount: row.tradeCount + 1,
    lossPpmTotal: row.lossPpmTotal + lossPpm,
  }));
});

ponder.on("AgentPortfolioManager:Rebalanced", async ({ event, context }) => {
  const { portfolioId, caller, maxDriftBps, valueBefore } = event.args;
  await context.db
    .insert(portfolioRebalance)
    .values({ ...logKey(context, event), portfolioId, caller, maxDriftBps, valueBefore });
  await refresh(context, event, portfolioId, (row) => ({ rebalanceCount: row.rebalanceCount + 1 }));
});

ponder.on("AgentPortfolioManager:StopOrderSet", async ({ event, context }) => {
  const { portfolioId, asset, stopLossPrice, takeProfitPrice } = event.args;
  await context.db.insert(portfolioStop).values({
    ...logKey(context, event),
    portfolioId,
    asset,
    kind: "set",
    stopLossPrice,
    takeProfitPrice,
    price: null,
    stopLoss: null,
  });
  const order = { stopLossPrice, takeProfitPrice, updatedBlock: event.block.number };
  await context.db
    .insert(portfolioStopOrder)
    .values({ chainId: context.chain.id, portfolioId, asset, triggerCount: 0, ...order })
    .onConflictDoUpdate(order);
  await refresh(context, event, portfolioId);
});

ponder.on("AgentPortfolioManager:StopTriggered", async ({ event, context }) => {
  const { portfolioId, asset, price, stopLoss } = event.args;
  await context.db.insert(portfolioStop).values({
    ...logKey(context, event),
    portfolioId,
    asset,
    kind: "triggered",
    stopLossPrice: null,
    takeProfitPrice: null,
    price,
    stopLoss,
  });
  // What a fired order leaves standing is the contract's choice: read it back.
  const standing = await context.client.readContract({
    address: event.log.address,
    abi: agentPortfolioManagerAbi,
    functionName: "stopOrderOf",
    args: [portfolioId, asset],
    blockNumber: event.block.number,
  });
  const order = {
    stopLossPrice: standing.stopLossPrice,
    takeProfitPrice: standing.takeProfitPrice,
    updatedBlock: event.block.number,
  };
  await context.db
    .insert(portfolioStopOrder)
    .values({ chainId: context.chain.id, portfolioId, asset, triggerCount: 1, ...order })
    .onConflictDoUpdate((row) => ({ ...order, triggerCount: row.triggerCount + 1 }));
  await refresh(context, event, portfolioId, (row) => ({ stopCount: row.stopCount + 1 }));
});

async function setPaused(context: Context, event: PortfolioEvent, paused: boolean) {
  const values = { paused, updatedBlock: event.block.number, updatedTimestamp: event.block.timestamp };
  await context.db
    .insert(portfolioManagerConfig)
    .values({ chainId: context.chain.id, address: event.log.address, ...values })
    .onConflictDoUpdate(values);
}

ponder.on("AgentPortfolioManager:Paused", async ({ event, context }) => setPaused(context, event, true));
ponder.on("AgentPortfolioManager:Unpaused", async ({ event, context }) => setPaused(context, event, false));
