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

/** Pool ids to manage (comma-separated); unset = every pool on chain. */
function poolIds(): Setting<bigint[] | undefined> {
  return {
    read(source) {
      const raw = source.get("POOL_IDS");
      if (raw === undefined) return undefined;
      const parts = raw.split(",").map((s) => s.trim());
      if (!parts.every((p) => /^\d+$/.test(p)))
        throw new ConfigError(
          "POOL_IDS",
          `expected a comma-separated list of pool ids, got ${JSON.stringify(raw)}`,
        );
      return parts.map(BigInt);
    },
  };
}

/**
 * The fee keeper's settings: the runtime's (CHAIN_ID, RPC_URLS, PRIVATE_KEY|PRIVATE_KEY_FILE, DEPLOYMENTS_DIR,
 * DB_PATH, HTTP_PORT, DRY_RUN / --dry-run, TX_* …) and its own. Fees are in pips (1e6 = 100 %).
 */
export const feeKeeperSettings = {
  ...runtimeSettings({ dbPath: ".data/fee-keeper.sqlite", httpPort: 9471 }),
  indexerUrl: setting.httpUrl("INDEXER_URL"),
  indexerTimeoutMs: setting.integer("INDEXER_TIMEOUT_MS", { default: 5_000, min: 100 }),
  schedule: setting.cron("SCHEDULE", { default: "* * * * *" }),
  // The indexer accepts windows from 60 s to a year.
  volWindowSeconds: setting.integer("VOL_WINDOW_SECONDS", { default: 3_600, min: 60, max: 31_536_000 }),
  baseFee: setting.integer("BASE_FEE", { default: 500, min: 0, max: 1_000_000 }),
  feePerVol: setting.number("FEE_PER_VOL", { default: 5_000, min: 0, max: 1_000_000 }),
  deadband: setting.integer("DEADBAND", { default: 100, min: 0, max: 1_000_000 }),
  minSamples: setting.integer("MIN_SAMPLES", { default: 10, min: 2 }),
  // Skip a pool (stale-stats) when the indexer's stats are older than this, by the chain's clock.
  maxStatsAgeSeconds: setting.integer("MAX_STATS_AGE_SECONDS", { default: 300, min: 1, max: 31_536_000 }),
  poolIds: poolIds(),
};

export type FeeKeeperConfig = SettingsOf<typeof feeKeeperSettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadFeeKeeperConfig(input: ConfigInput): FeeKeeperConfig {
  return loadSettings(feeKeeperSettings, configSource(input));
}
