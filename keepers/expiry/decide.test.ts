import { describe, expect, it } from "vitest";
import { decideExpiry, intentId, parseIntentId, payoffWad, type SeriesState } from "./decide.js";

const e18 = 10n ** 18n;
const A = "0x00000000000000000000000000000000000000aa" as const;
const B = "0x00000000000000000000000000000000000000bb" as const;
const C = "0x00000000000000000000000000000000000000cc" as const;
const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const budget = { maxWrites: 8, maxHoldersPerCall: 2 };

function series(over: Partial<SeriesState> = {}): SeriesState {
  return {
    seriesId: 1n,
    poolId: 4n,
    expiry: 1_000n,
    isCall: false,
    strikeWad: 25n * 10n ** 17n,
    openVaults: [],
    holders: [],
    inFlight: { finalize: false, settles: 0, exercises: 0 },
    ...over,
  };
}

const kinds = (r: ReturnType<typeof decideExpiry>) =>
  r.actions.map((a) =>
    a.kind === "settle"
      ? `settle ${a.vaultId}`
      : a.kind === "exercise"
        ? `exercise ${a.holders.map((h) => h.holder.slice(-2)).join("+")}`
        : `finalize ${a.poolId}`,
  );

describe("decideExpiry", () => {
  it("does nothing before expiry", () => {
    const r = decideExpiry([series({ openVaults: [1n] })], 999n, budget);
    expect(r.actions).toEqual([]);
    expect(r.decisions[0]).toMatchObject({ status: "live", done: false });
  });

  it("settles every open vault at expiry (the first settle fixes the price: no separate finalize)", () => {
    const r = decideExpiry([series({ openVaults: [1n, 2n, 3n] })], 1_000n, budget);
    expect(kinds(r)).toEqual(["settle 1", "settle 2", "settle 3"]);
    expect(r.decisions[0].status).toBe("settling");
  });

  it("finalizes through the price source when the series has no vault, once per (pool, expiry)", () => {
    const r = decideExpiry([series(), series({ seriesId: 2n })], 1_000n, budget);
    expect(kinds(r)).toEqual(["finalize 4"]);
    expect(r.decisions.map((d) => d.status)).toEqual(["finalizing", "finalizing"]);
    const inFlight = decideExpiry(
      [series({ inFlight: { finalize: true, settles: 0, exercises: 0 } })],
      1_000n,
      budget,
      1,
    );
    expect(inFlight.actions).toEqual([]);
  });

  it("pays holders only once every vault is settled, in batches of MAX_HOLDERS_PER_CALL", () => {
    const holders = [A, B, C].map((holder) => ({ holder, balance: e18 }));
    const settling = decideExpiry(
      [series({ settlementWad: 2n * e18, holders, inFlight: { finalize: false, settles: 1, exercises: 0 } })],
      1_000n,
      budget,
      1,
    );
    expect(settling.actions).toEqual([]);
    expect(settling.decisions[0].status).toBe("settling");
    const r = decideExpiry([series({ settlementWad: 2n * e18, holders })], 1_000n, budget);
    expect(kinds(r)).toEqual(["exercise aa+bb", "exercise cc"]);
    expect(r.decisions[0]).toMatchObject({ status: "exercising", payoffWad: 5n * 10n ** 17n, done: false });
  });

  it("makes no call out of the money, and is done", () => {
    const r = decideExpiry(
      [series({ settlementWad: 3n * e18, holders: [{ holder: A, balance: e18 }] })],
      1_000n,
      budget,
    );
    expect(r.actions).toEqual([]);
    expect(r.decisions[0]).toMatchObject({ status: "otm", done: true, payoffWad: 0n });
  });

  it("is done when every holder is paid and nothing is in flight", () => {
    expect(decideExpiry([series({ settlementWad: 2n * e18 })], 1_000n, budget).decisions[0]).toMatchObject({
      status: "done",
      done: true,
    });
    const busy = series({ settlementWad: 2n * e18, inFlight: { finalize: false, settles: 0, exercises: 1 } });
    expect(decideExpiry([busy], 1_000n, budget, 1).decisions[0]).toMatchObject({
      status: "exercising",
      done: false,
    });
  });

  it("bounds the writes of a block, in flight included, earliest expiry first", () => {
    const late = series({ seriesId: 2n, expiry: 1_000n, openVaults: [7n, 8n] });
    const early = series({ seriesId: 3n, expiry: 900n, openVaults: [5n, 6n] });
    const r = decideExpiry([late, early], 1_000n, { maxWrites: 3, maxHoldersPerCall: 2 });
    expect(kinds(r)).toEqual(["settle 5", "settle 6", "settle 7"]);
    expect(r.decisions.map((d) => [d.seriesId, d.status])).toEqual([
      [3n, "settling"],
      [2n, "queued"],
    ]);
    expect(decideExpiry([late], 1_000n, { maxWrites: 3, maxHoldersPerCall: 2 }, 3).actions).toEqual([]);
  });

  it("computes payoffs as the contract does (a call's in the underlying)", () => {
    expect(payoffWad({ isCall: false, strikeWad: 25n * 10n ** 17n }, 2n * e18)).toBe(5n * 10n ** 17n);
    expect(payoffWad({ isCall: true, strikeWad: 2n * e18 }, 4n * e18)).toBe(5n * 10n ** 17n);
    expect(payoffWad({ isCall: true, strikeWad: 2n * e18 }, 2n * e18)).toBe(0n);
  });
});

describe("intent ids", () => {
  it("name one effect: a vault, a (pool, expiry), a batch of holders with their balances", () => {
    const settle = intentId(31337, contract, { kind: "settle", seriesId: 1n, vaultId: 9n });
    expect(settle).toBe(`expiry:settle:31337:${contract.toLowerCase()}:9`);
    expect(parseIntentId(settle)).toEqual({ kind: "settle", vaultId: 9n });
    const fin = intentId(31337, contract, { kind: "finalize", seriesId: 1n, poolId: 4n, expiry: 600n });
    expect(parseIntentId(fin)).toEqual({ kind: "finalize", poolId: 4n, expiry: 600n });
    const ex = (balance: bigint) =>
      intentId(31337, contract, { kind: "exercise", seriesId: 2n, holders: [{ holder: A, balance }] });
    expect(parseIntentId(ex(e18))).toEqual({ kind: "exercise", seriesId: 2n });
    expect(ex(e18)).toBe(ex(e18));
    expect(ex(e18)).not.toBe(ex(2n * e18));
    expect(parseIntentId("liquidate:31337:0xab:1:2:3")).toBeUndefined();
  });
});
