import { ponder, type Context } from "ponder:registry";
import {
  optionExercise,
  optionFill,
  optionLiquidation,
  optionOffer,
  optionPosition,
  optionSeries,
  optionVault,
  optionVaultSettlement,
} from "ponder:schema";
import { zeroAddress, type Address, type Hex } from "viem";
import { aiPowerDerivativesAbi } from "../../generated/abis";
import { readView } from "./lib/views";

// Read models of AIPowerDerivatives. After each event that touches a series or a vault the handler reads, at the
// event's block, the contract's views (`getSeries`; `getVault` and `vaultHealth`), so a row is what the contract
// says after that block whatever order a transaction emits its events in (openVault announces the vault before it
// mints and locks, a liquidation moves the series' totals without a series event). `vaultHealth` prices margined
// vaults through the oracle and may revert when it fails closed: null then, with the revert in `readError`. Option
// balances (ERC-6909) follow the Transfer events; offers, fills, exercises, liquidations and vault settlements are
// the events' arguments.

type OptionsEvent = {
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number; address: Address };
  transaction: { hash: Hex };
};

const logKey = (context: Context, event: OptionsEvent) => ({
  chainId: context.chain.id,
  blockNumber: event.block.number,
  logIndex: event.log.logIndex,
  timestamp: event.block.timestamp,
  txHash: event.transaction.hash,
});

const stamp = (event: OptionsEvent) => ({
  updatedBlock: event.block.number,
  updatedTimestamp: event.block.timestamp,
});

/** `getSeries` at the event's block, as the series row's columns. */
async function readSeries(context: Context, event: OptionsEvent, seriesId: bigint) {
  const s = await context.client.readContract({
    address: event.log.address,
    abi: aiPowerDerivativesAbi,
    functionName: "getSeries",
    args: [seriesId],
    blockNumber: event.block.number,
  });
  return {
    underlyingPoolId: s.underlyingPoolId,
    underlying: s.underlying,
    quote: s.quote,
    collateral: s.collateral,
    underlyingDecimals: s.underlyingDecimals,
    collateralDecimals: s.collateralDecimals,
    strikeWad: s.strikeWad,
    expiry: BigInt(s.expiry),
    isCall: s.isCall,
    totalShort: s.totalShort,
    collateralLocked: s.collateralLocked,
    settled: s.settled,
    settlementWad: s.settled ? s.settlementWad : null,
    pot: s.pot,
    badDebt: s.badDebt,
  };
}

async function existingSeries(context: Context, seriesId: bigint) {
  const row = await context.db.find(optionSeries, { chainId: context.chain.id, seriesId });
  if (!row) {
    throw new Error(
      `options event for series ${seriesId} on chain ${context.chain.id} before its SeriesCreated: the ` +
        `deployments file's startBlock must be at or before the derivatives' deployment`,
    );
  }
  return row;
}

/** Refreshes a series' row from `getSeries` at the event's block; `extra` adds columns (counters, settlement). */
async function refreshSeries(
  context: Context,
  event: OptionsEvent,
  seriesId: bigint,
  extra: (row: typeof optionSeries.$inferSelect) => Partial<typeof optionSeries.$inferSelect> = () => ({}),
) {
  const row = await existingSeries(context, seriesId);
  const view = await readSeries(context, event, seriesId);
  await context.db
    .update(optionSeries, { chainId: context.chain.id, seriesId })
    .set({ ...view, ...stamp(event), ...extra(row) });
}

async function existingVault(context: Context, vaultId: bigint) {
  const row = await context.db.find(optionVault, { chainId: context.chain.id, vaultId });
  if (!row) {
    throw new Error(`options event for vault ${vaultId} on chain ${context.chain.id} before its VaultOpened`);
  }
  return row;
}

/**
 * Refreshes a vault's row from `getVault` and `vaultHealth` at the event's block, then its series' row; `extra` adds
 * columns. Returns the vault's row as it was.
 */
