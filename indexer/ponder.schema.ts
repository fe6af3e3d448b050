import { index, onchainTable, primaryKey } from "ponder";

// Read models of the AIServiceAMM. Every key includes the chain id: the indexer follows several chains.
// Amounts are raw token units (bigint, numeric(78) in SQL). Prices are token1 per token0 in raw units,
// `reserve1 / reserve0` after the event, stored as double precision floats: they feed candles and
// volatility, where a float's 15–16 significant digits are plenty and logs/ratios are natural; every exact
// quantity (reserves, amounts, fees, shares) is a bigint.

/** One row per pool, kept current; running totals are upserted by the handlers. */
export const pool = onchainTable(
  "pool",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    token0: t.hex().notNull(),
    token1: t.hex().notNull(),
    reserve0: t.bigint().notNull(),
    reserve1: t.bigint().notNull(),
    /** LP shares in existence, the never-owned MINIMUM_LIQUIDITY included (as the contract counts it). */
    totalLiquidity: t.bigint().notNull(),
    /** Current swap fee in pips (1e6 = 100 %). */
    fee: t.integer().notNull(),
    minFee: t.integer().notNull(),
    maxFee: t.integer().notNull(),
    maxFeeStep: t.integer().notNull(),
    minFeeInterval: t.integer().notNull(),
    /** Cumulative swap volume: the token0 side and the token1 side of every swap (in or out). */
    volume0: t.bigint().notNull(),
    volume1: t.bigint().notNull(),
    /** Cumulative swap fees valued in token1 (see `swap.feeToken1`). */
    feesToken1: t.bigint().notNull(),
    swapCount: t.integer().notNull(),
    /** LP shares minted to the treasury as the protocol's fee share, cumulative. */
    protocolFeeLiquidity: t.bigint().notNull(),
    /**
     * Block timestamp (Unix seconds) of the fee keeper's last `setFee`, 0 before the first; a clamp by
     * `setFeeBounds` leaves it alone, as the contract does. Equals `getPool(poolId).lastFeeUpdate`.
     */
    lastFeeUpdate: t.bigint().notNull(),
    /** reserve0 × reserve1 after the last liquidity change while the protocol fee was on, else 0 (`kLast`). */
    kLast: t.bigint().notNull(),
    /**
     * The contract's TWAP accumulators as stored (UQ112x112 × seconds, wrapping at 2^256), advanced at each
     * reserve write by the time the previous reserves stood; `blockTimestampLast` is that write's timestamp
     * mod 2^32. They equal `getPool`'s fields (not `currentCumulativePrices`, which extrapolates to now).
     */
    price0CumulativeLast: t.bigint().notNull(),
    price1CumulativeLast: t.bigint().notNull(),
    blockTimestampLast: t.bigint().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    lastSwapTimestamp: t.bigint(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId] }) }),
);

/** One row per Swapped event (one per hop of a multi-hop swap). */
export const swap = onchainTable(
  "swap",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    sender: t.hex().notNull(),
    recipient: t.hex().notNull(),
    zeroForOne: t.boolean().notNull(),
    amountIn: t.bigint().notNull(),
    amountOut: t.bigint().notNull(),
    /** The token0 side and the token1 side of the swap (whichever way it went). */
    amount0: t.bigint().notNull(),
    amount1: t.bigint().notNull(),
    /** Reserves after the swap. */
    reserve0: t.bigint().notNull(),
    reserve1: t.bigint().notNull(),
    /** reserve1 / reserve0 after the swap (float, raw units). */
    price: t.doublePrecision().notNull(),
    /** The pool's fee (pips) when the swap ran. */
    fee: t.integer().notNull(),
    /**
     * The fee paid, valued in token1 at the swap's own execution price: floor(amount1 × fee / 1e6). For a
     * token1-in swap this is exactly the fee taken; for a token0-in swap it is the token0 fee times
     * amountOut / amountIn.
     */
    feeToken1: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    poolTimeIdx: index().on(table.chainId, table.poolId, table.timestamp),
  }),
);

