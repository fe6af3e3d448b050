import { index, onchainTable, primaryKey, type PgColumnsBuilders } from "ponder";

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

// ─── AIPowerYieldFarm ────────────────────────────────────────────────────────────────────────────────
// Rates are reward tokens per second (raw units); APR/APY are 1e18 fixed point (1e18 = 100 % a year), as the
// contract's `currentApr`/`currentApy` return them.

/** The farm's pause state, one row per chain (created by its first event). */
export const farmConfig = onchainTable("farm_config", (t) => ({
  chainId: t.integer().primaryKey(),
  /** The AIPowerYieldFarm contract this row describes. */
  address: t.hex().notNull(),
  /** Pausable: stake and compound halted (unstake after the lock and claims stay open). */
  paused: t.boolean().notNull(),
  updatedBlock: t.bigint().notNull(),
  updatedTimestamp: t.bigint().notNull(),
}));

/**
 * One row per farm pool, kept current. Every field of `getPool(poolId)` (PoolView) is mirrored from events alone:
 * the handlers replay the contract's `_updatePool` accrual (rewardPerWeightStored, undistributed,
 * lastUpdateTime) before applying each event, so the row equals `getPool` at `updatedBlock` — and at any later
 * block, because nothing moves a PoolView field without an event. `apr`/`apy` are the contract's
 * `currentApr`/`currentApy` read at `aprBlock` (the pool's last farm event); they go stale between events
 * (period end, AMM price moves) — `GET /farm/apy?source=chain` reads them live.
 */
export const farmPool = onchainTable(
  "farm_pool",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    /** The staked ERC-20, or the AMM's address for an LP pool (then `ammPoolId` is the staked ERC-6909 id). */
    stakingToken: t.hex().notNull(),
    rewardToken: t.hex().notNull(),
    lpShares: t.boolean().notNull(),
    ammPoolId: t.bigint().notNull(),
    /** Reward tokens per second for the whole pool. */
    rewardRate: t.bigint().notNull(),
    periodFinish: t.bigint().notNull(),
    lastUpdateTime: t.bigint().notNull(),
    /** Block timestamp of the APY keeper's last `setRewardRate` (a `setRateBounds` clamp leaves it), 0 before. */
    lastRateUpdate: t.bigint().notNull(),
    rewardPerWeightStored: t.bigint().notNull(),
    totalStaked: t.bigint().notNull(),
    totalWeight: t.bigint().notNull(),
    undistributed: t.bigint().notNull(),
    rewardReserve: t.bigint().notNull(),
    totalFunded: t.bigint().notNull(),
    minRate: t.bigint().notNull(),
    maxRate: t.bigint().notNull(),
    maxStep: t.bigint().notNull(),
    minInterval: t.bigint().notNull(),
    /** Σ RewardsClaimed amounts and Σ Compounded amounts (rewards taken from the reserve either way). */
    totalClaimed: t.bigint().notNull(),
    totalCompounded: t.bigint().notNull(),
    /** Stakes ever made (Staked events, compounds included). */
    stakeCount: t.integer().notNull(),
    /** `currentApr(poolId)` at `aprBlock`. */
    apr: t.bigint().notNull(),
    /** `currentApy(poolId)` at `aprBlock`; null when it reverts (NoPriceRoute: no AMM pool to price through). */
    apy: t.bigint(),
    aprBlock: t.bigint().notNull(),
    aprTimestamp: t.bigint().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId] }) }),
);

/**
 * One row per pool and account. `staked`/`weight` equal `accountOf`; `rewards` and `rewardPerWeightPaid` are the
 * account's settled reward state after its last event (so `rewards` = `pendingRewards` at `updatedBlock`).
 */
export const farmPosition = onchainTable(
  "farm_position",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    account: t.hex().notNull(),
    staked: t.bigint().notNull(),
    /** Σ floor(stake amount × multiplierBps / 10 000) over the account's stakes. */
    weight: t.bigint().notNull(),
    rewards: t.bigint().notNull(),
    rewardPerWeightPaid: t.bigint().notNull(),
    claimed: t.bigint().notNull(),
    compounded: t.bigint().notNull(),
    /** Stakes made (withdrawn ones keep their id), = `stakeCount(poolId, account)`. */
    stakeCount: t.integer().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId, table.account] }) }),
);

/** One row per stake (`getStake(poolId, account, stakeId)`); `amount` is what is still staked. */
export const farmStake = onchainTable(
  "farm_stake",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    account: t.hex().notNull(),
    stakeId: t.bigint().notNull(),
    amount: t.bigint().notNull(),
    /** The amount staked at first; `unstaked` = what has been withdrawn since. */
    initialAmount: t.bigint().notNull(),
    unstaked: t.bigint().notNull(),
    lockEnd: t.bigint().notNull(),
    multiplierBps: t.integer().notNull(),
    /** Made by `compound` (unlocked, 1×) rather than `stake`. */
    compounded: t.boolean().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId, table.account, table.stakeId] }) }),
);

/**
 * One row per RewardsClaimed (`kind` claim) and per Compounded (`kind` compound, with the new stake's id): the
 * rewards taken from the pool's reserve.
 */
export const farmClaim = onchainTable(
  "farm_claim",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    account: t.hex().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    kind: t.text().notNull().$type<"claim" | "compound">(),
    amount: t.bigint().notNull(),
    stakeId: t.bigint(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    poolAccountIdx: index().on(table.chainId, table.poolId, table.account),
  }),
);

