/**
 * The bridge attester: one process per validator key. It watches `BridgeInitiated` on every chain of CHAINS,
 * checks each request against chain state, signs its completion (or, past its deadline, its refund) with the
 * validator key, stores the signature and publishes it to every relayer until each acknowledges it. It sends no
 * transaction. Wiring only — config, clients, store, watchers, server, schedule; the rules are in `attester.ts`.
 *
 *     npx tsx keepers/bridge-attester/main.ts [--dry-run]
 *
 * Settings are listed in `config.ts` and keepers/README.md; exit code 78 on a bad setting.
 */
import { getAddress, type Hex } from "viem";
import { crossChainBridgeAbi } from "../../generated/abis.js";
import type { BridgeRequest } from "../lib/bridge.js";
import { createChainClients } from "../lib/clients.js";
import { readDeployment } from "../lib/deployments.js";
import { ConfigError } from "../lib/errors.js";
import type { Logger } from "../lib/log.js";
import { isEntrypoint, runKeeperMain } from "../lib/process.js";
import { startKeeper, type KeeperStartOptions } from "../lib/runtime.js";
import { LogWatcher } from "../lib/watch.js";
import { createAttesterMetrics, runOnce, type AttesterChain, type AttesterContext } from "./attester.js";
import { loadAttesterConfig, type AttesterConfig } from "./config.js";
import { AttesterRecords, attesterMigrations } from "./records.js";

export type RunningAttester = {
  port: number;
  url: string;
  ctx: AttesterContext;
  /** Runs one tick now (waits for a tick in progress instead of overlapping it). */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

const signerKey = "bridge-attester:signer";

/** Every chain of CHAINS: its deployment and a client, checked to serve that chain when it answers. */
async function connectChains(config: AttesterConfig, log: Logger) {
  const chains = new Map<number, AttesterChain>();
  let account: AttesterContext["account"] | undefined;
  for (const endpoint of config.chains) {
    const deployment = readDeployment(config.deploymentsDir, endpoint.chainId);
    const clients = createChainClients({
      chainId: endpoint.chainId,
      rpcUrls: endpoint.rpcUrls,
      privateKey: config.privateKey,
      rpcTimeoutMs: config.rpcTimeoutMs,
      pollingIntervalMs: config.pollingIntervalMs,
    });
    account ??= clients.account;
    try {
      const actual = await clients.publicClient.getChainId();
      if (actual !== endpoint.chainId)
        throw new ConfigError(
          "CHAINS",
          `the endpoint of chain ${endpoint.chainId} reports chain id ${actual}`,
        );
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      log.warn("chain not reachable at start; every tick will try again", {
        chainId: endpoint.chainId,
        error,
      });
    }
    chains.set(endpoint.chainId, {
      chainId: endpoint.chainId,
      bridge: getAddress(deployment.contracts.CrossChainBridge),
      startBlock: BigInt(deployment.startBlock),
      client: clients.publicClient,
    });
  }
  return { chains, account: account! };
}

export function startBridgeAttester(
  config: AttesterConfig,
  options: KeeperStartOptions & { watch?: boolean } = {},
): Promise<RunningAttester> {
  return startKeeper({
    name: "bridge-attester",
    title: "bridge attester",
    config,
    migrations: [attesterMigrations],
    ...options,
    prepare: (log) => connectChains(config, log),
    build({ log, store, metrics, health }, { chains, account }) {
      // One store per validator key: a DB that recorded another key's signatures would lie about what this key signed.
      const owner = store.getCursor(signerKey);
      if (owner !== undefined && owner !== account.address)
        throw new ConfigError(
          "DB_PATH",
          `${config.dbPath} belongs to validator ${owner}, not to this key's ${account.address}`,
        );
      if (owner === undefined) store.setCursor(signerKey, account.address);
      const records = new AttesterRecords(store);
      const attesterMetrics = createAttesterMetrics(metrics.registry);
      const ctx: AttesterContext = {
        chains,
        account,
        records,
        confirmations: BigInt(config.confirmations),
        signMarginSeconds: BigInt(config.signMarginSeconds),
        relayers: config.relayerUrls,
        relayerTimeoutMs: config.relayerTimeoutMs,
        relayerRetryMs: config.relayerRetryMs,
        relayerRetryMaxMs: config.relayerRetryMaxMs,
        dryRun: config.dryRun,
        log,
        health,
        metrics,
        attesterMetrics,
        dryRunLogged: new Set(),
      };
      if (!config.dryRun) {
        const added = records.backfillOutbox(config.relayerUrls);
        if (added > 0)
          log.info("queued stored attestations for newly configured relayers", { deliveries: added });
      }

      const watchLog = log.child("watch");
      for (const chain of chains.values()) {
        chain.watcher = new LogWatcher({
          source: "bridge-initiated",
          client: chain.client,
          store,
          log: watchLog,
          address: chain.bridge,
          abi: crossChainBridgeAbi,
          eventName: "BridgeInitiated",
          fromBlock: chain.startBlock,
          pollingIntervalMs: config.pollingIntervalMs,
          metrics,
          onLogs(logs) {
            for (const l of logs) {
              const request = l.args.request as BridgeRequest;
              const requestId = l.args.requestId as Hex;
              const added = records.addRequest({
                requestId,
                seenOnChainId: chain.chainId,
                request,
                blockNumber: l.blockNumber,
                blockHash: l.blockHash,
                txHash: l.transactionHash,
                logIndex: l.logIndex,
              });
              if (added)
                watchLog.info("bridge request seen", {
                  requestId,
                  chainId: chain.chainId,
                  dstChainId: request.dstChainId,
                  amount: request.amount,
                  deadline: request.deadline,
                  blockNumber: l.blockNumber,
                  hash: l.transactionHash,
                });
            }
          },
        });
      }

      return {
        expose: { ctx },
        routes: (app) => records.routes(app),
        schedule: { expression: config.schedule, run: () => runOnce(ctx) },
        // watch: false (tests): the watchers only catch up when a tick asks, and stop() still waits for them.
        watchers: [...chains.values()].map((c) =>
          (options.watch ?? true) ? c.watcher! : { start() {}, stop: () => c.watcher!.stop() },
        ),
        started: () => ({
          validator: account.address,
          chains: [...chains.values()].map((c) => ({
            chainId: c.chainId,
            bridge: c.bridge,
            startBlock: c.startBlock,
          })),
          relayers: config.relayerUrls,
          confirmations: config.confirmations,
          signMarginSeconds: config.signMarginSeconds,
          schedule: config.schedule,
          dryRun: config.dryRun,
          db: config.dbPath,
        }),
      };
    },
  });
}

if (isEntrypoint(import.meta.url)) {
  await runKeeperMain({ keeper: "bridge-attester", load: loadAttesterConfig, start: startBridgeAttester });
}
