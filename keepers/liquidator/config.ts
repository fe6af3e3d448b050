import { getAddress, isAddress, type Address } from "viem";
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

/**
 * NATIVE_PRICES: `token=price` entries, comma-separated: how many whole units of a collateral token one unit of the
 * chain's native coin (the gas token) is worth, so that a liquidation's reward (in collateral) can be weighed
 * against its gas (in native). A vault whose collateral token is not listed is never liquidated (`unpriced`).
 * Prices are kept as wads (18 decimals).
 */
export function nativePrices(): Setting<Map<Address, bigint>> {
  return {
    read(source) {
      const raw = source.get("NATIVE_PRICES");
      const prices = new Map<Address, bigint>();
      if (raw === undefined || raw.trim() === "") return prices;
      for (const entry of raw.split(",").map((s) => s.trim())) {
        const [token, price] = entry.split("=").map((s) => s?.trim());
        if (!token || !isAddress(token) || !price || !/^\d+(\.\d{1,18})?$/.test(price))
          throw new ConfigError(
            "NATIVE_PRICES",
            `expected token=price entries (an address, a non-negative decimal), got ${JSON.stringify(entry)}`,
          );
        const address = getAddress(token);
        if (prices.has(address)) throw new ConfigError("NATIVE_PRICES", `token ${address} is listed twice`);
        const [whole, fraction = ""] = price.split(".");
        prices.set(address, BigInt(whole) * 10n ** 18n + BigInt(fraction.padEnd(18, "0")));
      }
      return prices;
    },
  };
}

/** SERIES_IDS: series to watch, comma-separated; unset = every series. */
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
 * The liquidator's settings: the runtime's (CHAIN_ID, RPC_URLS, PRIVATE_KEY|PRIVATE_KEY_FILE, DEPLOYMENTS_DIR,
 * DB_PATH, HTTP_PORT, DRY_RUN / --dry-run, POLLING_INTERVAL_MS — how often it asks for a new block —, TX_* …)
 * and its own.
 */
export const liquidatorSettings = {
  ...runtimeSettings({ dbPath: ".data/liquidator.sqlite", httpPort: 9475 }),
  seriesIds: seriesIds(),
  nativePrices: nativePrices(),
  /** The reward must be at least this multiple of the gas cost (1 = break even). */
  minRewardGasMultiple: setting.number("MIN_REWARD_GAS_MULTIPLE", { default: 1, min: 0, max: 1000 }),
  /** Vault state is read with this many calls in flight at most. */
  readConcurrency: setting.integer("READ_CONCURRENCY", { default: 16, min: 1, max: 256 }),
};

export type LiquidatorConfig = SettingsOf<typeof liquidatorSettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadLiquidatorConfig(input: ConfigInput): LiquidatorConfig {
  return loadSettings(liquidatorSettings, configSource(input));
}
