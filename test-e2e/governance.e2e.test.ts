/**
 * Governance end to end on a real anvil: the deploy script hands the AccessManager to the timelock; a proposal
 * carried through the real Governor (propose → vote → queue → wait → execute) widens an AMM fee bound and a farm
 * reward-rate bound. Before it executes — also while it waits in the timelock — no key (the deployer, the fee
 * keeper, the APY keeper, the operator) can change either bound or act outside the old ones; afterwards the
 * fee keeper's key and the real APY keeper (one tick) act inside the new bounds, and still not outside them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, parseUnits, type Address } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  accessManagerAbi,
  agentGovernanceAbi,
  agentReputationAbi,
  aiPowerYieldFarmAbi,
  aiServiceAmmAbi,
  aitbcAbi,
} from "../generated/abis.js";
import { devAccountKeys } from "../scripts/lib/accounts.js";
import { startAnvil, type Anvil } from "../scripts/lib/anvil.js";
import { deployProtocol } from "../scripts/lib/deploy.js";
import { approveFarm, seedFarm, type FarmPool } from "../scripts/lib/farm.js";
import { anvilKeys, repoRoot } from "../scripts/lib/foundry.js";
import { loadApyKeeperConfig } from "../keepers/apy/config.js";
import { startApyKeeper } from "../keepers/apy/main.js";
import { carryProposal, proposalState, travel } from "../scripts/lib/governance.js";
import {
  scenarioContext,
  seedPools,
  send,
  sendBatch,
  type Call,
  type Market,
  type ScenarioContext,
} from "../scripts/lib/scenario.js";

const CHAIN_ID = 31371;
const feeKeeper = privateKeyToAccount(anvilKeys[1]);
const apyKeeper = privateKeyToAccount(anvilKeys[2]);
// Holds the operational roles (guardian, farm operator, minter, reputation granter) and seeds the scenario, so the
// deployer (anvilKeys[0]) ends with nothing at all, as on a real chain.
const operatorKey = anvilKeys[3];
const operator = privateKeyToAccount(operatorKey);
const deployer = privateKeyToAccount(anvilKeys[0]);

let anvil: Anvil;
let ctx: ScenarioContext;
let market: Market;
let farmPool: FarmPool;
let voters: PrivateKeyAccount[];
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "aitbc-governance-e2e-"));
  anvil = await startAnvil({ chainId: CHAIN_ID, accounts: 20 });
  const deployment = await deployProtocol(anvil.rpcUrl, {
    FEE_KEEPER: feeKeeper.address,
    APY_KEEPER: apyKeeper.address,
    GUARDIAN: operator.address,
    FARM_OPERATOR: operator.address,
    MINTER: operator.address,
    REPUTATION_GRANTER: operator.address,
    // Fee steps as large as the bounds allow, so only the bounds limit the fee keeper; one second between moves.
    MAX_FEE: "10000",
    MAX_FEE_STEP: "10000",
    MIN_FEE_INTERVAL: "1",
    VOTING_DELAY: "60",
    VOTING_PERIOD: "600",
    TIMELOCK_DELAY: "3600",
    PROPOSAL_THRESHOLD: parseUnits("1000", 18).toString(),
    QUORUM_PERCENT: "4",
  });
  ctx = scenarioContext(deployment, anvil.rpcUrl, operatorKey, devAccountKeys(10, 4));
  [market] = await seedPools(ctx);
  [farmPool] = await seedFarm(ctx, { rewardsPerPool: 100_000, durationSeconds: 28 * 86_400 });
  // One agent stakes, so the APY keeper has a pool to steer.
  await approveFarm(ctx, [ctx.agents[3]!]);
  await send(ctx, ctx.agents[3]!, {
    address: deployment.contracts.AIPowerYieldFarm,
    abi: aiPowerYieldFarmAbi,
    functionName: "stake",
    args: [farmPool.farmPoolId, parseUnits("10000", 18), 0n],
  });

  // Three voters with delegated AITBC (the seed minted the deployer 10 M, undelegated: quorum is 4 % of the
  // whole supply, so the voters need a real share), and reputation for one agent.
  voters = ctx.agents.slice(0, 3);
  const aitbc = deployment.contracts.AITBC;
  await sendBatch(
    ctx,
    ctx.deployer,
    voters.map((voter) => ({
      address: aitbc,
      abi: aitbcAbi,
      functionName: "mint",
      args: [voter.address, parseUnits("300000", 18)],
    })),
  );
  await Promise.all(
    voters.map((voter) =>
      send(ctx, voter, { address: aitbc, abi: aitbcAbi, functionName: "delegate", args: [voter.address] }),
    ),
  );
  await send(ctx, ctx.deployer, {
    address: deployment.contracts.AgentReputation,
    abi: agentReputationAbi,
    functionName: "grant",
    args: [ctx.agents[3]!.address, parseUnits("20000", 18)],
  });
  await travel(ctx, 2);
});

afterAll(async () => {
  await anvil?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** The custom error a call reverts with when `account` sends it (simulated), or "ok" when it would succeed. */
