import { ponder, type Context } from "ponder:registry";
import {
  farmApyHour,
  farmClaim,
  farmConfig,
  farmFunding,
  farmPool,
  farmPosition,
  farmRateChange,
  farmStake,
} from "ponder:schema";
import type { Address, Hex } from "viem";
import { aiPowerYieldFarmAbi } from "../../generated/abis";

// Read models of the AIPowerYieldFarm. The pool row mirrors `getPool` from events alone: before applying an
// event, `accrue` replays the contract's `_updatePool` (the reward-per-weight accumulator, the budget it consumes,
// lastUpdateTime), and `settle` its `_updateAccount` for the account concerned. The contract settles the pool
// before every state change and emits the change's event afterwards, and a second settlement in the same block
// changes nothing, so replaying at each event's block timestamp reproduces the stored state exactly.
// currentApr/currentApy are read from the contract at each event's block (APY history).

const PRECISION = 10n ** 18n;
const BPS = 10_000n;
const HOUR = 3_600n;

type FarmPool = typeof farmPool.$inferSelect;
type FarmPosition = typeof farmPosition.$inferSelect;

type FarmEvent = {
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number; address: Address };
  transaction: { hash: Hex };
};

const weightOf = (amount: bigint, multiplierBps: bigint) => (amount * multiplierBps) / BPS;
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * `_accrued` + `_updatePool`: the accumulator grows by floor(rate × elapsed × 1e18 / totalWeight) and the budget
 * is charged that increment × totalWeight / 1e18 rounded up; lastUpdateTime moves to min(now, periodFinish).
 */
function accrue(pool: FarmPool, timestamp: bigint) {
  let { rewardPerWeightStored, undistributed, lastUpdateTime } = pool;
  const until = min(timestamp, pool.periodFinish);
  if (until > lastUpdateTime && pool.totalWeight !== 0n) {
    const reward = pool.rewardRate * (until - lastUpdateTime);
    const increment = (reward * PRECISION) / pool.totalWeight;
    const consumed = (increment * pool.totalWeight + PRECISION - 1n) / PRECISION;
    rewardPerWeightStored += increment;
    undistributed -= consumed;
  }
  if (until > lastUpdateTime) lastUpdateTime = until;
  return { rewardPerWeightStored, undistributed, lastUpdateTime };
}

/** `_updateAccount`: earned = floor(weight × (accumulator − paid) / 1e18) joins the account's rewards. */
function settle(position: FarmPosition, rewardPerWeight: bigint) {
  return {
    rewards:
      position.rewards + (position.weight * (rewardPerWeight - position.rewardPerWeightPaid)) / PRECISION,
    rewardPerWeightPaid: rewardPerWeight,
  };
}

async function requirePool(context: Context, poolId: bigint) {
  const row = await context.db.find(farmPool, { chainId: context.chain.id, poolId });
  if (!row)
    throw new Error(`farm event for pool ${poolId} on chain ${context.chain.id} before its PoolCreated`);
  return row;
}

/** The pool settled at the event's timestamp (written back by the caller together with its own changes). */
async function settledPool(context: Context, poolId: bigint, event: FarmEvent) {
  const before = await requirePool(context, poolId);
  return { ...before, ...accrue(before, event.block.timestamp) };
}

/** The account's position settled at the pool's accumulator; a fresh one if it has none yet. */
async function settledPosition(context: Context, pool: FarmPool, account: Address, event: FarmEvent) {
  const key = { chainId: context.chain.id, poolId: pool.poolId, account };
  const row =
    (await context.db.find(farmPosition, key)) ??
    (await context.db.insert(farmPosition).values({
      ...key,
      staked: 0n,
      weight: 0n,
      rewards: 0n,
      rewardPerWeightPaid: 0n,
      claimed: 0n,
      compounded: 0n,
      stakeCount: 0,
      updatedBlock: event.block.number,
      updatedTimestamp: event.block.timestamp,
    }));
  return { ...row, ...settle(row, pool.rewardPerWeightStored) };
}

