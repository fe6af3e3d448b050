// An options scenario and the checks that the indexer's options read models equal AIPowerDerivatives and the
// oracle. On the portfolio market (agents.ts: GPUH and LLMT priced in AITBC, the oracle fed every period) the lister
// lists the GPUH pool with the options' price source and sets its volatility, then creates a put and a call expiring
// in about two hours and a put and a call a day's quarter later. Alice writes puts in a full vault, bob in a margined
// one just above its requirement, carol writes calls in a full vault; alice sells puts to dave through an offer and
// cancels a second one, carol hands dave calls directly (an ERC-6909 transfer). GPUH falls 12 %: once the oracle's
// window has seen it, bob's vault is below its requirement, carol starts its auction and dave liquidates part of it.
// At expiry the settlement price is finalized, every vault settled and the holders exercise. Every expectation is
// read from the chain.
import { zeroAddress, type Abi, type Address } from "viem";
import { expect } from "vitest";
import type { Indexer } from "../lib/start";
import { lower, readAt, startMarket, type Market, type Target } from "./agents";
import { e18, FAR_DEADLINE } from "./protocol";
import { getJson, graphqlQuery, pollUntil, waitForBlock } from "./scenario";

export type OptionsMarket = Market & {
  derivatives: Target;
  priceSource: Target;
  /** The first expiry (the scenario's series 0 and 1 settle there) and the later one (still live at the end). */
  expiry: bigint;
  laterExpiry: bigint;
};

/** Deploys, plays the scenario and returns the market (its chain still running). */
export async function runOptionsScenario(chainId: number): Promise<OptionsMarket> {
  const market = await startMarket(chainId);
  try {
    return await playOptions(market);
  } catch (error) {
    await market.chain.anvil.stop();
    throw error;
  }
}