/** One row per PoolFunded event. */
export const farmFunding = onchainTable(
  "farm_funding",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    funder: t.hex().notNull(),
    amount: t.bigint().notNull(),
    duration: t.bigint().notNull(),
    rewardRate: t.bigint().notNull(),
    periodFinish: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }) }),
);

/**
 * One row per RewardRateUpdated (`kind` rate; `source` setRewardRate, or setRateBounds for the clamp that follows
 * new bounds) and per RateBoundsSet (`kind` bounds, with the new bounds).
 */
export const farmRateChange = onchainTable(
  "farm_rate_change",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    kind: t.text().notNull().$type<"rate" | "bounds">(),
    source: t.text().$type<"setRewardRate" | "setRateBounds">(),
    oldRate: t.bigint(),
    newRate: t.bigint(),
    updatedBy: t.hex(),
    minRate: t.bigint(),
    maxRate: t.bigint(),
    maxStep: t.bigint(),
    minInterval: t.bigint(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    poolIdx: index().on(table.chainId, table.poolId),
  }),
);

/**
 * APY history: one row per pool per hour of block time (`bucketStart`), holding the last `currentApr`/`currentApy`
 * read (at the event's block) among the pool's farm events in that hour. Hours without a farm event have no row.
 */
export const farmApyHour = onchainTable(
  "farm_apy_hour",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    bucketStart: t.bigint().notNull(),
    apr: t.bigint().notNull(),
    /** Null when `currentApy` reverted (no price route). */
    apy: t.bigint(),
    /** Block and timestamp of the reading kept. */
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    /** Farm events of the pool in this hour. */
    samples: t.integer().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId, table.bucketStart] }) }),
);

// ─── AgentGovernance and AgentReputation ─────────────────────────────────────────────────────────────

/**
 * One row per proposal. `state` is the lifecycle as events tell it: Pending (created), Queued, Executed or
 * Canceled. The time-dependent states (Active, Defeated, Succeeded, Expired) follow from `voteStart`/`voteEnd`
 * (timestamps: the governor's clock is AITBC's timestamp clock) and the quorum at the snapshot; the route
 * `GET /governance/proposals/:id` returns the governor's own `state()`.
 */
export const proposal = onchainTable(
  "proposal",
  (t) => ({
    chainId: t.integer().notNull(),
    proposalId: t.bigint().notNull(),
    governor: t.hex().notNull(),
    proposer: t.hex().notNull(),
    targets: t.hex().array().notNull(),
    values: t.bigint().array().notNull(),
    signatures: t.text().array().notNull(),
    calldatas: t.hex().array().notNull(),
    actionCount: t.integer().notNull(),
    description: t.text().notNull(),
    /** Snapshot and deadline (Unix seconds): voting is open in (voteStart, voteEnd]. */
    voteStart: t.bigint().notNull(),
    voteEnd: t.bigint().notNull(),
    state: t.text().notNull().$type<"Pending" | "Queued" | "Executed" | "Canceled">(),
    /** Σ weight of votes against / for / abstaining (= `proposalVotes`). */
    againstVotes: t.bigint().notNull(),
    forVotes: t.bigint().notNull(),
    abstainVotes: t.bigint().notNull(),
    voteCount: t.integer().notNull(),
    /** When the timelock lets it run (ProposalQueued's etaSeconds), null until queued. */
    etaSeconds: t.bigint(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    queuedBlock: t.bigint(),
    executedBlock: t.bigint(),
    canceledBlock: t.bigint(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.proposalId] }) }),
);

/** One row per proposal and voter (the governor counts one vote each): VoteCast and VoteCastWithParams. */
export const vote = onchainTable(
  "vote",
  (t) => ({
    chainId: t.integer().notNull(),
    proposalId: t.bigint().notNull(),
    voter: t.hex().notNull(),
    /** 0 against, 1 for, 2 abstain (GovernorCountingSimple). */
    support: t.integer().notNull(),
    weight: t.bigint().notNull(),
    reason: t.text().notNull(),
    /** VoteCastWithParams' params; null for VoteCast. */
    params: t.hex(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.proposalId, table.voter] }) }),
);

/** AgentReputation score per account (= `getVotes(account)`), with the total after its last move. */
export const reputation = onchainTable(
  "reputation",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    score: t.bigint().notNull(),
    /** The sum of all scores right after this account's last grant or revocation. */
    totalAfter: t.bigint().notNull(),
    grantCount: t.integer().notNull(),
    revokeCount: t.integer().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.account] }) }),
);

// ─── CrossChainBridge ────────────────────────────────────────────────────────────────────────────────
// One bridge per chain. A transfer's halves happen on two chains that Ponder indexes independently
// (`ordering: "multichain"`), so its completion may be indexed before its initiation: `bridge_request` rows are
// upserted from either side and merged. Amounts are raw token units (after the fee, as the request carries them).
// Chain ids read from events (uint256: a request's chains, a route's remote chain) are bigints; `chainId`, the
// indexed chain a row belongs to, is an integer as in every other table.

/**
 * One row per transfer, keyed by its request id (`keccak256(abi.encode(request))`, unique across chains). Filled by
 * BridgeInitiated on the source chain (every request field, `fee`, `initiated*`), BridgeCompleted on the destination
 * (`completed*`) and BridgeRefunded on the source (`refunded*`), in whichever order they are indexed. A field the
 * side seen so far does not tell is null: a completion seen first gives `srcChainId`, `dstChainId`, `dstBridge`,
 * `recipient`, `dstToken` and `amount`; the initiation fills the rest.
 */
