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
import { loadFeeKeeperConfig, type FeeKeeperConfig } from "./config.js";
import { DecisionLog, feeMigrations } from "./decisions.js";
import { IndexerClient } from "./indexer.js";
import { createFeeMetrics, runOnce, type FeeKeeperContext } from "./keeper.js";

export type RunningFeeKeeper = {
  port: number;
  url: string;
  ctx: FeeKeeperContext;
  /** Runs one tick now (waits for a tick in progress instead of overlapping it). */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

export async function startFeeKeeper(
  config: FeeKeeperConfig,
  options: { writeLog?: (line: string) => void; hooks?: TxHooks; runAtStart?: boolean } = {},
): Promise<RunningFeeKeeper> {
  const log = createLogger({ keeper: "fee", level: config.logLevel, write: options.writeLog });
  const deployment = readDeployment(config.deploymentsDir, config.chainId);
  const amm = deployment.contracts.AIServiceAMM;
  const clients = createChainClients(config);
  try {
    await checkChainId(clients.publicClient, config.chainId);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    log.warn("chain not reachable at start; every tick will try again", { error });
  }

  const store = openStore(config.dbPath, [feeMigrations]);
  const metrics = createMetrics("fee");
  const feeMetrics = createFeeMetrics(metrics.registry);
  const health = new Health(config.healthMaxAgeSeconds);
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
    onLogs(logs) {
      for (const l of logs) {
        const by =
          String(l.args.updatedBy).toLowerCase() === clients.account.address.toLowerCase()
            ? "keeper"
            : "other";
        feeMetrics.feeUpdatesSeen.inc({ by });
        watchLog.info("fee updated on chain", {
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
    name: "fee",
    expression: config.schedule,
    task: async () => {
      await runOnce(ctx).catch(() => undefined); // logged and counted by runOnce; the next tick retries
    },
    log,
  });
  watcher.start();
  log.info("fee keeper started", {
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
      log.info("fee keeper stopped");
    },
  };
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "fee", load: loadFeeKeeperConfig, start: startFeeKeeper });
}
