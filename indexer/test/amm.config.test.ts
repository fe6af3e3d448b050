// Protocol settings and pool fee state, end to end on PGlite: after the scenario, the guardian pauses and
// unpauses, the admin moves the protocol fee share, the treasury and the default fee, and the fee keeper
// and the admin move fees — alone, and together in one AccessManager multicall — while Ponder runs. Every
// expectation is read from the chain.
import { encodeFunctionData, type Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import { checkConfigMatchesChain, checkPoolsMatchChain, waitForIndexed, waitForScenario } from "./checks";
import { graphqlQuery, runScenario, type Scenario } from "./scenario";

const CHAIN_ID = 31390;
const FAR_DEADLINE = 2n ** 40n;

describe("AMM settings and fee state on PGlite", () => {
  let scenario: Scenario;
  let indexer: Indexer;
  const configQuery = `{ ammConfig(chainId: ${CHAIN_ID}) { paused treasury protocolFeeShareBps defaultFee updatedBlock } }`;

  const getPool = (poolId: bigint) =>
    scenario.client.readContract({
      address: scenario.deployment.contracts.AIServiceAMM,
      abi: scenario.abis.aiServiceAmmAbi,
      functionName: "getPool",
      args: [poolId],
    });
  const indexedPool = async (poolId: bigint) =>
    (
      await graphqlQuery(
        indexer.url,
        `{ pool(chainId: ${CHAIN_ID}, poolId: "${poolId}") { fee lastFeeUpdate kLast updatedBlock } }`,
      )
    ).pool;
  const feeChangesOf = async (txHash: string) =>
    (
      await graphqlQuery(
        indexer.url,
        `{ feeChanges(where: { chainId: ${CHAIN_ID}, txHash: "${txHash}" }, orderBy: "logIndex") {
            items { poolId oldFee newFee source } } }`,
      )
    ).feeChanges.items;
  const blockTimestamp = async (blockNumber: bigint) =>
    (await scenario.client.getBlock({ blockNumber })).timestamp;
  const increaseTime = (seconds: number) =>
    scenario.client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });

  beforeAll(async () => {
    scenario = await runScenario(CHAIN_ID, { timeTravel: false });
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: scenario.anvil.rpcUrl },
      schema: `amm_config_${process.pid}`,
    });
    await waitForScenario(indexer, scenario);
  });

  afterAll(async () => {
    await indexer?.stop();
    await scenario?.anvil.stop();
  });

  it("after deployment the config row equals the chain, and pool rows carry kLast, TWAP accumulators and lastFeeUpdate", async () => {
    await checkConfigMatchesChain(indexer, scenario);
    await checkPoolsMatchChain(indexer, scenario);
    // The deploy script switched the protocol fee on, so deposits left kLast = reserve0 × reserve1; the
    // scenario's setFee stamped pool 0 and left pool 1 at 0.
    const [pool0, pool1] = await Promise.all([getPool(0n), getPool(1n)]);
    expect(pool0.kLast).toBeGreaterThan(0n);
    expect(pool0.price0CumulativeLast).toBeGreaterThan(0n);
    expect(pool0.lastFeeUpdate).toBeGreaterThan(0);
    expect(pool1.lastFeeUpdate).toBe(0);
  });

  it("indexes pause and unpause by the guardian", async () => {
    const [guardian] = scenario.accounts; // anvilKeys[0], the deployer, holds GUARDIAN
    await scenario.write(guardian!, "pause", []);
    await waitForIndexed(indexer, scenario, configQuery, (d) => d.ammConfig?.paused === true, "paused");
    await checkConfigMatchesChain(indexer, scenario);

    await scenario.write(guardian!, "unpause", []);
    await waitForIndexed(indexer, scenario, configQuery, (d) => d.ammConfig?.paused === false, "unpaused");
    await checkConfigMatchesChain(indexer, scenario);
  });

  it("indexes the admin's protocol fee share, treasury and default fee, and kLast follows the fee switch", async () => {
    const [admin, alice] = scenario.accounts as [PrivateKeyAccount, PrivateKeyAccount];
    await scenario.write(admin, "setProtocolFeeShare", [2_500]);
    await scenario.write(admin, "setTreasury", [alice.address]);
    await scenario.write(admin, "setDefaultFee", [
      4_000,
      { minFee: 1_000, maxFee: 20_000, maxStep: 2_000, minInterval: 600 },
    ]);
    const ready = (d: any) =>
      d.ammConfig?.protocolFeeShareBps === 2_500 &&
      d.ammConfig.treasury === alice.address.toLowerCase() &&
      d.ammConfig.defaultFee === 4_000;
    await waitForIndexed(indexer, scenario, configQuery, ready, "share, treasury and default fee");
    await checkConfigMatchesChain(indexer, scenario);

    // Protocol fee off: the next liquidity change zeroes kLast. On again: the next one sets it.
    await scenario.write(admin, "setProtocolFeeShare", [0]);
    const shares = await scenario.client.readContract({
      address: scenario.deployment.contracts.AIServiceAMM,
      abi: scenario.abis.aiServiceAmmAbi,
      functionName: "balanceOf",
      args: [admin.address, 1n],
    });
    await scenario.write(admin, "removeLiquidity", [1n, shares / 10n, 0n, 0n, admin.address, FAR_DEADLINE]);
    expect((await getPool(1n)).kLast).toBe(0n);
    await waitForIndexed(
      indexer,
      scenario,
      `{ pool(chainId: ${CHAIN_ID}, poolId: "1") { kLast } }`,
      (d) => d.pool?.kLast === "0",
      "kLast 0 with the protocol fee off",
    );
    await checkConfigMatchesChain(indexer, scenario);
    await checkPoolsMatchChain(indexer, scenario);

    await scenario.write(admin, "setProtocolFeeShare", [2_500]);
    await scenario.write(admin, "removeLiquidity", [1n, shares / 10n, 0n, 0n, admin.address, FAR_DEADLINE]);
    const { kLast } = await getPool(1n);
    expect(kLast).toBeGreaterThan(0n);
    await waitForIndexed(
      indexer,
      scenario,
      `{ pool(chainId: ${CHAIN_ID}, poolId: "1") { kLast } }`,
      (d) => d.pool?.kLast === kLast.toString(),
      "kLast back with the protocol fee on",
    );
    await checkConfigMatchesChain(indexer, scenario);
    await checkPoolsMatchChain(indexer, scenario);
  });

  it("setFee stamps lastFeeUpdate; a setFeeBounds clamp does not, even in the same transaction", async () => {
    const [keeper] = scenario.accounts; // the deployer holds FEE_KEEPER and ADMIN
    const { AIServiceAMM: amm, AccessManager: manager } = scenario.deployment.contracts;

    // The keeper moves pool 1's fee: lastFeeUpdate is that block's timestamp.
    const before1 = await getPool(1n);
    const moved = await scenario.write(keeper!, "setFee", [1n, before1.fee + 500]);
    const movedAt = await blockTimestamp(moved.blockNumber);
    expect((await getPool(1n)).lastFeeUpdate).toBe(Number(movedAt));
    await waitForIndexed(
      indexer,
      scenario,
      `{ pool(chainId: ${CHAIN_ID}, poolId: "1") { lastFeeUpdate } }`,
      (d) => d.pool?.lastFeeUpdate === movedAt.toString(),
      "pool 1 lastFeeUpdate after setFee",
    );
    expect(await feeChangesOf(moved.transactionHash)).toEqual([
      { poolId: "1", oldFee: before1.fee, newFee: before1.fee + 500, source: "setFee" },
    ]);

    // The admin raises pool 0's minimum above its fee: the fee is clamped, lastFeeUpdate stays.
    await increaseTime(60);
    const before0 = await getPool(0n);
    const clampedTo = before0.fee + 500;
    const clamp = await scenario.write(keeper!, "setFeeBounds", [
      0n,
      { ...before0.feeBounds, minFee: clampedTo },
    ]);
    const after0 = await getPool(0n);
    expect(after0.fee).toBe(clampedTo);
    expect(after0.lastFeeUpdate).toBe(before0.lastFeeUpdate);
    await waitForIndexed(
      indexer,
      scenario,
      `{ pool(chainId: ${CHAIN_ID}, poolId: "0") { fee lastFeeUpdate } }`,
      (d) => d.pool?.fee === clampedTo,
      "pool 0's clamped fee",
    );
    expect((await indexedPool(0n)).lastFeeUpdate).toBe(before0.lastFeeUpdate.toString());
    expect(await feeChangesOf(clamp.transactionHash)).toEqual([
      { poolId: "0", oldFee: before0.fee, newFee: clampedTo, source: "setFeeBounds" },
    ]);

    // One transaction through the AccessManager's multicall: a clamping setFeeBounds (FeeBoundsSet, then
    // its FeeUpdated), a non-clamping one (FeeBoundsSet alone), then setFee, whose FeeUpdated directly
    // follows that FeeBoundsSet. Only the last moves lastFeeUpdate.
    await increaseTime(60);
    const fee1 = (await getPool(1n)).fee;
    const wide = { minFee: 500, maxFee: 20_000, maxStep: 1_000, minInterval: 0 };
    const execute = (functionName: "setFeeBounds" | "setFee", args: readonly unknown[]) =>
      encodeFunctionData({
        abi: scenario.abis.accessManagerAbi,
        functionName: "execute",
        args: [amm, encodeFunctionData({ abi: scenario.abis.aiServiceAmmAbi, functionName, args } as never)],
      });
    const calls = [
      execute("setFeeBounds", [1n, { ...wide, minFee: fee1 + 500 }]),
      execute("setFeeBounds", [1n, wide]),
      execute("setFee", [1n, fee1 + 1_000]),
    ];
    const combined = await scenario.write(keeper!, "multicall", [calls], {
      address: manager as Address,
      abi: scenario.abis.accessManagerAbi,
    });
    const combinedAt = await blockTimestamp(combined.blockNumber);
    const onChain1 = await getPool(1n);
    expect(onChain1.fee).toBe(fee1 + 1_000);
    expect(onChain1.lastFeeUpdate).toBe(Number(combinedAt));
    expect(combinedAt).toBeGreaterThan(movedAt);
    await waitForIndexed(
      indexer,
      scenario,
      `{ pool(chainId: ${CHAIN_ID}, poolId: "1") { fee lastFeeUpdate } }`,
      (d) => d.pool?.fee === fee1 + 1_000,
      "pool 1 after the multicall",
    );
    expect((await indexedPool(1n)).lastFeeUpdate).toBe(combinedAt.toString());
    expect(await feeChangesOf(combined.transactionHash)).toEqual([
      { poolId: "1", oldFee: fee1, newFee: fee1 + 500, source: "setFeeBounds" },
      { poolId: "1", oldFee: fee1 + 500, newFee: fee1 + 1_000, source: "setFee" },
    ]);

    // And every pool field, the new ones included, equals getPool; the bounds history is indexed.
    await checkPoolsMatchChain(indexer, scenario);
    const { feeBoundsChanges } = await graphqlQuery(
      indexer.url,
      `{ feeBoundsChanges(where: { chainId: ${CHAIN_ID} }, orderBy: "logIndex") { items { poolId minFee txHash } } }`,
    );
    expect(feeBoundsChanges.items).toHaveLength(3);
  });
});
