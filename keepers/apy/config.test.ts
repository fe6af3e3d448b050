import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadApyKeeperConfig, parseAmount, parseFraction } from "./config.js";

const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const e18 = 10n ** 18n;
const good = {
  CHAIN_ID: "31337",
  RPC_URLS: "http://127.0.0.1:8545",
  PRIVATE_KEY: key,
  TARGET_STAKE: "1000000e18",
};

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

  configErrorTests({
    main: "keepers/apy/main.ts",
    load: loadApyKeeperConfig,
    good,
    key,
    rejects: [
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
    ],
    messages: [
      [{ MIN_APY: "30%", MAX_APY: "20%" }, "MAX_APY: must be at least MIN_APY (30%), got 20%"],
      [{ POOL_TARGETS: "1:2e18,1:3e18" }, "POOL_TARGETS: pool 1 is listed twice"],
    ],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, TARGET_STAKE: "lots" },
        stderr:
          'config error: TARGET_STAKE: expected a staking-token amount in base units, e.g. 1000000e18 (> 0), got "lots"',
      },
      {
        when: "no target stake is set at all",
        env: { CHAIN_ID: "31337", RPC_URLS: "http://127.0.0.1:1", PRIVATE_KEY: key },
        stderr:
          "config error: TARGET_STAKE: required: a staking-token amount in base units, e.g. 1000000e18, or per-pool targets in POOL_TARGETS (poolId:amount,…)",
      },
      {
        when: "the deployment file for CHAIN_ID does not exist",
        env: { ...good, CHAIN_ID: "999999", DB_PATH: "/tmp/unused-apy-keeper.sqlite" },
        stderr: /^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 999999/,
      },
    ],
  });
});
