/**
 * The expiry keeper: after each option series' expiry, fixes its settlement price in the first block it can,
 * settles every vault of the series and pays every holder in the money (`exerciseFor`), so that no writer or holder
 * must act. It learns series, vaults and holders from AIPowerDerivatives' logs and works at every new block. Wiring
 * only — config, clients, store, server, the block loop; the rules are `decide.ts`, one tick `keeper.ts`.
 *
 *     npx tsx keepers/expiry/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` and keepers/README.md; exit code 78 on a bad setting.
 */
import type { Hono } from "hono";
import { aiPowerDerivativesAbi } from "../../generated/abis.js";
import { BlockLoop } from "../lib/loop.js";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { connectChain, startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import type { Store } from "../lib/store/store.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { LogWatcher } from "../lib/watch.js";
import { loadExpiryConfig, type ExpiryConfig } from "./config.js";
import { ExpiryJournal, expiryMigrations } from "./journal.js";
import {
  createExpiryMetrics,
  learn,
  runOnce,
  settled,
  type ActionResult,
  type ExpiryContext,
  type TickResult,
} from "./keeper.js";

export type RunningExpiryKeeper = {
  port: number;
  url: string;
  ctx: ExpiryContext;
  store: Store;
  journal: ExpiryJournal;
  /** Runs one tick now (never overlapping another) and waits for the writes it launched. */
  tick(): Promise<TickResult & { results: ActionResult[] }>;
  settled(): Promise<void>;
  stop(): Promise<void>;
};

export function startExpiryKeeper(
  config: ExpiryConfig,
  options: Omit<KeeperStartOptions, "runAtStart"> & { hooks?: TxHooks; watchBlocks?: boolean } = {},
): Promise<RunningExpiryKeeper> {
  return startKeeper({
    name: "expiry",
    title: "expiry keeper",
    config,
    migrations: [expiryMigrations],
    writeLog: options.writeLog,
    prepare: (log) => connectChain(config, log, "block"),
    build({ log, store, metrics, health }, { deployment, clients }) {
      const derivatives = deployment.contracts.AIPowerDerivatives;
      const tx = new TxManager(clients, store, log, txPolicyFrom(config), {
        dryRun: config.dryRun,
        metrics,
        hooks: options.hooks,
      });
      const journal = new ExpiryJournal(store);
      // Every event of the derivatives contract: SeriesCreated, VaultOpened, VaultSettled and ERC-6909 Transfer
      // are kept (`learn`), the rest ignored.
      const watcher = new LogWatcher({
        source: "expiry-derivatives",
        client: clients.publicClient,
        store,
        log: log.child("watch"),
        address: derivatives,
        abi: aiPowerDerivativesAbi,
        fromBlock: BigInt(deployment.startBlock),
        metrics,
        onLogs: learn(journal, derivatives),
      });
      const ctx: ExpiryContext = {
        chainId: config.chainId,
        derivatives,
        priceSource: deployment.contracts.OracleOptionPriceSource,
        publicClient: clients.publicClient,
        tx,
        store,
        journal,
        watcher,
        settings: {
          seriesIds: config.seriesIds,
          maxWritesPerBlock: config.maxWritesPerBlock,
          maxHoldersPerCall: config.maxHoldersPerCall,
          readConcurrency: config.readConcurrency,
          dryRun: config.dryRun,
        },
        log,
        health,
        metrics,
        expiryMetrics: createExpiryMetrics(metrics.registry),
        inFlight: new Map(),
        reported: new Set(),
        series: new Map(),
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
            return { ...result, results: await Promise.all(result.launched) };
          },
          settled: () => settled(ctx),
        },
        routes: (app) => {
          journal.routes(app);
          seriesRoutes(app, ctx);
        },
        watchers: (options.watchBlocks ?? true) ? [blocks] : [],
        async stop() {
          await blocks.stop();
          await loop.stop();
          await watcher.stop();
          tx.stop();
          await settled(ctx);
        },
        started: () => ({
          chainId: config.chainId,
          derivatives,
          account: clients.account.address,
          dryRun: config.dryRun,
          db: config.dbPath,
          seriesIds: config.seriesIds,
          maxWritesPerBlock: config.maxWritesPerBlock,
          maxHoldersPerCall: config.maxHoldersPerCall,
        }),
      };
    },
  });
}

/**
 * `GET /series` → `{ blockNumber, inFlight, series }`: each series not done as the last block left it — `live`
 * (not expired), `finalizing`, `settling`, `exercising`, `queued` (waits for room in a later block), `otm` or
 * `done` (in the block it was found so), or `error` — with its settlement price, payoff, open vaults and holders
 * still to pay. `GET /series?all=1` adds the series done earlier (from the store).
 */
function seriesRoutes(app: Hono, ctx: ExpiryContext): void {
  app.get("/series", (c) => {
    const live = [...ctx.series.values()];
    const earlier = c.req.query("all")
      ? ctx.journal
          .allSeries()
          .filter((s) => s.done && !ctx.series.has(BigInt(s.seriesId)))
          .map((s) => ({ seriesId: s.seriesId, expiry: String(s.expiry), status: "done" as const }))
      : [];
    return c.json({
      blockNumber: ctx.lastBlock?.number.toString() ?? null,
      inFlight: [...ctx.inFlight.keys()],
      series: [...live, ...earlier],
    });
  });
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "expiry", load: loadExpiryConfig, start: startExpiryKeeper });
}
