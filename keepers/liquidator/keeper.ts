/**
 * One tick of the liquidator, at a block: learn the vaults opened up to it (VaultOpened, through the shared log
 * watcher), drive any liquidation the store holds pending, read every watched margined vault at that block, and
 * launch a liquidation for each one `decide.ts` says to liquidate whose reward covers its gas.
 */
import { decodeFunctionData, type Address, type PublicClient } from "viem";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { aiPowerDerivativesAbi, oracleOptionPriceSourceAbi } from "../../generated/abis.js";
import type { Health } from "../lib/health.js";
import type { Logger } from "../lib/log.js";
import type { Metrics } from "../lib/metrics.js";
import { trackRun } from "../lib/process.js";
import type { Store } from "../lib/store/store.js";
import { shortReason } from "../lib/tx/errors.js";
import { currentFees } from "../lib/tx/fees.js";
import type { TxManager, TxOutcome } from "../lib/tx/sender.js";
import type { LogWatcher } from "../lib/watch.js";
import {
  decideVault,
  isNormalRefusal,
  liquidationIntentId,
  optionValuePerUnitWad,
  rewardCoversGas,
  vaultOfIntent,
  type VaultDecision,
  type VaultState,
} from "./decide.js";
import type { LiquidatorJournal } from "./journal.js";
import type { ActionStatus } from "./schema.js";

const abi = aiPowerDerivativesAbi;

type SeriesInfo = {
  expiry: bigint;
  poolId: bigint;
  isCall: boolean;
  strikeWad: bigint;
  collateral: Address;
  underlyingDecimals: number;
  collateralDecimals: number;
  minAmount: bigint;
};

export type VaultView = {
  vaultId: string;
  status: VaultDecision["action"] | "in-flight" | "unrewarding" | "error";
  detail?: string;
  collateral?: string;
  required?: string;
};

export type LiquidatorContext = {
  chainId: number;
  derivatives: Address;
  priceSource: Address;
  publicClient: PublicClient;
  tx: TxManager;
  store: Store;
  journal: LiquidatorJournal;
  watcher: LogWatcher;
  settings: {
    seriesIds?: bigint[];
    nativePrices: Map<Address, bigint>;
    minMultipleMicros: bigint;
    readConcurrency: number;
    dryRun: boolean;
  };
  log: Logger;
  health: Health;
  metrics: Metrics;
  liquidatorMetrics: ReturnType<typeof createLiquidatorMetrics>;
  series: Map<bigint, SeriesInfo>;
  /** Vault id → the first block of the current episode in which the keeper saw it liquidatable. */
  firstSeen: Map<bigint, bigint>;
  inFlight: Map<bigint, { intentId: string; done: Promise<LiquidationResult> }>;
  /** Dry-run: intents already simulated and journaled (once per episode). */
  reported: Set<string>;
  vaults: Map<bigint, VaultView>;
  lastBlock?: { number: bigint; timestamp: bigint };
};

export type LiquidationResult = {
  intentId: string;
  vaultId: bigint;
  status: ActionStatus;
  reason?: string;
  minedBlock?: bigint;
  latencyBlocks?: number;
};

export type TickResult = {
  blockNumber: bigint;
  decisions: VaultDecision[];
  launched: Promise<LiquidationResult>[];
};

export function createLiquidatorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    actions: new Counter({
      name: "liquidator_liquidations_total",
      help: "Liquidations by how they ended (mined, already-done, reverted, dry-run, …).",
      labelNames: ["status"] as const,
      registers,
    }),
    latency: new Histogram({
      name: "liquidator_latency_blocks",
      help: "Blocks from the first one where a vault was seen liquidatable to the one its liquidation was mined in.",
      buckets: [1, 2, 3, 5, 10, 20],
      registers,
    }),
    vaults: new Gauge({
      name: "liquidator_vaults",
      help: "Watched vaults by their status at the last block (liquidate, skip, in-flight, unrewarding, error).",
      labelNames: ["status"] as const,
      registers,
    }),
    skipped: new Counter({
      name: "liquidator_skips_total",
      help: "Liquidatable vaults not liquidated, by reason (no-inventory, unpriced, reward-below-gas, dust).",
      labelNames: ["reason"] as const,
      registers,
    }),
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

