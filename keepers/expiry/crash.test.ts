import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { erc20Abi, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import {
  advance,
  createSeries,
  derivatives,
  expire,
  gridExpiry,
  listPool,
  openVault,
  optionBalance,
  setVolatility,
  transferOptions,
} from "../../scripts/lib/options.js";
import { localOracleSettings, warmOracle } from "../../scripts/lib/portfolios.js";
import { scenarioContext, seedPools, type Market, type ScenarioContext } from "../../scripts/lib/scenario.js";

// The real expiry keeper as a process (the crash fixture: main.ts's keeper with hooks that report each write on
// stdout and can hang), really SIGKILLed after storing a signed write (before broadcasting it) or after broadcasting
// it, then started again on the same store. Each case has its own ITM put series (strike 3 AITBC, GPUH at 2.5) with
// two vaults and three holders (fresh addresses), the keeper restricted to it (SERIES_IDS). Every vault is settled
// once, every holder paid once and exactly its payoff, the pot is what the vaults owed less what was paid, and the
// write signed before the kill is the one that reached the chain.
const chainId = 31551;
const keeperKey = anvilKeys[3];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixture = path.join(repoRoot, "keepers/expiry/crash-fixture.ts");
const dir = mkdtempSync(path.join(tmpdir(), "expiry-crash-"));
const e18 = 10n ** 18n;

const cases = [
  ["after storing a signed exerciseFor, before broadcasting it", "stored", "exercise"],
  ["after broadcasting an exerciseFor", "broadcast", "exercise"],
  ["after broadcasting a settleVault", "broadcast", "settle"],
] as const;

let chain: TestChain;
let sc: ScenarioContext;
let gpuh: Market;
let writer: PrivateKeyAccount;
let keeper: PrivateKeyAccount;
const series: bigint[] = [];
const vaults: bigint[][] = [];
const holders: Address[][] = [];
const amounts = [7n * e18, 11n * e18, 2n * e18];

type Run = { child: ChildProcess; waitFor(prefix: string): Promise<string>; exit: Promise<unknown> };

function startFixture(db: string, seriesId: bigint, hang?: { at: string; kind: string }): Run {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? "/tmp",
      CHAIN_ID: String(chainId),
      RPC_URLS: chain.anvil.rpcUrl,
      PRIVATE_KEY: keeperKey,
      DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
      DB_PATH: path.join(dir, db),
      HTTP_PORT: "0",
      POLLING_INTERVAL_MS: "100",
      SERIES_IDS: String(seriesId),
      MAX_HOLDERS_PER_CALL: "2",
      ...(hang ? { HANG_AT: hang.at, HANG_KIND: hang.kind } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stderr = "";
  let buffer = "";
  const waiters: (() => void)[] = [];
  child.stdout!.on("data", (d) => {
    buffer += d;
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr!.on("data", (d) => void (stderr += d));
  const exit = new Promise((resolve) => child.on("exit", resolve));
  return {
    child,
    exit,
    waitFor: (prefix) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => l.startsWith(prefix));
          if (found !== undefined) return resolve(found);
          waiters.push(check);
        };
        check();
        void exit.then((code) =>
          reject(new Error(`fixture exited ${code} before ${prefix}:\n${stderr.slice(-3000)}`)),
        );
      }),
  };
}

const balanceOf = (token: Address, who: Address) =>
  sc.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [who] });
const getSeries = (id: bigint) =>
  sc.publicClient.readContract({ ...derivatives(sc), functionName: "getSeries", args: [id] });

