import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadVolatilityKeeperConfig } from "./config.js";

const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const good = {
  CHAIN_ID: "31337",
  RPC_URLS: "http://127.0.0.1:8545",
  PRIVATE_KEY: key,
  INDEXER_URL: "http://127.0.0.1:42069/",
  POOL_IDS: "0, 2",
};

describe("volatility keeper config", () => {
  it("parses the keeper's settings with documented defaults", () => {
    const c = loadVolatilityKeeperConfig({ env: good });
    expect(c).toMatchObject({
      indexerUrl: "http://127.0.0.1:42069",
      poolIds: [0n, 2n],
      schedule: "* * * * *",
      volWindowSeconds: 3_600,
      deadbandWad: 5_000_000_000_000_000n, // 0.5 %
      minSamples: 10,
      maxStatsAgeSeconds: 300,
      refreshMarginSeconds: 3_600,
      dbPath: ".data/volatility-keeper.sqlite",
      httpPort: 9477,
      dryRun: false,
    });
    expect(
      loadVolatilityKeeperConfig({
        env: { ...good, DEADBAND: "2%", SCHEDULE: "*/30 * * * * *", REFRESH_MARGIN_SECONDS: "0" },
        argv: ["--dry-run"],
      }),
    ).toMatchObject({
      deadbandWad: 20_000_000_000_000_000n,
      schedule: "*/30 * * * * *",
      refreshMarginSeconds: 0,
      dryRun: true,
    });
    expect(loadVolatilityKeeperConfig({ env: { ...good, DEADBAND: "0.01", DRY_RUN: "true" } })).toMatchObject(
      {
        deadbandWad: 10_000_000_000_000_000n,
        dryRun: true,
      },
    );
  });

  configErrorTests({
    main: "keepers/volatility/main.ts",
    load: loadVolatilityKeeperConfig,
    good,
    key,
    rejects: [
      ["CHAIN_ID", { CHAIN_ID: "0" }],
      ["RPC_URLS", { RPC_URLS: "ws://127.0.0.1:8545" }],
      ["PRIVATE_KEY", { PRIVATE_KEY: "0x1234" }],
      ["INDEXER_URL", { INDEXER_URL: undefined }],
      ["INDEXER_URL", { INDEXER_URL: "indexer:42069" }],
      ["POOL_IDS", { POOL_IDS: undefined }],
      ["POOL_IDS", { POOL_IDS: "0,x" }],
      ["POOL_IDS", { POOL_IDS: "1,1" }],
      ["SCHEDULE", { SCHEDULE: "61 * * * *" }],
      ["VOL_WINDOW_SECONDS", { VOL_WINDOW_SECONDS: "1h" }],
      ["VOL_WINDOW_SECONDS", { VOL_WINDOW_SECONDS: "59" }],
      ["DEADBAND", { DEADBAND: "-1" }],
      ["DEADBAND", { DEADBAND: "101%" }],
      ["DEADBAND", { DEADBAND: "half" }],
      ["MIN_SAMPLES", { MIN_SAMPLES: "1" }],
      ["MAX_STATS_AGE_SECONDS", { MAX_STATS_AGE_SECONDS: "0" }],
      ["REFRESH_MARGIN_SECONDS", { REFRESH_MARGIN_SECONDS: "-5" }],
      ["HTTP_PORT", { HTTP_PORT: "70000" }],
      ["DRY_RUN", { DRY_RUN: "maybe" }],
    ],
    messages: [
      [
        { POOL_IDS: undefined },
        "POOL_IDS: required: the comma-separated ids of the pools backing option underlyings",
      ],
      [{ POOL_IDS: "1, 1" }, 'POOL_IDS: lists a pool twice: "1, 1"'],
      [{ DEADBAND: "5 %" }, 'DEADBAND: expected a volatility between 0 and 1 (or 0% and 100%), got "5 %"'],
    ],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, POOL_IDS: "a,b" },
        stderr: 'config error: POOL_IDS: expected a comma-separated list of pool ids, got "a,b"',
      },
      {
        when: "a required setting is missing",
        env: { CHAIN_ID: "31337", RPC_URLS: "http://127.0.0.1:1", PRIVATE_KEY: key, POOL_IDS: "0" },
        stderr: "config error: INDEXER_URL: required: an http(s) URL",
      },
      {
        when: "the deployment file for CHAIN_ID does not exist",
        env: { ...good, CHAIN_ID: "999999", DB_PATH: "/tmp/unused-volatility-keeper.sqlite" },
        stderr: /^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 999999/,
      },
    ],
  });
});
