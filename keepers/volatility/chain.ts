import type { Address, PublicClient } from "viem";
import { volatilityFeedAbi } from "../../generated/abis.js";
import type { PoolVolatilityState, VolatilityBounds } from "./decide.js";

export type OnChainVolatility = Omit<PoolVolatilityState, "stats">;

const boundsOf = (b: {
  minWad: bigint;
  maxWad: bigint;
  maxStepWad: bigint;
  minInterval: number;
  maxAge: number;
}): VolatilityBounds => ({
  minWad: b.minWad,
  maxWad: b.maxWad,
  maxStepWad: b.maxStepWad,
  minInterval: b.minInterval,
  maxAge: b.maxAge,
});

/**
 * What the chain says, the truth the keeper acts on: the latest block (its timestamp is "now" for the interval
 * and staleness rules) and each pool's volatility, last update and bounds, all read at that block. A pool not yet
 * configured has all-zero bounds on chain: it takes the feed's `defaultBounds` at its first update, so those are
 * the bounds its first value is checked against.
 */
export async function readVolatilities(
  client: PublicClient,
  feed: Address,
  poolIds: readonly bigint[],
): Promise<{ blockNumber: bigint; now: number; pools: OnChainVolatility[] }> {
  const block = await client.getBlock({ blockTag: "latest" });
  const blockNumber = block.number;
  const [defaults, ...states] = await Promise.all([
    client.readContract({
      address: feed,
      abi: volatilityFeedAbi,
      functionName: "defaultBounds",
      blockNumber,
    }),
    ...poolIds.map((poolId) =>
      client.readContract({
        address: feed,
        abi: volatilityFeedAbi,
        functionName: "poolVolatility",
        args: [poolId],
        blockNumber,
      }),
    ),
  ]);
  const pools = poolIds.map((poolId, i) => {
    const p = states[i]!;
    return {
      poolId,
      volatilityWad: p.volatilityWad,
      updatedAt: p.updatedAt,
      configured: p.configured,
      bounds: boundsOf(p.configured ? p.bounds : defaults),
    };
  });
  return { blockNumber, now: Number(block.timestamp), pools };
}
