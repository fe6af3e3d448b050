import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiServiceAmmAbi } from "../../generated/abis.js";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import { loadFeeKeeperConfig } from "./config.js";
import { IndexerUnavailableError } from "./indexer.js";
import { runOnce } from "./keeper.js";
import { startFeeKeeper, type RunningFeeKeeper } from "./main.js";

// The fee keeper on a real anvil with the real deployment, its real store, HTTP server and transaction
// layer. The read model is served by a small stand-in for the indexer's `/pools/:chainId/:poolId/stats`
// route (same JSON contract), so that each test can choose σ; the end-to-end run against the real indexer
// is the lead's e2e test.
const chainId = 31342;
const keeperKey = anvilKeys[3];
const keeper = privateKeyToAccount(keeperKey).address;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "fee-keeper-"));

type Stats = { realizedVolatility: number | null; volatilitySamples: number };
const stats = new Map<string, Stats>();
let indexerPort = 0;
let indexer: ReturnType<typeof serve> | null = null;
const indexerRequests: string[] = [];

async function startIndexerStandIn(port = 0): Promise<void> {
  const app = new Hono();
  app.get("/pools/:chainId/:poolId/stats", (c) => {
    indexerRequests.push(c.req.url);
    const s = stats.get(c.req.param("poolId"));
    if (Number(c.req.param("chainId")) !== chainId || !s) return c.json({ error: "unknown pool" }, 404);
    return c.json({
      chainId,
      poolId: c.req.param("poolId"),
      fee: 0,
      swapCount: s.volatilitySamples,
      volumeToken1: "0",
      windowSeconds: Number(c.req.query("window")),
      ...s,
    });
  });
  await new Promise<void>((resolve) => {
    indexer = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      indexerPort = info.port;
      resolve();
    });
  });
}

