import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ConfigInput } from "./config.js";
import { ConfigError, describeError, ExitCode, KeeperError } from "./errors.js";
import { createLogger, type Logger } from "./log.js";
import type { Health } from "./health.js";
import type { Metrics } from "./metrics.js";

export type RunningKeeper = { stop(): Promise<void> };

/** True when the module at `moduleUrl` is the script node was started with (`tsx keepers/x/main.ts`). */
export function isEntrypoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * The process around a keeper: reads the environment and argv (the only place that does), loads the config
 * — a bad setting prints ONE line, `config error: FIELD: problem`, to stderr and exits 78 (EX_CONFIG, which
 * the systemd unit will not restart) — starts the keeper, and on SIGTERM/SIGINT stops it (schedule stopped,
 * in-flight work finished or left pending in the store, database closed) and exits 0. A second signal, or a
 * stop that takes longer than `stopTimeoutMs`, exits 1 at once: every write is already on disk.
 */
export async function runKeeperMain<C>(options: {
  keeper: string;
  load(input: ConfigInput): C;
  start(config: C): Promise<RunningKeeper>;
  stopTimeoutMs?: number;
}): Promise<void> {
  const log = createLogger({ keeper: options.keeper }).child("process");
  const configExit = (error: ConfigError) => {
    process.stderr.write(`config error: ${error.shortMessage}\n`);
    process.exit(ExitCode.config);
  };

  let config: C;
  try {
    config = options.load({ env: process.env, argv: process.argv.slice(2) });
  } catch (error) {
    if (error instanceof ConfigError) return configExit(error);
    throw error;
  }

  process.on("unhandledRejection", (error) => {
    log.error("unhandled rejection: exiting", { error });
    process.exit(ExitCode.failure);
  });
  process.on("uncaughtException", (error) => {
    log.error("uncaught exception: exiting", { error });
    process.exit(ExitCode.failure);
  });

  let keeper: RunningKeeper;
  try {
    keeper = await options.start(config);
  } catch (error) {
    if (error instanceof ConfigError) return configExit(error);
    const retryable = error instanceof KeeperError && error.retryable;
    log.error("start failed", { error: describeError(error) });
    process.exit(retryable ? ExitCode.tempFail : ExitCode.failure);
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn("second signal: exiting now", { signal });
      process.exit(ExitCode.failure);
    }
    stopping = true;
    log.info("shutting down", { signal });
    const timer = setTimeout(() => {
      log.error("shutdown took too long: exiting", { timeoutMs: options.stopTimeoutMs ?? 20_000 });
      process.exit(ExitCode.failure);
    }, options.stopTimeoutMs ?? 20_000);
    timer.unref();
    keeper.stop().then(
      () => {
        log.info("stopped");
        process.exit(ExitCode.ok);
      },
      (error) => {
        log.error("stop failed", { error });
        process.exit(ExitCode.failure);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

/**
 * Runs one unit of a keeper's work and records it: `keeper_ticks_total{result}`, the last-success gauge and
 * the health clock. The error is logged and rethrown, so a caller (a test, the schedule) sees it.
 */
export async function trackRun<T>(
  deps: { health: Health; metrics: Pick<Metrics, "ticks" | "lastSuccess">; log: Logger },
  work: () => Promise<T>,
): Promise<T> {
  try {
    const result = await work();
    deps.health.progress();
    deps.metrics.ticks.inc({ result: "ok" });
    deps.metrics.lastSuccess.set(Date.now() / 1000);
    return result;
  } catch (error) {
    deps.health.failure(error);
    deps.metrics.ticks.inc({ result: "error" });
    const info = describeError(error);
    deps.log.warn("run failed; will try again on the next tick", { error: info });
    throw error;
  }
}