export const bridgeRequest = onchainTable(
  "bridge_request",
  (t) => ({
    id: t.hex().primaryKey(),
    srcChainId: t.bigint(),
    dstChainId: t.bigint(),
    srcBridge: t.hex(),
    dstBridge: t.hex(),
    sender: t.hex(),
    recipient: t.hex(),
    srcToken: t.hex(),
    dstToken: t.hex(),
    /** Sent amount after the fee (`request.amount`): released or minted on completion, returned on refund. */
    amount: t.bigint().notNull(),
    /** Fee taken at initiation (to the source bridge's treasury; never refunded). */
    fee: t.bigint(),
    /** Source-chain Unix seconds: completable up to it (destination clock), refundable after it (source clock). */
    deadline: t.bigint(),
    /** The source bridge's outbound nonce. */
    nonce: t.bigint(),
    /**
     * initiated → completed | refunded, as far as indexed. `conflict`: both a completion and a refund were indexed
     * (only a dishonest validator quorum can cause it). A completion indexed before its initiation is `completed`.
     */
    status: t.text().notNull().$type<"initiated" | "completed" | "refunded" | "conflict">(),
    initiatedBlock: t.bigint(),
    initiatedTimestamp: t.bigint(),
    initiatedTxHash: t.hex(),
    completedBlock: t.bigint(),
    completedTimestamp: t.bigint(),
    completedTxHash: t.hex(),
    /** Who sent `completeBridge` (a relayer or anyone). */
    completedSubmitter: t.hex(),
    refundedBlock: t.bigint(),
    refundedTimestamp: t.bigint(),
    refundedTxHash: t.hex(),
    refundedSubmitter: t.hex(),
    /**
     * completedTimestamp − initiatedTimestamp once both are known: the destination's block time minus the source's,
     * two clocks (negative if the destination's clock lags by more than the transfer took).
     */
    secondsToComplete: t.bigint(),
  }),
  (table) => ({
    routeIdx: index().on(table.srcChainId, table.dstChainId, table.srcToken),
    senderIdx: index().on(table.sender),
    recipientIdx: index().on(table.recipient),
    initiatedIdx: index().on(table.initiatedTimestamp),
  }),
);

/** Every validator set of each chain's bridge (ValidatorSetUpdated; version 1 is the constructor's). */
export const bridgeValidatorSet = onchainTable(
  "bridge_validator_set",
  (t) => ({
    chainId: t.integer().notNull(),
    version: t.bigint().notNull(),
    bridge: t.hex().notNull(),
    validators: t.hex().array().notNull(),
    threshold: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.version] }) }),
);

/** A local token's route to and from a remote chain (RouteSet, latest), = `getRoute(token, remoteChainId)`. */
export const bridgeRoute = onchainTable(
  "bridge_route",
  (t) => ({
    chainId: t.integer().notNull(),
    token: t.hex().notNull(),
    remoteChainId: t.bigint().notNull(),
    /** Where the canonical token lives: this chain (lock/release) or the remote one (burn/mint). */
    homeChainId: t.bigint().notNull(),
    /** The token's address on the remote chain. */
    counterpart: t.hex().notNull(),
    decimals: t.integer().notNull(),
    enabled: t.boolean().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.token, table.remoteChainId] }) }),
);

/** Per chain: the bridge's address, pause state, treasury and request lifetime (created by its constructor). */
export const bridgeConfig = onchainTable("bridge_config", (t) => ({
  chainId: t.integer().primaryKey(),
  address: t.hex().notNull(),
  paused: t.boolean().notNull(),
  treasury: t.hex(),
  requestTtl: t.bigint(),
  /** The current validator set's version (see `bridge_validator_set`). */
  validatorSetVersion: t.bigint(),
  updatedBlock: t.bigint().notNull(),
  updatedTimestamp: t.bigint().notNull(),
}));

/** Per chain and remote chain: the peer bridge (RemoteBridgeSet), = `remoteBridge(remoteChainId)`. */
export const bridgeRemote = onchainTable(
  "bridge_remote",
  (t) => ({
    chainId: t.integer().notNull(),
    remoteChainId: t.bigint().notNull(),
    bridge: t.hex().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.remoteChainId] }) }),
);

/**
 * Per chain and local token: its fee (FeeSet, = `feeBps(token)`) and rate-limit configurations (RateLimitSet, per
 * direction: outbound consumed by initiations, inbound by completions). Null until set.
 */
export const bridgeToken = onchainTable(
  "bridge_token",
  (t) => ({
    chainId: t.integer().notNull(),
    token: t.hex().notNull(),
    feeBps: t.integer(),
    inboundLimitEnabled: t.boolean(),
    inboundCapacity: t.bigint(),
    inboundRefillPerSecond: t.bigint(),
    outboundLimitEnabled: t.boolean(),
    outboundCapacity: t.bigint(),
    outboundRefillPerSecond: t.bigint(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.token] }) }),
);

// ─── ComputePriceOracle ──────────────────────────────────────────────────────────────────────────────
// The time-weighted price oracle that values portfolios and consortia. Indexed so that a reading that failed
// closed (a null value below) can be explained: which pool was last observed when, and whether its period average
// moved beyond the band.