/**
 * `currentApr` and `currentApy` at the event's block (`currentApy` reverts with NoPriceRoute when no AMM pool
 * prices the reward in staking tokens: null then).
 */
async function readApr(context: Context, address: Address, poolId: bigint, blockNumber: bigint) {
  const read = { address, abi: aiPowerYieldFarmAbi, args: [poolId], blockNumber } as const;
  const apr = await context.client.readContract({ ...read, functionName: "currentApr" });
  let apy: bigint | null;
  try {
    apy = await context.client.readContract({ ...read, functionName: "currentApy" });
  } catch (error) {
    if (!/NoPriceRoute/.test(String((error as Error).message))) throw error;
    apy = null;
  }
  return { apr, apy };
}

/**
 * Writes the pool's new state, refreshes its APR/APY from the chain at this block, and keeps the hour's last
 * reading in `farm_apy_hour`.
 */
async function savePool(context: Context, event: FarmEvent, pool: FarmPool) {
  const chainId = context.chain.id;
  const { number: blockNumber, timestamp } = event.block;
  const { apr, apy } = await readApr(context, event.log.address, pool.poolId, blockNumber);
  const { chainId: _c, poolId, ...fields } = pool;
  await context.db.update(farmPool, { chainId, poolId }).set({
    ...fields,
    apr,
    apy,
    aprBlock: blockNumber,
    aprTimestamp: timestamp,
    updatedBlock: blockNumber,
    updatedTimestamp: timestamp,
  });
  await context.db
    .insert(farmApyHour)
    .values({
      chainId,
      poolId,
      bucketStart: timestamp - (timestamp % HOUR),
      apr,
      apy,
      blockNumber,
      timestamp,
      samples: 1,
    })
    .onConflictDoUpdate((row) => ({ apr, apy, blockNumber, timestamp, samples: row.samples + 1 }));
}

async function savePosition(context: Context, event: FarmEvent, position: FarmPosition) {
  const { chainId, poolId, account, ...fields } = position;
  await context.db
    .update(farmPosition, { chainId, poolId, account })
    .set({ ...fields, updatedBlock: event.block.number, updatedTimestamp: event.block.timestamp });
}

const logKey = (context: Context, event: FarmEvent) => ({
  chainId: context.chain.id,
  blockNumber: event.block.number,
  logIndex: event.log.logIndex,
  timestamp: event.block.timestamp,
  txHash: event.transaction.hash,
});

ponder.on("AIPowerYieldFarm:PoolCreated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, stakingToken, rewardToken, rateBounds, lpShares, ammPoolId } = event.args;
  await context.db
    .insert(farmConfig)
    .values({
      chainId,
      address: event.log.address,
      paused: false,
      updatedBlock: event.block.number,
      updatedTimestamp: event.block.timestamp,
    })
    .onConflictDoNothing();
  const created = await context.db.insert(farmPool).values({
    chainId,
    poolId,
    stakingToken,
    rewardToken,
    lpShares,
    ammPoolId,
    rewardRate: 0n,
    periodFinish: 0n,
    lastUpdateTime: event.block.timestamp,
    lastRateUpdate: 0n,
    rewardPerWeightStored: 0n,
    totalStaked: 0n,
    totalWeight: 0n,
    undistributed: 0n,
    rewardReserve: 0n,
    totalFunded: 0n,
    minRate: rateBounds.minRate,
    maxRate: rateBounds.maxRate,
    maxStep: rateBounds.maxStep,
    minInterval: BigInt(rateBounds.minInterval),
    totalClaimed: 0n,
    totalCompounded: 0n,
    stakeCount: 0,
    apr: 0n,
    apy: null,
    aprBlock: event.block.number,
    aprTimestamp: event.block.timestamp,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    updatedBlock: event.block.number,
    updatedTimestamp: event.block.timestamp,
  });
  await savePool(context, event, created);
});

