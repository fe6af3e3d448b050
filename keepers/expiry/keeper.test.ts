import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { erc20Abi, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import {
  createSeries,
  derivatives,
  expire,
  gridExpiry,
  listPool,
  openVault,
  optionBalance,
  optionPriceSource,
  setVolatility,
  transferOptions,
} from "../../scripts/lib/options.js";
import { warmOracle, localOracleSettings } from "../../scripts/lib/portfolios.js";
import {
  scenarioContext,
  seedPools,
  send,
  type Market,
  type ScenarioContext,
} from "../../scripts/lib/scenario.js";
import { loadExpiryConfig } from "./config.js";
import { startExpiryKeeper, type RunningExpiryKeeper } from "./main.js";

// The expiry keeper on a real anvil with the real deployment (10-minute oracle window of 1-minute periods), GPUH at
// 2.5 AITBC. Series on GPUH/AITBC: an ITM put (strike 3), an ITM call (strike 2, paid in GPUH), an OTM put (strike 2),
// all at one expiry, with full and margined vaults; options handed to fresh addresses (holders with no other
// business, so their collateral balances are exactly what they were paid). A series at a later expiry has no vault:
// its price is fixed through the price source. One more series, expiring first, is settled and exercised by plain
// calls from a non-keeper account before the keeper ever starts. The test ticks the keeper after each block; the
// keeper's writes are mined at once (auto-mining). MAX_WRITES_PER_BLOCK=3, MAX_HOLDERS_PER_CALL=2 make it batch.
const chainId = 31550;
const keeperKey = anvilKeys[3];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "expiry-"));
const e18 = 10n ** 18n;

let chain: TestChain;
let sc: ScenarioContext;
let gpuh: Market;
let writer: PrivateKeyAccount;
let keeper: PrivateKeyAccount;
let anyone: PrivateKeyAccount;
let running: RunningExpiryKeeper | undefined;
const logs: string[] = [];

type Spec = { strike: bigint; isCall: boolean; itm: boolean };
const specs: Spec[] = [
  { strike: 3n * e18, isCall: false, itm: true },
  { strike: 2n * e18, isCall: true, itm: true },
  { strike: 2n * e18, isCall: false, itm: false },
];
const series: bigint[] = [];
const vaults: bigint[] = [];
let lonely: bigint; // later expiry, no vault
let early: bigint; // expires first, handled without the keeper
let earlyVault: bigint;
const holders = Array.from({ length: 5 }, () => privateKeyToAccount(generatePrivateKey()).address);
/** series → holder → amount handed to it */
const handed = new Map<bigint, Map<Address, bigint>>();

const erc20Balance = (token: Address, who: Address) =>
  sc.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [who] });
const getSeries = (id: bigint) =>
  sc.publicClient.readContract({ ...derivatives(sc), functionName: "getSeries", args: [id] });
/** The contract's payout: amount × payoff, rounded down (both tokens have 18 decimals). */
const payout = (amount: bigint, payoffWad: bigint) => (amount * payoffWad) / e18;
const payoffOf = (s: { isCall: boolean; strikeWad: bigint; settlementWad: bigint }) =>
  s.isCall
    ? s.settlementWad > s.strikeWad
      ? ((s.settlementWad - s.strikeWad) * e18) / s.settlementWad
      : 0n
    : s.strikeWad > s.settlementWad
      ? s.strikeWad - s.settlementWad
      : 0n;

/** Travels to a series' expiry recording the oracle, then mines the first block at expiry. */
async function expireAndMine(seriesId: bigint): Promise<bigint> {
  await expire(sc, seriesId);
  const expiry = BigInt((await getSeries(seriesId)).expiry);
  // anvil may give the next block the same second as the last: set it.
  const latest = (await sc.publicClient.getBlock()).timestamp;
  await chain.rpc("evm_setNextBlockTimestamp", [Number(latest >= expiry ? latest + 1n : expiry)]);
  await chain.rpc("evm_mine");
  return expiry;
}

