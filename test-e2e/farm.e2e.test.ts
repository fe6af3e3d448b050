/**
 * Farm end to end on a real anvil with a real Ponder: 50 agents stake AITBC with random lock tiers and claim
 * over four simulated weeks (anvil time travel), the APY keeper's role moves the reward rate once, everyone
 * claims after the period. The sum of everything claimed equals what the farm emitted (its funding minus the
 * budget it still holds undistributed) to within the farm's rounding bound, and never exceeds it; every point of
 * the indexer's hourly APY history equals the farm's on-chain view at the same block.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { aiPowerYieldFarmAbi, aitbcAbi } from "../generated/abis.js";
import { startIndexer, type Indexer } from "../indexer/lib/start.js";
import { devAccountKeys } from "../scripts/lib/accounts.js";
import { startAnvil, type Anvil } from "../scripts/lib/anvil.js";
import { deployProtocol } from "../scripts/lib/deploy.js";
import { approveFarm, claim, seedFarm, stakeAgents, type FarmPool } from "../scripts/lib/farm.js";
import { anvilKeys } from "../scripts/lib/foundry.js";
import { travel } from "../scripts/lib/governance.js";
import { waitFor } from "../scripts/lib/process.js";
import { indexedBlock } from "../scripts/lib/readModels.js";
import { prng, scenarioContext, send, sendBatch, type ScenarioContext } from "../scripts/lib/scenario.js";

const CHAIN_ID = 31372;
const AGENTS = 50;
const WEEK = 7 * 86_400;

let anvil: Anvil;
let ctx: ScenarioContext;
let indexer: Indexer;
let workDir: string;
let pool: FarmPool;
let claimed = 0n;
let farmTransactions = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "aitbc-farm-e2e-"));
  anvil = await startAnvil({ chainId: CHAIN_ID, blockTime: 1, accounts: 10 + AGENTS });
  const deployment = await deployProtocol(anvil.rpcUrl);
  ctx = scenarioContext(deployment, anvil.rpcUrl, anvilKeys[0], devAccountKeys(10, AGENTS));
  const aitbc = deployment.contracts.AITBC;
  await sendBatch(
    ctx,
    ctx.deployer,
    ctx.agents.map((agent, index) => ({
      address: aitbc,
      abi: aitbcAbi,
      functionName: "mint",
      args: [agent.address, parseUnits(String(1_000 + 97 * index), 18)],
    })),
  );
  await approveFarm(ctx, ctx.agents);
  [pool] = await seedFarm(ctx, { rewardsPerPool: 50_000, durationSeconds: 4 * WEEK });
  const stakes = await stakeAgents(ctx, [pool], ctx.agents, 5);
  expect(stakes).toHaveLength(AGENTS);
  farmTransactions += 2 + stakes.length;

  indexer = await startIndexer({
    chainIds: [CHAIN_ID],
    rpcUrls: { [CHAIN_ID]: anvil.rpcUrl },
    schema: "farm_e2e",
    pgliteDir: path.join(workDir, "pglite"),
  });
});

afterAll(async () => {
  await indexer?.stop().catch(() => undefined);
  await anvil?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const farm = () => ({ address: ctx.deployment.contracts.AIPowerYieldFarm, abi: aiPowerYieldFarmAbi });
const getPool = (blockNumber?: bigint) =>
  ctx.publicClient.readContract({ ...farm(), functionName: "getPool", args: [pool.farmPoolId], blockNumber });

describe("farm end to end", () => {
  test("50 agents over four simulated weeks: everything claimed equals everything emitted", async () => {
    const random = prng(23);
    for (let week = 1; week <= 5; week++) {
      // A day at a time, so the APY history has a reading in many hours, with claims by a random few.
      for (let day = 0; day < 7; day++) {
        await travel(ctx, 86_400);
        const claimers = ctx.agents.filter(() => random() < 0.08);
        const amounts = await Promise.all(claimers.map((agent) => claim(ctx, agent, pool.farmPoolId)));
        for (const amount of amounts) claimed += amount;
        farmTransactions += claimers.length;
      }
      if (week === 2) {
        // The APY keeper's role (the deployer on a local chain) lowers the rate by one step.
        const { rewardRate, rateBounds } = await getPool();
        await send(ctx, ctx.deployer, {
          ...farm(),
          functionName: "setRewardRate",
          args: [pool.farmPoolId, rewardRate - rateBounds.maxStep],
        });
        farmTransactions += 1;
      }
    }
    // Week 5 is after the period: everyone's last claim.
    for (const agent of ctx.agents) {
      claimed += await claim(ctx, agent, pool.farmPoolId);
      farmTransactions += 1;
    }

    const view = await getPool();
    const emitted = view.totalFunded - view.undistributed;
    const pendingLeft = await Promise.all(
      ctx.agents.map((agent) =>
        ctx.publicClient.readContract({
          ...farm(),
          functionName: "pendingRewards",
          args: [pool.farmPoolId, agent.address],
        }),
      ),
    );
    expect(pendingLeft.every((p) => p === 0n)).toBe(true);
    expect(emitted).toBeGreaterThan(parseUnits("40000", 18)); // most of the budget was paid out
    // Never more than emitted; short of it by rounding only: under 1 wei per account settlement and per
    // pool update, each of which is at most one per farm transaction.
    expect(claimed).toBeLessThanOrEqual(emitted);
    expect(emitted - claimed).toBeLessThanOrEqual(BigInt(2 * farmTransactions));
    // The farm still holds every wei it owes or has not yet emitted.
    expect(view.rewardReserve).toBeGreaterThanOrEqual(view.undistributed);
  });

  test("the indexer's hourly APY history equals the farm's on-chain view at each point's block", async () => {
    const head = await ctx.publicClient.getBlockNumber();
    await waitFor(
      "the indexer to reach the head",
      async () => {
        const indexed = await indexedBlock(indexer.url, CHAIN_ID);
        return indexed !== undefined && indexed >= head ? true : undefined;
      },
      90_000,
    );
    const deployedAt = (await ctx.publicClient.getBlock({ blockNumber: BigInt(ctx.deployment.startBlock) }))
      .timestamp;
    const response = await fetch(
      `${indexer.url}/farm/apy/${pool.farmPoolId}/history?chainId=${CHAIN_ID}&from=${deployedAt}`,
    );
    expect(response.status).toBe(200);
    const history = (await response.json()) as {
      points: { timestamp: number; apr: string; apy: string | null; blockNumber: number }[];
    };
    // A reading in every simulated day with activity, at least.
    expect(history.points.length).toBeGreaterThan(20);
    for (const point of history.points) {
      const blockNumber = BigInt(point.blockNumber);
      const [apr, apy] = await Promise.all([
        ctx.publicClient.readContract({
          ...farm(),
          functionName: "currentApr",
          args: [pool.farmPoolId],
          blockNumber,
        }),
        ctx.publicClient.readContract({
          ...farm(),
          functionName: "currentApy",
          args: [pool.farmPoolId],
          blockNumber,
        }),
      ]);
      expect({ block: point.blockNumber, apr: point.apr, apy: point.apy }).toEqual({
        block: point.blockNumber,
        apr: apr.toString(),
        apy: apy.toString(),
      });
    }
    const aprs = new Set(history.points.map((p) => p.apr));
    expect(aprs.size).toBeGreaterThan(1); // the rate change and the period's end show in the history
  });
});
