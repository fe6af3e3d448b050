/**
 * The demo's options act: a writer lists nothing itself (the deployer holds OPTIONS_LISTER and VOLATILITY_KEEPER on
 * a local chain) but writes a GPU-hour put struck at the money from a fully collateralized vault and a margined one
 * at its requirement; a buyer takes an offer, two holders are given options and the liquidator's account an
 * inventory; the liquidator and expiry keepers start as processes; GPU-hours fall 20 % and the oracle's window
 * follows until the liquidator closes the margined vault; the series expires and the expiry keeper settles both
 * vaults and pays every holder. Every step is reported with its block.
 */
import path from "node:path";
import { erc20Abi, parseEther, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { freePort } from "./anvil.js";
import { anvilKeys } from "./foundry.js";
import {
  advance,
  createSeries,
  derivatives,
  expire,
  gridExpiry,
  listPool,
  openVault,
  optionBalance,
  optionPriceSource,
  sellOptions,
  setVolatility,
  transferOptions,
} from "./options.js";
import { chainDeadline, movePrice, warmOracle } from "./portfolios.js";
import { startTsProcess, waitFor, type ManagedProcess } from "./process.js";
import { send, type Market, type ScenarioContext } from "./scenario.js";

const e18 = 10n ** 18n;

export type OptionsStep = { block: bigint; step: string; detail: string };
export type OptionsResult = { steps: OptionsStep[]; allPaid: boolean };

const wad = (value: bigint, digits = 4) => (Number(value) / 1e18).toFixed(digits);

export async function runOptions(options: {
  ctx: ScenarioContext;
  gpuh: Market;
  chainId: number;
  demoDir: string;
  step: (message: string) => void;
  onStart: (process: ManagedProcess) => void;
}): Promise<OptionsResult> {
  const { ctx, gpuh, step } = options;
  const steps: OptionsStep[] = [];
  const head = () => ctx.publicClient.getBlockNumber();
  const note = async (name: string, detail: string) =>
    steps.push({ block: await head(), step: name, detail });
  // Keys of this chain's spare dev accounts (the bridge's validators sign on the bridge's own chains).
  const writer = privateKeyToAccount(anvilKeys[6]);
  const buyer = privateKeyToAccount(anvilKeys[7]);
  const liquidatorKey = anvilKeys[4];
  const expiryKey = anvilKeys[5];
  const liquidator = privateKeyToAccount(liquidatorKey).address;
  // Gas money for the four accounts (earlier acts may have spent theirs; a local chain sets balances directly).
  for (const address of [writer.address, buyer.address, liquidator, privateKeyToAccount(expiryKey).address]) {
    await (ctx.publicClient.request as (args: { method: string; params: unknown[] }) => Promise<unknown>)({
      method: "anvil_setBalance",
      params: [address, "0x3635c9adc5dea00000"], // 1,000 ETH
    });
  }
  for (const account of [writer, buyer]) {
    await send(ctx, ctx.deployer, {
      address: ctx.deployment.contracts.AITBC,
      abi: erc20Abi,
      functionName: "transfer",
      args: [account.address, parseEther("20000")],
    });
  }

  step("options: list GPUH/AITBC, set its volatility, write a put struck at the money");
  await warmOracle(ctx, [gpuh.poolId]);
  await listPool(ctx, gpuh.poolId);
  await setVolatility(ctx, gpuh.poolId, (8n * e18) / 10n);
  const strike = await ctx.publicClient.readContract({
    ...optionPriceSource(ctx),
    functionName: "indexPriceWad",
    args: [gpuh.poolId],
  });
  const seriesId = await createSeries(ctx, {
    market: gpuh,
    strikeWad: strike,
    expiry: await gridExpiry(ctx, 1_800),
    isCall: false,
  });
  const premium = await ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "calculatePremium",
    args: [seriesId],
  });
  await note(
    "series listed",
    `put #${seriesId} on GPUH, strike ${wad(strike)} AITBC, 30 min; Black–Scholes premium ${wad(premium)} AITBC`,
  );
  const fullVault = await openVault(ctx, writer, { seriesId, amount: 30n * e18, margined: false });
  await note("vault (full)", `vault ${fullVault}: 30 puts, ${wad(30n * strike)} AITBC locked`);
  const marginedVault = await openVault(ctx, writer, {
    seriesId,
    amount: 10n * e18,
    margined: true,
    cushion: 1.001,
  });
  await note("vault (margined)", `vault ${marginedVault}: 10 puts at its stress requirement`);
  const offerPremium = (premium * 4n * 102n) / 100n;
  await sellOptions(ctx, writer, buyer, { seriesId, amount: 4n * e18, premium: offerPremium });
  await note("offer taken", `4 puts bought for ${wad(offerPremium, 2)} AITBC (premium + 2 %)`);
  const holders: Address[] = [buyer.address];
  for (const amount of [7n * e18, 9n * e18]) {
    const holder = privateKeyToAccount(generatePrivateKey()).address;
    holders.push(holder);
    await transferOptions(ctx, writer, holder, seriesId, amount);
  }
  await transferOptions(ctx, writer, liquidator, seriesId, 10n * e18);
  await note("options given", "7 and 9 puts to two holders, 10 to the liquidator's inventory");

  step("options: start the liquidator and the expiry keeper");
  const rpcUrl = ctx.chain.rpcUrls.default.http[0]!;
  const liquidatorProcess = startTsProcess("keepers/liquidator/main.ts", {
    CHAIN_ID: String(options.chainId),
    RPC_URLS: rpcUrl,
    PRIVATE_KEY: liquidatorKey,
    DB_PATH: path.join(options.demoDir, "liquidator.sqlite"),
    HTTP_PORT: String(await freePort()),
    POLLING_INTERVAL_MS: "250",
    NATIVE_PRICES: `${ctx.deployment.contracts.AITBC}=100`,
  });
  options.onStart(liquidatorProcess);
  const expiryProcess = startTsProcess("keepers/expiry/main.ts", {
    CHAIN_ID: String(options.chainId),
    RPC_URLS: rpcUrl,
    PRIVATE_KEY: expiryKey,
    DB_PATH: path.join(options.demoDir, "expiry.sqlite"),
    HTTP_PORT: String(await freePort()),
    POLLING_INTERVAL_MS: "250",
  });
  options.onStart(expiryProcess);

  step("options: GPU-hours fall 20 %; the oracle's window follows until the liquidator acts");
  const fromBlock = await head();
  await movePrice(ctx, ctx.deployer, gpuh, 0.8, await chainDeadline(ctx));
  await note("price falls", "GPUH −20 % on the AMM (spot); the time-weighted index follows period by period");
  const liquidated = () =>
    ctx.publicClient.getContractEvents({ ...derivatives(ctx), eventName: "VaultLiquidated", fromBlock });
  let liquidations = await liquidated();
  for (let i = 0; i < 12 && liquidations.length === 0; i++) {
    await advance(ctx, [gpuh.poolId], 120n, { afterStep: () => new Promise((r) => setTimeout(r, 1_500)) });
    liquidations = await liquidated();
  }
  for (const event of liquidations) {
    steps.push({
      block: event.blockNumber,
      step: "liquidated",
      detail: `vault ${event.args.vaultId} by the liquidator: ${wad(event.args.amount!, 0)} puts burned for ${wad(event.args.collateralPaid!, 2)} AITBC`,
    });
  }

  step("options: the series expires; the expiry keeper settles and pays");
  const expiryBlock = await head();
  await expire(ctx, seriesId);
  const everyone = [...holders, writer.address, liquidator];
  const allPaid = await waitFor(
    "every option exercised",
    async () =>
      (await Promise.all(everyone.map((a) => optionBalance(ctx, a, seriesId)))).every((b) => b === 0n)
        ? true
        : undefined,
    180_000,
    500,
  ).catch(() => false);
  await liquidatorProcess.stop();
  await expiryProcess.stop();
  const series = await ctx.publicClient.readContract({
    ...derivatives(ctx),
    functionName: "getSeries",
    args: [seriesId],
  });
  const settledEvents = await ctx.publicClient.getContractEvents({
    ...derivatives(ctx),
    eventName: "VaultSettled",
    fromBlock: expiryBlock,
  });
  for (const event of settledEvents) {
    steps.push({
      block: event.blockNumber,
      step: "vault settled",
      detail: `vault ${event.args.vaultId}: ${wad(event.args.owed!, 2)} AITBC to the pot, ${wad(event.args.returned!, 2)} back to the writer (settlement ${wad(series.settlementWad)})`,
    });
  }
  const exercised = await ctx.publicClient.getContractEvents({
    ...derivatives(ctx),
    eventName: "OptionsExercised",
    fromBlock: expiryBlock,
  });
  for (const event of exercised) {
    steps.push({
      block: event.blockNumber,
      step: "holder paid",
      detail: `${event.args.holder!.slice(0, 8)}…: ${wad(event.args.amount!, 0)} puts → ${wad(event.args.payout!, 2)} AITBC`,
    });
  }
  steps.sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
  return { steps, allPaid: allPaid === true };
}

export function printOptionsReport(
  result: OptionsResult,
  table: (headers: string[], rows: (string | number)[][]) => string,
) {
  console.log(
    `\nOptions (a GPU-hour put: written, sold, liquidated, expired, settled and paid by the keepers)`,
  );
  console.log(
    table(
      ["block", "step", "detail"],
      result.steps.map((s) => [s.block.toString(), s.step, s.detail]),
    ),
  );
  console.log(
    result.allPaid
      ? "  every holder was paid by the expiry keeper ✔"
      : "  some options were left unexercised ✘",
  );
}
