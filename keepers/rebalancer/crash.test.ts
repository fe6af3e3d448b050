import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { maxUint256, parseEventLogs, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentPortfolioManagerAbi,
  aiServiceAmmAbi,
  aiServiceTokenAbi,
  computePriceOracleAbi,
} from "../../generated/abis.js";
import { openStore } from "../lib/store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import { travel } from "../../scripts/lib/governance.js";
import { startTsProcess, waitFor } from "../../scripts/lib/process.js";
import {
  scenarioContext,
  seedPools,
  send,
  units,
  type Market,
  type ScenarioContext,
} from "../../scripts/lib/scenario.js";

// The real rebalancer as a process (main.ts, and the crash fixture: the same keeper with hooks that report each
// write on stdout and can hang), really SIGKILLed between storing a signed rebalance and broadcasting it, between
// broadcasting and its receipt, and after it was mined but before the process saw it — then started again on the
// same store. Each time: exactly one rebalancePortfolio reaches the chain, and it is the one signed before the kill.
const chainId = 31521;
const keeperKey = anvilKeys[5];
const keeper = privateKeyToAccount(keeperKey).address;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixture = path.join(repoRoot, "keepers/rebalancer/crash-fixture.ts");
const dir = mkdtempSync(path.join(tmpdir(), "rebalancer-crash-"));

let chain: TestChain;
let sc: ScenarioContext;
let owner: PrivateKeyAccount;
let manager: Address;
let portfolioId: bigint;
let targets: [number, number] = [5_000, 5_000];

const env = (db: string, over: Record<string, string> = {}) => ({
  CHAIN_ID: String(chainId),
  RPC_URLS: chain.anvil.rpcUrl,
  PRIVATE_KEY: keeperKey,
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  DB_PATH: path.join(dir, db),
  HTTP_PORT: "0",
  // The test keeps the oracle warm itself, so that every transaction of the keeper is a rebalance.
  RECORD_ORACLE: "false",
  POLLING_INTERVAL_MS: "100",
  LOG_LEVEL: "debug",
  ...over,
});

type LogLine = { msg: string; intentId?: string; [key: string]: unknown };
type Run = {
  child: ChildProcess;
  lines: string[];
  logs: LogLine[];
  waitFor(prefix: string): Promise<string>;
  waitForLog(msg: string, intentId?: string): Promise<LogLine>;
  exit: Promise<number | null>;
};

/** Starts the crash fixture; node with tsx's loader, so that a SIGKILL reaches the keeper itself. */
function startFixture(db: string, hangAt?: "stored" | "broadcast"): Run {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? "/tmp",
      ...env(db),
      ...(hangAt ? { HANG_AT: hangAt } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const logs: LogLine[] = [];
  let stderr = "";
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const onLines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let buffer = "";
    stream.on("data", (d) => {
      buffer += d;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
      wake();
    });
  };
  onLines(child.stdout!, (line) => lines.push(line));
  onLines(child.stderr!, (line) => {
    stderr += line + "\n";
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      // not one of the logger's lines
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const wait = <T>(what: string, find: () => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) return resolve(found);
        waiters.push(check);
      };
      check();
      void exit.then((code) =>
        reject(new Error(`fixture exited ${code} before ${what}:\n${stderr.slice(-3000)}`)),
      );
    });
  return {
    child,
    lines,
    logs,
    exit,
    waitFor: (prefix) => wait(prefix, () => lines.find((l) => l.startsWith(prefix))),
    waitForLog: (msg, intentId) =>
      wait(`log "${msg}"`, () =>
        logs.find((l) => l.msg === msg && (intentId === undefined || l.intentId === intentId)),
      ),
  };
}

async function kill9(run: Run): Promise<void> {
  run.child.kill("SIGKILL");
  await run.exit;
  expect(run.child.signalCode).toBe("SIGKILL");
}

async function sigterm(run: Run): Promise<void> {
  run.child.kill("SIGTERM");
  expect(await run.exit).toBe(0);
}

