import type { Address, PublicClient } from "viem";
import { aiServiceAmmAbi } from "../../generated/abis.js";
import type { FeeBounds } from "./decide.js";

export type OnChainPool = { poolId: bigint; fee: number; lastFeeUpdate: number; bounds: FeeBounds };

/**
 * What the chain says, the truth the keeper acts on: the latest block (its timestamp is "now" for the
 * interval rule) and each pool's fee, last update and bounds, all read at that block.
 */
export async function readPools(
  client: PublicClient,
  amm: Address,
  only?: bigint[],
): Promise<{ blockNumber: bigint; now: number; pools: OnChainPool[] }> {
  const block = await client.getBlock({ blockTag: "latest" });
  const blockNumber = block.number;
  const count = await client.readContract({
    address: amm,
    abi: aiServiceAmmAbi,
    functionName: "poolCount",
    blockNumber,
  });
  const ids = only
    ? only.filter((id) => id < count)
    : Array.from({ length: Number(count) }, (_, i) => BigInt(i));
  const pools = await Promise.all(
    ids.map(async (poolId) => {
      const p = await client.readContract({
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "getPool",
        args: [poolId],
        blockNumber,
      });
      return {
        poolId,
        fee: p.fee,
        lastFeeUpdate: p.lastFeeUpdate,
        bounds: {
          minFee: p.feeBounds.minFee,
          maxFee: p.feeBounds.maxFee,
          maxStep: p.feeBounds.maxStep,
          minInterval: p.feeBounds.minInterval,
        },
      };
    }),
  );
  return { blockNumber, now: Number(block.timestamp), pools };
}
