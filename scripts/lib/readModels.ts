import { type Address, type PublicClient } from "viem";
import { aiServiceAmmAbi } from "../../generated/abis.js";

/** A pool's state and history, as the chain or the indexer tells it. Amounts are raw token units. */
export type PoolSnapshot = {
  poolId: bigint;
  token0: Address;
  token1: Address;
  reserve0: bigint;
  reserve1: bigint;
  totalLiquidity: bigint;
  fee: number;
  minFee: number;
  maxFee: number;
  maxFeeStep: number;
  minFeeInterval: number;
  swapCount: number;
  volume0: bigint;
  volume1: bigint;
};

export type LpPosition = { poolId: bigint; owner: Address; balance: bigint };
export type FeeChange = {
  poolId: bigint;
  blockNumber: bigint;
  oldFee: number;
  newFee: number;
  updatedBy: Address;
};

export type Snapshot = { pools: PoolSnapshot[]; lpPositions: LpPosition[]; feeChanges: FeeChange[] };

const byPoolThenOwner = (a: LpPosition, b: LpPosition) =>
  a.poolId === b.poolId ? a.owner.localeCompare(b.owner) : a.poolId < b.poolId ? -1 : 1;

/**
 * The chain's own answer at `blockNumber`: every pool's state from `getPool`, swap counts and volumes summed
 * from `Swapped` logs, every LP holder's `balanceOf` (holders found from ERC-6909 `Transfer` logs), and the
 * `FeeUpdated` history.
 */
export async function chainSnapshot(
  client: PublicClient,
  amm: Address,
  fromBlock: bigint,
  blockNumber: bigint,
): Promise<Snapshot> {
  const range = { address: amm, abi: aiServiceAmmAbi, fromBlock, toBlock: blockNumber } as const;
  const [swaps, transfers, feeUpdates, poolCount] = await Promise.all([
    client.getContractEvents({ ...range, eventName: "Swapped" }),
    client.getContractEvents({ ...range, eventName: "Transfer" }),
    client.getContractEvents({ ...range, eventName: "FeeUpdated" }),
    client.readContract({ address: amm, abi: aiServiceAmmAbi, functionName: "poolCount", blockNumber }),
  ]);

  const pools: PoolSnapshot[] = [];
  for (let poolId = 0n; poolId < poolCount; poolId++) {
    const pool = await client.readContract({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "getPool",
      args: [poolId],
      blockNumber,
    });
    const poolSwaps = swaps.filter((log) => log.args.poolId === poolId);
    const side = (zeroForOne: boolean, amountIn: bigint, amountOut: bigint) =>
      zeroForOne ? [amountIn, amountOut] : [amountOut, amountIn];
    pools.push({
      poolId,
      token0: pool.token0,
      token1: pool.token1,
      reserve0: pool.reserve0,
      reserve1: pool.reserve1,
      totalLiquidity: pool.totalLiquidity,
      fee: pool.fee,
      minFee: pool.feeBounds.minFee,
      maxFee: pool.feeBounds.maxFee,
      maxFeeStep: pool.feeBounds.maxStep,
      minFeeInterval: pool.feeBounds.minInterval,
      swapCount: poolSwaps.length,
      volume0: poolSwaps.reduce(
        (sum, { args }) => sum + side(args.zeroForOne!, args.amountIn!, args.amountOut!)[0],
        0n,
      ),
      volume1: poolSwaps.reduce(
        (sum, { args }) => sum + side(args.zeroForOne!, args.amountIn!, args.amountOut!)[1],
        0n,
      ),
    });
  }

  const holders = new Map<string, { poolId: bigint; owner: Address }>();
  for (const { args } of transfers) {
    for (const owner of [args.sender!, args.receiver!]) {
      if (owner === "0x0000000000000000000000000000000000000000") continue;
      holders.set(`${args.id}:${owner.toLowerCase()}`, {
        poolId: args.id!,
        owner: owner.toLowerCase() as Address,
      });
    }
  }
  const lpPositions: LpPosition[] = [];
  for (const { poolId, owner } of holders.values()) {
    const balance = await client.readContract({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "balanceOf",
      args: [owner, poolId],
      blockNumber,
    });
    if (balance > 0n) lpPositions.push({ poolId, owner, balance });
  }

  const feeChanges = feeUpdates.map(({ args, blockNumber }) => ({
    poolId: args.poolId!,
    blockNumber,
    oldFee: args.oldFee!,
    newFee: args.newFee!,
    updatedBy: args.updatedBy!.toLowerCase() as Address,
  }));
  return { pools, lpPositions: lpPositions.sort(byPoolThenOwner), feeChanges };
}

