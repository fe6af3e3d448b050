import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createWalletClient, erc20Abi, http, parseAbi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiPowerYieldFarmAbi } from "../../generated/abis.js";
import { openStore } from "../lib/store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import { isNoPriceRoute } from "./chain.js";
import { loadApyKeeperConfig } from "./config.js";
import { decide, WAD, type ApyDecision, type ApyPolicy, type PoolRateState } from "./decide.js";
import { runOnce, type TickResult } from "./keeper.js";
import { startApyKeeper, type RunningApyKeeper } from "./main.js";

// The APY keeper on a real anvil with the real deployment (the deploy script, APY_KEEPER = the keeper's own
// key; the deployer holds FARM_OPERATOR and MINTER on a local chain). Three farm pools:
//   0: AITBC → AITBC, funded at 0.01 AITBC/s for 100 days, 1 000 000 AITBC staked by two accounts: it pays
//      31.536 % a year, far above the keeper's 10 % target at u = 1 (TARGET_STAKE = 1 000 000 AITBC);
//   1: AITBC staked for GPUH rewards, funded and staked, but no AMM pool prices GPUH in AITBC (no-price-route);
//   2: AITBC → AITBC, never funded (period-not-active).
// Every tick is checked against what `decide()` computes from the chain at the tick's block.
const chainId = 31406;
const keeperKey = anvilKeys[3];
const keeper = privateKeyToAccount(keeperKey).address;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "apy-keeper-"));
const e18 = WAD;
const rate0 = e18 / 100n; // 0.01 AITBC per second
const duration = 100n * 86_400n;
const bounds = {
  minRate: e18 / 1_000n,
  maxRate: e18 / 10n,
  maxStep: (2n * e18) / 1_000n,
  minInterval: 3_600,
};

let chain: TestChain;
let farm: Address;
let running: RunningApyKeeper | undefined;
const logs: string[] = [];
const writeLog = (line: string) => void logs.push(line);

const env = (over: Record<string, string> = {}) => ({
  CHAIN_ID: String(chainId),
  RPC_URLS: chain.anvil.rpcUrl,
  PRIVATE_KEY: keeperKey,
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  DB_PATH: path.join(dir, "apy.sqlite"),
  HTTP_PORT: "0",
  SCHEDULE: "0 0 1 1 *", // ticks are driven by the tests
  TARGET_STAKE: "1000000e18",
  BASE_APY: "10%",
  HEALTH_MAX_AGE_SECONDS: "60",
  LOG_LEVEL: "warn",
  POLLING_INTERVAL_MS: "100",
  ...over,
});
const start = (over: Record<string, string> = {}, options: Parameters<typeof startApyKeeper>[1] = {}) =>
  startApyKeeper(loadApyKeeperConfig({ env: env(over) }), { runAtStart: false, writeLog, ...options });

const getPool = (poolId: bigint, blockNumber?: bigint) =>
  chain.client.readContract({
    address: farm,
    abi: aiPowerYieldFarmAbi,
    functionName: "getPool",
    args: [poolId],
    blockNumber,
  });
const rateOf = async (poolId: bigint) => (await getPool(poolId)).rewardRate;
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const later = async (seconds: number) => {
  await chain.rpc("evm_increaseTime", [seconds]);
  await chain.rpc("evm_mine");
};
const getJson = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as any };
};

/** What `decide()` computes from the chain at `blockNumber`, read here independently of the keeper. */
async function expectedDecisions(blockNumber: bigint, policy: ApyPolicy): Promise<ApyDecision[]> {
  const block = await chain.client.getBlock({ blockNumber });
  const pools: PoolRateState[] = [];
  for (const poolId of [0n, 1n, 2n]) {
    const p = await getPool(poolId, blockNumber);
    const currentApy = await chain.client
      .readContract({
        address: farm,
        abi: aiPowerYieldFarmAbi,
        functionName: "currentApy",
        args: [poolId],
        blockNumber,
      })
      .catch((error: unknown) => {
        if (isNoPriceRoute(error)) return null;
        throw error;
      });
    pools.push({
      poolId,
      rewardRate: p.rewardRate,
      periodFinish: Number(p.periodFinish),
      lastUpdateTime: Number(p.lastUpdateTime),
      lastRateUpdate: Number(p.lastRateUpdate),
      totalStaked: p.totalStaked,
      undistributed: p.undistributed,
      bounds: {
        minRate: p.rateBounds.minRate,
        maxRate: p.rateBounds.maxRate,
        maxStep: p.rateBounds.maxStep,
        minInterval: Number(p.rateBounds.minInterval),
      },
      currentApy,
    });
  }
  return decide({ now: Number(block.timestamp), policy, pools });
}

