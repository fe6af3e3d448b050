/**
 * The APY keeper: moves each farm pool's reward rate toward the rate that pays a target APY, which falls with
 * the square root of the pool's utilization (stake over its target stake), inside the bounds, step, interval
 * and budget the farm enforces. Wiring only — config, clients, store, server, schedule; the decision is
 * `decide.ts`, one tick is `keeper.ts`.
 *
 *     npx tsx keepers/apy/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` and keepers/README.md; exit code 78 on a bad setting.
 */
import { aiPowerYieldFarmAbi } from "../../generated/abis.js";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { connectChain, startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { LogWatcher, logUpdates } from "../lib/watch.js";
import { loadApyKeeperConfig, type ApyKeeperConfig } from "./config.js";
import { percent } from "./decide.js";
import { apyMigrations, DecisionLog } from "./decisions.js";
import { createApyMetrics, runOnce, type ApyKeeperContext } from "./keeper.js";

export type RunningApyKeeper = {
  port: number;
  url: string;
  ctx: ApyKeeperContext;
  /** Runs one tick now (waits for a tick in progress instead of overlapping it). */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

export function startApyKeeper(
  config: ApyKeeperConfig,
  options: KeeperStartOptions & { hooks?: TxHooks } = {},
): Promise<RunningApyKeeper> {
  return startKeeper({
    name: "apy",
    title: "apy keeper",
    config,
    migrations: [apyMigrations],
    ...options,
    prepare: (log) => connectChain(config, log),
    build({ log, store, metrics, health }, { deployment, clients }) {
      const farm = deployment.contracts.AIPowerYieldFarm;
      const apyMetrics = createApyMetrics(metrics.registry);
      const tx = new TxManager(clients, store, log, txPolicyFrom(config), {
        dryRun: config.dryRun,
        metrics,
        hooks: options.hooks,
      });
      const decisions = new DecisionLog(store);
      const ctx: ApyKeeperContext = {
        chainId: config.chainId,
        farm,
        publicClient: clients.publicClient,
        tx,
        decisions,
        policy: {
          baseApy: config.baseApy,
          minApy: config.minApy,
          maxApy: config.maxApy,
          deadband: config.deadband,
          targetStake: config.targetStake,
          poolTargets: config.poolTargets,
        },
        poolIds: config.poolIds,
        log,
        health,
        metrics,
        apyMetrics,
      };

      // Event-driven part: see every rate change on chain (ours confirm a decision; others are governance's).
      const watchLog = log.child("watch");
      const watcher = new LogWatcher({
        source: "reward-rate-updated",
        client: clients.publicClient,
        store,
        log: watchLog,
        address: farm,
        abi: aiPowerYieldFarmAbi,
        eventName: "RewardRateUpdated",
        fromBlock: BigInt(deployment.startBlock),
        pollingIntervalMs: config.pollingIntervalMs,
        metrics,
        onLogs: logUpdates({
          account: clients.account.address,
          counter: apyMetrics.rateUpdatesSeen,
          log: watchLog,
          message: "reward rate updated on chain",
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
          farm,
          account: clients.account.address,
          schedule: config.schedule,
          dryRun: config.dryRun,
          db: config.dbPath,
          policy: {
            baseApy: percent(config.baseApy),
            minApy: percent(config.minApy),
            maxApy: percent(config.maxApy),
            deadband: percent(config.deadband),
            targetStake: config.targetStake,
            poolTargets: Object.fromEntries([...config.poolTargets].map(([k, v]) => [k.toString(), v])),
          },
          poolIds: config.poolIds,
        }),
      };
    },
  });
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "apy", load: loadApyKeeperConfig, start: startApyKeeper });
}
