import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFunctionData } from "viem";
import { type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiPowerDerivativesAbi } from "../../generated/abis.js";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import {
  advance,
  createSeries,
  derivatives,
  gridExpiry,
  listPool,
  openVault,
  setVolatility,
  transferOptions,
} from "../../scripts/lib/options.js";
import { chainDeadline, localOracleSettings, movePrice, warmOracle } from "../../scripts/lib/portfolios.js";
import { scenarioContext, seedPools, type Market, type ScenarioContext } from "../../scripts/lib/scenario.js";

// The real liquidator as a process (the crash fixture: main.ts's keeper with hooks that report each write on stdout
// and can hang), really SIGKILLed after storing a signed liquidation (before broadcasting it) and after
// broadcasting it, then started again on the same store. Each time exactly one liquidation of the vault reaches the
// chain, and it is the one signed before the kill.
const chainId = 31541;
const keeperKey = anvilKeys[3];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixture = path.join(repoRoot, "keepers/liquidator/crash-fixture.ts");
const dir = mkdtempSync(path.join(tmpdir(), "liquidator-crash-"));
const e18 = 10n ** 18n;

let chain: TestChain;
let sc: ScenarioContext;
let gpuh: Market;
let writer: PrivateKeyAccount;
let keeper: PrivateKeyAccount;
let trader: PrivateKeyAccount;
const series: bigint[] = [];
const vaults: bigint[] = [];

type Run = {
  child: ChildProcess;
  lines: string[];
  waitFor(prefix: string): Promise<string>;
  exit: Promise<unknown>;
};

function startFixture(db: string, seriesId: bigint, hangAt?: string): Run {
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
      NATIVE_PRICES: `${sc.deployment.contracts.AITBC}=100`,
      ...(hangAt ? { HANG_AT: hangAt } : {}),
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
    lines,
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

/** Liquidate transactions sent by the keeper for `vaultId` since `fromBlock`, and the mined VaultLiquidated events. */
async function liquidationsOf(vaultId: bigint, fromBlock: bigint) {
  const txs = await chain.txsFrom(keeper.address, fromBlock);
  const sent = await Promise.all(txs.map((hash) => sc.publicClient.getTransaction({ hash })));
  const events = await sc.publicClient.getContractEvents({
    ...derivatives(sc),
    eventName: "VaultLiquidated",
    args: { vaultId },
    fromBlock,
  });
  return { sent: sent.map((t) => t.hash), inputs: sent.map((t) => t.input), events };
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
  [writer, keeper, trader] = sc.agents;
  gpuh = (await seedPools(sc)).find((m) => m.base === "GPUH" && m.quote === "AITBC")!;
  await warmOracle(sc, [gpuh.poolId]);
  await listPool(sc, gpuh.poolId);
  await setVolatility(sc, gpuh.poolId, (8n * e18) / 10n);
  const expiry = await gridExpiry(sc, 7 * 86_400);
  for (const strike of [25n, 24n]) {
    const id = await createSeries(sc, {
      market: gpuh,
      strikeWad: (strike * e18) / 10n,
      expiry,
      isCall: false,
    });
    series.push(id);
    vaults.push(
      await openVault(sc, writer, { seriesId: id, amount: 50n * e18, margined: true, cushion: 1.001 }),
    );
    await transferOptions(sc, writer, keeper.address, id, 50n * e18);
  }
  // Both vaults under water once the time-weighted index has followed GPUH down.
  await movePrice(sc, trader, gpuh, 0.75, await chainDeadline(sc));
  await advance(sc, [gpuh.poolId], 900n);
}, 600_000);

afterAll(async () => {
  await chain?.stop();
});

describe.each([
  ["after storing the signed liquidation, before broadcasting it", "stored", 0],
  ["after broadcasting the liquidation", "broadcast", 1],
] as const)("liquidator SIGKILLed %s", (_, hangAt, index) => {
  it("sends exactly one liquidation, the one signed before the kill, after a restart", async () => {
    const from = await sc.publicClient.getBlockNumber();
    const db = `crash-${hangAt}.sqlite`;
    const first = startFixture(db, series[index], hangAt);
    const line = await first.waitFor(hangAt === "stored" ? "STORED " : "BROADCAST ");
    const [, intentId, hash] = line.split(" ");
    expect(intentId).toMatch(new RegExp(`^liquidate:${chainId}:0x[0-9a-f]{40}:${vaults[index]}:`));
    first.child.kill("SIGKILL");
    await first.exit;
    expect(first.child.signalCode).toBe("SIGKILL");

    const second = startFixture(db, series[index]);
    await second.waitFor("READY ");
    for (let i = 0; i < 100; i++) {
      if ((await liquidationsOf(vaults[index], from)).events.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // A few more blocks: nothing else is sent.
    await advance(sc, [gpuh.poolId], 60n, { afterStep: () => new Promise((r) => setTimeout(r, 300)) });
    second.child.kill("SIGTERM");
    await second.exit;

    const { sent, inputs, events } = await liquidationsOf(vaults[index], from);
    expect(events).toHaveLength(1);
    expect(events[0].transactionHash).toBe(hash);
    expect(sent).toEqual([hash]);
    expect(inputs[0]).toBe(
      encodeFunctionData({
        abi: aiPowerDerivativesAbi,
        functionName: "liquidate",
        args: [vaults[index], 50n * e18],
      }),
    );
  });
});
