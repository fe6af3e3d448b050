import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../lib/errors.js";
import { loadFeeKeeperConfig } from "./config.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const good = {
  CHAIN_ID: "31337",
  RPC_URLS: "http://127.0.0.1:8545",
  PRIVATE_KEY: key,
  INDEXER_URL: "http://127.0.0.1:42069/",
};

/** Runs the real entry point as an operator would (`npx tsx keepers/fee/main.ts`). */
function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    // Only PATH and HOME from the outer environment: the keeper must not depend on anything else. npm's own
    // warnings about the machine's npmrc are silenced so that stderr is the keeper's alone.
    const child = spawn("npx", ["tsx", "keepers/fee/main.ts"], {
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

describe("fee keeper config", () => {
  it("parses the keeper's settings with documented defaults", () => {
    const c = loadFeeKeeperConfig({ env: good });
    expect(c).toMatchObject({
      indexerUrl: "http://127.0.0.1:42069",
      schedule: "* * * * *",
      volWindowSeconds: 3_600,
      baseFee: 500,
      feePerVol: 5_000,
      deadband: 100,
      minSamples: 10,
      maxStatsAgeSeconds: 300,
      poolIds: undefined,
      dryRun: false,
    });
    expect(loadFeeKeeperConfig({ env: { ...good, POOL_IDS: "0, 2" }, argv: ["--dry-run"] })).toMatchObject({
      poolIds: [0n, 2n],
      dryRun: true,
    });
  });

  it.each([
    ["INDEXER_URL", { INDEXER_URL: "" }],
    ["INDEXER_URL", { INDEXER_URL: "indexer:42069" }],
    ["SCHEDULE", { SCHEDULE: "61 * * * *" }],
    ["FEE_PER_VOL", { FEE_PER_VOL: "-1" }],
    ["MIN_SAMPLES", { MIN_SAMPLES: "1" }],
    ["MAX_STATS_AGE_SECONDS", { MAX_STATS_AGE_SECONDS: "0" }],
    ["MAX_STATS_AGE_SECONDS", { MAX_STATS_AGE_SECONDS: "5m" }],
    ["VOL_WINDOW_SECONDS", { VOL_WINDOW_SECONDS: "1h" }],
    ["POOL_IDS", { POOL_IDS: "0,x" }],
  ])("rejects a bad %s", (field, patch) => {
    expect(() => loadFeeKeeperConfig({ env: { ...good, ...patch } })).toThrowError(ConfigError);
    try {
      loadFeeKeeperConfig({ env: { ...good, ...patch } });
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });

  it("exits 78 with one stderr line naming the field when a setting is bad", async () => {
    const { code, stderr, stdout } = await runMain({ ...good, RPC_URLS: "not-a-url" });
    expect(code).toBe(78);
    const lines = stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines).toEqual([
      'config error: RPC_URLS: expected a comma-separated list of http(s) URLs, got "not-a-url"',
    ]);
    expect(stdout).toBe("");
  });

  it("exits 78 when a required setting is missing, and never prints the key", async () => {
    const { code, stderr } = await runMain({
      CHAIN_ID: "31337",
      RPC_URLS: "http://127.0.0.1:1",
      PRIVATE_KEY: key,
    });
    expect(code).toBe(78);
    expect(stderr.trim()).toBe("config error: INDEXER_URL: required: an http(s) URL");
    expect(stderr).not.toContain(key.slice(2));
  });

  it("exits 78 when the deployment file for CHAIN_ID does not exist", async () => {
    const { code, stderr } = await runMain({
      ...good,
      CHAIN_ID: "999999",
      DB_PATH: "/tmp/unused-fee-keeper.sqlite",
    });
    expect(code).toBe(78);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 999999/);
  });
});
