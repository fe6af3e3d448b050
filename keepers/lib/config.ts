import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import cron from "node-cron";
import type { Hex } from "viem";
import { ConfigError } from "./errors.js";

/**
 * Settings come from the environment and, when CONFIG_FILE names one, a JSON file of the same names
 * (`{ "RPC_URLS": ["http://…"], "VOL_WINDOW_SECONDS": 3600 }`); the environment wins over the file. Flags on
 * the command line (`--dry-run`) are read here too. Everything is parsed once, at start, into a typed object;
 * the first bad field throws a {@link ConfigError} naming it. Nothing else in a keeper reads `process.env`.
 */
export type ConfigSource = {
  /** The raw value of a setting: environment first, then CONFIG_FILE; `undefined` when unset or empty. */
  get(name: string): string | undefined;
  /** Whether `--name` was passed on the command line. */
  flag(name: string): boolean;
};

export type ConfigInput = { env: Record<string, string | undefined>; argv?: readonly string[] };

export function configSource({ env, argv = [] }: ConfigInput): ConfigSource {
  const file = env.CONFIG_FILE ? readConfigFile(env.CONFIG_FILE) : {};
  return {
    get(name) {
      const value = env[name] ?? file[name];
      return value === undefined || value.trim() === "" ? undefined : value.trim();
    },
    flag: (name) => argv.includes(`--${name}`),
  };
}

function readConfigFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split("\n")[0];
    throw new ConfigError("CONFIG_FILE", `cannot read ${path} as JSON (${reason})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new ConfigError("CONFIG_FILE", `expected a JSON object of SETTING: value in ${path}`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) out[key] = value.map(String).join(",");
    else if (["string", "number", "boolean"].includes(typeof value)) out[key] = String(value);
    else throw new ConfigError(key, `in CONFIG_FILE: expected a string, number, boolean or list`);
  }
  return out;
}

/** One setting: how to read it from a source and turn it into a typed value. */
export type Setting<T> = { read(source: ConfigSource): T };
export type SettingsOf<S extends Record<string, Setting<unknown>>> = {
  [K in keyof S]: ReturnType<S[K]["read"]>;
};

/** Reads every setting of `spec`; throws the first {@link ConfigError}. */
export function loadSettings<S extends Record<string, Setting<unknown>>>(
  spec: S,
  source: ConfigSource,
): SettingsOf<S> {
  const out = {} as Record<string, unknown>;
  for (const [key, setting] of Object.entries(spec)) out[key] = setting.read(source);
  return out as SettingsOf<S>;
}

/** A value that prints as `[redacted]` however it is logged, inspected or serialized. */
export class Secret<T> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return "[redacted]";
  }
  toString(): string {
    return "[redacted]";
  }
  [inspect.custom](): string {
    return "Secret([redacted])";
  }
}

// ─── Setting builders ─────────────────────────────────────────────────────────────────────────

type Opt<T> = { default?: T };

function scalar<T>(name: string, options: Opt<T>, parse: (raw: string) => T | undefined, expected: string) {
  return {
    read(source: ConfigSource): T {
      const raw = source.get(name);
      if (raw === undefined) {
        if (options.default !== undefined) return options.default;
        throw new ConfigError(name, `required: ${expected}`);
      }
      const value = parse(raw);
      if (value === undefined)
        throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(raw)}`);
      return value;
    },
  } satisfies Setting<T>;
}

