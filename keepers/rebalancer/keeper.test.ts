import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createPublicClient,
  custom,
  maxUint256,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentPortfolioManagerAbi,
  aiServiceAmmAbi,
  aiServiceTokenAbi,
  computePriceOracleAbi,
} from "../../generated/abis.js";
import { anvilKeys, startTestChain, type TestChain } from "../lib/testing/chain.js";
import type { TxHooks } from "../lib/tx/sender.js";
import {
  scenarioContext,
  seedPools,
  send,
  units,
  type Market,
  type ScenarioContext,
  type TokenSymbol,
} from "../../scripts/lib/scenario.js";
import { PortfolioBook } from "./chain.js";
import { loadRebalancerConfig } from "./config.js";
import { recordGas, runOnce, type ActionResult, type RebalancerContext, type TickResult } from "./keeper.js";
import { startRebalancer, type RunningRebalancer } from "./main.js";
import type { RebalancerActionRow } from "./schema.js";

// The rebalancer on a real anvil with the real deployment (the deploy script, with a 10-minute oracle window of
// 1-minute periods). The chain mines only when the test says so, as a real chain mines one block at a time: each
// step mines block N, lets the keeper read it and launch what it calls for, waits until every transaction it sent
// is in the mempool, and mines block N+1 — so "acted in the block after the one where the need first showed" is
// checked exactly, against historical reads of the contract at N−1 and N. Portfolios of one owner (account 1):
//   P0: AITBC / GPUH / LLMT at 40/30/30 %, band 3 %, chunks of 10 % — GPUH is pumped 1.5×, then targets move;
//   P1: AITBC / STOR at 50/50, stop-loss on STOR at 90 % of its opening price — STOR is dumped to 75 %;
//   P2: AITBC / GPUH at 50/50, take-profit on GPUH at 125 % of its opening price;
//   P3: AITBC / LLMT, 1 % lost per trade at most;
//   P4: AITBC / GPUH, a loss budget of 2 000 ppm of its value — both refused when their asset's spot drops under
//       its time-weighted price between the keeper's read and its transaction.
const chainId = 31520;
const keeperKey = anvilKeys[3];
const keeper = privateKeyToAccount(keeperKey).address;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "rebalancer-"));
const period = 60;
const window = 600;
const backoffSeconds = 300;
const e18 = 10n ** 18n;

type Limits = {
  driftBandBps: number;
  maxLossPerTradeBps: number;
  lossBudgetPpm: number;
  lossWindow: number;
  maxChunkBps: number;
};
const limits = (over: Partial<Limits> = {}): Limits => ({
  driftBandBps: 300,
  maxLossPerTradeBps: 200,
  lossBudgetPpm: 100_000,
  lossWindow: 86_400,
  maxChunkBps: 1_000,
  ...over,
});

let chain: TestChain;
let sc: ScenarioContext;
let markets: Market[];
let manager: Address;
let oracle: Address;
let owner: PrivateKeyAccount;
let trader: PrivateKeyAccount;
let other: PrivateKeyAccount;
let running: RunningRebalancer;
const P: bigint[] = [];
const broadcast = new Set<string>();
const logs: string[] = [];

const env = (over: Record<string, string> = {}) => ({
  CHAIN_ID: String(chainId),
  RPC_URLS: chain.anvil.rpcUrl,
  PRIVATE_KEY: keeperKey,
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  DB_PATH: path.join(dir, "rebalancer.sqlite"),
  HTTP_PORT: "0",
  BACKOFF_SECONDS: String(backoffSeconds),
  HEALTH_MAX_AGE_SECONDS: "60",
  LOG_LEVEL: "info",
  POLLING_INTERVAL_MS: "50",
  ...over,
});
const start = (over: Record<string, string> = {}, argv: string[] = [], hooks: TxHooks = {}) =>
  startRebalancer(loadRebalancerConfig({ env: env(over), argv }), {
    watchBlocks: false,
    writeLog: (line) => void logs.push(line),
    hooks: { onBroadcast: ({ intentId }) => void broadcast.add(intentId), ...hooks },
  });

const rpc = (method: string, params: unknown[] = []) => chain.rpc(method, params);
const token = (symbol: TokenSymbol) => sc.deployment.contracts[symbol];
const poolOf = (symbol: TokenSymbol) => markets.find((m) => m.base === symbol && m.quote === "AITBC")!.poolId;
const read = <T>(functionName: string, args: readonly unknown[], blockNumber?: bigint) =>
  chain.client.readContract({
    address: manager,
    abi: agentPortfolioManagerAbi,
    functionName,
    args,
    blockNumber,
  } as never) as Promise<T>;
const needsRebalance = (id: bigint, blockNumber?: bigint) =>
  read<readonly [boolean, bigint]>("needsRebalance", [id], blockNumber);
const stopTriggerable = (id: bigint, asset: Address, blockNumber?: bigint) =>
  read<boolean>("stopTriggerable", [id, asset], blockNumber);
