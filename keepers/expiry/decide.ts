/**
 * The expiry keeper's rules, pure. After a series' expiry, in the first block the keeper sees at or after it:
 *
 * 1. its settlement price is fixed — by the first `settleVault` of the series when one is sent in this block (the
 *    derivatives contract finalizes through the price source on first use), otherwise by the price source's
 *    `finalizeSettlement(poolId, expiry)` (one write per (pool, expiry), whatever the number of series on it);
 * 2. every vault still open is settled (`settleVault`), which fills the series' payout pot;
 * 3. once no vault of the series is open (the pot holds everything the vaults owe), every known holder with a balance
 *    is paid by `exerciseFor(seriesId, holders)`, at most MAX_HOLDERS_PER_CALL holders per call. Out of the money
 *    there is nothing to pay: no call is made.
 *
 * Writes per block (those still in flight included) are bounded by MAX_WRITES_PER_BLOCK: what does not fit waits for
 * the next block, earliest expiries first. A series is `done` when it is fixed, has no open vault and no holder to
 * pay (or is out of the money), and nothing of it is in flight.
 */
import { keccak256, toHex, type Address } from "viem";

export type HolderBalance = { holder: Address; balance: bigint };

export type SeriesState = {
  seriesId: bigint;
  poolId: bigint;
  expiry: bigint;
  isCall: boolean;
  strikeWad: bigint;
  /** The settlement price (wad), once fixed: the series' own, else the price source's for (poolId, expiry). */
  settlementWad?: bigint;
  /** Vaults of the series open at the block, not counting those with a write in flight. */
  openVaults: bigint[];
  /** Known holders with a non-zero balance at the block, not counting those in a write in flight. */
  holders: HolderBalance[];
  /** Writes of this series (or its (pool, expiry) finalization) still in flight. */
  inFlight: { finalize: boolean; settles: number; exercises: number };
};

export type ExpiryAction =
  | { kind: "finalize"; seriesId: bigint; poolId: bigint; expiry: bigint }
  | { kind: "settle"; seriesId: bigint; vaultId: bigint }
  | { kind: "exercise"; seriesId: bigint; holders: HolderBalance[] };

export type SeriesStatus =
  /** not expired yet */
  | "live"
  /** the settlement price is being fixed */
  | "finalizing"
  /** vaults are being settled */
  | "settling"
  /** holders are being paid */
  | "exercising"
  /** work left that did not fit in this block's write budget */
  | "queued"
  /** expired out of the money: nothing to pay */
  | "otm"
  /** nothing left to do */
  | "done";

export type SeriesDecision = { seriesId: bigint; status: SeriesStatus; done: boolean; payoffWad?: bigint };

export type Budget = { maxWrites: number; maxHoldersPerCall: number };

const WAD = 10n ** 18n;

/** Payoff per whole unit (wad of collateral), as the contract computes it: a call's in the underlying. */
export function payoffWad(s: Pick<SeriesState, "isCall" | "strikeWad">, settlementWad: bigint): bigint {
  if (s.isCall)
    return settlementWad > s.strikeWad ? ((settlementWad - s.strikeWad) * WAD) / settlementWad : 0n;
  return s.strikeWad > settlementWad ? s.strikeWad - settlementWad : 0n;
}

/**
 * What to do at a block of timestamp `now`. `writesInFlight` counts against the budget; `finalizing` lists the
 * (pool, expiry) keys whose finalization is in flight or already decided.
 */
