import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiServiceAmmAbi } from "../../generated/abis.js";
import { startIndexer, type Indexer } from "../../indexer/lib/start.js";
import { devAccountKeys } from "../../scripts/lib/accounts.js";
import { indexedBlock } from "../../scripts/lib/readModels.js";
import { runAgents, scenarioContext, seedPools, type AgentAction } from "../../scripts/lib/scenario.js";
import { openStore } from "../lib/store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import { loadFeeKeeperConfig } from "./config.js";
import { decide, type FeeDecision, type FeePolicy, type PoolStats } from "./decide.js";
import { IndexerUnavailableError } from "../lib/indexer.js";
import { runOnce, type TickResult } from "./keeper.js";
import { startFeeKeeper, type RunningFeeKeeper } from "./main.js";

// The fee keeper on a real anvil with the real deployment, agents trading through the real AMM, and the real
// indexer (Ponder, on its own PGlite) serving `/pools/:chainId/:poolId/stats`; the keeper's own store, HTTP
// server and transaction layer are real too. σ is whatever the trades made it: each test reads the real σ
// from the indexer and picks the keeper's policy (BASE_FEE, FEE_PER_VOL, MIN_SAMPLES) so that the decision it
// wants to see follows from that σ, then checks the keeper decided exactly what `decide()` computes from the
// chain at the tick's block and the indexer's stats.
const chainId = 31380;
const keeperKey = anvilKeys[3];
const keeper = privateKeyToAccount(keeperKey).address;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "fee-keeper-"));
/** The keeper's σ window; not the indexer's default (86 400 s), so a σ equal to this window's shows it is asked. */
const windowSeconds = 7_200;

let chain: TestChain;
let indexer: Indexer | undefined;
/** [volatile (many swaps), thin (a few swaps), idle, idle], as seeded. */
let pools: bigint[];
let actions: AgentAction[];
let running: RunningFeeKeeper | undefined;
const logs: string[] = [];
const writeLog = (line: string) => void logs.push(line);

const policyEnv = (p: FeePolicy) => ({
  BASE_FEE: String(p.baseFee),
  FEE_PER_VOL: String(p.feePerVol),
  DEADBAND: String(p.deadband),
  MIN_SAMPLES: String(p.minSamples),
});

const env = (policy: FeePolicy, over: Record<string, string> = {}) => ({
  CHAIN_ID: String(chainId),
  RPC_URLS: chain.anvil.rpcUrl,
  PRIVATE_KEY: keeperKey,
  INDEXER_URL: indexer!.url,
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  DB_PATH: path.join(dir, "fee.sqlite"),
  HTTP_PORT: "0",
  SCHEDULE: "0 0 1 1 *", // ticks are driven by the tests
  VOL_WINDOW_SECONDS: String(windowSeconds),
  HEALTH_MAX_AGE_SECONDS: "60",
  LOG_LEVEL: "warn",
  POLLING_INTERVAL_MS: "100",
  ...policyEnv(policy),
  ...over,
});

const getPool = (poolId: bigint, blockNumber?: bigint) =>
  chain.client.readContract({
    address: chain.deployment.contracts.AIServiceAMM,
    abi: aiServiceAmmAbi,
    functionName: "getPool",
    args: [poolId],
    blockNumber,
  });
const feeOf = async (poolId: bigint) => (await getPool(poolId)).fee;
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const getJson = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as any };
};

/** The real indexer's answer for a pool (null when it does not know the pool: 404). */
async function realStats(poolId: bigint, window = windowSeconds): Promise<PoolStats | null> {
  const { status, body } = await getJson(`${indexer!.url}/pools/${chainId}/${poolId}/stats?window=${window}`);
  if (status === 404) return null;
  expect(status).toBe(200);
  return {
    realizedVolatility: body.realizedVolatility,
    volatilitySamples: body.volatilitySamples,
    swapCount: body.swapCount,
  };
}

