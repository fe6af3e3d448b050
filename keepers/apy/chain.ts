import { BaseError, ContractFunctionRevertedError, type Address, type PublicClient } from "viem";
import { aiPowerYieldFarmAbi } from "../../generated/abis.js";
import type { PoolRateState } from "./decide.js";

/** True when `error` is the farm's `NoPriceRoute` revert (the pool's tokens have no usable AMM pool). */
export function isNoPriceRoute(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return revert instanceof ContractFunctionRevertedError && revert.data?.errorName === "NoPriceRoute";
}

/**
 * What the chain says, the truth the keeper acts on: the latest block (its timestamp is "now" for the
 * interval, period and budget rules) and each farm pool's rate, period, stake, budget, bounds and current APY,
 * all read at that block. A pool without a price route has `currentApy: null`; any other failure throws.
 */
export async function readFarmPools(
  client: PublicClient,
  farm: Address,
  only?: bigint[],
): Promise<{ blockNumber: bigint; now: number; pools: PoolRateState[] }> {
  const block = await client.getBlock({ blockTag: "latest" });
  const blockNumber = block.number;
  const count = await client.readContract({
    address: farm,
    abi: aiPowerYieldFarmAbi,
    functionName: "poolCount",
    blockNumber,
  });
  const ids = only
    ? only.filter((id) => id < count)
    : Array.from({ length: Number(count) }, (_, i) => BigInt(i));
  const pools = await Promise.all(
    ids.map(async (poolId): Promise<PoolRateState> => {
      const [p, currentApy] = await Promise.all([
        client.readContract({
          address: farm,
          abi: aiPowerYieldFarmAbi,
          functionName: "getPool",
          args: [poolId],
          blockNumber,
        }),
        client
          .readContract({
            address: farm,
            abi: aiPowerYieldFarmAbi,
            functionName: "currentApy",
            args: [poolId],
            blockNumber,
          })
          .catch((error: unknown) => {
            if (isNoPriceRoute(error)) return null;
            throw error;
          }),
      ]);
      return {
        poolId,
        rewardRate: p.rewardRate,
        periodFinish: Number(p.periodFinish),
        lastUpdateTime: Number(p.lastUpdateTime),
        lastRateUpdate: Number(p.lastRateUpdate),
        totalStaked: p.totalStaked,
        undistributed: p.undistributed,
        bounds: {
          minRate: p.rateBounds.minRate,
          maxRate: p.rateBounds.maxRate,
          maxStep: p.rateBounds.maxStep,
          minInterval: Number(p.rateBounds.minInterval),
        },
        currentApy,
      };
    }),
  );
  return { blockNumber, now: Number(block.timestamp), pools };
}
