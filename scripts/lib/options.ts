/**
 * Scenario steps for AIPowerDerivatives, shared by the keepers' tests, the benchmark and the demo: list a pool in
 * the price source, set its volatility, create a series on the oracle's period grid, open vaults, sell or give
 * options, move time (recording the oracle) and read a vault's health. ABIs from `generated/abis.ts`, addresses
 * from the deployment only.
 */
import { maxUint256, parseEventLogs, type Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import {
  aiPowerDerivativesAbi,
  aiServiceTokenAbi,
  computePriceOracleAbi,
  oracleOptionPriceSourceAbi,
  volatilityFeedAbi,
} from "../../generated/abis.js";
import { travel } from "./governance.js";
import { recordCall } from "./portfolios.js";
import { send, type Market, type ScenarioContext } from "./scenario.js";

export const derivatives = (ctx: ScenarioContext) => ({
  address: ctx.deployment.contracts.AIPowerDerivatives,
  abi: aiPowerDerivativesAbi,
});
export const optionPriceSource = (ctx: ScenarioContext) => ({
  address: ctx.deployment.contracts.OracleOptionPriceSource,
  abi: oracleOptionPriceSourceAbi,
});
const oracleContract = (ctx: ScenarioContext) => ({
  address: ctx.deployment.contracts.ComputePriceOracle,
  abi: computePriceOracleAbi,
});

export type SeriesSpec = {
  market: Market;
  /** Quote (AITBC) per whole underlying unit, wad. */
  strikeWad: bigint;
  /** On the oracle's period grid (see {@link gridExpiry}). */
  expiry: bigint;
  isCall: boolean;
};

/** Lists `poolId` in the price source (idempotent; anyone may). Needed once before its first series. */
export async function listPool(ctx: ScenarioContext, poolId: bigint, from = ctx.deployer): Promise<void> {
  await send(ctx, from, { ...optionPriceSource(ctx), functionName: "listPool", args: [poolId] });
}

/** Sets a pool's volatility (wad, 1e18 = 100 %/year) as the VOLATILITY_KEEPER (the deployer on local chains). */
export async function setVolatility(
  ctx: ScenarioContext,
  poolId: bigint,
  volatilityWad: bigint,
): Promise<void> {
  await send(ctx, ctx.deployer, {
    address: ctx.deployment.contracts.VolatilityFeed,
    abi: volatilityFeedAbi,
    functionName: "setVolatility",
    args: [poolId, volatilityWad],
  });
}

export async function oraclePeriod(ctx: ScenarioContext): Promise<bigint> {
  return BigInt(await ctx.publicClient.readContract({ ...oracleContract(ctx), functionName: "period" }));
}

/** The first expiry on the oracle's period grid at least `seconds` after the latest block. */
export async function gridExpiry(ctx: ScenarioContext, seconds: number): Promise<bigint> {
  const [period, block] = await Promise.all([oraclePeriod(ctx), ctx.publicClient.getBlock()]);
  const earliest = block.timestamp + BigInt(seconds);
  return ((earliest + period - 1n) / period) * period;
}

/** Creates a series as the OPTIONS_LISTER (the deployer on local chains); its pool must be listed. */
export async function createSeries(ctx: ScenarioContext, spec: SeriesSpec): Promise<bigint> {
  const { receipt } = await send(ctx, ctx.deployer, {
    ...derivatives(ctx),
    functionName: "createSeries",
    args: [
      {
        underlyingPoolId: spec.market.poolId,
        underlying: ctx.deployment.contracts[spec.market.base],
        quote: ctx.deployment.contracts[spec.market.quote],
        strikeWad: spec.strikeWad,
        expiry: Number(spec.expiry),
        isCall: spec.isCall,
      },
    ],
  });
  const [event] = parseEventLogs({
    abi: aiPowerDerivativesAbi,
    logs: receipt.logs,
    eventName: "SeriesCreated",
  });
  return event.args.seriesId;
}

/** The collateral token of a series (the underlying for a call, the quote for a put). */
export async function collateralOf(ctx: ScenarioContext, seriesId: bigint): Promise<Address> {
  const series = await ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "getSeries",
    args: [seriesId],
  });
  return series.collateral;
}

/** The collateral `amount` options need now (full or margined). */
export async function requirement(
  ctx: ScenarioContext,
  seriesId: bigint,
  amount: bigint,
  margined: boolean,
): Promise<bigint> {
  return ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "requirement",
    args: [seriesId, amount, margined],
  });
}

/**
 * `writer` approves the series' collateral, opens a vault with `collateral` (default: the requirement now, times
 * `cushion`) and mints `amount` options to itself. Returns the vault id.
 */
export async function openVault(
  ctx: ScenarioContext,
  writer: PrivateKeyAccount,
  options: { seriesId: bigint; amount: bigint; margined: boolean; collateral?: bigint; cushion?: number },
): Promise<bigint> {
  const { seriesId, amount, margined } = options;
  const token = await collateralOf(ctx, seriesId);
  const collateral =
    options.collateral ??
    ((await requirement(ctx, seriesId, amount, margined)) *
      BigInt(Math.round((options.cushion ?? 1) * 1e6))) /
      1_000_000n;
  await send(ctx, writer, {
    address: token,
    abi: aiServiceTokenAbi,
    functionName: "approve",
    args: [derivatives(ctx).address, maxUint256],
  });
  const { receipt } = await send(ctx, writer, {
    ...derivatives(ctx),
    functionName: "openVault",
    args: [seriesId, margined, collateral, amount],
  });
  const [event] = parseEventLogs({
    abi: aiPowerDerivativesAbi,
    logs: receipt.logs,
    eventName: "VaultOpened",
  });
  return event.args.vaultId;
}

