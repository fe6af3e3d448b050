/**
 * The demo's portfolio and consortium act. Agents open AITBC-based portfolios over GPU-hours, LLM tokens and
 * storage, one sets a stop-loss on storage; the rebalancing keeper starts; an outsider's trades lift GPU-hours by
 * 30 % and sink storage by 25 %; the oracle's window moves over the new prices and the keeper rebalances every
 * portfolio back into its band and fires the stop-loss. Then five agents run a consortium (scripts/lib/consortium.ts).
 * The report lists each trade with its block and its loss against the oracle, the risk scores, the stop, the
 * indexer's portfolio values against the chain's, and the consortium's story.
 */
import path from "node:path";
import { formatUnits, type Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { freePort } from "./anvil.js";
import { runConsortium, type ConsortiumResult } from "./consortium.js";
import { travel } from "./governance.js";
import {
  chainDeadline,
  defaultLimits,
  indexedPortfolioValue,
  movePrice,
  openPortfolios,
  oracle,
  portfolioManager,
  portfoliosOutOfBand,
  portfolioTrades,
  recordCall,
  type OpenedPortfolio,
  type PortfolioTrade,
} from "./portfolios.js";
import { startTsProcess, waitFor, type ManagedProcess } from "./process.js";
import { prng, send, type Market, type ScenarioContext } from "./scenario.js";

export type PortfolioRow = {
  id: bigint;
  owner: Address;
  targets: number[];
  weights: number[];
  valueOnChain: bigint;
  /** The indexer's latest value of the portfolio and the chain's at the same block. */
  indexed: { value: bigint; blockNumber: bigint; chainValue: bigint } | null;
  riskScoreBps: bigint;
  hhiBps: bigint;
};

export type PortfoliosResult = {
  rows: PortfolioRow[];
  trades: PortfolioTrade[];
  maxLossBps: number;
  outOfBandAfter: bigint[];
  stop: { portfolioId: bigint; stopPrice: bigint; fired: PortfolioTrade | undefined };
  priceMovesBlock: bigint;
  consortium: ConsortiumResult;
  keeperSummary: string;
};

/** Loose enough for the demo's pools, whose fees the fee keeper may have raised towards 1 % each hop. */
const demoLimits = { ...defaultLimits, driftBandBps: 300, maxLossPerTradeBps: 300 };

export async function runPortfoliosAndConsortium(options: {
  ctx: ScenarioContext;
  /** The AITBC markets: GPUH, LLMT and STOR against AITBC. */
  markets: Market[];
  chainId: number;
  keeperKey: `0x${string}`;
  indexerUrl: string;
  demoDir: string;
  portfolioAgents: PrivateKeyAccount[];
  consortiumAgents: PrivateKeyAccount[];
  outsider: PrivateKeyAccount;
  step: (message: string) => void;
  waitForIndexer: () => Promise<void>;
  onStart: (process: ManagedProcess) => void;
}): Promise<PortfoliosResult> {
  const { ctx, markets, step } = options;
  const poolIds = markets.map((market) => market.poolId);
  const period = await ctx.publicClient.readContract({ ...oracle(ctx), functionName: "period" });
  const window = await ctx.publicClient.readContract({ ...oracle(ctx), functionName: "window" });

  step(
    `portfolios: start the rebalancing keeper (it also records the oracle every ${period} s of chain time)`,
  );
  const port = await freePort();
  const keeper = startTsProcess("keepers/rebalancer/main.ts", {
    CHAIN_ID: String(options.chainId),
    RPC_URLS: ctx.chain.rpcUrls.default.http[0]!,
    PRIVATE_KEY: options.keeperKey,
    DB_PATH: path.join(options.demoDir, "rebalancer.sqlite"),
    HTTP_PORT: String(port),
    POLLING_INTERVAL_MS: "250",
  });
  options.onStart(keeper);
  const keeperUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    "the rebalancer's /healthz",
    async () => ((await fetch(`${keeperUrl}/healthz`)).status ? true : undefined),
    60_000,
  );
  // A full window of observations at today's prices: the keeper records as the clock moves a period at a time.
  await crossWindow(ctx, poolIds, window, period);

  step(
    `portfolios: ${options.portfolioAgents.length} agents open AITBC-based portfolios over GPUH, LLMT and STOR`,
  );
  const opened = await openPortfolios(ctx, markets, options.portfolioAgents, prng(7), {
    valueAitbc: 2_000,
    limits: demoLimits,
  });
  const fromBlock = await ctx.publicClient.getBlockNumber();
  const stor = markets.find((market) => market.base === "STOR")!;
  const storToken = ctx.deployment.contracts.STOR;
  const [storPrice] = await ctx.publicClient.readContract({
    ...oracle(ctx),
    functionName: "consult",
    args: [stor.poolId, storToken, 10n ** 18n],
  });
  const stopped = opened[0];
  const stopPrice = (storPrice * 90n) / 100n;
  await send(ctx, stopped.owner, {
    ...portfolioManager(ctx),
    functionName: "setStopOrder",
    args: [stopped.id, storToken, stopPrice, 0n],
  });
  console.log(
    `  portfolios ${opened.map((p) => p.id).join(", ")}; #${stopped.id} stops STOR at 90 % of today's price`,
  );

  step("prices move: GPU-hours +30 %, storage −25 %; the oracle's window moves over the new prices");
  const gpuh = markets.find((market) => market.base === "GPUH")!;
  await movePrice(ctx, options.outsider, gpuh, 1.3, await chainDeadline(ctx));
  await movePrice(ctx, options.outsider, stor, 0.75, await chainDeadline(ctx));
  const priceMovesBlock = await ctx.publicClient.getBlockNumber();
  await crossWindow(ctx, poolIds, window, period);

  step("the keeper rebalances every portfolio back into its band and fires the stop-loss");
  const ids = opened.map((portfolio) => portfolio.id);
  const outOfBandAfter = await waitFor(
    "every portfolio back in its band",
    async () => {
      const out = await portfoliosOutOfBand(ctx, ids);
      const trades = await portfolioTrades(ctx, fromBlock);
      const stopFired = trades.some((trade) => trade.kind === "StopLoss");
      return out.length === 0 && stopFired ? out : undefined;
    },
    180_000,
    1_000,
  ).catch(async () => portfoliosOutOfBand(ctx, ids));
  const keeperSummary = await fetch(`${keeperUrl}/metrics`)
    .then((r) => r.text())
    .then((text) =>
      text
        .split("\n")
        .filter((line) => /^keeper_(txs|decisions|actions)/.test(line))
        .slice(0, 12)
        .join("\n  "),
    )
    .catch(() => "");
  await keeper.stop();
  const trades = await portfolioTrades(ctx, fromBlock);

  await options.waitForIndexer();
  const rows = await portfolioRows(ctx, opened, options.indexerUrl, options.chainId);

  step("consortium: five agents, a leader, a mandate, a distribution, a proposal and a ragequit");
  const consortium = await runConsortium(ctx, {
    members: options.consortiumAgents,
    outsider: options.outsider,
    markets,
  });

  return {
    rows,
    trades,
    maxLossBps: demoLimits.maxLossPerTradeBps,
    outOfBandAfter,
    stop: { portfolioId: stopped.id, stopPrice, fired: trades.find((trade) => trade.kind === "StopLoss") },
    priceMovesBlock,
    consortium,
    keeperSummary,
  };
}

