import { decodeFunctionData, type Address, type PublicClient } from "viem";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Health } from "../lib/health.js";
import type { Logger } from "../lib/log.js";
import type { Metrics } from "../lib/metrics.js";
import { trackRun } from "../lib/process.js";
import type { Store } from "../lib/store/store.js";
import { shortReason } from "../lib/tx/errors.js";
import type { TxManager, TxOutcome, WriteRequest } from "../lib/tx/sender.js";
import {
  duePools,
  landed,
  managerAbi,
  mapLimit,
  oracleAbi,
  readPortfolio,
  rebalancePoolsOf,
  stopPrice,
  type PortfolioBook,
  type PortfolioEntry,
} from "./chain.js";
import {
  classifyRefusal,
  decide,
  Episodes,
  schedule,
  type Candidate,
  intentId,
  parseIntentId,
  revertOf,
  slotOf,
  type Decision,
  type IntentKey,
  type PortfolioRead,
  type PortfolioStatus,
} from "./decide.js";
import type { ActionJournal } from "./journal.js";
import type { ActionStatus } from "./schema.js";

/** Everything one tick needs; built by `startRebalancer` (main.ts) or by a test. */
export type RebalancerContext = {
  chainId: number;
  manager: Address;
  oracle: Address;
  publicClient: PublicClient;
  tx: TxManager;
  store: Store;
  journal: ActionJournal;
  book: PortfolioBook;
  episodes: Episodes;
  /** Writes this process launched and that have not returned yet, by slot (`portfolio:<id>`, `record`). */
  inFlight: Map<string, InFlight>;
  /** Chain time (unix s) until which a slot is left alone after the contract refused to act. */
  backoff: Map<string, number>;
  /** Each watched portfolio as the last tick saw it (`GET /portfolios`); a change of status is logged. */
  portfolios: Map<bigint, PortfolioState>;
  settings: { backoffSeconds: number; recordOracle: boolean; readConcurrency: number; dryRun: boolean };
  log: Logger;
  health: Health;
  metrics: Metrics;
  rebalancerMetrics: RebalancerMetrics;
  /** The block the last tick read. */
  lastBlock?: { number: bigint; timestamp: number };
  ticks: number;
};

/** A write this process is driving: its intent, the pools its trade goes through, and its end. */
export type InFlight = { intentId: string; pools: readonly bigint[]; done: Promise<ActionResult> };

export type PortfolioState = {
  portfolioId: bigint;
  status: PortfolioStatus | "acting";
  detail: string;
  maxDriftBps: bigint | null;
  blockNumber: bigint;
};

/** How one launched action ended (as far as this process saw it). */
export type ActionResult = {
  intentId: string;
  action: IntentKey["action"];
  portfolioId?: bigint;
  status: ActionStatus;
  hash?: `0x${string}`;
  minedBlock?: bigint;
  latencyBlocks?: number;
  reason?: string;
  resumed: boolean;
};

export type TickResult = {
  blockNumber: bigint;
  timestamp: number;
  decisions: Decision[];
  /** Pools whose oracle observation was due (and recorded unless a recording was already unfinished). */
  duePools: bigint[];
  /** Actions left for the next block: a pool they trade through is traded by another write in this one. */
  queued: { portfolioId: bigint; pool: bigint; by: string }[];
  /** The actions launched in this tick, and the resumptions of unfinished ones; each resolves when it ends. */
  launched: Promise<ActionResult>[];
};

export type RebalancerMetrics = ReturnType<typeof createRebalancerMetrics>;

