import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import {
  advance,
  createSeries,
  derivatives,
  gridExpiry,
  listPool,
  openVault,
  optionBalance,
  sellOptions,
  setVolatility,
  transferOptions,
  vaultHealth,
} from "../../scripts/lib/options.js";
import { chainDeadline, localOracleSettings, movePrice, warmOracle } from "../../scripts/lib/portfolios.js";
import { scenarioContext, seedPools, type Market, type ScenarioContext } from "../../scripts/lib/scenario.js";
import { loadLiquidatorConfig } from "./config.js";
import { startLiquidator, type RunningLiquidator } from "./main.js";

// The liquidator on a real anvil with the real deployment (10-minute oracle window of 1-minute periods). The test
// ticks the keeper after every block it mines; the keeper's own transaction is mined at once (auto-mining), so
// "liquidated in the block after the first one in which the vault is liquidatable" is checked exactly, against
// historical `vaultHealth` reads. Vaults on a GPUH put (strike 2.5 AITBC, spot 2.5): V0 margined at its
// requirement (falls under water when GPUH drops), V1 margined with three times it (stays healthy), V2 margined on
// a series that expires first (skipped as expired).
const chainId = 31540;
const keeperKey = anvilKeys[3];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "liquidator-"));
const e18 = 10n ** 18n;

let chain: TestChain;
let sc: ScenarioContext;
let gpuh: Market;
let writer: PrivateKeyAccount;
let keeper: PrivateKeyAccount;
let trader: PrivateKeyAccount;
let running: RunningLiquidator;
const logs: string[] = [];
let series: bigint;
let shortSeries: bigint;
const V: bigint[] = [];

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
  const markets = await seedPools(sc);
  gpuh = markets.find((m) => m.base === "GPUH" && m.quote === "AITBC")!;
  await warmOracle(sc, [gpuh.poolId]);
  await listPool(sc, gpuh.poolId);
  await setVolatility(sc, gpuh.poolId, (8n * e18) / 10n);
  const base = { market: gpuh, strikeWad: (5n * e18) / 2n, isCall: false };
  series = await createSeries(sc, { ...base, expiry: await gridExpiry(sc, 7 * 86_400) });
  shortSeries = await createSeries(sc, { ...base, expiry: await gridExpiry(sc, 300) });
  V.push(
    await openVault(sc, writer, { seriesId: series, amount: 100n * e18, margined: true, cushion: 1.001 }),
  );
  V.push(await openVault(sc, writer, { seriesId: series, amount: 10n * e18, margined: true, cushion: 3 }));
  V.push(
    await openVault(sc, writer, { seriesId: shortSeries, amount: 10n * e18, margined: true, cushion: 1.001 }),
  );
  // The keeper's inventory: 60 options bought through an offer, 50 given; 10 of the short series.
  await sellOptions(sc, writer, keeper, { seriesId: series, amount: 60n * e18, premium: 10n * e18 });
  await transferOptions(sc, writer, keeper.address, series, 50n * e18);
  await transferOptions(sc, writer, keeper.address, shortSeries, 10n * e18);
  running = await startLiquidator(
    loadLiquidatorConfig({
      env: {
        CHAIN_ID: String(chainId),
        RPC_URLS: chain.anvil.rpcUrl,
        PRIVATE_KEY: keeperKey,
        DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
        DB_PATH: path.join(dir, "liquidator.sqlite"),
        HTTP_PORT: "0",
        POLLING_INTERVAL_MS: "50",
        NATIVE_PRICES: `${sc.deployment.contracts.AITBC}=100`,
      },
    }),
    { watchBlocks: false, writeLog: (line) => void logs.push(line) },
  );
}, 600_000);

afterAll(async () => {
  await running?.stop();
  await chain?.stop();
});

