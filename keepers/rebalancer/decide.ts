/**
 * The rebalancer's decisions, as pure functions of what it read at one block: no I/O, no clock.
 *
 * The contract decides whether a portfolio may be traded — `needsRebalance(id)` (a weight is outside the drift
 * band) and `stopTriggerable(id, asset)` (the asset's time-weighted price is at or beyond its stop-loss or
 * take-profit) — and sets every trade's minimum output from the oracle itself, so the keeper needs no prices and
 * no policy of its own. What the keeper decides is *when*, and how not to act twice:
 *
 * - at most ONE action per portfolio per block, and none while an earlier one of it is unfinished (in flight,
 *   or stored pending by the transaction layer — e.g. by a process that was killed): two writes on the same
 *   portfolio in one block would race for the same holdings, and the second is sent on a state the first
 *   changes;
 * - a stop order before a rebalance: a triggered stop protects the portfolio from a loss that is happening now
 *   (and moves the asset's target weight to the base token, which the rebalance then follows);
 * - at most ONE trade per AMM pool per block ({@link schedule}): each write is simulated against the state its
 *   block starts from, so a second trade through the same pool in the same block would meet the first one's price
 *   impact unsimulated — and the contract, which holds every trade to the oracle, would revert it. The others wait
 *   for the next block (`queued`), stops first, then the largest drifts;
 * - a portfolio the contract refused to trade for its own protection (LossBudgetExceeded, TradeLossTooHigh) —
 *   or for any reason other than "already done" — is left alone for BACKOFF_SECONDS of chain time;
 * - a portfolio whose state cannot be priced (the oracle fails closed: InsufficientHistory, StaleObservation,
 *   PriceMovedBeyondBand, PoolIdle) is reported `unpriced`, not acted on;
 * - a portfolio outside its band that `needsRebalance` still refuses (the contract quotes the trade and finds it would
 *   lose too much against the oracle, overflow the loss budget, or the manager is paused) is reported `blocked`: the
 *   keeper reads it again every block and acts in the first one where the contract says yes.
 *
 * Each write's intent id names the contract, the portfolio, the action and its *episode*: the block in which
 * the keeper first saw the condition hold (since its last action on it ended). A restart therefore never meets an
 * id it could confuse with another write, and a write stored before a crash is resumed by the transaction layer
 * under its own id, never sent again under a new one.
 */
import type { Address } from "viem";

export type RebalanceRead = { due: boolean; maxDriftBps: bigint } | { error: string };
export type StopRead = { asset: Address; triggerable: boolean } | { asset: Address; error: string };

/** Why a portfolio is not read this block (known before reading). */
export type Hold = { reason: "busy"; intentId: string } | { reason: "backoff"; until: number };

/** What the keeper read about one portfolio at the tick's block. */
export type PortfolioRead = {
  portfolioId: bigint;
  /** The portfolio's drift band (its risk limits), to tell "in band" from "the contract would not trade now". */
  driftBandBps?: number;
  hold?: Hold;
  rebalance?: RebalanceRead;
  /** One entry per asset with a stop order (either side non-zero), in the portfolio's asset order. */
  stops: StopRead[];
};

export type PortfolioStatus = "in-band" | "blocked" | "queued" | "busy" | "backoff" | "unpriced";

export type Decision =
  | { portfolioId: bigint; kind: "stop"; asset: Address; maxDriftBps: bigint | null }
  | { portfolioId: bigint; kind: "rebalance"; maxDriftBps: bigint }
  | {
      portfolioId: bigint;
      kind: "none";
      status: PortfolioStatus;
      detail: string;
      maxDriftBps: bigint | null;
    };

/** One decision per portfolio; see the file comment for the rules. */
export function decide(portfolios: readonly PortfolioRead[]): Decision[] {
  return portfolios.map((p): Decision => {
    const drift = p.rebalance && "due" in p.rebalance ? p.rebalance.maxDriftBps : null;
    if (p.hold?.reason === "busy")
      return {
        portfolioId: p.portfolioId,
        kind: "none",
        status: "busy",
        detail: p.hold.intentId,
        maxDriftBps: null,
      };
    if (p.hold?.reason === "backoff")
      return {
        portfolioId: p.portfolioId,
        kind: "none",
        status: "backoff",
        detail: `left alone until chain time ${p.hold.until}`,
        maxDriftBps: null,
      };
    const stop = p.stops.find((s) => "triggerable" in s && s.triggerable);
    if (stop) return { portfolioId: p.portfolioId, kind: "stop", asset: stop.asset, maxDriftBps: drift };
    if (p.rebalance && "due" in p.rebalance && p.rebalance.due)
      return { portfolioId: p.portfolioId, kind: "rebalance", maxDriftBps: p.rebalance.maxDriftBps };
    // Nothing can be done: say why. An unreadable price anywhere means "cannot tell", not "in band".
    const errors = [
      ...(p.rebalance && "error" in p.rebalance ? [`needsRebalance: ${p.rebalance.error}`] : []),
      ...p.stops.flatMap((s) => ("error" in s ? [`stopTriggerable(${s.asset}): ${s.error}`] : [])),
    ];
    if (errors.length > 0)
      return {
        portfolioId: p.portfolioId,
        kind: "none",
        status: "unpriced",
        detail: errors.join("; "),
        maxDriftBps: drift,
      };
    // Outside its band, yet `needsRebalance` says no: the contract would not trade it now (the trade would lose more
    // than the portfolio allows against the oracle, or overflow its loss budget, or the manager is paused).
    if (drift !== null && p.driftBandBps !== undefined && drift > BigInt(p.driftBandBps))
      return {
        portfolioId: p.portfolioId,
        kind: "none",
        status: "blocked",
        detail: `drift ${drift} bps is outside the band (${p.driftBandBps} bps) but the contract would not trade now`,
        maxDriftBps: drift,
      };
    return { portfolioId: p.portfolioId, kind: "none", status: "in-band", detail: "", maxDriftBps: drift };
  });
}

