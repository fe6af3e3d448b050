import path from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadExpiryConfig } from "./config.js";

const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const good = { CHAIN_ID: "31550", RPC_URLS: "http://127.0.0.1:8545", PRIVATE_KEY: key };

describe("expiry keeper config", () => {
  it("parses the keeper's settings with documented defaults", () => {
    const c = loadExpiryConfig({ env: good });
    expect(c).toMatchObject({
      chainId: 31550,
      dbPath: ".data/expiry.sqlite",
      httpPort: 9476,
      dryRun: false,
      seriesIds: undefined,
      maxWritesPerBlock: 8,
      maxHoldersPerCall: 50,
      readConcurrency: 16,
    });
    expect(JSON.stringify(c)).not.toContain(key.slice(2));
    const custom = loadExpiryConfig({
      env: { ...good, SERIES_IDS: "0, 3", MAX_WRITES_PER_BLOCK: "2", MAX_HOLDERS_PER_CALL: "10" },
      argv: ["--dry-run"],
    });
    expect(custom).toMatchObject({
      seriesIds: [0n, 3n],
      maxWritesPerBlock: 2,
      maxHoldersPerCall: 10,
      dryRun: true,
    });
  });

  configErrorTests({
    main: "keepers/expiry/main.ts",
    load: loadExpiryConfig,
    good,
    key,
    rejects: [
      ["CHAIN_ID", { CHAIN_ID: "" }],
      ["PRIVATE_KEY", { PRIVATE_KEY: "0x1234" }],
      ["SERIES_IDS", { SERIES_IDS: "1,x" }],
      ["SERIES_IDS", { SERIES_IDS: "1,1" }],
      ["MAX_WRITES_PER_BLOCK", { MAX_WRITES_PER_BLOCK: "0" }],
      ["MAX_HOLDERS_PER_CALL", { MAX_HOLDERS_PER_CALL: "many" }],
      ["READ_CONCURRENCY", { READ_CONCURRENCY: "0" }],
    ],
    messages: [[{ SERIES_IDS: "4,4" }, "SERIES_IDS: series 4 is listed twice"]],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, MAX_HOLDERS_PER_CALL: "0" },
        stderr: /^config error: MAX_HOLDERS_PER_CALL: /,
      },
      {
        when: "the deployment file for CHAIN_ID does not exist",
        env: { ...good, CHAIN_ID: "31559", DB_PATH: path.join(tmpdir(), "unused-expiry.sqlite") },
        stderr: /^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 31559/,
      },
    ],
  });
});