/** The oracle's settings per chain (`window`, `period`, `maxMoveBps`, `maxPoolIdle` read at `updatedBlock`). */
export const oracleConfig = onchainTable("oracle_config", (t) => ({
  chainId: t.integer().primaryKey(),
  address: t.hex().notNull(),
  /** Averaging window and observation period, seconds. */
  window: t.bigint().notNull(),
  period: t.bigint().notNull(),
  /** Largest move between consecutive period averages before the oracle fails closed. */
  maxMoveBps: t.integer().notNull(),
  /** Longest time a pool may go without a trade (0 = no limit). */
  maxPoolIdle: t.bigint().notNull(),
  observationCount: t.integer().notNull(),
  updatedBlock: t.bigint().notNull(),
  updatedTimestamp: t.bigint().notNull(),
}));

/** One row per ObservationRecorded: a pool's average price over the period that ended at `timestamp`. */
export const oracleObservation = onchainTable(
  "oracle_observation",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    /** The observation's timestamp (the block's, as the oracle stores it: uint32 Unix seconds). */
    timestamp: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    txHash: t.hex().notNull(),
    /** Average price of token0 in token1 since the previous observation, UQ112.112. */
    periodPrice0X112: t.bigint().notNull(),
    /** Its change against the previous period's average, bps; `beyondBand` when above `maxMoveBps`. */
    moveBps: t.bigint().notNull(),
    beyondBand: t.boolean().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId, table.timestamp] }) }),
);

// ─── AgentPortfolioManager ───────────────────────────────────────────────────────────────────────────
// Amounts and values are raw token units; a portfolio's values are in its base token (asset 0). Values, weights,
// drift and risk are the contract's own views (`portfolioValue`, `currentWeights`, `needsRebalance`,
// `calculateRiskScore`) read at the block of each event — after the block's last transaction, so one snapshot per
// portfolio and block. Those views price through the time-weighted oracle, which fails closed (too little
// history, a stale observation, a move beyond its band, an idle pool): a view that reverts is recorded as null,
// with the revert in `readError`, and indexing goes on.

/** The AgentPortfolioManager's pause state per chain (created by its first event). */
export const portfolioManagerConfig = onchainTable("portfolio_manager_config", (t) => ({
  chainId: t.integer().primaryKey(),
  address: t.hex().notNull(),
  /** Pausable: deposits, trades, rebalances and stop triggers halted (withdrawals stay open). */
  paused: t.boolean().notNull(),
  updatedBlock: t.bigint().notNull(),
  updatedTimestamp: t.bigint().notNull(),
}));

/**
 * One row per portfolio, refreshed at each of its events: `owner` … `lossUpdatedAt` are `getPortfolio` read at
 * `updatedBlock` (so they hold whatever order a transaction emits its events in, and a stop's move of its target to
 * the base token, which no TargetsSet announces); the readings (`value` … `hhiBps`) are the valuations read at the
 * same block, as in the latest `portfolio_snapshot`.
 */
export const portfolio = onchainTable(
  "portfolio",
  (t) => ({
    chainId: t.integer().notNull(),
    portfolioId: t.bigint().notNull(),
    /** The AgentPortfolioManager holding it. */
    manager: t.hex().notNull(),
    owner: t.hex().notNull(),
    /** = assets[0], the unit of account. */
    baseToken: t.hex().notNull(),
    assets: t.hex().array().notNull(),
    /** AMM pool pairing each asset with the base token (pools[0] is ignored by the contract). */
    pools: t.bigint().array().notNull(),
    targetWeightsBps: t.integer().array().notNull(),
    /** Raw units of each asset booked to the portfolio, in `assets` order. */
    holdings: t.bigint().array().notNull(),
    driftBandBps: t.integer().notNull(),
    maxLossPerTradeBps: t.integer().notNull(),
    lossBudgetPpm: t.bigint().notNull(),
    lossWindow: t.bigint().notNull(),
    maxChunkBps: t.integer().notNull(),
    /** The loss budget's bucket as stored (ppm of value) and when it was last charged; it drains with time. */
    lossUsedPpm: t.bigint().notNull(),
    lossUpdatedAt: t.bigint().notNull(),
    /** `lossUsedNow` at `updatedBlock`: the bucket drained up to that block (what the next trade adds to). */
    lossUsedNowPpm: t.bigint().notNull(),
    /** `portfolioValue` total and per asset (base-token units) at `updatedBlock`; null when it reverted. */
    value: t.bigint(),
    values: t.bigint().array(),
    /** `currentWeights` (bps of the value) at `updatedBlock`. */
    weightsBps: t.integer().array(),
    /** `needsRebalance` at `updatedBlock`: due, and the largest |current − target| weight in bps. */
    needsRebalance: t.boolean(),
    maxDriftBps: t.bigint(),
    /** `calculateRiskScore` at `updatedBlock`: annualized volatility (bps) and Herfindahl index (bps). */
    riskScoreBps: t.bigint(),
    hhiBps: t.bigint(),
    /** The views that reverted at `updatedBlock`, and how (`name: ErrorName(args)`, `; `-separated); null if none. */
    readError: t.text(),
    /** Running totals over the portfolio's Traded events; `lossPpmTotal` = Σ lossPpm (the budget charges). */
    tradeCount: t.integer().notNull(),
    rebalanceCount: t.integer().notNull(),
    stopCount: t.integer().notNull(),
    lossPpmTotal: t.bigint().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.portfolioId] }),
    ownerIdx: index().on(table.owner),
  }),
);

/**
 * Value history: one row per portfolio and block with at least one of its events, holding the views read at that
 * block (null where they reverted) and the holdings and targets after the block's last event.
 */
