/**
 * The liquidator's rules, pure. A margined vault is liquidated in the first block in which `vaultHealth` says it is
 * liquidatable (collateral below the margin requirement at the index price, before expiry), by burning options of
 * its series that the keeper's account holds: as many as the vault is short, at most the keeper's inventory, never
 * leaving a remainder below the contract's dust minimum. The write is sent only when its reward — the collateral
 * the contract pays minus the value of the options burned (their Black–Scholes value at the index price, what the
 * keeper could have sold them for) — covers its gas cost (gas × max fee, in collateral at NATIVE_PRICES) times
 * MIN_REWARD_GAS_MULTIPLE. While the Black–Scholes value cannot be read (the volatility is stale, or a band trip has
 * closed the index — the contract still liquidates then, at the liquidation index), the options are valued at their
 * intrinsic value at the liquidation index, the least they are worth.
 */

export type VaultState = {
  vaultId: bigint;
  seriesId: bigint;
  margined: boolean;
  /** The vault exists (settled vaults are deleted: owner zero). */
  open: boolean;
  short: bigint;
  collateral: bigint;
  required: bigint;
  liquidatable: boolean;
  expiry: bigint;
  /** Options of the series the keeper's account holds. */
  inventory: bigint;
  /** The contract's dust minimum for what a margined vault keeps. */
  minAmount: bigint;
};

export type SkipReason = "closed" | "not-margined" | "expired" | "healthy" | "no-inventory" | "dust";

export type VaultDecision =
  | { action: "liquidate"; vaultId: bigint; amount: bigint }
  | { action: "skip"; vaultId: bigint; reason: SkipReason };

/** What to do with one vault at a block of timestamp `now`. */
export function decideVault(v: VaultState, now: bigint): VaultDecision {
  const skip = (reason: SkipReason): VaultDecision => ({ action: "skip", vaultId: v.vaultId, reason });
  if (!v.open || v.short === 0n) return skip("closed");
  if (!v.margined) return skip("not-margined");
  if (now >= v.expiry) return skip("expired");
  if (!v.liquidatable) return skip("healthy");
  if (v.inventory === 0n) return skip("no-inventory");
  let amount = v.inventory < v.short ? v.inventory : v.short;
  const rest = v.short - amount;
  // What stays must be none or at least the dust minimum: burn less, leaving exactly the minimum.
  if (rest !== 0n && rest < v.minAmount) amount = v.short - v.minAmount;
  if (amount <= 0n) return skip("dust");
  return { action: "liquidate", vaultId: v.vaultId, amount };
}

export type RewardInputs = {
  /** What the contract would pay (the simulation's return value), raw collateral units. */
  collateralPaid: bigint;
  amount: bigint;
  /** Value of one whole option in collateral (wad): the put's premium, or the call's premium / index. */
  valuePerUnitWad: bigint;
  underlyingDecimals: number;
  collateralDecimals: number;
  gas: bigint;
  maxFeePerGas: bigint;
  /** Whole collateral units per native coin (wad); undefined when NATIVE_PRICES does not list the token. */
  nativePriceWad: bigint | undefined;
  /** MIN_REWARD_GAS_MULTIPLE × 1e6. */
  minMultipleMicros: bigint;
};

export type RewardCheck =
  | { ok: true; reward: bigint; gasCost: bigint }
  | { ok: false; reason: "unpriced" | "reward-below-gas"; reward: bigint; gasCost: bigint };

const WAD = 10n ** 18n;

/**
 * Value of one whole option in collateral (wad) from what the chain gave: the put's premium, or the call's premium /
 * index (at most one underlying unit); without a premium, its intrinsic value at the liquidation index (put: K − S,
 * call: (S − K) / S underlying; 0 out of the money).
 */
export function optionValuePerUnitWad(o: {
  isCall: boolean;
  strikeWad: bigint;
  /** Black–Scholes premium (quote wad) and the index it was priced at; undefined when the chain refused them. */
  priced?: { premiumWad: bigint; indexWad: bigint };
  liquidationIndexWad: bigint;
}): bigint {
  if (o.priced) {
    const { premiumWad, indexWad } = o.priced;
    if (!o.isCall) return premiumWad;
    if (indexWad === 0n) return 0n;
    const perUnit = (premiumWad * WAD) / indexWad;
    return perUnit < WAD ? perUnit : WAD;
  }
  const s = o.liquidationIndexWad;
  if (!o.isCall) return o.strikeWad > s ? o.strikeWad - s : 0n;
  return s > o.strikeWad ? ((s - o.strikeWad) * WAD) / s : 0n;
}

/** Whether the liquidation's reward (collateral paid − value of the options burned) covers its gas. */
export function rewardCoversGas(r: RewardInputs): RewardCheck {
  const value =
    (r.amount * r.valuePerUnitWad * 10n ** BigInt(r.collateralDecimals)) /
    10n ** BigInt(r.underlyingDecimals + 18);
  const reward = r.collateralPaid - value;
  if (r.nativePriceWad === undefined) return { ok: false, reason: "unpriced", reward, gasCost: 0n };
  // gas (wei) → native (wad) → whole collateral units (× price wad / 1e18) → raw units (× 10^decimals)
  const gasCost =
    (r.gas * r.maxFeePerGas * r.nativePriceWad * 10n ** BigInt(r.collateralDecimals)) / 10n ** 36n;
  if (reward * 1_000_000n < gasCost * r.minMultipleMicros)
    return { ok: false, reason: "reward-below-gas", reward, gasCost };
  return { ok: true, reward, gasCost };
}

/** The intent id of a liquidation: one per vault state, so a restart resumes it and a changed vault gets a new one. */
export function liquidationIntentId(
  chainId: number,
  derivatives: string,
  v: Pick<VaultState, "vaultId" | "short" | "collateral">,
): string {
  return `liquidate:${chainId}:${derivatives.toLowerCase()}:${v.vaultId}:${v.short}:${v.collateral}`;
}

/** The vault id in a liquidation intent id (undefined for another keeper's id). */
export function vaultOfIntent(intentId: string): bigint | undefined {
  const m = /^liquidate:\d+:0x[0-9a-f]{40}:(\d+):\d+:\d+$/.exec(intentId);
  return m ? BigInt(m[1]) : undefined;
}

/** Reverts of a liquidation that mean "nothing to do any more", not an error. */
export const normalRefusals = [
  "VaultHealthy",
  "UnknownVault",
  "SeriesExpired",
  "InsufficientShort",
  "NotMargined",
  "BelowMinPosition",
] as const;

export function isNormalRefusal(reason: string | undefined): boolean {
  return reason !== undefined && normalRefusals.some((name) => reason.includes(name));
}
