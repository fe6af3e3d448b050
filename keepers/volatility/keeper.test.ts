import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { volatilityFeedAbi } from "../../generated/abis.js";
import { startIndexer, type Indexer } from "../../indexer/lib/start.js";
import { devAccountKeys } from "../../scripts/lib/accounts.js";
import { indexedBlock } from "../../scripts/lib/readModels.js";
import { runAgents, scenarioContext, seedPools } from "../../scripts/lib/scenario.js";
import { IndexerUnavailableError, type PoolStats } from "../lib/indexer.js";
import { openStore } from "../lib/store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import { loadVolatilityKeeperConfig } from "./config.js";
import { decide, sigmaToWad, type VolatilityDecision, type VolatilityPolicy } from "./decide.js";
import { runOnce, type TickResult } from "./keeper.js";
import { startVolatilityKeeper, type RunningVolatilityKeeper } from "./main.js";

// The volatility keeper on a real anvil with the real deployment (VolatilityFeed with its default bounds set by the
// deploy script), agents trading through the real AMM, and the real indexer (Ponder, on its own PGlite) serving
// `/pools/:chainId/:poolId/stats` — the approach of the fee keeper's keeper.test.ts, with its helpers. σ is whatever
// the trades made it: each test checks the keeper decided exactly what `decide()` computes from the chain at the
// tick's block and the indexer's stats, and what the feed holds afterwards.
const chainId = 31450;
const keeperKey = anvilKeys[3];
const keeper = privateKeyToAccount(keeperKey).address;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "volatility-keeper-"));
/**
 * The keeper's σ window: a day, so that the trades stay inside it while the tests move the clock on by hours. A week's
 * window gives another σ (the same squared returns over a longer window, σ ∝ 1/√window): the step tests' target.
 */
const windowSeconds = 86_400;
const wideWindowSeconds = 604_800;
// The feed's default bounds (deploy settings): a tiny step so that a step is visibly limited; stale after 2 h.
const minInterval = 3_600;
const maxAge = 7_200;
const maxStepWad = 10n ** 15n; // 0.1 %

let chain: TestChain;
let indexer: Indexer;
let feed: `0x${string}`;
/** [volatile (many swaps), thin (a few swaps), idle], as seeded. */
let pools: [bigint, bigint, bigint];
let running: RunningVolatilityKeeper | undefined;
const logs: string[] = [];
const writeLog = (line: string) => void logs.push(line);
let samplesB: number;

const env = (over: Record<string, string> = {}) => ({
  CHAIN_ID: String(chainId),
  RPC_URLS: chain.anvil.rpcUrl,
  PRIVATE_KEY: keeperKey,
  INDEXER_URL: indexer.url,
  POOL_IDS: pools.join(","),
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  DB_PATH: path.join(dir, "volatility.sqlite"),
  HTTP_PORT: "0",
  SCHEDULE: "0 0 1 1 *", // ticks are driven by the tests
  VOL_WINDOW_SECONDS: String(windowSeconds),
  MIN_SAMPLES: String(samplesB + 1), // the thin pool has one sample too few
  HEALTH_MAX_AGE_SECONDS: "60",
  LOG_LEVEL: "warn",
  POLLING_INTERVAL_MS: "100",
  ...over,
});

async function start(
  over: Record<string, string> = {},
  options: Parameters<typeof startVolatilityKeeper>[1] = {},
) {
  await running?.stop();
  running = await startVolatilityKeeper(loadVolatilityKeeperConfig({ env: env(over) }), {
    runAtStart: false,
    writeLog,
    ...options,
  });
  return running;
}

const poolVolatility = (poolId: bigint, blockNumber?: bigint) =>
  chain.client.readContract({
    address: feed,
    abi: volatilityFeedAbi,
    functionName: "poolVolatility",
    args: [poolId],
    blockNumber,
  });
const volatilityOf = (poolId: bigint) =>
  chain.client.readContract({
    address: feed,
    abi: volatilityFeedAbi,
    functionName: "volatilityOf",
    args: [poolId],
  });
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const getJson = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as any };
};