describe("liquidator", () => {
  it("watches the margined vaults and leaves healthy ones alone", async () => {
    const tick = await running.tick();
    expect(tick.actions).toEqual([]);
    expect(
      [...tick.decisions]
        .sort((a, b) => Number(a.vaultId - b.vaultId))
        .map((d) => [d.vaultId, d.action === "skip" ? d.reason : d.action]),
    ).toEqual([
      [V[0], "healthy"],
      [V[1], "healthy"],
      [V[2], "healthy"],
    ]);
    const body = (await (await fetch(`${running.url}/vaults`)).json()) as { vaults: unknown[] };
    expect(body.vaults).toHaveLength(3);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it("liquidates a vault in the first block in which it is liquidatable, and skips healthy and expired ones", async () => {
    // V2's series expires first (time alone makes the other vaults healthier: τ falls).
    await advance(sc, [gpuh.poolId], 420n, { afterStep: async () => void (await running.tick()) });
    // Seen expired, then no longer watched.
    expect(running.ctx.journal.openVaults().map((v) => v.vaultId)).toEqual([V[0], V[1]]);
    const from = await sc.publicClient.getBlockNumber();
    await movePrice(sc, trader, gpuh, 0.75, await chainDeadline(sc));
    await running.tick();
    await advance(sc, [gpuh.poolId], 900n, { afterStep: async () => void (await running.tick()) });
    await running.settled();

    const liquidated = await sc.publicClient.getContractEvents({
      ...derivatives(sc),
      eventName: "VaultLiquidated",
      fromBlock: from,
    });
    expect(liquidated.map((l) => l.args.vaultId)).toEqual([V[0]]);
    expect(liquidated[0].args.liquidator).toBe(keeper.address);
    expect(liquidated[0].args.amount).toBe(100n * e18);
    // The first block in which V0 was liquidatable: the one before the liquidation's.
    const at = liquidated[0].blockNumber;
    expect((await vaultHealth(sc, V[0], at - 2n)).liquidatable).toBe(false);
    expect((await vaultHealth(sc, V[0], at - 1n)).liquidatable).toBe(true);
    expect(await optionBalance(sc, keeper.address, series)).toBe(10n * e18);
    // V1 stayed healthy; V2's series expired on the way: never liquidated, and no longer watched.
    expect((await vaultHealth(sc, V[1])).liquidatable).toBe(false);
    expect(running.ctx.journal.openVaults().map((v) => v.vaultId)).toEqual([V[1]]);
    const actions = running.journal.list();
    expect(actions.map((a) => [a.vaultId, a.status, a.latencyBlocks])).toEqual([
      [V[0].toString(), "mined", 1],
    ]);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/liquidator_liquidations_total\{[^}]*status="mined"[^}]*\} 1/);
  });

  it("liquidates again, with the same signed transaction, when a reorg takes its liquidation off the chain", async () => {
    const [done] = running.journal.list();
    const mined = running.store.getIntent(done!.intentId!)!.intent;
    expect(mined.status).toBe("mined");
    // Replace every block from the liquidation's on: the vault is open and under water again, and the keeper —
    // which closed it in its journal — would never look at it again by itself.
    const head = await sc.publicClient.getBlock({ blockTag: "latest" });
    await chain.rpc("anvil_reorg", [Number(head.number) - mined.minedBlock! + 1, []]);
    expect((await vaultHealth(sc, V[0])).liquidatable).toBe(true);
    expect(await optionBalance(sc, keeper.address, series)).toBe(110n * e18);

    await running.tick();
    await running.settled();
    const liquidated = await sc.publicClient.getContractEvents({
      ...derivatives(sc),
      eventName: "VaultLiquidated",
      fromBlock: BigInt(mined.minedBlock!),
    });
    expect(liquidated.map((l) => [l.args.vaultId, l.transactionHash])).toEqual([[V[0], mined.minedHash]]);
    expect(await optionBalance(sc, keeper.address, series)).toBe(10n * e18);
    const again = running.store.getIntent(done!.intentId!)!.intent;
    expect(again).toMatchObject({ status: "mined", minedHash: mined.minedHash, orphanedAt: null });
    expect(again.minedBlockHash).toBe(liquidated[0]!.blockHash);
    expect(running.journal.list().map((a) => [a.vaultId, a.status, a.txHash])).toEqual([
      [V[0].toString(), "mined", mined.minedHash],
    ]);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/keeper_tx_orphaned_total\{[^}]*\} 1/);
  });
});