async function stopIndexerStandIn(): Promise<void> {
  const s = indexer;
  indexer = null;
  if (!s) return;
  await new Promise<void>((resolve) => {
    s.close(() => resolve());
    (s as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

let chain: TestChain;
let pools: bigint[];
const logs: string[] = [];
const writeLog = (line: string) => void logs.push(line);

const env = (over: Record<string, string> = {}) => ({
  CHAIN_ID: String(chainId),
  RPC_URLS: chain.anvil.rpcUrl,
  PRIVATE_KEY: keeperKey,
  INDEXER_URL: `http://127.0.0.1:${indexerPort}`,
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  DB_PATH: path.join(dir, "fee.sqlite"),
  HTTP_PORT: "0",
  SCHEDULE: "0 0 1 1 *", // ticks are driven by the tests
  VOL_WINDOW_SECONDS: "3600",
  MIN_SAMPLES: "10",
  HEALTH_MAX_AGE_SECONDS: "60",
  LOG_LEVEL: "warn",
  POLLING_INTERVAL_MS: "100",
  ...over,
});

const feeOf = async (poolId: bigint) =>
  (
    await chain.client.readContract({
      address: chain.deployment.contracts.AIServiceAMM,
      abi: aiServiceAmmAbi,
      functionName: "getPool",
      args: [poolId],
    })
  ).fee;
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const getJson = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as any };
};

beforeAll(async () => {
  chain = await startTestChain(chainId, { FEE_KEEPER: keeper, MIN_FEE_INTERVAL: "3600" });
  pools = await chain.createPools(3);
  await startIndexerStandIn();
});

afterAll(async () => {
  await stopIndexerStandIn();
  await chain?.stop();
});

describe("fee keeper", () => {
  let running: RunningFeeKeeper;

  it("raises a volatile pool's fee by one step, skips what it should, and says why", async () => {
    stats.set(String(pools[0]), { realizedVolatility: 1.5, volatilitySamples: 40 }); // target 8 000
    stats.set(String(pools[1]), { realizedVolatility: 0.8, volatilitySamples: 3 }); // too few samples
    // pools[2]: unknown to the indexer
    running = await startFeeKeeper(loadFeeKeeperConfig({ env: env() }), { runAtStart: false, writeLog });
    const nonce = await nonceOf();

    const tick = await runOnce(running.ctx);
    expect(tick.decisions.map((d) => [d.poolId, d.kind, d.kind === "skip" ? d.skip : d.newFee])).toEqual([
      [pools[0], "set-fee", 4_000],
      [pools[1], "skip", "too-few-samples"],
      [pools[2], "skip", "no-stats"],
    ]);
    expect(tick.decisions[0]!.outcome).toMatchObject({ status: "mined" });
    expect(await feeOf(pools[0]!)).toBe(4_000);
    expect(await feeOf(pools[1]!)).toBe(3_000);
    expect(await nonceOf()).toBe(nonce + 1);
    expect(indexerRequests.at(-1)).toContain("window=3600");

    const { status, body } = await getJson(`${running.url}/decisions?action=set-fee`);
    expect(status).toBe(200);
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({
      chainId,
      poolId: String(pools[0]),
      sigma: 1.5,
      oldFee: 3_000,
      targetFee: 8_000,
      clampedTarget: 8_000,
      newFee: 4_000,
      action: "set-fee",
      intentId: `fee:${chainId}:${pools[0]}:0`,
      tx: { hash: tick.decisions[0]!.outcome!.hash, status: "mined" },
    });
    expect(body.decisions[0].reason).toContain("moving fee 3000 → 4000 (limited by maxStep 1000)");
    const all = await getJson(`${running.url}/decisions`);
    expect(all.body.decisions.map((d: { skipReason: string | null }) => d.skipReason)).toEqual([
      "no-stats",
      "too-few-samples",
      null,
    ]);
  });

  it("does not touch a pool again inside its fee interval, and moves it again after", async () => {
    const nonce = await nonceOf();
    const again = await runOnce(running.ctx);
    expect(again.decisions[0]).toMatchObject({ kind: "skip", skip: "too-soon" });
    expect(await nonceOf()).toBe(nonce);

    await chain.rpc("evm_increaseTime", [3_600]);
    await chain.rpc("evm_mine");
    const later = await runOnce(running.ctx);
    expect(later.decisions[0]).toMatchObject({ kind: "set-fee", oldFee: 4_000, newFee: 5_000 });
    expect(later.decisions[0]!.outcome!.status).toBe("mined");
    expect(await feeOf(pools[0]!)).toBe(5_000);
    expect(await nonceOf()).toBe(nonce + 1);
  });

  it("answers /healthz and /metrics, and sees its fee changes on chain", async () => {
    const health = await getJson(`${running.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, status: "ok" });

    const metrics = await fetch(`${running.url}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    expect(text).toMatch(/keeper_ticks_total\{result="ok",keeper="fee"\} 3/);
    expect(text).toMatch(/keeper_tx_mined_total\{keeper="fee"\} 2/);
    expect(text).toMatch(/keeper_tx_sent_total\{keeper="fee"\} 2/);
    expect(text).toMatch(/fee_keeper_decisions_total\{action="skip",reason="too-soon",keeper="fee"\} 1/);
    expect(text).toMatch(new RegExp(`fee_keeper_pool_fee_pips\\{pool="${pools[0]}",keeper="fee"\\} 5000`));
    expect(text).toMatch(/keeper_last_success_timestamp_seconds\{keeper="fee"\} \d+/);
    // The FeeUpdated watcher (viem block watching → logs) sees both changes.
    await until(async () =>
      /fee_keeper_fee_updates_seen_total\{by="keeper",keeper="fee"\} 2/.test(
        await (await fetch(`${running.url}/metrics`)).text(),
      ),
    );
  });

  it("treats an unreachable indexer as retryable: the tick fails, the keeper lives, health says why", async () => {
    await running.stop();
    running = await startFeeKeeper(loadFeeKeeperConfig({ env: env({ HEALTH_MAX_AGE_SECONDS: "1" }) }), {
      runAtStart: false,
      writeLog,
    });
    const port = indexerPort;
    await stopIndexerStandIn();

    await expect(runOnce(running.ctx)).rejects.toBeInstanceOf(IndexerUnavailableError);
    await running.tick(); // the scheduled path swallows and counts it
    const health = await getJson(`${running.url}/healthz`);
    expect(health.status).toBe(503);
    expect(health.body.ok).toBe(false);
    expect(health.body.reason).toContain("indexer unavailable");
    expect(logs.some((l) => l.includes('"msg":"run failed; will try again on the next tick"'))).toBe(true);
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(text).toMatch(/fee_keeper_indexer_errors_total\{keeper="fee"\} 2/);
    expect(text).toMatch(/keeper_ticks_total\{result="error",keeper="fee"\} 2/);

    await startIndexerStandIn(port);
    await running.tick();
    expect((await getJson(`${running.url}/healthz`)).status).toBe(200);
    // Restarted with the same store: the earlier decisions are still there.
    expect((await getJson(`${running.url}/decisions?action=set-fee`)).body.decisions).toHaveLength(2);
  });

  it("in dry-run mode decides and simulates but sends nothing", async () => {
    await running.stop();
    stats.set(String(pools[1]), { realizedVolatility: 0.05, volatilitySamples: 30 }); // target 750 → 2 000
    running = await startFeeKeeper(
      loadFeeKeeperConfig({ env: env({ DB_PATH: path.join(dir, "dry.sqlite") }), argv: ["--dry-run"] }),
      { runAtStart: false, writeLog },
    );
    const nonce = await nonceOf();
    const tick = await runOnce(running.ctx);
    const d = tick.decisions.find((x) => x.poolId === pools[1]);
    expect(d).toMatchObject({
      kind: "set-fee",
      oldFee: 3_000,
      newFee: 2_000,
      outcome: { status: "dry-run" },
    });
    expect(await feeOf(pools[1]!)).toBe(3_000);
    expect(await nonceOf()).toBe(nonce);
    await running.stop();
  });

  it("runs as a process: ticks on its cron schedule, serves /healthz, and exits 0 on SIGTERM", async () => {
    stats.set(String(pools[1]), { realizedVolatility: 0.05, volatilitySamples: 30 });
    const child = spawn(path.join(repoRoot, "node_modules/.bin/tsx"), ["keepers/fee/main.ts"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH!,
        ...env({
          DB_PATH: path.join(dir, "process.sqlite"),
          HTTP_PORT: "0",
          SCHEDULE: "*/2 * * * * *",
          LOG_LEVEL: "info",
        }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await until(() => /"msg":"http server listening"/.test(stdout), 60_000);
      const url = JSON.parse(stdout.split("\n").find((l) => l.includes("http server listening"))!)
        .url as string;
      await until(async () => (await fetch(`${url}/healthz`)).status === 200, 60_000);
      await until(async () => (await feeOf(pools[1]!)) === 2_000, 30_000);
      // Logs are JSON, one object per line, each naming its component.
      const lines = stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { at: string; msg: string });
      expect(lines.every((l) => typeof l.at === "string")).toBe(true);
      expect(
        lines.some((l) => l.at === "fee" && l.msg.startsWith("decision: σ=0.0500 → target 750 pips")),
      ).toBe(true);
      expect(stdout).not.toContain(keeperKey.slice(2));
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exit).toBe(0);
    expect(stdout).toContain('"msg":"shutting down","signal":"SIGTERM"');
    expect(stdout).toContain('"msg":"stopped"');
    expect(stderr).toBe("");
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