/** One row per LiquidityAdded / LiquidityRemoved event. */
export const liquidityEvent = onchainTable(
  "liquidity_event",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    kind: t.text().notNull().$type<"add" | "remove">(),
    provider: t.hex().notNull(),
    recipient: t.hex().notNull(),
    amount0: t.bigint().notNull(),
    amount1: t.bigint().notNull(),
    liquidity: t.bigint().notNull(),
    /** Reserves after the event. */
    reserve0: t.bigint().notNull(),
    reserve1: t.bigint().notNull(),
    price: t.doublePrecision(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    poolTimeIdx: index().on(table.chainId, table.poolId, table.timestamp),
  }),
);

/**
 * The AMM's protocol-wide settings, one row per chain, from the constructor's `DefaultFeeSet` and
 * `TreasurySet` on: pause state, treasury, protocol fee share, and what new pools start with.
 */
export const ammConfig = onchainTable("amm_config", (t) => ({
  chainId: t.integer().primaryKey(),
  /** The AMM contract this row describes. */
  address: t.hex().notNull(),
  /** Pausable: pool creation, deposits and swaps halted (removals stay open). */
  paused: t.boolean().notNull(),
  treasury: t.hex().notNull(),
  /** The protocol's share of swap fees, in basis points of the fee; 0 = protocol fee off. */
  protocolFeeShareBps: t.integer().notNull(),
  /** Fee (pips) and fee bounds that new pools start with (`DefaultFeeSet`). */
  defaultFee: t.integer().notNull(),
  defaultMinFee: t.integer().notNull(),
  defaultMaxFee: t.integer().notNull(),
  defaultMaxFeeStep: t.integer().notNull(),
  defaultMinFeeInterval: t.integer().notNull(),
  /** Block of the AMM's deployment (its constructor's first event). */
  createdBlock: t.bigint().notNull(),
  updatedBlock: t.bigint().notNull(),
  updatedTimestamp: t.bigint().notNull(),
}));

/**
 * One row per FeeUpdated event (the keeper's moves, and clamps by new bounds). `source` tells them apart:
 * `setFee` (moves `pool.lastFeeUpdate`) or `setFeeBounds` (a clamp, which does not).
 */
export const feeChange = onchainTable(
  "fee_change",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    oldFee: t.integer().notNull(),
    newFee: t.integer().notNull(),
    updatedBy: t.hex().notNull(),
    source: t.text().notNull().$type<"setFee" | "setFeeBounds">(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    poolIdx: index().on(table.chainId, table.poolId),
  }),
);

/** One row per FeeBoundsSet event (governance's new bounds for a pool). */
export const feeBoundsChange = onchainTable(
  "fee_bounds_change",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    minFee: t.integer().notNull(),
    maxFee: t.integer().notNull(),
    maxFeeStep: t.integer().notNull(),
    minFeeInterval: t.integer().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    poolIdx: index().on(table.chainId, table.poolId),
  }),
);

/**
 * Hourly OHLCV per pool. Prices are `reserve1 / reserve0` after each swap in the hour (float, raw units):
 * open = after the hour's first swap, close = after its last. Volumes are the token0 and token1 sides.
 */
export const candle = onchainTable(
  "candle",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    /** Unix seconds at the start of the hour. */
    bucketStart: t.bigint().notNull(),
    open: t.doublePrecision().notNull(),
    high: t.doublePrecision().notNull(),
    low: t.doublePrecision().notNull(),
    close: t.doublePrecision().notNull(),
    volume0: t.bigint().notNull(),
    volume1: t.bigint().notNull(),
    feesToken1: t.bigint().notNull(),
    swapCount: t.integer().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId, table.bucketStart] }) }),
);

/** LP shares (ERC-6909, id = pool id) per owner, from Transfer events; the treasury's fee shares included. */
export const lpPosition = onchainTable(
  "lp_position",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    owner: t.hex().notNull(),
    balance: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId, table.owner] }) }),
);

/** One row per ProtocolFeeMinted event: LP shares minted to the treasury. */
export const protocolFee = onchainTable(
  "protocol_fee",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    treasury: t.hex().notNull(),
    liquidity: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }) }),
);
