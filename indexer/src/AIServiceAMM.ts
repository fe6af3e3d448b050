import { ponder, type Context } from "ponder:registry";
import {
  ammConfig,
  candle,
  feeBoundsChange,
  feeChange,
  liquidityEvent,
  lpPosition,
  pool,
  protocolFee,
  swap,
} from "ponder:schema";
import { zeroAddress, type Hex } from "viem";

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

/** The chain's config row; its constructor's DefaultFeeSet, the AMM's very first event, creates it. */
async function requireConfig(context: Context, chainId: number) {
  const row = await context.db.find(ammConfig, { chainId });
  if (!row) {
    throw new Error(
      `AMM event on chain ${chainId} before the constructor's DefaultFeeSet: the deployments file's ` +
        `startBlock must be at or before the AMM's deployment`,
    );
  }
  return row;
}

const U32 = 1n << 32n;
const U256 = 1n << 256n;

/**
 * The contract's `_writeReserves` bookkeeping, run before every reserve write (deposit, withdrawal, swap
 * hop): the time the old reserves stood (uint32 seconds, wrapping) times their UQ112x112 price is added to
 * the accumulators (wrapping at 2^256), once per block, and the write's timestamp is recorded.
 */
function accumulatePrices(
  before: {
    reserve0: bigint;
    reserve1: bigint;
    price0CumulativeLast: bigint;
    price1CumulativeLast: bigint;
    blockTimestampLast: bigint;
  },
  timestamp: bigint,
) {
  const blockTimestamp = timestamp % U32;
  const elapsed = (blockTimestamp - before.blockTimestampLast + U32) % U32;
  let { price0CumulativeLast, price1CumulativeLast } = before;
  if (elapsed > 0n && before.reserve0 !== 0n && before.reserve1 !== 0n) {
    price0CumulativeLast =
      (price0CumulativeLast + ((before.reserve1 << 112n) / before.reserve0) * elapsed) % U256;
    price1CumulativeLast =
      (price1CumulativeLast + ((before.reserve0 << 112n) / before.reserve1) * elapsed) % U256;
  }
  return { price0CumulativeLast, price1CumulativeLast, blockTimestampLast: blockTimestamp };
}

/**
 * `kLast` after a deposit or withdrawal: the new reserves' product while the protocol fee is on (a share
 * and a treasury), else 0, as `_mintProtocolFee` and `_mint/_burnLiquidity` leave it.
 */
async function kLastAfter(context: Context, chainId: number, reserve0: bigint, reserve1: bigint) {
  const config = await requireConfig(context, chainId);
  const feeOn = config.protocolFeeShareBps !== 0 && config.treasury !== zeroAddress;
  return feeOn ? reserve0 * reserve1 : 0n;
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
    lastFeeUpdate: 0n,
    kLast: 0n,
    price0CumulativeLast: 0n,
    price1CumulativeLast: 0n,
    blockTimestampLast: 0n,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    lastSwapTimestamp: null,
    updatedBlock: event.block.number,
  });
});

/** What LiquidityAdded and LiquidityRemoved share: the same arguments and the log's position. */
type LiquidityLog = {
  args: {
    poolId: bigint;
    provider: Hex;
    recipient: Hex;
    amount0: bigint;
    amount1: bigint;
    liquidity: bigint;
    reserve0: bigint;
    reserve1: bigint;
  };
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number };
  transaction: { hash: Hex };
};

/** A deposit or a withdrawal: the pool's new reserves and share count, and one `liquidity_event` row. */
async function onLiquidity(kind: "add" | "remove", event: LiquidityLog, context: Context) {
  const chainId = context.chain.id;
  const { poolId, provider, recipient, amount0, amount1, liquidity, reserve0, reserve1 } = event.args;
  const before = await requirePool(context, chainId, poolId);
  // The first deposit also creates MINIMUM_LIQUIDITY shares that nobody owns (no Transfer event for them).
  const locked = kind === "add" && before.totalLiquidity === 0n ? MINIMUM_LIQUIDITY : 0n;
  const shareDelta = kind === "add" ? liquidity + locked : -liquidity;
  await context.db.update(pool, { chainId, poolId }).set({
    reserve0,
    reserve1,
    totalLiquidity: before.totalLiquidity + shareDelta,
    kLast: await kLastAfter(context, chainId, reserve0, reserve1),
    ...accumulatePrices(before, event.block.timestamp),
    updatedBlock: event.block.number,
  });
  await context.db.insert(liquidityEvent).values({
    chainId,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    poolId,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    kind,
    provider,
    recipient,
    amount0,
    amount1,
    liquidity,
    reserve0,
    reserve1,
    price: priceOf(reserve0, reserve1),
  });
}