function optional<T>(
  name: string,
  parse: (raw: string) => T | undefined,
  expected: string,
): Setting<T | undefined> {
  return {
    read(source) {
      const raw = source.get(name);
      if (raw === undefined) return undefined;
      const value = parse(raw);
      if (value === undefined)
        throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(raw)}`);
      return value;
    },
  };
}

const isHttpUrl = (raw: string) => {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
};

export const setting = {
  string: (name: string, options: Opt<string> = {}) =>
    scalar(name, options, (raw) => raw, "a non-empty string"),

  integer(name: string, options: Opt<number> & { min?: number; max?: number } = {}) {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    const expected = `an integer${rangeText(options.min, options.max)}`;
    return scalar(
      name,
      options,
      (raw) => {
        if (!/^-?\d+$/.test(raw)) return undefined;
        const value = Number(raw);
        return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
      },
      expected,
    );
  },

  number(name: string, options: Opt<number> & { min?: number; max?: number } = {}) {
    const { min = -Infinity, max = Infinity } = options;
    const expected = `a number${rangeText(options.min, options.max)}`;
    return scalar(
      name,
      options,
      (raw) => {
        const value = Number(raw);
        return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) && value >= min && value <= max
          ? value
          : undefined;
      },
      expected,
    );
  },

  boolean: (name: string, options: Opt<boolean> = {}) =>
    scalar(
      name,
      options,
      (raw) => {
        const v = raw.toLowerCase();
        return ["1", "true", "yes", "on"].includes(v)
          ? true
          : ["0", "false", "no", "off"].includes(v)
            ? false
            : undefined;
      },
      "true or false",
    ),

  oneOf: <const T extends string>(name: string, values: readonly T[], options: Opt<T> = {}) =>
    scalar(name, options, (raw) => values.find((v) => v === raw), `one of ${values.join(", ")}`),

  httpUrl: (name: string, options: Opt<string> = {}) =>
    scalar(name, options, (raw) => (isHttpUrl(raw) ? raw.replace(/\/+$/, "") : undefined), "an http(s) URL"),

  httpUrls: (name: string) =>
    scalar<string[]>(
      name,
      {},
      (raw) => {
        const urls = raw.split(",").map((s) => s.trim());
        return urls.length > 0 && urls.every(isHttpUrl) ? urls : undefined;
      },
      "a comma-separated list of http(s) URLs",
    ),

  /** A cron expression as node-cron reads it: five fields, or six with seconds first. */
  cron: (name: string, options: Opt<string> = {}) =>
    scalar(
      name,
      options,
      (raw) => (cron.validate(raw) ? raw : undefined),
      "a cron expression (5 or 6 fields)",
    ),

  optionalHttpUrl: (name: string) =>
    optional(name, (raw) => (isHttpUrl(raw) ? raw.replace(/\/+$/, "") : undefined), "an http(s) URL"),

  /** True when the environment says so or the command line carries `--flag`. */
  flagOrBoolean(name: string, flag: string): Setting<boolean> {
    const env = setting.boolean(name, { default: false });
    return { read: (source) => source.flag(flag) || env.read(source) };
  },

  /**
   * The signing key, from `PRIVATE_KEY` or from the file `PRIVATE_KEY_FILE` names (exactly one of them), kept in
   * a {@link Secret}. Error messages never echo the value.
   */
  privateKey(): Setting<Secret<Hex>> {
    return {
      read(source) {
        const inline = source.get("PRIVATE_KEY");
        const file = source.get("PRIVATE_KEY_FILE");
        if (inline && file)
          throw new ConfigError("PRIVATE_KEY", "set PRIVATE_KEY or PRIVATE_KEY_FILE, not both");
        let key: string;
        let field = "PRIVATE_KEY";
        if (file) {
          field = "PRIVATE_KEY_FILE";
          try {
            key = readFileSync(file, "utf8").trim();
          } catch (error) {
            throw new ConfigError(
              field,
              `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
            );
          }
        } else if (inline) key = inline;
        else throw new ConfigError("PRIVATE_KEY", "required: set PRIVATE_KEY or PRIVATE_KEY_FILE");
        if (!/^0x[0-9a-fA-F]{64}$/.test(key))
          throw new ConfigError(
            field,
            "expected a 32-byte hex private key starting with 0x (value not shown)",
          );
        return new Secret(key as Hex);
      },
    };
  },
};

function rangeText(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` in [${min}, ${max}]`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return "";
}

// ─── The settings every keeper shares ─────────────────────────────────────────────────────────

/** The runtime's own settings; a keeper spreads these into its spec and adds its own. */
export function runtimeSettings(defaults: { dbPath: string; httpPort: number }) {
  return {
    chainId: setting.integer("CHAIN_ID", { min: 1 }),
    rpcUrls: setting.httpUrls("RPC_URLS"),
    privateKey: setting.privateKey(),
    deploymentsDir: setting.string("DEPLOYMENTS_DIR", { default: "deployments" }),
    dbPath: setting.string("DB_PATH", { default: defaults.dbPath }),
    httpHost: setting.string("HTTP_HOST", { default: "127.0.0.1" }),
    httpPort: setting.integer("HTTP_PORT", { default: defaults.httpPort, min: 0, max: 65535 }),
    dryRun: setting.flagOrBoolean("DRY_RUN", "dry-run"),
    logLevel: setting.oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"], { default: "info" }),
    rpcTimeoutMs: setting.integer("RPC_TIMEOUT_MS", { default: 10_000, min: 100 }),
    pollingIntervalMs: setting.integer("POLLING_INTERVAL_MS", { default: 1_000, min: 50 }),
    healthMaxAgeSeconds: setting.integer("HEALTH_MAX_AGE_SECONDS", { default: 300, min: 1 }),
    txStuckBlocks: setting.integer("TX_STUCK_BLOCKS", { default: 3, min: 1 }),
    txStuckSeconds: setting.integer("TX_STUCK_SECONDS", { default: 60, min: 1 }),
    txFeeBumpPercent: setting.number("TX_FEE_BUMP_PERCENT", { default: 12.5, min: 12.5, max: 1000 }),
    txMaxFeeGwei: setting.number("TX_MAX_FEE_GWEI", { default: 500, min: 0 }),
    txMaxAttempts: setting.integer("TX_MAX_ATTEMPTS", { default: 10, min: 1 }),
    txWaitSeconds: setting.integer("TX_WAIT_SECONDS", { default: 120, min: 1 }),
    txGasMultiplier: setting.number("TX_GAS_MULTIPLIER", { default: 1.2, min: 1, max: 5 }),
    txReorgDepth: setting.integer("TX_REORG_DEPTH", { default: 64, min: 1 }),
  };
}

export type RuntimeConfig = SettingsOf<ReturnType<typeof runtimeSettings>>;
