/**
 * `make demo`: the whole stack on a local chain, ending in a printed report.
 *
 * anvil (1 s blocks) → Deploy.s.sol → pools seeded → the indexer (Ponder) and the fee keeper start →
 * simulated agents trade in two rounds → the report compares the chain with the indexer's GraphQL answers
 * and lists the keeper's fee decisions. Then the farm act (scripts/lib/demoFarmGovernance.ts): farm pools are
 * funded, agents stake AMM LP shares and AITBC, the APY keeper moves reward rates over simulated days, and one
 * governance proposal raising an AMM fee ceiling is carried from propose to execute. Then the bridge act
 * (scripts/lib/demoBridge.ts): two more chains, 3-of-5 attesters and a relayer, agents bridging both ways, one
 * refund after a deadline. Then the portfolio act (scripts/lib/demoPortfolios.ts): agents' portfolios drift as
 * prices move and the rebalancing keeper brings them back, a stop-loss fires, and a consortium of five agents
 * trades, distributes and loses a member to a ragequit. Then the options act (scripts/lib/demoOptions.ts): a put
 * written from a full and a margined vault and sold, the price falls and the liquidator closes the margined vault,
 * the series expires and the expiry keeper settles and pays every holder. Every process it started is stopped at
 * the end, unless
 * `--keep-running` (`make up`), which prints the URLs and waits for Ctrl-C.
 *
 * Options: --agents N (default 20, env DEMO_AGENTS), --actions N (default 300, env DEMO_ACTIONS),
 * --seed N, --bridge-transfers N (default 60, env DEMO_BRIDGE_TRANSFERS), --keep-running.
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatUnits, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startIndexer } from "../indexer/lib/start.js";
import { devAccountKeys } from "./lib/accounts.js";
import { startAnvil, freePort } from "./lib/anvil.js";
import { deployProtocol } from "./lib/deploy.js";
import { anvilKeys, repoRoot } from "./lib/foundry.js";
import { startTsProcess, waitFor, type ManagedProcess } from "./lib/process.js";
import { chainSnapshot, compareSnapshots, indexedBlock, indexerSnapshot } from "./lib/readModels.js";
import {
  governanceDemoSettings,
  printFarmGovernanceReport,
  runFarmAndGovernance,
} from "./lib/demoFarmGovernance.js";
import { printBridgeReport, runBridgeDemo } from "./lib/demoBridge.js";
import { printOptionsReport, runOptions } from "./lib/demoOptions.js";
import { printPortfoliosReport, runPortfoliosAndConsortium } from "./lib/demoPortfolios.js";
import { aitbcMarkets, localOracleSettings } from "./lib/portfolios.js";
import { runAgents, scenarioContext, seedPools, type AgentAction, type Market } from "./lib/scenario.js";

const { values } = parseArgs({
  options: {
    agents: { type: "string", default: process.env.DEMO_AGENTS ?? "20" },
    actions: { type: "string", default: process.env.DEMO_ACTIONS ?? "300" },
    seed: { type: "string", default: "42" },
    "bridge-transfers": { type: "string", default: process.env.DEMO_BRIDGE_TRANSFERS ?? "60" },
    "keep-running": { type: "boolean", default: false },
  },
});
const agentCount = positiveInteger("--agents", values.agents!);
const actionCount = positiveInteger("--actions", values.actions!);
const seed = positiveInteger("--seed", values.seed!);
const bridgeTransfers = positiveInteger("--bridge-transfers", values["bridge-transfers"]!);

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`demo: ${name} must be a positive integer, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const CHAIN_ID = 31337;
const FEE_INTERVAL_SECONDS = 15;
const demoDir = path.join(repoRoot, ".demo");
const step = (message: string) => console.log(`\n▸ ${message}`);

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanup() {
  for (const stop of cleanups.reverse()) await stop().catch(() => undefined);
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
process.on("SIGTERM", () => void cleanup().then(() => process.exit(143)));

async function main() {
  const started = Date.now();
  await rm(demoDir, { recursive: true, force: true });
  await mkdir(demoDir, { recursive: true });

  step(`anvil (chain ${CHAIN_ID}, 1 s blocks, ${agentCount} agent accounts)`);
  const anvil = await startAnvil({ chainId: CHAIN_ID, blockTime: 1, accounts: 10 + agentCount });
  cleanups.push(anvil.stop);
  console.log(`  ${anvil.rpcUrl}`);

  step("deploy the protocol (script/Deploy.s.sol)");
  const keeperKey = anvilKeys[1];
  const keeperAddress = privateKeyToAccount(keeperKey).address;
  const apyKeeperKey = anvilKeys[2];
  const deployment = await deployProtocol(anvil.rpcUrl, {
    FEE_KEEPER: keeperAddress,
    APY_KEEPER: privateKeyToAccount(apyKeeperKey).address,
    MIN_FEE_INTERVAL: String(FEE_INTERVAL_SECONDS),
    ...governanceDemoSettings,
    ...localOracleSettings,
  });
  for (const [name, address] of Object.entries(deployment.contracts))
    console.log(`  ${name.padEnd(19)} ${address}`);

  step("seed pools and fund agents");
  const ctx = scenarioContext(deployment, anvil.rpcUrl, anvilKeys[0], devAccountKeys(10, agentCount));
  const markets = await seedPools(ctx);
  for (const market of markets) console.log(`  pool ${market.poolId}: ${market.base}/${market.quote}`);

  step("start the indexer (Ponder, embedded PGlite)");
  const indexer = await startIndexer({
    chainIds: [CHAIN_ID],
    rpcUrls: { [CHAIN_ID]: anvil.rpcUrl },
    schema: "demo",
    pgliteDir: path.join(demoDir, "pglite"),
  });
  cleanups.push(() => indexer.stop());
  console.log(`  ${indexer.url}/graphql`);

  step("start the fee keeper");
  const keeperPort = await freePort();
  const keeper = startKeeper(anvil.rpcUrl, keeperKey, indexer.url, keeperPort);
  cleanups.push(() => keeper.stop());
  const keeperUrl = `http://127.0.0.1:${keeperPort}`;
  await waitFor(
    "the fee keeper's /healthz",
    async () => ((await fetch(`${keeperUrl}/healthz`)).status ? true : undefined),
    60_000,
  );
  console.log(`  ${keeperUrl}/healthz, /metrics, /decisions`);

  const volatilePool = markets[0];
  const actions: AgentAction[] = [];
  for (const round of [1, 2]) {
    const movesBefore = (await fetchDecisions(keeperUrl)).filter(
      (d) => d.action === "set-fee" && d.tx,
    ).length;
    step(`agents, round ${round}: ${Math.ceil(actionCount / 2)} actions by ${agentCount} agents`);
    const roundActions = await runAgents(ctx, markets, {
      actions: Math.ceil(actionCount / 2),
      seed: seed + round,
      volatilePoolId: volatilePool.poolId,
    });
    actions.push(...roundActions);
    console.log(
      `  ${roundActions.filter((a) => a.ok).length} succeeded, ${roundActions.filter((a) => !a.ok).length} reverted`,
    );
    step(`let the keeper read the new volatility and act (fee interval ${FEE_INTERVAL_SECONDS} s)`);
    // Round 1: until the keeper has moved some fee; round 2: until some pool's fee moved a second time, in
    // a later fee interval.
    await waitForKeeperDecisions(keeperUrl, round, FEE_INTERVAL_SECONDS * 3 * 1000);
  }

  // A quiet moment: with the keeper stopped nothing else moves the chain, so the indexer's answer at the
  // head must equal the chain's exactly.
  step("stop the keeper; compare the indexer with the chain");
  // Let any fee move in flight settle first, so the journal and the chain tell the same story.
  const settled = (d: Decision) => {
    const status = (d.tx as { status?: string } | null)?.status;
    return d.action !== "set-fee" || (status !== undefined && status !== "pending");
  };
  const decisions = await waitFor(
    "the keeper's fee moves to settle",
    async () => {
      const all = await fetchDecisions(keeperUrl);
      return all.every(settled) ? all : undefined;
    },
    30_000,
    500,
  ).catch(() => fetchDecisions(keeperUrl));
  await keeper.stop();
  const head = await ctx.publicClient.getBlockNumber();
  await waitFor(
    "the indexer to reach the chain head",
    async () => {
      const indexed = await indexedBlock(indexer.url, CHAIN_ID);
      return indexed !== undefined && indexed >= head ? indexed : undefined;
    },
    60_000,
  );
  const onChain = await chainSnapshot(
    ctx.publicClient,
    deployment.contracts.AIServiceAMM,
    BigInt(deployment.startBlock),
    head,
  );
  const indexed = await indexerSnapshot(indexer.url, CHAIN_ID);
  const differences = compareSnapshots(onChain, indexed);

  const waitForIndexer = async () => {
    const latest = await ctx.publicClient.getBlockNumber();
    await waitFor(
      "the indexer to reach the chain head",
      async () => {
        const indexedTo = await indexedBlock(indexer.url, CHAIN_ID);
        return indexedTo !== undefined && indexedTo >= latest ? true : undefined;
      },
      60_000,
    );
  };
  const farmGovernance = await runFarmAndGovernance({
    ctx,
    markets,
    chainId: CHAIN_ID,
    apyKeeperKey,
    indexerUrl: indexer.url,
    demoDir,
    step,
    onStart: (process) => cleanups.push(() => process.stop()),
    waitForIndexer,
  });

  const portfolios = await runPortfoliosAndConsortium({
    ctx,
    markets: aitbcMarkets(markets),
    chainId: CHAIN_ID,
    keeperKey: anvilKeys[3],
    indexerUrl: indexer.url,
    demoDir,
    portfolioAgents: ctx.agents.slice(0, Math.min(8, agentCount)),
    consortiumAgents: ctx.agents.slice(-5),
    outsider: ctx.deployer,
    step,
    onStart: (process) => cleanups.push(() => process.stop()),
    waitForIndexer,
  });

  const optionsAct = await runOptions({
    ctx,
    gpuh: markets.find((market) => market.base === "GPUH" && market.quote === "AITBC")!,
    chainId: CHAIN_ID,
    demoDir,
    step,
    onStart: (process) => cleanups.push(() => process.stop()),
  });

  const bridge = await runBridgeDemo({
    chainIds: [31338, 31339],
    agentCount: 10,
    transfers: bridgeTransfers,
    step,
    onStart: (stop) => cleanups.push(stop),
  });

  printReport({
    markets,
    actions,
    onChain,
    indexed,
    differences,
    decisions,
    keeperLog: keeper.output(),
    seconds: (Date.now() - started) / 1000,
  });
  printFarmGovernanceReport(farmGovernance, table, shortAddress);
  printBridgeReport(bridge, table);
  printPortfoliosReport(portfolios, table, shortAddress);
  printOptionsReport(optionsAct, table);
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s.`);

  if (values["keep-running"]) {
    const restarted = startKeeper(anvil.rpcUrl, keeperKey, indexer.url, keeperPort);
    cleanups.push(() => restarted.stop());
    console.log(`\nThe stack keeps running (Ctrl-C stops it):
  chain        ${anvil.rpcUrl}   (chain id ${CHAIN_ID}; deployments/${CHAIN_ID}.json)
  GraphQL      ${indexer.url}/graphql
  pool stats   ${indexer.url}/pools?chainId=${CHAIN_ID}
  fee keeper   ${keeperUrl}/healthz  ${keeperUrl}/metrics  ${keeperUrl}/decisions
  farm APY     ${indexer.url}/farm/apy?chainId=${CHAIN_ID}`);
    await new Promise(() => undefined);
  }
  await cleanup();
  if (differences.length > 0) process.exit(1);
}

function startKeeper(rpcUrl: string, privateKey: string, indexerUrl: string, port: number): ManagedProcess {
  return startTsProcess("keepers/fee/main.ts", {
    CHAIN_ID: String(CHAIN_ID),
    RPC_URLS: rpcUrl,
    PRIVATE_KEY: privateKey,
    INDEXER_URL: indexerUrl,
    DB_PATH: path.join(demoDir, "fee-keeper.sqlite"),
    HTTP_PORT: String(port),
    SCHEDULE: "*/3 * * * * *",
    // A day's window: σ is annualized from it, and a shorter one would turn the demo's half minute of
    // trading into extreme volatility on every pool.
    VOL_WINDOW_SECONDS: "86400",
    MIN_SAMPLES: "5",
  });
}

