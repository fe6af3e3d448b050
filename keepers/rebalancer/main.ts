/**
 * The rebalancer: at every new block, records the oracle for the portfolios' pools when an observation is due,
 * and for every agent portfolio of the AgentPortfolioManager fires a triggerable stop order or rebalances a
 * portfolio whose weights left their drift band — in the first block after the one in which the condition holds.
 * Wiring only — config, clients, store, server, the block loop; the rules are `decide.ts`, one tick `keeper.ts`.
 *
 *     npx tsx keepers/rebalancer/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` and keepers/README.md; exit code 78 on a bad setting.
 */
import type { Hono } from "hono";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { connectChain, startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import type { Store } from "../lib/store/store.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { PortfolioBook } from "./chain.js";
import { loadRebalancerConfig, type RebalancerConfig } from "./config.js";
import { Episodes } from "./decide.js";
import { ActionJournal, rebalancerMigrations } from "./journal.js";
import { BlockLoop } from "../lib/loop.js";
import {
  createRebalancerMetrics,
  runOnce,
  settled,
  type ActionResult,
  type RebalancerContext,
  type TickResult,
} from "./keeper.js";

export type RunningRebalancer = {
  port: number;
  url: string;
  ctx: RebalancerContext;
  store: Store;
  journal: ActionJournal;
  /**
   * Runs one tick now (after the one in progress, never overlapping it) and waits for the actions it launched to
   * end; resolves with the tick and their results. Rejects when the tick could not read the chain.
   */
  tick(): Promise<TickResult & { actions: ActionResult[] }>;
  /** Waits until every write in flight has returned. */
  settled(): Promise<void>;
  stop(): Promise<void>;
};

export function startRebalancer(
  config: RebalancerConfig,
  options: Omit<KeeperStartOptions, "runAtStart"> & {
    hooks?: TxHooks;
    /** Tick on every new block (default). Tests that drive ticks themselves turn it off. */
    watchBlocks?: boolean;
  } = {},
): Promise<RunningRebalancer> {
  return startKeeper({
    name: "rebalancer",
    title: "rebalancer",
    config,
    migrations: [rebalancerMigrations],
    writeLog: options.writeLog,
    prepare: (log) => connectChain(config, log, "block"),
    build({ log, store, metrics, health }, { deployment, clients }) {
      const manager = deployment.contracts.AgentPortfolioManager;
      const oracle = deployment.contracts.ComputePriceOracle;
      const tx = new TxManager(clients, store, log, txPolicyFrom(config), {
        dryRun: config.dryRun,
        metrics,
        hooks: options.hooks,
      });
      const journal = new ActionJournal(store);
      const ctx: RebalancerContext = {
        chainId: config.chainId,
        manager,
        oracle,
        publicClient: clients.publicClient,
        tx,
        store,
        journal,
        book: new PortfolioBook(clients.publicClient, manager, {
          only: config.portfolioIds,
          concurrency: config.readConcurrency,
        }),
        episodes: new Episodes(),
        inFlight: new Map(),
        backoff: new Map(),
        portfolios: new Map(),
        settings: {
          backoffSeconds: config.backoffSeconds,
          recordOracle: config.recordOracle,
          readConcurrency: config.readConcurrency,
          dryRun: config.dryRun,
        },
        log,
        health,
        metrics,
        rebalancerMetrics: createRebalancerMetrics(metrics.registry),
        ticks: 0,
      };

      // The work runs on every new block, not on a schedule.
      const loop = new BlockLoop(() => runOnce(ctx));
      let unwatch: (() => void) | undefined;
      const blocks = {
        start() {
          const watchLog = log.child("watch");
          unwatch = clients.publicClient.watchBlockNumber({
            emitOnBegin: true,
            emitMissed: false,
            poll: true,
            pollingInterval: config.pollingIntervalMs,
            onBlockNumber: () => loop.onBlock(),
            onError: (error) => watchLog.warn("block watch failed; retrying", { error }),
          });
        },
        async stop() {
          unwatch?.();
          unwatch = undefined;
        },
      };

      return {
        expose: {
          ctx,
          store,
          journal,
          async tick() {
            const result = await loop.runNow();
            return { ...result, actions: await Promise.all(result.launched) };
          },
          settled: () => settled(ctx),
        },
        routes: (app) => {
          journal.routes(app);
          portfolioRoutes(app, ctx);
        },
        watchers: (options.watchBlocks ?? true) ? [blocks] : [],
        async stop() {
          await blocks.stop();
          await loop.stop();
          tx.stop(); // a write in flight returns at its next step; its signed tx stays pending in the store
          await settled(ctx);
        },
        started: () => ({
          chainId: config.chainId,
          manager,
          oracle,
          account: clients.account.address,
          dryRun: config.dryRun,
          db: config.dbPath,
          portfolioIds: config.portfolioIds,
          recordOracle: config.recordOracle,
          backoffSeconds: config.backoffSeconds,
          watchBlocks: options.watchBlocks ?? true,
        }),
      };
    },
  });
}

/**
 * `GET /portfolios` → `{ blockNumber, portfolios: [...] }`: each watched portfolio as the last tick saw it —
 * `in-band`, `acting` (an action launched in that tick), `queued` (an action left for the next block: a pool
 * it trades through is taken), `blocked` (outside its band, but `needsRebalance` says
 * the contract would not trade now), `busy` (an earlier action unfinished), `backoff` (the contract refused to trade
 * it; left alone until `backoffUntil`, chain time) or `unpriced` (the oracle cannot price it: the error says why) —
 * with its largest drift in bps.
 */
function portfolioRoutes(app: Hono, ctx: RebalancerContext): void {
  app.get("/portfolios", (c) =>
    c.json({
      blockNumber: ctx.lastBlock?.number.toString() ?? null,
      portfolios: [...ctx.portfolios.values()].map((p) => ({
        portfolioId: p.portfolioId.toString(),
        status: p.status,
        detail: p.detail,
        maxDriftBps: p.maxDriftBps?.toString() ?? null,
        backoffUntil: ctx.backoff.get(`portfolio:${p.portfolioId}`) ?? null,
        inFlight: ctx.inFlight.get(`portfolio:${p.portfolioId}`)?.intentId ?? null,
        blockNumber: p.blockNumber.toString(),
      })),
    }),
  );
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "rebalancer", load: loadRebalancerConfig, start: startRebalancer });
}