export const portfolioSnapshot = onchainTable(
  "portfolio_snapshot",
  (t) => ({
    chainId: t.integer().notNull(),
    portfolioId: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    value: t.bigint(),
    values: t.bigint().array(),
    weightsBps: t.integer().array(),
    needsRebalance: t.boolean(),
    maxDriftBps: t.bigint(),
    riskScoreBps: t.bigint(),
    hhiBps: t.bigint(),
    readError: t.text(),
    holdings: t.bigint().array().notNull(),
    targetWeightsBps: t.integer().array().notNull(),
    /** The portfolio's events in this block. */
    events: t.integer().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.portfolioId, table.blockNumber] }) }),
);

/**
 * One row per Traded event. `oracleAmountOut` is the trade's reference output (the larger of its outputs at the
 * time-weighted and at the pre-block spot prices); `lossBps` = (oracleAmountOut − amountOut) / oracleAmountOut ×
 * 10 000 as a float, negative when the trade beat both; `lossPpm` is the contract's charge to the loss budget (parts
 * per million of the portfolio's value: the larger of its losses against the two, 0 for a trade that beat both).
 */
export const portfolioTrade = onchainTable(
  "portfolio_trade",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    portfolioId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    kind: t.text().notNull().$type<"Owner" | "Rebalance" | "StopLoss" | "TakeProfit">(),
    caller: t.hex().notNull(),
    tokenIn: t.hex().notNull(),
    tokenOut: t.hex().notNull(),
    amountIn: t.bigint().notNull(),
    amountOut: t.bigint().notNull(),
    oracleAmountOut: t.bigint().notNull(),
    lossBps: t.doublePrecision(),
    lossPpm: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    portfolioTimeIdx: index().on(table.chainId, table.portfolioId, table.timestamp),
  }),
);

/** One row per Rebalanced event: the drift and the value (base token) before the rebalance trade of its tx. */
export const portfolioRebalance = onchainTable(
  "portfolio_rebalance",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    portfolioId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    caller: t.hex().notNull(),
    maxDriftBps: t.bigint().notNull(),
    valueBefore: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    portfolioTimeIdx: index().on(table.chainId, table.portfolioId, table.timestamp),
  }),
);

/** One row per Deposited (`kind` deposit, `account` = from) and Withdrawn (`kind` withdraw, `account` = to). */
export const portfolioFlow = onchainTable(
  "portfolio_flow",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    portfolioId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    kind: t.text().notNull().$type<"deposit" | "withdraw">(),
    token: t.hex().notNull(),
    account: t.hex().notNull(),
    amount: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    portfolioTimeIdx: index().on(table.chainId, table.portfolioId, table.timestamp),
  }),
);

/**
 * Stop events: one row per StopOrderSet (`kind` set: the new prices) and StopTriggered (`kind` triggered: the
 * time-weighted `price` that fired it, `stopLoss` true for a stop-loss, false for a take-profit). Prices are raw base
 * units per 1e18 raw units of the asset.
 */
export const portfolioStop = onchainTable(
  "portfolio_stop",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    portfolioId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    asset: t.hex().notNull(),
    kind: t.text().notNull().$type<"set" | "triggered">(),
    stopLossPrice: t.bigint(),
    takeProfitPrice: t.bigint(),
    price: t.bigint(),
    stopLoss: t.boolean(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    portfolioTimeIdx: index().on(table.chainId, table.portfolioId, table.timestamp),
  }),
);

/**
 * The standing stop order of each asset that ever had one (= `stopOrderOf`): set by StopOrderSet, and read from
 * `stopOrderOf` at the block of each StopTriggered of the asset (what a fired order leaves is the contract's call).
 */
export const portfolioStopOrder = onchainTable(
  "portfolio_stop_order",
  (t) => ({
    chainId: t.integer().notNull(),
    portfolioId: t.bigint().notNull(),
    asset: t.hex().notNull(),
    stopLossPrice: t.bigint().notNull(),
    takeProfitPrice: t.bigint().notNull(),
    triggerCount: t.integer().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.portfolioId, table.asset] }) }),
);

// ─── MultiAgentCoordinator ───────────────────────────────────────────────────────────────────────────
// Consortia: multi-asset vaults whose shares are votes. Amounts are raw token units; NAV is in the base token.
// NAV per share = (NAV + 1) × 1e18 / (totalShares + 10^6) (floor): the coordinator's share price (ERC-4626 style, with
// 10^6 virtual shares and 1 virtual base unit) on its high-water mark's scale, so the two compare directly.
// `netAssetValue` prices through the oracle, read at each event's block like a portfolio's value; null when it
// reverts (the oracle failed closed), with the revert in `readError`.

/** The MultiAgentCoordinator's pause state per chain (created by its first event). */
export const coordinatorConfig = onchainTable("coordinator_config", (t) => ({
  chainId: t.integer().primaryKey(),
  address: t.hex().notNull(),
  /** Pausable: contributions, leader trades, Trade proposals' execution and distributions halted. */
  paused: t.boolean().notNull(),
  updatedBlock: t.bigint().notNull(),
  updatedTimestamp: t.bigint().notNull(),
}));

/**
 * One row per consortium, refreshed at each event that changes its vault: `leader` … `lossPeriodStart` are
 * `getConsortium` read at `updatedBlock` (assets and holdings as the contract books them after trades, fees,
 * distributions and exits); `nav`, `navValues` are `netAssetValue` at the same block, `navPerShare` = (nav + 1) × 1e18
 * / (totalShares + 10^6). `members` are the accounts listed at creation (who may contribute).
 */