/** Moves the clock a period at a time over one window and a period, so observations cover the whole window. */
async function crossWindow(ctx: ScenarioContext, poolIds: bigint[], window: number, period: number) {
  // Half a period per step, so that no period's observation slot is skipped (the oracle fails closed on a gap).
  for (let elapsed = 0; elapsed <= window + period; elapsed += period / 2) {
    await travel(ctx, period / 2);
    // The keeper records on the new block; recording here too is harmless (one observation per period).
    await send(ctx, ctx.deployer, recordCall(ctx, poolIds));
  }
}

async function portfolioRows(
  ctx: ScenarioContext,
  opened: OpenedPortfolio[],
  indexerUrl: string,
  chainId: number,
): Promise<PortfolioRow[]> {
  const blockNumber = await ctx.publicClient.getBlockNumber();
  return Promise.all(
    opened.map(async (portfolio) => {
      const manager = portfolioManager(ctx);
      const [[valueOnChain], weights, [riskScoreBps, hhiBps]] = await Promise.all([
        ctx.publicClient.readContract({
          ...manager,
          functionName: "portfolioValue",
          args: [portfolio.id],
          blockNumber,
        }),
        ctx.publicClient.readContract({
          ...manager,
          functionName: "currentWeights",
          args: [portfolio.id],
          blockNumber,
        }),
        ctx.publicClient.readContract({
          ...manager,
          functionName: "calculateRiskScore",
          args: [portfolio.id],
          blockNumber,
        }),
      ]);
      return {
        id: portfolio.id,
        owner: portfolio.owner.address,
        targets: [
          ...(
            await ctx.publicClient.readContract({
              ...manager,
              functionName: "getPortfolio",
              args: [portfolio.id],
              blockNumber,
            })
          ).targetWeightsBps,
        ],
        weights: [...weights],
        valueOnChain,
        indexed: await indexedPortfolioValue(ctx, indexerUrl, chainId, portfolio.id),
        riskScoreBps,
        hhiBps,
      };
    }),
  );
}

