/**
 * The fee keeper: moves each AMM pool's fee toward a target that grows with the pool's realized volatility,
 * inside the bounds governance set on chain. Wiring only — config, clients, store, server, schedule; the
 * decision is `decide.ts`, one tick is `keeper.ts`.
 *
 *     npx tsx keepers/fee/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` (and in the report of the issue); exit code 78 on a bad setting.
 */
import { aiServiceAmmAbi } from "../../generated/abis.js";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { connectChain, startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { LogWatcher, logUpdates } from "../lib/watch.js";
import { loadFeeKeeperConfig, type FeeKeeperConfig } from "./config.js";
import { DecisionLog, feeMigrations } from "./decisions.js";
import { IndexerClient } from "../lib/indexer.js";
import { createFeeMetrics, runOnce, type FeeKeeperContext } from "./keeper.js";

export type RunningFeeKeeper = {
  port: number;
  url: string;
  ctx: FeeKeeperContext;
  /** Runs one tick now (waits for a tick in progress instead of overlapping it). */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

export function startFeeKeeper(
  config: FeeKeeperConfig,
  options: KeeperStartOptions & { hooks?: TxHooks } = {},
): Promise<RunningFeeKeeper> {
  return startKeeper({
    name: "fee",
    title: "fee keeper",
    config,
    migrations: [feeMigrations],
    ...options,
    prepare: (log) => connectChain(config, log),
    build({ log, store, metrics, health }, { deployment, clients }) {
      const amm = deployment.contracts.AIServiceAMM;
      const feeMetrics = createFeeMetrics(metrics.registry);
      const tx = new TxManager(clients, store, log, txPolicyFrom(config), {
        dryRun: config.dryRun,
        metrics,
        hooks: options.hooks,
      });
      const decisions = new DecisionLog(store);
      const ctx: FeeKeeperContext = {
        chainId: config.chainId,
        amm,
        publicClient: clients.publicClient,
        tx,
        indexer: new IndexerClient(config.indexerUrl, config.indexerTimeoutMs),
        decisions,
        policy: {
          baseFee: config.baseFee,
          feePerVol: config.feePerVol,
          deadband: config.deadband,
          minSamples: config.minSamples,
        },
        maxStatsAgeSeconds: config.maxStatsAgeSeconds,
        volWindowSeconds: config.volWindowSeconds,
        poolIds: config.poolIds,
        log,
        health,
        metrics,
        feeMetrics,
      };

      // Event-driven part: see every fee change on chain (ours confirm a decision; others are governance's).
      const watchLog = log.child("watch");
      const watcher = new LogWatcher({
        source: "fee-updated",
        client: clients.publicClient,
        store,
        log: watchLog,
        address: amm,
        abi: aiServiceAmmAbi,
        eventName: "FeeUpdated",
        fromBlock: BigInt(deployment.startBlock),
        pollingIntervalMs: config.pollingIntervalMs,
        metrics,
        onLogs: logUpdates({
          account: clients.account.address,
          counter: feeMetrics.feeUpdatesSeen,
          log: watchLog,
          message: "fee updated on chain",
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
          amm,
          account: clients.account.address,
          schedule: config.schedule,
          dryRun: config.dryRun,
          db: config.dbPath,
          indexer: config.indexerUrl,
          policy: ctx.policy,
          volWindowSeconds: config.volWindowSeconds,
          maxStatsAgeSeconds: config.maxStatsAgeSeconds,
        }),
      };
    },
  });
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "fee", load: loadFeeKeeperConfig, start: startFeeKeeper });
}
