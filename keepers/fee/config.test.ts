import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadFeeKeeperConfig } from "./config.js";

const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const good = {
  CHAIN_ID: "31337",
  RPC_URLS: "http://127.0.0.1:8545",
  PRIVATE_KEY: key,
  INDEXER_URL: "http://127.0.0.1:42069/",
};

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

  configErrorTests({
    main: "keepers/fee/main.ts",
    load: loadFeeKeeperConfig,
    good,
    key,
    rejects: [
      ["INDEXER_URL", { INDEXER_URL: "" }],
      ["INDEXER_URL", { INDEXER_URL: "indexer:42069" }],
      ["SCHEDULE", { SCHEDULE: "61 * * * *" }],
      ["FEE_PER_VOL", { FEE_PER_VOL: "-1" }],
      ["MIN_SAMPLES", { MIN_SAMPLES: "1" }],
      ["MAX_STATS_AGE_SECONDS", { MAX_STATS_AGE_SECONDS: "0" }],
      ["MAX_STATS_AGE_SECONDS", { MAX_STATS_AGE_SECONDS: "5m" }],
      ["VOL_WINDOW_SECONDS", { VOL_WINDOW_SECONDS: "1h" }],
      ["POOL_IDS", { POOL_IDS: "0,x" }],
    ],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, RPC_URLS: "not-a-url" },
        stderr: 'config error: RPC_URLS: expected a comma-separated list of http(s) URLs, got "not-a-url"',
      },
      {
        when: "a required setting is missing",
        env: { CHAIN_ID: "31337", RPC_URLS: "http://127.0.0.1:1", PRIVATE_KEY: key },
        stderr: "config error: INDEXER_URL: required: an http(s) URL",
      },
      {
        when: "the deployment file for CHAIN_ID does not exist",
        env: { ...good, CHAIN_ID: "999999", DB_PATH: "/tmp/unused-fee-keeper.sqlite" },
        stderr: /^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 999999/,
      },
    ],
  });
});