const holdingOf = (id: bigint, asset: Address) => read<bigint>("holdingOf", [id, asset]);
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const pendingNonceOf = () => chain.client.getTransactionCount({ address: keeper, blockTag: "pending" });

/** The test's own transactions: mined one by one, as an auto-mining chain would. */
async function withAutomine<T>(fn: () => Promise<T>): Promise<T> {
  await rpc("evm_setAutomine", [true]);
  try {
    return await fn();
  } finally {
    await rpc("evm_setAutomine", [false]);
  }
}

/** Spot price of 1e18 raw units of `symbol` in raw AITBC, from the pool's reserves. */
async function spotUnitPrice(symbol: TokenSymbol): Promise<bigint> {
  const pool = await chain.client.readContract({
    address: sc.deployment.contracts.AIServiceAMM,
    abi: aiServiceAmmAbi,
    functionName: "getPool",
    args: [poolOf(symbol)],
  });
  const assetIs0 = pool.token0.toLowerCase() === token(symbol).toLowerCase();
  const [asset, base] = assetIs0 ? [pool.reserve0, pool.reserve1] : [pool.reserve1, pool.reserve0];
  return (e18 * BigInt(base)) / BigInt(asset);
}

/** Opens a portfolio of `owner` funded on target at spot prices (spot = time-weighted while nothing trades). */
async function openPortfolio(symbols: TokenSymbol[], targets: number[], lim: Limits, valueAitbc: number) {
  const assets = symbols.map(token);
  const pools = symbols.map((s, i) => (i === 0 ? 0n : poolOf(s)));
  for (const asset of assets)
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
    args: [assets, pools, targets, lim],
  });
  const [opened] = parseEventLogs({
    abi: agentPortfolioManagerAbi,
    logs: receipt.logs,
    eventName: "PortfolioOpened",
  });
  const id = opened!.args.portfolioId;
  for (const [i, symbol] of symbols.entries()) {
    const share = (units(valueAitbc) * BigInt(targets[i]!)) / 10_000n;
    const amount = i === 0 ? share : (share * e18) / (await spotUnitPrice(symbol));
    await send(sc, owner, {
      address: manager,
      abi: agentPortfolioManagerAbi,
      functionName: "deposit",
      args: [id, assets[i], amount],
    });
  }
  return id;
}

/** Sells `amount` (whole tokens) of `tokenIn` into its AITBC pool (or buys `symbol` with AITBC). */
async function swap(
  account: PrivateKeyAccount,
  poolSymbol: TokenSymbol,
  tokenIn: TokenSymbol,
  amount: number,
) {
  await send(sc, account, {
    address: sc.deployment.contracts.AIServiceAMM,
    abi: aiServiceAmmAbi,
    functionName: "swapExactInputSingle",
    args: [poolOf(poolSymbol), token(tokenIn), units(amount), 0n, account.address, BigInt(2 ** 40)],
  });
}

type Step = { ticks: TickResult[]; actions: ActionResult[] };

/**
 * Mines a block (`seconds` later), then until the keeper launches nothing more: the keeper reads the head and
 * launches; once everything it sent is in the mempool, the next block is mined; its outcomes are awaited. So the
 * keeper reads every block, and its transactions land in the block after the one it read.
 */
async function step(
  seconds = 0,
  keeperCtx: RebalancerContext = running.ctx,
  options: { mineFirst?: boolean } = {},
): Promise<Step> {
  // At least a second: the block the keeper reads has its own timestamp, after the last swap's (the manager tells
  // blocks apart by their timestamps, and anvil gives blocks mined within one wall-clock second the same one).
  await rpc("evm_increaseTime", [Math.max(seconds, 1)]);
  if (options.mineFirst ?? true) await rpc("evm_mine");
  const out: Step = { ticks: [], actions: [] };
  for (let i = 0; i < 10; i++) {
    const tick = await runOnce(keeperCtx);
    out.ticks.push(tick);
    if (tick.launched.length === 0) break;
    await until(() => [...keeperCtx.inFlight.values()].every((f) => broadcast.has(f.intentId)));
    await rpc("evm_mine");
    out.actions.push(...(await Promise.all(tick.launched)));
  }
  return out;
}

/** Steps `seconds` at a time until `done` (checked after each step) or `maxSteps`; returns every action. */
async function stepUntil(
  seconds: number,
  maxSteps: number,
  done: () => Promise<boolean>,
): Promise<ActionResult[]> {
  const actions: ActionResult[] = [];
  for (let i = 0; i < maxSteps; i++) {
    actions.push(...(await step(seconds)).actions);
    if (await done()) return actions;
  }
  throw new Error(`not done after ${maxSteps} steps of ${seconds} s`);
}

const rows = (filter: Parameters<RunningRebalancer["journal"]["list"]>[0] = {}): RebalancerActionRow[] =>
  running.journal.list({ limit: 1_000, ...filter }).reverse();