async function hand(seriesId: bigint, amounts: bigint[]) {
  const m = new Map<Address, bigint>();
  for (const [i, amount] of amounts.entries()) {
    if (amount === 0n) continue;
    await transferOptions(sc, writer, holders[i], seriesId, amount);
    m.set(holders[i], amount);
  }
  handed.set(seriesId, m);
}

beforeAll(async () => {
  chain = await startTestChain(chainId, {
    ...localOracleSettings,
    VOLATILITY_MAX_STEP: String(5n * e18),
    VOLATILITY_MIN_INTERVAL: "0",
  });
  sc = scenarioContext(chain.deployment, chain.anvil.rpcUrl, anvilKeys[0], [
    anvilKeys[1],
    keeperKey,
    anvilKeys[2],
  ]);
  [writer, keeper, anyone] = sc.agents;
  gpuh = (await seedPools(sc)).find((m) => m.base === "GPUH" && m.quote === "AITBC")!;
  await warmOracle(sc, [gpuh.poolId]);
  await listPool(sc, gpuh.poolId);
  await setVolatility(sc, gpuh.poolId, (8n * e18) / 10n);

  early = await createSeries(sc, {
    market: gpuh,
    strikeWad: 3n * e18,
    expiry: await gridExpiry(sc, 180),
    isCall: false,
  });
  earlyVault = await openVault(sc, writer, { seriesId: early, amount: 10n * e18, margined: false });
  await hand(early, [4n * e18, 6n * e18]);

  const expiry = await gridExpiry(sc, 900);
  for (const spec of specs) {
    const id = await createSeries(sc, { market: gpuh, strikeWad: spec.strike, expiry, isCall: spec.isCall });
    series.push(id);
    vaults.push(await openVault(sc, writer, { seriesId: id, amount: 30n * e18, margined: false }));
    vaults.push(await openVault(sc, writer, { seriesId: id, amount: 20n * e18, margined: true, cushion: 2 }));
    await hand(id, [10n * e18, 15n * e18, 5n * e18, 7n * e18, 13n * e18]);
  }
  lonely = await createSeries(sc, {
    market: gpuh,
    strikeWad: 3n * e18,
    expiry: expiry + 120n,
    isCall: false,
  });
}, 600_000);

afterAll(async () => {
  await running?.stop();
  await chain?.stop();
});

describe("with the expiry keeper never started", () => {
  it("anyone can finalize, settle, and exercise for the holders", async () => {
    await expireAndMine(early);
    const s = await getSeries(early);
    // The price source, from an account with no role.
    await send(sc, anyone, {
      ...optionPriceSource(sc),
      functionName: "finalizeSettlement",
      args: [s.underlyingPoolId, BigInt(s.expiry)],
      gas: 400_000n,
    });
    const [price, finalized] = await sc.publicClient.readContract({
      ...optionPriceSource(sc),
      functionName: "settlementPriceWad",
      args: [s.underlyingPoolId, BigInt(s.expiry)],
    });
    expect(finalized).toBe(true);
    await send(sc, anyone, { ...derivatives(sc), functionName: "settleVault", args: [earlyVault] });
    const before = await Promise.all(holders.slice(0, 2).map((h) => erc20Balance(s.collateral, h)));
    await send(sc, anyone, {
      ...derivatives(sc),
      functionName: "exerciseFor",
      args: [early, [holders[0], holders[1], holders[0]]],
    });
    const payoff = 3n * e18 - price;
    expect(payoff).toBeGreaterThan(0n);
    for (const [i, h] of holders.slice(0, 2).entries()) {
      expect((await erc20Balance(s.collateral, h)) - before[i]).toBe(
        payout(handed.get(early)!.get(h)!, payoff),
      );
      expect(await optionBalance(sc, h, early)).toBe(0n);
    }
  });
});