/** What `decide()` computes from the chain at `blockNumber` and the real indexer's stats, under `policy`. */
async function expectedDecisions(blockNumber: bigint, policy: FeePolicy): Promise<FeeDecision[]> {
  const block = await chain.client.getBlock({ blockNumber });
  const states = await Promise.all(
    pools.map(async (poolId) => {
      const p = await getPool(poolId, blockNumber);
      return {
        poolId,
        fee: p.fee,
        lastFeeUpdate: p.lastFeeUpdate,
        bounds: {
          minFee: p.feeBounds.minFee,
          maxFee: p.feeBounds.maxFee,
          maxStep: p.feeBounds.maxStep,
          minInterval: p.feeBounds.minInterval,
        },
        stats: await realStats(poolId),
      };
    }),
  );
  return decide({ now: Number(block.timestamp), policy, pools: states });
}

/** The tick's decisions without their transaction outcomes, to compare with `decide()`. */
const decisionsOf = (tick: TickResult): FeeDecision[] =>
  tick.decisions.map(({ outcome: _outcome, ...decision }) => decision as FeeDecision);

async function startRealIndexer(port?: number): Promise<Indexer> {
  return startIndexer({
    chainIds: [chainId],
    rpcUrls: { [chainId]: chain.anvil.rpcUrl },
    schema: `fee_keeper_${process.pid}`,
    port,
  });
}

/** Waits until the indexer has indexed the chain's current head (Ponder's `/status`). */
async function indexerAtHead(): Promise<void> {
  const head = await chain.client.getBlockNumber();
  await until(
    async () => ((await indexedBlock(indexer!.url, chainId).catch(() => undefined)) ?? -1n) >= head,
    60_000,
  );
}

const swapsIn = (poolId: bigint) =>
  actions.filter((a) => a.ok && a.kind === "swap" && a.poolIds[0] === poolId).length;

// σ and sample counts of the volatile and the thin pool, read from the real indexer in beforeAll.
let sigmaA: number;
let samplesA: number;
let sigmaB: number;
let samplesB: number;
/** The first tests' policy: pool A's target is 8 000 pips; pool B has one sample too few. */
let raisePolicy: FeePolicy;
/** The later tests' policy: pool B's target is 750 pips and it has enough samples. */
let lowerPolicy: FeePolicy;

beforeAll(async () => {
  // Interval mining: Ponder misses blocks of an auto-mining anvil.
  chain = await startTestChain(chainId, { FEE_KEEPER: keeper, MIN_FEE_INTERVAL: "3600" }, { blockTime: 1 });
  const ctx = scenarioContext(chain.deployment, chain.anvil.rpcUrl, anvilKeys[0], devAccountKeys(10, 8));
  // Ponder starts (~10 s) while the agents trade: six agents on the first pool, two a little on the second;
  // the last two pools get liquidity but no swaps.
  const trade = async () => {
    const markets = await seedPools(ctx);
    pools = markets.map((m) => m.poolId);
    actions = (
      await Promise.all([
        runAgents({ ...ctx, agents: ctx.agents.slice(0, 6) }, [markets[0]!], { actions: 36, seed: 7 }),
        runAgents({ ...ctx, agents: ctx.agents.slice(6) }, [markets[1]!], { actions: 8, seed: 11 }),
      ])
    ).flat();
  };
  const [started, traded] = await Promise.allSettled([startRealIndexer(), trade()]);
  if (started.status === "fulfilled") indexer = started.value;
  if (started.status === "rejected") throw started.reason;
  if (traded.status === "rejected") throw traded.reason;
  await indexerAtHead();

  const [a, b, c, d] = await Promise.all(pools.map((id) => realStats(id)));
  // The indexer saw every swap the agents made.
  expect([a, b, c, d].map((s) => s?.swapCount)).toEqual(pools.map(swapsIn));
  expect(a!.realizedVolatility).toBeGreaterThan(0);
  expect(b!.realizedVolatility).toBeGreaterThan(0);
  expect(c).toMatchObject({ realizedVolatility: null, volatilitySamples: 0 });
  expect(d).toMatchObject({ realizedVolatility: null, volatilitySamples: 0 });
  sigmaA = a!.realizedVolatility!;
  samplesA = a!.volatilitySamples;
  sigmaB = b!.realizedVolatility!;
  samplesB = b!.volatilitySamples;
  expect(samplesB).toBeGreaterThanOrEqual(2); // MIN_SAMPLES is at least 2
  expect(samplesA).toBeGreaterThan(samplesB);
  raisePolicy = { baseFee: 500, feePerVol: 7_500 / sigmaA, deadband: 100, minSamples: samplesB + 1 };
  lowerPolicy = { baseFee: 500, feePerVol: 250 / sigmaB, deadband: 100, minSamples: samplesB };
});