export async function playOptions(market: Market): Promise<OptionsMarket> {
  const { chain, deployer, alice, bob, carol, dave, tokens, pools, oracle } = market;
  const { abis, deployment } = chain;
  const derivatives = {
    address: deployment.contracts.AIPowerDerivatives,
    abi: abis.aiPowerDerivativesAbi as Abi,
  };
  const priceSource = {
    address: deployment.contracts.OracleOptionPriceSource,
    abi: abis.oracleOptionPriceSourceAbi as Abi,
  };
  const volatilityFeed = { address: deployment.contracts.VolatilityFeed, abi: abis.volatilityFeedAbi as Abi };
  const read = async <T>(target: Target, functionName: string, args: readonly unknown[] = []) =>
    (await chain.client.readContract({ ...target, functionName, args } as never)) as T;

  await chain.sendMany(
    [deployer, alice, bob, carol, dave].flatMap((account) =>
      [tokens.AITBC, tokens.GPUH].map(
        (token) =>
          [account, market.token(token), "approve", [derivatives.address, 2n ** 255n]] as [
            typeof account,
            Target,
            string,
            unknown[],
          ],
      ),
    ),
  );
  await market.warmOracle();
  // The pool is listed before any series on it; the volatility keeper (the deployer locally) sets 80 % a year.
  await chain.send(deployer, priceSource, "listPool", [pools.gpuh]);
  await chain.send(deployer, volatilityFeed, "setVolatility", [pools.gpuh, e18(0.8)]);

  // Expiries on the oracle's period grid, about two hours and eight hours ahead.
  const now = (await chain.client.getBlock()).timestamp;
  const period = BigInt(market.period);
  const expiry = ((now + 7_200n) / period + 1n) * period;
  const laterExpiry = expiry + 6n * 3_600n;
  const seriesCount = await read<bigint>(derivatives, "seriesCount");
  const [put, call] = [seriesCount, seriesCount + 1n];
  const series = (strike: number, at: bigint, isCall: boolean) => ({
    underlyingPoolId: pools.gpuh,
    underlying: tokens.GPUH,
    quote: tokens.AITBC,
    strikeWad: e18(strike),
    expiry: at,
    isCall,
  });
  for (const params of [
    series(1, expiry, false),
    series(1.2, expiry, true),
    series(0.9, laterExpiry, false),
    series(1.1, laterExpiry, true),
    series(1.1, laterExpiry, false),
  ]) {
    await chain.send(deployer, derivatives, "createSeries", [params]);
  }

  // Vaults: alice's full put vault (K per option), bob's margined one 2 % above its requirement, carol's full calls.
  const vaultCount = await read<bigint>(derivatives, "vaultCount");
  const [aliceVault, bobVault] = [vaultCount, vaultCount + 1n];
  const margin = await read<bigint>(derivatives, "requirement", [put, e18(10), true]);
  await chain.send(alice, derivatives, "openVault", [put, false, e18(10), e18(10)]);
  await chain.send(bob, derivatives, "openVault", [put, true, (margin * 102n) / 100n, e18(10)]);
  await chain.send(carol, derivatives, "openVault", [call, false, e18(5), e18(5)]);
  await chain.send(alice, derivatives, "deposit", [aliceVault, e18(1)]);
  await chain.send(alice, derivatives, "withdraw", [aliceVault, e18(0.5), alice.address]);

  // Alice sells 4 puts to dave through an offer and takes back a second offer; carol gives dave 2 calls.
  const offerCount = await read<bigint>(derivatives, "offerCount");
  const validUntil = (await chain.client.getBlock()).timestamp + 3_600n;
  await chain.send(alice, derivatives, "createOption", [put, e18(4), e18(0.2), validUntil]);
  await chain.send(alice, derivatives, "createOption", [put, e18(1), e18(0.1), validUntil]);
  await chain.send(dave, derivatives, "takeOffer", [offerCount, e18(0.2), FAR_DEADLINE]);
  await chain.send(alice, derivatives, "cancelOption", [offerCount + 1n]);
  await chain.send(carol, derivatives, "transfer", [dave.address, call, e18(2)]);
  await chain.send(alice, derivatives, "burn", [aliceVault, e18(1)]);

  // GPUH falls 12 % (one sale into the pool: the GPUH reserve grows by 1/√0.88 − 1); after a window of observations
  // the index has followed it, within the oracle's band at every period.
  const { token0 } = await read<{ token0: Address }>(market.amm, "getPool", [pools.gpuh]);
  const [r0, r1] = await read<[bigint, bigint]>(market.amm, "getReserves", [pools.gpuh]);
  const gpuhReserve = token0 === tokens.GPUH ? r0 : r1;
  const sold = (gpuhReserve * BigInt(Math.round((1 / Math.sqrt(0.88) - 1) * 1e9))) / 1_000_000_000n;
  await chain.send(deployer, market.amm, "swapExactInputSingle", [
    pools.gpuh,
    tokens.GPUH,
    sold,
    0n,
    deployer.address,
    FAR_DEADLINE,
  ]);
  await market.advance(market.window + market.period);
  const [, , liquidatable] = await read<[bigint, bigint, boolean]>(derivatives, "vaultHealth", [bobVault]);
  expect(liquidatable, "bob's margined vault should be under water after the fall").toBe(true);
  await chain.send(carol, derivatives, "startLiquidation", [bobVault]);
  await market.tick();
  await chain.send(dave, derivatives, "liquidate", [bobVault, e18(2)]);
  // Two vaults on the later series stay open to the end: alice's margined calls, dave's full puts.
  const callMargin = await read<bigint>(derivatives, "requirement", [call + 2n, e18(2), true]);
  await chain.send(alice, derivatives, "openVault", [call + 2n, true, (callMargin * 3n) / 2n, e18(2)]);
  await chain.send(dave, derivatives, "openVault", [put + 2n, false, e18(0.9), e18(1)]);

  // Expiry: the oracle keeps being fed up to the period that starts at expiry, where the settlement is finalized.
  while ((await chain.client.getBlock()).timestamp < expiry) await market.tick();
  await chain.send(deployer, oracle, "finalizeSettlement", [pools.gpuh, expiry]);
  for (const vaultId of [aliceVault, bobVault, bobVault + 1n]) {
    await chain.send(deployer, derivatives, "settleVault", [vaultId]);
  }
  await chain.sendMany([
    [dave, derivatives, "exerciseOption", [put, e18(1), dave.address]],
    [dave, derivatives, "exerciseOption", [call, e18(1), dave.address]],
    [alice, derivatives, "exerciseOption", [put, e18(3), carol.address]],
    [bob, derivatives, "exerciseOption", [put, e18(6), bob.address]],
  ]);
  // Fresh observations, so the later series are priced at the indexed head.
  await market.tick();
  return { ...market, derivatives, priceSource, expiry, laterExpiry };
}

