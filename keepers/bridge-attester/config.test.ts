import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../lib/errors.js";
import { loadAttesterConfig, parseChains } from "./config.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const key = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const good = {
  CHAINS: "31430=http://127.0.0.1:8545,31431=http://127.0.0.1:8546",
  PRIVATE_KEY: key,
  RELAYER_URLS: "http://127.0.0.1:9600/,http://relayer.example",
};

/** Runs the real entry point as an operator would (`npx tsx keepers/bridge-attester/main.ts`). */
function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["tsx", "keepers/bridge-attester/main.ts"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? "/tmp",
        npm_config_loglevel: "error",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr, stdout }));
  });
}

const fieldOf = (env: Record<string, string | undefined>): string => {
  try {
    loadAttesterConfig({ env });
  } catch (error) {
    if (error instanceof ConfigError) return error.field;
    throw error;
  }
  return "(none)";
};

describe("bridge attester config", () => {
  it("parses the settings with documented defaults", () => {
    const c = loadAttesterConfig({ env: good });
    expect(c).toMatchObject({
      chains: [
        { chainId: 31430, rpcUrls: ["http://127.0.0.1:8545"] },
        { chainId: 31431, rpcUrls: ["http://127.0.0.1:8546"] },
      ],
      relayerUrls: ["http://127.0.0.1:9600", "http://relayer.example"],
      deploymentsDir: "deployments",
      confirmations: 2,
      signMarginSeconds: 60,
      dbPath: ".data/bridge-attester.sqlite",
      httpHost: "127.0.0.1",
      httpPort: 9473,
      schedule: "*/5 * * * * *",
      pollingIntervalMs: 1000,
      dryRun: false,
    });
    expect(c.privateKey.reveal()).toBe(key);
    expect(JSON.stringify(c)).not.toContain(key.slice(2));
    expect(loadAttesterConfig({ env: good, argv: ["--dry-run"] }).dryRun).toBe(true);
  });

  it("reads several endpoints per chain", () => {
    expect(parseChains("1=https://a|https://b,10=https://c,https://d/")).toEqual([
      { chainId: 1, rpcUrls: ["https://a", "https://b"] },
      { chainId: 10, rpcUrls: ["https://c", "https://d"] },
    ]);
  });

  it("names the bad field", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "attester-config-"));
    const keyFile = path.join(dir, "key");
    writeFileSync(keyFile, "not a key\n");
    const cases: [Record<string, string | undefined>, string][] = [
      [{ CHAINS: undefined }, "CHAINS"],
      [{ CHAINS: "31430=http://127.0.0.1:8545" }, "CHAINS"], // one chain
      [{ CHAINS: "31430=http://a,31430=http://b" }, "CHAINS"], // twice
      [{ CHAINS: "31430=ftp://a,31431=http://b" }, "CHAINS"],
      [{ CHAINS: "http://a,31431=http://b" }, "CHAINS"],
      [{ CHAINS: "x=http://a,31431=http://b" }, "CHAINS"],
      [{ PRIVATE_KEY: undefined }, "PRIVATE_KEY"],
      [{ PRIVATE_KEY: "0x1234" }, "PRIVATE_KEY"],
      [{ PRIVATE_KEY: undefined, PRIVATE_KEY_FILE: keyFile }, "PRIVATE_KEY_FILE"],
      [{ PRIVATE_KEY_FILE: keyFile }, "PRIVATE_KEY"], // both
      [{ RELAYER_URLS: undefined }, "RELAYER_URLS"],
      [{ RELAYER_URLS: "relayer:9000" }, "RELAYER_URLS"],
      [{ RELAYER_URLS: "http://a,http://a/" }, "RELAYER_URLS"],
      [{ CONFIRMATIONS: "-1" }, "CONFIRMATIONS"],
      [{ CONFIRMATIONS: "two" }, "CONFIRMATIONS"],
      [{ SIGN_MARGIN_SECONDS: "1.5" }, "SIGN_MARGIN_SECONDS"],
      [{ HTTP_PORT: "70000" }, "HTTP_PORT"],
      [{ SCHEDULE: "every minute" }, "SCHEDULE"],
      [{ POLLING_INTERVAL_MS: "10" }, "POLLING_INTERVAL_MS"],
      [{ RELAYER_RETRY_MS: "1000", RELAYER_RETRY_MAX_MS: "500" }, "RELAYER_RETRY_MAX_MS"],
    ];
    for (const [over, field] of cases) expect([over, fieldOf({ ...good, ...over })]).toEqual([over, field]);
  });

  it("exits 78 with one line naming the field, never echoing the key", async () => {
    const bad = await runMain({ ...good, CHAINS: "31430=http://127.0.0.1:8545" });
    expect(bad.code).toBe(78);
    expect(bad.stderr.trim().split("\n")).toEqual([
      "config error: CHAINS: at least two chains are needed, got 1",
    ]);
    const badKey = await runMain({ ...good, PRIVATE_KEY: `${key}ff` });
    expect(badKey.code).toBe(78);
    expect(badKey.stderr.trim().split("\n")).toHaveLength(1);
    expect(badKey.stderr).toMatch(/^config error: PRIVATE_KEY: /);
    expect(badKey.stderr + badKey.stdout).not.toContain(key.slice(2, 20));
    // A missing deployment is a config error too (checked at start, before anything is opened).
    const noDeployment = await runMain({ ...good, DEPLOYMENTS_DIR: tmpdir() });
    expect(noDeployment.code).toBe(78);
    expect(noDeployment.stderr.trim().split("\n")).toHaveLength(1);
    expect(noDeployment.stderr).toMatch(/^config error: DEPLOYMENTS_DIR: /);
  }, 60_000);
});