async function graphql<T>(indexerUrl: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${indexerUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (!response.ok || body.errors?.length) {
    throw new Error(
      `GraphQL ${response.status}: ${body.errors?.map((e) => e.message).join("; ") ?? "no data"}`,
    );
  }
  return body.data as T;
}

/** Reads every page of a Ponder list query (`<list>(where, limit, after) { items pageInfo }`). */
async function allItems<T>(indexerUrl: string, list: string, fields: string, chainId: number): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  for (;;) {
    const query = `query Page($chainId: Int!, $after: String) {
      ${list}(where: { chainId: $chainId }, limit: 1000, after: $after) {
        items { ${fields} }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    type Page = { items: T[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const data: Record<string, Page> = await graphql(indexerUrl, query, { chainId, after });
    items.push(...data[list].items);
    if (!data[list].pageInfo.hasNextPage) return items;
    after = data[list].pageInfo.endCursor;
  }
}

/** The indexer's answer over GraphQL, in the same shape as {@link chainSnapshot}. */
export async function indexerSnapshot(indexerUrl: string, chainId: number): Promise<Snapshot> {
  type Row = Record<string, string | number>;
  const poolRows = await allItems<Row>(
    indexerUrl,
    "pools",
    "poolId token0 token1 reserve0 reserve1 totalLiquidity fee minFee maxFee maxFeeStep minFeeInterval swapCount volume0 volume1",
    chainId,
  );
  const positionRows = await allItems<Row>(indexerUrl, "lpPositions", "poolId owner balance", chainId);
  const feeRows = await allItems<Row>(
    indexerUrl,
    "feeChanges",
    "poolId blockNumber oldFee newFee updatedBy",
    chainId,
  );
  const pools = poolRows
    .map((row) => ({
      poolId: BigInt(row.poolId),
      token0: String(row.token0).toLowerCase() as Address,
      token1: String(row.token1).toLowerCase() as Address,
      reserve0: BigInt(row.reserve0),
      reserve1: BigInt(row.reserve1),
      totalLiquidity: BigInt(row.totalLiquidity),
      fee: Number(row.fee),
      minFee: Number(row.minFee),
      maxFee: Number(row.maxFee),
      maxFeeStep: Number(row.maxFeeStep),
      minFeeInterval: Number(row.minFeeInterval),
      swapCount: Number(row.swapCount),
      volume0: BigInt(row.volume0),
      volume1: BigInt(row.volume1),
    }))
    .sort((a, b) => (a.poolId < b.poolId ? -1 : 1));
  const lpPositions = positionRows
    .map((row) => ({
      poolId: BigInt(row.poolId),
      owner: String(row.owner).toLowerCase() as Address,
      balance: BigInt(row.balance),
    }))
    .filter((position) => position.balance > 0n)
    .sort(byPoolThenOwner);
  const feeChanges = feeRows
    .map((row) => ({
      poolId: BigInt(row.poolId),
      blockNumber: BigInt(row.blockNumber),
      oldFee: Number(row.oldFee),
      newFee: Number(row.newFee),
      updatedBy: String(row.updatedBy).toLowerCase() as Address,
    }))
    .sort((a, b) => (a.blockNumber === b.blockNumber ? 0 : a.blockNumber < b.blockNumber ? -1 : 1));
  return { pools, lpPositions, feeChanges };
}

/** Every field on which the two snapshots disagree, one line each; empty when they agree exactly. */
export function compareSnapshots(chain: Snapshot, indexer: Snapshot): string[] {
  const differences: string[] = [];
  const normalize = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : String(value));
  if (chain.pools.length !== indexer.pools.length) {
    differences.push(`pool count: chain ${chain.pools.length}, indexer ${indexer.pools.length}`);
  }
  for (const pool of chain.pools) {
    const indexed = indexer.pools.find((p) => p.poolId === pool.poolId);
    if (!indexed) {
      differences.push(`pool ${pool.poolId}: missing in the indexer`);
      continue;
    }
    for (const field of Object.keys(pool) as (keyof PoolSnapshot)[]) {
      if (normalize(pool[field]) !== normalize(indexed[field])) {
        differences.push(`pool ${pool.poolId} ${field}: chain ${pool[field]}, indexer ${indexed[field]}`);
      }
    }
  }
  const positionKey = (p: LpPosition) => `${p.poolId}:${p.owner}`;
  const indexedPositions = new Map(indexer.lpPositions.map((p) => [positionKey(p), p.balance]));
  for (const position of chain.lpPositions) {
    const balance = indexedPositions.get(positionKey(position));
    if (balance !== position.balance) {
      differences.push(
        `LP ${positionKey(position)}: chain ${position.balance}, indexer ${balance ?? "missing"}`,
      );
    }
    indexedPositions.delete(positionKey(position));
  }
  for (const [key, balance] of indexedPositions) differences.push(`LP ${key}: chain 0, indexer ${balance}`);
  if (JSON.stringify(chain.feeChanges, bigints) !== JSON.stringify(indexer.feeChanges, bigints)) {
    differences.push(
      `fee changes: chain ${JSON.stringify(chain.feeChanges, bigints)}, indexer ${JSON.stringify(indexer.feeChanges, bigints)}`,
    );
  }
  return differences;
}

const bigints = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

/** Resolves once the indexer reports `blockNumber` (or later) indexed for `chainId` (Ponder's `/status`). */
export async function indexedBlock(indexerUrl: string, chainId: number): Promise<bigint | undefined> {
  const response = await fetch(`${indexerUrl}/status`);
  if (!response.ok) return undefined;
  const status = (await response.json()) as Record<string, { id: number; block?: { number: number } | null }>;
  const chain = Object.values(status).find((entry) => entry.id === chainId);
  return chain?.block ? BigInt(chain.block.number) : undefined;
}
