/**
 * The volatility keeper: sets the volatility options price from (`VolatilityFeed`, per AMM pool backing an option
 * underlying) to the pool's realized volatility, inside the bounds governance set on chain, and refreshes it before
 * it goes stale. Wiring only — config, clients, store, server, schedule; the decision is `decide.ts`, one tick is
 * `keeper.ts`.
 *
 *     npx tsx keepers/volatility/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` and keepers/README.md; exit code 78 on a bad setting.
 */
import { volatilityFeedAbi } from "../../generated/abis.js";
import { IndexerClient } from "../lib/indexer.js";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { connectChain, startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { LogWatcher, logUpdates } from "../lib/watch.js";
import { loadVolatilityKeeperConfig, type VolatilityKeeperConfig } from "./config.js";
import { DecisionLog, volatilityMigrations } from "./decisions.js";
import { createVolatilityMetrics, runOnce, type VolatilityKeeperContext } from "./keeper.js";

export type RunningVolatilityKeeper = {
  port: number;
  url: string;
  ctx: VolatilityKeeperContext;
  /** Runs one tick now (waits for a tick in progress instead of overlapping it). */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

export function startVolatilityKeeper(
  config: VolatilityKeeperConfig,
  options: KeeperStartOptions & { hooks?: TxHooks } = {},
): Promise<RunningVolatilityKeeper> {
  return startKeeper({
    name: "volatility",
    title: "volatility keeper",
    config,
    migrations: [volatilityMigrations],
    ...options,
    prepare: (log) => connectChain(config, log),
    build({ log, store, metrics, health }, { deployment, clients }) {
      const feed = deployment.contracts.VolatilityFeed;
      const volatilityMetrics = createVolatilityMetrics(metrics.registry);
      const tx = new TxManager(clients, store, log, txPolicyFrom(config), {
        dryRun: config.dryRun,
        metrics,
        hooks: options.hooks,
      });
      const decisions = new DecisionLog(store);
      const ctx: VolatilityKeeperContext = {
        chainId: config.chainId,
        feed,
        publicClient: clients.publicClient,
        tx,
        indexer: new IndexerClient(config.indexerUrl, config.indexerTimeoutMs),
        decisions,
        policy: {
          deadbandWad: config.deadbandWad,
          minSamples: config.minSamples,
          refreshMarginSeconds: config.refreshMarginSeconds,
          maxStatsAgeSeconds: config.maxStatsAgeSeconds,
        },
        volWindowSeconds: config.volWindowSeconds,
        poolIds: config.poolIds,
        log,
        health,
        metrics,
        volatilityMetrics,
      };

      // Event-driven part: see every volatility change on chain (ours confirm a decision; others are governance's
      // clamping by setBounds, or another holder of the role).
      const watchLog = log.child("watch");
      const watcher = new LogWatcher({
        source: "volatility-updated",
        client: clients.publicClient,
        store,
        log: watchLog,
        address: feed,
        abi: volatilityFeedAbi,
        eventName: "VolatilityUpdated",
        fromBlock: BigInt(deployment.startBlock),
        pollingIntervalMs: config.pollingIntervalMs,
        metrics,
        onLogs: logUpdates({
          account: clients.account.address,
          counter: volatilityMetrics.updatesSeen,
          log: watchLog,
          message: "volatility updated on chain",
        }),
      });

      return {
        expose: { ctx },
        routes: (app) => decisions.routes(app),
        schedule: { expression: config.schedule, run: () => runOnce(ctx) },
        watchers: [watcher],
        stop: () => tx.stop(), // a write in flight returns at its next step; its signed tx stays pending in the store
        started: () => ({
          chainId: config.chainId,
          feed,
          account: clients.account.address,
          pools: config.poolIds,
          schedule: config.schedule,
          dryRun: config.dryRun,
          db: config.dbPath,
          indexer: config.indexerUrl,
          policy: ctx.policy,
          volWindowSeconds: config.volWindowSeconds,
        }),
      };
    },
  });
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({
    keeper: "volatility",
    load: loadVolatilityKeeperConfig,
    start: startVolatilityKeeper,
  });
}