async function refreshVault(
  context: Context,
  event: OptionsEvent,
  vaultId: bigint,
  extra: (row: typeof optionVault.$inferSelect) => Partial<typeof optionVault.$inferSelect> = () => ({}),
) {
  const row = await existingVault(context, vaultId);
  const call = {
    address: event.log.address,
    abi: aiPowerDerivativesAbi,
    args: [vaultId],
    blockNumber: event.block.number,
  } as const;
  const [vault, health] = await Promise.all([
    context.client.readContract({ ...call, functionName: "getVault" }),
    readView("vaultHealth", () => context.client.readContract({ ...call, functionName: "vaultHealth" })),
  ]);
  await context.db.update(optionVault, { chainId: context.chain.id, vaultId }).set({
    collateral: vault.collateral,
    short: vault.short,
    auctionStart: BigInt(vault.auctionStart),
    required: health.value?.[1] ?? null,
    liquidatable: health.value?.[2] ?? null,
    readError: health.error,
    ...stamp(event),
    ...extra(row),
  });
  await refreshSeries(context, event, row.seriesId);
  return row;
}

ponder.on("AIPowerDerivatives:SeriesCreated", async ({ event, context }) => {
  const { seriesId } = event.args;
  const view = await readSeries(context, event, seriesId);
  await context.db.insert(optionSeries).values({
    chainId: context.chain.id,
    seriesId,
    derivatives: event.log.address,
    ...view,
    settledBlock: null,
    settledTimestamp: null,
    vaultCount: 0,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    ...stamp(event),
  });
});

ponder.on("AIPowerDerivatives:VaultOpened", async ({ event, context }) => {
  const { vaultId, seriesId, owner, margined } = event.args;
  // The row starts from the event; `refreshVault` then replaces the balances and health with the views at this block.
  await context.db.insert(optionVault).values({
    chainId: context.chain.id,
    vaultId,
    seriesId,
    owner,
    margined,
    collateral: 0n,
    short: 0n,
    auctionStart: 0n,
    required: null,
    liquidatable: null,
    readError: null,
    settled: false,
    liquidationCount: 0,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    ...stamp(event),
  });
  await existingSeries(context, seriesId);
  await context.db
    .update(optionSeries, { chainId: context.chain.id, seriesId })
    .set((row) => ({ vaultCount: row.vaultCount + 1 }));
  await refreshVault(context, event, vaultId);
});

for (const name of [
  "CollateralDeposited",
  "CollateralWithdrawn",
  "OptionsMinted",
  "OptionsBurned",
  "LiquidationStarted",
  "LiquidationCleared",
] as const) {
  ponder.on(`AIPowerDerivatives:${name}`, async ({ event, context }) => {
    await refreshVault(context, event, event.args.vaultId);
  });
}

ponder.on("AIPowerDerivatives:VaultLiquidated", async ({ event, context }) => {
  const { vaultId, liquidator, amount, collateralPaid, discountWad } = event.args;
  const row = await refreshVault(context, event, vaultId, (vault) => ({
    liquidationCount: vault.liquidationCount + 1,
  }));
  await context.db.insert(optionLiquidation).values({
    ...logKey(context, event),
    vaultId,
    seriesId: row.seriesId,
    liquidator,
    amount,
    collateralPaid,
    discountWad,
  });
});

ponder.on("AIPowerDerivatives:VaultSettled", async ({ event, context }) => {
  const { vaultId, seriesId, owed, returned } = event.args;
  await existingVault(context, vaultId);
  // settleVault deletes the vault: its views answer zero (getVault) or revert (vaultHealth) from now on.
  await context.db.update(optionVault, { chainId: context.chain.id, vaultId }).set({
    collateral: 0n,
    short: 0n,
    auctionStart: 0n,
    required: null,
    liquidatable: null,
    readError: null,
    settled: true,
    ...stamp(event),
  });
  await context.db
    .insert(optionVaultSettlement)
    .values({ ...logKey(context, event), vaultId, seriesId, owed, returned, shortfall: 0n });
  await refreshSeries(context, event, seriesId);
});