ponder.on("AIServiceAMM:LiquidityAdded", ({ event, context }) => onLiquidity("add", event, context));
ponder.on("AIServiceAMM:LiquidityRemoved", ({ event, context }) => onLiquidity("remove", event, context));

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
  const cumulative = accumulatePrices(before, timestamp);

  await context.db.update(pool, { chainId, poolId }).set((row) => ({
    reserve0,
    reserve1,
    ...cumulative,
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
  // Two functions emit FeeUpdated: `setFee` (alone; it stamps lastFeeUpdate) and `setFeeBounds`' clamp
  // (right after its FeeBoundsSet, no other log between; lastFeeUpdate untouched). Adjacency alone does not
  // tell them apart: one transaction (a multicall) may run a non-clamping setFeeBounds and then setFee on
  // the same pool. The clamp's old fee, though, lies outside the bounds just set (it is emitted only when
  // the fee moves), while setFee's old fee lies inside the pool's bounds, because a pool's fee always does
  // (defaults are checked, setFee checks, bounds clamp). So: a clamp is a FeeUpdated whose previous log in
  // the same transaction is FeeBoundsSet for the same pool with the old fee outside those bounds.
  const previous =
    event.log.logIndex > 0
      ? await context.db.find(feeBoundsChange, {
          chainId,
          blockNumber: event.block.number,
          logIndex: event.log.logIndex - 1,
        })
      : null;
  const isClamp =
    previous !== null &&
    previous.txHash === event.transaction.hash &&
    previous.poolId === poolId &&
    (oldFee < previous.minFee || oldFee > previous.maxFee);
  await context.db.update(pool, { chainId, poolId }).set({
    fee: newFee,
    ...(isClamp ? {} : { lastFeeUpdate: event.block.timestamp }),
    updatedBlock: event.block.number,
  });
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
    source: isClamp ? "setFeeBounds" : "setFee",
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
  await context.db.insert(feeBoundsChange).values({
    chainId,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    poolId,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    minFee: feeBounds.minFee,
    maxFee: feeBounds.maxFee,
    maxFeeStep: feeBounds.maxStep,
    minFeeInterval: feeBounds.minInterval,
  });
});

// ─── Protocol-wide settings (amm_config) ─────────────────────────────────────────────────────────────

/** The constructor's first event creates the chain's row; later ones (setDefaultFee) update it. */
ponder.on("AIServiceAMM:DefaultFeeSet", async ({ event, context }) => {
  const { fee, feeBounds } = event.args;
  const defaults = {
    defaultFee: fee,
    defaultMinFee: feeBounds.minFee,
    defaultMaxFee: feeBounds.maxFee,
    defaultMaxFeeStep: feeBounds.maxStep,
    defaultMinFeeInterval: feeBounds.minInterval,
    updatedBlock: event.block.number,
    updatedTimestamp: event.block.timestamp,
  };
  await context.db
    .insert(ammConfig)
    .values({
      chainId: context.chain.id,
      address: event.log.address,
      // The contract's storage before its constructor goes on: not paused, no treasury yet (TreasurySet
      // follows in the same constructor), protocol fee off (the deploy script's setProtocolFeeShare follows).
      paused: false,
      treasury: zeroAddress,
      protocolFeeShareBps: 0,
      createdBlock: event.block.number,
      ...defaults,
    })
    .onConflictDoUpdate(defaults);
});

async function updateConfig(
  context: Context,
  event: { block: { number: bigint; timestamp: bigint } },
  values: Partial<Pick<typeof ammConfig.$inferSelect, "paused" | "treasury" | "protocolFeeShareBps">>,
) {
  const chainId = context.chain.id;
  await requireConfig(context, chainId);
  await context.db
    .update(ammConfig, { chainId })
    .set({ ...values, updatedBlock: event.block.number, updatedTimestamp: event.block.timestamp });
}

ponder.on("AIServiceAMM:TreasurySet", async ({ event, context }) => {
  await updateConfig(context, event, { treasury: event.args.treasury });
});

ponder.on("AIServiceAMM:ProtocolFeeShareSet", async ({ event, context }) => {
  await updateConfig(context, event, { protocolFeeShareBps: event.args.shareBps });
});

ponder.on("AIServiceAMM:Paused", async ({ event, context }) => {
  await updateConfig(context, event, { paused: true });
});

ponder.on("AIServiceAMM:Unpaused", async ({ event, context }) => {
  await updateConfig(context, event, { paused: false });
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