// ─── One trade per pool per block ───────────────────────────────────────────────────────────────

/**
 * The pools `rebalancePortfolio` will trade through, as the contract chooses its trade (PortfolioMath.drift): from
 * the most overweight asset to the most underweight, both measured exactly as value × 10 000 − target × total (the
 * first asset wins a tie); the base token (index 0) needs no pool. `values` are `portfolioValue`'s.
 */
export function rebalancePools(
  values: readonly bigint[],
  total: bigint,
  targetsBps: readonly number[],
  pools: readonly bigint[],
): bigint[] {
  if (total === 0n) return [];
  let over = 0;
  let under = 0;
  let mostOver = 0n;
  let mostUnder = 0n;
  values.forEach((value, i) => {
    const scaled = value * 10_000n;
    const goal = BigInt(targetsBps[i] ?? 0) * total;
    if (scaled > goal) {
      if (scaled - goal > mostOver) [mostOver, over] = [scaled - goal, i];
    } else if (goal - scaled > mostUnder) [mostUnder, under] = [goal - scaled, i];
  });
  return [...new Set([over, under].filter((i) => i !== 0).map((i) => pools[i]!))];
}

export type Candidate = {
  decision: Extract<Decision, { kind: "stop" | "rebalance" }>;
  /** The pools its trade goes through. */
  pools: readonly bigint[];
};

export type Scheduled = {
  launch: Candidate[];
  queued: { candidate: Candidate; pool: bigint; by: string }[];
};

/**
 * Which actions go out in this block: stops first, then rebalances by drift (largest first), then by portfolio id;
 * each takes its pools, and an action needing a pool already taken — by an earlier one in this order, or by a write
 * still on its way to the chain (`taken`: pool → what holds it) — waits for the next block.
 */
export function schedule(candidates: readonly Candidate[], taken: ReadonlyMap<bigint, string>): Scheduled {
  const rank = (c: Candidate) => (c.decision.kind === "stop" ? 0 : 1);
  const drift = (c: Candidate) => c.decision.maxDriftBps ?? 0n;
  const ordered = [...candidates].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (drift(b) > drift(a) ? 1 : drift(b) < drift(a) ? -1 : 0) ||
      (a.decision.portfolioId < b.decision.portfolioId ? -1 : 1),
  );
  const held = new Map(taken);
  const out: Scheduled = { launch: [], queued: [] };
  for (const candidate of ordered) {
    const pool = candidate.pools.find((p) => held.has(p));
    if (pool !== undefined) {
      out.queued.push({ candidate, pool, by: held.get(pool)! });
      continue;
    }
    for (const p of candidate.pools) held.set(p, `portfolio ${candidate.decision.portfolioId}`);
    out.launch.push(candidate);
  }
  return out;
}

// ─── Outcomes of a simulation the contract refused ──────────────────────────────────────────────

/**
 * - `already-done`: the condition no longer holds at the newest state — someone else rebalanced or fired the stop
 *   first, or the price moved back. A normal outcome.
 * - `loss-limited`: the contract protects the portfolio (its loss budget is used up, or the trade would lose more
 *   than the portfolio allows against the oracle). The keeper backs off.
 * - `contended`: a pool of the trade was traded by someone else earlier in the block the simulation ran in
 *   (`PoolTradedThisBlock`): the contract will not price a trade against a spot price a front-run may have set.
 *   The next block is another chance (the keeper's write first in it): no backoff.
 * - `refused`: any other revert (paused, an oracle that fails closed between the read and the send, …). The
 *   keeper backs off too: asking again every block would only repeat it.
 */
export type RefusalKind = "already-done" | "loss-limited" | "contended" | "refused";

const alreadyDone = new Set(["WithinDriftBand", "StopNotTriggered"]);
const lossLimited = new Set(["LossBudgetExceeded", "TradeLossTooHigh"]);
const contended = new Set(["PoolTradedThisBlock"]);