async function seriesInfo(ctx: LiquidatorContext, seriesId: bigint): Promise<SeriesInfo> {
  const cached = ctx.series.get(seriesId);
  if (cached) return cached;
  const [s, minAmount] = await Promise.all([
    ctx.publicClient.readContract({
      address: ctx.derivatives,
      abi,
      functionName: "getSeries",
      args: [seriesId],
    }),
    ctx.publicClient.readContract({
      address: ctx.derivatives,
      abi,
      functionName: "minMarginedAmount",
      args: [seriesId],
    }),
  ]);
  const info: SeriesInfo = {
    expiry: BigInt(s.expiry),
    poolId: BigInt(s.underlyingPoolId),
    isCall: s.isCall,
    strikeWad: s.strikeWad,
    collateral: s.collateral,
    underlyingDecimals: s.underlyingDecimals,
    collateralDecimals: s.collateralDecimals,
    minAmount,
  };
  ctx.series.set(seriesId, info);
  return info;
}

/** One vault's state at `blockNumber`. */
async function readVault(
  ctx: LiquidatorContext,
  vaultId: bigint,
  seriesId: bigint,
  blockNumber: bigint,
): Promise<VaultState> {
  const s = await seriesInfo(ctx, seriesId);
  const read = (functionName: string, args: readonly unknown[]) =>
    ctx.publicClient.readContract({
      address: ctx.derivatives,
      abi,
      functionName,
      args,
      blockNumber,
    } as never);
  const vault = (await read("getVault", [vaultId])) as {
    owner: Address;
    margined: boolean;
    collateral: bigint;
    short: bigint;
  };
  const open = vault.owner !== "0x0000000000000000000000000000000000000000";
  const base = {
    vaultId,
    seriesId,
    margined: vault.margined,
    open,
    short: vault.short,
    collateral: vault.collateral,
    expiry: s.expiry,
    minAmount: s.minAmount,
  };
  if (!open || !vault.margined || vault.short === 0n)
    return { ...base, required: 0n, liquidatable: false, inventory: 0n };
  const [[, required, liquidatable], inventory] = await Promise.all([
    read("vaultHealth", [vaultId]) as Promise<readonly [bigint, bigint, boolean]>,
    read("balanceOf", [ctx.tx.address, seriesId]) as Promise<bigint>,
  ]);
  return { ...base, required, liquidatable, inventory };
}

/** Runs one tick at the latest block; resolves once every decision is made (writes go on in `launched`). */
export function runOnce(ctx: LiquidatorContext): Promise<TickResult> {
  const log = ctx.log.child("liquidator");
  return trackRun({ health: ctx.health, metrics: ctx.metrics, log }, async () => {
    const head = await ctx.publicClient.getBlock({ blockTag: "latest" });
    const blockNumber = head.number;
    const now = head.timestamp;
    ctx.lastBlock = { number: blockNumber, timestamp: now };
    await ctx.watcher.catchUp(blockNumber);
    const launched: Promise<LiquidationResult>[] = [];

    // 1. Liquidations the store holds pending (a previous process signed them, or a reorg took them off the chain):
    //    driven, never re-created.
    for (const id of await ctx.tx.pendingIntentIds()) {
      const vaultId = vaultOfIntent(id);
      if (vaultId === undefined || ctx.inFlight.has(vaultId) || ctx.settings.dryRun) continue;
      launched.push(resume(ctx, id, vaultId, blockNumber));
    }

    // 2. Every watched vault at this block.
    const only = ctx.settings.seriesIds;
    const watched = ctx.journal.openVaults().filter((v) => !only || only.includes(v.seriesId));
    const views = new Map<bigint, VaultView>();
    const decisions: VaultDecision[] = [];
    await mapLimit(watched, ctx.settings.readConcurrency, async ({ vaultId, seriesId }) => {
      if (ctx.inFlight.has(vaultId)) {
        views.set(vaultId, {
          vaultId: vaultId.toString(),
          status: "in-flight",
          detail: ctx.inFlight.get(vaultId)!.intentId,
        });
        return;
      }
      let state: VaultState;
      try {
        state = await readVault(ctx, vaultId, seriesId, blockNumber);
      } catch (error) {
        views.set(vaultId, { vaultId: vaultId.toString(), status: "error", detail: shortReason(error) });
        log.warn("could not read a vault; the next block tries again", { vaultId, error });
        return;
      }
      const decision = decideVault(state, now);
      decisions.push(decision);
      const view: VaultView = {
        vaultId: vaultId.toString(),
        status: decision.action,
        detail: decision.action === "skip" ? decision.reason : undefined,
        collateral: state.collateral.toString(),
        required: state.required.toString(),
      };
      views.set(vaultId, view);
      if (decision.action === "skip") {
        if (
          decision.reason === "closed" ||
          decision.reason === "expired" ||
          decision.reason === "not-margined"
        )
          ctx.journal.closeVault(vaultId);
        if (!state.liquidatable) ctx.firstSeen.delete(vaultId);
        else {
          if (!ctx.firstSeen.has(vaultId)) ctx.firstSeen.set(vaultId, blockNumber);
          ctx.liquidatorMetrics.skipped.inc({ reason: decision.reason });
        }
        return;
      }
      if (!ctx.firstSeen.has(vaultId)) ctx.firstSeen.set(vaultId, blockNumber);
      const started = await prepare(ctx, state, decision.amount, blockNumber, view);
      if (started) launched.push(started.done);
    });
    ctx.vaults = views;
    const counts = new Map<string, number>();
    for (const v of views.values()) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
    ctx.liquidatorMetrics.vaults.reset();
    for (const [status, n] of counts) ctx.liquidatorMetrics.vaults.set({ status }, n);
    return { blockNumber, decisions, launched };
  });
}