afterAll(async () => {
  await running?.stop();
  await indexer?.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("fee keeper", () => {
  it("raises a volatile pool's fee by one step, skips what it should, and says why", async () => {
    const [A, B, C, D] = pools as [bigint, bigint, bigint, bigint];
    running = await startFeeKeeper(loadFeeKeeperConfig({ env: env(raisePolicy) }), {
      runAtStart: false,
      writeLog,
    });
    expect(running.ctx.policy).toEqual(raisePolicy);
    const nonce = await nonceOf();

    const tick = await runOnce(running.ctx);
    expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber, raisePolicy));
    expect(tick.decisions.map((d) => [d.poolId, d.kind, d.kind === "skip" ? d.skip : d.newFee])).toEqual([
      [A, "set-fee", 4_000],
      [B, "skip", "too-few-samples"],
      [C, "skip", "no-stats"],
      [D, "skip", "no-stats"],
    ]);
    expect(tick.decisions[0]).toMatchObject({ sigma: sigmaA, samples: samplesA, targetFee: 8_000 });
    expect(tick.decisions[2]!.reason).toBe("σ unavailable (null); fee stays 3000");
    // The keeper asked for its own window: the indexer's default window gives another σ.
    expect((await realStats(A, 86_400))!.realizedVolatility).not.toBe(sigmaA);
    expect(tick.decisions[0]!.outcome).toMatchObject({ status: "mined" });
    expect(await feeOf(A)).toBe(4_000);
    expect(await feeOf(B)).toBe(3_000);
    expect(await nonceOf()).toBe(nonce + 1);

    const { status, body } = await getJson(`${running.url}/decisions?action=set-fee`);
    expect(status).toBe(200);
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({
      chainId,
      poolId: String(A),
      sigma: sigmaA,
      samples: samplesA,
      oldFee: 3_000,
      targetFee: 8_000,
      clampedTarget: 8_000,
      newFee: 4_000,
      action: "set-fee",
      intentId: `fee:${chainId}:${chain.deployment.contracts.AIServiceAMM.toLowerCase()}:${A}:0`,
      tx: { hash: tick.decisions[0]!.outcome!.hash, status: "mined" },
    });
    expect(body.decisions[0].reason).toContain("moving fee 3000 → 4000 (limited by maxStep 1000)");
    const all = await getJson(`${running.url}/decisions`);
    expect(all.body.decisions.map((d: { skipReason: string | null }) => d.skipReason)).toEqual([
      "no-stats",
      "no-stats",
      "too-few-samples",
      null,
    ]);
  });

  it("does not touch a pool again inside its fee interval, and moves it again after", async () => {
    const A = pools[0]!;
    const nonce = await nonceOf();
    const again = await runOnce(running!.ctx);
    expect(decisionsOf(again)).toEqual(await expectedDecisions(again.blockNumber, raisePolicy));
    expect(again.decisions[0]).toMatchObject({ kind: "skip", skip: "too-soon" });
    expect(await nonceOf()).toBe(nonce);

    await chain.rpc("evm_increaseTime", [3_600]);
    await chain.rpc("evm_mine");
    // The keeper refuses stats older than MAX_STATS_AGE_SECONDS by the chain clock: let the indexer catch up.
    await indexerAtHead();
    const later = await runOnce(running!.ctx);
    expect(decisionsOf(later)).toEqual(await expectedDecisions(later.blockNumber, raisePolicy));
    expect(later.decisions[0]).toMatchObject({
      kind: "set-fee",
      sigma: sigmaA,
      oldFee: 4_000,
      newFee: 5_000,
    });
    expect(later.decisions[0]!.outcome!.status).toBe("mined");
    expect(await feeOf(A)).toBe(5_000);
    expect(await nonceOf()).toBe(nonce + 1);
  });

  it("answers /healthz and /metrics, and sees its fee changes on chain", async () => {
    const url = running!.url;
    const health = await getJson(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, status: "ok" });

    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    expect(text).toMatch(/keeper_ticks_total\{result="ok",keeper="fee"\} 3/);
    expect(text).toMatch(/keeper_tx_mined_total\{keeper="fee"\} 2/);
    expect(text).toMatch(/keeper_tx_sent_total\{keeper="fee"\} 2/);
    expect(text).toMatch(/fee_keeper_decisions_total\{action="skip",reason="too-soon",keeper="fee"\} 1/);
    expect(text).toMatch(new RegExp(`fee_keeper_pool_fee_pips\\{pool="${pools[0]}",keeper="fee"\\} 5000`));
    expect(text).toContain(`fee_keeper_pool_volatility{pool="${pools[0]}",keeper="fee"} ${sigmaA}`);
    expect(text).toMatch(/keeper_last_success_timestamp_seconds\{keeper="fee"\} \d+/);
    // The FeeUpdated watcher (viem block watching → logs) sees both changes.
    await until(async () =>
      /fee_keeper_fee_updates_seen_total\{by="keeper",keeper="fee"\} 2/.test(
        await (await fetch(`${url}/metrics`)).text(),
      ),
    );
  });

  it("treats an unreachable indexer as retryable: the tick fails, the keeper lives, health says why", async () => {
    await running!.stop();
    running = await startFeeKeeper(
      loadFeeKeeperConfig({ env: env(raisePolicy, { HEALTH_MAX_AGE_SECONDS: "1" }) }),
      { runAtStart: false, writeLog },
    );
    // Stop the real indexer: nothing listens on its port any more.
    const port = indexer!.port;
    await indexer!.stop();
    indexer = undefined;

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

    // The indexer comes back at the same URL (a fresh Ponder, which indexes the chain again).
    indexer = await startRealIndexer(port);
    await indexerAtHead();
    await running.tick();
    expect((await getJson(`${running.url}/healthz`)).status).toBe(200);
    // Restarted with the same store: the earlier decisions are still there.
    expect((await getJson(`${running.url}/decisions?action=set-fee`)).body.decisions).toHaveLength(2);
  });

  it("in dry-run mode decides and simulates but sends nothing", async () => {
    const B = pools[1]!;
    await running!.stop();
    running = await startFeeKeeper(
      loadFeeKeeperConfig({
        env: env(lowerPolicy, { DB_PATH: path.join(dir, "dry.sqlite") }),
        argv: ["--dry-run"],
      }),
      { runAtStart: false, writeLog },
    );
    const nonce = await nonceOf();
    const tick = await runOnce(running.ctx);
    expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber, lowerPolicy));
    const d = tick.decisions.find((x) => x.poolId === B);
    expect(d).toMatchObject({
      kind: "set-fee",
      sigma: sigmaB,
      samples: samplesB,
      oldFee: 3_000,
      targetFee: 750,
      newFee: 2_000,
      outcome: { status: "dry-run" },
    });
    expect(await feeOf(B)).toBe(3_000);
    expect(await nonceOf()).toBe(nonce);
    await running.stop();
  });

  it("runs as a process: ticks on its cron schedule, serves /healthz, and exits 0 on SIGTERM", async () => {
    const B = pools[1]!;
    const child = spawn(path.join(repoRoot, "node_modules/.bin/tsx"), ["keepers/fee/main.ts"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH!,
        ...env(lowerPolicy, {
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
      await until(async () => (await feeOf(B)) === 2_000, 30_000);
      // Logs are JSON, one object per line, each naming its component.
      const lines = stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { at: string; msg: string });
      expect(lines.every((l) => typeof l.at === "string")).toBe(true);
      expect(
        lines.some(
          (l) => l.at === "fee" && l.msg.startsWith(`decision: σ=${sigmaB.toFixed(4)} → target 750 pips`),
        ),
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

  it("sends a fee change a reorg took off the chain again, and is not healthy while it stays off", async () => {
    const A = pools[0]!;
    const store = openStore(path.join(dir, "fee.sqlite"));
    // The keeper's newest fee change (the second test's, 4 000 → 5 000, under the id of the epoch it ended).
    const prefix = `fee:${chainId}:${chain.deployment.contracts.AIServiceAMM.toLowerCase()}:${A}:`;
    const mined = store
      .recentIntents()
      .filter((i) => i.id.startsWith(prefix) && i.status === "mined")
      .sort((a, b) => b.minedBlock! - a.minedBlock!)[0]!;
    const intentId = mined.id;
    expect(await feeOf(A)).toBe(5_000);

    // The reorg replaces every block from the fee change's on: the fee and lastFeeUpdate (which keys the intent)
    // are back where they were, so the keeper decides the same change under the same intent id.
    const head = await chain.client.getBlock({ blockTag: "latest" });
    await chain.rpc("anvil_reorg", [Number(head.number) - mined.minedBlock! + 1, []]);
    expect(await feeOf(A)).toBe(4_000);
    expect((await getPool(A)).lastFeeUpdate).toBe(Number(intentId.slice(prefix.length)));
    // Ponder reindexes after a reorg in its own time: its stats (σ of trades long before) are taken as they are.
    const relaxed = { MAX_STATS_AGE_SECONDS: "86400" };

    // A dry-run keeper on the same store sends nothing: its runs complete, yet it is not healthy.
    const dry = await startFeeKeeper(
      loadFeeKeeperConfig({
        env: env(raisePolicy, { ...relaxed, HEALTH_MAX_AGE_SECONDS: "1" }),
        argv: ["--dry-run"],
      }),
      { runAtStart: false, writeLog },
    );
    try {
      const tick = await runOnce(dry.ctx);
      // The same change under the same id, as before the reorg.
      expect(tick.decisions[0]).toMatchObject({ kind: "set-fee", oldFee: 4_000, newFee: 5_000 });
      expect(tick.decisions[0]!.outcome).toMatchObject({ intentId, status: "pending" });
      await new Promise((r) => setTimeout(r, 1_100));
      await runOnce(dry.ctx);
      const health = await getJson(`${dry.url}/healthz`);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ ok: false, status: "stuck" });
      expect(health.body.reason).toContain(`a reorg took off the chain are not back on it (${intentId})`);
    } finally {
      await dry.stop();
    }

    // The keeper sends it again — its stored signed transaction — and the pool's fee moves.
    running = await startFeeKeeper(loadFeeKeeperConfig({ env: env(raisePolicy, relaxed) }), {
      runAtStart: false,
      writeLog,
    });
    const after = await runOnce(running.ctx);
    expect(await feeOf(A)).toBe(5_000);
    expect(after.decisions[0]).toMatchObject({ kind: "skip", skip: "too-soon" });
    const again = store.getIntent(intentId)!.intent;
    expect(again).toMatchObject({ status: "mined", minedHash: mined.minedHash, orphanedAt: null });
    const block = await chain.client.getBlock({ blockNumber: BigInt(again.minedBlock!) });
    expect(again.minedBlockHash).toBe(block.hash);
    expect(block.transactions).toContain(mined.minedHash);
    expect((await getJson(`${running.url}/healthz`)).status).toBe(200);
    store.close();
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