// ─── Checks ───────────────────────────────────────────────────────────────────────────────────────────

type Log = {
  eventName: string;
  args: Record<string, any>;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: `0x${string}`;
};

async function derivativesLogs(market: OptionsMarket): Promise<Log[]> {
  const { chain } = market;
  return (await chain.client.getContractEvents({
    address: market.derivatives.address,
    abi: chain.abis.aiPowerDerivativesAbi,
    fromBlock: BigInt(chain.deployment.startBlock),
    toBlock: chain.lastBlock,
  })) as unknown as Log[];
}

export async function waitForOptions(indexer: Indexer, market: OptionsMarket) {
  const { chain } = market;
  await waitForBlock(indexer.url, chain.anvil.chainId, chain.lastBlock, 120_000);
  const count = await chain.client.readContract({ ...market.derivatives, functionName: "seriesCount" });
  await pollUntil(
    () =>
      graphqlQuery(
        indexer.url,
        `{ optionSeriess(where: { chainId: ${chain.anvil.chainId} }) { totalCount } }`,
      ),
    (d) => d.optionSeriess.totalCount === Number(count),
    { what: "option series" },
  );
}

const s = (v: bigint | number) => v.toString();
const q = (indexer: Indexer, body: string) => graphqlQuery(indexer.url, body);

