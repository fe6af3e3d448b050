/**
 * Scenario steps for agent portfolios and the price oracle, shared by the end-to-end tests and the demo: warm the
 * oracle over a full window, open portfolios with random targets funded at the oracle's prices, and move AMM
 * prices by a chosen factor.
 */
import { maxUint256, parseEventLogs, type Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import {
  agentPortfolioManagerAbi,
  aiServiceAmmAbi,
  aiServiceTokenAbi,
  computePriceOracleAbi,
} from "../../generated/abis.js";
import { travel } from "./governance.js";
import { send, sendBatch, units, type Market, type ScenarioContext } from "./scenario.js";

/** Oracle settings for local chains: a 10-minute window of 1-minute periods, so a scenario can cross it quickly. */
export const localOracleSettings = {
  ORACLE_WINDOW: "600",
  ORACLE_PERIOD: "60",
  ORACLE_MAX_MOVE_BPS: "5000",
  ORACLE_MAX_POOL_IDLE: "0",
} as const;

export const oracle = (ctx: ScenarioContext) => ({
  address: ctx.deployment.contracts.ComputePriceOracle,
  abi: computePriceOracleAbi,
});
export const portfolioManager = (ctx: ScenarioContext) => ({
  address: ctx.deployment.contracts.AgentPortfolioManager,
  abi: agentPortfolioManagerAbi,
});

/**
 * `oracle.recordMany(poolIds)` with room for every pool to write a fresh observation: estimated in a period already
 * recorded, a record costs little, but the block it lands in may open a new period (≈ 100k a pool, 160k the first).
 */
export const recordCall = (ctx: ScenarioContext, poolIds: bigint[]) => ({
  ...oracle(ctx),
  functionName: "recordMany",
  args: [poolIds],
  gas: 60_000n + 180_000n * BigInt(poolIds.length),
});

/** The portfolio markets: every seeded pool that pairs an asset with AITBC. */
export function aitbcMarkets(markets: Market[]): Market[] {
  return markets.filter((market) => market.quote === "AITBC");
}

/**
 * Records the oracle for a full window (plus one period), moving the clock half a period at a time: a whole period
 * plus the next block's own second could skip a period's slot, and the oracle fails closed on such a gap.
 */
export async function warmOracle(
  ctx: ScenarioContext,
  poolIds: bigint[],
  recorder = ctx.deployer,
): Promise<void> {
  const [window, period] = await Promise.all([
    ctx.publicClient.readContract({ ...oracle(ctx), functionName: "window" }),
    ctx.publicClient.readContract({ ...oracle(ctx), functionName: "period" }),
  ]);
  for (let i = 0; i <= (2 * window) / period; i++) {
    await send(ctx, recorder, recordCall(ctx, poolIds));
    await travel(ctx, period / 2);
  }
  await send(ctx, recorder, recordCall(ctx, poolIds));
}

export type RiskLimits = {
  driftBandBps: number;
  maxLossPerTradeBps: number;
  lossBudgetPpm: number;
  lossWindow: number;
  maxChunkBps: number;
};

/** 5 % drift band, 50 bps per trade, 2 % of the value per 7 days, chunks of at most 10 % of the value. */
export const defaultLimits: RiskLimits = {
  driftBandBps: 500,
  maxLossPerTradeBps: 50,
  lossBudgetPpm: 20_000,
  lossWindow: 7 * 86_400,
  maxChunkBps: 1_000,
};

export type OpenedPortfolio = { id: bigint; owner: PrivateKeyAccount; targets: number[] };

/**
 * Each agent opens one AITBC-based portfolio over `markets` (one asset per market) with targets drawn from
 * `random`, and deposits `valueAitbc` worth of its assets at the oracle's prices, so it starts on target.
 */
export async function openPortfolios(
  ctx: ScenarioContext,
  markets: Market[],
  agents: PrivateKeyAccount[],
  random: () => number,
  options: { valueAitbc?: number; limits?: RiskLimits } = {},
): Promise<OpenedPortfolio[]> {
  const manager = portfolioManager(ctx);
  const base = ctx.deployment.contracts.AITBC;
  const assets: Address[] = [base, ...markets.map((market) => ctx.deployment.contracts[market.base])];
  const pools = [0n, ...markets.map((market) => market.poolId)];
  const value = units(options.valueAitbc ?? 10_000);

  await Promise.all(
    agents.map((agent) =>
      sendBatch(
        ctx,
        agent,
        assets.map((token) => ({
          address: token,
          abi: aiServiceTokenAbi,
          functionName: "approve",
          args: [manager.address, maxUint256],
        })),
      ),
    ),
  );

  const opened = await Promise.all(
    agents.map(async (agent) => {
      const targets = randomTargets(assets.length, random);
      const { receipt } = await send(ctx, agent, {
        ...manager,
        functionName: "openPortfolio",
        args: [assets, pools, targets, options.limits ?? defaultLimits],
      });
      const [event] = parseEventLogs({
        abi: agentPortfolioManagerAbi,
        logs: receipt.logs,
        eventName: "PortfolioOpened",
      });
      return { id: event.args.portfolioId, owner: agent, targets };
    }),
  );

  await Promise.all(
    opened.map(async (portfolio) => {
      const deposits = await Promise.all(
        assets.map(async (token, index) => {
          const share = (value * BigInt(portfolio.targets[index])) / 10_000n;
          if (index === 0) return share;
          // What `share` AITBC buys at the time-weighted price.
          const [amount] = await ctx.publicClient.readContract({
            ...oracle(ctx),
            functionName: "consult",
            args: [pools[index], base, share],
          });
          return amount;
        }),
      );
      await sendBatch(
        ctx,
        portfolio.owner,
        assets
          .map((token, index) => ({
            ...manager,
            functionName: "deposit",
            args: [portfolio.id, token, deposits[index]],
          }))
          .filter((_, index) => deposits[index] > 0n),
      );
    }),
  );
  return opened;
}

/** Weights in bps over `count` assets summing to 10,000: the base token 10–40 %, the rest split at random. */
function randomTargets(count: number, random: () => number): number[] {
  const baseWeight = 1_000 + Math.floor(random() * 31) * 100;
  const draws = Array.from({ length: count - 1 }, () => 1 + random());
  const total = draws.reduce((sum, draw) => sum + draw, 0);
  const weights = draws.map((draw) => Math.floor(((10_000 - baseWeight) * draw) / total / 100) * 100);
  const rest = 10_000 - baseWeight - weights.reduce((sum, weight) => sum + weight, 0);
  return [baseWeight + rest, ...weights];
}

/**
 * Moves the AMM price of `market.base` (in its quote token) by `factor` with one swap from `trader`: buying the
 * base token for factor > 1, selling it for factor < 1. Constant product: reaching price p·f takes the quote
 * reserve to y·√f, so the trade is about y(√f − 1) in, before the fee.
 */
export async function movePrice(
  ctx: ScenarioContext,
  trader: PrivateKeyAccount,
  market: Market,
  factor: number,
  deadline: bigint,
): Promise<void> {
  const amm = { address: ctx.deployment.contracts.AIServiceAMM, abi: aiServiceAmmAbi };
  const baseToken = ctx.deployment.contracts[market.base];
  const quoteToken = ctx.deployment.contracts[market.quote];
  const [reserve0, reserve1] = await ctx.publicClient.readContract({
    ...amm,
    functionName: "getReserves",
    args: [market.poolId],
  });
  const baseIsToken0 = market.token0 === baseToken;
  const [baseReserve, quoteReserve] = baseIsToken0 ? [reserve0, reserve1] : [reserve1, reserve0];
  const root = Math.sqrt(factor);
  const [tokenIn, reserveIn, growth] =
    factor >= 1 ? [quoteToken, quoteReserve, root - 1] : [baseToken, baseReserve, 1 / root - 1];
  const amountIn = (reserveIn * BigInt(Math.round(growth * 1e9))) / 1_000_000_000n;
  if (amountIn === 0n) return;
  await send(ctx, trader, {
    ...amm,
    functionName: "swapExactInputSingle",
    args: [market.poolId, tokenIn, amountIn, 0n, trader.address, deadline],
  });
}

/** The chain's latest block timestamp plus `seconds`: deadlines that survive time travel. */
export async function chainDeadline(ctx: ScenarioContext, seconds = 3_600): Promise<bigint> {
  return (await ctx.publicClient.getBlock()).timestamp + BigInt(seconds);
}

export type PortfolioTrade = {
  portfolioId: bigint;
  kind: "Owner" | "Rebalance" | "StopLoss" | "TakeProfit";
  caller: Address;
  blockNumber: bigint;
  transactionHash: `0x${string}`;
  amountIn: bigint;
  amountOut: bigint;
  /** The trade's reference output: the larger of its outputs at the TWAP and at the pre-block spot prices. */
  oracleAmountOut: bigint;
  /** (reference − amount out) / reference, in bps; negative when the trade beat it. */
  lossBps: number;
};

const tradeKinds = ["Owner", "Rebalance", "StopLoss", "TakeProfit"] as const;

/** Every portfolio trade since `fromBlock`, with its loss against its reference output. */
export async function portfolioTrades(ctx: ScenarioContext, fromBlock: bigint): Promise<PortfolioTrade[]> {
  const logs = await ctx.publicClient.getContractEvents({
    ...portfolioManager(ctx),
    eventName: "Traded",
    fromBlock,
    toBlock: "latest",
  });
  return logs.map((log) => {
    const { portfolioId, kind, caller, amountIn, amountOut, oracleAmountOut } = log.args as {
      portfolioId: bigint;
      kind: number;
      caller: Address;
      amountIn: bigint;
      amountOut: bigint;
      oracleAmountOut: bigint;
    };
    const lossBps =
      oracleAmountOut === 0n
        ? 0
        : Number(((oracleAmountOut - amountOut) * 1_000_000n) / oracleAmountOut) / 100;
    return {
      portfolioId,
      kind: tradeKinds[kind],
      caller,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      amountIn,
      amountOut,
      oracleAmountOut,
      lossBps,
    };
  });
}

/**
 * Portfolios (of `ids`) with a weight outside its drift band now: |current − target| > driftBandBps for some asset.
 * (Not `needsRebalance`, which also says false when no trade fits the portfolio's loss limits.)
 */
export async function portfoliosOutOfBand(ctx: ScenarioContext, ids: bigint[]): Promise<bigint[]> {
  const out = await Promise.all(
    ids.map(async (id) => {
      const [weights, portfolio] = await Promise.all([
        ctx.publicClient.readContract({
          ...portfolioManager(ctx),
          functionName: "currentWeights",
          args: [id],
        }),
        ctx.publicClient.readContract({ ...portfolioManager(ctx), functionName: "getPortfolio", args: [id] }),
      ]);
      const band = portfolio.limits.driftBandBps;
      return weights.some((weight, index) => Math.abs(weight - portfolio.targetWeightsBps[index]) > band);
    }),
  );
  return ids.filter((_, index) => out[index]);
}

/**
 * The indexer's latest valuation of a portfolio (its performance route: one point per block with an event of the
 * portfolio, read from the chain at that block), next to the chain's own view at that block; null when none.
 */
export async function indexedPortfolioValue(
  ctx: ScenarioContext,
  indexerUrl: string,
  chainId: number,
  id: bigint,
) {
  const response = await fetch(`${indexerUrl}/portfolios/${chainId}/${id}/performance`);
  if (!response.ok) return null;
  const body = (await response.json()) as { values?: { value: string | null; blockNumber: number }[] };
  const last = body.values?.filter((point) => point.value !== null).at(-1);
  if (!last?.value) return null;
  const blockNumber = BigInt(last.blockNumber);
  const [chainValue] = await ctx.publicClient.readContract({
    ...portfolioManager(ctx),
    functionName: "portfolioValue",
    args: [id],
    blockNumber,
  });
  return { value: BigInt(last.value), blockNumber, chainValue };
}