/** Simulates the liquidation, weighs its reward against its gas, and launches it. */
async function prepare(
  ctx: LiquidatorContext,
  state: VaultState,
  amount: bigint,
  blockNumber: bigint,
  view: VaultView,
): Promise<{ done: Promise<LiquidationResult> } | undefined> {
  const log = ctx.log.child("liquidator", { vaultId: state.vaultId });
  const intentId = liquidationIntentId(ctx.chainId, ctx.derivatives, state);
  if (ctx.settings.dryRun && ctx.reported.has(intentId)) return undefined;
  const s = await seriesInfo(ctx, state.seriesId);
  const call = {
    address: ctx.derivatives,
    abi,
    functionName: "liquidate",
    args: [state.vaultId, amount],
  } as const;
  let collateralPaid: bigint;
  let gas: bigint;
  let valuePerUnitWad: bigint;
  let maxFeePerGas: bigint;
  try {
    const [sim, estimate, priced, liquidationIndexWad, fees] = await Promise.all([
      ctx.publicClient.simulateContract({ ...call, account: ctx.tx.address }),
      ctx.publicClient.estimateContractGas({ ...call, account: ctx.tx.address }),
      // Refused while the volatility is stale or a band trip closes the index; the contract still liquidates then.
      Promise.all([
        ctx.publicClient.readContract({
          address: ctx.derivatives,
          abi,
          functionName: "calculatePremium",
          args: [state.seriesId],
        }),
        s.isCall
          ? ctx.publicClient.readContract({
              address: ctx.priceSource,
              abi: oracleOptionPriceSourceAbi,
              functionName: "indexPriceWad",
              args: [s.poolId],
            })
          : Promise.resolve(0n),
      ]).then(
        ([premiumWad, indexWad]) => ({ premiumWad, indexWad }),
        () => undefined,
      ),
      ctx.publicClient.readContract({
        address: ctx.priceSource,
        abi: oracleOptionPriceSourceAbi,
        functionName: "liquidationIndexPriceWad",
        args: [s.poolId],
      }),
      currentFees(ctx.publicClient),
    ]);
    collateralPaid = sim.result;
    gas = estimate;
    maxFeePerGas = fees.maxFeePerGas;
    valuePerUnitWad = optionValuePerUnitWad({
      isCall: s.isCall,
      strikeWad: s.strikeWad,
      priced,
      liquidationIndexWad,
    });
  } catch (error) {
    const reason = shortReason(error);
    if (isNormalRefusal(reason)) {
      view.status = "skip";
      view.detail = "already-done";
      log.info("nothing to do any more: the vault is healthy again, liquidated or expired", { reason });
    } else {
      view.status = "error";
      view.detail = reason;
      log.warn("could not price a liquidation; the next block tries again", { reason });
    }
    return undefined;
  }
  const check = rewardCoversGas({
    collateralPaid,
    amount,
    valuePerUnitWad,
    underlyingDecimals: s.underlyingDecimals,
    collateralDecimals: s.collateralDecimals,
    gas,
    maxFeePerGas,
    nativePriceWad: ctx.settings.nativePrices.get(s.collateral),
    minMultipleMicros: ctx.settings.minMultipleMicros,
  });
  if (!check.ok) {
    view.status = "unrewarding";
    view.detail = check.reason;
    ctx.liquidatorMetrics.skipped.inc({ reason: check.reason });
    log.debug("liquidatable, but the reward does not cover the gas", {
      reason: check.reason,
      reward: check.reward,
      gasCost: check.gasCost,
    });
    return undefined;
  }
  const episodeBlock = ctx.firstSeen.get(state.vaultId) ?? blockNumber;
  const rowId = ctx.journal.record({
    chainId: ctx.chainId,
    vaultId: state.vaultId.toString(),
    seriesId: state.seriesId.toString(),
    amount: amount.toString(),
    collateralPaid: collateralPaid.toString(),
    reward: check.reward.toString(),
    gasCost: check.gasCost.toString(),
    episodeBlock: Number(episodeBlock),
    blockNumber: Number(blockNumber),
    status: "sending",
    intentId,
  });
  log.info("liquidating", { amount, collateralPaid, reward: check.reward, gasCost: check.gasCost, intentId });
  const done = track(ctx, state.vaultId, intentId, rowId, episodeBlock, () =>
    ctx.tx.send({ intentId, ...call, args: [...call.args], label: `liquidate vault ${state.vaultId}` }),
  );
  return { done };
}

