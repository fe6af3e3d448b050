/**
 * The liquidator: at every new block, reads every margined vault of AIPowerDerivatives (learned from VaultOpened)
 * and liquidates one in the first block in which it is liquidatable, burning options of its series that the
 * keeper's account holds, when the reward covers the gas. Wiring only — config, clients, store, server, the block
 * loop; the rules are `decide.ts`, one tick `keeper.ts`.
 *
 *     npx tsx keepers/liquidator/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` and keepers/README.md; exit code 78 on a bad setting.
 */
import type { Hono } from "hono";
import { aiPowerDerivativesAbi } from "../../generated/abis.js";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { connectChain, startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import type { Store } from "../lib/store/store.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { LogWatcher } from "../lib/watch.js";
import { BlockLoop } from "../lib/loop.js";
import { loadLiquidatorConfig, type LiquidatorConfig } from "./config.js";
import { LiquidatorJournal, liquidatorMigrations } from "./journal.js";
import {
  createLiquidatorMetrics,
  runOnce,
  settled,
  type LiquidationResult,
  type LiquidatorContext,
  type TickResult,
} from "./keeper.js";

export type RunningLiquidator = {
  port: number;
  url: string;
  ctx: LiquidatorContext;
  store: Store;
  journal: LiquidatorJournal;
  /** Runs one tick now (never overlapping another) and waits for the liquidations it launched. */
  tick(): Promise<TickResult & { actions: LiquidationResult[] }>;
  settled(): Promise<void>;
  stop(): Promise<void>;
};

export function startLiquidator(
  config: LiquidatorConfig,
  options: Omit<KeeperStartOptions, "runAtStart"> & { hooks?: TxHooks; watchBlocks?: boolean } = {},
): Promise<RunningLiquidator> {
  return startKeeper({
    name: "liquidator",
    title: "liquidator",
    config,
    migrations: [liquidatorMigrations],
    writeLog: options.writeLog,
    prepare: (log) => connectChain(config, log, "block"),
    build({ log, store, metrics, health }, { deployment, clients }) {
      const derivatives = deployment.contracts.AIPowerDerivatives;
      const tx = new TxManager(clients, store, log, txPolicyFrom(config), {
        dryRun: config.dryRun,
        metrics,
        hooks: options.hooks,
      });
      const journal = new LiquidatorJournal(store);
      const watcher = new LogWatcher({
        source: "liquidator-vaults",
        client: clients.publicClient,
        store,
        log: log.child("watch"),
        address: derivatives,
        abi: aiPowerDerivativesAbi,
        eventName: "VaultOpened",
        fromBlock: BigInt(deployment.startBlock),
        metrics,
        onLogs(logs) {
          for (const l of logs) {
            const { vaultId, seriesId, owner, margined } = l.args as {
              vaultId: bigint;
              seriesId: bigint;
              owner: string;
              margined: boolean;
            };
            if (margined) journal.addVault({ vaultId, seriesId, owner, openedBlock: l.blockNumber });
          }
        },
      });
      const ctx: LiquidatorContext = {
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
          nativePrices: config.nativePrices,
          minMultipleMicros: BigInt(Math.round(config.minRewardGasMultiple * 1e6)),
          readConcurrency: config.readConcurrency,
          dryRun: config.dryRun,
        },
        log,
        health,
        metrics,
        liquidatorMetrics: createLiquidatorMetrics(metrics.registry),
        series: new Map(),
        firstSeen: new Map(),
        inFlight: new Map(),
        reported: new Set(),
        vaults: new Map(),
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
          vaultRoutes(app, ctx);
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
          pricedTokens: [...config.nativePrices.keys()],
          minRewardGasMultiple: config.minRewardGasMultiple,
        }),
      };
    },
  });
}

/**
 * `GET /vaults` → `{ blockNumber, inFlight, vaults }`: each watched vault as the last tick saw it — `liquidate`,
 * `skip` (with the reason: healthy, expired, no-inventory, …), `unrewarding` (liquidatable, but the reward does not
 * cover the gas, or its collateral is unpriced), `in-flight` or `error`.
 */
function vaultRoutes(app: Hono, ctx: LiquidatorContext): void {
  app.get("/vaults", (c) =>
    c.json({
      blockNumber: ctx.lastBlock?.number.toString() ?? null,
      inFlight: [...ctx.inFlight.values()].map((f) => f.intentId),
      vaults: [...ctx.vaults.values()],
    }),
  );
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "liquidator", load: loadLiquidatorConfig, start: startLiquidator });
}
