// A farm scenario on a local chain and the checks that the indexer's farm read models equal the contract. Three
// AITBC-paying pools: 0 stakes AITBC itself (APY = APR), 1 stakes GPUH (priced through the AMM's AITBC/GPUH pool),
// 2 stakes LLMT (no AMM pool: currentApy reverts with NoPriceRoute). Several accounts stake with and without locks,
// claim, compound (pool 1 through an AMM swap) and unstake over weeks of chain time; the APY keeper (the deployer)
// moves rates, the admin (the deployer, ADMIN) sets bounds that clamp a rate, and the guardian pauses.
import { parseEventLogs, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { expect } from "vitest";
import { anvilKeys } from "../../scripts/lib/foundry";
import type { Indexer } from "../lib/start";
import { e18, FAR_DEADLINE, show, startProtocolChain, type ProtocolChain } from "./protocol";
import { getJson, graphqlQuery, pollUntil, waitForBlock } from "./scenario";

const DAY = 86_400;
const HOUR = 3_600n;

export const bounds = { minRate: e18(0.01), maxRate: e18(1), maxStep: e18(0.2), minInterval: 600 };

/** Deploys (the deployer is admin, so setRateBounds needs no vote) and plays the scenario. */
export async function runFarmScenario(chainId: number): Promise<ProtocolChain> {
  const chain = await startProtocolChain(chainId, { ADMIN: privateKeyToAccount(anvilKeys[0]).address });
  try {
    await playFarm(chain);
    return chain;
  } catch (error) {
    await chain.anvil.stop();
    throw error;
  }
}

async function playFarm(chain: ProtocolChain) {
  const { abis, deployment } = chain;
  const [deployer, alice, bob, carol, dave] = chain.accounts as [
    (typeof chain.accounts)[0],
    (typeof chain.accounts)[0],
    (typeof chain.accounts)[0],
    (typeof chain.accounts)[0],
    (typeof chain.accounts)[0],
  ];
  const { AITBC, GPUH, LLMT, AIPowerYieldFarm: farmAddress, AIServiceAMM: ammAddress } = deployment.contracts;
  const farm = { address: farmAddress, abi: abis.aiPowerYieldFarmAbi };
  const amm = { address: ammAddress, abi: abis.aiServiceAmmAbi };
  const aitbc = { address: AITBC, abi: abis.aitbcAbi };
  const token = (address: Address) => ({ address, abi: abis.aiServiceTokenAbi });
  const MAX = 2n ** 255n;

  // Funding (the deployer holds MINTER) and approvals.
  await chain.sendMany([
    [deployer, aitbc, "mint", [deployer.address, e18(2_000_000)]],
    ...[alice, bob, carol, dave].map(
      (a) =>
        [deployer, aitbc, "mint", [a.address, e18(100_000)]] as [
          typeof deployer,
          typeof aitbc,
          string,
          unknown[],
        ],
    ),
    [deployer, token(GPUH), "mint", [deployer.address, e18(1_000_000)]],
    [deployer, token(GPUH), "mint", [alice.address, e18(100_000)]],
    [deployer, token(GPUH), "mint", [bob.address, e18(100_000)]],
    [deployer, token(LLMT), "mint", [carol.address, e18(100_000)]],
  ]);
  await chain.sendMany([
    ...[deployer, alice, bob, carol, dave].flatMap((a) =>
      [aitbc, token(GPUH), token(LLMT)].map(
        (t) => [a, t, "approve", [farmAddress, MAX]] as [typeof a, typeof t, string, unknown[]],
      ),
    ),
    [deployer, aitbc, "approve", [ammAddress, MAX]],
    [deployer, token(GPUH), "approve", [ammAddress, MAX]],
  ]);

  // The AMM pool that prices GPUH in AITBC (and that pool 1's compound swaps through).
  await chain.send(deployer, amm, "createPool", [AITBC, GPUH]);
  const pair = await chain.client.readContract({ ...amm, functionName: "getPool", args: [0n] });
  const [amount0, amount1] =
    pair.token0 === AITBC ? [e18(100_000), e18(200_000)] : [e18(200_000), e18(100_000)];
  await chain.send(deployer, amm, "addLiquidity", [
    0n,
    amount0,
    amount1,
    0n,
    0n,
    deployer.address,
    FAR_DEADLINE,
  ]);

  // Farm pools (FARM_OPERATOR), funded for 10 days at 0.5, 0.2 and 0.1 AITBC per second.
  await chain.sendMany([
    [deployer, farm, "createPool", [AITBC, AITBC, bounds]],
    [deployer, farm, "createPool", [GPUH, AITBC, bounds]],
    [deployer, farm, "createPool", [LLMT, AITBC, bounds]],
  ]);
  await chain.sendMany([
    [deployer, farm, "fundPool", [0n, e18(432_000), BigInt(10 * DAY)]],
    [deployer, farm, "fundPool", [1n, e18(172_800), BigInt(10 * DAY)]],
    [deployer, farm, "fundPool", [2n, e18(86_400), BigInt(10 * DAY)]],
  ]);
  await chain.sendMany([
    [alice, farm, "stake", [0n, e18(1_000), 0n]],
    [bob, farm, "stake", [0n, e18(2_000), BigInt(30 * DAY)]],
    [carol, farm, "stake", [0n, e18(500), BigInt(90 * DAY)]],
    [alice, farm, "stake", [1n, e18(5_000), 0n]],
    [bob, farm, "stake", [1n, e18(3_000), BigInt(30 * DAY)]],
    [carol, farm, "stake", [2n, e18(1_000), 0n]],
  ]);

  await chain.increaseTime(2 * 3_600);
  await chain.sendMany([
    [alice, farm, "claimRewards", [0n]],
    [bob, farm, "compound", [0n, 0n, FAR_DEADLINE]],
    [alice, farm, "compound", [1n, 0n, FAR_DEADLINE]],
    [carol, farm, "claimRewards", [2n]],
  ]);
  // The APY keeper lowers pool 0's rate; then new bounds clamp it further (a RewardRateUpdated of setRateBounds).
  await chain.send(deployer, farm, "setRewardRate", [0n, e18(0.4)]);
  await chain.send(deployer, farm, "setRateBounds", [0n, { ...bounds, maxRate: e18(0.3) }]);

  await chain.increaseTime(3 * 3_600);
  await chain.sendMany([
    [deployer, farm, "setRewardRate", [0n, e18(0.25)]],
    [deployer, farm, "setRewardRate", [1n, e18(0.15)]],
    [dave, farm, "stake", [0n, e18(100), BigInt(180 * DAY)]],
    [bob, farm, "claimRewards", [1n]],
    [carol, farm, "claimRewards", [0n]],
  ]);

  // Past every period's end and bob's 30-day lock (carol's and dave's locks still run).
  await chain.increaseTime(31 * DAY);
  await chain.sendMany([
    [bob, farm, "unstake", [0n, 0n, e18(1_000)]],
    [alice, farm, "unstake", [0n, 0n, e18(1_000)]],
    [alice, farm, "claimRewards", [0n]],
    [bob, farm, "unstake", [1n, 0n, e18(3_000)]],
  ]);
  // Pool 2 spent its whole budget: a new day-long period at about the same rate.
  await chain.send(deployer, farm, "fundPool", [2n, e18(8_640), BigInt(DAY)]);
  await chain.send(carol, farm, "stake", [2n, e18(500), 0n]);
  await chain.increaseTime(2 * 3_600);
  await chain.sendMany([
    [carol, farm, "claimRewards", [2n]],
    [carol, farm, "unstake", [2n, 0n, e18(1_000)]],
  ]);
  await chain.send(deployer, farm, "pause");
  await chain.send(deployer, farm, "unpause");
}

// ─── Checks ───────────────────────────────────────────────────────────────────────────────────────────

/** Every farm log of the deployment, in chain order, with its block timestamp. */
async function farmLogs(chain: ProtocolChain) {
  const logs = await chain.client.getContractEvents({
    address: chain.deployment.contracts.AIPowerYieldFarm,
    abi: chain.abis.aiPowerYieldFarmAbi,
    fromBlock: BigInt(chain.deployment.startBlock),
    toBlock: chain.lastBlock,
  });
  const timestamps = new Map<bigint, bigint>();
  for (const log of logs) {
    if (!timestamps.has(log.blockNumber)) {
      timestamps.set(log.blockNumber, await chain.blockTimestamp(log.blockNumber));
    }
  }
  return logs.map((log) => ({ ...log, timestamp: timestamps.get(log.blockNumber)! }));
}

const read = (chain: ProtocolChain) =>
  ({ address: chain.deployment.contracts.AIPowerYieldFarm, abi: chain.abis.aiPowerYieldFarmAbi }) as const;

/** currentApr and currentApy at a block, apy null when it reverts with NoPriceRoute. */
export async function readApr(chain: ProtocolChain, poolId: bigint, blockNumber: bigint) {
  const apr = await chain.client.readContract({
    ...read(chain),
    functionName: "currentApr",
    args: [poolId],
    blockNumber,
  });
  const apy = await chain.client
    .readContract({ ...read(chain), functionName: "currentApy", args: [poolId], blockNumber })
    .catch((error: Error) => {
      if (/NoPriceRoute/.test(error.message)) return null;
      throw error;
    });
  return { apr, apy };
}

const str = (v: bigint | null) => (v === null ? null : v.toString());
const lower = (a: string) => a.toLowerCase();

/** Waits until the indexer has indexed the chain's last transaction. */
export async function waitForFarm(indexer: Indexer, chain: ProtocolChain) {
  await waitForBlock(indexer.url, chain.anvil.chainId, chain.lastBlock);
  const count = await chain.client.readContract({ ...read(chain), functionName: "poolCount" });
  await pollUntil(
    () =>
      graphqlQuery(indexer.url, `{ farmPools(where: { chainId: ${chain.anvil.chainId} }) { totalCount } }`),
    (d) => d.farmPools.totalCount === Number(count),
    { what: "farm pools" },
  );
}

/** farm_pool, farm_position, farm_stake, farm_claim, farm_funding, farm_rate_change and farm_config = the chain. */
export async function checkFarmMatchesChain(indexer: Indexer, chain: ProtocolChain) {
  const chainId = chain.anvil.chainId;
  const logs = await farmLogs(chain);
  const poolCount = await chain.client.readContract({ ...read(chain), functionName: "poolCount" });
  const q = (body: string) => graphqlQuery(indexer.url, body);

  // Pools: every PoolView field, running totals from the logs, APR/APY at the row's own block.
  const { farmPools } =
    await q(`{ farmPools(where: { chainId: ${chainId} }, orderBy: "poolId", limit: 100) { items {
      poolId stakingToken rewardToken lpShares ammPoolId rewardRate periodFinish lastUpdateTime lastRateUpdate
      rewardPerWeightStored totalStaked totalWeight undistributed rewardReserve totalFunded minRate maxRate maxStep
      minInterval totalClaimed totalCompounded stakeCount apr apy aprBlock aprTimestamp updatedBlock } } }`);
  expect(farmPools.items).toHaveLength(Number(poolCount));
  for (const row of farmPools.items) {
    const poolId = BigInt(row.poolId);
    const view = await chain.client.readContract({ ...read(chain), functionName: "getPool", args: [poolId] });
    const ofPool = logs.filter((l) => (l.args as { poolId?: bigint }).poolId === poolId);
    const reading = await readApr(chain, poolId, BigInt(row.aprBlock));
    const sum = (name: string) =>
      ofPool
        .filter((l) => l.eventName === name)
        .reduce((t, l) => t + (l.args as { amount: bigint }).amount, 0n);
    expect(row, `pool ${poolId}`).toEqual({
      poolId: poolId.toString(),
      stakingToken: lower(view.stakingToken),
      rewardToken: lower(view.rewardToken),
      lpShares: view.lpShares,
      ammPoolId: view.ammPoolId.toString(),
      rewardRate: view.rewardRate.toString(),
      periodFinish: view.periodFinish.toString(),
      lastUpdateTime: view.lastUpdateTime.toString(),
      lastRateUpdate: view.lastRateUpdate.toString(),
      rewardPerWeightStored: view.rewardPerWeightStored.toString(),
      totalStaked: view.totalStaked.toString(),
      totalWeight: view.totalWeight.toString(),
      undistributed: view.undistributed.toString(),
      rewardReserve: view.rewardReserve.toString(),
      totalFunded: view.totalFunded.toString(),
      minRate: view.rateBounds.minRate.toString(),
      maxRate: view.rateBounds.maxRate.toString(),
      maxStep: view.rateBounds.maxStep.toString(),
      minInterval: view.rateBounds.minInterval.toString(),
      totalClaimed: sum("RewardsClaimed").toString(),
      totalCompounded: sum("Compounded").toString(),
      stakeCount: ofPool.filter((l) => l.eventName === "Staked").length,
      apr: reading.apr.toString(),
      apy: str(reading.apy),
      aprBlock: ofPool.at(-1)!.blockNumber.toString(),
      aprTimestamp: ofPool.at(-1)!.timestamp.toString(),
      updatedBlock: ofPool.at(-1)!.blockNumber.toString(),
    });
  }

  // Positions and stakes of every account that ever staked.
  type StakedArgs = {
    poolId: bigint;
    account: Address;
    stakeId: bigint;
    amount: bigint;
    lockEnd: bigint;
    multiplierBps: bigint;
  };
  const staked = logs
    .filter((l) => l.eventName === "Staked")
    .map((l) => ({ ...l, args: l.args as StakedArgs }));
  const { farmPositions } = await q(`{ farmPositions(where: { chainId: ${chainId} }, limit: 1000) { items {
      poolId account staked weight rewards claimed compounded stakeCount updatedBlock } } }`);
  const pairs = [...new Set(staked.map((l) => `${l.args.poolId}:${lower(l.args.account)}`))];
  expect(farmPositions.items).toHaveLength(pairs.length);
  for (const pair of pairs) {
    const [poolText, account] = pair.split(":") as [string, Address];
    const poolId = BigInt(poolText);
    const row = farmPositions.items.find((p: any) => p.poolId === poolText && p.account === account);
    expect(row, pair).toBeDefined();
    const [[stakedAmount, weight], stakeCount, pendingThen] = await Promise.all([
      chain.client.readContract({ ...read(chain), functionName: "accountOf", args: [poolId, account] }),
      chain.client.readContract({ ...read(chain), functionName: "stakeCount", args: [poolId, account] }),
      chain.client.readContract({
        ...read(chain),
        functionName: "pendingRewards",
        args: [poolId, account],
        blockNumber: BigInt(row.updatedBlock),
      }),
    ]);
    const mine = logs.filter(
      (l) =>
        (l.args as { poolId?: bigint }).poolId === poolId &&
        lower((l.args as { account?: string }).account ?? "") === account,
    );
    const sum = (name: string) =>
      mine
        .filter((l) => l.eventName === name)
        .reduce((t, l) => t + (l.args as { amount: bigint }).amount, 0n);
    expect(row, pair).toEqual({
      poolId: poolText,
      account,
      staked: stakedAmount.toString(),
      weight: weight.toString(),
      // settled at its last event: what pendingRewards said at that block
      rewards: pendingThen.toString(),
      claimed: sum("RewardsClaimed").toString(),
      compounded: sum("Compounded").toString(),
      stakeCount: Number(stakeCount),
      updatedBlock: mine.at(-1)!.blockNumber.toString(),
    });
  }

  const { farmStakes } = await q(`{ farmStakes(where: { chainId: ${chainId} }, limit: 1000) { items {
      poolId account stakeId amount initialAmount unstaked lockEnd multiplierBps compounded } } }`);
  expect(farmStakes.items).toHaveLength(staked.length);
  for (const log of staked) {
    const { poolId, account, stakeId } = log.args;
    const onChain = await chain.client.readContract({
      ...read(chain),
      functionName: "getStake",
      args: [poolId, account, stakeId],
    });
    const row = farmStakes.items.find(
      (s: any) =>
        s.poolId === String(poolId) && s.account === lower(account) && s.stakeId === String(stakeId),
    );
    const compounded = logs.some(
      (l) =>
        l.eventName === "Compounded" &&
        l.args.poolId === poolId &&
        l.args.account === account &&
        l.args.stakeId === stakeId,
    );
    expect(row, show(log.args)).toEqual({
      poolId: String(poolId),
      account: lower(account),
      stakeId: String(stakeId),
      amount: onChain.amount.toString(),
      initialAmount: log.args.amount.toString(),
      unstaked: (log.args.amount - onChain.amount).toString(),
      lockEnd: onChain.lockEnd.toString(),
      multiplierBps: onChain.multiplierBps,
      compounded,
    });
  }

  // Claims and compounds, fundings, rate and bound changes: one row per log.
  const { farmClaims } =
    await q(`{ farmClaims(where: { chainId: ${chainId} }, orderBy: "blockNumber", limit: 1000) {
      items { blockNumber logIndex poolId account kind amount stakeId } } }`);
  const claimLogs = logs.filter((l) => l.eventName === "RewardsClaimed" || l.eventName === "Compounded");
  expect(sortByLog(farmClaims.items)).toEqual(
    claimLogs.map((l) => {
      const args = l.args as { poolId: bigint; account: Address; amount: bigint; stakeId?: bigint };
      return {
        blockNumber: l.blockNumber.toString(),
        logIndex: l.logIndex,
        poolId: args.poolId.toString(),
        account: lower(args.account),
        kind: l.eventName === "Compounded" ? "compound" : "claim",
        amount: args.amount.toString(),
        stakeId: args.stakeId === undefined ? null : args.stakeId.toString(),
      };
    }),
  );
  const { farmFundings } = await q(`{ farmFundings(where: { chainId: ${chainId} }, limit: 1000) {
      items { blockNumber logIndex poolId funder amount duration rewardRate periodFinish } } }`);
  expect(sortByLog(farmFundings.items)).toEqual(
    logs
      .filter((l) => l.eventName === "PoolFunded")
      .map((l) => {
        const a = l.args as {
          poolId: bigint;
          funder: Address;
          amount: bigint;
          duration: bigint;
          rewardRate: bigint;
          periodFinish: bigint;
        };
        return {
          blockNumber: l.blockNumber.toString(),
          logIndex: l.logIndex,
          poolId: a.poolId.toString(),
          funder: lower(a.funder),
          amount: a.amount.toString(),
          duration: a.duration.toString(),
          rewardRate: a.rewardRate.toString(),
          periodFinish: a.periodFinish.toString(),
        };
      }),
  );
  const { farmRateChanges } =
    await q(`{ farmRateChanges(where: { chainId: ${chainId} }, limit: 1000) { items {
      blockNumber logIndex poolId kind source oldRate newRate updatedBy minRate maxRate maxStep minInterval } } }`);
  const rateLogs = logs.filter((l) => l.eventName === "RewardRateUpdated" || l.eventName === "RateBoundsSet");
  expect(sortByLog(farmRateChanges.items)).toEqual(
    rateLogs.map((l) => {
      const base = { blockNumber: l.blockNumber.toString(), logIndex: l.logIndex };
      if (l.eventName === "RateBoundsSet") {
        const b = l.args.rateBounds!;
        return {
          ...base,
          poolId: l.args.poolId!.toString(),
          kind: "bounds",
          source: null,
          oldRate: null,
          newRate: null,
          updatedBy: null,
          minRate: b.minRate.toString(),
          maxRate: b.maxRate.toString(),
          maxStep: b.maxStep.toString(),
          minInterval: String(b.minInterval),
        };
      }
      const a = l.args as { poolId: bigint; oldRate: bigint; newRate: bigint; updatedBy: Address };
      // a clamp shares its transaction with the RateBoundsSet of the same pool (no multicalls here)
      const clamp = logs.some(
        (o) =>
          o.eventName === "RateBoundsSet" &&
          o.transactionHash === l.transactionHash &&
          o.args.poolId === a.poolId,
      );
      return {
        ...base,
        poolId: a.poolId.toString(),
        kind: "rate",
        source: clamp ? "setRateBounds" : "setRewardRate",
        oldRate: a.oldRate.toString(),
        newRate: a.newRate.toString(),
        updatedBy: lower(a.updatedBy),
        minRate: null,
        maxRate: null,
        maxStep: null,
        minInterval: null,
      };
    }),
  );
  expect(farmRateChanges.items.some((r: any) => r.source === "setRateBounds")).toBe(true);

  const paused = await chain.client.readContract({ ...read(chain), functionName: "paused" });
  const { farmConfig } = await q(`{ farmConfig(chainId: ${chainId}) { address paused } }`);
  expect(farmConfig).toEqual({ address: lower(chain.deployment.contracts.AIPowerYieldFarm), paused });
}

const sortByLog = <T extends { blockNumber: string; logIndex: number }>(rows: T[]) =>
  [...rows].sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? a.logIndex - b.logIndex
      : BigInt(a.blockNumber) < BigInt(b.blockNumber)
        ? -1
        : 1,
  );

