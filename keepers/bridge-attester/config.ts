import {
  configSource,
  loadSettings,
  setting,
  type ConfigInput,
  type Setting,
  type SettingsOf,
} from "../lib/config.js";
import { ConfigError } from "../lib/errors.js";

/** One chain the attester watches (and reads as a destination): its id and RPC endpoint(s). */
export type ChainEndpoint = { chainId: number; rpcUrls: string[] };

const isHttpUrl = (raw: string) => {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
};

const chainsFormat = "chainId=url pairs, comma-separated (31420=http://a:8545,31421=http://b:8545)";

/**
 * CHAINS: `chainId=url` comma-separated, at least two chains, each chain once. A chain with several endpoints
 * (used through viem's `fallback` transport) lists them with `|` (`1=https://a|https://b`) or as bare URLs after
 * its pair (`1=https://a,https://b,10=https://c`).
 */
export function parseChains(raw: string): ChainEndpoint[] | string {
  const out: ChainEndpoint[] = [];
  for (const token of raw.split(",").map((s) => s.trim())) {
    if (token === "") return `empty entry in ${JSON.stringify(raw)}`;
    const m = /^(\d+)\s*=\s*(.+)$/.exec(token);
    const urls = (m ? m[2]! : token).split("|").map((s) => s.trim().replace(/\/+$/, ""));
    const bad = urls.find((u) => !isHttpUrl(u));
    if (bad !== undefined) return `${JSON.stringify(bad)} is not an http(s) URL`;
    if (m) {
      const chainId = Number(m[1]);
      if (!Number.isSafeInteger(chainId) || chainId < 1) return `bad chain id ${JSON.stringify(m[1])}`;
      if (out.some((c) => c.chainId === chainId)) return `chain ${chainId} is listed twice`;
      out.push({ chainId, rpcUrls: urls });
    } else if (out.length === 0) return `expected ${chainsFormat}, got ${JSON.stringify(token)} first`;
    else out[out.length - 1]!.rpcUrls.push(...urls);
  }
  if (out.length < 2) return `at least two chains are needed, got ${out.length}`;
  return out;
}

function chains(): Setting<ChainEndpoint[]> {
  return {
    read(source) {
      const raw = source.get("CHAINS");
      if (raw === undefined) throw new ConfigError("CHAINS", `required: ${chainsFormat}`);
      const parsed = parseChains(raw);
      if (typeof parsed === "string") throw new ConfigError("CHAINS", parsed);
      return parsed;
    },
  };
}

/**
 * The attester's settings. It sends no transaction, so the runtime's CHAIN_ID/RPC_URLS/TX_* do not apply: it
 * reads every chain of CHAINS and signs with the validator key (PRIVATE_KEY | PRIVATE_KEY_FILE, never logged).
 * Documented in keepers/README.md.
 */
export const attesterSettings = {
  chains: chains(),
  privateKey: setting.privateKey(),
  deploymentsDir: setting.string("DEPLOYMENTS_DIR", { default: "deployments" }),
  relayerUrls: setting.httpUrls("RELAYER_URLS"),
  confirmations: setting.integer("CONFIRMATIONS", { default: 2, min: 0, max: 10_000 }),
  signMarginSeconds: setting.integer("SIGN_MARGIN_SECONDS", { default: 60, min: 0 }),
  dbPath: setting.string("DB_PATH", { default: ".data/bridge-attester.sqlite" }),
  httpHost: setting.string("HTTP_HOST", { default: "127.0.0.1" }),
  httpPort: setting.integer("HTTP_PORT", { default: 9473, min: 0, max: 65535 }),
  schedule: setting.cron("SCHEDULE", { default: "*/5 * * * * *" }),
  dryRun: setting.flagOrBoolean("DRY_RUN", "dry-run"),
  logLevel: setting.oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"], { default: "info" }),
  rpcTimeoutMs: setting.integer("RPC_TIMEOUT_MS", { default: 10_000, min: 100 }),
  pollingIntervalMs: setting.integer("POLLING_INTERVAL_MS", { default: 1_000, min: 50 }),
  healthMaxAgeSeconds: setting.integer("HEALTH_MAX_AGE_SECONDS", { default: 300, min: 1 }),
  relayerTimeoutMs: setting.integer("RELAYER_TIMEOUT_MS", { default: 5_000, min: 100 }),
  relayerRetryMs: setting.integer("RELAYER_RETRY_MS", { default: 1_000, min: 10 }),
  relayerRetryMaxMs: setting.integer("RELAYER_RETRY_MAX_MS", { default: 300_000, min: 10 }),
};

export type AttesterConfig = SettingsOf<typeof attesterSettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadAttesterConfig(input: ConfigInput): AttesterConfig {
  const config = loadSettings(attesterSettings, configSource(input));
  config.relayerUrls = config.relayerUrls.map((u) => u.replace(/\/+$/, ""));
  const dup = config.relayerUrls.find((u, i) => config.relayerUrls.indexOf(u) !== i);
  if (dup !== undefined) throw new ConfigError("RELAYER_URLS", `${dup} is listed twice`);
  if (config.relayerRetryMaxMs < config.relayerRetryMs)
    throw new ConfigError(
      "RELAYER_RETRY_MAX_MS",
      `must be at least RELAYER_RETRY_MS (${config.relayerRetryMs}), got ${config.relayerRetryMaxMs}`,
    );
  return config;
}
