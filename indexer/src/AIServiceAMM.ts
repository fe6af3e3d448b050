import { ponder, type Context } from "ponder:registry";
import { candle, feeChange, liquidityEvent, lpPosition, pool, protocolFee, swap } from "ponder:schema";
import { zeroAddress } from "viem";

/** Shares the AMM locks at a pool's first deposit: counted in totalLiquidity, minted to nobody. */
const MINIMUM_LIQUIDITY = 1_000n;
const FEE_DENOMINATOR = 1_000_000n;
/** Candles are stored hourly; the API aggregates coarser intervals from them. */
const CANDLE_SECONDS = 3_600n;

/** token1 per token0 in raw units, as a float; null while a reserve is empty. */
const priceOf = (reserve0: bigint, reserve1: bigint) =>
  reserve0 === 0n || reserve1 === 0n ? null : Number(reserve1) / Number(reserve0);

async function requirePool(context: Context, chainId: number, poolId: bigint) {
  const row = await context.db.find(pool, { chainId, poolId });
  if (!row) throw new Error(`event for pool ${poolId} on chain ${chainId} before its PoolCreated`);
  return row;
}

ponder.on("AIServiceAMM:PoolCreated", async ({ event, context }) => {
  const { poolId, token0, token1, fee, feeBounds } = event.args;
  await context.db.insert(pool).values({
    chainId: context.chain.id,
    poolId,
    token0,
    token1,
    reserve0: 0n,
    reserve1: 0n,
    totalLiquidity: 0n,
    fee,
    minFee: feeBounds.minFee,
    maxFee: feeBounds.maxFee,
    maxFeeStep: feeBounds.maxStep,
    minFeeInterval: feeBounds.minInterval,
    volume0: 0n,
    volume1: 0n,
    feesToken1: 0n,
    swapCount: 0,
    protocolFeeLiquidity: 0n,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    lastSwapTimestamp: null,
    updatedBlock: event.block.number,
  });
});

ponder.on("AIServiceAMM:LiquidityAdded", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, provider, recipient, amount0, amount1, liquidity, reserve0, reserve1 } = event.args;
  const before = await requirePool(context, chainId, poolId);
  // The first deposit also creates MINIMUM_LIQUIDITY shares that nobody owns (no Transfer event for them).
  const locked = before.totalLiquidity === 0n ? MINIMUM_LIQUIDITY : 0n;
  await context.db.update(pool, { chainId, poolId }).set({
    reserve0,
    reserve1,
    totalLiquidity: before.totalLiquidity + liquidity + locked,
    updatedBlock: event.block.number,
  });
  await context.db.insert(liquidityEvent).values({
    chainId,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    poolId,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    kind: "add",
    provider,
    recipient,
    amount0,
    amount1,
    liquidity,
    reserve0,
    reserve1,
    price: priceOf(reserve0, reserve1),
  });
});

ponder.on("AIServiceAMM:LiquidityRemoved", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, provider, recipient, amount0, amount1, liquidity, reserve0, reserve1 } = event.args;
  const before = await requirePool(context, chainId, poolId);
  await context.db.update(pool, { chainId, poolId }).set({
    reserve0,
    reserve1,
    totalLiquidity: before.totalLiquidity - liquidity,
    updatedBlock: event.block.number,
  });
  await context.db.insert(liquidityEvent).values({
    chainId,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    poolId,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    kind: "remove",
    provider,
    recipient,
    amount0,
    amount1,
    liquidity,
    reserve0,
    reserve1,
    price: priceOf(reserve0, reserve1),
  });
});