beforeAll(async () => {
  chain = await startTestChain(chainId, {
    ORACLE_WINDOW: String(window),
    ORACLE_PERIOD: String(period),
    ORACLE_MAX_MOVE_BPS: "10000",
    ORACLE_MAX_POOL_IDLE: "0",
  });
  sc = scenarioContext(chain.deployment, chain.anvil.rpcUrl, anvilKeys[0], [
    anvilKeys[1],
    anvilKeys[2],
    anvilKeys[4],
  ]);
  [owner, trader, other] = sc.agents as [PrivateKeyAccount, PrivateKeyAccount, PrivateKeyAccount];
  manager = chain.deployment.contracts.AgentPortfolioManager;
  oracle = chain.deployment.contracts.ComputePriceOracle;
  markets = await seedPools(sc);
  P.push(await openPortfolio(["AITBC", "GPUH", "LLMT"], [4_000, 3_000, 3_000], limits(), 5_000));
  // A stop-loss sells at the spot price, below the lagging time-weighted one: it needs room to lose against it.
  P.push(
    await openPortfolio(
      ["AITBC", "STOR"],
      [5_000, 5_000],
      limits({ driftBandBps: 9_000, maxLossPerTradeBps: 3_000, lossBudgetPpm: 500_000 }),
      4_000,
    ),
  );
  // A take-profit sells the whole holding (~3 % of the GPUH pool): room for its fee and price impact against the
  // spot price (the contract measures a trade's loss against the pre-block spot price as well as the TWAP).
  P.push(
    await openPortfolio(
      ["AITBC", "GPUH"],
      [5_000, 5_000],
      limits({ driftBandBps: 9_000, maxLossPerTradeBps: 500 }),
      4_000,
    ),
  );
  P.push(
    await openPortfolio(
      ["AITBC", "LLMT"],
      [5_000, 5_000],
      limits({ driftBandBps: 500, maxLossPerTradeBps: 100 }),
      2_000,
    ),
  );
  P.push(
    await openPortfolio(
      ["AITBC", "GPUH"],
      [5_000, 5_000],
      limits({ driftBandBps: 500, maxLossPerTradeBps: 1_000, lossBudgetPpm: 2_000 }),
      2_000,
    ),
  );
  const stor = await spotUnitPrice("STOR");
  const gpuh = await spotUnitPrice("GPUH");
  await send(sc, owner, {
    address: manager,
    abi: agentPortfolioManagerAbi,
    functionName: "setStopOrder",
    args: [P[1]!, token("STOR"), (stor * 9n) / 10n, 0n],
  });
  await send(sc, owner, {
    address: manager,
    abi: agentPortfolioManagerAbi,
    functionName: "setStopOrder",
    args: [P[2]!, token("GPUH"), 0n, (gpuh * 5n) / 4n],
  });
  await rpc("evm_setAutomine", [false]);
  running = await start();
}, 240_000);