/** The real indexer's answer for a pool (null when it does not know the pool: 404). */
async function realStats(poolId: bigint, window: number): Promise<PoolStats | null> {
  const { status, body } = await getJson(`${indexer.url}/pools/${chainId}/${poolId}/stats?window=${window}`);
  if (status === 404) return null;
  expect(status).toBe(200);
  return {
    realizedVolatility: body.realizedVolatility,
    volatilitySamples: body.volatilitySamples,
    swapCount: body.swapCount,
    asOf: body.asOf,
  };
}

/** What `decide()` computes from the chain at `blockNumber` and the real indexer's stats, under the keeper's policy. */
async function expectedDecisions(blockNumber: bigint): Promise<VolatilityDecision[]> {
  const { ctx } = running!;
  const block = await chain.client.getBlock({ blockNumber });
  const defaults = await chain.client.readContract({
    address: feed,
    abi: volatilityFeedAbi,
    functionName: "defaultBounds",
    blockNumber,
  });
  const states = await Promise.all(
    pools.map(async (poolId) => {
      const p = await poolVolatility(poolId, blockNumber);
      return {
        poolId,
        volatilityWad: p.volatilityWad,
        updatedAt: p.updatedAt,
        configured: p.configured,
        bounds: { ...(p.configured ? p.bounds : defaults) },
        stats: await realStats(poolId, ctx.volWindowSeconds),
      };
    }),
  );
  return decide({ now: Number(block.timestamp), policy: ctx.policy, pools: states });
}

/** The tick's decisions without their transaction outcomes, to compare with `decide()`. */
const decisionsOf = (tick: TickResult): VolatilityDecision[] =>
  tick.decisions.map(({ outcome: _outcome, ...decision }) => decision as VolatilityDecision);

/** Waits until the indexer has indexed the chain's current head (Ponder's `/status`). */
async function indexerAtHead(): Promise<void> {
  const head = await chain.client.getBlockNumber();
  await until(
    async () => ((await indexedBlock(indexer.url, chainId).catch(() => undefined)) ?? -1n) >= head,
    60_000,
  );
}

/** Moves the chain clock on and lets the indexer catch up (the keeper refuses stats older than 300 s). */
async function later(seconds: number): Promise<void> {
  await chain.rpc("evm_increaseTime", [seconds]);
  await chain.rpc("evm_mine");
  await indexerAtHead();
}

beforeAll(async () => {
  // Interval mining: Ponder misses blocks of an auto-mining anvil.
  chain = await startTestChain(
    chainId,
    {
      VOLATILITY_KEEPER: keeper,
      VOLATILITY_MIN: String(maxStepWad),
      VOLATILITY_MAX_STEP: String(maxStepWad),
      VOLATILITY_MIN_INTERVAL: String(minInterval),
      VOLATILITY_MAX_AGE: String(maxAge),
    },
    { blockTime: 1 },
  );
  feed = chain.deployment.contracts.VolatilityFeed;
  const ctx = scenarioContext(chain.deployment, chain.anvil.rpcUrl, anvilKeys[0], devAccountKeys(10, 8));
  // Ponder starts (~10 s) while the agents trade: six agents on the first pool, two a little on the second; the
  // third gets liquidity but no swaps.
  const trade = async () => {
    const markets = await seedPools(ctx);
    pools = markets.slice(0, 3).map((m) => m.poolId) as [bigint, bigint, bigint];
    await Promise.all([
      runAgents({ ...ctx, agents: ctx.agents.slice(0, 6) }, [markets[0]!], { actions: 36, seed: 7 }),
      runAgents({ ...ctx, agents: ctx.agents.slice(6) }, [markets[1]!], { actions: 8, seed: 11 }),
    ]);
  };
  const [started, traded] = await Promise.allSettled([
    startIndexer({
      chainIds: [chainId],
      rpcUrls: { [chainId]: chain.anvil.rpcUrl },
      schema: `volatility_keeper_${process.pid}`,
    }),
    trade(),
  ]);
  if (started.status === "rejected") throw started.reason;
  indexer = started.value;
  if (traded.status === "rejected") throw traded.reason;
  await indexerAtHead();

  const [a, b, c] = await Promise.all(pools.map((id) => realStats(id, windowSeconds)));
  expect(a!.realizedVolatility).toBeGreaterThan(0);
  expect(b!.realizedVolatility).toBeGreaterThan(0);
  expect(c).toMatchObject({ realizedVolatility: null, volatilitySamples: 0 });
  samplesB = b!.volatilitySamples;
  expect(samplesB).toBeGreaterThanOrEqual(2);
  expect(a!.volatilitySamples).toBeGreaterThan(samplesB);
  // Both targets lie inside the default bounds [0.1 %, 500 %] and more than two steps apart: the step tests move
  // from one toward the other.
  const narrow = sigmaToWad(a!.realizedVolatility!);
  const wide = sigmaToWad((await realStats(pools[0], wideWindowSeconds))!.realizedVolatility!);
  for (const target of [narrow, wide]) {
    expect(target).toBeGreaterThan(maxStepWad);
    expect(target).toBeLessThan(5n * 10n ** 18n);
  }
  expect(narrow - wide).toBeGreaterThan(2n * maxStepWad);
}, 240_000);

