import path from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadLiquidatorConfig } from "./config.js";

const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const good = { CHAIN_ID: "31540", RPC_URLS: "http://127.0.0.1:8545", PRIVATE_KEY: key };
const token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("liquidator config", () => {
  it("parses the keeper's settings with documented defaults", () => {
    const c = loadLiquidatorConfig({ env: good });
    expect(c).toMatchObject({
      chainId: 31540,
      dbPath: ".data/liquidator.sqlite",
      httpPort: 9475,
      dryRun: false,
      seriesIds: undefined,
      minRewardGasMultiple: 1,
      readConcurrency: 16,
    });
    expect(c.nativePrices.size).toBe(0);
    expect(JSON.stringify(c)).not.toContain(key.slice(2));
    const custom = loadLiquidatorConfig({
      env: {
        ...good,
        SERIES_IDS: "0, 3",
        NATIVE_PRICES: `${token.toLowerCase()}=2000.5`,
        MIN_REWARD_GAS_MULTIPLE: "1.5",
      },
      argv: ["--dry-run"],
    });
    expect(custom).toMatchObject({ seriesIds: [0n, 3n], minRewardGasMultiple: 1.5, dryRun: true });
    expect(custom.nativePrices.get(token)).toBe(2_000_500_000_000_000_000_000n);
  });

  configErrorTests({
    main: "keepers/liquidator/main.ts",
    load: loadLiquidatorConfig,
    good,
    key,
    rejects: [
      ["CHAIN_ID", { CHAIN_ID: "" }],
      ["PRIVATE_KEY", { PRIVATE_KEY: "0x1234" }],
      ["SERIES_IDS", { SERIES_IDS: "1,x" }],
      ["SERIES_IDS", { SERIES_IDS: "1,1" }],
      ["NATIVE_PRICES", { NATIVE_PRICES: "AITBC=2000" }],
      ["NATIVE_PRICES", { NATIVE_PRICES: `${token}=-1` }],
      ["NATIVE_PRICES", { NATIVE_PRICES: `${token}=1,${token}=2` }],
      ["MIN_REWARD_GAS_MULTIPLE", { MIN_REWARD_GAS_MULTIPLE: "-1" }],
      ["READ_CONCURRENCY", { READ_CONCURRENCY: "0" }],
    ],
    messages: [[{ SERIES_IDS: "4,4" }, "SERIES_IDS: series 4 is listed twice"]],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, NATIVE_PRICES: "gpuh" },
        stderr:
          'config error: NATIVE_PRICES: expected token=price entries (an address, a non-negative decimal), got "gpuh"',
      },
      {
        when: "the deployment file for CHAIN_ID does not exist",
        env: { ...good, CHAIN_ID: "31549", DB_PATH: path.join(tmpdir(), "unused-liquidator.sqlite") },
        stderr: /^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 31549/,
      },
    ],
  });
});
