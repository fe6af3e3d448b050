import type { Hono } from "hono";
import { checkChainId, createChainClients, type ChainClients } from "./clients.js";
import type { Secret } from "./config.js";
import { readDeployment, type Deployment } from "./deployments.js";
import { ConfigError } from "./errors.js";
import { Health } from "./health.js";
import { startHttpServer } from "./http.js";
import { createLogger, type LogFields, type Logger, type LogLevel } from "./log.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { scheduleTask } from "./schedule.js";
import { openStore, type Store } from "./store/store.js";

/**
 * The process wiring every keeper shares, so that a keeper's `main.ts` says only what is its own:
 *
 *     export const startFooKeeper = (config: FooConfig, options: KeeperStartOptions = {}) =>
 *       startKeeper({
 *         name: "foo", title: "foo keeper", config, migrations: [fooMigrations], ...options,
 *         prepare: (log) => connectChain(config, log),          // before the store opens
 *         build: ({ log, store, metrics, health }, { deployment, clients }) => ({
 *           expose: { ctx },                                     // beside port, url, tick(), stop()
 *           routes: (app) => …,                                  // beside /healthz and /metrics
 *           schedule: { expression: config.schedule, run: () => runOnce(ctx) },
 *           watchers: [watcher],
 *           stop: () => tx.stop(),
 *           started: () => ({ chainId: config.chainId, … }),   // fields of "foo keeper started"
 *         }),
 *       });
 *
 * It creates the logger (`keeper: name`), opens the store with the keeper's migrations, the metrics registry
 * (`keeper="name"`) and the health clock; serves `/healthz`, `/metrics` and the keeper's routes; runs
 * `schedule.run` on its cron expression without overlap (a failed run is the run's to log and count, see
 * `trackRun`); starts the watchers; logs `<title> started`, and runs once at start unless `runAtStart: false`.
 * `stop()` (idempotent) runs the keeper's `stop` (end writes in flight: `tx.stop()`), stops the schedule and the
 * watchers, closes the server, waits for the keeper's `settle`, closes the store and logs `<title> stopped`.
 * A throw while building or serving closes the store before it propagates.
 */
export async function startKeeper<P, X extends object>(spec: {
  /** The keeper's name: `keeper` in its logs and metrics, the name of its schedule. */
  name: string;
  /** How its start and stop lines name it ("fee keeper" → "fee keeper started"). */
  title: string;
  config: KeeperProcessConfig;
  /** The keeper's own tables, applied after the runtime's. */
  migrations: { folder: string; table: string }[];
  writeLog?: (line: string) => void;
  runAtStart?: boolean;
  /** Runs before the store opens (deployments, chains): a config error here leaves no file behind. */
  prepare?: (log: Logger) => P | Promise<P>;
  build: (runtime: KeeperRuntime, prepared: P) => KeeperParts<X> | Promise<KeeperParts<X>>;
}): Promise<Omit<StartedKeeper, keyof X> & X> {
  const { config } = spec;
  const log = createLogger({ keeper: spec.name, level: config.logLevel, write: spec.writeLog });
  const prepared = (await spec.prepare?.(log)) as P;
  const store = openStore(config.dbPath, spec.migrations);
  let parts: KeeperParts<X>;
  let http;
  try {
    const metrics = createMetrics(spec.name);
    const health = new Health(config.healthMaxAgeSeconds);
    health.addCheck((now) => orphanedWrites(store, now - config.healthMaxAgeSeconds * 1000));
    parts = await spec.build({ log, store, metrics, health }, prepared);
    http = await startHttpServer({
      host: config.httpHost,
      port: config.httpPort,
      health,
      registry: metrics.registry,
      log: log.child("http"),
      routes: parts.routes,
    });
  } catch (error) {
    store.close();
    throw error;
  }

  const work = parts.schedule;
  const schedule =
    work &&
    scheduleTask({
      name: spec.name,
      expression: work.expression,
      task: async () => {
        await work.run().catch(() => undefined); // logged and counted by the run; the next tick retries
      },
      log,
    });
  const watchers = parts.watchers ?? [];
  for (const watcher of watchers) watcher.start();
  log.info(`${spec.title} started`, parts.started(http));
  if (schedule && (spec.runAtStart ?? true)) void schedule.runNow();

  let stopped = false;
  const running: StartedKeeper = {
    port: http.port,
    url: http.url,
    tick: () => schedule?.runNow() ?? Promise.resolve(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await parts.stop?.();
      await schedule?.stop();
      for (const watcher of watchers) await watcher.stop();
      await http.close();
      await parts.settle?.();
      store.close();
      log.info(`${spec.title} stopped`);
    },
  };
  return { ...running, ...parts.expose };
}