const needsRebalance = (blockNumber?: bigint) =>
  chain.client.readContract({
    address: manager,
    abi: agentPortfolioManagerAbi,
    functionName: "needsRebalance",
    args: [portfolioId],
    blockNumber,
  });
const rebalancedSince = (fromBlock: bigint) =>
  chain.client.getContractEvents({
    address: manager,
    abi: agentPortfolioManagerAbi,
    eventName: "Rebalanced",
    args: { portfolioId },
    fromBlock,
  });

/** The owner moves the targets by 10 %: one rebalance chunk brings the portfolio back. Returns its block. */
async function makeDue(): Promise<bigint> {
  targets = targets[0] === 5_000 ? [6_000, 4_000] : [5_000, 5_000];
  const { receipt } = await send(sc, owner, {
    address: manager,
    abi: agentPortfolioManagerAbi,
    functionName: "setTargets",
    args: [portfolioId, targets],
  });
  expect((await needsRebalance())[0]).toBe(true);
  return receipt.blockNumber;
}

/** Keeps the oracle's window full: one observation per period for a whole window. */
async function warmOracle(poolId: bigint): Promise<void> {
  for (let i = 0; i <= 11; i++) {
    await send(sc, sc.deployer, {
      address: chain.deployment.contracts.ComputePriceOracle,
      abi: computePriceOracleAbi,
      functionName: "recordMany",
      args: [[poolId]],
    });
    await travel(sc, 60);
  }
  await send(sc, sc.deployer, {
    address: chain.deployment.contracts.ComputePriceOracle,
    abi: computePriceOracleAbi,
    functionName: "recordMany",
    args: [[poolId]],
  });
}

beforeAll(async () => {
  chain = await startTestChain(chainId, {
    ORACLE_WINDOW: "600",
    ORACLE_PERIOD: "60",
    ORACLE_MAX_MOVE_BPS: "10000",
    ORACLE_MAX_POOL_IDLE: "0",
  });
  sc = scenarioContext(chain.deployment, chain.anvil.rpcUrl, anvilKeys[0], [anvilKeys[1]]);
  owner = sc.agents[0]!;
  manager = chain.deployment.contracts.AgentPortfolioManager;
  const markets: Market[] = await seedPools(sc);
  const gpuhPool = markets.find((m) => m.base === "GPUH" && m.quote === "AITBC")!.poolId;
  const { AITBC, GPUH } = chain.deployment.contracts;
  for (const asset of [AITBC, GPUH])
    await send(sc, owner, {
      address: asset,
      abi: aiServiceTokenAbi,
      functionName: "approve",
      args: [manager, maxUint256],
    });
  const { receipt } = await send(sc, owner, {
    address: manager,
    abi: agentPortfolioManagerAbi,
    functionName: "openPortfolio",
    args: [
      [AITBC, GPUH],
      [0n, gpuhPool],
      [5_000, 5_000],
      {
        driftBandBps: 500,
        maxLossPerTradeBps: 200,
        lossBudgetPpm: 200_000,
        lossWindow: 86_400,
        maxChunkBps: 5_000,
      },
    ],
  });
  portfolioId = parseEventLogs({
    abi: agentPortfolioManagerAbi,
    logs: receipt.logs,
    eventName: "PortfolioOpened",
  })[0]!.args.portfolioId;
  const pool = await chain.client.readContract({
    address: chain.deployment.contracts.AIServiceAMM,
    abi: aiServiceAmmAbi,
    functionName: "getPool",
    args: [gpuhPool],
  });
  const gpuhIs0 = pool.token0.toLowerCase() === GPUH.toLowerCase();
  const [rGpuh, rAitbc] = gpuhIs0 ? [pool.reserve0, pool.reserve1] : [pool.reserve1, pool.reserve0];
  const aitbc = units(2_000);
  for (const [asset, amount] of [
    [AITBC, aitbc],
    [GPUH, (aitbc * BigInt(rGpuh)) / BigInt(rAitbc)],
  ] as const)
    await send(sc, owner, {
      address: manager,
      abi: agentPortfolioManagerAbi,
      functionName: "deposit",
      args: [portfolioId, asset, amount],
    });
  await warmOracle(gpuhPool);
  expect((await needsRebalance())[0]).toBe(false);
}, 240_000);