ponder.on("AIPowerYieldFarm:PoolFunded", async ({ event, context }) => {
  const { poolId, funder, amount, duration, rewardRate, periodFinish } = event.args;
  const pool = await settledPool(context, poolId, event);
  await savePool(context, event, {
    ...pool,
    undistributed: pool.undistributed + amount,
    rewardReserve: pool.rewardReserve + amount,
    totalFunded: pool.totalFunded + amount,
    rewardRate,
    lastUpdateTime: event.block.timestamp,
    periodFinish,
  });
  await context.db
    .insert(farmFunding)
    .values({ ...logKey(context, event), poolId, funder, amount, duration, rewardRate, periodFinish });
});

ponder.on("AIPowerYieldFarm:Staked", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, account, stakeId, amount, lockEnd, multiplierBps } = event.args;
  const pool = await settledPool(context, poolId, event);
  const position = await settledPosition(context, pool, account, event);
  const weight = weightOf(amount, multiplierBps);
  await savePosition(context, event, {
    ...position,
    staked: position.staked + amount,
    weight: position.weight + weight,
    stakeCount: position.stakeCount + 1,
  });
  await savePool(context, event, {
    ...pool,
    totalStaked: pool.totalStaked + amount,
    totalWeight: pool.totalWeight + weight,
    stakeCount: pool.stakeCount + 1,
  });
  // A stake made by `compound` was pre-created by its Compounded event (emitted first, same transaction).
  const stake = {
    amount,
    initialAmount: amount,
    lockEnd,
    multiplierBps: Number(multiplierBps),
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    updatedBlock: event.block.number,
  };
  await context.db
    .insert(farmStake)
    .values({ chainId, poolId, account, stakeId, unstaked: 0n, compounded: false, ...stake })
    .onConflictDoUpdate(stake);
});

ponder.on("AIPowerYieldFarm:Unstaked", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, account, stakeId, amount } = event.args;
  const stake = await context.db.find(farmStake, { chainId, poolId, account, stakeId });
  if (!stake || stake.amount < amount) {
    throw new Error(
      `Unstaked ${amount} from stake ${stakeId} of ${account} in pool ${poolId}: not indexed as staked`,
    );
  }
  const pool = await settledPool(context, poolId, event);
  const position = await settledPosition(context, pool, account, event);
  const remaining = stake.amount - amount;
  const multiplier = BigInt(stake.multiplierBps);
  // weights are kept per stake as floor(amount × multiplier), so an account's weight stays their exact sum
  const weightRemoved = weightOf(stake.amount, multiplier) - weightOf(remaining, multiplier);
  await context.db
    .update(farmStake, { chainId, poolId, account, stakeId })
    .set({ amount: remaining, unstaked: stake.unstaked + amount, updatedBlock: event.block.number });
  await savePosition(context, event, {
    ...position,
    staked: position.staked - amount,
    weight: position.weight - weightRemoved,
  });
  await savePool(context, event, {
    ...pool,
    totalStaked: pool.totalStaked - amount,
    totalWeight: pool.totalWeight - weightRemoved,
  });
});

/** RewardsClaimed and Compounded: the account's settled rewards, all of them, leave the pool's reserve. */
async function takeRewards(
  context: Context,
  event: FarmEvent,
  kind: "claim" | "compound",
  args: { poolId: bigint; account: Address; amount: bigint; stakeId?: bigint },
) {
  const { poolId, account, amount } = args;
  const pool = await settledPool(context, poolId, event);
  const position = await settledPosition(context, pool, account, event);
  if (position.rewards !== amount) {
    throw new Error(
      `${kind} of ${amount} by ${account} in pool ${poolId} on chain ${context.chain.id}, but the replayed ` +
        `rewards are ${position.rewards}: the farm's accrual is not mirrored correctly`,
    );
  }
  await savePosition(context, event, {
    ...position,
    rewards: 0n,
    ...(kind === "claim"
      ? { claimed: position.claimed + amount }
      : { compounded: position.compounded + amount }),
  });
  await savePool(context, event, {
    ...pool,
    rewardReserve: pool.rewardReserve - amount,
    ...(kind === "claim"
      ? { totalClaimed: pool.totalClaimed + amount }
      : { totalCompounded: pool.totalCompounded + amount }),
  });
  await context.db
    .insert(farmClaim)
    .values({ ...logKey(context, event), poolId, account, kind, amount, stakeId: args.stakeId ?? null });
}

