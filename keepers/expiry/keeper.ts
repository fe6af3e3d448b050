/**
 * One tick of the expiry keeper, at a block: learn series, vaults and holders up to it (the shared log watcher),
 * drive any write the store holds pending, read every expired series at that block (its settlement, its open
 * vaults, its holders' balances) and launch the writes `decide.ts` asks for.
 */
import { decodeFunctionData, type Address, type PublicClient } from "viem";
import { Counter, Gauge, type Registry } from "prom-client";
import { aiPowerDerivativesAbi, oracleOptionPriceSourceAbi } from "../../generated/abis.js";
import type { Health } from "../lib/health.js";
import type { Logger } from "../lib/log.js";
import type { Metrics } from "../lib/metrics.js";
import { trackRun } from "../lib/process.js";
import type { Store } from "../lib/store/store.js";
import { shortReason } from "../lib/tx/errors.js";
import type { TxManager, TxOutcome, WriteRequest } from "../lib/tx/sender.js";
import type { LogWatcher, WatchedLog } from "../lib/watch.js";
import {
  decideExpiry,
  intentId,
  isNormalRefusal,
  parseIntentId,
  poolKey,
  type ExpiryAction,
  type HolderBalance,
  type SeriesDecision,
  type SeriesState,
} from "./decide.js";
import type { ExpiryJournal, KnownSeries } from "./journal.js";
import type { ActionKind, ActionStatus } from "./schema.js";

const abi = aiPowerDerivativesAbi;
const zero = "0x0000000000000000000000000000000000000000";

/** One write in flight: what it holds back from the next blocks' decisions. */
type InFlight = {
  kind: ActionKind;
  seriesId?: bigint;
  poolKey?: string;
  vaultId?: bigint;
  holders?: Address[];
  done: Promise<ActionResult>;
};

export type SeriesView = {
  seriesId: string;
  expiry: string;
  status: SeriesDecision["status"] | "error";
  detail?: string;
  settlementWad?: string;
  payoffWad?: string;
  openVaults?: number;
  holdersToPay?: number;
};

export type ExpiryContext = {
  chainId: number;
  derivatives: Address;
  priceSource: Address;
  publicClient: PublicClient;
  tx: TxManager;
  store: Store;
  journal: ExpiryJournal;
  watcher: LogWatcher;
  settings: {
    seriesIds?: bigint[];
    maxWritesPerBlock: number;
    maxHoldersPerCall: number;
    readConcurrency: number;
    dryRun: boolean;
  };
  log: Logger;
  health: Health;
  metrics: Metrics;
  expiryMetrics: ReturnType<typeof createExpiryMetrics>;
  inFlight: Map<string, InFlight>;
  /** Dry-run: intents already simulated and journaled. */
  reported: Set<string>;
  series: Map<bigint, SeriesView>;
  lastBlock?: { number: bigint; timestamp: bigint };
};

export type ActionResult = {
  intentId: string;
  kind: ActionKind;
  status: ActionStatus;
  reason?: string;
  minedBlock?: bigint;
};

export type TickResult = {
  blockNumber: bigint;
  decisions: SeriesDecision[];
  actions: ExpiryAction[];
  launched: Promise<ActionResult>[];
};

export function createExpiryMetrics(registry: Registry) {
  const registers = [registry];
  return {
    actions: new Counter({
      name: "expiry_actions_total",
      help: "Writes by kind (finalize, settle, exercise) and how they ended (mined, already-done, refused, …).",
      labelNames: ["kind", "status"] as const,
      registers,
    }),
    series: new Gauge({
      name: "expiry_series",
      help: "Series not done yet, by their status at the last block (live, settling, exercising, queued, …).",
      labelNames: ["status"] as const,
      registers,
    }),
  };
}