/**
 * APY history: per pool and hour of block time with farm events of the pool, the readings of currentApr and
 * currentApy at the hour's last such event's block, and the number of events; the history route says the same.
 */
export async function checkApyHistory(indexer: Indexer, chain: ProtocolChain) {
  const chainId = chain.anvil.chainId;
  const logs = await farmLogs(chain);
  const poolCount = await chain.client.readContract({ ...read(chain), functionName: "poolCount" });
  let nonNullApy = 0;
  let nullApy = 0;
  let distinctApr = 0;
  for (let poolId = 0n; poolId < poolCount; poolId++) {
    const hours = new Map<bigint, { blockNumber: bigint; timestamp: bigint; samples: number }>();
    for (const log of logs.filter((l) => (l.args as { poolId?: bigint }).poolId === poolId)) {
      const bucket = log.timestamp - (log.timestamp % HOUR);
      const h = hours.get(bucket);
      hours.set(bucket, {
        blockNumber: log.blockNumber,
        timestamp: log.timestamp,
        samples: (h?.samples ?? 0) + 1,
      });
    }
    const expected = [];
    for (const [bucket, h] of [...hours.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const { apr, apy } = await readApr(chain, poolId, h.blockNumber);
      apy === null ? nullApy++ : nonNullApy++;
      expected.push({
        bucketStart: bucket.toString(),
        apr: apr.toString(),
        apy: str(apy),
        blockNumber: h.blockNumber.toString(),
        timestamp: h.timestamp.toString(),
        samples: h.samples,
      });
    }
    distinctApr += new Set(expected.map((e) => e.apr)).size;
    const { farmApyHours } = await graphqlQuery(
      indexer.url,
      `{ farmApyHours(where: { chainId: ${chainId}, poolId: "${poolId}" }, orderBy: "bucketStart", limit: 1000) {
          items { bucketStart apr apy blockNumber timestamp samples } } }`,
    );
    expect(farmApyHours.items, `pool ${poolId}`).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(3);

    const from = expected[0]!.bucketStart;
    const history = await getJson(
      `${indexer.url}/farm/apy/${poolId}/history?chainId=${chainId}&from=${from}`,
    );
    expect(history.status).toBe(200);
    expect(history.body.points).toEqual(
      expected.map((e) => ({
        timestamp: Number(e.bucketStart),
        apr: e.apr,
        apy: e.apy,
        blockNumber: Number(e.blockNumber),
        blockTimestamp: Number(e.timestamp),
        samples: e.samples,
      })),
    );
  }
  // the scenario covers priced pools, an unpriced one and rates that move
  expect(nonNullApy).toBeGreaterThan(0);
  expect(nullApy).toBeGreaterThan(0);
  expect(distinctApr).toBeGreaterThan(Number(poolCount));
}

/** GET /farm/apy (index and chain) and the farm routes' answers to bad input. */
export async function checkFarmRoutes(indexer: Indexer, chain: ProtocolChain) {
  const chainId = chain.anvil.chainId;
  const base = indexer.url;
  const poolCount = await chain.client.readContract({ ...read(chain), functionName: "poolCount" });

  const indexed = await getJson(`${base}/farm/apy?chainId=${chainId}`);
  expect(indexed.status, show(indexed.body)).toBe(200);
  expect(indexed.body.source).toBe("index");
  expect(indexed.body.pools).toHaveLength(Number(poolCount));
  for (const p of indexed.body.pools) {
    const reading = await readApr(chain, BigInt(p.poolId), BigInt(p.asOf.blockNumber));
    expect({ apr: p.apr, apy: p.apy }).toEqual({ apr: reading.apr.toString(), apy: str(reading.apy) });
    expect(p.asOf.timestamp).toBe(Number(await chain.blockTimestamp(BigInt(p.asOf.blockNumber))));
    const view = await chain.client.readContract({
      ...read(chain),
      functionName: "getPool",
      args: [BigInt(p.poolId)],
    });
    expect(p).toMatchObject({
      chainId,
      stakingToken: view.stakingToken,
      rewardToken: view.rewardToken,
      rewardRate: view.rewardRate.toString(),
      totalStaked: view.totalStaked.toString(),
      periodFinish: Number(view.periodFinish),
    });
  }

  const live = await getJson(`${base}/farm/apy?chainId=${chainId}&source=chain`);
  expect(live.status, show(live.body)).toBe(200);
  for (const p of live.body.pools) {
    const reading = await readApr(chain, BigInt(p.poolId), BigInt(p.asOf.blockNumber));
    expect({ apr: p.apr, apy: p.apy }).toEqual({ apr: reading.apr.toString(), apy: str(reading.apy) });
    expect(BigInt(p.asOf.blockNumber)).toBeGreaterThanOrEqual(chain.lastBlock);
  }

  const bad: [string, number, RegExp][] = [
    [`/farm/apy?chainId=abc`, 400, /chainId/],
    [`/farm/apy?chainId=999999`, 400, /chainId 999999 is not indexed/],
    [`/farm/apy?source=cache`, 400, /source/],
    [`/farm/apy/x1/history?chainId=${chainId}`, 400, /poolId/],
    [`/farm/apy/99/history?chainId=${chainId}`, 404, /farm pool 99/],
    [`/farm/apy/0/history?chainId=${chainId}&from=10&to=5`, 400, /from/],
    [`/farm/apy/0/history?chainId=${chainId}&to=later`, 400, /to/],
    [`/farm/apy/0/history?chainId=${chainId}&from=0&to=100000000`, 400, /hours/],
  ];
  for (const [path, status, reason] of bad) {
    const response = await getJson(`${base}${path}`);
    expect(response.status, path).toBe(status);
    expect(response.body.error, path).toMatch(reason);
  }
}
