import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadAttesterConfig, parseChains } from "./config.js";

const key = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const good = {
  CHAINS: "31430=http://127.0.0.1:8545,31431=http://127.0.0.1:8546",
  PRIVATE_KEY: key,
  RELAYER_URLS: "http://127.0.0.1:9600/,http://relayer.example",
};
const keyFile = path.join(mkdtempSync(path.join(tmpdir(), "attester-config-")), "key");
writeFileSync(keyFile, "not a key\n");

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

  configErrorTests({
    main: "keepers/bridge-attester/main.ts",
    load: loadAttesterConfig,
    good,
    key,
    rejects: [
      ["CHAINS", { CHAINS: undefined }],
      ["CHAINS", { CHAINS: "31430=http://127.0.0.1:8545" }], // one chain
      ["CHAINS", { CHAINS: "31430=http://a,31430=http://b" }], // twice
      ["CHAINS", { CHAINS: "31430=ftp://a,31431=http://b" }],
      ["CHAINS", { CHAINS: "http://a,31431=http://b" }],
      ["CHAINS", { CHAINS: "x=http://a,31431=http://b" }],
      ["PRIVATE_KEY", { PRIVATE_KEY: undefined }],
      ["PRIVATE_KEY", { PRIVATE_KEY: "0x1234" }],
      ["PRIVATE_KEY_FILE", { PRIVATE_KEY: undefined, PRIVATE_KEY_FILE: keyFile }],
      ["PRIVATE_KEY", { PRIVATE_KEY_FILE: keyFile }], // both
      ["RELAYER_URLS", { RELAYER_URLS: undefined }],
      ["RELAYER_URLS", { RELAYER_URLS: "relayer:9000" }],
      ["RELAYER_URLS", { RELAYER_URLS: "http://a,http://a/" }],
      ["CONFIRMATIONS", { CONFIRMATIONS: "-1" }],
      ["CONFIRMATIONS", { CONFIRMATIONS: "two" }],
      ["SIGN_MARGIN_SECONDS", { SIGN_MARGIN_SECONDS: "1.5" }],
      ["HTTP_PORT", { HTTP_PORT: "70000" }],
      ["SCHEDULE", { SCHEDULE: "every minute" }],
      ["POLLING_INTERVAL_MS", { POLLING_INTERVAL_MS: "10" }],
      ["RELAYER_RETRY_MAX_MS", { RELAYER_RETRY_MS: "1000", RELAYER_RETRY_MAX_MS: "500" }],
    ],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, CHAINS: "31430=http://127.0.0.1:8545" },
        stderr: "config error: CHAINS: at least two chains are needed, got 1",
      },
      {
        when: "the key is malformed",
        env: { ...good, PRIVATE_KEY: `${key}ff` },
        stderr: /^config error: PRIVATE_KEY: /,
      },
      // A missing deployment is a config error too (checked at start, before anything is opened).
      {
        when: "a deployment is missing",
        env: { ...good, DEPLOYMENTS_DIR: tmpdir() },
        stderr: /^config error: DEPLOYMENTS_DIR: /,
      },
    ],
  });
});
