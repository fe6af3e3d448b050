import { ponder, type Context } from "ponder:registry";
import { oracleConfig, oracleObservation, settlementPrice } from "ponder:schema";
import type { Address } from "viem";
import { computePriceOracleAbi } from "../../generated/abis";

// Read models of the ComputePriceOracle: every observation it stores, and its settings. They explain the
// valuations of portfolios and consortia, which price through it and fail closed when its history is short, stale,
// idle or moved beyond the band.

/** The oracle's settings read at `blockNumber` (the window and period are immutable; the band and idle limit not). */
async function readSettings(context: Context, oracle: Address, blockNumber: bigint) {
  const call = { address: oracle, abi: computePriceOracleAbi, blockNumber } as const;
  const [window, period, maxMoveBps, maxPoolIdle] = await Promise.all([
    context.client.readContract({ ...call, functionName: "window" }),
    context.client.readContract({ ...call, functionName: "period" }),
    context.client.readContract({ ...call, functionName: "maxMoveBps" }),
    context.client.readContract({ ...call, functionName: "maxPoolIdle" }),
  ]);
  return { window: BigInt(window), period: BigInt(period), maxMoveBps, maxPoolIdle: BigInt(maxPoolIdle) };
}

/** Creates or refreshes the chain's settings row from the oracle at the event's block; `observed` counts one more. */
async function saveSettings(
  context: Context,
  event: { block: { number: bigint; timestamp: bigint }; log: { address: Address } },
  observed: number,
) {
  const settings = await readSettings(context, event.log.address, event.block.number);
  const stamp = { updatedBlock: event.block.number, updatedTimestamp: event.block.timestamp };
  await context.db
    .insert(oracleConfig)
    .values({
      chainId: context.chain.id,
      address: event.log.address,
      ...settings,
      observationCount: observed,
      ...stamp,
    })
    .onConflictDoUpdate((row) => ({
      ...settings,
      observationCount: row.observationCount + observed,
      ...stamp,
    }));
}

ponder.on("ComputePriceOracle:ObservationRecorded", async ({ event, context }) => {
  const { poolId, timestamp, periodPrice0X112, moveBps, beyondBand } = event.args;
  await context.db.insert(oracleObservation).values({
    chainId: context.chain.id,
    poolId,
    timestamp: BigInt(timestamp),
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    txHash: event.transaction.hash,
    periodPrice0X112,
    moveBps,
    beyondBand,
  });
  const existing = await context.db.find(oracleConfig, { chainId: context.chain.id });
  if (existing) {
    await context.db
      .update(oracleConfig, { chainId: context.chain.id })
      .set({ observationCount: existing.observationCount + 1 });
  } else {
    await saveSettings(context, event, 1);
  }
});

ponder.on("ComputePriceOracle:MaxMoveSet", async ({ event, context }) => {
  await saveSettings(context, event, 0);
});

ponder.on("ComputePriceOracle:MaxPoolIdleSet", async ({ event, context }) => {
  await saveSettings(context, event, 0);
});

// A settlement price is fixed once per (pool, expiry) and never changes: the options series of that pool and expiry
// settle against it.
ponder.on("ComputePriceOracle:SettlementFinalized", async ({ event, context }) => {
  const { poolId, expiry, price0X112, price1X112, windowStart, windowEnd, late } = event.args;
  await context.db.insert(settlementPrice).values({
    chainId: context.chain.id,
    poolId,
    expiry,
    price0X112,
    price1X112,
    windowStart: BigInt(windowStart),
    windowEnd: BigInt(windowEnd),
    late,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});
