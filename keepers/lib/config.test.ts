import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { configSource, loadSettings, runtimeSettings, Secret, setting } from "./config.js";
import { ConfigError } from "./errors.js";
import { createLogger } from "./log.js";

const key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const spec = runtimeSettings({ dbPath: "x.sqlite", httpPort: 0 });
const good = {
  CHAIN_ID: "31337",
  RPC_URLS: "http://127.0.0.1:8545,https://rpc.example/v1",
  PRIVATE_KEY: key,
};

const load = (env: Record<string, string | undefined>, argv: string[] = []) =>
  loadSettings(spec, configSource({ env, argv }));

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).field;
  }
  throw new Error("expected a ConfigError");
};

describe("config", () => {
  it("parses a good environment into typed values with defaults", () => {
    const c = load(good);
    expect(c.chainId).toBe(31337);
    expect(c.rpcUrls).toEqual(["http://127.0.0.1:8545", "https://rpc.example/v1"]);
    expect(c.privateKey.reveal()).toBe(key);
    expect(c.deploymentsDir).toBe("deployments");
    expect(c.dryRun).toBe(false);
    expect(c.txFeeBumpPercent).toBe(12.5);
  });

  it("names the bad field", () => {
    expect(fieldOf(() => load({ ...good, CHAIN_ID: undefined }))).toBe("CHAIN_ID");
    expect(fieldOf(() => load({ ...good, CHAIN_ID: "12x" }))).toBe("CHAIN_ID");
    expect(fieldOf(() => load({ ...good, RPC_URLS: "ws://x" }))).toBe("RPC_URLS");
    expect(fieldOf(() => load({ ...good, RPC_URLS: "http://a,nope" }))).toBe("RPC_URLS");
    expect(fieldOf(() => load({ ...good, HTTP_PORT: "70000" }))).toBe("HTTP_PORT");
    expect(fieldOf(() => load({ ...good, TX_FEE_BUMP_PERCENT: "10" }))).toBe("TX_FEE_BUMP_PERCENT");
    expect(fieldOf(() => load({ ...good, DRY_RUN: "maybe" }))).toBe("DRY_RUN");
    expect(fieldOf(() => load({ ...good, LOG_LEVEL: "loud" }))).toBe("LOG_LEVEL");
  });

  it("says what was expected, in one line", () => {
    try {
      load({ ...good, RPC_URLS: "nope" });
    } catch (error) {
      expect((error as ConfigError).shortMessage).toBe(
        'RPC_URLS: expected a comma-separated list of http(s) URLs, got "nope"',
      );
    }
  });

  it("takes the key from PRIVATE_KEY or PRIVATE_KEY_FILE, never both, and never echoes it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "keeper-config-"));
    const file = path.join(dir, "key");
    writeFileSync(file, key + "\n");
    expect(load({ ...good, PRIVATE_KEY: undefined, PRIVATE_KEY_FILE: file }).privateKey.reveal()).toBe(key);
    expect(fieldOf(() => load({ ...good, PRIVATE_KEY_FILE: file }))).toBe("PRIVATE_KEY");
    expect(fieldOf(() => load({ ...good, PRIVATE_KEY: undefined }))).toBe("PRIVATE_KEY");
    expect(
      fieldOf(() => load({ ...good, PRIVATE_KEY: undefined, PRIVATE_KEY_FILE: file + ".missing" })),
    ).toBe("PRIVATE_KEY_FILE");
    const wrong = "0x" + "zz".repeat(32);
    try {
      load({ ...good, PRIVATE_KEY: wrong });
    } catch (error) {
      expect((error as Error).message).not.toContain(wrong);
    }
  });

  it("keeps secrets out of logs, JSON and inspection", () => {
    const c = load(good);
    const lines: string[] = [];
    const log = createLogger({ keeper: "t", write: (l) => lines.push(l) });
    log.info("config", { config: c, privateKey: key });
    expect(lines.join("\n")).not.toContain(key.slice(2));
    expect(JSON.stringify(c)).not.toContain(key.slice(2));
    expect(inspect(c)).not.toContain(key.slice(2));
    expect(String(new Secret(key))).toBe("[redacted]");
  });

  it("reads --dry-run from argv and DRY_RUN from the environment", () => {
    expect(load(good, ["--dry-run"]).dryRun).toBe(true);
    expect(load({ ...good, DRY_RUN: "true" }).dryRun).toBe(true);
  });

  it("reads CONFIG_FILE, the environment winning", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "keeper-config-"));
    const file = path.join(dir, "config.json");
    writeFileSync(
      file,
      JSON.stringify({ RPC_URLS: ["http://a:1", "http://b:2"], CHAIN_ID: 5, HTTP_PORT: 1234 }),
    );
    const c = load({ PRIVATE_KEY: key, CONFIG_FILE: file, HTTP_PORT: "4321" });
    expect(c.rpcUrls).toEqual(["http://a:1", "http://b:2"]);
    expect(c.chainId).toBe(5);
    expect(c.httpPort).toBe(4321);
    writeFileSync(file, "{ not json");
    expect(fieldOf(() => load({ ...good, CONFIG_FILE: file }))).toBe("CONFIG_FILE");
  });

  it("validates cron expressions with node-cron, seconds allowed", () => {
    const s = { schedule: setting.cron("SCHEDULE", { default: "* * * * *" }) };
    expect(loadSettings(s, configSource({ env: {} })).schedule).toBe("* * * * *");
    expect(loadSettings(s, configSource({ env: { SCHEDULE: "*/2 * * * * *" } })).schedule).toBe(
      "*/2 * * * * *",
    );
    expect(fieldOf(() => loadSettings(s, configSource({ env: { SCHEDULE: "every minute" } })))).toBe(
      "SCHEDULE",
    );
  });
});