/** The tick's decisions without their transaction outcomes, to compare with `decide()`. */
const decisionsOf = (tick: TickResult): ApyDecision[] =>
  tick.decisions.map(({ outcome: _outcome, ...decision }) => decision as ApyDecision);
const summary = (tick: TickResult) =>
  tick.decisions.map((d) => [d.poolId, d.kind, d.kind === "skip" ? d.skip : d.newRate]);

beforeAll(async () => {
  chain = await startTestChain(chainId, { APY_KEEPER: keeper });
  farm = chain.deployment.contracts.AIPowerYieldFarm;
  const { AITBC, GPUH } = chain.deployment.contracts;
  const wallet = (key: Hex) =>
    createWalletClient({ account: privateKeyToAccount(key), transport: http(chain.anvil.rpcUrl) });
  const deployer = wallet(anvilKeys[0]);
  const stakers = [wallet(anvilKeys[1]), wallet(anvilKeys[2])];
  const send = async (
    w: ReturnType<typeof wallet>,
    address: Address,
    abi: readonly unknown[],
    functionName: string,
    args: readonly unknown[],
  ) => {
    const hash = await w.writeContract({ chain: null, address, abi, functionName, args } as never);
    const receipt = await chain.client.waitForTransactionReceipt({ hash });
    expect(receipt.status, `${functionName}(${args.join(", ")})`).toBe("success");
  };
  const mint = parseAbi(["function mint(address to, uint256 amount)"]);
  const budget = rate0 * duration;

  await send(deployer, AITBC, mint, "mint", [deployer.account.address, budget]);
  await send(deployer, GPUH, mint, "mint", [deployer.account.address, budget]);
  for (const s of stakers) {
    await send(deployer, AITBC, mint, "mint", [s.account.address, 1_000_000n * e18]);
    await send(s, AITBC, erc20Abi, "approve", [farm, 1_000_000n * e18]);
  }
  await send(deployer, farm, aiPowerYieldFarmAbi, "createPool", [AITBC, AITBC, bounds]);
  await send(deployer, farm, aiPowerYieldFarmAbi, "createPool", [AITBC, GPUH, bounds]);
  await send(deployer, farm, aiPowerYieldFarmAbi, "createPool", [AITBC, AITBC, bounds]);
  await send(deployer, AITBC, erc20Abi, "approve", [farm, budget]);
  await send(deployer, GPUH, erc20Abi, "approve", [farm, budget]);
  await send(deployer, farm, aiPowerYieldFarmAbi, "fundPool", [0n, budget, duration]);
  await send(deployer, farm, aiPowerYieldFarmAbi, "fundPool", [1n, budget, duration]);
  await send(stakers[0]!, farm, aiPowerYieldFarmAbi, "stake", [0n, 600_000n * e18, 0n]);
  await send(stakers[1]!, farm, aiPowerYieldFarmAbi, "stake", [0n, 400_000n * e18, 0n]);
  await send(stakers[0]!, farm, aiPowerYieldFarmAbi, "stake", [1n, 100_000n * e18, 0n]);
  expect((await getPool(0n)).rewardRate).toBe(rate0);
});