beforeAll(async () => {
  chain = await startTestChain(chainId, {
    ...localOracleSettings,
    VOLATILITY_MAX_STEP: String(5n * e18),
    VOLATILITY_MIN_INTERVAL: "0",
  });
  sc = scenarioContext(chain.deployment, chain.anvil.rpcUrl, anvilKeys[0], [anvilKeys[1], keeperKey]);
  [writer, keeper] = sc.agents;
  gpuh = (await seedPools(sc)).find((m) => m.base === "GPUH" && m.quote === "AITBC")!;
  await warmOracle(sc, [gpuh.poolId]);
  await listPool(sc, gpuh.poolId);
  await setVolatility(sc, gpuh.poolId, (8n * e18) / 10n);
  const expiry = await gridExpiry(sc, 300);
  for (const [i] of cases.entries()) {
    const id = await createSeries(sc, {
      market: gpuh,
      strikeWad: 3n * e18 + BigInt(i),
      expiry,
      isCall: false,
    });
    series.push(id);
    vaults.push([
      await openVault(sc, writer, { seriesId: id, amount: 12n * e18, margined: false }),
      await openVault(sc, writer, { seriesId: id, amount: 8n * e18, margined: true, cushion: 1.5 }),
    ]);
    const hs = Array.from({ length: 3 }, () => privateKeyToAccount(generatePrivateKey()).address);
    for (const [j, h] of hs.entries()) await transferOptions(sc, writer, h, id, amounts[j]);
    holders.push(hs);
  }
  await expire(sc, series[0]);
  const expiry2 = BigInt((await getSeries(series[0])).expiry);
  const latest = (await sc.publicClient.getBlock()).timestamp;
  await chain.rpc("evm_setNextBlockTimestamp", [Number(latest >= expiry2 ? latest + 1n : expiry2)]);
  await chain.rpc("evm_mine");
}, 600_000);

afterAll(async () => {
  await chain?.stop();
});

describe.each(cases.map((c, i) => [...c, i] as const))("expiry keeper SIGKILLed %s", (_, at, kind, index) => {
  it("settles every vault once and pays every holder once after a restart", async () => {
    const id = series[index];
    const from = await sc.publicClient.getBlockNumber();
    const token = (await getSeries(id)).collateral;
    const before = await Promise.all(holders[index].map((h) => balanceOf(token, h)));
    const db = `crash-${index}.sqlite`;
    // The chain mines only on transactions: an empty block now and then stands for the next block a real chain
    // brings, in which the keeper acts on its own mined settlements.
    const miner = setInterval(() => void chain.rpc("evm_mine").catch(() => undefined), 500);
    onTestFinished(() => clearInterval(miner));

    const first = startFixture(db, id, { at, kind });
    const line = await first.waitFor(`${at === "stored" ? "STORED" : "BROADCAST"} expiry:${kind}:`);
    const [, intentId, hash] = line.split(" ");
    first.child.kill("SIGKILL");
    await first.exit;
    expect(first.child.signalCode).toBe("SIGKILL");

    const second = startFixture(db, id);
    await second.waitFor("READY ");
    const paidAll = async () =>
      (await Promise.all(holders[index].map((h) => optionBalance(sc, h, id)))).every((b) => b === 0n);
    for (let i = 0; i < 150 && !(await paidAll()); i++) await new Promise((r) => setTimeout(r, 100));
    // A few more blocks: nothing else is sent.
    await advance(sc, [gpuh.poolId], 120n, { afterStep: () => new Promise((r) => setTimeout(r, 300)) });
    second.child.kill("SIGTERM");
    await second.exit;

    // The write signed before the kill reached the chain, under that hash.
    const receipt = await sc.publicClient.getTransactionReceipt({ hash: hash as `0x${string}` });
    expect(receipt.status).toBe("success");
    expect(intentId.startsWith(`expiry:${kind}:`)).toBe(true);

    const settledEvents = await sc.publicClient.getContractEvents({
      ...derivatives(sc),
      eventName: "VaultSettled",
      args: { seriesId: id },
      fromBlock: from,
    });
    expect(settledEvents.map((e) => e.args.vaultId).sort()).toEqual([...vaults[index]].sort());
    const exercised = await sc.publicClient.getContractEvents({
      ...derivatives(sc),
      eventName: "OptionsExercised",
      args: { seriesId: id },
      fromBlock: from,
    });
    expect(exercised.map((e) => e.args.holder).sort()).toEqual([...holders[index]].sort());

    const s = await getSeries(id);
    const payoff = s.strikeWad - s.settlementWad;
    let paid = 0n;
    for (const [j, h] of holders[index].entries()) {
      const got = (await balanceOf(token, h)) - before[j];
      expect(got).toBe((amounts[j] * payoff) / e18);
      paid += got;
    }
    const owed = settledEvents.reduce((a, e) => a + e.args.owed!, 0n);
    expect(s.pot).toBe(owed - paid);
    // Only the keeper acted: 2 settles + 2 exercise batches, each sent once.
    const txs = await chain.txsFrom(keeper.address, from);
    expect(txs).toHaveLength(4);
    expect(txs).toContain(hash);
  });
});