export const consortium = onchainTable(
  "consortium",
  (t) => ({
    chainId: t.integer().notNull(),
    consortiumId: t.bigint().notNull(),
    /** The MultiAgentCoordinator holding it. */
    coordinator: t.hex().notNull(),
    leader: t.hex().notNull(),
    baseToken: t.hex().notNull(),
    members: t.hex().array().notNull(),
    votingPeriod: t.bigint().notNull(),
    gracePeriod: t.bigint().notNull(),
    quorumBps: t.integer().notNull(),
    performanceFeeBps: t.integer().notNull(),
    /** The mandate: what the leader may do without a vote. */
    maxTradeBps: t.integer().notNull(),
    maxLossPerTradeBps: t.integer().notNull(),
    maxLossPerPeriodBps: t.integer().notNull(),
    lossPeriod: t.bigint().notNull(),
    allowedPools: t.bigint().array().notNull(),
    /** The base token and every token of a pool the mandate has ever allowed, with the vault's holdings of each. */
    assets: t.hex().array().notNull(),
    holdings: t.bigint().array().notNull(),
    totalShares: t.bigint().notNull(),
    /** NAV per share (1e18-scaled base units) above which profit is distributed. */
    highWaterMark: t.bigint().notNull(),
    /** Losses charged in the current loss period (bps of NAV), and when that period started. */
    lossUsedBps: t.bigint().notNull(),
    lossPeriodStart: t.bigint().notNull(),
    /** `netAssetValue` total and per asset (base-token units) at `updatedBlock`; null when it reverted. */
    nav: t.bigint(),
    navValues: t.bigint().array(),
    navPerShare: t.bigint(),
    /** The views that reverted at `updatedBlock`, and how; null if none. */
    readError: t.text(),
    /** Running totals: Σ contributions (base token), Σ distributed to holders, Σ leader fees, and counts. */
    contributed: t.bigint().notNull(),
    distributed: t.bigint().notNull(),
    feesPaid: t.bigint().notNull(),
    tradeCount: t.integer().notNull(),
    proposalCount: t.integer().notNull(),
    distributionCount: t.integer().notNull(),
    ragequitCount: t.integer().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.consortiumId] }),
    leaderIdx: index().on(table.leader),
  }),
);

/**
 * One row per consortium and account that was listed or ever held shares: `shares` (= `sharesOf`), `listed` (a
 * member named at creation, who may contribute), Σ contributed (base token) and shares received for it, shares
 * given up by ragequit, Σ distribution claims.
 */
export const consortiumMember = onchainTable(
  "consortium_member",
  (t) => ({
    chainId: t.integer().notNull(),
    consortiumId: t.bigint().notNull(),
    account: t.hex().notNull(),
    listed: t.boolean().notNull(),
    shares: t.bigint().notNull(),
    contributed: t.bigint().notNull(),
    sharesContributed: t.bigint().notNull(),
    sharesRagequit: t.bigint().notNull(),
    claimed: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.consortiumId, table.account] }),
    accountIdx: index().on(table.account),
  }),
);

/**
 * NAV history: one row per consortium and block with at least one of its events: `netAssetValue` at that block
 * (null where it reverted), and the total shares, NAV per share and high-water mark after the block's last event.
 */
export const consortiumNav = onchainTable(
  "consortium_nav",
  (t) => ({
    chainId: t.integer().notNull(),
    consortiumId: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    nav: t.bigint(),
    navValues: t.bigint().array(),
    totalShares: t.bigint().notNull(),
    navPerShare: t.bigint(),
    highWaterMark: t.bigint().notNull(),
    readError: t.text(),
    events: t.integer().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.consortiumId, table.blockNumber] }) }),
);

/** One row per Contributed event (`navBefore`: the NAV the shares were priced at). */
export const consortiumContribution = onchainTable(
  "consortium_contribution",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    consortiumId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    member: t.hex().notNull(),
    amount: t.bigint().notNull(),
    shares: t.bigint().notNull(),
    navBefore: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    consortiumTimeIdx: index().on(table.chainId, table.consortiumId, table.timestamp),
  }),
);

/**
 * One row per ConsortiumTraded: by the leader (`proposalId` 0) or an executed proposal. `lossBps` as in
 * `portfolio_trade` (negative when the trade beat the oracle); `navAfter` from the event.
 */
export const consortiumTrade = onchainTable(
  "consortium_trade",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    consortiumId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    proposalId: t.bigint().notNull(),
    tokenIn: t.hex().notNull(),
    tokenOut: t.hex().notNull(),
    amountIn: t.bigint().notNull(),
    amountOut: t.bigint().notNull(),
    oracleAmountOut: t.bigint().notNull(),
    lossBps: t.doublePrecision(),
    navAfter: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    consortiumTimeIdx: index().on(table.chainId, table.consortiumId, table.timestamp),
  }),
);

/**
 * One row per proposal (ids are the coordinator's, unique across its consortia). `decoded` is `data` decoded per
 * `kind` (amounts as decimal strings): SetMandate `{ mandate, allowedPools }`, Trade `{ poolIds, tokenIn, amountIn,
 * minAmountOut }`, SetLeader `{ leader }`; null if it does not decode. `executed` is what events tell; Active,
 * Defeated, Grace and Ready depend on the clock (`voteEnd`, `graceEnd`) and the quorum: `getProposal` has them.
 */
