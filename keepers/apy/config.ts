import {
  configSource,
  loadSettings,
  runtimeSettings,
  setting,
  type ConfigInput,
  type ConfigSource,
  type Setting,
  type SettingsOf,
} from "../lib/config.js";
import { ConfigError } from "../lib/errors.js";
import { WAD } from "./decide.js";

/**
 * An amount of staking token in its smallest unit (wei for an 18-decimal token), as an integer with an optional
 * fraction and decimal exponent that together make a whole number: `1000000e18` (one million 18-decimal
 * tokens), `2.5e21`, `1000000000000000000000000`. Zero and fractions of a base unit are refused.
 */
export function parseAmount(raw: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:[eE]\+?(\d+))?$/.exec(raw);
  if (!m) return undefined;
  const [, whole, fraction = "", exponent = "0"] = m;
  const exp = Number(exponent);
  if (exp > 77) return undefined;
  const digits = fraction.replace(/0+$/, "");
  if (digits.length > exp) return undefined;
  const value = BigInt(whole! + digits) * 10n ** BigInt(exp - digits.length);
  return value > 0n && value < 2n ** 256n ? value : undefined;
}

/** A fraction as a 1e18 fixed-point bigint: `0.2` or `20%` → 2e17. At most 18 decimals (after the %). */
export function parseFraction(raw: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d+))?(%?)$/.exec(raw);
  if (!m) return undefined;
  const [, whole, fraction = "", pct] = m;
  const scale = pct ? 16 : 18;
  if (fraction.length > scale) return undefined;
  return BigInt(whole! + fraction.padEnd(scale, "0"));
}

/** A 1e18 fraction setting within [min, max] (both inclusive, 1e18 fixed point). */
function fraction(
  name: string,
  options: { default: bigint; min: bigint; max: bigint; minExclusive?: boolean },
) {
  const show = (v: bigint) => `${Number(v) / 1e16}%`;
  const expected = `a fraction like 0.2 or 20% in ${options.minExclusive ? "(" : "["}${show(options.min)}, ${show(options.max)}]`;
  return {
    read(source: ConfigSource): bigint {
      const raw = source.get(name);
      if (raw === undefined) return options.default;
      const v = parseFraction(raw);
      if (
        v === undefined ||
        v > options.max ||
        v < options.min ||
        (options.minExclusive && v === options.min)
      )
        throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(raw)}`);
      return v;
    },
  } satisfies Setting<bigint>;
}

const amountFormat = "a staking-token amount in base units, e.g. 1000000e18";

/** TARGET_STAKE: the default target stake of a pool (base units), unset = only POOL_TARGETS pools have one. */
function targetStake(): Setting<bigint | undefined> {
  return {
    read(source) {
      const raw = source.get("TARGET_STAKE");
      if (raw === undefined) return undefined;
      const value = parseAmount(raw);
      if (value === undefined)
        throw new ConfigError("TARGET_STAKE", `expected ${amountFormat} (> 0), got ${JSON.stringify(raw)}`);
      return value;
    },
  };
}

/** POOL_TARGETS: `poolId:amount` pairs, comma-separated (`0:1000000e18,3:250000e18`); each pool at most once. */
function poolTargets(): Setting<Map<bigint, bigint>> {
  return {
    read(source) {
      const raw = source.get("POOL_TARGETS");
      const out = new Map<bigint, bigint>();
      if (raw === undefined) return out;
      for (const part of raw.split(",").map((s) => s.trim())) {
        const m = /^(\d+)\s*:\s*(\S+)$/.exec(part);
        const amount = m ? parseAmount(m[2]!) : undefined;
        if (!m || amount === undefined)
          throw new ConfigError(
            "POOL_TARGETS",
            `expected comma-separated poolId:amount pairs with ${amountFormat} (> 0), got ${JSON.stringify(part)}`,
          );
        const id = BigInt(m[1]!);
        if (out.has(id)) throw new ConfigError("POOL_TARGETS", `pool ${id} is listed twice`);
        out.set(id, amount);
      }
      return out;
    },
  };
}

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
 * The APY keeper's settings: the runtime's (CHAIN_ID, RPC_URLS, PRIVATE_KEY|PRIVATE_KEY_FILE, DEPLOYMENTS_DIR,
 * DB_PATH, HTTP_PORT, DRY_RUN / --dry-run, TX_* …) and its own. APYs and DEADBAND are fractions (`0.2` or
 * `20%`), held as 1e18 fixed point; stake targets are staking-token base units. The rule: `decide.ts`.
 */
export const apyKeeperSettings = {
  ...runtimeSettings({ dbPath: ".data/apy-keeper.sqlite", httpPort: 9472 }),
  schedule: setting.cron("SCHEDULE", { default: "* * * * *" }),
  baseApy: fraction("BASE_APY", { default: WAD / 5n, min: 0n, max: 100n * WAD, minExclusive: true }),
  minApy: fraction("MIN_APY", { default: WAD / 50n, min: 0n, max: 100n * WAD }),
  maxApy: fraction("MAX_APY", { default: WAD, min: 0n, max: 100n * WAD, minExclusive: true }),
  deadband: fraction("DEADBAND", { default: WAD / 100n, min: 0n, max: WAD / 2n }),
  targetStake: targetStake(),
  poolTargets: poolTargets(),
  poolIds: poolIds(),
};

export type ApyKeeperConfig = SettingsOf<typeof apyKeeperSettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadApyKeeperConfig(input: ConfigInput): ApyKeeperConfig {
  const config = loadSettings(apyKeeperSettings, configSource(input));
  if (config.maxApy < config.minApy)
    throw new ConfigError(
      "MAX_APY",
      `must be at least MIN_APY (${Number(config.minApy) / 1e16}%), got ${Number(config.maxApy) / 1e16}%`,
    );
  if (config.targetStake === undefined && config.poolTargets.size === 0)
    throw new ConfigError(
      "TARGET_STAKE",
      `required: ${amountFormat}, or per-pool targets in POOL_TARGETS (poolId:amount,…)`,
    );
  return config;
}
