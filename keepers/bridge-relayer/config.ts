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

/** One chain the relayer serves: its id and the RPC URLs (used through viem's `fallback` transport). */
export type RelayerChain = { chainId: number; rpcUrls: string[] };

const isHttpUrl = (raw: string) => {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
};

const chainsFormat = "chainId=url entries, comma-separated (31420=http://a,31421=http://b)";

/**
 * `CHAINS`: `chainId=url` entries separated by commas; a chain with several endpoints lists them with `|`
 * (`1=https://a|https://b`), or repeats the bare URLs after its entry (`1=https://a,https://b,10=https://c`).
 * At least two distinct chains; each id at most once.
 */
export function parseChains(raw: string): RelayerChain[] {
  const chains: RelayerChain[] = [];
  for (const part of raw.split(",").map((s) => s.trim())) {
    if (part === "") throw new ConfigError("CHAINS", `empty entry in ${JSON.stringify(raw)}`);
    const m = /^(\d+)\s*=\s*(.+)$/.exec(part);
    const urls = (m ? m[2]! : part).split("|").map((s) => s.trim());
    const bad = urls.find((u) => !isHttpUrl(u));
    if (bad !== undefined)
      throw new ConfigError(
        "CHAINS",
        `expected ${chainsFormat}, got ${JSON.stringify(part)} (not an http(s) URL)`,
      );
    if (m) {
      const chainId = Number(m[1]);
      if (!Number.isSafeInteger(chainId) || chainId < 1)
        throw new ConfigError("CHAINS", `chain id ${m[1]} is not a positive integer`);
      if (chains.some((c) => c.chainId === chainId))
        throw new ConfigError("CHAINS", `chain ${chainId} is listed twice`);
      chains.push({ chainId, rpcUrls: urls.map((u) => u.replace(/\/+$/, "")) });
    } else {
      const last = chains.at(-1);
      if (!last)
        throw new ConfigError("CHAINS", `expected ${chainsFormat}, got ${JSON.stringify(part)} first`);
      last.rpcUrls.push(...urls.map((u) => u.replace(/\/+$/, "")));
    }
  }
  if (chains.length < 2)
    throw new ConfigError("CHAINS", `at least two chains are needed, got ${chains.length} (${chainsFormat})`);
  return chains;
}

function chains(): Setting<RelayerChain[]> {
  return {
    read(source) {
      const raw = source.get("CHAINS");
      if (raw === undefined) throw new ConfigError("CHAINS", `required: ${chainsFormat}`);
      return parseChains(raw);
    },
  };
}

// The runtime's settings minus its single-chain ones: the relayer serves every chain of CHAINS.
const {
  chainId: _chainId,
  rpcUrls: _rpcUrls,
  ...runtime
} = runtimeSettings({
  dbPath: ".data/bridge-relayer.sqlite",
  httpPort: 9480,
});

/**
 * The bridge relayer's settings: CHAINS, PRIVATE_KEY | PRIVATE_KEY_FILE (pays gas; no role on chain),
 * DEPLOYMENTS_DIR (`<chainId>.json`, key `CrossChainBridge`), DB_PATH, HTTP_HOST / HTTP_PORT, SCHEDULE (how
 * often every open request is checked on chain), DRY_RUN / --dry-run, LOG_LEVEL and the runtime's TX_* ….
 */
export const bridgeRelayerSettings = {
  chains: chains(),
  ...runtime,
  schedule: setting.cron("SCHEDULE", { default: "*/15 * * * * *" }),
  maxBodyBytes: setting.integer("MAX_BODY_BYTES", { default: 16_384, min: 1_024, max: 1_048_576 }),
};

export type BridgeRelayerConfig = SettingsOf<typeof bridgeRelayerSettings>;

/** Parses and checks every setting once; throws a ConfigError naming the first bad one. */
export function loadBridgeRelayerConfig(input: ConfigInput): BridgeRelayerConfig {
  return loadSettings(bridgeRelayerSettings, configSource(input));
}
