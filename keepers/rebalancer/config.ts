import {
  configSource,
  loadSettings,
  runtimeSettings,
  setting,
  type ConfigInput,
  type Setting,
  type SettingsOf,
} from "../lib/config.js";
import { ConfigError } from "../lib/errors.js";

/** PORTFOLIO_IDS: portfolio ids to watch, comma-separated, each at most once; unset = every portfolio on chain. */
function portfolioIds(): Setting<bigint[] | undefined> {
  return {
    read(source) {
      const raw = source.get("PORTFOLIO_IDS");
      if (raw === undefined) return undefined;
      const parts = raw.split(",").map((s) => s.trim());
      if (!parts.every((p) => /^\d+$/.test(p)))
        throw new ConfigError(
          "PORTFOLIO_IDS",
          `expected a comma-separated list of portfolio ids, got ${JSON.stringify(raw)}`,
        );
      const ids = parts.map(BigInt);
      const twice = ids.find((id, i) => ids.indexOf(id) !== i);
      if (twice !== undefined) throw new ConfigError("PORTFOLIO_IDS", `portfolio ${twice} is listed twice`);
      return ids;
    },
  };
}

/**
 * The rebalancer's settings: the runtime's (CHAIN_ID, RPC_URLS, PRIVATE_KEY|PRIVATE_KEY_FILE, DEPLOYMENTS_DIR,
 * DB_PATH, HTTP_PORT, DRY_RUN / --dry-run, POLLING_INTERVAL_MS — how often it asks for a new block —, TX_* …)
 * and its own.
 */
export const rebalancerSettings = {
  ...runtimeSettings({ dbPath: ".data/rebalancer.sqlite", httpPort: 9474 }),
  portfolioIds: portfolioIds(),
  /**
   * How long (chain seconds) a portfolio is left alone after the contract refused to trade it for its own
   * protection (LossBudgetExceeded, TradeLossTooHigh) or for any other reason than "already done": the loss
   * budget refills over the portfolio's lossWindow, and asking every block would only repeat the refusal.
   */
  backoffSeconds: setting.integer("BACKOFF_SECONDS", { default: 900, min: 0, max: 30 * 86_400 }),
  /** Whether the keeper records the oracle for its portfolios' pools (one `recordMany` when one is due). */
  recordOracle: setting.boolean("RECORD_ORACLE", { default: true }),
  /** Portfolio state is read with this many calls in flight at most (a large book must not flood the RPC). */
  readConcurrency: setting.integer("READ_CONCURRENCY", { default: 16, min: 1, max: 256 }),
};

export type RebalancerConfig = SettingsOf<typeof rebalancerSettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadRebalancerConfig(input: ConfigInput): RebalancerConfig {
  return loadSettings(rebalancerSettings, configSource(input));
}