export function classifyRefusal(errorName: string | undefined): RefusalKind {
  if (errorName && alreadyDone.has(errorName)) return "already-done";
  if (errorName && lossLimited.has(errorName)) return "loss-limited";
  if (errorName && contended.has(errorName)) return "contended";
  return "refused";
}

/**
 * The custom error a refused simulation names, from the transaction layer's one-line reason
 * (`simulation of <id> failed: reverted: WithinDriftBand(812, 500)`): its name and its arguments' text.
 */
export function revertOf(reason: string | undefined): { name: string; args: string } | undefined {
  const m = /reverted: ([A-Za-z_]\w*)\(([^)]*)\)/.exec(reason ?? "");
  return m ? { name: m[1]!, args: m[2]! } : undefined;
}

// ─── Intent ids and episodes ────────────────────────────────────────────────────────────────────

export type ActionKind = "rebalance" | "stop" | "record";

/** The write an intent id stands for. */
export type IntentKey =
  | { action: "rebalance"; chainId: number; contract: Address; portfolioId: bigint; episode: bigint }
  | {
      action: "stop";
      chainId: number;
      contract: Address;
      portfolioId: bigint;
      asset: Address;
      episode: bigint;
    }
  | { action: "record"; chainId: number; contract: Address; episode: bigint };

/**
 * `rebalancer:<chainId>:<manager>:<portfolioId>:rebalance:<episode>`,
 * `rebalancer:<chainId>:<manager>:<portfolioId>:stop:<asset>:<episode>`,
 * `rebalancer:<chainId>:<oracle>:record:<episode>`; addresses in lower case. The contract's address keeps a
 * redeployment on the same chain id (a restarted devnet) from meeting the old deployment's ids.
 */
export function intentId(key: IntentKey): string {
  const head = `rebalancer:${key.chainId}:${key.contract.toLowerCase()}`;
  switch (key.action) {
    case "rebalance":
      return `${head}:${key.portfolioId}:rebalance:${key.episode}`;
    case "stop":
      return `${head}:${key.portfolioId}:stop:${key.asset.toLowerCase()}:${key.episode}`;
    case "record":
      return `${head}:record:${key.episode}`;
  }
}

const idPattern =
  /^rebalancer:(\d+):(0x[0-9a-f]{40}):(?:(\d+):(?:(rebalance)|(stop):(0x[0-9a-f]{40})):|(record):)(\d+)$/;

/** The inverse of {@link intentId}; undefined for an id that is not one of the rebalancer's. */
export function parseIntentId(id: string): IntentKey | undefined {
  const m = idPattern.exec(id);
  if (!m) return undefined;
  const [, chain, contract, portfolio, rebalance, stop, asset, record, episode] = m;
  const base = { chainId: Number(chain), contract: contract as Address, episode: BigInt(episode!) };
  if (record) return { action: "record", ...base };
  if (rebalance) return { action: "rebalance", ...base, portfolioId: BigInt(portfolio!) };
  if (stop) return { action: "stop", ...base, portfolioId: BigInt(portfolio!), asset: asset as Address };
  return undefined;
}

/** The slot an intent occupies: one unfinished write per portfolio, and one oracle recording at a time. */
export function slotOf(key: IntentKey): string {
  return key.action === "record" ? "record" : `portfolio:${key.portfolioId}`;
}

/**
 * Open episodes: per (slot, action, asset), the block where the keeper first saw the condition hold. An episode
 * opens when the condition is seen and none is open, and closes when the condition is seen not to hold or the
 * action it led to ended (mined, reverted, failed, refused): the next time the condition holds is a new
 * episode, with a new intent id.
 */
export class Episodes {
  readonly #open = new Map<string, { block: bigint; reported: boolean }>();

  static key(slot: string, action: ActionKind, asset?: Address): string {
    return `${slot}:${action}${asset ? `:${asset.toLowerCase()}` : ""}`;
  }

  /** The episode of `key`, opened at `block` if none is open. */
  observe(key: string, block: bigint): bigint {
    const open = this.#open.get(key);
    if (open) return open.block;
    this.#open.set(key, { block, reported: false });
    return block;
  }

  get(key: string): bigint | undefined {
    return this.#open.get(key)?.block;
  }

  /** Dry run: the episode was simulated and reported; not again while it stays open. */
  markReported(key: string): void {
    const open = this.#open.get(key);
    if (open) open.reported = true;
  }

  reported(key: string): boolean {
    return this.#open.get(key)?.reported ?? false;
  }

  close(key: string): void {
    this.#open.delete(key);
  }

  /** Closes every open episode of `slot` except those in `keep` (the conditions that still hold). */
  closeAllBut(slot: string, keep: ReadonlySet<string>): void {
    for (const key of [...this.#open.keys()])
      if (key.startsWith(`${slot}:`) && !keep.has(key)) this.#open.delete(key);
  }
}