/** Every options row against the contract's views at its block, the oracle, balances and the logs. */
export async function checkOptionsMatchChain(indexer: Indexer, market: OptionsMarket) {
  const { chain, derivatives } = market;
  const chainId = chain.anvil.chainId;
  const logs = await derivativesLogs(market);
  const at = async <T>(target: Target, fn: string, args: readonly unknown[], blockNumber: bigint) =>
    (await chain.client.readContract({ ...target, functionName: fn, args, blockNumber } as never)) as T;

  // Series: getSeries at the row's block and now (nothing has moved them since), the settlement price set.
  const { optionSeriess } = await q(
    indexer,
    `{ optionSeriess(where: { chainId: ${chainId} }, orderBy: "seriesId", limit: 100) { items {
      seriesId derivatives underlyingPoolId underlying quote collateral underlyingDecimals collateralDecimals strikeWad
      expiry isCall totalShort collateralLocked settled settlementWad settledBlock pot badDebt vaultCount updatedBlock } } }`,
  );
  const seriesCount = await at<bigint>(derivatives, "seriesCount", [], chain.lastBlock);
  expect(optionSeriess.items).toHaveLength(Number(seriesCount));
  for (const row of optionSeriess.items) {
    const view = await at<any>(derivatives, "getSeries", [BigInt(row.seriesId)], BigInt(row.updatedBlock));
    const latest = await at<any>(derivatives, "getSeries", [BigInt(row.seriesId)], chain.lastBlock);
    expect(latest, `series ${row.seriesId} moved after its last indexed event`).toEqual(view);
    const setLog = logs.find(
      (l) => l.eventName === "SettlementPriceSet" && l.args.seriesId === BigInt(row.seriesId),
    );
    expect(row, `series ${row.seriesId}`).toEqual({
      seriesId: row.seriesId,
      derivatives: lower(derivatives.address),
      underlyingPoolId: s(view.underlyingPoolId),
      underlying: lower(view.underlying),
      quote: lower(view.quote),
      collateral: lower(view.collateral),
      underlyingDecimals: view.underlyingDecimals,
      collateralDecimals: view.collateralDecimals,
      strikeWad: s(view.strikeWad),
      expiry: s(view.expiry),
      isCall: view.isCall,
      totalShort: s(view.totalShort),
      collateralLocked: s(view.collateralLocked),
      settled: view.settled,
      settlementWad: view.settled ? s(view.settlementWad) : null,
      settledBlock: setLog ? s(setLog.blockNumber) : null,
      pot: s(view.pot),
      badDebt: s(view.badDebt),
      vaultCount: logs.filter(
        (l) => l.eventName === "VaultOpened" && l.args.seriesId === BigInt(row.seriesId),
      ).length,
      updatedBlock: row.updatedBlock,
    });
    if (view.settled) {
      // The series' price is the oracle's settlement, in the price source's wad.
      const [wad, finalized] = await at<[bigint, boolean]>(
        market.priceSource,
        "settlementPriceWad",
        [view.underlyingPoolId, BigInt(view.expiry)],
        chain.lastBlock,
      );
      expect(finalized).toBe(true);
      expect(row.settlementWad).toBe(s(wad));
    }
  }
  expect(optionSeriess.items.filter((r: any) => r.settled)).toHaveLength(2);

  // Settlement prices: the oracle's settlementOf.
  const { settlementPrices } = await q(
    indexer,
    `{ settlementPrices(where: { chainId: ${chainId} }) { items {
      poolId expiry price0X112 price1X112 windowStart windowEnd late } } }`,
  );
  expect(settlementPrices.items).toHaveLength(1);
  const settlement = await at<any>(
    market.oracle,
    "settlementOf",
    [market.pools.gpuh, market.expiry],
    chain.lastBlock,
  );
  expect(settlementPrices.items[0]).toEqual({
    poolId: s(market.pools.gpuh),
    expiry: s(market.expiry),
    price0X112: s(settlement.price0X112),
    price1X112: s(settlement.price1X112),
    windowStart: s(settlement.windowStart),
    windowEnd: s(settlement.windowEnd),
    late: false,
  });

  // Vaults: getVault and vaultHealth at the row's block; settled vaults deleted on chain.
  const { optionVaults } = await q(
    indexer,
    `{ optionVaults(where: { chainId: ${chainId} }, orderBy: "vaultId", limit: 100) { items {
      vaultId seriesId owner margined collateral short auctionStart required liquidatable readError settled
      liquidationCount updatedBlock } } }`,
  );
  const opened = logs.filter((l) => l.eventName === "VaultOpened");
  expect(optionVaults.items).toHaveLength(opened.length);
  for (const [index, row] of optionVaults.items.entries()) {
    const log = opened[index]!;
    const vaultId = BigInt(row.vaultId);
    const block = BigInt(row.updatedBlock);
    const settledLog = logs.find((l) => l.eventName === "VaultSettled" && l.args.vaultId === vaultId);
    const base = {
      vaultId: s(log.args.vaultId),
      seriesId: s(log.args.seriesId),
      owner: lower(log.args.owner),
      margined: log.args.margined,
      liquidationCount: logs.filter((l) => l.eventName === "VaultLiquidated" && l.args.vaultId === vaultId)
        .length,
      updatedBlock: row.updatedBlock,
    };
    if (settledLog) {
      expect(block).toBe(settledLog.blockNumber);
      const gone = await at<any>(derivatives, "getVault", [vaultId], block);
      expect(gone.owner).toBe(zeroAddress);
      expect(row).toEqual({
        ...base,
        collateral: "0",
        short: "0",
        auctionStart: "0",
        required: null,
        liquidatable: null,
        readError: null,
        settled: true,
      });
      continue;
    }
    const vault = await at<any>(derivatives, "getVault", [vaultId], block);
    const health = await readAt<[bigint, bigint, boolean]>(
      market,
      derivatives,
      "vaultHealth",
      [vaultId],
      block,
    );
    expect(row, `vault ${vaultId}`).toEqual({
      ...base,
      collateral: s(vault.collateral),
      short: s(vault.short),
      auctionStart: s(vault.auctionStart),
      required: health.value ? s(health.value[1]) : null,
      liquidatable: health.value ? health.value[2] : null,
      readError: health.value ? null : expect.stringContaining(`vaultHealth: ${health.errorName}(`),
      settled: false,
    });
  }
  // The scenario settles its three first vaults; the two on the later series are live, their health read.
  expect(optionVaults.items.filter((r: any) => r.settled)).toHaveLength(3);
  expect(optionVaults.items.filter((r: any) => r.required !== null)).toHaveLength(2);

  // Positions: one row per account and series that ever held options, each = balanceOf now.
  const transfers = logs.filter((l) => l.eventName === "Transfer");
  const holders = new Map<string, { account: Address; seriesId: bigint }>();
  for (const t of transfers) {
    for (const account of [t.args.sender, t.args.receiver] as Address[]) {
      if (account !== zeroAddress)
        holders.set(`${lower(account)}:${t.args.id}`, { account, seriesId: t.args.id });
    }
  }
  const { optionPositions } = await q(
    indexer,
    `{ optionPositions(where: { chainId: ${chainId} }, limit: 1000) { items { account seriesId balance } } }`,
  );
  const expected = await Promise.all(
    [...holders.values()].map(async ({ account, seriesId }) => ({
      account: lower(account),
      seriesId: s(seriesId),
      balance: s(await at<bigint>(derivatives, "balanceOf", [account, seriesId], chain.lastBlock)),
    })),
  );
  const key = (p: { account: string; seriesId: string }) => `${p.account}:${p.seriesId}`;
  const sortRows = <T extends { account: string; seriesId: string }>(rows: T[]) =>
    [...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  expect(sortRows(optionPositions.items)).toEqual(sortRows(expected));
  expect(expected.some((p) => p.account === lower(derivatives.address))).toBe(true); // offers escrow here

  // Offers and fills, exercises, liquidations and vault settlements: the logs.
  const { optionOffers, optionFills, optionExercises, optionLiquidations, optionVaultSettlements } = await q(
    indexer,
    `{ optionOffers(where: { chainId: ${chainId} }, orderBy: "offerId") { items {
        offerId seriesId maker amount premium validUntil status closedBlock } }
      optionFills(where: { chainId: ${chainId} }) { items { blockNumber logIndex offerId seriesId maker taker amount premium } }
      optionExercises(where: { chainId: ${chainId} }) { items { blockNumber logIndex seriesId holder to amount payout } }
      optionLiquidations(where: { chainId: ${chainId} }) { items {
        blockNumber logIndex vaultId seriesId liquidator amount collateralPaid discountWad } }
      optionVaultSettlements(where: { chainId: ${chainId} }) { items {
        blockNumber logIndex vaultId seriesId owed returned shortfall } } }`,
  );
  const created = logs.filter((l) => l.eventName === "OfferCreated");
  const closed = (offerId: bigint) =>
    logs.find(
      (l) => (l.eventName === "OfferTaken" || l.eventName === "OfferCancelled") && l.args.offerId === offerId,
    );
  expect(optionOffers.items).toEqual(
    created.map((l) => ({
      offerId: s(l.args.offerId),
      seriesId: s(l.args.seriesId),
      maker: lower(l.args.maker),
      amount: s(l.args.amount),
      premium: s(l.args.premium),
      validUntil: s(l.args.validUntil),
      status: !closed(l.args.offerId)
        ? "open"
        : closed(l.args.offerId)!.eventName === "OfferTaken"
          ? "taken"
          : "cancelled",
      closedBlock: closed(l.args.offerId) ? s(closed(l.args.offerId)!.blockNumber) : null,
    })),
  );
  expect(optionOffers.items.map((o: any) => o.status)).toEqual(["taken", "cancelled"]);
  const byLogKey = <T extends { blockNumber: string; logIndex: number }>(rows: T[]) =>
    [...rows].sort((a, b) =>
      a.blockNumber === b.blockNumber
        ? a.logIndex - b.logIndex
        : BigInt(a.blockNumber) < BigInt(b.blockNumber)
          ? -1
          : 1,
    );
  const logFields = (l: Log) => ({ blockNumber: s(l.blockNumber), logIndex: l.logIndex });
  expect(byLogKey(optionFills.items)).toEqual(
    logs
      .filter((l) => l.eventName === "OfferTaken")
      .map((l) => {
        const offer = created.find((c) => c.args.offerId === l.args.offerId)!;
        return {
          ...logFields(l),
          offerId: s(l.args.offerId),
          seriesId: s(offer.args.seriesId),
          maker: lower(offer.args.maker),
          taker: lower(l.args.taker),
          amount: s(l.args.amount),
          premium: s(l.args.premium),
        };
      }),
  );
  const exercised = logs.filter((l) => l.eventName === "OptionsExercised");
  expect(exercised).toHaveLength(4);
  expect(exercised.some((l) => l.args.payout > 0n)).toBe(true); // the puts finished in the money
  expect(byLogKey(optionExercises.items)).toEqual(
    exercised.map((l) => ({
      ...logFields(l),
      seriesId: s(l.args.seriesId),
      holder: lower(l.args.holder),
      to: lower(l.args.to),
      amount: s(l.args.amount),
      payout: s(l.args.payout),
    })),
  );
  const liquidated = logs.filter((l) => l.eventName === "VaultLiquidated");
  expect(liquidated).toHaveLength(1);
  expect(byLogKey(optionLiquidations.items)).toEqual(
    liquidated.map((l) => ({
      ...logFields(l),
      vaultId: s(l.args.vaultId),
      seriesId: optionVaults.items.find((v: any) => v.vaultId === s(l.args.vaultId)).seriesId,
      liquidator: lower(l.args.liquidator),
      amount: s(l.args.amount),
      collateralPaid: s(l.args.collateralPaid),
      discountWad: s(l.args.discountWad),
    })),
  );
  expect(byLogKey(optionVaultSettlements.items)).toEqual(
    logs
      .filter((l) => l.eventName === "VaultSettled")
      .map((l) => {
        const bad = logs.find((b) => b.eventName === "BadDebtRecorded" && b.args.vaultId === l.args.vaultId);
        return {
          ...logFields(l),
          vaultId: s(l.args.vaultId),
          seriesId: s(l.args.seriesId),
          owed: s(l.args.owed),
          returned: s(l.args.returned),
          shortfall: s(bad ? bad.args.shortfall : 0n),
        };
      }),
  );
}

/** "Positions of an account" over GraphQL: dave's rows equal his balances. */
export async function checkPositionsQuery(indexer: Indexer, market: OptionsMarket) {
  const { chain, dave, derivatives } = market;
  const { optionPositions } = await q(
    indexer,
    `{ optionPositions(where: { account: "${lower(dave.address)}", chainId: ${chain.anvil.chainId} },
        orderBy: "seriesId") { items { account seriesId balance updatedBlock } } }`,
  );
  // the puts bought from alice, the calls carol gave him, the later puts he wrote
  expect(optionPositions.items.length).toBe(3);
  for (const row of optionPositions.items) {
    expect(row.account).toBe(lower(dave.address));
    const balance = await chain.client.readContract({
      ...derivatives,
      functionName: "balanceOf",
      args: [dave.address, BigInt(row.seriesId)],
    } as never);
    expect(row.balance).toBe(s(balance as bigint));
  }
}

/** GET /options/:chainId/chain: bad input, an unknown chain, an empty chain, and the live series priced on chain. */
export async function checkOptionChainRoute(indexer: Indexer, market: OptionsMarket) {
  const { chain, derivatives, pools } = market;
  const chainId = chain.anvil.chainId;
  const url = (path: string) => `${indexer.url}${path}`;

  for (const [path, parameter] of [
    [`/options/${chainId}/chain`, "underlyingPoolId"],
    [`/options/${chainId}/chain?underlyingPoolId=-1`, "underlyingPoolId"],
    [`/options/${chainId}/chain?underlyingPoolId=${2n ** 64n}`, "underlyingPoolId"],
    [`/options/x/chain?underlyingPoolId=0`, "chainId"],
  ] as const) {
    const { status, body } = await getJson(url(path));
    expect(status, path).toBe(400);
    expect(body.error, path).toContain(parameter);
  }
  const unknown = await getJson(url(`/options/1/chain?underlyingPoolId=${pools.gpuh}`));
  expect(unknown.status).toBe(404);
  expect(unknown.body.error).toContain("chainId 1");

  // A pool without series: an empty chain.
  const empty = await getJson(url(`/options/${chainId}/chain?underlyingPoolId=${pools.llmt}`));
  expect(empty.status).toBe(200);
  expect(empty.body.chain).toEqual([]);

  const { status, body } = await getJson(url(`/options/${chainId}/chain?underlyingPoolId=${pools.gpuh}`));
  expect(status).toBe(200);
  const asOf = body.asOf as { blockNumber: number; timestamp: number };
  const block = await chain.client.getBlock({ blockNumber: BigInt(asOf.blockNumber) });
  expect(asOf.timestamp).toBe(Number(block.timestamp));

  // Expected: the live series at asOf (from the chain), grouped by expiry and strike, each priced at that block.
  const count = (await chain.client.readContract({
    ...derivatives,
    functionName: "seriesCount",
  } as never)) as bigint;
  type Option = {
    seriesId: string;
    premiumWad: string | null;
    deltaWad: string | null;
    openInterest: string;
    collateralLocked: string;
    readError: string | null;
  };
  const live: { expiry: number; strike: bigint; isCall: boolean; option: Option }[] = [];
  for (let id = 0n; id < count; id++) {
    const view = await readAt<any>(market, derivatives, "getSeries", [id], block.number);
    const series = view.value;
    if (series.underlyingPoolId !== pools.gpuh || BigInt(series.expiry) <= block.timestamp) continue;
    const premium = await readAt<bigint>(market, derivatives, "calculatePremium", [id], block.number);
    const delta = await readAt<bigint>(market, derivatives, "delta", [id], block.number);
    expect(premium.value, "the later series should be priced at the head").not.toBeNull();
    live.push({
      expiry: Number(series.expiry),
      strike: series.strikeWad,
      isCall: series.isCall,
      option: {
        seriesId: s(id),
        premiumWad: premium.value === null ? null : s(premium.value),
        deltaWad: delta.value === null ? null : s(delta.value),
        openInterest: s(series.totalShort),
        collateralLocked: s(series.collateralLocked),
        readError: null,
      },
    });
  }
  expect(live.length).toBe(3);
  const expectedChain: {
    expiry: number;
    strikes: { strikeWad: string; call: Option | null; put: Option | null }[];
  }[] = [];
  for (const o of [...live].sort(
    (a, b) => a.expiry - b.expiry || (a.strike < b.strike ? -1 : a.strike > b.strike ? 1 : 0),
  )) {
    let group = expiryGroup(expectedChain, o.expiry);
    let strike = group.strikes.find((k) => k.strikeWad === s(o.strike));
    if (!strike) group.strikes.push((strike = { strikeWad: s(o.strike), call: null, put: null }));
    if (o.isCall) strike.call = o.option;
    else strike.put = o.option;
  }
  expect(body).toEqual({ chainId, underlyingPoolId: s(pools.gpuh), asOf, chain: expectedChain });
  // One expiry, two strikes: 0.9 (a put), 1.1 (a call and a put).
  expect(body.chain[0].strikes.map((k: any) => [k.strikeWad, !!k.call, !!k.put])).toEqual([
    [s(e18(0.9)), false, true],
    [s(e18(1.1)), true, true],
  ]);
}

function expiryGroup<T extends { expiry: number; strikes: unknown[] }>(groups: T[], expiry: number): T {
  let group = groups.find((g) => g.expiry === expiry);
  if (!group) groups.push((group = { expiry, strikes: [] } as unknown as T));
  return group;
}