async function outcome(account: Address, call: Call): Promise<string> {
  try {
    await ctx.publicClient.simulateContract({ ...call, account } as never);
    return "ok";
  } catch (error) {
    const revert =
      error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) return revert.data?.errorName ?? revert.shortMessage;
    throw error;
  }
}

const amm = () => ({ address: ctx.deployment.contracts.AIServiceAMM, abi: aiServiceAmmAbi });
const farm = () => ({ address: ctx.deployment.contracts.AIPowerYieldFarm, abi: aiPowerYieldFarmAbi });

async function ammPool() {
  return ctx.publicClient.readContract({ ...amm(), functionName: "getPool", args: [market.poolId] });
}
async function farmPoolView() {
  return ctx.publicClient.readContract({ ...farm(), functionName: "getPool", args: [farmPool.farmPoolId] });
}

describe("governance end to end", () => {
  test("a proposal whose calldata the timelock may not run is refused at propose, and nothing is stored", async () => {
    const governor = ctx.deployment.contracts.AgentGovernance;
    // setFee belongs to the fee keeper's role: not even the timelock (the admin) may call it.
    const calldata = encodeFunctionData({
      abi: aiServiceAmmAbi,
      functionName: "setFee",
      args: [market.poolId, 5_000],
    });
    const result = await outcome(voters[0]!.address, {
      address: governor,
      abi: agentGovernanceAbi,
      functionName: "propose",
      args: [[ctx.deployment.contracts.AIServiceAMM], [0n], [calldata], "set a fee directly"],
    });
    expect(result).toBe("ProposalCallNotPermitted");
  });

  test("only an executed proposal changes the AMM fee bound and the farm rate bound; keepers then act inside the new bounds", async () => {
    const before = { amm: await ammPool(), farm: await farmPoolView() };
    const rate = before.farm.rewardRate;
    const newFeeBounds = { ...before.amm.feeBounds, maxFee: 30_000, maxStep: 20_000 };
    const newRateBounds = {
      ...before.farm.rateBounds,
      minRate: rate / 10n,
      maxStep: rate / 2n,
      minInterval: 0,
    };
    const setFeeBounds: Call = {
      ...amm(),
      functionName: "setFeeBounds",
      args: [market.poolId, newFeeBounds],
    };
    const setRateBounds: Call = {
      ...farm(),
      functionName: "setRateBounds",
      args: [farmPool.farmPoolId, newRateBounds],
    };
    // Inside the new bounds, outside the old: a fee above the old maximum, a rate step larger than the old one.
    const feeAboveOldMax: Call = { ...amm(), functionName: "setFee", args: [market.poolId, 20_000] };
    const rateHalved: Call = {
      ...farm(),
      functionName: "setRewardRate",
      args: [farmPool.farmPoolId, rate - rate / 2n],
    };

    const nobodyCanYet = async (when: string) => {
      for (const account of [deployer, operator, feeKeeper, apyKeeper]) {
        expect(
          await outcome(account.address, setFeeBounds),
          `${when}: setFeeBounds by ${account.address}`,
        ).toBe("AccessManagedUnauthorized");
        expect(await outcome(account.address, setRateBounds), `${when}: setRateBounds`).toBe(
          "AccessManagedUnauthorized",
        );
        expect(
          await outcome(account.address, {
            address: ctx.deployment.contracts.AccessManager,
            abi: accessManagerAbi,
            functionName: "grantRole",
            args: [0n, account.address, 0],
          }),
          `${when}: grantRole`,
        ).toBe("AccessManagerUnauthorizedAccount");
      }
      expect(await outcome(feeKeeper.address, feeAboveOldMax), `${when}: fee keeper above the old max`).toBe(
        "FeeOutOfBounds",
      );
      expect(await outcome(apyKeeper.address, rateHalved), `${when}: APY keeper with a large step`).toBe(
        "RateStepTooLarge",
      );
      expect((await ammPool()).feeBounds).toEqual(before.amm.feeBounds);
      expect((await farmPoolView()).rateBounds).toEqual(before.farm.rateBounds);
    };
    await nobodyCanYet("before the proposal");

    const carried = await carryProposal(
      ctx,
      voters[0]!,
      [
        {
          target: setFeeBounds.address,
          abi: setFeeBounds.abi,
          functionName: "setFeeBounds",
          args: setFeeBounds.args,
        },
        {
          target: setRateBounds.address,
          abi: setRateBounds.abi,
          functionName: "setRateBounds",
          args: setRateBounds.args,
        },
      ],
      "Widen GPUH/AITBC's fee ceiling to 3 % and let the APY keeper move the AITBC farm's rate faster",
      [
        { account: voters[0]!, support: 1 },
        { account: voters[1]!, support: 1 },
        { account: voters[2]!, support: 0 },
        { account: ctx.agents[3]!, support: 1 },
      ],
      () => nobodyCanYet("while queued"),
    );
    expect(await proposalState(ctx, carried.proposalId)).toBe("Executed");
    expect(carried.executedAt - carried.queuedAt).toBeGreaterThanOrEqual(3_600n);

    expect((await ammPool()).feeBounds).toEqual(newFeeBounds);
    expect((await farmPoolView()).rateBounds).toEqual(newRateBounds);

    // The keepers act inside the new bounds ...
    await send(ctx, feeKeeper, feeAboveOldMax);
    expect((await ammPool()).fee).toBe(20_000);
    // The real APY keeper, one tick: the pool is far above its target stake, so it lowers the rate as far as one
    // step goes — a step the old bounds refused.
    const keeper = await startApyKeeper(
      loadApyKeeperConfig({
        env: {
          CHAIN_ID: String(CHAIN_ID),
          RPC_URLS: anvil.rpcUrl,
          PRIVATE_KEY: anvilKeys[2],
          DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
          DB_PATH: path.join(workDir, "apy-keeper.sqlite"),
          HTTP_PORT: "0",
          SCHEDULE: "0 0 1 1 *", // the test drives the tick
          TARGET_STAKE: "1e18",
          LOG_LEVEL: "warn",
        },
      }),
      { runAtStart: false, writeLog: () => undefined },
    );
    try {
      await keeper.tick();
    } finally {
      await keeper.stop();
    }
    const keeperRate = (await farmPoolView()).rewardRate;
    expect(rate - keeperRate).toBeGreaterThan(before.farm.rateBounds.maxStep);
    expect(rate - keeperRate).toBeLessThanOrEqual(newRateBounds.maxStep);
    expect(keeperRate).toBeGreaterThanOrEqual(newRateBounds.minRate);
    // ... and still not outside them.
    await travel(ctx, 2);
    expect(
      await outcome(feeKeeper.address, { ...amm(), functionName: "setFee", args: [market.poolId, 30_001] }),
    ).toBe("FeeOutOfBounds");
    expect(
      await outcome(apyKeeper.address, {
        ...farm(),
        functionName: "setRewardRate",
        args: [farmPool.farmPoolId, newRateBounds.minRate - 1n],
      }),
    ).toBe("RateOutOfBounds");
    // The deployer still holds nothing — it cannot even mint — and governance moved the bounds, not a key.
    expect(await outcome(deployer.address, setFeeBounds)).toBe("AccessManagedUnauthorized");
    expect(
      await outcome(deployer.address, {
        address: ctx.deployment.contracts.AITBC,
        abi: aitbcAbi,
        functionName: "mint",
        args: [deployer.address, 1n],
      }),
    ).toBe("AccessManagedUnauthorized");
  });
});