/** Drives a liquidation the store holds pending: its signed transaction is broadcast again, never re-created. */
function resume(
  ctx: LiquidatorContext,
  id: string,
  vaultId: bigint,
  blockNumber: bigint,
): Promise<LiquidationResult> {
  const stored = ctx.store.getIntent(id)!.intent;
  const call = decodeFunctionData({ abi, data: stored.data as `0x${string}` });
  const row = ctx.journal.latestOf(id);
  const episodeBlock = row ? BigInt(row.episodeBlock) : blockNumber;
  const rowId =
    row?.id ??
    ctx.journal.record({
      chainId: ctx.chainId,
      vaultId: vaultId.toString(),
      seriesId: "?",
      amount: String(call.args?.[1] ?? "?"),
      episodeBlock: Number(blockNumber),
      blockNumber: Number(blockNumber),
      status: "pending",
      intentId: id,
      reason: "found pending in the store at start",
    });
  ctx.log.child("liquidator").info("resuming an unfinished liquidation", { intentId: id });
  return track(ctx, vaultId, id, rowId, episodeBlock, () =>
    ctx.tx.send({
      intentId: id,
      address: stored.toAddress as Address,
      abi,
      functionName: call.functionName,
      args: call.args,
      label: stored.label ?? undefined,
    }),
  );
}

function track(
  ctx: LiquidatorContext,
  vaultId: bigint,
  intentId: string,
  rowId: number,
  episodeBlock: bigint,
  send: () => Promise<TxOutcome>,
): Promise<LiquidationResult> {
  const log = ctx.log.child("liquidator", { vaultId, intentId });
  const done = (async (): Promise<LiquidationResult> => {
    let status: ActionStatus;
    let reason: string | undefined;
    let outcome: TxOutcome | undefined;
    try {
      outcome = await send();
      reason = outcome.reason;
      status =
        outcome.status === "simulation-failed"
          ? isNormalRefusal(reason)
            ? "already-done"
            : "refused"
          : outcome.status;
    } catch (error) {
      reason = shortReason(error);
      status = isNormalRefusal(reason) ? "already-done" : "error";
    }
    let latencyBlocks: number | undefined;
    if (status === "mined") {
      latencyBlocks = Number(outcome!.blockNumber! - episodeBlock);
      ctx.liquidatorMetrics.latency.observe(latencyBlocks);
      ctx.firstSeen.delete(vaultId);
      log.info("liquidation mined", {
        hash: outcome!.hash,
        blockNumber: outcome!.blockNumber,
        latencyBlocks,
      });
    } else if (status === "already-done")
      log.info("nothing to do any more (healthy again, liquidated or expired)", { reason });
    else if (status === "dry-run") {
      ctx.reported.add(intentId);
      log.info("dry run: the liquidation simulates; not sent");
    } else if (status === "pending")
      log.warn("liquidation not mined yet: resumed on the next block", { hash: outcome?.hash });
    else log.warn(`liquidation ${status}`, { reason, hash: outcome?.hash });
    ctx.journal.update(rowId, {
      status,
      reason: reason ?? null,
      txHash: outcome?.hash ?? null,
      minedBlock: outcome?.blockNumber === undefined ? null : Number(outcome.blockNumber),
      latencyBlocks: latencyBlocks ?? null,
    });
    ctx.liquidatorMetrics.actions.inc({ status });
    return { intentId, vaultId, status, reason, minedBlock: outcome?.blockNumber, latencyBlocks };
  })().finally(() => {
    if (ctx.inFlight.get(vaultId)?.intentId === intentId) ctx.inFlight.delete(vaultId);
  });
  ctx.inFlight.set(vaultId, { intentId, done });
  return done;
}

/** Waits until every write in flight has returned. */
export async function settled(ctx: LiquidatorContext): Promise<void> {
  while (ctx.inFlight.size > 0) await Promise.allSettled([...ctx.inFlight.values()].map((f) => f.done));
}