const aitbc = (amount: bigint) =>
  Number(formatUnits(amount, 18)).toLocaleString("en-US", { maximumFractionDigits: 2 });
const bps = (value: number | bigint) => `${(Number(value) / 100).toFixed(2)}%`;

export function printPortfoliosReport(
  result: PortfoliosResult,
  table: (headers: string[], rows: (string | number)[][]) => string,
  shortAddress: (address: Address) => string,
) {
  console.log(`\nPortfolios after the keeper (values at the oracle's time-weighted prices, in AITBC)`);
  console.log(
    table(
      [
        "id",
        "owner",
        "targets AITBC/GPUH/LLMT/STOR",
        "weights now",
        "value",
        "indexer value",
        "risk σ",
        "HHI",
      ],
      result.rows.map((row) => [
        String(row.id),
        shortAddress(row.owner),
        row.targets.map((t) => bps(t)).join(" "),
        row.weights.map((w) => bps(w)).join(" "),
        aitbc(row.valueOnChain),
        row.indexed === null ? "—" : `${aitbc(row.indexed.value)} (${row.indexed.blockNumber})`,
        bps(row.riskScoreBps),
        bps(row.hhiBps),
      ]),
    ),
  );
  const sameValues = result.rows.every(
    (row) => row.indexed !== null && row.indexed.value === row.indexed.chainValue,
  );
  console.log(
    `  the indexer's values equal the chain's portfolioValue at the same blocks: ${sameValues ? "✔" : "✘"}`,
  );
  console.log(
    `  out of band after the keeper: ${result.outOfBandAfter.length === 0 ? "none ✔" : result.outOfBandAfter.join(", ")}`,
  );
  const keeperTrades = result.trades.filter((trade) => trade.kind !== "Owner");
  const worst = Math.max(0, ...keeperTrades.map((trade) => trade.lossBps));
  console.log(
    `\nKeeper trades since the prices moved at block ${result.priceMovesBlock}: ${keeperTrades.length}, ` +
      `worst loss against the oracle ${worst.toFixed(2)} bps (limit ${result.maxLossBps} bps) ${worst <= result.maxLossBps ? "✔" : "✘"}`,
  );
  console.log(
    table(
      [
        "block",
        "portfolio",
        "kind",
        "in (token units)",
        "out",
        "oracle's out",
        "loss bps (< 0: beat the oracle)",
      ],
      keeperTrades.map((trade) => [
        String(trade.blockNumber),
        String(trade.portfolioId),
        trade.kind,
        aitbc(trade.amountIn),
        aitbc(trade.amountOut),
        aitbc(trade.oracleAmountOut),
        trade.lossBps.toFixed(2),
      ]),
    ),
  );
  const stop = result.stop;
  console.log(
    stop.fired
      ? `  stop-loss of portfolio ${stop.portfolioId} fired at block ${stop.fired.blockNumber}: STOR sold for ${aitbc(stop.fired.amountOut)} AITBC`
      : `  ✘ the stop-loss of portfolio ${stop.portfolioId} did not fire`,
  );
  if (result.keeperSummary) console.log(`  keeper metrics:\n  ${result.keeperSummary}`);

  console.log(`\nConsortium #${result.consortium.consortiumId}`);
  console.log(
    table(
      ["block", "step", "detail"],
      result.consortium.steps.map((s) => [String(s.block), s.label, s.detail]),
    ),
  );
  console.log(
    result.consortium.mismatches.length === 0
      ? "  every member's wallet equals the model after every step ✔"
      : result.consortium.mismatches.map((m) => `  ✘ ${m}`).join("\n"),
  );
}