afterAll(async () => {
  await running?.stop();
  await indexer?.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("volatility keeper", () => {
  it("sets a pool's first volatility from its realized σ, skips what it should, and says why", async () => {
    const [A, B, C] = pools;
    await start();
    const nonce = await nonceOf();
    await expect(volatilityOf(A)).rejects.toThrow(/VolatilityUnset/);

    const tick = await runOnce(running!.ctx);
    expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber));
    expect(tick.decisions.map((d) => [d.poolId, d.kind === "skip" ? d.skip : d.mode])).toEqual([
      [A, "initial"],
      [B, "too-few-samples"],
      [C, "no-stats"],
    ]);
    const d = tick.decisions[0]!;
    if (d.kind !== "set-volatility") throw new Error("expected a write");
    // Inside the default bounds [0.1 %, 500 %]: the first value is the clamped target, whatever the step.
    expect(d.newWad).toBe(d.clampedWad);
    expect(d.outcome).toMatchObject({ status: "mined" });
    expect(await volatilityOf(A)).toBe(d.newWad);
    expect((await poolVolatility(A)).bounds).toMatchObject({ maxStepWad, minInterval, maxAge });
    await expect(volatilityOf(B)).rejects.toThrow(/VolatilityUnset/);
    expect(tick.decisions[2]!.reason).toBe("σ unavailable (null); volatility stays unset");
    expect(await nonceOf()).toBe(nonce + 1);

    const { status, body } = await getJson(`${running!.url}/decisions?action=set-volatility`);
    expect(status).toBe(200);
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({
      chainId,
      poolId: String(A),
      sigma: d.sigma,
      oldWad: "0",
      updatedAt: 0,
      staleAt: null,
      targetWad: d.targetWad!.toString(),
      newWad: d.newWad.toString(),
      mode: "initial",
      action: "set-volatility",
      intentId: `volatility:${chainId}:${feed.toLowerCase()}:${A}:0`,
      tx: { hash: d.outcome!.hash, status: "mined" },
    });
    const all = await getJson(`${running!.url}/decisions`);
    expect(all.body.decisions.map((r: { skipReason: string | null }) => r.skipReason)).toEqual([
      "no-stats",
      "too-few-samples",
      null,
    ]);
  });

  it("waits out the feed's interval, then steps toward a new target by at most maxStep", async () => {
    const A = pools[0];
    const nonce = await nonceOf();
    const again = await runOnce(running!.ctx);
    expect(decisionsOf(again)).toEqual(await expectedDecisions(again.blockNumber));
    expect(again.decisions[0]).toMatchObject({ kind: "skip", skip: "too-soon" });
    expect(await nonceOf()).toBe(nonce);

    await later(minInterval);
    // Another window gives another σ, more than one step away.
    await start({ VOL_WINDOW_SECONDS: String(wideWindowSeconds), DEADBAND: "0" });
    const before = (await poolVolatility(A)).volatilityWad;
    const tick = await runOnce(running!.ctx);
    expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber));
    const d = tick.decisions[0]!;
    expect(d).toMatchObject({ kind: "set-volatility", mode: "step", oldWad: before });
    if (d.kind !== "set-volatility") throw new Error("expected a write");
    const moved = d.newWad - before;
    expect(moved === maxStepWad || moved === -maxStepWad).toBe(true);
    expect(d.reason).toContain("(limited by maxStep 0.1%)");
    expect(d.outcome!.status).toBe("mined");
    expect(await volatilityOf(A)).toBe(d.newWad);
    expect(await nonceOf()).toBe(nonce + 1);
  });

  it("refreshes an unchanged value before maxAge, so it never goes stale while the keeper runs", async () => {
    const A = pools[0];
    // A deadband no move can reach: only the refresh writes. Refresh 30 min before the 2 h maxAge.
    await start({ DEADBAND: "100%", REFRESH_MARGIN_SECONDS: "1800" });
    const nonce = await nonceOf();
    const { updatedAt } = await poolVolatility(A);

    await later(minInterval);
    const early = await runOnce(running!.ctx);
    expect(decisionsOf(early)).toEqual(await expectedDecisions(early.blockNumber));
    expect(early.decisions[0]).toMatchObject({ kind: "skip", skip: "within-deadband" });
    expect(early.decisions[0]!.reason).toContain(`no refresh due before ${updatedAt + maxAge - 1_800}`);
    expect(await nonceOf()).toBe(nonce);

    await later(1_800);
    const due = await runOnce(running!.ctx);
    expect(decisionsOf(due)).toEqual(await expectedDecisions(due.blockNumber));
    expect(due.decisions[0]).toMatchObject({
      kind: "set-volatility",
      mode: "refresh",
      staleAt: updatedAt + maxAge,
    });
    expect(due.decisions[0]!.outcome!.status).toBe("mined");
    const refreshed = await poolVolatility(A);
    expect(refreshed.updatedAt).toBeGreaterThan(updatedAt);

    // Past the old value's maxAge: without the refresh option pricing would fail closed now.
    await later(2_000);
    expect((await chain.client.getBlock()).timestamp).toBeGreaterThan(BigInt(updatedAt + maxAge));
    expect(await volatilityOf(A)).toBe(refreshed.volatilityWad);
    expect(await nonceOf()).toBe(nonce + 1);

    // The value now equals the target: the next refresh writes the very value the feed holds, which it accepts.
    await later(3_400);
    const same = await runOnce(running!.ctx);
    expect(decisionsOf(same)).toEqual(await expectedDecisions(same.blockNumber));
    expect(same.decisions[0]).toMatchObject({
      kind: "set-volatility",
      mode: "refresh",
      oldWad: refreshed.volatilityWad,
      newWad: refreshed.volatilityWad,
      outcome: { status: "mined" },
    });
    const again = await poolVolatility(A);
    expect(again.volatilityWad).toBe(refreshed.volatilityWad);
    expect(again.updatedAt).toBeGreaterThan(refreshed.updatedAt);
    expect(await nonceOf()).toBe(nonce + 2);
  });

  it("after a crash between signing and broadcasting, a restart sends the stored write once", async () => {
    const A = pools[0];
    await later(minInterval);
    const { updatedAt } = await poolVolatility(A);
    const intentId = `volatility:${chainId}:${feed.toLowerCase()}:${A}:${updatedAt}`;
    const nonce = await nonceOf();
    const step = { VOL_WINDOW_SECONDS: String(wideWindowSeconds), DEADBAND: "0" };

    // The process "dies" right after the signed transaction reached the store, before any broadcast.
    await start(step, { hooks: { onStored: () => Promise.reject(new Error("simulated crash")) } });
    await expect(runOnce(running!.ctx)).rejects.toThrow("simulated crash");
    await running!.stop();
    running = undefined;
    expect(await nonceOf()).toBe(nonce);
    const stored = openStore(path.join(dir, "volatility.sqlite"));
    expect(stored.getIntent(intentId)?.intent.status).toBe("pending");
    stored.close();

    // A new process on the same store: the pending write is broadcast as stored, and nothing else is sent.
    await start(step);
    const tick = await runOnce(running!.ctx);
    expect(await nonceOf()).toBe(nonce + 1);
    expect((await poolVolatility(A)).updatedAt).toBeGreaterThan(updatedAt);
    expect(tick.decisions[0]).toMatchObject({ kind: "skip", skip: "too-soon" });

    // And again: nothing twice.
    await start(step);
    await runOnce(running!.ctx);
    expect(await nonceOf()).toBe(nonce + 1);
    const rows = running!.ctx.decisions.list({ action: "set-volatility", poolId: String(A) });
    expect(rows[0]!.intentId).toBe(intentId);
    expect(new Set(rows.map((r) => r.intentId)).size).toBe(rows.length);
  });

  it("answers /healthz and /metrics, and in dry-run mode decides and simulates but sends nothing", async () => {
    await later(minInterval);
    // A fresh store: its watcher reads every VolatilityUpdated since the deployment.
    await start({
      DB_PATH: path.join(dir, "dry.sqlite"),
      VOL_WINDOW_SECONDS: String(wideWindowSeconds),
      DEADBAND: "0",
      DRY_RUN: "true",
    });
    const A = pools[0];
    const nonce = await nonceOf();
    const before = await poolVolatility(A);
    const tick = await runOnce(running!.ctx);
    expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber));
    expect(tick.decisions[0]).toMatchObject({ kind: "set-volatility", outcome: { status: "dry-run" } });
    expect(await poolVolatility(A)).toEqual(before);
    expect(await nonceOf()).toBe(nonce);

    const url = running!.url;
    const health = await getJson(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, status: "ok" });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    expect(text).toMatch(/keeper_ticks_total\{result="ok",keeper="volatility"\} 1/);
    expect(text).toMatch(
      /volatility_keeper_decisions_total\{action="set-volatility",reason="",keeper="volatility"\} 1/,
    );
    expect(text).toMatch(
      /volatility_keeper_decisions_total\{action="skip",reason="no-stats",keeper="volatility"\} 1/,
    );
    expect(text).toContain(
      `volatility_keeper_pool_stale_at_seconds{pool="${A}",keeper="volatility"} ${before.updatedAt + maxAge}`,
    );
    expect(text).toMatch(
      new RegExp(`volatility_keeper_pool_volatility\\{pool="${A}",keeper="volatility"\\} [\\d.]+\n`),
    );
    // The VolatilityUpdated watcher sees the five writes: first value, step, two refreshes, the resumed step.
    await until(async () =>
      /volatility_keeper_updates_seen_total\{by="keeper",keeper="volatility"\} 5/.test(
        await (await fetch(`${url}/metrics`)).text(),
      ),
    );
  });

  it("treats an unreachable indexer as retryable: the tick fails, the keeper lives, health says why", async () => {
    // Nothing listens on port 9 of localhost.
    await start({ INDEXER_URL: "http://127.0.0.1:9", HEALTH_MAX_AGE_SECONDS: "1", DRY_RUN: "true" });
    await expect(runOnce(running!.ctx)).rejects.toBeInstanceOf(IndexerUnavailableError);
    await running!.tick(); // the scheduled path swallows and counts it
    const health = await getJson(`${running!.url}/healthz`);
    expect(health.status).toBe(503);
    expect(health.body.reason).toContain("indexer unavailable");
    const text = await (await fetch(`${running!.url}/metrics`)).text();
    expect(text).toMatch(/volatility_keeper_indexer_errors_total\{keeper="volatility"\} 2/);
    await running!.stop();
    running = undefined;
  });

  it("runs as a process: ticks on its cron schedule, serves /healthz, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      path.join(repoRoot, "node_modules/.bin/tsx"),
      ["keepers/volatility/main.ts", "--dry-run"],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH!,
          ...env({ DB_PATH: path.join(dir, "process.sqlite"), SCHEDULE: "*/2 * * * * *", LOG_LEVEL: "info" }),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
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
      const lines = () =>
        stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { at: string; msg: string });
      await until(
        () => lines().some((l) => l.at === "volatility" && l.msg.startsWith("decision: σ=")),
        30_000,
      );
      // Logs are JSON, one object per line, each naming its component.
      expect(lines().every((l) => typeof l.at === "string")).toBe(true);
      expect(stdout).not.toContain(keeperKey.slice(2));
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exit).toBe(0);
    expect(stdout).toContain('"msg":"shutting down","signal":"SIGTERM"');
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
