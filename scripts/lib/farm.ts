import { maxUint256, parseEventLogs, type Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { aiPowerYieldFarmAbi, aiServiceAmmAbi, aiServiceTokenAbi } from "../../generated/abis.js";
import { prng, send, sendBatch, units, type Call, type Market, type ScenarioContext } from "./scenario.js";

/** The lock tiers the farm accepts (seconds), shortest first. */
export const lockTiers = [0n, 30n * 86_400n, 90n * 86_400n, 180n * 86_400n] as const;

export type FarmPool = {
  farmPoolId: bigint;
  kind: "AITBC" | "LP";
  /** For LP pools: the AMM pool whose ERC-6909 shares are staked. */
  ammPoolId?: bigint;
  label: string;
};

export type FarmSeedOptions = {
  /** AITBC paid out by each pool over `durationSeconds`. */
  rewardsPerPool?: number;
  durationSeconds?: number;
  /** The AMM market whose LP shares get a farm pool (it must pair with AITBC). */
  lpMarket?: Market;
};

/** Rate bounds wide enough for the keeper to move a pool's rate by steps of a tenth of its opening rate. */
function boundsAround(rate: bigint) {
  return { minRate: rate / 4n, maxRate: rate * 2n, maxStep: rate / 10n, minInterval: 3_600 };
}

const farmAddress = (ctx: ScenarioContext) => ctx.deployment.contracts.AIPowerYieldFarm;
const farmCall = (ctx: ScenarioContext, functionName: string, args: readonly unknown[]): Call => ({
  address: farmAddress(ctx),
  abi: aiPowerYieldFarmAbi,
  functionName,
  args,
});

/**
 * Lists farm pools and funds them from the deployer, which holds FARM_OPERATOR and MINTER on a local chain:
 * one pool staking AITBC for AITBC rewards and, with `lpMarket`, one staking that market's LP shares.
 */
export async function seedFarm(ctx: ScenarioContext, options: FarmSeedOptions = {}): Promise<FarmPool[]> {
  const rewards = units(options.rewardsPerPool ?? 100_000);
  const duration = BigInt(options.durationSeconds ?? 28 * 86_400);
  const rate = rewards / duration;
  const aitbc = ctx.deployment.contracts.AITBC;
  const farm = farmAddress(ctx);
  const first = (await ctx.publicClient.readContract({
    address: farm,
    abi: aiPowerYieldFarmAbi,
    functionName: "poolCount",
  })) as bigint;

  const pools: FarmPool[] = [{ farmPoolId: first, kind: "AITBC", label: "AITBC → AITBC" }];
  const creations: Call[] = [farmCall(ctx, "createPool", [aitbc, aitbc, boundsAround(rate)])];
  if (options.lpMarket) {
    const market = options.lpMarket;
    pools.push({
      farmPoolId: first + 1n,
      kind: "LP",
      ammPoolId: market.poolId,
      label: `${market.base}/${market.quote} LP → AITBC`,
    });
    creations.push(farmCall(ctx, "createLpPool", [market.poolId, aitbc, boundsAround(rate)]));
  }
  await sendBatch(ctx, ctx.deployer, [
    {
      address: aitbc,
      abi: aiServiceTokenAbi,
      functionName: "mint",
      args: [ctx.deployer.address, rewards * BigInt(pools.length)],
    },
    { address: aitbc, abi: aiServiceTokenAbi, functionName: "approve", args: [farm, maxUint256] },
    ...creations,
  ]);
  await sendBatch(
    ctx,
    ctx.deployer,
    pools.map((pool) => farmCall(ctx, "fundPool", [pool.farmPoolId, rewards, duration])),
  );
  return pools;
}

/** Lets the farm move an agent's AITBC and AMM LP shares (ERC-6909 operator). */
export async function approveFarm(ctx: ScenarioContext, agents: PrivateKeyAccount[]): Promise<void> {
  const farm = farmAddress(ctx);
  await Promise.all(
    agents.map((agent) =>
      sendBatch(ctx, agent, [
        {
          address: ctx.deployment.contracts.AITBC,
          abi: aiServiceTokenAbi,
          functionName: "approve",
          args: [farm, maxUint256],
        },
        {
          address: ctx.deployment.contracts.AIServiceAMM,
          abi: aiServiceAmmAbi,
          functionName: "setOperator",
          args: [farm, true],
        },
      ]),
    ),
  );
}

export type StakeRecord = { agent: Address; farmPoolId: bigint; amount: bigint; lockDuration: bigint };

/** Each agent stakes a random part of its AITBC (and LP shares, where it has some) with a random lock tier. */
export async function stakeAgents(
  ctx: ScenarioContext,
  pools: FarmPool[],
  agents: PrivateKeyAccount[],
  seed = 11,
): Promise<StakeRecord[]> {
  const random = prng(seed);
  const records: StakeRecord[] = [];
  await Promise.all(
    agents.map(async (agent) => {
      const calls: Call[] = [];
      for (const pool of pools) {
        const balance = (await balanceIn(ctx, pool, agent.address)) as bigint;
        if (balance === 0n) continue;
        const amount = (balance * BigInt(10 + Math.floor(random() * 40))) / 100n;
        const lockDuration = lockTiers[Math.floor(random() * lockTiers.length)]!;
        if (amount === 0n) continue;
        calls.push(farmCall(ctx, "stake", [pool.farmPoolId, amount, lockDuration]));
        records.push({ agent: agent.address, farmPoolId: pool.farmPoolId, amount, lockDuration });
      }
      if (calls.length) await sendBatch(ctx, agent, calls);
    }),
  );
  return records;
}

function balanceIn(ctx: ScenarioContext, pool: FarmPool, account: Address) {
  if (pool.kind === "LP")
    return ctx.publicClient.readContract({
      address: ctx.deployment.contracts.AIServiceAMM,
      abi: aiServiceAmmAbi,
      functionName: "balanceOf",
      args: [account, pool.ammPoolId!],
    });
  return ctx.publicClient.readContract({
    address: ctx.deployment.contracts.AITBC,
    abi: aiServiceTokenAbi,
    functionName: "balanceOf",
    args: [account],
  });
}

/** Claims an agent's pending rewards in a pool (if any); returns what it received. */
export async function claim(
  ctx: ScenarioContext,
  agent: PrivateKeyAccount,
  farmPoolId: bigint,
): Promise<bigint> {
  const pending = (await ctx.publicClient.readContract({
    address: farmAddress(ctx),
    abi: aiPowerYieldFarmAbi,
    functionName: "pendingRewards",
    args: [farmPoolId, agent.address],
  })) as bigint;
  if (pending === 0n) return 0n;
  // The amount comes from the mined event: rewards accrue every second, so the simulation's figure is stale.
  const { receipt } = await send(ctx, agent, farmCall(ctx, "claimRewards", [farmPoolId]));
  const [event] = parseEventLogs({
    abi: aiPowerYieldFarmAbi,
    logs: receipt.logs,
    eventName: "RewardsClaimed",
  });
  return event ? (event.args as { amount: bigint }).amount : 0n;
}
