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
import { checkChainId, createChainClients } from "../lib/clients.js";
import { readDeployment } from "../lib/deployments.js";
import { ConfigError } from "../lib/errors.js";
import { Health } from "../lib/health.js";
import { startHttpServer } from "../lib/http.js";
import { createLogger } from "../lib/log.js";
import { createMetrics } from "../lib/metrics.js";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { scheduleTask } from "../lib/schedule.js";
import { openStore } from "../lib/store/store.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { LogWatcher } from "../lib/watch.js";
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

export async function startApyKeeper(
  config: ApyKeeperConfig,
  options: { writeLog?: (line: string) => void; hooks?: TxHooks; runAtStart?: boolean } = {},
): Promise<RunningApyKeeper> {
  const log = createLogger({ keeper: "apy", level: config.logLevel, write: options.writeLog });
  const deployment = readDeployment(config.deploymentsDir, config.chainId);
  const farm = deployment.contracts.AIPowerYieldFarm;
  const clients = createChainClients(config);
  try {
    await checkChainId(clients.publicClient, config.chainId);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    log.warn("chain not reachable at start; every tick will try again", { error });
  }

  const store = openStore(config.dbPath, [apyMigrations]);
  const metrics = createMetrics("apy");
  const apyMetrics = createApyMetrics(metrics.registry);
  const health = new Health(config.healthMaxAgeSeconds);
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
    onLogs(logs) {
      for (const l of logs) {
        const by =
          String(l.args.updatedBy).toLowerCase() === clients.account.address.toLowerCase()
            ? "keeper"
            : "other";
        apyMetrics.rateUpdatesSeen.inc({ by });
        watchLog.info("reward rate updated on chain", {
          ...l.args,
          by,
          blockNumber: l.blockNumber,
          hash: l.transactionHash,
        });
      }
    },
  });

  const http = await startHttpServer({
    host: config.httpHost,
    port: config.httpPort,
    health,
    registry: metrics.registry,
    log: log.child("http"),
    routes: (app) => decisions.routes(app),
  });

  const schedule = scheduleTask({
    name: "apy",
    expression: config.schedule,
    task: async () => {
      await runOnce(ctx).catch(() => undefined); // logged and counted by runOnce; the next tick retries
    },
    log,
  });
  watcher.start();
  log.info("apy keeper started", {
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
  });
  if (options.runAtStart ?? true) void schedule.runNow();

  let stopped = false;
  return {
    port: http.port,
    url: http.url,
    ctx,
    tick: () => schedule.runNow(),
    async stop() {
      if (stopped) return;
      stopped = true;
      tx.stop(); // a write in flight returns at its next step; its signed tx stays pending in the store
      await schedule.stop();
      await watcher.stop();
      await http.close();
      store.close();
      log.info("apy keeper stopped");
    },
  };
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "apy", load: loadApyKeeperConfig, start: startApyKeeper });
}