export const consortiumProposal = onchainTable(
  "consortium_proposal",
  (t) => ({
    chainId: t.integer().notNull(),
    proposalId: t.bigint().notNull(),
    consortiumId: t.bigint().notNull(),
    proposer: t.hex().notNull(),
    kind: t.text().notNull().$type<"SetMandate" | "Trade" | "SetLeader">(),
    data: t.hex().notNull(),
    decoded: t.json(),
    snapshotBlock: t.bigint().notNull(),
    voteEnd: t.bigint().notNull(),
    graceEnd: t.bigint().notNull(),
    yesVotes: t.bigint().notNull(),
    noVotes: t.bigint().notNull(),
    voteCount: t.integer().notNull(),
    executed: t.boolean().notNull(),
    executedBlock: t.bigint(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.proposalId] }),
    consortiumIdx: index().on(table.chainId, table.consortiumId),
  }),
);

/** One row per proposal and voter (Voted): `weight` = the voter's shares at the proposal's snapshot block. */
export const consortiumVote = onchainTable(
  "consortium_vote",
  (t) => ({
    chainId: t.integer().notNull(),
    proposalId: t.bigint().notNull(),
    voter: t.hex().notNull(),
    support: t.boolean().notNull(),
    weight: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.proposalId, table.voter] }) }),
);

/**
 * One row per ProfitsDistributed: `amount` set aside for holders at `snapshotBlock` (pro rata to
 * `totalSharesAtSnapshot`), `fee` to the leader, the new `highWaterMark`; `claimed`/`claimCount` so far.
 */
export const distribution = onchainTable(
  "distribution",
  (t) => ({
    chainId: t.integer().notNull(),
    distributionId: t.bigint().notNull(),
    consortiumId: t.bigint().notNull(),
    amount: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    snapshotBlock: t.bigint().notNull(),
    totalSharesAtSnapshot: t.bigint().notNull(),
    highWaterMark: t.bigint().notNull(),
    claimed: t.bigint().notNull(),
    claimCount: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.distributionId] }),
    consortiumIdx: index().on(table.chainId, table.consortiumId),
  }),
);

/** One row per distribution and account that claimed it (Claimed; once per account). */
export const distributionClaim = onchainTable(
  "distribution_claim",
  (t) => ({
    chainId: t.integer().notNull(),
    distributionId: t.bigint().notNull(),
    account: t.hex().notNull(),
    consortiumId: t.bigint().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.distributionId, table.account] }) }),
);

/**
 * One row per Ragequit: the shares given up and `amounts[i]` of `tokens[i]`, the member's pro-rata share of each asset
 * (a token that refused the transfer kept it claimable instead: `coordinator_stuck`).
 */
export const ragequit = onchainTable(
  "ragequit",
  (t) => ({
    chainId: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    consortiumId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    member: t.hex().notNull(),
    shares: t.bigint().notNull(),
    tokens: t.hex().array().notNull(),
    amounts: t.bigint().array().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] }),
    consortiumTimeIdx: index().on(table.chainId, table.consortiumId, table.timestamp),
  }),
);

/** Exit amounts a token refused, per account and token (= `stuckOf`): + ExitTransferFailed, − StuckWithdrawn. */
export const coordinatorStuck = onchainTable(
  "coordinator_stuck",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    failedCount: t.integer().notNull(),
    withdrawn: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.account, table.token] }) }),
);

// ─── AIPowerDerivatives ──────────────────────────────────────────────────────────────────────────────
// European cash-settled options on the oracle's compute-price index. Strikes and prices are wads of quote per whole
// underlying unit; option amounts raw underlying units; collateral raw units of the series' collateral token (the
// underlying for calls, the quote for puts). Series and vault rows are the contract's views (`getSeries`, `getVault`,
// `vaultHealth`) read at the block of each event that touches them, so they hold whatever order a transaction emits
// its events in. Health moves with the index price and the clock without any event: a vault's `required` and
// `liquidatable` are as of `updatedBlock`.

/** One row per series: `getSeries` at `updatedBlock`, plus its listing and settlement events. */
export const optionSeries = onchainTable(
  "option_series",
  (t) => ({
    chainId: t.integer().notNull(),
    seriesId: t.bigint().notNull(),
    /** The AIPowerDerivatives listing it. */
    derivatives: t.hex().notNull(),
    underlyingPoolId: t.bigint().notNull(),
    underlying: t.hex().notNull(),
    quote: t.hex().notNull(),
    /** The underlying for a call, the quote for a put. */
    collateral: t.hex().notNull(),
    underlyingDecimals: t.integer().notNull(),
    collateralDecimals: t.integer().notNull(),
    strikeWad: t.bigint().notNull(),
    expiry: t.bigint().notNull(),
    isCall: t.boolean().notNull(),
    /** Options outstanding (= open interest: minted − burned, exercised ones included until their vault settles). */
    totalShort: t.bigint().notNull(),
    collateralLocked: t.bigint().notNull(),
    /** Fixed at the series' first settlement or exercise after expiry (null before). */
    settled: t.boolean().notNull(),
    settlementWad: t.bigint(),
    settledBlock: t.bigint(),
    settledTimestamp: t.bigint(),
    /** Settled obligations not yet paid to holders, and claims the pot can never meet. */
    pot: t.bigint().notNull(),
    badDebt: t.bigint().notNull(),
    vaultCount: t.integer().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.seriesId] }),
    poolIdx: index().on(table.chainId, table.underlyingPoolId, table.expiry),
  }),
);