afterAll(async () => {
  await chain?.rpc("evm_setAutomine", [true]).catch(() => undefined);
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("rebalancer across SIGKILL", () => {
  it("runs as a process: acts in the block after the need appears, serves /healthz, exits 0 on SIGTERM", async () => {
    const keeperProcess = startTsProcess(
      "keepers/rebalancer/main.ts",
      env("process.sqlite", { LOG_LEVEL: "info" }),
    );
    try {
      const url = await waitFor("the keeper's HTTP server", async () => {
        const line = keeperProcess
          .output()
          .split("\n")
          .find((l) => l.includes('"msg":"http server listening"'));
        return line ? (JSON.parse(line) as { url: string }).url : undefined;
      });
      await waitFor("a healthy keeper", async () =>
        (await fetch(`${url}/healthz`)).status === 200 ? true : undefined,
      );
      const due = await makeDue();
      const [event] = await waitFor("the keeper's rebalance", async () => {
        const events = await rebalancedSince(due);
        return events.length > 0 ? events : undefined;
      });
      expect(event!.args.caller).toBe(keeper);
      // The keeper saw the block in which the need appeared, and its transaction is in the next one.
      expect(event!.blockNumber).toBe(due + 1n);
      await waitFor("the rebalance's latency in the metrics", async () =>
        /rebalancer_action_latency_blocks_bucket\{le="1",keeper="rebalancer",action="rebalance"\} 1/.test(
          await (await fetch(`${url}/metrics`)).text(),
        )
          ? true
          : undefined,
      );
    } finally {
      expect(await keeperProcess.stop()).toBe(0);
    }
    expect(keeperProcess.output()).toContain('"msg":"shutting down","signal":"SIGTERM"');
    expect(keeperProcess.output()).not.toContain(keeperKey.slice(2));
    // Its own write in flight is driven once, by the send that made it — never "resumed" beside it.
    expect(keeperProcess.output()).not.toContain("resuming an unfinished write");
    expect((await needsRebalance())[0]).toBe(false);
  });

  it("killed after storing the signed rebalance, before broadcasting it: the restart sends that one, once", async () => {
    const db = "stored.sqlite";
    const due = await makeDue();
    const nonce = await chain.client.getTransactionCount({ address: keeper });
    // Blocks come only when the test mines them: the restarted keeper finds the portfolio still due, blocks later.
    await chain.rpc("evm_setAutomine", [false]);
    try {
      const first = startFixture(db, "stored");
      const [, intentId, stored] = (await first.waitFor("STORED ")).split(" ") as [string, string, Hex];
      expect(intentId).toBe(`rebalancer:${chainId}:${manager.toLowerCase()}:${portfolioId}:rebalance:${due}`);
      await kill9(first);
      expect(await chain.client.getTransactionCount({ address: keeper, blockTag: "pending" })).toBe(nonce);
      const store = openStore(path.join(dir, db));
      expect(store.getIntent(intentId)?.intent.status).toBe("pending");
      store.close();
      await chain.rpc("evm_mine");
      await chain.rpc("evm_mine");
      expect((await needsRebalance())[0]).toBe(true);

      // The restart sees the need again, two blocks on — and a pending write of its own for the portfolio: it
      // broadcasts that one and waits for it, instead of deciding anew under a new episode.
      const second = startFixture(db);
      const url = (await second.waitFor("READY ")).slice(6);
      await second.waitForLog("resuming an unfinished write", intentId);
      await second.waitForLog("waiting for a receipt", intentId);
      await second.waitForLog("tick"); // its first look at the chain is complete: every decision is journaled
      const journal = (await (await fetch(`${url}/actions?portfolio=${portfolioId}`)).json()) as {
        actions: { intentId: string }[];
      };
      expect(journal.actions.map((a) => a.intentId)).toEqual([intentId]);
      const portfolios = (await (await fetch(`${url}/portfolios`)).json()) as {
        portfolios: { portfolioId: string; status: string; detail: string }[];
      };
      expect(portfolios.portfolios).toEqual([
        expect.objectContaining({ portfolioId: String(portfolioId), status: "busy", detail: intentId }),
      ]);
      await chain.rpc("evm_mine");
      await second.waitForLog(`rebalancePortfolio(${portfolioId}) mined`, intentId);
      await chain.rpc("evm_mine");
      await second.waitForLog(`portfolio ${portfolioId} is in-band`);
      await sigterm(second);
      expect(second.lines.filter((l) => l.startsWith("STORED"))).toEqual([]);
      expect(await chain.txsFrom(keeper, due + 1n)).toEqual([stored]);
      const events = await rebalancedSince(due);
      expect(events.map((e) => e.transactionHash)).toEqual([stored]);
      expect((await needsRebalance())[0]).toBe(false);
    } finally {
      await chain.rpc("evm_setAutomine", [true]);
    }
  });

  it("killed after broadcasting, before the receipt: the restart waits for that transaction and signs nothing", async () => {
    const db = "broadcast.sqlite";
    const due = await makeDue();
    await chain.rpc("evm_setAutomine", [false]);
    try {
      const first = startFixture(db, "broadcast");
      const [, intentId, sent] = (await first.waitFor("BROADCAST ")).split(" ") as [string, string, Hex];
      await kill9(first);

      const second = startFixture(db);
      const waiting = await second.waitForLog("waiting for a receipt", intentId);
      expect(waiting).toMatchObject({ hash: sent, attempts: 1 });
      expect(second.lines.filter((l) => l.startsWith("STORED"))).toEqual([]);
      await chain.rpc("evm_mine");
      await second.waitForLog("rebalancePortfolio(" + portfolioId + ") mined", intentId);
      await chain.rpc("evm_setAutomine", [true]);
      for (let i = 0; i < 3; i++) await chain.rpc("evm_mine");
      await second.waitForLog(`portfolio ${portfolioId} is in-band`);
      await sigterm(second);
      expect(second.lines.filter((l) => l.startsWith("STORED"))).toEqual([]);
      expect(await chain.txsFrom(keeper, due + 1n)).toEqual([sent]);
      const events = await rebalancedSince(due);
      expect(events.map((e) => e.transactionHash)).toEqual([sent]);
    } finally {
      await chain.rpc("evm_setAutomine", [true]);
    }
  });

  it("killed after the rebalance was mined, before it was recorded: the restart records it and sends nothing", async () => {
    const db = "mined.sqlite";
    const due = await makeDue();
    const first = startFixture(db, "broadcast"); // auto-mining: mined as it is broadcast
    const [, intentId, sent] = (await first.waitFor("BROADCAST ")).split(" ") as [string, string, Hex];
    await kill9(first);
    expect(await rebalancedSince(due)).toHaveLength(1);

    for (let restart = 0; restart < 2; restart++) {
      const again = startFixture(db);
      // The first restart finds the write pending in its store and its receipt on chain; the second, nothing to do.
      if (restart === 0) await again.waitForLog("rebalancePortfolio(" + portfolioId + ") mined", intentId);
      await chain.rpc("evm_mine");
      await again.waitForLog(`portfolio ${portfolioId} is in-band`);
      await sigterm(again);
      expect(again.lines.filter((l) => l.startsWith("STORED") || l.startsWith("BROADCAST"))).toEqual([]);
    }
    expect(await chain.txsFrom(keeper, due + 1n)).toEqual([sent]);
    const store = openStore(path.join(dir, db));
    expect(store.getIntent(intentId)?.intent).toMatchObject({ status: "mined", minedHash: sent });
    store.close();
  });
});
