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

/** The AMM pools whose volatility the keeper sets (those backing option underlyings); required, no duplicates. */
function poolIds(): Setting<bigint[]> {
  return {
    read(source) {
      const raw = source.get("POOL_IDS");
      if (raw === undefined)
        throw new ConfigError(
          "POOL_IDS",
          "required: the comma-separated ids of the pools backing option underlyings",
        );
      const parts = raw.split(",").map((s) => s.trim());
      if (!parts.every((p) => /^\d+$/.test(p)))
        throw new ConfigError(
          "POOL_IDS",
          `expected a comma-separated list of pool ids, got ${JSON.stringify(raw)}`,
        );
      const ids = parts.map(BigInt);
      if (new Set(ids).size !== ids.length)
        throw new ConfigError("POOL_IDS", `lists a pool twice: ${JSON.stringify(raw)}`);
      return ids;
    },
  };
}

/**
 * A volatility as a fraction (`0.005`, 0.5 % a year) or a percentage (`0.5%`), turned into wad (1e18 = 100 %).
 * Up to 100 % (1e18): larger deadbands make no sense.
 */
function volatilityWad(name: string, fallback: bigint): Setting<bigint> {
  return {
    read(source) {
      const raw = source.get(name);
      if (raw === undefined) return fallback;
      const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(raw);
      const value = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
      if (!Number.isFinite(value) || value < 0 || value > 1)
        throw new ConfigError(
          name,
          `expected a volatility between 0 and 1 (or 0% and 100%), got ${JSON.stringify(raw)}`,
        );
      return BigInt(Math.round(value * 1e18));
    },
  };
}

/**
 * The volatility keeper's settings: the runtime's (CHAIN_ID, RPC_URLS, PRIVATE_KEY|PRIVATE_KEY_FILE, DEPLOYMENTS_DIR,
 * DB_PATH, HTTP_PORT, DRY_RUN / --dry-run, TX_* …) and its own. Volatilities are fractions a year (0.5 = 50 %).
 */
export const volatilityKeeperSettings = {
  ...runtimeSettings({ dbPath: ".data/volatility-keeper.sqlite", httpPort: 9477 }),
  indexerUrl: setting.httpUrl("INDEXER_URL"),
  indexerTimeoutMs: setting.integer("INDEXER_TIMEOUT_MS", { default: 5_000, min: 100 }),
  poolIds: poolIds(),
  schedule: setting.cron("SCHEDULE", { default: "* * * * *" }),
  // The same σ as the fee keeper's: the indexer accepts windows from 60 s to a year.
  volWindowSeconds: setting.integer("VOL_WINDOW_SECONDS", { default: 3_600, min: 60, max: 31_536_000 }),
  deadbandWad: volatilityWad("DEADBAND", 5n * 10n ** 15n),
  minSamples: setting.integer("MIN_SAMPLES", { default: 10, min: 2 }),
  maxStatsAgeSeconds: setting.integer("MAX_STATS_AGE_SECONDS", { default: 300, min: 1, max: 31_536_000 }),
  // Refresh a value this long before it goes stale (the feed's maxAge); 0 = only at maxAge itself.
  refreshMarginSeconds: setting.integer("REFRESH_MARGIN_SECONDS", {
    default: 3_600,
    min: 0,
    max: 31_536_000,
  }),
};

export type VolatilityKeeperConfig = SettingsOf<typeof volatilityKeeperSettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadVolatilityKeeperConfig(input: ConfigInput): VolatilityKeeperConfig {
  return loadSettings(volatilityKeeperSettings, configSource(input));
}