describe("expiry keeper", () => {
  it("starts, learns series, vaults and holders, and waits for expiry", async () => {
    running = await startExpiryKeeper(
      loadExpiryConfig({
        env: {
          CHAIN_ID: String(chainId),
          RPC_URLS: chain.anvil.rpcUrl,
          PRIVATE_KEY: keeperKey,
          DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
          DB_PATH: path.join(dir, "expiry.sqlite"),
          HTTP_PORT: "0",
          POLLING_INTERVAL_MS: "50",
          MAX_WRITES_PER_BLOCK: "3",
          MAX_HOLDERS_PER_CALL: "2",
        },
      }),
      { watchBlocks: false, writeLog: (line) => void logs.push(line) },
    );
    const tick = await running.tick();
    expect(tick.actions).toEqual([]);
    // The early series is found done (settled and exercised by others); the rest are live.
    expect(tick.decisions.map((d) => [d.seriesId, d.status])).toEqual([[early, "done"]]);
    const body = (await (await fetch(`${running.url}/series`)).json()) as {
      series: { seriesId: string; status: string }[];
    };
    expect(body.series.map((s) => [s.seriesId, s.status]).sort()).toEqual(
      [[early.toString(), "done"], ...[...series, lonely].map((id) => [id.toString(), "live"])].sort(),
    );
    expect(running.journal.openSeries().map((s) => s.seriesId)).toEqual([...series, lonely]);
    expect(running.journal.unsettledVaults(series[0])).toEqual([vaults[0], vaults[1]]);
    // The writer received the minted options (and handed them all out): known, with nothing to pay.
    expect(running.journal.holders(series[0]).sort()).toEqual([...holders, writer.address].sort());
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it("fixes the price at expiry, settles every vault and pays every ITM holder exactly its payoff, once", async () => {
    const r = running!;
    const collateral = await Promise.all(series.map(async (id) => (await getSeries(id)).collateral));
    const before = await Promise.all(
      series.map((id, i) => Promise.all(holders.map((h) => erc20Balance(collateral[i], h)))),
    );
    // Block numbers from `getBlock`, never the client's cached `getBlockNumber`.
    const head = async () => (await sc.publicClient.getBlock({ blockTag: "latest" })).number;
    const from = (await head()) + 1n;
    // Travels to expiry and mines a block at or after it. Anvil stamps blocks with its wall clock: on a busy
    // machine the travel's last oracle record can already land at or after expiry, so the first block at or
    // after expiry is not always the one mined here — but it is the first the keeper sees (it is ticked only now).
    const expiry = await expireAndMine(series[0]);
    const seen = await head();
    for (let i = 0; i < 12; i++) await r.tick();
    await r.settled();

    // The keeper's first write landed in the block right after the first one it saw at or after expiry, and fixed
    // the price of the test's series in the period that starts at expiry (on time).
    const txs = await chain.txsFrom(keeper.address, from);
    const first = await sc.publicClient.getTransactionReceipt({ hash: txs[0] });
    const stamp = async (n: bigint) => (await sc.publicClient.getBlock({ blockNumber: n })).timestamp;
    expect(first.blockNumber).toBe(seen + 1n);
    expect(await stamp(seen)).toBeGreaterThanOrEqual(expiry);
    expect(await stamp(first.blockNumber)).toBeLessThan(expiry + 60n);
    const priceSet = await sc.publicClient.getContractEvents({
      ...derivatives(sc),
      eventName: "SettlementPriceSet",
      args: { seriesId: series },
      fromBlock: from,
    });
    expect(priceSet.map((e) => e.args.seriesId).sort()).toEqual([...series].sort());
    expect(priceSet[0].blockNumber).toBe(first.blockNumber);

    for (const v of vaults) {
      const vault = await sc.publicClient.readContract({
        ...derivatives(sc),
        functionName: "getVault",
        args: [v],
      });
      expect(vault.owner).toBe("0x0000000000000000000000000000000000000000");
    }
    const settledEvents = await sc.publicClient.getContractEvents({
      ...derivatives(sc),
      eventName: "VaultSettled",
      fromBlock: from,
    });
    expect(settledEvents.map((e) => e.args.vaultId).sort()).toEqual([...vaults].sort());

    const exercised = await sc.publicClient.getContractEvents({
      ...derivatives(sc),
      eventName: "OptionsExercised",
      fromBlock: from,
    });
    /** token → holder → what the holder should have received in it (puts of two series share AITBC). */
    const expected = new Map<Address, Map<Address, bigint>>();
    for (const [i, id] of series.entries()) {
      const s = await getSeries(id);
      expect(s.settled).toBe(true);
      const payoff = payoffOf(s);
      expect(payoff > 0n).toBe(specs[i].itm);
      let paid = 0n;
      for (const h of holders) {
        const amount = handed.get(id)!.get(h)!;
        const owedToHolder = payout(amount, payoff);
        const byHolder = expected.get(collateral[i]) ?? new Map<Address, bigint>();
        byHolder.set(h, (byHolder.get(h) ?? 0n) + owedToHolder);
        expected.set(collateral[i], byHolder);
        const events = exercised.filter((e) => e.args.seriesId === id && e.args.holder === h);
        expect(events.map((e) => e.args.payout)).toEqual(specs[i].itm ? [owedToHolder] : []);
        paid += owedToHolder;
        // ITM options are burned by exercise; OTM ones are left alone (worthless).
        expect(await optionBalance(sc, h, id)).toBe(specs[i].itm ? 0n : amount);
      }
      // The pot: what the vaults owed, less what the holders were paid (rounding dust only).
      const owed = settledEvents.filter((e) => e.args.seriesId === id).reduce((a, e) => a + e.args.owed!, 0n);
      expect(s.pot).toBe(owed - paid);
      expect(s.pot).toBeLessThan(10n);
    }
    for (const [i, id] of series.entries())
      for (const [j, h] of holders.entries())
        if (collateral.indexOf(collateral[i]) === i)
          expect((await erc20Balance(collateral[i], h)) - before[i][j]).toBe(
            expected.get(collateral[i])!.get(h),
          );
    // Each holder paid once: one OptionsExercised per (ITM series, holder), all by the keeper.
    // Nobody is paid twice for a series; each of the test's holders once per ITM series. (The count leaves out any
    // other account the keeper found holding options — the writer, in a run where it kept some — which it pays too.)
    const allKeys = exercised.map((e) => `${e.args.seriesId}:${e.args.holder}`);
    expect(new Set(allKeys).size).toBe(allKeys.length);
    const keys = exercised
      .filter((e) => holders.includes(e.args.holder!))
      .map((e) => `${e.args.seriesId}:${e.args.holder}`);
    expect(keys).toHaveLength(holders.length * specs.filter((s) => s.itm).length);
    // Batches of two holders: 5 holders → 3 calls per ITM series.
    const actions = r.journal.list({ limit: 1000 });
    expect(actions.filter((a) => a.kind === "exercise" && a.status === "mined")).toHaveLength(6);
    expect(actions.filter((a) => a.kind === "settle" && a.status === "mined")).toHaveLength(6);
    expect(actions.every((a) => a.status === "mined")).toBe(true);
    expect(r.journal.openSeries().map((s) => s.seriesId)).toEqual([lonely]);
  });

  it("fixes the price of a series without vaults through the price source, then leaves it", async () => {
    const r = running!;
    await expireAndMine(lonely);
    for (let i = 0; i < 3; i++) await r.tick();
    await r.settled();
    const s = await getSeries(lonely);
    const [, finalized] = await sc.publicClient.readContract({
      ...optionPriceSource(sc),
      functionName: "settlementPriceWad",
      args: [s.underlyingPoolId, BigInt(s.expiry)],
    });
    expect(finalized).toBe(true);
    const finals = r.journal.list().filter((a) => a.kind === "finalize");
    expect(finals.map((a) => [a.seriesId, a.status])).toEqual([[lonely.toString(), "mined"]]);
    expect(r.journal.openSeries()).toEqual([]);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/expiry_actions_total\{[^}]*kind="exercise"[^}]*status="mined"[^}]*\} 6/);
  });
});
