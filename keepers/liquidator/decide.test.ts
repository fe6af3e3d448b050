import { describe, expect, it } from "vitest";
import {
  decideVault,
  isNormalRefusal,
  liquidationIntentId,
  optionValuePerUnitWad,
  rewardCoversGas,
  vaultOfIntent,
  type RewardInputs,
  type VaultState,
} from "./decide.js";

const e18 = 10n ** 18n;
const vault = (over: Partial<VaultState> = {}): VaultState => ({
  vaultId: 7n,
  seriesId: 2n,
  margined: true,
  open: true,
  short: 10n * e18,
  collateral: 5n * e18,
  required: 6n * e18,
  liquidatable: true,
  expiry: 1_000n,
  inventory: 20n * e18,
  minAmount: e18 / 100n,
  ...over,
});

describe("decideVault", () => {
  it("liquidates the whole short of a liquidatable vault when the inventory covers it", () => {
    expect(decideVault(vault(), 999n)).toEqual({ action: "liquidate", vaultId: 7n, amount: 10n * e18 });
  });

  it("burns only what the keeper holds, never leaving dust", () => {
    expect(decideVault(vault({ inventory: 4n * e18 }), 0n)).toMatchObject({ amount: 4n * e18 });
    // 10 short, 9.995 held: 0.005 would stay, below the 0.01 minimum → burn 9.99, leave 0.01
    const held = 10n * e18 - e18 / 200n;
    expect(decideVault(vault({ inventory: held }), 0n)).toMatchObject({ amount: 10n * e18 - e18 / 100n });
    expect(decideVault(vault({ short: e18 / 100n, inventory: e18 / 200n }), 0n)).toMatchObject({
      action: "skip",
      reason: "dust",
    });
  });

  it.each([
    ["closed", { open: false }],
    ["closed", { short: 0n }],
    ["not-margined", { margined: false }],
    ["healthy", { liquidatable: false }],
    ["no-inventory", { inventory: 0n }],
  ] as const)("skips: %s", (reason, over) => {
    expect(decideVault(vault(over), 0n)).toEqual({ action: "skip", vaultId: 7n, reason });
  });

  it("skips an expired series even when vaultHealth was read as liquidatable", () => {
    expect(decideVault(vault(), 1_000n)).toMatchObject({ action: "skip", reason: "expired" });
  });
});

describe("rewardCoversGas", () => {
  const inputs = (over: Partial<RewardInputs> = {}): RewardInputs => ({
    // 1 option worth 0.2 (quote), paid 0.2 / 0.95
    collateralPaid: ((2n * e18) / 10n / 95n) * 100n,
    amount: e18,
    valuePerUnitWad: (2n * e18) / 10n,
    underlyingDecimals: 18,
    collateralDecimals: 18,
    gas: 200_000n,
    maxFeePerGas: 2_000_000_000n, // 4e-4 native
    nativePriceWad: 2_000n * e18, // 0.8 collateral
    minMultipleMicros: 1_000_000n,
    ...over,
  });

  it("weighs the reward (paid − value burned) against gas × fee in collateral", () => {
    const low = rewardCoversGas(inputs());
    expect(low).toMatchObject({ ok: false, reason: "reward-below-gas", gasCost: (8n * e18) / 10n });
    expect(low.reward).toBeGreaterThan(10n ** 16n);
    const cheap = rewardCoversGas(inputs({ nativePriceWad: 10n * e18 }));
    expect(cheap).toMatchObject({ ok: true, gasCost: 4n * 10n ** 15n });
  });

  it("converts decimals of the underlying and the collateral", () => {
    const r = rewardCoversGas(
      inputs({
        amount: 10n ** 6n,
        underlyingDecimals: 6,
        collateralDecimals: 6,
        collateralPaid: 210_000n,
        nativePriceWad: e18,
      }),
    );
    expect(r).toMatchObject({ ok: true, reward: 10_000n, gasCost: 400n });
  });

  it("refuses an unpriced collateral token and honours the multiple", () => {
    expect(rewardCoversGas(inputs({ nativePriceWad: undefined }))).toMatchObject({
      ok: false,
      reason: "unpriced",
    });
    const r = rewardCoversGas(inputs({ nativePriceWad: 10n * e18, minMultipleMicros: 100_000_000n }));
    expect(r).toMatchObject({ ok: false, reason: "reward-below-gas" });
  });
});

describe("optionValuePerUnitWad", () => {
  const strikeWad = 2n * e18;
  it("is the premium for a put and premium / index (at most one unit) for a call", () => {
    const priced = { premiumWad: e18 / 2n, indexWad: 2n * e18 };
    expect(optionValuePerUnitWad({ isCall: false, strikeWad, priced, liquidationIndexWad: 0n })).toBe(
      e18 / 2n,
    );
    expect(optionValuePerUnitWad({ isCall: true, strikeWad, priced, liquidationIndexWad: 0n })).toBe(
      e18 / 4n,
    );
    const rich = { premiumWad: 3n * e18, indexWad: 2n * e18 };
    expect(optionValuePerUnitWad({ isCall: true, strikeWad, priced: rich, liquidationIndexWad: 0n })).toBe(
      e18,
    );
  });
  it("falls back to the intrinsic value at the liquidation index when the premium is refused (stale volatility)", () => {
    // put struck at 2, index 1.5: 0.5 quote; call struck at 2, index 2.5: 0.5 / 2.5 = 0.2 underlying
    expect(optionValuePerUnitWad({ isCall: false, strikeWad, liquidationIndexWad: (3n * e18) / 2n })).toBe(
      e18 / 2n,
    );
    expect(optionValuePerUnitWad({ isCall: true, strikeWad, liquidationIndexWad: (5n * e18) / 2n })).toBe(
      e18 / 5n,
    );
    expect(optionValuePerUnitWad({ isCall: false, strikeWad, liquidationIndexWad: 3n * e18 })).toBe(0n);
    expect(optionValuePerUnitWad({ isCall: true, strikeWad, liquidationIndexWad: e18 })).toBe(0n);
  });
});

describe("intent ids", () => {
  it("name one vault state, and give the vault back", () => {
    const id = liquidationIntentId(31337, "0xAbCdEf0000000000000000000000000000000001", vault());
    expect(id).toBe(`liquidate:31337:0xabcdef0000000000000000000000000000000001:7:${10n * e18}:${5n * e18}`);
    expect(vaultOfIntent(id)).toBe(7n);
    expect(vaultOfIntent("fee:1:0xabc:1:2")).toBeUndefined();
  });

  it("treat healthy-again, already liquidated and expired as normal refusals", () => {
    expect(isNormalRefusal("VaultHealthy(3, 10, 9)")).toBe(true);
    expect(isNormalRefusal("SeriesExpired(1, 100)")).toBe(true);
    expect(isNormalRefusal("UnknownVault(3)")).toBe(true);
    expect(isNormalRefusal("ERC6909InsufficientBalance(0x…)")).toBe(false);
    expect(isNormalRefusal(undefined)).toBe(false);
  });
});
