import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configErrorTests } from "../lib/testing/config.js";
import { loadBridgeRelayerConfig, parseChains } from "./config.js";

const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const good = {
  CHAINS: "31420=http://127.0.0.1:8545,31421=http://127.0.0.1:8546",
  PRIVATE_KEY: key,
};

describe("bridge relayer config", () => {
  it("parses the relayer's settings with documented defaults", () => {
    const c = loadBridgeRelayerConfig({ env: good });
    expect(c).toMatchObject({
      chains: [
        { chainId: 31420, rpcUrls: ["http://127.0.0.1:8545"] },
        { chainId: 31421, rpcUrls: ["http://127.0.0.1:8546"] },
      ],
      deploymentsDir: "deployments",
      dbPath: ".data/bridge-relayer.sqlite",
      httpHost: "127.0.0.1",
      httpPort: 9480,
      schedule: "*/15 * * * * *",
      dryRun: false,
      maxBodyBytes: 16_384,
      txStuckBlocks: 3,
      txWaitSeconds: 120,
    });
    expect(c.privateKey.reveal()).toBe(key);
    expect(JSON.stringify(c)).not.toContain(key.slice(2));
    expect(c).not.toHaveProperty("chainId");
    expect(c).not.toHaveProperty("rpcUrls");

    const custom = loadBridgeRelayerConfig({
      env: {
        ...good,
        DB_PATH: "/tmp/r.sqlite",
        HTTP_PORT: "0",
        SCHEDULE: "* * * * *",
        TX_FEE_BUMP_PERCENT: "20",
        TX_MAX_FEE_GWEI: "90",
      },
      argv: ["--dry-run"],
    });
    expect(custom).toMatchObject({
      dbPath: "/tmp/r.sqlite",
      httpPort: 0,
      schedule: "* * * * *",
      txFeeBumpPercent: 20,
      txMaxFeeGwei: 90,
      dryRun: true,
    });
    expect(loadBridgeRelayerConfig({ env: { ...good, DRY_RUN: "true" } }).dryRun).toBe(true);
  });

  it("reads several RPC URLs per chain, with | or as bare URLs after the chain's entry", () => {
    expect(parseChains("1=https://a.example|https://b.example/, 10 = https://c.example")).toEqual([
      { chainId: 1, rpcUrls: ["https://a.example", "https://b.example"] },
      { chainId: 10, rpcUrls: ["https://c.example"] },
    ]);
    expect(parseChains("1=https://a.example,https://b.example,10=https://c.example")).toEqual([
      { chainId: 1, rpcUrls: ["https://a.example", "https://b.example"] },
      { chainId: 10, rpcUrls: ["https://c.example"] },
    ]);
  });

  it("takes CHAINS as a list from CONFIG_FILE", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "relayer-config-"));
    const file = path.join(dir, "relayer.json");
    writeFileSync(file, JSON.stringify({ CHAINS: ["5=http://x:1", "6=http://y:2"], HTTP_PORT: 9999 }));
    const c = loadBridgeRelayerConfig({ env: { PRIVATE_KEY: key, CONFIG_FILE: file } });
    expect(c.chains.map((x) => x.chainId)).toEqual([5, 6]);
    expect(c.httpPort).toBe(9999);
  });

  configErrorTests({
    main: "keepers/bridge-relayer/main.ts",
    load: loadBridgeRelayerConfig,
    good,
    key,
    rejects: [
      ["CHAINS", { CHAINS: "" }],
      ["CHAINS", { CHAINS: "31420=http://127.0.0.1:8545" }],
      ["CHAINS", { CHAINS: "31420=http://a,31420=http://b" }],
      ["CHAINS", { CHAINS: "31420=ws://a,31421=http://b" }],
      ["CHAINS", { CHAINS: "http://a,31421=http://b" }],
      ["CHAINS", { CHAINS: "0=http://a,31421=http://b" }],
      ["CHAINS", { CHAINS: "x=http://a,31421=http://b" }],
      ["CHAINS", { CHAINS: "31420=http://a,,31421=http://b" }],
      ["PRIVATE_KEY", { PRIVATE_KEY: "0x1234" }],
      ["PRIVATE_KEY", { PRIVATE_KEY: "" }],
      ["HTTP_PORT", { HTTP_PORT: "70000" }],
      ["SCHEDULE", { SCHEDULE: "61 * * * *" }],
      ["TX_FEE_BUMP_PERCENT", { TX_FEE_BUMP_PERCENT: "5" }],
      ["TX_STUCK_BLOCKS", { TX_STUCK_BLOCKS: "0" }],
      ["DRY_RUN", { DRY_RUN: "maybe" }],
      ["MAX_BODY_BYTES", { MAX_BODY_BYTES: "10" }],
    ],
    messages: [
      [{ CHAINS: "1=http://a" }, "CHAINS: at least two chains are needed, got 1"],
      [{ CHAINS: "1=http://a,1=http://b" }, "CHAINS: chain 1 is listed twice"],
    ],
    exits: [
      {
        when: "a setting is bad",
        env: { ...good, CHAINS: "31420=http://127.0.0.1:8545" },
        stderr:
          "config error: CHAINS: at least two chains are needed, got 1 (chainId=url entries, comma-separated (31420=http://a,31421=http://b))",
      },
      {
        when: "the deployment of a chain in CHAINS does not exist",
        env: {
          ...good,
          CHAINS: "999998=http://127.0.0.1:1,999999=http://127.0.0.1:1",
          DB_PATH: "/tmp/unused-bridge-relayer.sqlite",
        },
        stderr: /^config error: DEPLOYMENTS_DIR: cannot read the deployment of chain 999998/,
      },
    ],
  });
});