ponder.on("AIPowerDerivatives:BadDebtRecorded", async ({ event, context }) => {
  const { seriesId, vaultId, shortfall } = event.args;
  // Emitted right after its vault's VaultSettled, in the same call.
  const key = {
    chainId: context.chain.id,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex - 1,
  };
  const settlement = await context.db.find(optionVaultSettlement, key);
  if (!settlement || settlement.vaultId !== vaultId) {
    throw new Error(
      `BadDebtRecorded for vault ${vaultId} does not follow its VaultSettled (chain ${key.chainId})`,
    );
  }
  await context.db.update(optionVaultSettlement, key).set({ shortfall });
  await refreshSeries(context, event, seriesId);
});

ponder.on("AIPowerDerivatives:SettlementPriceSet", async ({ event, context }) => {
  await refreshSeries(context, event, event.args.seriesId, () => ({
    settledBlock: event.block.number,
    settledTimestamp: event.block.timestamp,
  }));
});

ponder.on("AIPowerDerivatives:OptionsExercised", async ({ event, context }) => {
  const { seriesId, holder, to, amount, payout } = event.args;
  await context.db
    .insert(optionExercise)
    .values({ ...logKey(context, event), seriesId, holder, to, amount, payout });
  await refreshSeries(context, event, seriesId);
});

ponder.on("AIPowerDerivatives:OfferCreated", async ({ event, context }) => {
  const { offerId, seriesId, maker, amount, premium, validUntil } = event.args;
  await context.db.insert(optionOffer).values({
    chainId: context.chain.id,
    offerId,
    seriesId,
    maker,
    amount,
    premium,
    validUntil,
    status: "open",
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    closedBlock: null,
  });
});

async function closeOffer(
  context: Context,
  event: OptionsEvent,
  offerId: bigint,
  status: "taken" | "cancelled",
) {
  const offer = await context.db.find(optionOffer, { chainId: context.chain.id, offerId });
  if (!offer) throw new Error(`offer ${offerId} on chain ${context.chain.id} closed before its OfferCreated`);
  await context.db
    .update(optionOffer, { chainId: context.chain.id, offerId })
    .set({ status, closedBlock: event.block.number });
  return offer;
}

ponder.on("AIPowerDerivatives:OfferCancelled", async ({ event, context }) => {
  await closeOffer(context, event, event.args.offerId, "cancelled");
});

ponder.on("AIPowerDerivatives:OfferTaken", async ({ event, context }) => {
  const { offerId, taker, amount, premium } = event.args;
  const offer = await closeOffer(context, event, offerId, "taken");
  await context.db.insert(optionFill).values({
    ...logKey(context, event),
    offerId,
    seriesId: offer.seriesId,
    maker: offer.maker,
    taker,
    amount,
    premium,
  });
});

/** ERC-6909 Transfer (mints from and burns to the zero address): moves `amount` of series `id` between balances. */
ponder.on("AIPowerDerivatives:Transfer", async ({ event, context }) => {
  const { sender, receiver, id: seriesId, amount } = event.args;
  const chainId = context.chain.id;
  const updatedBlock = event.block.number;
  if (sender !== zeroAddress) {
    const position = await context.db.find(optionPosition, { chainId, account: sender, seriesId });
    if (!position || position.balance < amount) {
      throw new Error(
        `Transfer of ${amount} of series ${seriesId} from ${sender} exceeds its indexed balance`,
      );
    }
    await context.db
      .update(optionPosition, { chainId, account: sender, seriesId })
      .set({ balance: position.balance - amount, updatedBlock });
  }
  if (receiver !== zeroAddress) {
    await context.db
      .insert(optionPosition)
      .values({ chainId, account: receiver, seriesId, balance: amount, updatedBlock })
      .onConflictDoUpdate((row) => ({ balance: row.balance + amount, updatedBlock }));
  }
});
