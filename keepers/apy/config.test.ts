import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../lib/errors.js";
import { loadApyKeeperConfig, parseAmount, parseFraction } from "./config.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const e18 = 10n ** 18n;
const good = {
  CHAIN_ID: "31337",
  RPC_URLS: "http://127.0.0.1:8545",
  PRIVATE_KEY: key,
  TARGET_STAKE: "1000000e18",
};

/** Runs the real entry point as an operator would (`npx tsx keepers/apy/main.ts`). */
function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    // Only PATH and HOME from the outer environment: the keeper must not depend on anything else. npm's own
    // warnings about the machine's npmrc are silenced so that stderr is the keeper's alone.
    const child = spawn("npx", ["tsx", "keepers/apy/main.ts"], {
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

describe("apy keeper config", () => {
  it("parses the keeper's settings with documented defaults", () => {
    const c = loadApyKeeperConfig({ env: good });
    expect(c).toMatchObject({
      schedule: "* * * * *",
      baseApy: e18 / 5n, // 20 %
      minApy: e18 / 50n, // 2 %
      maxApy: e18, // 100 %
      deadband: e18 / 100n, // 1 %
      targetStake: 1_000_000n * e18,
      poolTargets: new Map(),
      poolIds: undefined,
      dryRun: false,
      dbPath: ".data/apy-keeper.sqlite",
      httpPort: 9472,
    });
    const custom = loadApyKeeperConfig({
      env: {
        ...good,
        TARGET_STAKE: "",
        POOL_TARGETS: "0:1000000e18, 3 : 2.5e21",
        BASE_APY: "12.5%",
        MIN_APY: "0",
        MAX_APY: "3",
        DEADBAND: "0.005",
        POOL_IDS: "0, 3",
      },
      argv: ["--dry-run"],
    });
    expect(custom).toMatchObject({
      targetStake: undefined,
      poolTargets: new Map([
        [0n, 1_000_000n * e18],
        [3n, 2_500n * e18],
      ]),
      baseApy: e18 / 8n,
      minApy: 0n,
      maxApy: 3n * e18,
      deadband: e18 / 200n,
      poolIds: [0n, 3n],
      dryRun: true,
    });
  });

  it("reads amounts and fractions exactly", () => {
    expect(parseAmount("1000000e18")).toBe(10n ** 24n);
    expect(parseAmount("1.5e3")).toBe(1_500n);
    expect(parseAmount("1e+2")).toBe(100n);
    expect(parseAmount("42")).toBe(42n);
    for (const bad of ["0", "0e18", "1.5", "1.25e1", "-1", "1e", "e18", "1,000", "1e78", "0x10"])
      expect(parseAmount(bad), bad).toBeUndefined();
    expect(parseFraction("0.2")).toBe(e18 / 5n);
    expect(parseFraction("20%")).toBe(e18 / 5n);
    expect(parseFraction("0.5%")).toBe(e18 / 200n);
    expect(parseFraction("1")).toBe(e18);
    for (const bad of [
      "",
      ".5",
      "5.",
      "-0.1",
      "1e-2",
      "20 %",
      "0.1234567890123456789",
      "1.12345678901234567%",
    ])
      expect(parseFraction(bad), bad).toBeUndefined();
  });

  it.each([
    ["TARGET_STAKE", { TARGET_STAKE: "" }],
    ["TARGET_STAKE", { TARGET_STAKE: "1M" }],
    ["TARGET_STAKE", { TARGET_STAKE: "0" }],
    ["POOL_TARGETS", { POOL_TARGETS: "0=1e24" }],
    ["POOL_TARGETS", { POOL_TARGETS: "0:1e24,0:2e24" }],
    ["POOL_TARGETS", { POOL_TARGETS: "x:1e24" }],
    ["POOL_TARGETS", { POOL_TARGETS: "1:0.5" }],
    ["BASE_APY", { BASE_APY: "0" }],
    ["BASE_APY", { BASE_APY: "ten" }],
    ["MIN_APY", { MIN_APY: "-0.01" }],
    ["MAX_APY", { MAX_APY: "101" }],
    ["MAX_APY", { MIN_APY: "0.3", MAX_APY: "0.2" }],
    ["DEADBAND", { DEADBAND: "0.6" }],
    ["SCHEDULE", { SCHEDULE: "61 * * * *" }],
    ["POOL_IDS", { POOL_IDS: "0,x" }],
  ])("rejects a bad %s", (field, patch) => {
    expect(() => loadApyKeeperConfig({ env: { ...good, ...patch } })).toThrowError(ConfigError);
    try {
      loadApyKeeperConfig({ env: { ...good, ...patch } });
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });

  it("names the problem in words", () => {
    expect(() => loadApyKeeperConfig({ env: { ...good, MIN_APY: "30%", MAX_APY: "20%" } })).toThrowError(
      "MAX_APY: must be at least MIN_APY (30%), got 20%",
    );
    expect(() => loadApyKeeperConfig({ env: { ...good, POOL_TARGETS: "1:2e18,1:3e18" } })).toThrowError(
      "POOL_TARGETS: pool 1 is listed twice",
    );
  });

  it("exits 78 with one stderr line naming the field when a setting is bad", async () => {
    const { code, stderr, stdout } = await runMain({ ...good, TARGET_STAKE: "lots" });
    expect(code).toBe(78);
    const lines = stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines).toEqual([
      'config error: TARGET_STAKE: expected a staking-token amount in base units, e.g. 1000000e18 (> 0), got "lots"',
    ]);
    expect(stdout).toBe("");
  });

  it("exits 78 when no target stake is set at all, and never prints the key", async () => {
    const { code, stderr } = await runMain({
      CHAIN_ID: "31337",
      RPC_URLS: "http://127.0.0.1:1",
      PRIVATE_KEY: key,
    });
    expect(code).toBe(78);
    expect(stderr.trim()).toBe(
      "config error: TARGET_STAKE: required: a staking-token amount in base units, e.g. 1000000e18, or per-pool targets in POOL_TARGETS (poolId:amount,…)",
    );
    expect(stderr).not.toContain(key.slice(2));
  });

  it("exits 78 when the deployment file for CHAIN_ID does not exist", async () => {
    const { code, stderr } = await runMain({
      ...good,
      CHAIN_ID: "999999",
      DB_PATH: "/tmp/unused-apy-keeper.sqlite",
    });
    expect(code).toBe(78);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 999999/);
  });
});