/**
 * Why a keeper is not making progress whatever its runs say: writes a reorg took off the chain longer ago than
 * `before` (unix ms) that are still not back on it (see TxManager).
 */
function orphanedWrites(store: Store, before: number): string | undefined {
  if (!store.sqlite.open) return undefined;
  const stuck = store.orphanedBefore(before);
  if (!stuck.length) return undefined;
  const ids = stuck.slice(0, 3).map((i) => i.id);
  return `${stuck.length} write(s) a reorg took off the chain are not back on it (${ids.join(", ")}${stuck.length > 3 ? ", …" : ""})`;
}

/** The runtime settings `startKeeper` reads (every keeper's config has them, see `runtimeSettings`). */
export type KeeperProcessConfig = {
  logLevel: LogLevel;
  dbPath: string;
  httpHost: string;
  httpPort: number;
  healthMaxAgeSeconds: number;
};

/** What `startKeeper` opened, for the keeper to build on. */
export type KeeperRuntime = { log: Logger; store: Store; metrics: Metrics; health: Health };

/** A keeper, as it tells `startKeeper` how to run it. */
export type KeeperParts<X> = {
  /** What the running keeper exposes beside `port`, `url`, `tick()` and `stop()` (its context, store, …). */
  expose: X;
  /** The keeper's own routes, beside `/healthz` and `/metrics`. */
  routes?: (app: Hono) => void;
  /** Periodic work: `run` on the node-cron `expression`, never overlapping; `tick()` runs it now. */
  schedule?: { expression: string; run: () => Promise<unknown> };
  /** Started after the schedule is set up, stopped after it (log watchers, block watching). */
  watchers?: { start(): void; stop(): Promise<void> }[];
  /** First step of `stop()`: make work in flight return (`tx.stop()`: a signed write stays pending in the store). */
  stop?: () => void | Promise<void>;
  /** After the server has closed, before the store does: wait for work still in flight. */
  settle?: () => Promise<void>;
  /** Fields of the `<title> started` line. */
  started: (http: { port: number; url: string }) => LogFields;
};

export type StartedKeeper = {
  port: number;
  url: string;
  /** Runs the scheduled work now (waits for a run in progress instead of overlapping it). */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

/** What a test or a caller may pass to a keeper's `start…` besides its config. */
export type KeeperStartOptions = { writeLog?: (line: string) => void; runAtStart?: boolean };

/**
 * One chain, as a single-chain keeper starts on it: the deployment of CHAIN_ID (a missing one is a config error),
 * viem clients over RPC_URLS, and a check that they serve CHAIN_ID — a wrong chain is a config error, an
 * unreachable one only a warning: every `retry` (tick, block) tries again.
 */
export async function connectChain(
  config: {
    chainId: number;
    rpcUrls: string[];
    privateKey: Secret<`0x${string}`>;
    deploymentsDir: string;
    rpcTimeoutMs?: number;
    pollingIntervalMs?: number;
  },
  log: Logger,
  retry: "tick" | "block" = "tick",
): Promise<{ deployment: Deployment; clients: ChainClients }> {
  const deployment = readDeployment(config.deploymentsDir, config.chainId);
  const clients = createChainClients(config);
  try {
    await checkChainId(clients.publicClient, config.chainId);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    log.warn(`chain not reachable at start; every ${retry} will try again`, { error });
  }
  return { deployment, clients };
}
