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

/** SERIES_IDS: series to look after, comma-separated; unset = every series. */
export function seriesIds(): Setting<bigint[] | undefined> {
  return {
    read(source) {
      const raw = source.get("SERIES_IDS");
      if (raw === undefined) return undefined;
      const parts = raw.split(",").map((s) => s.trim());
      if (!parts.every((p) => /^\d+$/.test(p)))
        throw new ConfigError(
          "SERIES_IDS",
          `expected a comma-separated list of series ids, got ${JSON.stringify(raw)}`,
        );
      const ids = parts.map(BigInt);
      const twice = ids.find((id, i) => ids.indexOf(id) !== i);
      if (twice !== undefined) throw new ConfigError("SERIES_IDS", `series ${twice} is listed twice`);
      return ids;
    },
  };
}

/**
 * The expiry keeper's settings: the runtime's (CHAIN_ID, RPC_URLS, PRIVATE_KEY|PRIVATE_KEY_FILE, DEPLOYMENTS_DIR,
 * DB_PATH, HTTP_PORT, DRY_RUN / --dry-run, POLLING_INTERVAL_MS — how often it asks for a new block —, TX_* …)
 * and its own.
 */
export const expirySettings = {
  ...runtimeSettings({ dbPath: ".data/expiry.sqlite", httpPort: 9476 }),
  seriesIds: seriesIds(),
  /**
   * Most writes (finalize, settleVault, exerciseFor) launched per block, counting those still in flight: bounds the
   * gas the keeper asks of one block.
   */
  maxWritesPerBlock: setting.integer("MAX_WRITES_PER_BLOCK", { default: 8, min: 1, max: 256 }),
  /** Most holders in one `exerciseFor` call (its gas grows with each holder paid). */
  maxHoldersPerCall: setting.integer("MAX_HOLDERS_PER_CALL", { default: 50, min: 1, max: 1000 }),
  /** Chain reads in flight at once per block. */
  readConcurrency: setting.integer("READ_CONCURRENCY", { default: 16, min: 1, max: 256 }),
};

export type ExpiryConfig = SettingsOf<typeof expirySettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadExpiryConfig(input: ConfigInput): ExpiryConfig {
  return loadSettings(expirySettings, configSource(input));
}