ponder.on("AIPowerYieldFarm:RewardsClaimed", async ({ event, context }) => {
  await takeRewards(context, event, "claim", event.args);
});

ponder.on("AIPowerYieldFarm:Compounded", async ({ event, context }) => {
  const { poolId, account, stakeId } = event.args;
  await takeRewards(context, event, "compound", event.args);
  // The Staked event that follows fills in the stake; this marks it as made by compound.
  await context.db.insert(farmStake).values({
    chainId: context.chain.id,
    poolId,
    account,
    stakeId,
    amount: 0n,
    initialAmount: 0n,
    unstaked: 0n,
    lockEnd: event.block.timestamp,
    multiplierBps: Number(BPS),
    compounded: true,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    updatedBlock: event.block.number,
  });
});

ponder.on("AIPowerYieldFarm:RewardRateUpdated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { poolId, oldRate, newRate, updatedBy } = event.args;
  const pool = await settledPool(context, poolId, event);
  // Two functions emit RewardRateUpdated: `setRewardRate` (stamps lastRateUpdate) and `setRateBounds`' clamp
  // (right after its RateBoundsSet; lastRateUpdate untouched). A pool's rate never exceeds its maxRate (funding
  // and setRewardRate check it, new bounds clamp it), so setRewardRate's old rate lies within the current bounds
  // while the clamp's lies above the maximum just set — even when one multicall sets bounds and then the rate.
  const previous =
    event.log.logIndex > 0
      ? await context.db.find(farmRateChange, {
          chainId,
          blockNumber: event.block.number,
          logIndex: event.log.logIndex - 1,
        })
      : null;
  const isClamp =
    previous !== null &&
    previous.kind === "bounds" &&
    previous.txHash === event.transaction.hash &&
    previous.poolId === poolId &&
    oldRate > previous.maxRate!;
  await savePool(context, event, {
    ...pool,
    rewardRate: newRate,
    ...(isClamp ? {} : { lastRateUpdate: event.block.timestamp }),
  });
  await context.db.insert(farmRateChange).values({
    ...logKey(context, event),
    poolId,
    kind: "rate",
    source: isClamp ? "setRateBounds" : "setRewardRate",
    oldRate,
    newRate,
    updatedBy,
  });
});

ponder.on("AIPowerYieldFarm:RateBoundsSet", async ({ event, context }) => {
  const { poolId, rateBounds } = event.args;
  const pool = await settledPool(context, poolId, event);
  const bounds = {
    minRate: rateBounds.minRate,
    maxRate: rateBounds.maxRate,
    maxStep: rateBounds.maxStep,
    minInterval: BigInt(rateBounds.minInterval),
  };
  await savePool(context, event, { ...pool, ...bounds });
  await context.db
    .insert(farmRateChange)
    .values({ ...logKey(context, event), poolId, kind: "bounds", ...bounds });
});

async function setPaused(context: Context, event: FarmEvent, paused: boolean) {
  const values = { paused, updatedBlock: event.block.number, updatedTimestamp: event.block.timestamp };
  await context.db
    .insert(farmConfig)
    .values({ chainId: context.chain.id, address: event.log.address, ...values })
    .onConflictDoUpdate(values);
}

ponder.on("AIPowerYieldFarm:Paused", async ({ event, context }) => setPaused(context, event, true));
ponder.on("AIPowerYieldFarm:Unpaused", async ({ event, context }) => setPaused(context, event, false));