/**
 * One row per vault: `getVault` and `vaultHealth` at `updatedBlock`. A settled vault is deleted on chain (its views
 * answer zero or revert): its row keeps owner, series and margin, with `settled`, collateral and short 0, no health.
 * A health reading that reverted (the index cannot be priced) is null, with the revert in `readError`.
 */
export const optionVault = onchainTable(
  "option_vault",
  (t) => ({
    chainId: t.integer().notNull(),
    vaultId: t.bigint().notNull(),
    seriesId: t.bigint().notNull(),
    owner: t.hex().notNull(),
    margined: t.boolean().notNull(),
    collateral: t.bigint().notNull(),
    short: t.bigint().notNull(),
    /** When its liquidation auction started (Unix seconds; 0: none running). */
    auctionStart: t.bigint().notNull(),
    /** `vaultHealth`: the requirement of its short position and whether `liquidate` would accept it. */
    required: t.bigint(),
    liquidatable: t.boolean(),
    readError: t.text(),
    settled: t.boolean().notNull(),
    liquidationCount: t.integer().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
    updatedTimestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.vaultId] }),
    seriesIdx: index().on(table.chainId, table.seriesId),
    ownerIdx: index().on(table.owner),
  }),
);

/** ERC-6909 balances: an account's options of a series (= `balanceOf(account, seriesId)`), from Transfer events. */
export const optionPosition = onchainTable(
  "option_position",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    seriesId: t.bigint().notNull(),
    balance: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.chainId, table.account, table.seriesId] }),
    accountIdx: index().on(table.account),
  }),
);

/** One row per offer (createOption): `status` open → taken | cancelled. */
export const optionOffer = onchainTable(
  "option_offer",
  (t) => ({
    chainId: t.integer().notNull(),
    offerId: t.bigint().notNull(),
    seriesId: t.bigint().notNull(),
    maker: t.hex().notNull(),
    amount: t.bigint().notNull(),
    /** Total premium, in the series' quote token. */
    premium: t.bigint().notNull(),
    validUntil: t.bigint().notNull(),
    status: t.text().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTimestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    closedBlock: t.bigint(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.offerId] }) }),
);

/** Columns of a history row: the log that made it. */
const logColumns = (t: PgColumnsBuilders) => ({
  chainId: t.integer().notNull(),
  blockNumber: t.bigint().notNull(),
  logIndex: t.integer().notNull(),
  timestamp: t.bigint().notNull(),
  txHash: t.hex().notNull(),
});
const logKey = (table: { chainId: unknown; blockNumber: unknown; logIndex: unknown }) =>
  primaryKey({ columns: [table.chainId, table.blockNumber, table.logIndex] as never });

/** One row per OfferTaken: the taker paid `premium` to the offer's maker for `amount` options. */
export const optionFill = onchainTable(
  "option_fill",
  (t) => ({
    ...logColumns(t),
    offerId: t.bigint().notNull(),
    seriesId: t.bigint().notNull(),
    maker: t.hex().notNull(),
    taker: t.hex().notNull(),
    amount: t.bigint().notNull(),
    premium: t.bigint().notNull(),
  }),
  (table) => ({ pk: logKey(table) }),
);

/** One row per OptionsExercised: `amount` options burned by `holder`, `payout` collateral paid to `to`. */
export const optionExercise = onchainTable(
  "option_exercise",
  (t) => ({
    ...logColumns(t),
    seriesId: t.bigint().notNull(),
    holder: t.hex().notNull(),
    to: t.hex().notNull(),
    amount: t.bigint().notNull(),
    payout: t.bigint().notNull(),
  }),
  (table) => ({ pk: logKey(table) }),
);

/** One row per VaultLiquidated: `amount` options burned for `collateralPaid` at the auction's `discountWad`. */
export const optionLiquidation = onchainTable(
  "option_liquidation",
  (t) => ({
    ...logColumns(t),
    vaultId: t.bigint().notNull(),
    seriesId: t.bigint().notNull(),
    liquidator: t.hex().notNull(),
    amount: t.bigint().notNull(),
    collateralPaid: t.bigint().notNull(),
    discountWad: t.bigint().notNull(),
  }),
  (table) => ({ pk: logKey(table) }),
);

/** One row per VaultSettled: `owed` moved to the pot, `returned` to the owner, `shortfall` (BadDebtRecorded) unpaid. */
export const optionVaultSettlement = onchainTable(
  "option_vault_settlement",
  (t) => ({
    ...logColumns(t),
    vaultId: t.bigint().notNull(),
    seriesId: t.bigint().notNull(),
    owed: t.bigint().notNull(),
    returned: t.bigint().notNull(),
    shortfall: t.bigint().notNull(),
  }),
  (table) => ({ pk: logKey(table) }),
);

/** The oracle's SettlementFinalized: a pool's settlement price at an expiry, fixed once (UQ112.112 raw prices). */
export const settlementPrice = onchainTable(
  "settlement_price",
  (t) => ({
    chainId: t.integer().notNull(),
    poolId: t.bigint().notNull(),
    expiry: t.bigint().notNull(),
    price0X112: t.bigint().notNull(),
    price1X112: t.bigint().notNull(),
    windowStart: t.bigint().notNull(),
    windowEnd: t.bigint().notNull(),
    /** Not finalized in the period starting at expiry: the fallback window ending when it was called. */
    late: t.boolean().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.chainId, table.poolId, table.expiry] }) }),
);