afterAll(async () => {
  await running?.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("rebalancer", () => {
  it("records the oracle for the portfolios' pools once per period, in one recordMany, until they can be priced", async () => {
    const pools = [poolOf("GPUH"), poolOf("LLMT"), poolOf("STOR")].sort((a, b) => (a < b ? -1 : 1));
    // Start 10 s into a period, so that a second look a few seconds later is in the same period.
    const now = Number((await chain.client.getBlock()).timestamp);
    const first = await step((70 - (now % period)) % period || period);
    expect(first.actions).toMatchObject([{ action: "record", status: "mined", latencyBlocks: 1 }]);
    const recorded = await chain.client.getContractEvents({
      address: oracle,
      abi: computePriceOracleAbi,
      eventName: "ObservationRecorded",
      blockHash: (await chain.client.getBlock()).hash!,
    });
    expect(recorded.map((e) => e.args.poolId)).toEqual(pools);
    expect(rows({ action: "record" }).at(-1)).toMatchObject({ pools: pools.join(","), status: "mined" });
    // Its gas limit covers an observation into a fresh slot for every pool, whatever the estimate said.
    const recordTx = await chain.client.getTransaction({
      hash: rows({ action: "record" }).at(-1)!.txHash as Hex,
    });
    expect(recordTx.gas).toBe(recordGas(3));
    // Nothing can be priced yet: the portfolios are unpriced, not "in band".
    expect(running.ctx.portfolios.get(P[0]!)).toMatchObject({ status: "unpriced" });
    expect(running.ctx.portfolios.get(P[0]!)!.detail).toContain("InsufficientHistory");

    const again = await step(2);
    expect(again.actions).toEqual([]);
    expect(again.ticks[0]!.duePools).toEqual([]);

    // A full window, one period at a time: one recordMany per period, for every pool.
    const nonce = await nonceOf();
    for (let i = 0; i < window / period; i++) {
      const s = await step(period);
      expect(s.actions.map((a) => [a.action, a.status])).toEqual([["record", "mined"]]);
    }
    expect(await nonceOf()).toBe(nonce + window / period);
    for (const id of P)
      expect(running.ctx.portfolios.get(id), `portfolio ${id}`).toMatchObject({ status: "in-band" });
    const body = (await (await fetch(`${running.url}/portfolios`)).json()) as {
      portfolios: { portfolioId: string; status: string }[];
    };
    expect(body.portfolios.map((p) => p.status)).toEqual(P.map(() => "in-band"));
  });

  it("rebalances a portfolio back into its band as a price moves, each time in the block after it saw the need", async () => {
    const start0 = await chain.client.getBlockNumber();
    const nonce = await nonceOf();
    // GPUH 1.5×: buy it with AITBC. The time-weighted price follows over the window.
    await withAutomine(() => swap(trader, "GPUH", "AITBC", 22_500));
    expect(await spotUnitPrice("GPUH")).toBeGreaterThan(units(3.6)); // from 2.5 AITBC

    // Until P0 is back in its band a full window after the move. On the way it may be `blocked` for a while: the
    // take-profit of P2 sells GPUH, its spot falls below the lagging time-weighted price, and the contract refuses a
    // chunk that would lose more than 2 % against it until the oracle catches up.
    const swapTs = Number((await chain.client.getBlock({ blockNumber: start0 + 1n })).timestamp);
    const actions = await stepUntil(20, 150, async () => {
      const [due, drift] = await needsRebalance(P[0]!);
      const ts = Number((await chain.client.getBlock()).timestamp);
      return !due && drift <= 300n && ts > swapTs + window + period;
    });
    const mine = actions.filter((a) => a.portfolioId === P[0]);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((a) => a.action === "rebalance" && a.status === "mined")).toBe(true);

    // Every rebalance of P0 on chain is the keeper's, one per block, and was the keeper's answer to the first block
    // in which the portfolio needed it (or to the block of its previous chunk, when one chunk was not enough).
    const events = await chain.client.getContractEvents({
      address: manager,
      abi: agentPortfolioManagerAbi,
      eventName: "Rebalanced",
      args: { portfolioId: P[0]! },
      fromBlock: start0,
    });
    expect(events.length).toBe(mine.length);
    expect(events.every((e) => e.args.caller === keeper)).toBe(true);
    expect(new Set(events.map((e) => e.blockNumber)).size).toBe(events.length);
    const chunkBlocks = new Set(events.map((e) => e.blockNumber));
    // Blocks in which the keeper launched a trade: one of P0's can wait in them for a pool another trade took.
    const tradeBlocks = new Set(
      rows()
        .filter((r) => r.action !== "record")
        .map((r) => r.blockNumber),
    );
    for (const row of rows({ portfolioId: String(P[0]), action: "rebalance" }).filter(
      (r) => r.blockNumber > Number(start0),
    )) {
      expect(row.status).toBe("mined");
      expect(row.minedBlock).toBe(row.blockNumber + 1);
      expect(row.latencyBlocks).toBe(row.minedBlock! - row.episodeBlock);
      for (let b = row.episodeBlock; b < row.blockNumber; b++)
        expect(tradeBlocks.has(b), `queued in ${b}`).toBe(true);
      const [dueThen] = await needsRebalance(P[0]!, BigInt(row.episodeBlock));
      expect(dueThen).toBe(true);
      const [dueBefore] = await needsRebalance(P[0]!, BigInt(row.episodeBlock - 1));
      expect(!dueBefore || chunkBlocks.has(BigInt(row.episodeBlock)), `episode ${row.episodeBlock}`).toBe(
        true,
      );
    }
    const [due, drift] = await needsRebalance(P[0]!);
    expect(due).toBe(false);
    expect(drift).toBeLessThanOrEqual(300n);
    expect(running.ctx.portfolios.get(P[0]!)).toMatchObject({ status: "in-band" });

    // The take-profit of P2 fired on the way, in the block after the one where it first could.
    const [tp] = await chain.client.getContractEvents({
      address: manager,
      abi: agentPortfolioManagerAbi,
      eventName: "StopTriggered",
      args: { portfolioId: P[2]! },
      fromBlock: start0,
    });
    expect(tp?.args).toMatchObject({ asset: token("GPUH"), stopLoss: false });
    const [tpRow] = rows({ portfolioId: String(P[2]), action: "stop" });
    expect(tpRow).toMatchObject({
      status: "mined",
      side: "take-profit",
      asset: token("GPUH"),
      latencyBlocks: 1,
    });
    expect(tpRow!.minedBlock).toBe(Number(tp!.blockNumber));
    expect(BigInt(tpRow!.price!)).toBeGreaterThanOrEqual(BigInt(tpRow!.takeProfitPrice!));
    expect(await stopTriggerable(P[2]!, token("GPUH"), BigInt(tpRow!.episodeBlock - 1))).toBe(false);
    expect(await holdingOf(P[2]!, token("GPUH"))).toBe(0n);
    const p2 = await read<{ targetWeightsBps: readonly number[] }>("getPortfolio", [P[2]!]);
    expect(p2.targetWeightsBps).toEqual([10_000, 0]);

    // The keeper sent exactly what its journal says, nothing else.
    const sent = rows().filter((r) => r.blockNumber > Number(start0) && r.txHash !== null);
    expect(await nonceOf()).toBe(nonce + sent.length);
  }, 240_000);

  it("fires a stop-loss in the block after the time-weighted price first reaches it", async () => {
    const start0 = await chain.client.getBlockNumber();
    const aitbcBefore = await holdingOf(P[1]!, token("AITBC"));
    await withAutomine(() => swap(trader, "STOR", "STOR", 1_550)); // STOR to ~75 % of its price
    await stepUntil(20, 60, async () => (await holdingOf(P[1]!, token("STOR"))) === 0n);
    const [event] = await chain.client.getContractEvents({
      address: manager,
      abi: agentPortfolioManagerAbi,
      eventName: "StopTriggered",
      args: { portfolioId: P[1]! },
      fromBlock: start0,
    });
    expect(event?.args).toMatchObject({ asset: token("STOR"), stopLoss: true });
    const [row] = rows({ portfolioId: String(P[1]), action: "stop" });
    expect(row).toMatchObject({ status: "mined", side: "stop-loss", latencyBlocks: 1 });
    expect(BigInt(row!.price!)).toBeLessThanOrEqual(BigInt(row!.stopLossPrice!));
    expect(row!.minedBlock).toBe(Number(event!.blockNumber));
    expect(await stopTriggerable(P[1]!, token("STOR"), BigInt(row!.episodeBlock))).toBe(true);
    expect(await stopTriggerable(P[1]!, token("STOR"), BigInt(row!.episodeBlock - 1))).toBe(false);
    expect(await holdingOf(P[1]!, token("AITBC"))).toBeGreaterThan(aitbcBefore);
    expect(running.ctx.book.entries.get(P[1]!)?.stops.size ?? 0).toBe(0);
  }, 240_000);

  it("in dry-run mode simulates and logs each need once, and sends nothing", async () => {
    // P0's targets move: one chunk (5 % GPUH → AITBC) will bring it back.
    await withAutomine(() =>
      send(sc, owner, {
        address: manager,
        abi: agentPortfolioManagerAbi,
        functionName: "setTargets",
        args: [P[0]!, [4_500, 2_500, 3_000]],
      }),
    );
    expect((await needsRebalance(P[0]!))[0]).toBe(true);
    const dry = await start({ DB_PATH: path.join(dir, "dry.sqlite") }, ["--dry-run"]);
    try {
      const nonce = await nonceOf();
      const first = await step(0, dry.ctx);
      expect(first.actions.find((a) => a.portfolioId === P[0])).toMatchObject({
        action: "rebalance",
        status: "dry-run",
      });
      const second = await step(1, dry.ctx);
      expect(second.actions.filter((a) => a.portfolioId === P[0])).toEqual([]);
      const dryRows = dry.journal.list({ portfolioId: String(P[0]) });
      expect(dryRows.map((r) => [r.action, r.status])).toEqual([["rebalance", "dry-run"]]);
      expect(await nonceOf()).toBe(nonce);
      expect(await pendingNonceOf()).toBe(nonce);
      expect(broadcast.has(dryRows[0]!.intentId)).toBe(false);
      expect((await needsRebalance(P[0]!))[0]).toBe(true);
    } finally {
      await dry.stop();
    }
  });

  it("takes 'already done' as a normal outcome when someone else rebalanced first", async () => {
    // Someone else rebalances P0 in the block after the one the keeper reads (its node lags a block behind).
    await withAutomine(() =>
      send(sc, other, {
        address: manager,
        abi: agentPortfolioManagerAbi,
        functionName: "rebalancePortfolio",
        args: [P[0]!],
      }),
    );
    const head = await chain.client.getBlockNumber();
    expect((await needsRebalance(P[0]!, head - 1n))[0]).toBe(true);
    expect((await needsRebalance(P[0]!, head))[0]).toBe(false);
    const ctx = running.ctx;
    const lagging = laggingClient(chain.client);
    const saved = { publicClient: ctx.publicClient, book: ctx.book };
    Object.assign(ctx, {
      publicClient: lagging,
      book: new PortfolioBook(lagging, manager, { concurrency: 4 }),
    });
    const nonce = await nonceOf();
    let recorded = 0;
    try {
      const tick = await runOnce(ctx);
      expect(tick.blockNumber).toBe(head - 1n);
      await until(() => [...ctx.inFlight.values()].every((f) => broadcast.has(f.intentId)));
      await rpc("evm_mine");
      const results = await Promise.all(tick.launched);
      expect(results.find((r) => r.portfolioId === P[0])).toMatchObject({
        action: "rebalance",
        status: "already-done",
      });
      // An oracle recording the stale read found due still goes out (the transaction layer simulates it afresh).
      recorded = results.filter((r) => r.action === "record" && r.status === "mined").length;
    } finally {
      Object.assign(ctx, saved);
    }
    expect(await nonceOf()).toBe(nonce + recorded);
    expect(await pendingNonceOf()).toBe(nonce + recorded);
    const row = rows({ portfolioId: String(P[0]) }).at(-1)!;
    expect(row).toMatchObject({ status: "already-done", txHash: null });
    expect(row.reason).toMatch(/WithinDriftBand\(\d+, 300\)/);
    expect(ctx.backoff.has(`portfolio:${P[0]}`)).toBe(false);
    expect(logs.some((l) => l.includes('"level":"error"') && l.includes(`rebalancePortfolio(${P[0]})`))).toBe(
      false,
    );
    // The next block: nothing to do.
    const next = await step(1);
    expect(next.actions.filter((a) => a.portfolioId === P[0])).toEqual([]);
  });

  it("backs off a portfolio the contract refused to protect it, reports it blocked, and rebalances it once prices settle", async () => {
    // A quiet window first: the oracle catches up with the spot prices the earlier tests left.
    for (let i = 0; i < window / period; i++) await step(period);
    // P3 (at most 1 % lost per trade) and P4 (a loss budget of 2 000 ppm) move off target; selling 10 % of their value
    // in LLMT (P3) or GPUH (P4) for AITBC fits both limits at this block.
    await withAutomine(async () => {
      for (const id of [P[3]!, P[4]!])
        await send(sc, owner, {
          address: manager,
          abi: agentPortfolioManagerAbi,
          functionName: "setTargets",
          args: [id, [6_000, 4_000]],
        });
    });
    expect((await needsRebalance(P[3]!))[0]).toBe(true);
    expect((await needsRebalance(P[4]!))[0]).toBe(true);
    // In the next two blocks, ahead of the keeper, the spots of LLMT and GPUH fall 3 and 5 % (their time-weighted prices
    // hardly move): the sales would now lose more than either portfolio allows. The keeper reads the block before
    // them (its node lags two blocks; three with the empty block below).
    await withAutomine(() => swap(trader, "LLMT", "LLMT", 3_000));
    await withAutomine(() => swap(trader, "GPUH", "GPUH", 850));
    // and an empty block after them (a trade simulated in the swaps' own block would be refused for the swap,
    // PoolTradedThisBlock): the keeper's node lags three blocks
    await rpc("evm_increaseTime", [1]);
    await rpc("evm_mine");
    const head = await chain.client.getBlockNumber();
    expect((await needsRebalance(P[3]!, head))[0]).toBe(false);
    expect((await needsRebalance(P[4]!, head))[0]).toBe(false);
    const ctx = running.ctx;
    const lagging = laggingClient(chain.client, 3n);
    const saved = { publicClient: ctx.publicClient, book: ctx.book };
    Object.assign(ctx, {
      publicClient: lagging,
      book: new PortfolioBook(lagging, manager, { concurrency: 4 }),
    });
    const nonce = await nonceOf();
    let refused: ActionResult[];
    let tick: TickResult;
    try {
      tick = await runOnce(ctx);
      expect(tick.blockNumber).toBe(head - 3n);
      await until(() => [...ctx.inFlight.values()].every((f) => broadcast.has(f.intentId)));
      await rpc("evm_mine");
      refused = (await Promise.all(tick.launched))
        .filter((r) => r.action !== "record")
        .sort((a, b) => Number(a.portfolioId! - b.portfolioId!));
    } finally {
      Object.assign(ctx, saved);
    }
    expect(refused.map((r) => [r.portfolioId, r.action, r.status])).toEqual([
      [P[3], "rebalance", "loss-limited"],
      [P[4], "rebalance", "loss-limited"],
    ]);
    expect(rows({ portfolioId: String(P[3]) }).at(-1)!.reason).toMatch(/TradeLossTooHigh\(\d+, 100\)/);
    // (its bucket is not empty: its earlier trades were charged their loss against the pre-block spot price too)
    expect(rows({ portfolioId: String(P[4]) }).at(-1)!.reason).toMatch(
      /LossBudgetExceeded\(\d+, \d+, 2000\)/,
    );
    for (const id of [P[3]!, P[4]!])
      expect(ctx.backoff.get(`portfolio:${id}`)).toBe(tick.timestamp + backoffSeconds);
    expect(await nonceOf()).toBe(nonce + tick.launched.length - 2); // only an oracle recording, if one was due
    expect(logs.some((l) => l.includes("the contract protects the portfolio"))).toBe(true);

    // Within the back-off: left alone, not even read.
    const during = await step(period);
    expect(during.actions.filter((a) => a.portfolioId === P[3] || a.portfolioId === P[4])).toEqual([]);
    expect(ctx.portfolios.get(P[3]!)).toMatchObject({ status: "backoff" });
    expect(ctx.portfolios.get(P[4]!)).toMatchObject({ status: "backoff" });

    // After it, while the oracle still lags the spot, the contract says "not now": blocked, nothing sent.
    await step(backoffSeconds - period);
    expect(ctx.portfolios.get(P[3]!)).toMatchObject({ status: "blocked" });
    expect(rows({ portfolioId: String(P[3]) }).at(-1)!.status).toBe("loss-limited");

    // Once the oracle has caught up, each is rebalanced in the block after the first one where the contract agrees
    // (or, if another of the keeper's trades took its pool in that block, the next).
    const lastRefused = Math.max(...[P[3]!, P[4]!].map((id) => rows({ portfolioId: String(id) }).at(-1)!.id));
    await stepUntil(20, 60, async () =>
      (await Promise.all([P[3]!, P[4]!].map((id) => needsRebalance(id)))).every(
        ([due, drift]) => !due && drift <= 500n,
      ),
    );
    const tradeBlocks = new Set(
      rows()
        .filter((r) => r.action !== "record")
        .map((r) => r.blockNumber),
    );
    for (const id of [P[3]!, P[4]!]) {
      const attempts = rows({ portfolioId: String(id) }).filter((r) => r.id > lastRefused);
      expect(attempts).toHaveLength(1);
      const row = attempts[0]!;
      expect(row).toMatchObject({ action: "rebalance", status: "mined" });
      expect(row.minedBlock).toBe(row.blockNumber + 1);
      expect((await needsRebalance(id, BigInt(row.episodeBlock - 1)))[0]).toBe(false);
      expect((await needsRebalance(id, BigInt(row.episodeBlock)))[0]).toBe(true);
      for (let b = row.episodeBlock; b < row.blockNumber; b++)
        expect(tradeBlocks.has(b), `queued in ${b}`).toBe(true);
    }
  }, 240_000);

  it("trades each pool once per block: a second portfolio due in the same pool waits for the next one", async () => {
    // P3 back to 50/50 (AITBC → LLMT) and P0 to 40/25/35 (GPUH → LLMT): both trade through the LLMT pool.
    await withAutomine(async () => {
      for (const [id, targets] of [
        [P[3]!, [5_000, 5_000]],
        [P[0]!, [4_000, 2_500, 3_500]],
      ] as const)
        await send(sc, owner, {
          address: manager,
          abi: agentPortfolioManagerAbi,
          functionName: "setTargets",
          args: [id, targets],
        });
    });
    expect((await needsRebalance(P[3]!))[0]).toBe(true);
    expect((await needsRebalance(P[0]!))[0]).toBe(true);
    const s = await step(1);
    const seen = s.ticks[0]!.blockNumber;
    // The larger drift (P3's, 10 %) goes first; P0 waits for the pool.
    expect(s.ticks[0]!.queued).toEqual([
      { portfolioId: P[0], pool: poolOf("LLMT"), by: `portfolio ${P[3]}` },
    ]);
    const p3 = rows({ portfolioId: String(P[3]) }).at(-1)!;
    const p0 = rows({ portfolioId: String(P[0]) }).at(-1)!;
    expect(p3).toMatchObject({
      status: "mined",
      episodeBlock: Number(seen),
      blockNumber: Number(seen),
      latencyBlocks: 1,
    });
    expect(p0).toMatchObject({
      status: "mined",
      episodeBlock: Number(seen),
      blockNumber: Number(seen) + 1,
      minedBlock: Number(seen) + 2,
      latencyBlocks: 2,
    });
    expect(s.actions.filter((a) => a.action !== "record").every((a) => a.status === "mined")).toBe(true);
  });

  it("serves its journal, portfolios, metrics and health", async () => {
    const actions = (await (await fetch(`${running.url}/actions?portfolio=${P[1]}`)).json()) as {
      actions: Record<string, unknown>[];
    };
    expect(actions.actions).toHaveLength(1);
    expect(actions.actions[0]).toMatchObject({
      chainId,
      action: "stop",
      portfolioId: String(P[1]),
      asset: token("STOR"),
      side: "stop-loss",
      status: "mined",
      tx: { latencyBlocks: 1 },
    });
    const limited = (await (await fetch(`${running.url}/actions?status=loss-limited&limit=2`)).json()) as {
      actions: { status: string }[];
    };
    expect(limited.actions.map((a) => a.status)).toEqual(["loss-limited", "loss-limited"]);
    expect((await fetch(`${running.url}/actions?status=nope`)).status).toBe(400);
    expect((await fetch(`${running.url}/actions?action=swap`)).status).toBe(400);

    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(
      /rebalancer_actions_total\{action="rebalance",status="mined",keeper="rebalancer"\} [1-9]/,
    );
    expect(metrics).toMatch(/rebalancer_actions_total\{action="stop",status="mined",keeper="rebalancer"\} 2/);
    expect(metrics).toMatch(
      /rebalancer_actions_total\{action="rebalance",status="loss-limited",keeper="rebalancer"\} 2/,
    );
    expect(metrics).toMatch(
      /rebalancer_actions_total\{action="rebalance",status="already-done",keeper="rebalancer"\} 1/,
    );
    // Every action was sent in the block it was decided in and mined in the next one; none reverted.
    const decided = rows().filter((r) => r.minedBlock !== null);
    expect(decided.every((r) => r.status === "mined" && r.minedBlock === r.blockNumber + 1)).toBe(true);
    const count =
      /rebalancer_action_latency_blocks_count\{keeper="rebalancer",action="rebalance"\} (\d+)/.exec(metrics)!;
    expect(Number(count[1])).toBe(decided.filter((r) => r.action === "rebalance").length);
    expect(metrics).not.toMatch(/rebalancer_actions_total\{action="\w+",status="reverted"/);
    expect(metrics).toMatch(/rebalancer_portfolios\{status="backoff",keeper="rebalancer"\} \d/);
    // Every transaction the keeper's account ever sent is in the journal, mined; nothing else.
    const sent = rows().filter((r) => r.txHash !== null);
    expect(sent.every((r) => r.status === "mined")).toBe(true);
    expect(await nonceOf()).toBe(sent.length);
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
  });
  it("after a crash, the resumed write holds its pools: another trade through them waits for it", async () => {
    // P3 off target again (selling LLMT) and P0 back to 40/30/30 (LLMT → GPUH): both trade through the LLMT pool.
    await running.stop();
    await withAutomine(async () => {
      for (const [id, targets] of [
        [P[3]!, [6_000, 4_000]],
        [P[0]!, [4_000, 3_000, 3_000]],
      ] as const)
        await send(sc, owner, {
          address: manager,
          abi: agentPortfolioManagerAbi,
          functionName: "setTargets",
          args: [id, targets],
        });
    });
    // A process "dies" right after storing P3's signed rebalance, before broadcasting it.
    const stored = new Map<string, Hex>();
    const crashing = await start({}, [], {
      onStored: ({ intentId, hash }) => {
        stored.set(intentId, hash);
        return Promise.reject(new Error("simulated crash"));
      },
    });
    const t1 = await runOnce(crashing.ctx);
    expect(t1.queued.map((q) => q.portfolioId)).toEqual([P[0]]);
    expect((await Promise.all(t1.launched)).filter((a) => a.portfolioId === P[3])).toMatchObject([
      { action: "rebalance", status: "error" },
    ]);
    await crashing.stop();
    const p3Intent = [...stored.keys()].find((id) => id.includes(`:${P[3]}:rebalance:`))!;
    await rpc("evm_mine"); // nothing was broadcast: an empty block

    // The next process resumes it; P0's trade, through the same pool, waits until it is on chain.
    running = await start();
    const t2 = await runOnce(running.ctx);
    expect(t2.queued).toEqual([{ portfolioId: P[0], pool: poolOf("LLMT"), by: p3Intent }]);
    await until(() => [...running.ctx.inFlight.values()].every((f) => broadcast.has(f.intentId)));
    await rpc("evm_mine");
    const resumed = (await Promise.all(t2.launched)).find((a) => a.intentId === p3Intent);
    expect(resumed).toMatchObject({ status: "mined", resumed: true, hash: stored.get(p3Intent) });
    const next = await step(0, running.ctx, { mineFirst: false }); // a look at the block the resumed write landed in
    expect(next.actions.filter((a) => a.action !== "record")).toMatchObject([
      { portfolioId: P[0], action: "rebalance", status: "mined", resumed: false },
    ]);
    expect(rows({ portfolioId: String(P[0]) }).at(-1)!.minedBlock).toBe(Number(resumed!.minedBlock) + 1);
  });

  it("sees the need in a block where the portfolio's pool traded, and rebalances in the next", async () => {
    // P3 due again (AITBC → LLMT), and a small LLMT trade in the block the keeper reads: the manager refuses a trade
    // after someone else's trade of its pool in the same block (PoolTradedThisBlock, which the keeper retries in the
    // next block without backing off), but its views answer for the next block, where the keeper's write lands.
    await withAutomine(async () => {
      await send(sc, owner, {
        address: manager,
        abi: agentPortfolioManagerAbi,
        functionName: "setTargets",
        args: [P[3]!, [4_000, 6_000]],
      });
      await swap(trader, "LLMT", "AITBC", 1);
    });
    expect((await needsRebalance(P[3]!))[0]).toBe(true);
    const ctx = running.ctx;
    const tick = await runOnce(ctx);
    await until(() => [...ctx.inFlight.values()].every((f) => broadcast.has(f.intentId)));
    await rpc("evm_mine");
    const mine = (await Promise.all(tick.launched)).filter((r) => r.portfolioId === P[3]);
    expect(mine).toMatchObject([{ action: "rebalance", status: "mined", latencyBlocks: 1 }]);
  });
});

/** A client whose node is `lag` blocks behind: its "latest" is that many blocks before the head. */
function laggingClient(client: PublicClient, lag = 1n): PublicClient {
  return createPublicClient({
    transport: custom({
      async request({ method, params }) {
        if (method === "eth_getBlockByNumber" && (params as unknown[])[0] === "latest") {
          const head = await client.getBlockNumber({ cacheTime: 0 });
          return client.request({ method, params: [toHex(head - lag), (params as unknown[])[1]] } as never);
        }
        return client.request({ method, params } as never);
      },
    }),
  }) as PublicClient;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