/** ERC-6909 transfer of `amount` options of a series. */
export async function transferOptions(
  ctx: ScenarioContext,
  from: PrivateKeyAccount,
  to: Address,
  seriesId: bigint,
  amount: bigint,
): Promise<void> {
  await send(ctx, from, { ...derivatives(ctx), functionName: "transfer", args: [to, seriesId, amount] });
}

/** `writer` offers `amount` options for `premium` AITBC (createOption); `buyer` takes the offer. Returns its id. */
export async function sellOptions(
  ctx: ScenarioContext,
  writer: PrivateKeyAccount,
  buyer: PrivateKeyAccount,
  options: { seriesId: bigint; amount: bigint; premium: bigint; validFor?: number },
): Promise<bigint> {
  const block = await ctx.publicClient.getBlock();
  const series = await ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "getSeries",
    args: [options.seriesId],
  });
  const validUntil = block.timestamp + BigInt(options.validFor ?? 60);
  const { receipt } = await send(ctx, writer, {
    ...derivatives(ctx),
    functionName: "createOption",
    args: [
      options.seriesId,
      options.amount,
      options.premium,
      validUntil < BigInt(series.expiry) ? validUntil : BigInt(series.expiry) - 1n,
    ],
  });
  const [event] = parseEventLogs({
    abi: aiPowerDerivativesAbi,
    logs: receipt.logs,
    eventName: "OfferCreated",
  });
  const offerId = event.args.offerId;
  await send(ctx, buyer, {
    address: series.quote,
    abi: aiServiceTokenAbi,
    functionName: "approve",
    args: [derivatives(ctx).address, maxUint256],
  });
  await send(ctx, buyer, {
    ...derivatives(ctx),
    functionName: "takeOffer",
    args: [offerId, options.premium, block.timestamp + 3_600n],
  });
  return offerId;
}

export type VaultHealth = { collateral: bigint; required: bigint; liquidatable: boolean };

/** `vaultHealth(vaultId)` now, or at `blockNumber`. */
export async function vaultHealth(
  ctx: ScenarioContext,
  vaultId: bigint,
  blockNumber?: bigint,
): Promise<VaultHealth> {
  const [collateral, required, liquidatable] = await ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "vaultHealth",
    args: [vaultId],
    blockNumber,
  });
  return { collateral, required, liquidatable };
}

export async function optionBalance(
  ctx: ScenarioContext,
  holder: Address,
  seriesId: bigint,
): Promise<bigint> {
  return ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "balanceOf",
    args: [holder, seriesId],
  });
}

/**
 * Moves the clock forward by `seconds`, recording the oracle for `poolIds` at every step, each step under half a
 * period (a step of a whole period could skip a period's slot; the oracle fails closed on a gap). `afterStep` runs
 * after each mined step (a benchmark waits for a keeper there).
 */
export async function advance(
  ctx: ScenarioContext,
  poolIds: bigint[],
  seconds: bigint,
  options: { recorder?: PrivateKeyAccount; afterStep?: () => Promise<void> } = {},
): Promise<void> {
  const half = (await oraclePeriod(ctx)) / 2n;
  const end = (await ctx.publicClient.getBlock()).timestamp + seconds;
  for (;;) {
    await send(ctx, options.recorder ?? ctx.deployer, recordCall(ctx, poolIds));
    await options.afterStep?.();
    const now = (await ctx.publicClient.getBlock()).timestamp;
    if (now >= end) return;
    await travel(ctx, end - now < half ? end - now : half);
    await options.afterStep?.();
  }
}

/**
 * Travels to a series' expiry recording its pool's oracle on the way, so that the chain's next block is the first
 * at or after expiry (the period in which the settlement price is finalized on time).
 */
export async function expire(ctx: ScenarioContext, seriesId: bigint, recorder = ctx.deployer): Promise<void> {
  const series = await ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "getSeries",
    args: [seriesId],
  });
  const now = (await ctx.publicClient.getBlock()).timestamp;
  if (now >= BigInt(series.expiry)) return;
  // Stop one second short: the next mined block (whoever sends it) is at or after expiry.
  await advance(ctx, [series.underlyingPoolId], BigInt(series.expiry) - now - 1n, { recorder });
}

/** Fixes the series' settlement price through the price source (anyone may, at or after expiry). */
export async function finalizeSettlement(
  ctx: ScenarioContext,
  seriesId: bigint,
  from = ctx.deployer,
): Promise<void> {
  const series = await ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "getSeries",
    args: [seriesId],
  });
  await send(ctx, from, {
    ...optionPriceSource(ctx),
    functionName: "finalizeSettlement",
    args: [series.underlyingPoolId, BigInt(series.expiry)],
    gas: 400_000n,
  });
}
