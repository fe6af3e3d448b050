/**
 * The bridge relayer: collects validator attestations over HTTP, and once a request holds `threshold` distinct
 * valid signatures submits `completeBridge` on its destination (before the deadline) or `refundBridge` on its
 * source (after it), then follows the request on chain until it is completed or refunded. Its key pays gas and
 * holds no role: the signatures carry the authority. Wiring only — config, clients, store, server, schedule;
 * the rules are `relayer.ts`.
 *
 *     npx tsx keepers/bridge-relayer/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` and keepers/README.md; exit code 78 on a bad setting.
 */
import { checkChainId, createChainClients } from "../lib/clients.js";
import { readDeployment } from "../lib/deployments.js";
import { ConfigError } from "../lib/errors.js";
import { isEntrypoint, runKeeperMain, trackRun } from "../lib/process.js";
import { startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import type { Store } from "../lib/store/store.js";
import { TxManager, txPolicyFrom, type TxHooks } from "../lib/tx/sender.js";
import { loadBridgeRelayerConfig, type BridgeRelayerConfig } from "./config.js";
import { createRelayerMetrics, Relayer, type RelayerChainContext } from "./relayer.js";
import { relayerMigrations, RequestLog } from "./requests.js";
import { relayerRoutes } from "./routes.js";

export type RunningBridgeRelayer = {
  port: number;
  url: string;
  relayer: Relayer;
  requests: RequestLog;
  store: Store;
  chains: Map<number, RelayerChainContext>;
  /** Re-checks every open request now (waits for a run in progress instead of overlapping it). */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

export function startBridgeRelayer(
  config: BridgeRelayerConfig,
  options: KeeperStartOptions & { hooks?: TxHooks } = {},
): Promise<RunningBridgeRelayer> {
  return startKeeper({
    name: "bridge-relayer",
    title: "bridge relayer",
    config,
    migrations: [relayerMigrations],
    ...options,
    // Every deployment first: a missing file or address is a config error before anything is opened.
    prepare: () =>
      new Map(
        config.chains.map((c) => [
          c.chainId,
          readDeployment(config.deploymentsDir, c.chainId).contracts.CrossChainBridge,
        ]),
      ),
    async build({ log, store, metrics, health }, bridges) {
      const requests = new RequestLog(store);
      const relayerMetrics = createRelayerMetrics(metrics.registry);

      const chains = new Map<number, RelayerChainContext>();
      for (const c of config.chains) {
        const clients = createChainClients({ ...config, chainId: c.chainId, rpcUrls: c.rpcUrls });
        try {
          await checkChainId(clients.publicClient, c.chainId);
        } catch (error) {
          if (error instanceof ConfigError)
            throw new ConfigError("CHAINS", `${c.chainId}: ${error.shortMessage.replace(/^RPC_URLS: /, "")}`);
          log.warn("chain not reachable at start; every run will try again", { chainId: c.chainId, error });
        }
        // A request moves to `submitted` the moment its signed transaction is on disk, before any broadcast.
        const hooks: TxHooks = {
          onStored: async (attempt) => {
            const m = /^bridge:(completion|refund):(0x[0-9a-f]{64})$/.exec(attempt.intentId);
            if (m)
              requests.update(m[2] as `0x${string}`, {
                status: "submitted",
                kind: m[1] as "completion" | "refund",
                intentId: attempt.intentId,
                txHash: attempt.hash,
                reason: "transaction signed and stored",
              });
            await options.hooks?.onStored?.(attempt);
          },
          onBroadcast: options.hooks?.onBroadcast,
        };
        const tx = new TxManager(
          clients,
          store,
          log.child("chain", { chainId: c.chainId }),
          txPolicyFrom(config),
          {
            dryRun: config.dryRun,
            metrics,
            hooks,
          },
        );
        chains.set(c.chainId, { chainId: c.chainId, bridge: bridges.get(c.chainId)!, clients, tx });
      }

      const relayer = new Relayer({
        chains,
        requests,
        store,
        log,
        metrics: relayerMetrics,
        dryRun: config.dryRun,
      });
      relayer.updateGauge();

      return {
        expose: { relayer, requests, store, chains },
        routes: relayerRoutes({ relayer, requests, store, maxBodyBytes: config.maxBodyBytes }),
        schedule: {
          expression: config.schedule,
          run: () => trackRun({ health, metrics, log }, () => relayer.trackAll()),
        },
        stop() {
          relayer.stop();
          for (const c of chains.values()) c.tx.stop(); // a write in flight stays pending in the store
        },
        settle: () => relayer.settled(),
        started: (http) => ({
          chains: [...chains.values()].map((c) => ({ chainId: c.chainId, bridge: c.bridge })),
          account: chains.values().next().value!.clients.account.address,
          schedule: config.schedule,
          dryRun: config.dryRun,
          db: config.dbPath,
          url: http.url,
        }),
      };
    },
  });
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "bridge-relayer", load: loadBridgeRelayerConfig, start: startBridgeRelayer });
}