/** The shared watcher's handler: SeriesCreated, VaultOpened, VaultSettled and ERC-6909 Transfer into the tables. */
export function learn(journal: ExpiryJournal, derivatives: Address) {
  return (logs: WatchedLog[]) => {
    for (const l of logs) {
      const a = l.args;
      switch (l.eventName) {
        case "SeriesCreated":
          journal.addSeries({
            seriesId: a.seriesId as bigint,
            poolId: a.underlyingPoolId as bigint,
            expiry: a.expiry as bigint,
            isCall: a.isCall as boolean,
            strikeWad: a.strikeWad as bigint,
            createdBlock: l.blockNumber,
          });
          break;
        case "VaultOpened":
          journal.addVault({
            vaultId: a.vaultId as bigint,
            seriesId: a.seriesId as bigint,
            owner: a.owner as string,
            openedBlock: l.blockNumber,
          });
          break;
        case "VaultSettled":
          journal.settleVault(a.vaultId as bigint);
          break;
        case "Transfer": {
          const receiver = a.receiver as Address;
          // Options escrowed in an offer sit with the derivatives contract itself: never a holder to pay.
          if (receiver !== zero && receiver.toLowerCase() !== derivatives.toLowerCase())
            journal.addHolder(a.id as bigint, receiver, l.blockNumber);
          break;
        }
      }
    }
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

/** An expired series' state at `blockNumber`, minus what writes in flight already cover. */
async function readSeries(ctx: ExpiryContext, s: KnownSeries, blockNumber: bigint): Promise<SeriesState> {
  const at = { blockNumber } as const;
  const onChain = await ctx.publicClient.readContract({
    address: ctx.derivatives,
    abi,
    functionName: "getSeries",
    args: [s.seriesId],
    ...at,
  });
  let settlementWad: bigint | undefined = onChain.settled ? onChain.settlementWad : undefined;
  if (settlementWad === undefined) {
    const [price, finalized] = await ctx.publicClient.readContract({
      address: ctx.priceSource,
      abi: oracleOptionPriceSourceAbi,
      functionName: "settlementPriceWad",
      args: [s.poolId, s.expiry],
      ...at,
    });
    if (finalized) settlementWad = price;
  }
  const flights = [...ctx.inFlight.values()];
  const busyVaults = new Set(flights.filter((f) => f.vaultId !== undefined).map((f) => f.vaultId!));
  const busyHolders = new Set(
    flights
      .filter((f) => f.seriesId === s.seriesId && f.holders)
      .flatMap((f) => f.holders!.map((h) => h.toLowerCase())),
  );
  const vaultIds = ctx.journal.unsettledVaults(s.seriesId);
  const openVaults: bigint[] = [];
  await mapLimit(vaultIds, ctx.settings.readConcurrency, async (vaultId) => {
    const v = await ctx.publicClient.readContract({
      address: ctx.derivatives,
      abi,
      functionName: "getVault",
      args: [vaultId],
      ...at,
    });
    if (v.owner === zero)
      ctx.journal.settleVault(vaultId); // settled (deleted) by anyone: its event may follow
    else if (!busyVaults.has(vaultId)) openVaults.push(vaultId);
  });
  openVaults.sort((a, b) => (a < b ? -1 : 1));
  const holders: HolderBalance[] = [];
  const known = ctx.journal.holders(s.seriesId).filter((h) => !busyHolders.has(h.toLowerCase()));
  await mapLimit(known, ctx.settings.readConcurrency, async (holder) => {
    const balance = await ctx.publicClient.readContract({
      address: ctx.derivatives,
      abi,
      functionName: "balanceOf",
      args: [holder, s.seriesId],
      ...at,
    });
    if (balance > 0n) holders.push({ holder, balance });
  });
  holders.sort((a, b) => (a.holder.toLowerCase() < b.holder.toLowerCase() ? -1 : 1));
  return {
    ...s,
    settlementWad,
    openVaults,
    holders,
    inFlight: {
      finalize: flights.some((f) => f.kind === "finalize" && f.poolKey === poolKey(s.poolId, s.expiry)),
      settles: flights.filter((f) => f.kind === "settle" && f.seriesId === s.seriesId).length,
      exercises: flights.filter((f) => f.kind === "exercise" && f.seriesId === s.seriesId).length,
    },
  };
}

/** Runs one tick at the latest block; resolves once every decision is made (writes go on in `launched`). */
export function runOnce(ctx: ExpiryContext): Promise<TickResult> {
  const log = ctx.log.child("expiry");
  return trackRun({ health: ctx.health, metrics: ctx.metrics, log }, async () => {
    const head = await ctx.publicClient.getBlock({ blockTag: "latest" });
    const blockNumber = head.number;
    const now = head.timestamp;
    ctx.lastBlock = { number: blockNumber, timestamp: now };
    await ctx.watcher.catchUp(blockNumber);
    const launched: Promise<ActionResult>[] = [];

    // 1. Writes the store holds pending (a previous process signed them, or a reorg took them off the chain): driven,
    //    never re-created.
    if (!ctx.settings.dryRun)
      for (const id of await ctx.tx.pendingIntentIds()) {
        if (ctx.inFlight.has(id) || !parseIntentId(id)) continue;
        launched.push(resume(ctx, id, blockNumber));
      }

    // 2. Every expired series not done, at this block.
    const only = ctx.settings.seriesIds;
    const due = ctx.journal
      .openSeries()
      .filter((s) => (!only || only.includes(s.seriesId)) && s.expiry <= now);
    const views = new Map<bigint, SeriesView>();
    for (const s of ctx.journal.openSeries())
      if ((!only || only.includes(s.seriesId)) && s.expiry > now)
        views.set(s.seriesId, {
          seriesId: s.seriesId.toString(),
          expiry: s.expiry.toString(),
          status: "live",
        });
    const states: SeriesState[] = [];
    for (const s of due) {
      try {
        states.push(await readSeries(ctx, s, blockNumber));
      } catch (error) {
        views.set(s.seriesId, {
          seriesId: s.seriesId.toString(),
          expiry: s.expiry.toString(),
          status: "error",
          detail: shortReason(error),
        });
        log.warn("could not read a series; the next block tries again", { seriesId: s.seriesId, error });
      }
    }
    const { actions, decisions } = decideExpiry(
      states,
      now,
      { maxWrites: ctx.settings.maxWritesPerBlock, maxHoldersPerCall: ctx.settings.maxHoldersPerCall },
      ctx.inFlight.size,
    );
    for (const d of decisions) {
      const s = states.find((x) => x.seriesId === d.seriesId)!;
      views.set(d.seriesId, {
        seriesId: d.seriesId.toString(),
        expiry: s.expiry.toString(),
        status: d.status,
        settlementWad: s.settlementWad?.toString(),
        payoffWad: d.payoffWad?.toString(),
        openVaults: s.openVaults.length + s.inFlight.settles,
        holdersToPay: d.payoffWad === 0n ? 0 : s.holders.length,
      });
      if (d.done) {
        ctx.journal.markDone(d.seriesId);
        log.info(d.status === "otm" ? "series expired out of the money: nothing to pay" : "series done", {
          seriesId: d.seriesId,
          settlementWad: s.settlementWad,
        });
      }
    }
    for (const action of actions) {
      const started = launch(ctx, action, blockNumber);
      if (started) launched.push(started);
    }
    ctx.series = views;
    const counts = new Map<string, number>();
    for (const v of views.values()) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
    ctx.expiryMetrics.series.reset();
    for (const [status, n] of counts) ctx.expiryMetrics.series.set({ status }, n);
    return { blockNumber, decisions, actions, launched };
  });
}

function requestOf(ctx: ExpiryContext, action: ExpiryAction): Omit<WriteRequest, "intentId"> {
  switch (action.kind) {
    case "finalize":
      return {
        address: ctx.priceSource,
        abi: oracleOptionPriceSourceAbi,
        functionName: "finalizeSettlement",
        args: [action.poolId, action.expiry],
        label: `finalize settlement of pool ${action.poolId} at ${action.expiry}`,
      };
    case "settle":
      return {
        address: ctx.derivatives,
        abi,
        functionName: "settleVault",
        args: [action.vaultId],
        label: `settle vault ${action.vaultId}`,
      };
    case "exercise":
      return {
        address: ctx.derivatives,
        abi,
        functionName: "exerciseFor",
        args: [action.seriesId, action.holders.map((h) => h.holder)],
        label: `exercise series ${action.seriesId} for ${action.holders.length} holders`,
      };
  }
}

function targetOf(action: ExpiryAction): string {
  if (action.kind === "finalize") return poolKey(action.poolId, action.expiry);
  if (action.kind === "settle") return action.vaultId.toString();
  return JSON.stringify(action.holders.map((h) => h.holder));
}

function launch(
  ctx: ExpiryContext,
  action: ExpiryAction,
  blockNumber: bigint,
): Promise<ActionResult> | undefined {
  const contract = action.kind === "finalize" ? ctx.priceSource : ctx.derivatives;
  const id = intentId(ctx.chainId, contract, action);
  if (ctx.inFlight.has(id) || (ctx.settings.dryRun && ctx.reported.has(id))) return undefined;
  const rowId = ctx.journal.record({
    chainId: ctx.chainId,
    seriesId: action.seriesId.toString(),
    kind: action.kind,
    target: targetOf(action),
    blockNumber: Number(blockNumber),
    status: "sending",
    intentId: id,
  });
  const request = requestOf(ctx, action);
  ctx.log.child("expiry", { seriesId: action.seriesId }).info(`${action.kind}: sending`, {
    intentId: id,
    target: targetOf(action),
  });
  return track(ctx, id, rowId, flightOf(action), () => ctx.tx.send({ intentId: id, ...request }));
}

function flightOf(action: ExpiryAction): Omit<InFlight, "done"> {
  if (action.kind === "finalize") return { kind: "finalize", poolKey: poolKey(action.poolId, action.expiry) };
  if (action.kind === "settle") return { kind: "settle", seriesId: action.seriesId, vaultId: action.vaultId };
  return { kind: "exercise", seriesId: action.seriesId, holders: action.holders.map((h) => h.holder) };
}

/** Drives a write the store holds pending: its signed transaction is broadcast again, never re-created. */
function resume(ctx: ExpiryContext, id: string, blockNumber: bigint): Promise<ActionResult> {
  const parsed = parseIntentId(id)!;
  const stored = ctx.store.getIntent(id)!.intent;
  const callAbi = parsed.kind === "finalize" ? oracleOptionPriceSourceAbi : abi;
  const call = decodeFunctionData({ abi: callAbi, data: stored.data as `0x${string}` });
  const args = (call.args ?? []) as readonly unknown[];
  let flight: Omit<InFlight, "done">;
  let seriesId = "?";
  if (parsed.kind === "finalize")
    flight = { kind: "finalize", poolKey: poolKey(parsed.poolId, parsed.expiry) };
  else if (parsed.kind === "settle") {
    const vault = ctx.journal.db.query.expiryVaults
      .findFirst({ where: (v, { eq }) => eq(v.vaultId, parsed.vaultId.toString()) })
      .sync();
    seriesId = vault?.seriesId ?? "?";
    flight = {
      kind: "settle",
      vaultId: parsed.vaultId,
      seriesId: vault ? BigInt(vault.seriesId) : undefined,
    };
  } else {
    seriesId = parsed.seriesId.toString();
    flight = { kind: "exercise", seriesId: parsed.seriesId, holders: [...(args[1] as Address[])] };
  }
  const row = ctx.journal.latestOf(id);
  const rowId =
    row?.id ??
    ctx.journal.record({
      chainId: ctx.chainId,
      seriesId,
      kind: parsed.kind,
      target: flight.holders ? JSON.stringify(flight.holders) : String(args[0] ?? "?"),
      blockNumber: Number(blockNumber),
      status: "pending",
      intentId: id,
      reason: "found pending in the store at start",
    });
  ctx.log.child("expiry").info("resuming an unfinished write", { intentId: id });
  return track(ctx, id, rowId, flight, () =>
    ctx.tx.send({
      intentId: id,
      address: stored.toAddress as Address,
      abi: callAbi,
      functionName: call.functionName,
      args,
      label: stored.label ?? undefined,
    }),
  );
}

function track(
  ctx: ExpiryContext,
  id: string,
  rowId: number,
  flight: Omit<InFlight, "done">,
  send: () => Promise<TxOutcome>,
): Promise<ActionResult> {
  const log = ctx.log.child("expiry", { intentId: id });
  const done = (async (): Promise<ActionResult> => {
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
    if (status === "mined") {
      log.info(`${flight.kind} mined`, { hash: outcome!.hash, blockNumber: outcome!.blockNumber });
      if (flight.kind === "settle") ctx.journal.settleVault(flight.vaultId!);
    } else if (status === "already-done") {
      log.info(`${flight.kind}: done already`, { reason });
      if (flight.kind === "settle") ctx.journal.settleVault(flight.vaultId!);
    } else if (status === "dry-run") {
      ctx.reported.add(id);
      log.info(`dry run: ${flight.kind} simulates; not sent`);
    } else if (status === "pending") log.warn(`${flight.kind} not mined yet: resumed on the next block`);
    else log.warn(`${flight.kind} ${status}`, { reason, hash: outcome?.hash });
    ctx.journal.update(rowId, {
      status,
      reason: reason ?? null,
      txHash: outcome?.hash ?? null,
      minedBlock: outcome?.blockNumber === undefined ? null : Number(outcome.blockNumber),
    });
    ctx.expiryMetrics.actions.inc({ kind: flight.kind, status });
    return { intentId: id, kind: flight.kind, status, reason, minedBlock: outcome?.blockNumber };
  })().finally(() => {
    if (ctx.inFlight.get(id)?.done === done) ctx.inFlight.delete(id);
  });
  ctx.inFlight.set(id, { ...flight, done });
  return done;
}

/** Waits until every write in flight has returned. */
export async function settled(ctx: ExpiryContext): Promise<void> {
  while (ctx.inFlight.size > 0) await Promise.allSettled([...ctx.inFlight.values()].map((f) => f.done));
}
