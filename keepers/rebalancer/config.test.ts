import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadRebalancerConfig } from "./config.js";

const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const good = { CHAIN_ID: "31520", RPC_URLS: "http://127.0.0.1:8545", PRIVATE_KEY: key };

describe("rebalancer config", () => {
  it("parses the keeper's settings with documented defaults", () => {
    const c = loadRebalancerConfig({ env: good });
    expect(c).toMatchObject({
      chainId: 31520,
      rpcUrls: ["http://127.0.0.1:8545"],
      deploymentsDir: "deployments",
      dbPath: ".data/rebalancer.sqlite",
      httpHost: "127.0.0.1",
      httpPort: 9474,
      dryRun: false,
      pollingIntervalMs: 1_000,
      portfolioIds: undefined,
      backoffSeconds: 900,
      recordOracle: true,
      readConcurrency: 16,
    });
    expect(c.privateKey.reveal()).toBe(key);
    expect(JSON.stringify(c)).not.toContain(key.slice(2));

    const custom = loadRebalancerConfig({
      env: {
        ...good,
        PORTFOLIO_IDS: "3, 0,12",
        BACKOFF_SECONDS: "60",
        RECORD_ORACLE: "false",
        READ_CONCURRENCY: "4",
        POLLING_INTERVAL_MS: "250",
      },
      argv: ["--dry-run"],
    });
    expect(custom).toMatchObject({
      portfolioIds: [3n, 0n, 12n],
      backoffSeconds: 60,
      recordOracle: false,
      readConcurrency: 4,
      pollingIntervalMs: 250,
      dryRun: true,
    });
  });

  it("reads CONFIG_FILE, the environment winning over it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rebalancer-config-"));
    const file = path.join(dir, "rebalancer.json");
    writeFileSync(file, JSON.stringify({ PORTFOLIO_IDS: [1, 2], BACKOFF_SECONDS: 30, DRY_RUN: true }));
    const c = loadRebalancerConfig({ env: { ...good, CONFIG_FILE: file, BACKOFF_SECONDS: "45" } });
    expect(c).toMatchObject({ portfolioIds: [1n, 2n], backoffSeconds: 45, dryRun: true });
  });

  configErrorTests({
    main: "keepers/rebalancer/main.ts",
    load: loadRebalancerConfig,
    good,
    key,
    rejects: [
      ["CHAIN_ID", { CHAIN_ID: "" }],
      ["RPC_URLS", { RPC_URLS: "ws://127.0.0.1:8545" }],
      ["PRIVATE_KEY", { PRIVATE_KEY: "0x1234" }],
      ["PORTFOLIO_IDS", { PORTFOLIO_IDS: "1,two" }],
      ["PORTFOLIO_IDS", { PORTFOLIO_IDS: "-1" }],
      ["PORTFOLIO_IDS", { PORTFOLIO_IDS: "1,2,1" }],
      ["BACKOFF_SECONDS", { BACKOFF_SECONDS: "-5" }],
      ["BACKOFF_SECONDS", { BACKOFF_SECONDS: "1h" }],
      ["RECORD_ORACLE", { RECORD_ORACLE: "maybe" }],
      ["READ_CONCURRENCY", { READ_CONCURRENCY: "0" }],
      ["DRY_RUN", { DRY_RUN: "sometimes" }],
      ["HTTP_PORT", { HTTP_PORT: "70000" }],
    ],
    messages: [
      [{ PORTFOLIO_IDS: "4,7,4" }, "PORTFOLIO_IDS: portfolio 4 is listed twice"],
      [
        { PORTFOLIO_IDS: "4;7" },
        'PORTFOLIO_IDS: expected a comma-separated list of portfolio ids, got "4;7"',
      ],
    ],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, BACKOFF_SECONDS: "soon" },
        stderr: 'config error: BACKOFF_SECONDS: expected an integer in [0, 2592000], got "soon"',
      },
      {
        when: "the deployment file for CHAIN_ID does not exist",
        env: { ...good, CHAIN_ID: "31529", DB_PATH: path.join(tmpdir(), "unused-rebalancer.sqlite") },
        stderr: /^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 31529/,
      },
    ],
  });
});