type Decision = Record<string, unknown>;

async function fetchDecisions(keeperUrl: string): Promise<Decision[]> {
  const response = await fetch(`${keeperUrl}/decisions?limit=1000`);
  const body = (await response.json()) as { decisions?: Decision[] } | Decision[];
  return Array.isArray(body) ? body : (body.decisions ?? []);
}

async function waitForKeeperDecisions(keeperUrl: string, movesOfOnePool: number, timeoutMs: number) {
  try {
    await waitFor(
      "the fee keeper to move a fee",
      async () => {
        const mined = (await fetchDecisions(keeperUrl)).filter(
          (d) => d.action === "set-fee" && (d.tx as { status?: string } | null)?.status === "mined",
        );
        const perPool = new Map<string, number>();
        for (const d of mined) perPool.set(String(d.poolId), (perPool.get(String(d.poolId)) ?? 0) + 1);
        return Math.max(0, ...perPool.values()) >= movesOfOnePool ? true : undefined;
      },
      timeoutMs,
      1_000,
    );
  } catch {
    console.log("  (no such fee move yet: see the keeper's decisions in the report)");
  }
}

type Report = {
  markets: Market[];
  actions: AgentAction[];
  onChain: Awaited<ReturnType<typeof chainSnapshot>>;
  indexed: Awaited<ReturnType<typeof indexerSnapshot>>;
  differences: string[];
  decisions: Decision[];
  keeperLog: string;
  seconds: number;
};

