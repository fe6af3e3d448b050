/**
 * Options end to end on a real anvil (1 s blocks) with a real Ponder and both option keepers as real processes: a
 * writer sells a GPU-hour put (strike 2.5 AITBC, at the money) from a fully collateralized vault and a margined one
 * at its requirement; holders and the liquidator's inventory get options; GPU-hours fall 20 % and the oracle's window
 * follows; the liquidator closes the margined vault; the series expires; the expiry keeper, SIGKILLed once after its
 * first settlement and restarted on the same store, settles every vault and pays every holder.
 *
 * Checked: the liquidation is the liquidator's; every vault settled exactly once; every holder paid exactly once and
 * exactly its payoff (⌊amount × (K − S)⌋, S the settlement price), nobody left holding options; the pot keeps what
 * the vaults owed less what was paid; no keeper transaction reverted; the indexer's positions, series and vaults
 * equal the chain's.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { erc20Abi, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startIndexer, type Indexer } from "../indexer/lib/start.js";
import { freePort, startAnvil, type Anvil } from "../scripts/lib/anvil.js";
import { deployProtocol } from "../scripts/lib/deploy.js";
import { anvilKeys } from "../scripts/lib/foundry.js";
import {
  advance,
  createSeries,
  derivatives,
  expire,
  gridExpiry,
  listPool,
  openVault,
  optionBalance,
  setVolatility,
  transferOptions,
} from "../scripts/lib/options.js";
import { chainDeadline, localOracleSettings, movePrice, warmOracle } from "../scripts/lib/portfolios.js";
import { startTsProcess, waitFor, type ManagedProcess } from "../scripts/lib/process.js";
import { indexedBlock } from "../scripts/lib/readModels.js";
import { scenarioContext, seedPools, type Market, type ScenarioContext } from "../scripts/lib/scenario.js";

const CHAIN_ID = 31376;
const e18 = 10n ** 18n;
const STRIKE = (5n * e18) / 2n;
const WRITER_KEY = anvilKeys[1];
const LIQUIDATOR_KEY = anvilKeys[3];
const EXPIRY_KEY = anvilKeys[4];
const LIQUIDATOR = privateKeyToAccount(LIQUIDATOR_KEY).address;
const EXPIRY_KEEPER = privateKeyToAccount(EXPIRY_KEY).address;

let anvil: Anvil;
let ctx: ScenarioContext;
let indexer: Indexer;
let workDir: string;
let gpuh: Market;
let seriesId: bigint;
let fullVault: bigint;
let marginedVault: bigint;
const holders: Address[] = [];
const holderAmounts = [7n * e18, 11n * e18, 2n * e18];
let liquidator: ManagedProcess | undefined;
let expiryKeeper: ManagedProcess | undefined;

function startExpiryKeeper(): ManagedProcess {
  return startTsProcess("keepers/expiry/main.ts", {
    CHAIN_ID: String(CHAIN_ID),
    RPC_URLS: anvil.rpcUrl,
    PRIVATE_KEY: EXPIRY_KEY,
    DB_PATH: path.join(workDir, "expiry.sqlite"),
    HTTP_PORT: "0",
    POLLING_INTERVAL_MS: "250",
  });
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "aitbc-options-e2e-"));
  anvil = await startAnvil({ chainId: CHAIN_ID, blockTime: 1 });
  const deployment = await deployProtocol(anvil.rpcUrl, {
    ...localOracleSettings,
    VOLATILITY_MAX_STEP: String(5n * e18),
    VOLATILITY_MIN_INTERVAL: "0",
  });
  ctx = scenarioContext(deployment, anvil.rpcUrl, anvilKeys[0], [WRITER_KEY, LIQUIDATOR_KEY, EXPIRY_KEY]);
  const writer = ctx.agents[0];
  gpuh = (await seedPools(ctx)).find((market) => market.base === "GPUH" && market.quote === "AITBC")!;
  await warmOracle(ctx, [gpuh.poolId]);
  await listPool(ctx, gpuh.poolId);
  await setVolatility(ctx, gpuh.poolId, (8n * e18) / 10n);
  seriesId = await createSeries(ctx, {
    market: gpuh,
    strikeWad: STRIKE,
    expiry: await gridExpiry(ctx, 1_800),
    isCall: false,
  });
  fullVault = await openVault(ctx, writer, { seriesId, amount: 30n * e18, margined: false });
  marginedVault = await openVault(ctx, writer, {
    seriesId,
    amount: 10n * e18,
    margined: true,
    cushion: 1.001,
  });
  // Three holders (fresh addresses: they never send a transaction), the liquidator's inventory, the writer keeps 10.
  for (const amount of holderAmounts) {
    const holder = privateKeyToAccount(generatePrivateKey()).address;
    holders.push(holder);
    await transferOptions(ctx, writer, holder, seriesId, amount);
  }
  await transferOptions(ctx, writer, LIQUIDATOR, seriesId, 10n * e18);
  indexer = await startIndexer({
    chainIds: [CHAIN_ID],
    rpcUrls: { [CHAIN_ID]: anvil.rpcUrl },
    schema: "options_e2e",
    pgliteDir: path.join(workDir, "pglite"),
  });
}, 600_000);

afterAll(async () => {
  await liquidator?.stop().catch(() => undefined);
  await expiryKeeper?.stop().catch(() => undefined);
  await indexer?.stop().catch(() => undefined);
  await anvil?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const liquidatedSince = (fromBlock: bigint) =>
  ctx.publicClient.getContractEvents({ ...derivatives(ctx), eventName: "VaultLiquidated", fromBlock });
const settledSince = (fromBlock: bigint) =>
  ctx.publicClient.getContractEvents({ ...derivatives(ctx), eventName: "VaultSettled", fromBlock });
const exercisedSince = (fromBlock: bigint) =>
  ctx.publicClient.getContractEvents({ ...derivatives(ctx), eventName: "OptionsExercised", fromBlock });

async function graphql<T>(query: string): Promise<T> {
  const response = await fetch(`${indexer.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (response.status !== 200 || body.errors)
    throw new Error(`GraphQL: ${JSON.stringify(body.errors ?? body)}`);
  return body.data!;
}

describe("options end to end", () => {
  test("the price falls, the liquidator closes the margined vault; at expiry the expiry keeper, SIGKILLed once, settles and pays everyone once", async () => {
    const fromBlock = await ctx.publicClient.getBlockNumber();
    liquidator = startTsProcess("keepers/liquidator/main.ts", {
      CHAIN_ID: String(CHAIN_ID),
      RPC_URLS: anvil.rpcUrl,
      PRIVATE_KEY: LIQUIDATOR_KEY,
      DB_PATH: path.join(workDir, "liquidator.sqlite"),
      HTTP_PORT: String(await freePort()),
      POLLING_INTERVAL_MS: "250",
      NATIVE_PRICES: `${ctx.deployment.contracts.AITBC}=100`,
    });
    expiryKeeper = startExpiryKeeper();

    // GPU-hours fall 20 %; the oracle's window follows half a period at a time until the liquidator has acted.
    await movePrice(ctx, ctx.deployer, gpuh, 0.8, await chainDeadline(ctx));
    let liquidations = await liquidatedSince(fromBlock);
    for (let step = 0; step < 12 && liquidations.length === 0; step++) {
      await advance(ctx, [gpuh.poolId], 120n, { afterStep: () => new Promise((r) => setTimeout(r, 1_500)) });
      liquidations = await liquidatedSince(fromBlock);
    }
    expect(liquidations.length, liquidator.output().slice(-3000)).toBeGreaterThan(0);
    for (const liquidation of liquidations) {
      expect(liquidation.args.vaultId).toBe(marginedVault);
      expect(liquidation.args.liquidator).toBe(LIQUIDATOR);
    }

    // Expiry: the keeper settles; SIGKILLed after its first settlement, restarted on the same store.
    const expiryBlock = await ctx.publicClient.getBlockNumber();
    await expire(ctx, seriesId);
    await waitFor(
      "the expiry keeper's first settlement",
      async () => ((await settledSince(expiryBlock)).length > 0 ? true : undefined),
      120_000,
      250,
    );
    await expiryKeeper.kill();
    expiryKeeper = startExpiryKeeper();
    const everyone: Address[] = [...holders, ctx.agents[0].address, LIQUIDATOR];
    await waitFor(
      "every option exercised",
      async () =>
        (await Promise.all(everyone.map((account) => optionBalance(ctx, account, seriesId)))).every(
          (b) => b === 0n,
        )
          ? true
          : undefined,
      180_000,
      500,
    ).catch(() => {
      throw new Error(`options left unexercised\n${expiryKeeper?.output().slice(-4000)}`);
    });
    await expiryKeeper.stop();
    await liquidator.stop();
    const head = await ctx.publicClient.getBlockNumber();

    // Every vault settled once; every holder paid once, exactly its payoff.
    const settled = await settledSince(expiryBlock);
    expect(settled.map((e) => e.args.vaultId).sort()).toEqual([fullVault, marginedVault].sort());
    const series = await ctx.publicClient.readContract({
      ...derivatives(ctx),
      functionName: "getSeries",
      args: [seriesId],
    });
    expect(series.settlementWad).toBeLessThan(STRIKE);
    const payoff = STRIKE - series.settlementWad;
    const exercised = await exercisedSince(expiryBlock);
    const byHolder = new Map<string, number>();
    let paid = 0n;
    for (const exercise of exercised) {
      const holder = exercise.args.holder!;
      byHolder.set(holder, (byHolder.get(holder) ?? 0) + 1);
      expect(exercise.args.to).toBe(holder);
      expect(exercise.args.payout).toBe((exercise.args.amount! * payoff) / e18);
      paid += exercise.args.payout!;
    }
    expect(Math.max(...byHolder.values())).toBe(1);
    for (const [index, holder] of holders.entries()) {
      expect(byHolder.get(holder)).toBe(1);
      const received = await ctx.publicClient.readContract({
        address: ctx.deployment.contracts.AITBC,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [holder],
      });
      expect(received).toBe((holderAmounts[index] * payoff) / e18);
    }
    const owed = settled.reduce((sum, e) => sum + e.args.owed!, 0n);
    expect(series.pot).toBe(owed - paid);

    // No keeper transaction reverted.
    const reverted: Hex[] = [];
    for (let block = fromBlock; block <= head; block++) {
      const { transactions } = await ctx.publicClient.getBlock({
        blockNumber: block,
        includeTransactions: true,
      });
      for (const transaction of transactions) {
        const from = transaction.from.toLowerCase();
        if (from !== LIQUIDATOR.toLowerCase() && from !== EXPIRY_KEEPER.toLowerCase()) continue;
        const receipt = await ctx.publicClient.getTransactionReceipt({ hash: transaction.hash });
        if (receipt.status !== "success") reverted.push(transaction.hash);
      }
    }
    expect(reverted).toEqual([]);

    // The indexer's positions, series and vaults equal the chain's.
    await waitFor(
      "the indexer to reach the chain head",
      async () => {
        const indexed = await indexedBlock(indexer.url, CHAIN_ID);
        return indexed !== undefined && indexed >= head ? true : undefined;
      },
      120_000,
    );
    const { optionPositions } = await graphql<{
      optionPositions: { items: { account: string; seriesId: string; balance: string }[] };
    }>(
      `{ optionPositions(where: { chainId: ${CHAIN_ID} }, limit: 1000) { items { account seriesId balance } } }`,
    );
    const indexedAccounts = new Set(optionPositions.items.map((p) => p.account.toLowerCase()));
    for (const account of everyone) expect(indexedAccounts.has(account.toLowerCase()), account).toBe(true);
    for (const position of optionPositions.items) {
      const chainBalance = await optionBalance(ctx, position.account as Address, BigInt(position.seriesId));
      expect(BigInt(position.balance), position.account).toBe(chainBalance);
    }
    const { optionSeriess } = await graphql<{
      optionSeriess: {
        items: { seriesId: string; totalShort: string; pot: string; settlementWad: string }[];
      };
    }>(
      `{ optionSeriess(where: { chainId: ${CHAIN_ID} }) { items { seriesId totalShort pot settlementWad } } }`,
    );
    const row = optionSeriess.items.find((item) => BigInt(item.seriesId) === seriesId)!;
    expect(BigInt(row.totalShort)).toBe(series.totalShort);
    expect(BigInt(row.pot)).toBe(series.pot);
    expect(BigInt(row.settlementWad)).toBe(series.settlementWad);
  }, 900_000);
});