export function decideExpiry(
  series: SeriesState[],
  now: bigint,
  budget: Budget,
  writesInFlight = 0,
): { actions: ExpiryAction[]; decisions: SeriesDecision[] } {
  let room = Math.max(0, budget.maxWrites - writesInFlight);
  const actions: ExpiryAction[] = [];
  const decisions: SeriesDecision[] = [];
  const finalizing = new Set<string>();
  for (const s of series) if (s.inFlight.finalize) finalizing.add(poolKey(s.poolId, s.expiry));
  const ordered = [...series].sort((a, b) =>
    a.expiry !== b.expiry ? (a.expiry < b.expiry ? -1 : 1) : a.seriesId < b.seriesId ? -1 : 1,
  );
  for (const s of ordered) {
    const decide = (status: SeriesStatus, payoff?: bigint) =>
      decisions.push({
        seriesId: s.seriesId,
        status,
        done: status === "done" || status === "otm",
        payoffWad: payoff,
      });
    if (now < s.expiry) {
      decide("live");
      continue;
    }
    const busy = s.inFlight.finalize || s.inFlight.settles > 0 || s.inFlight.exercises > 0;
    // 1 + 2: settle open vaults; the first settle fixes the price, else the price source does.
    if (s.openVaults.length > 0) {
      const n = Math.min(room, s.openVaults.length);
      for (const vaultId of s.openVaults.slice(0, n))
        actions.push({ kind: "settle", seriesId: s.seriesId, vaultId });
      room -= n;
      decide(n === s.openVaults.length ? "settling" : "queued");
      continue;
    }
    // No vault open any more; settles in flight fix the price and fill the pot: wait for them.
    if (s.inFlight.settles > 0) {
      decide("settling");
      continue;
    }
    if (s.settlementWad === undefined) {
      if (!finalize(s)) decide(finalizing.has(poolKey(s.poolId, s.expiry)) ? "finalizing" : "queued");
      else decide("finalizing");
      continue;
    }
    // 3: every vault settled: the pot holds what they owed.
    const payoff = payoffWad(s, s.settlementWad);
    if (payoff === 0n) {
      decide(busy ? "exercising" : "otm", payoff);
      continue;
    }
    if (s.holders.length === 0) {
      decide(busy ? "exercising" : "done", payoff);
      continue;
    }
    const batches = chunk(s.holders, budget.maxHoldersPerCall);
    const n = Math.min(room, batches.length);
    for (const holders of batches.slice(0, n))
      actions.push({ kind: "exercise", seriesId: s.seriesId, holders });
    room -= n;
    decide(n === batches.length ? "exercising" : "queued", payoff);
  }
  return { actions, decisions };

  /** Adds the (pool, expiry) finalization once, if it fits; true when it is (now) on its way. */
  function finalize(s: SeriesState): boolean {
    const key = poolKey(s.poolId, s.expiry);
    if (finalizing.has(key)) return true;
    if (room === 0) return false;
    finalizing.add(key);
    room -= 1;
    actions.push({ kind: "finalize", seriesId: s.seriesId, poolId: s.poolId, expiry: s.expiry });
    return true;
  }
}

export const poolKey = (poolId: bigint, expiry: bigint) => `${poolId}:${expiry}`;

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Intent ids: one per intended effect, so a restart resumes a signed write instead of sending another.
 * `expiry:finalize:<chainId>:<priceSource>:<poolId>:<expiry>`, `expiry:settle:<chainId>:<derivatives>:<vaultId>`
 * (a vault settles once), `expiry:exercise:<chainId>:<derivatives>:<seriesId>:<batch>` where batch is a hash of the
 * holders and the balances they hold (a holder that received more options after being paid gets a new id).
 */
export function intentId(chainId: number, contract: Address, action: ExpiryAction): string {
  const c = contract.toLowerCase();
  switch (action.kind) {
    case "finalize":
      return `expiry:finalize:${chainId}:${c}:${action.poolId}:${action.expiry}`;
    case "settle":
      return `expiry:settle:${chainId}:${c}:${action.vaultId}`;
    case "exercise": {
      const content = action.holders.map((h) => `${h.holder.toLowerCase()}=${h.balance}`).join(",");
      return `expiry:exercise:${chainId}:${c}:${action.seriesId}:${keccak256(toHex(content)).slice(2, 18)}`;
    }
  }
}

export type ParsedIntent =
  | { kind: "finalize"; poolId: bigint; expiry: bigint }
  | { kind: "settle"; vaultId: bigint }
  | { kind: "exercise"; seriesId: bigint };

/** What an expiry intent id is about (undefined for another keeper's id). */
export function parseIntentId(id: string): ParsedIntent | undefined {
  const m = /^expiry:(finalize|settle|exercise):\d+:0x[0-9a-f]{40}:(\d+)(?::(\d+|[0-9a-f]{16}))?$/.exec(id);
  if (!m) return undefined;
  if (m[1] === "finalize" && m[3] !== undefined)
    return { kind: "finalize", poolId: BigInt(m[2]), expiry: BigInt(m[3]) };
  if (m[1] === "settle" && m[3] === undefined) return { kind: "settle", vaultId: BigInt(m[2]) };
  if (m[1] === "exercise" && m[3] !== undefined) return { kind: "exercise", seriesId: BigInt(m[2]) };
  return undefined;
}

/** Reverts that mean "done already" (settled or exercised by someone else), not an error. */
export const normalRefusals = ["UnknownVault"] as const;

export function isNormalRefusal(reason: string | undefined): boolean {
  return reason !== undefined && normalRefusals.some((name) => reason.includes(name));
}