export function createRebalancerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    actions: new Counter({
      name: "rebalancer_actions_total",
      help: "Actions by kind (rebalance, stop, record) and how they ended (mined, already-done, loss-limited, …).",
      labelNames: ["action", "status"] as const,
      registers,
    }),
    latency: new Histogram({
      name: "rebalancer_action_latency_blocks",
      help: "Blocks from the one where the need was first seen to the one the keeper's transaction was mined in.",
      labelNames: ["action"] as const,
      buckets: [1, 2, 3, 5, 10, 20, 50],
      registers,
    }),
    drift: new Gauge({
      name: "rebalancer_portfolio_drift_bps",
      help: "Largest |current − target| weight of the portfolio at the last tick, bps (needsRebalance).",
      labelNames: ["portfolio"] as const,
      registers,
    }),
    portfolios: new Gauge({
      name: "rebalancer_portfolios",
      help: "Watched portfolios by status at the last tick (in-band, acting, queued, blocked, busy, backoff, unpriced).",
      labelNames: ["status"] as const,
      registers,
    }),
    block: new Gauge({ name: "rebalancer_block", help: "The block the last tick read.", registers }),
    tickSeconds: new Histogram({
      name: "rebalancer_tick_seconds",
      help: "Time from reading a block to having launched every action it called for.",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

/**
 * The gas limit of a `recordMany`: an observation written into a fresh ring slot costs about 140 000 gas a pool (a
 * pool's first also sets it up), one into a used slot about 45 000, and one in a period already observed almost
 * nothing. An estimate made against the block the keeper read can be the cheap case while the transaction lands in
 * the next period and pays the dear one — a revert for lack of gas; so the limit covers the dear case for every pool
 * (only the gas used is paid).
 */
export const recordGas = (pools: number) => 60_000n + 160_000n * BigInt(pools);

const statuses: (PortfolioStatus | "acting")[] = [
  "in-band",
  "acting",
  "queued",
  "blocked",
  "busy",
  "backoff",
  "unpriced",
];
const portfolioSlot = (id: bigint) => `portfolio:${id}`;

/**
 * One tick, at the newest block: see which writes are unfinished (launched by this process, or stored pending by
 * an earlier one — those are resumed through the transaction layer, never sent again); bring the portfolio book up
 * to the block; read `needsRebalance` and `stopTriggerable` of every portfolio that is neither busy nor backing
 * off, and `recordDue` of their pools; decide; launch one `recordMany` for the due pools and one action per
 * portfolio that needs one. Launching does not wait for receipts: the next block's tick runs while they are mined
 * and finds their portfolios busy. An unreachable RPC fails the tick (logged, counted); the next block retries.
 */
export function runOnce(ctx: RebalancerContext): Promise<TickResult> {
  const log = ctx.log.child("rebalancer");
  return trackRun({ health: ctx.health, metrics: ctx.metrics, log }, async () => {
    const startedAt = performance.now();
    const head = await ctx.publicClient.getBlock({ blockTag: "latest" });
    const blockNumber = head.number;
    const now = Number(head.timestamp);
    ctx.lastBlock = { number: blockNumber, timestamp: now };
    const launched: Promise<ActionResult>[] = [];

    // 1. Unfinished writes hold their slot: ours in flight, and any the store holds pending.
    const busy = new Map<string, string>();
    for (const [slot, f] of ctx.inFlight) busy.set(slot, f.intentId);
    const driven = new Set(busy.values());
    const toResume: { id: string; key: IntentKey }[] = [];
    for (const id of await ctx.tx.pendingIntentIds()) {
      const key = parseIntentId(id);
      if (!key || driven.has(id)) continue; // one drive per intent: two would race to replace its transaction
      const slot = slotIn(ctx, key, id);
      if (ctx.inFlight.has(slot)) continue;
      busy.set(slot, id);
      // In dry-run mode nothing is signed or sent: a pending write stays as the store holds it.
      if (!ctx.settings.dryRun) toResume.push({ id, key });
    }

    // 2. What the chain says at this block. The book first: a resumed trade holds its portfolio's pools.
    const entries = await ctx.book.refresh(blockNumber);
    for (const { id, key } of toResume) launched.push(resume(ctx, id, key));
    const holdOf = (slot: string): PortfolioRead["hold"] => {
      const intent = busy.get(slot);
      if (intent) return { reason: "busy", intentId: intent };
      const until = ctx.backoff.get(slot);
      if (until !== undefined && until > now) return { reason: "backoff", until };
      return undefined;
    };
    const recordSlotFree = ctx.settings.recordOracle && holdOf("record") === undefined;
    const pools = [...new Set(entries.flatMap((e) => e.pools.slice(1)))].sort((a, b) => (a < b ? -1 : 1));
    const [reads, due] = await Promise.all([
      mapLimit(entries, ctx.settings.readConcurrency, async (entry): Promise<PortfolioRead> => {
        const hold = holdOf(portfolioSlot(entry.portfolioId));
        if (hold) return { portfolioId: entry.portfolioId, hold, stops: [] };
        return readPortfolio(
          ctx.publicClient,
          { manager: ctx.manager, oracle: ctx.oracle },
          entry,
          blockNumber,
        );
      }),
      recordSlotFree
        ? duePools(ctx.publicClient, ctx.oracle, pools, blockNumber, ctx.settings.readConcurrency)
        : Promise.resolve([]),
    ]);
    const decisions = decide(reads);
    // The entries this tick read (the book may forget one meanwhile: a stop of ours mined during the reads).
    const byId = new Map(entries.map((e) => [e.portfolioId, e]));

    // 3. Episodes: every condition that holds keeps (or opens) its episode; the others' close.
    for (const read of reads) {
      if (read.hold) continue;
      const slot = portfolioSlot(read.portfolioId);
      const holding = new Set<string>();
      for (const s of read.stops)
        if ("triggerable" in s && s.triggerable) holding.add(Episodes.key(slot, "stop", s.asset));
      if (read.rebalance && "due" in read.rebalance && read.rebalance.due)
        holding.add(Episodes.key(slot, "rebalance"));
      ctx.episodes.closeAllBut(slot, holding);
      for (const key of holding) ctx.episodes.observe(key, blockNumber);
    }

    // 4. The oracle first: without observations nothing can be priced.
    const recordKey = Episodes.key("record", "record");
    if (recordSlotFree && due.length === 0) ctx.episodes.close(recordKey);
    if (recordSlotFree && due.length > 0) {
      const episode = ctx.episodes.observe(recordKey, blockNumber);
      if (!(ctx.settings.dryRun && ctx.episodes.reported(recordKey))) {
        const key: IntentKey = { action: "record", chainId: ctx.chainId, contract: ctx.oracle, episode };
        launched.push(
          launch(ctx, key, [], {
            request: {
              intentId: intentId(key),
              address: ctx.oracle,
              abi: oracleAbi,
              functionName: "recordMany",
              args: [due],
              label: `recordMany(${due.join(", ")})`,
              gas: recordGas(due.length),
            },
            entry: { pools: due.join(",") },
            blockNumber,
            now,
          }),
        );
      }
    }

    // 5. One action per portfolio that needs one, and one trade per pool per block (see `schedule`).
    const wanted = decisions.filter(
      (d): d is Candidate["decision"] =>
        d.kind !== "none" &&
        !(
          ctx.settings.dryRun &&
          ctx.episodes.reported(
            Episodes.key(portfolioSlot(d.portfolioId), d.kind, d.kind === "stop" ? d.asset : undefined),
          )
        ),
    );
    const [candidates, taken] = await Promise.all([
      mapLimit(wanted, ctx.settings.readConcurrency, async (d): Promise<Candidate> => {
        const entry = byId.get(d.portfolioId)!;
        if (d.kind === "stop") {
          const index = entry.assets.findIndex((a) => a.toLowerCase() === d.asset.toLowerCase());
          return { decision: d, pools: [entry.pools[index]!] };
        }
        return {
          decision: d,
          pools: await rebalancePoolsOf(ctx.publicClient, ctx.manager, entry, blockNumber),
        };
      }),
      wanted.length > 0 ? poolsInFlight(ctx) : Promise.resolve(new Map<bigint, string>()),
    ]);
    const { launch: go, queued } = schedule(candidates, taken);
    for (const { decision: d, pools: tradePools } of go) {
      const slot = portfolioSlot(d.portfolioId);
      const epKey = Episodes.key(slot, d.kind, d.kind === "stop" ? d.asset : undefined);
      const episode = ctx.episodes.get(epKey)!;
      const entry = byId.get(d.portfolioId)!;
      const common = { chainId: ctx.chainId, contract: ctx.manager, portfolioId: d.portfolioId, episode };
      if (d.kind === "rebalance") {
        const key: IntentKey = { action: "rebalance", ...common };
        log.info(`portfolio ${d.portfolioId}: drift ${d.maxDriftBps} bps is outside its band: rebalancing`, {
          portfolioId: d.portfolioId,
          maxDriftBps: d.maxDriftBps,
          pools: tradePools,
          episode,
          blockNumber,
        });
        launched.push(
          launch(ctx, key, tradePools, {
            request: {
              intentId: intentId(key),
              address: ctx.manager,
              abi: managerAbi,
              functionName: "rebalancePortfolio",
              args: [d.portfolioId],
              label: `rebalancePortfolio(${d.portfolioId})`,
            },
            entry: { portfolioId: d.portfolioId.toString(), maxDriftBps: d.maxDriftBps.toString() },
            blockNumber,
            now,
          }),
        );
      } else {
        const key: IntentKey = { action: "stop", ...common, asset: d.asset };
        const order = entry.stops.get(d.asset.toLowerCase())!;
        log.info(
          `portfolio ${d.portfolioId}: stop order of ${d.asset} triggerable: selling it into the base token`,
          {
            portfolioId: d.portfolioId,
            asset: d.asset,
            stopLossPrice: order.stopLossPrice,
            takeProfitPrice: order.takeProfitPrice,
            episode,
            blockNumber,
          },
        );
        launched.push(
          launch(ctx, key, tradePools, {
            request: {
              intentId: intentId(key),
              address: ctx.manager,
              abi: managerAbi,
              functionName: "triggerStop",
              args: [d.portfolioId, d.asset],
              label: `triggerStop(${d.portfolioId}, ${d.asset})`,
            },
            entry: {
              portfolioId: d.portfolioId.toString(),
              asset: d.asset,
              maxDriftBps: d.maxDriftBps?.toString() ?? null,
              stopLossPrice: order.stopLossPrice.toString(),
              takeProfitPrice: order.takeProfitPrice.toString(),
            },
            blockNumber,
            now,
          }),
        );
        // The price the order was compared with, for the journal — read after the write is on its way.
        void annotateStop(ctx, entry, d.asset, order, blockNumber, intentId(key));
      }
    }
    for (const q of queued)
      log.debug(`portfolio ${q.candidate.decision.portfolioId} waits a block: pool ${q.pool} is taken`, {
        by: q.by,
        blockNumber,
      });

    const waiting = new Map(
      queued.map((q) => [
        q.candidate.decision.portfolioId,
        `waits a block: pool ${q.pool} is traded by ${q.by}`,
      ]),
    );
    updateStatuses(ctx, decisions, waiting, blockNumber, log);
    ctx.rebalancerMetrics.block.set(Number(blockNumber));
    ctx.rebalancerMetrics.tickSeconds.observe((performance.now() - startedAt) / 1000);
    if (++ctx.ticks % 1_000 === 0) ctx.journal.prune();
    log.debug("tick", {
      blockNumber,
      portfolios: entries.length,
      duePools: due,
      actions: decisions.filter((d) => d.kind !== "none").length,
    });
    return {
      blockNumber,
      timestamp: now,
      decisions,
      duePools: due,
      queued: queued.map((q) => ({ portfolioId: q.candidate.decision.portfolioId, pool: q.pool, by: q.by })),
      launched,
    };
  });
}

/**
 * Pools held by writes still on their way: launched (by this tick or an earlier one) and not yet on chain. A write
 * whose transaction already has a receipt is in the state this tick read, and holds nothing.
 */
async function poolsInFlight(ctx: RebalancerContext): Promise<Map<bigint, string>> {
  const held = new Map<bigint, string>();
  for (const f of ctx.inFlight.values()) {
    if (f.pools.length === 0) continue;
    const hashes = (ctx.store.getIntent(f.intentId)?.attempts ?? []).map((a) => a.hash as `0x${string}`);
    if (hashes.length > 0 && (await landed(ctx.publicClient, hashes))) continue;
    for (const pool of f.pools) held.set(pool, f.intentId);
  }
  return held;
}

async function annotateStop(
  ctx: RebalancerContext,
  entry: PortfolioEntry,
  asset: Address,
  order: { stopLossPrice: bigint; takeProfitPrice: bigint },
  blockNumber: bigint,
  id: string,
): Promise<void> {
  try {
    const index = entry.assets.findIndex((a) => a.toLowerCase() === asset.toLowerCase());
    const price = await stopPrice(ctx.publicClient, ctx.oracle, entry.pools[index]!, asset, blockNumber);
    if (price === null) return;
    const side = order.stopLossPrice !== 0n && price <= order.stopLossPrice ? "stop-loss" : "take-profit";
    const row = ctx.journal.latestOf(id);
    if (row) ctx.journal.annotate(row.id, { price: price.toString(), side });
  } catch (error) {
    ctx.log.child("rebalancer").debug("could not read the stop price for the journal", { asset, error });
  }
}

function updateStatuses(
  ctx: RebalancerContext,
  decisions: Decision[],
  waiting: ReadonlyMap<bigint, string>,
  blockNumber: bigint,
  log: Logger,
) {
  const counts = new Map(statuses.map((s) => [s, 0]));
  for (const d of decisions) {
    const wait = waiting.get(d.portfolioId);
    const status = d.kind === "none" ? d.status : wait ? "queued" : "acting";
    const detail =
      d.kind === "none"
        ? d.detail
        : `${d.kind === "stop" ? `triggerStop(${d.asset})` : "rebalancePortfolio"}${wait ? `: ${wait}` : ""}`;
    counts.set(status, counts.get(status)! + 1);
    const before = ctx.portfolios.get(d.portfolioId);
    const maxDriftBps = d.maxDriftBps ?? before?.maxDriftBps ?? null;
    if (d.maxDriftBps !== null)
      ctx.rebalancerMetrics.drift.set({ portfolio: d.portfolioId.toString() }, Number(d.maxDriftBps));
    // "busy" follows every action for a block or two; only changes that say something are logged.
    if (before?.status !== status && status !== "busy" && status !== "acting" && status !== "queued")
      log.info(`portfolio ${d.portfolioId} is ${status}`, {
        portfolioId: d.portfolioId,
        was: before?.status,
        detail,
        maxDriftBps,
        blockNumber,
      });
    ctx.portfolios.set(d.portfolioId, {
      portfolioId: d.portfolioId,
      status,
      detail,
      maxDriftBps,
      blockNumber,
    });
  }
  for (const [status, n] of counts) ctx.rebalancerMetrics.portfolios.set({ status }, n);
}

// ─── Launching writes and taking their outcomes ─────────────────────────────────────────────────

type Launch = {
  request: WriteRequest;
  entry: {
    portfolioId?: string;
    asset?: string;
    pools?: string;
    maxDriftBps?: string | null;
    stopLossPrice?: string;
    takeProfitPrice?: string;
  };
  blockNumber: bigint;
  now: number;
};

/** Starts a write in the background, holding its slot until it returns. */
function launch(
  ctx: RebalancerContext,
  key: IntentKey,
  pools: readonly bigint[],
  l: Launch,
): Promise<ActionResult> {
  const rowId = ctx.journal.record({
    chainId: ctx.chainId,
    action: key.action,
    episodeBlock: Number(key.episode),
    blockNumber: Number(l.blockNumber),
    blockTimestamp: l.now,
    intentId: l.request.intentId,
    ...l.entry,
  });
  return track(ctx, key, l.request.intentId, rowId, pools, false, l.now, () => ctx.tx.send(l.request));
}

/**
 * Drives an intent a previous process (or an earlier tick) left pending, through the transaction layer: the
 * signed transaction on disk is broadcast again if needed and followed to its receipt — never re-created.
 */
function resume(ctx: RebalancerContext, id: string, key: IntentKey): Promise<ActionResult> {
  const stored = ctx.store.getIntent(id)!.intent;
  const abi = key.action === "record" ? oracleAbi : managerAbi;
  const call = decodeFunctionData({ abi, data: stored.data as `0x${string}` });
  const row = ctx.journal.latestOf(id);
  const now = ctx.lastBlock?.timestamp ?? 0;
  const rowId =
    row?.id ??
    ctx.journal.record({
      chainId: ctx.chainId,
      action: key.action,
      portfolioId: key.action === "record" ? null : key.portfolioId.toString(),
      asset: key.action === "stop" ? key.asset : null,
      episodeBlock: Number(key.episode),
      blockNumber: Number(ctx.lastBlock?.number ?? key.episode),
      blockTimestamp: now,
      intentId: id,
      reason: "found pending in the store at start",
    });
  ctx.log.child("rebalancer").info("resuming an unfinished write", { intentId: id, label: stored.label });
  // Its pools are not known from the stored call: all of the portfolio's, to be safe.
  const pools = key.action === "record" ? [] : (ctx.book.entries.get(key.portfolioId)?.pools.slice(1) ?? []);
  return track(ctx, key, id, rowId, pools, true, now, () =>
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
  ctx: RebalancerContext,
  key: IntentKey,
  id: string,
  rowId: number,
  pools: readonly bigint[],
  resumed: boolean,
  now: number,
  send: () => Promise<TxOutcome>,
): Promise<ActionResult> {
  const slot = slotIn(ctx, key, id);
  const done = (async (): Promise<ActionResult> => {
    try {
      return settle(ctx, key, rowId, await send(), now);
    } catch (error) {
      return settleError(ctx, key, id, rowId, resumed, error, now);
    }
  })().finally(() => {
    if (ctx.inFlight.get(slot)?.intentId === id) ctx.inFlight.delete(slot);
  });
  ctx.inFlight.set(slot, { intentId: id, pools, done });
  return done;
}

/**
 * The slot an intent holds. One left pending for another deployment (a devnet redeployed on the same chain id, with
 * the same store) is still driven to its end by the transaction layer, but holds no slot of this one's portfolios.
 */
function slotIn(ctx: RebalancerContext, key: IntentKey, id: string): string {
  const ours = key.action === "record" ? ctx.oracle : ctx.manager;
  return key.chainId === ctx.chainId && key.contract.toLowerCase() === ours.toLowerCase()
    ? slotOf(key)
    : `foreign:${id}`;
}

const episodeKeyOf = (key: IntentKey) =>
  Episodes.key(slotOf(key), key.action, key.action === "stop" ? key.asset : undefined);

function what(key: IntentKey): string {
  switch (key.action) {
    case "rebalance":
      return `rebalancePortfolio(${key.portfolioId})`;
    case "stop":
      return `triggerStop(${key.portfolioId}, ${key.asset})`;
    case "record":
      return "recordMany";
  }
}

function settle(
  ctx: RebalancerContext,
  key: IntentKey,
  rowId: number,
  outcome: TxOutcome,
  now: number,
): ActionResult {
  const log = ctx.log.child("rebalancer", { intentId: outcome.intentId });
  const epKey = episodeKeyOf(key);
  const base = {
    intentId: outcome.intentId,
    action: key.action,
    portfolioId: key.action === "record" ? undefined : key.portfolioId,
    hash: outcome.hash,
    resumed: outcome.resumed,
  };
  let status: ActionStatus;
  let reason = outcome.reason;
  let latencyBlocks: number | undefined;
  switch (outcome.status) {
    case "mined":
      status = "mined";
      latencyBlocks = Number(outcome.blockNumber! - key.episode);
      ctx.rebalancerMetrics.latency.observe({ action: key.action }, latencyBlocks);
      ctx.episodes.close(epKey);
      if (key.action === "stop") ctx.book.invalidate(key.portfolioId);
      log.info(`${what(key)} mined`, {
        hash: outcome.hash,
        blockNumber: outcome.blockNumber,
        episode: key.episode,
        latencyBlocks,
      });
      break;
    case "reverted":
    case "failed":
      // Mined but reverted (another transaction in the same block got there first), or never minable: the next
      // block's reads decide again, under a new episode.
      status = outcome.status;
      ctx.episodes.close(epKey);
      log.warn(`${what(key)} ${outcome.status}`, { hash: outcome.hash, reason });
      break;
    case "pending":
      status = "pending";
      log.warn(`${what(key)} not mined yet: the transaction layer resumes it on the next block`, {
        hash: outcome.hash,
      });
      break;
    case "dry-run":
      status = "dry-run";
      ctx.episodes.markReported(epKey);
      log.info(`dry run: ${what(key)} simulates; not sent`, { episode: key.episode });
      break;
    case "simulation-failed":
      status = refused(ctx, key, outcome.reason, now, log);
      break;
  }
  ctx.journal.update(rowId, {
    status,
    reason: reason ?? null,
    txHash: outcome.hash ?? null,
    minedBlock: outcome.blockNumber === undefined ? null : Number(outcome.blockNumber),
    latencyBlocks: latencyBlocks ?? null,
  });
  ctx.rebalancerMetrics.actions.inc({ action: key.action, status });
  return { ...base, status, reason, minedBlock: outcome.blockNumber, latencyBlocks };
}

/** The contract refused the write in simulation: say which kind of refusal it is, and back off if it protects. */
function refused(
  ctx: RebalancerContext,
  key: IntentKey,
  reason: string | undefined,
  now: number,
  log: Logger,
): ActionStatus {
  ctx.episodes.close(episodeKeyOf(key));
  const revert = revertOf(reason);
  const kind = classifyRefusal(revert?.name);
  const slot = slotOf(key);
  if (kind === "already-done") {
    log.info(
      `${what(key)}: nothing to do any more (${revert!.name}(${revert!.args})): done by someone else, or prices moved`,
    );
    return kind;
  }
  if (kind === "contended") {
    // Not a judgement on the trade: someone traded its pool first in that block. The next block tries again.
    log.info(
      `${what(key)}: a pool of the trade was traded earlier in the block (${revert!.name}(${revert!.args})): retrying next block`,
    );
    return kind;
  }
  const until = now + ctx.settings.backoffSeconds;
  ctx.backoff.set(slot, until);
  if (kind === "loss-limited")
    log.info(
      `${what(key)}: the contract protects the portfolio (${revert!.name}(${revert!.args})): backing off`,
      {
        until,
      },
    );
  else log.warn(`${what(key)}: refused (${reason}): backing off`, { until });
  return kind;
}

/** `send` threw: the node failed, or the write reverted after its simulation passed (gas estimation). */
function settleError(
  ctx: RebalancerContext,
  key: IntentKey,
  id: string,
  rowId: number,
  resumed: boolean,
  error: unknown,
  now: number,
): ActionResult {
  const log = ctx.log.child("rebalancer", { intentId: id });
  const reason = shortReason(error);
  let status: ActionStatus;
  if (revertOf(reason)) status = refused(ctx, key, reason, now, log);
  else {
    // Nothing of it may be stored (then the next block tries again under the same episode), or its signed
    // transaction is stored pending (then the next block resumes it).
    status = "error";
    log.warn(`${what(key)} could not be completed; the next block tries again`, { reason });
  }
  ctx.journal.update(rowId, { status, reason });
  ctx.rebalancerMetrics.actions.inc({ action: key.action, status });
  return {
    intentId: id,
    action: key.action,
    portfolioId: key.action === "record" ? undefined : key.portfolioId,
    status,
    reason,
    resumed,
  };
}

/** Waits until every write in flight has returned. */
export async function settled(ctx: RebalancerContext): Promise<void> {
  while (ctx.inFlight.size > 0) await Promise.allSettled([...ctx.inFlight.values()].map((f) => f.done));
}