ponder.on("AIServiceAMM:Swapped", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, sender, recipient, zeroForOne, amountIn, amountOut, reserve0, reserve1 } = event.args;
  const before = await requirePool(context, chainId, poolId);
  const amount0 = zeroForOne ? amountIn : amountOut;
  const amount1 = zeroForOne ? amountOut : amountIn;
  const fee = before.fee;
  const feeToken1 = (amount1 * BigInt(fee)) / FEE_DENOMINATOR;
  const price = priceOf(reserve0, reserve1)!; // a swap never empties a reserve
  const timestamp = event.block.timestamp;

  await context.db.update(pool, { chainId, poolId }).set((row) => ({
    reserve0,
    reserve1,
    volume0: row.volume0 + amount0,
    volume1: row.volume1 + amount1,
    feesToken1: row.feesToken1 + feeToken1,
    swapCount: row.swapCount + 1,
    lastSwapTimestamp: timestamp,
    updatedBlock: event.block.number,
  }));
  await context.db.insert(swap).values({
    chainId,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    poolId,
    timestamp,
    txHash: event.transaction.hash,
    sender,
    recipient,
    zeroForOne,
    amountIn,
    amountOut,
    amount0,
    amount1,
    reserve0,
    reserve1,
    price,
    fee,
    feeToken1,
  });
  await context.db
    .insert(candle)
    .values({
      chainId,
      poolId,
      bucketStart: timestamp - (timestamp % CANDLE_SECONDS),
      open: price,
      high: price,
      low: price,
      close: price,
      volume0: amount0,
      volume1: amount1,
      feesToken1: feeToken1,
      swapCount: 1,
    })
    .onConflictDoUpdate((row) => ({
      high: Math.max(row.high, price),
      low: Math.min(row.low, price),
      close: price,
      volume0: row.volume0 + amount0,
      volume1: row.volume1 + amount1,
      feesToken1: row.feesToken1 + feeToken1,
      swapCount: row.swapCount + 1,
    }));
});

ponder.on("AIServiceAMM:FeeUpdated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, oldFee, newFee, updatedBy } = event.args;
  await requirePool(context, chainId, poolId);
  await context.db.update(pool, { chainId, poolId }).set({ fee: newFee, updatedBlock: event.block.number });
  await context.db.insert(feeChange).values({
    chainId,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    poolId,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    oldFee,
    newFee,
    updatedBy,
  });
});

ponder.on("AIServiceAMM:FeeBoundsSet", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, feeBounds } = event.args;
  await requirePool(context, chainId, poolId);
  // A clamp of the fee into the new bounds comes as its own FeeUpdated event, right after this one.
  await context.db.update(pool, { chainId, poolId }).set({
    minFee: feeBounds.minFee,
    maxFee: feeBounds.maxFee,
    maxFeeStep: feeBounds.maxStep,
    minFeeInterval: feeBounds.minInterval,
    updatedBlock: event.block.number,
  });
});

ponder.on("AIServiceAMM:ProtocolFeeMinted", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, treasury, liquidity } = event.args;
  // The shares themselves reach lp_position through the Transfer event emitted just before this one.
  await requirePool(context, chainId, poolId);
  await context.db.update(pool, { chainId, poolId }).set((row) => ({
    totalLiquidity: row.totalLiquidity + liquidity,
    protocolFeeLiquidity: row.protocolFeeLiquidity + liquidity,
    updatedBlock: event.block.number,
  }));
  await context.db.insert(protocolFee).values({
    chainId,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    poolId,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    treasury,
    liquidity,
  });
});

/** ERC-6909 LP share movements: mints come from 0x0, burns go to 0x0. */
ponder.on("AIServiceAMM:Transfer", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { sender, receiver, id: poolId, amount } = event.args;
  if (amount === 0n) return;
  const updatedBlock = event.block.number;
  if (sender !== zeroAddress) {
    const position = await context.db.find(lpPosition, { chainId, poolId, owner: sender });
    if (!position || position.balance < amount) {
      throw new Error(
        `LP transfer of ${amount} from ${sender} exceeds its indexed balance in pool ${poolId}`,
      );
    }
    await context.db
      .update(lpPosition, { chainId, poolId, owner: sender })
      .set({ balance: position.balance - amount, updatedBlock });
  }
  if (receiver !== zeroAddress) {
    await context.db
      .insert(lpPosition)
      .values({ chainId, poolId, owner: receiver, balance: amount, updatedBlock })
      .onConflictDoUpdate((row) => ({ balance: row.balance + amount, updatedBlock }));
  }
});