afterAll(async () => {
  await running?.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("apy keeper", () => {
  it("lowers an over-paying pool's rate by one step toward the target, skips what it should, and says why", async () => {
    running = await start();
    const policy = running.ctx.policy;
    expect(policy).toMatchObject({ baseApy: e18 / 10n, targetStake: 1_000_000n * e18 });
    const nonce = await nonceOf();

    const tick = await runOnce(running.ctx);
    expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber, policy));
    expect(summary(tick)).toEqual([
      [0n, "set-rate", rate0 - bounds.maxStep],
      [1n, "skip", "no-price-route"],
      [2n, "skip", "period-not-active"],
    ]);
    const d0 = tick.decisions[0]!;
    // 0.01 AITBC/s over 1 000 000 AITBC staked: 31.536 % a year; the target at u = 1 is BASE_APY, 10 %
    expect(d0).toMatchObject({
      currentApy: 315_360_000_000_000_000n,
      targetApy: e18 / 10n,
      utilization: 1,
    });
    expect(d0.reason).toContain("APY 31.54 % → target 10.00 %");
    expect(d0.reason).toContain("(limited by maxStep 2000000000000000)");
    expect(d0.outcome).toMatchObject({
      status: "mined",
      intentId: `apy:${chainId}:${farm.toLowerCase()}:0:0`,
    });
    expect(tick.decisions[2]!.reason).toBe("reward period never funded; rate stays 0");
    expect(await rateOf(0n)).toBe(rate0 - bounds.maxStep);
    expect(await rateOf(1n)).toBe(rate0);
    expect(await nonceOf()).toBe(nonce + 1);
    const events = await chain.client.getContractEvents({
      address: farm,
      abi: aiPowerYieldFarmAbi,
      eventName: "RewardRateUpdated",
      fromBlock: 0n,
    });
    expect(events.map((e) => e.args)).toEqual([
      { poolId: 0n, oldRate: rate0, newRate: rate0 - bounds.maxStep, updatedBy: keeper },
    ]);

    const { status, body } = await getJson(`${running.url}/decisions?action=set-rate`);
    expect(status).toBe(200);
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({
      chainId,
      poolId: "0",
      totalStaked: String(1_000_000n * e18),
      targetStake: String(1_000_000n * e18),
      utilization: 1,
      currentApy: "315360000000000000",
      targetApy: String(e18 / 10n),
      oldRate: String(rate0),
      newRate: String(rate0 - bounds.maxStep),
      action: "set-rate",
      skipReason: null,
      intentId: `apy:${chainId}:${farm.toLowerCase()}:0:0`,
      tx: { hash: d0.outcome!.hash, status: "mined" },
    });
    const all = await getJson(`${running.url}/decisions`);
    expect(all.body.decisions.map((d: { skipReason: string | null }) => d.skipReason)).toEqual([
      "period-not-active",
      "no-price-route",
      null,
    ]);
  });

  it("sends nothing again in the same rate epoch", async () => {
    const nonce = await nonceOf();
    const again = await runOnce(running!.ctx);
    expect(decisionsOf(again)).toEqual(await expectedDecisions(again.blockNumber, running!.ctx.policy));
    expect(again.decisions[0]).toMatchObject({ kind: "skip", skip: "too-soon" });
    // The same intent id asked for directly: reported as mined, never sent again.
    const repeat = await running!.ctx.tx.send({
      intentId: `apy:${chainId}:${farm.toLowerCase()}:0:0`,
      address: farm,
      abi: aiPowerYieldFarmAbi,
      functionName: "setRewardRate",
      args: [0n, rate0 - bounds.maxStep],
    });
    expect(repeat).toMatchObject({ status: "mined", resumed: true });
    expect(await nonceOf()).toBe(nonce);

    const text = await (await fetch(`${running!.url}/metrics`)).text();
    expect(text).toMatch(/keeper_ticks_total\{result="ok",keeper="apy"\} 2/);
    expect(text).toMatch(/keeper_tx_mined_total\{keeper="apy"\} 1/);
    expect(text).toMatch(/apy_keeper_decisions_total\{action="skip",reason="too-soon",keeper="apy"\} 1/);
    expect(text).toMatch(/apy_keeper_decisions_total\{action="set-rate",reason="",keeper="apy"\} 1/);
    expect(text).toContain(
      `apy_keeper_pool_reward_rate{pool="0",keeper="apy"} ${Number(rate0 - bounds.maxStep)}`,
    );
    expect(text).toContain(`apy_keeper_pool_target_apy{pool="0",keeper="apy"} 0.1`);
    expect(text).toContain(`apy_keeper_pool_utilization{pool="0",keeper="apy"} 1`);
    const health = await getJson(`${running!.url}/healthz`);
    expect(health).toMatchObject({ status: 200, body: { ok: true, status: "ok" } });
    // The RewardRateUpdated watcher sees the keeper's change.
    await until(async () =>
      /apy_keeper_rate_updates_seen_total\{by="keeper",keeper="apy"\} 1/.test(
        await (await fetch(`${running!.url}/metrics`)).text(),
      ),
    );
  });

  it("after a crash between signing and broadcasting, a restart sends the stored write once", async () => {
    await running!.stop();
    // Twenty days at the lowered rate: the pool saves budget it can later pay out as a raise.
    await later(20 * 86_400);
    const epoch = Number((await getPool(0n)).lastRateUpdate);
    const intentId = `apy:${chainId}:${farm.toLowerCase()}:0:${epoch}`;
    const nonce = await nonceOf();

    // The process "dies" right after the signed transaction reached the store, before any broadcast.
    running = await start({}, { hooks: { onStored: () => Promise.reject(new Error("simulated crash")) } });
    await expect(runOnce(running.ctx)).rejects.toThrow("simulated crash");
    await running.stop();
    expect(await nonceOf()).toBe(nonce);
    const stored = openStore(path.join(dir, "apy.sqlite"));
    expect(stored.getIntent(intentId)?.intent.status).toBe("pending");
    stored.close();

    // A new process on the same store: the pending write is broadcast as stored, and nothing else is sent.
    running = await start();
    const tick = await runOnce(running.ctx);
    expect(await nonceOf()).toBe(nonce + 1);
    expect(await rateOf(0n)).toBe(rate0 - 2n * bounds.maxStep);
    expect(tick.decisions[0]).toMatchObject({ kind: "skip", skip: "too-soon" });
    await running.stop();

    // And again: nothing twice.
    running = await start();
    await runOnce(running.ctx);
    expect(await nonceOf()).toBe(nonce + 1);
    const rows = running.ctx.decisions.list({ action: "set-rate" });
    expect(rows.map((r) => r.intentId)).toEqual([intentId, `apy:${chainId}:${farm.toLowerCase()}:0:0`]);
  });

  it("raises a rate again, never beyond what the budget can pay", async () => {
    await running!.stop();
    // Target 100 %: the pool pays ~19 %, so raise as far as bounds, step and budget allow.
    running = await start({ BASE_APY: "100%" });
    const nonce = await nonceOf();
    const rates: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      await later(3_600);
      const tick = await runOnce(running.ctx);
      expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber, running.ctx.policy));
      const d = tick.decisions[0]!;
      expect(d.kind).toBe("set-rate");
      expect(d.outcome?.status).toBe("mined");
      rates.push(await rateOf(0n));
      if (i === 2) {
        // The budget, not the step, limits the third raise: the pool was funded at 0.01 AITBC/s, so it can pay
        // only a little more than that — what it saved while the rate was lower, spread over the time left.
        expect(d.reason).toContain("limited by the budget");
        expect(d.kind === "set-rate" && d.newRate).toBe(d.maxAffordableRate);
      }
    }
    expect(rates[0]).toBe(rate0 - bounds.maxStep);
    expect(rates[1]).toBe(rate0);
    expect(rates[2]! > rate0 && rates[2]! < rate0 + bounds.maxStep).toBe(true);
    expect(await nonceOf()).toBe(nonce + 3);

    // Next epoch: the budget cannot pay a raise worth DEADBAND any more.
    await later(3_600);
    const tick = await runOnce(running.ctx);
    expect(tick.decisions[0]).toMatchObject({ kind: "skip", skip: "over-budget" });
    expect(await nonceOf()).toBe(nonce + 3);
  });

  it("in dry-run mode decides and simulates but sends nothing", async () => {
    await running!.stop();
    running = await startApyKeeper(
      loadApyKeeperConfig({ env: env({ DB_PATH: path.join(dir, "dry.sqlite") }), argv: ["--dry-run"] }),
      { runAtStart: false, writeLog },
    );
    const before = await rateOf(0n);
    const nonce = await nonceOf();
    const tick = await runOnce(running.ctx);
    expect(decisionsOf(tick)).toEqual(await expectedDecisions(tick.blockNumber, running.ctx.policy));
    expect(tick.decisions[0]).toMatchObject({
      kind: "set-rate",
      newRate: before - bounds.maxStep,
      outcome: { status: "dry-run" },
    });
    expect(await rateOf(0n)).toBe(before);
    expect(await nonceOf()).toBe(nonce);
    await running.stop();
    running = undefined;
  });

  it("runs as a process: ticks on its schedule, serves /healthz, exits 0 on SIGTERM", async () => {
    const child = spawn(path.join(repoRoot, "node_modules/.bin/tsx"), ["keepers/apy/main.ts", "--dry-run"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH!,
        ...env({ DB_PATH: path.join(dir, "process.sqlite"), SCHEDULE: "* * * * * *", LOG_LEVEL: "info" }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const nonce = await nonceOf();
    try {
      await until(() => /"msg":"http server listening"/.test(stdout), 30_000);
      const url = JSON.parse(stdout.split("\n").find((l) => l.includes("http server listening"))!)
        .url as string;
      await until(async () => (await fetch(`${url}/healthz`)).status === 200, 20_000);
      await until(() => /"msg":"rate write dry-run"/.test(stdout), 20_000);
      const lines = stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { at: string; msg: string });
      expect(lines.every((l) => typeof l.at === "string")).toBe(true);
      expect(lines.some((l) => l.at === "apy" && l.msg.startsWith("decision: u=1.000, APY "))).toBe(true);
      expect(stdout).not.toContain(keeperKey.slice(2));
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exit).toBe(0);
    expect(stdout).toContain('"msg":"shutting down","signal":"SIGTERM"');
    expect(stderr).toBe("");
    expect(await nonceOf()).toBe(nonce);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