function table(headers: string[], rows: (string | number)[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padStart(widths[i])).join("  ");
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)]
    .map((l) => `  ${l}`)
    .join("\n");
}

const tokens = (amount: bigint) =>
  Number(formatUnits(amount, 18)).toLocaleString("en-US", { maximumFractionDigits: 2 });
const pct = (pips: number) => `${(pips / 10_000).toFixed(2)}%`;

function printReport(report: Report) {
  const { markets, actions, onChain, indexed } = report;
  const name = (poolId: bigint) => {
    const market = markets.find((m) => m.poolId === poolId);
    return market ? `${market.base}/${market.quote}` : `pool ${poolId}`;
  };
  console.log(`\n══════════════════════════════ AITBC demo report ══════════════════════════════`);

  console.log(`\nAgents: ${actions.length} actions, ${actions.filter((a) => a.ok).length} succeeded`);
  const kinds = ["swap", "multihop", "add", "remove"] as const;
  console.log(
    table(
      ["action", "succeeded", "reverted"],
      kinds.map((kind) => [
        kind,
        actions.filter((a) => a.kind === kind && a.ok).length,
        actions.filter((a) => a.kind === kind && !a.ok).length,
      ]),
    ),
  );

  console.log(`\nPools on chain (getPool) — and the same figures from the indexer's GraphQL`);
  console.log(
    table(
      [
        "pool",
        "pair",
        "reserve0",
        "reserve1",
        "fee",
        "swaps",
        "volume0",
        "volume1",
        "indexer fee",
        "indexer swaps",
        "indexer volume0",
      ],
      onChain.pools.map((pool) => {
        const row = indexed.pools.find((p) => p.poolId === pool.poolId);
        return [
          String(pool.poolId),
          name(pool.poolId),
          tokens(pool.reserve0),
          tokens(pool.reserve1),
          pct(pool.fee),
          pool.swapCount,
          tokens(pool.volume0),
          tokens(pool.volume1),
          row ? pct(row.fee) : "—",
          row ? row.swapCount : "—",
          row ? tokens(row.volume0) : "—",
        ];
      }),
    ),
  );
  console.log(
    `  LP positions: ${onChain.lpPositions.length} on chain, ${indexed.lpPositions.length} in the indexer`,
  );

  console.log(`\nFees changed by the keeper (FeeUpdated on chain)`);
  if (onChain.feeChanges.length === 0) console.log("  none");
  else
    console.log(
      table(
        ["block", "pool", "pair", "old fee", "new fee", "by"],
        onChain.feeChanges.map((c) => [
          String(c.blockNumber),
          String(c.poolId),
          name(c.poolId),
          pct(c.oldFee),
          pct(c.newFee),
          shortAddress(c.updatedBy),
        ]),
      ),
    );
  const moves = report.decisions.filter((d) => d.action === "set-fee").reverse();
  console.log(`\nWhy: the keeper's fee moves (σ = annualized realized volatility from the indexer)`);
  if (moves.length === 0) console.log("  none");
  for (const d of moves) {
    const tx = d.tx as { status?: string; hash?: string } | null;
    console.log(
      `  pool ${d.poolId} ${name(BigInt(String(d.poolId)))}: σ=${Number(d.sigma).toFixed(3)} over ${d.samples} returns → ` +
        `target ${pct(Number(d.targetFee))}, ${pct(Number(d.oldFee))} → ${pct(Number(d.newFee))} (${tx?.status ?? "not sent"})\n      ${d.reason}`,
    );
  }
  const skips = new Map<string, number>();
  for (const d of report.decisions) {
    if (d.action === "skip") skips.set(String(d.skipReason), (skips.get(String(d.skipReason)) ?? 0) + 1);
  }
  if (skips.size > 0) {
    console.log(`  skipped decisions: ${[...skips].map(([reason, n]) => `${reason} ×${n}`).join(", ")}`);
  }

  console.log(`\nIndexer vs chain, field by field (pools, LP positions, fee history):`);
  if (report.differences.length === 0) console.log("  identical ✔");
  else for (const difference of report.differences) console.log(`  ✘ ${difference}`);
}

const shortAddress = (address: Address) => `${address.slice(0, 6)}…${address.slice(-4)}`;

main().catch(async (error) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : error}`);
  await cleanup();
  process.exit(1);
});
