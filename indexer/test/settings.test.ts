import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IndexerConfigError, readIndexerSettings } from "../lib/settings";
import { IndexerStartError, startIndexer } from "../lib/start";

const AMM = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "indexer-settings-"));
  await writeFile(
    path.join(dir, "31358.json"),
    JSON.stringify({ chainId: 31358, startBlock: 7, contracts: { AIServiceAMM: AMM.toLowerCase() } }),
  );
  await writeFile(
    path.join(dir, "31357.json"),
    JSON.stringify({ chainId: 1, startBlock: 0, contracts: { AIServiceAMM: AMM } }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string>) => ({ DEPLOYMENTS_DIR: dir, ...extra });

describe("readIndexerSettings", () => {
  it("reads chains from the env and addresses from deployments/<chainId>.json", () => {
    const settings = readIndexerSettings(
      env({
        PONDER_CHAIN_IDS: "31358",
        PONDER_RPC_URL_31358: "http://127.0.0.1:8545",
        PONDER_PGLITE_DIR: "/tmp/x",
      }),
    );
    expect(settings.chains).toEqual([
      {
        chainId: 31358,
        name: "chain31358",
        rpcUrl: "http://127.0.0.1:8545",
        amm: AMM,
        startBlock: 7,
        deploymentFile: path.join(dir, "31358.json"),
      },
    ]);
    expect(settings.database).toEqual({ kind: "pglite", directory: "/tmp/x" });
  });

  it("uses PostgreSQL when DATABASE_URL is set", () => {
    const settings = readIndexerSettings(
      env({
        PONDER_CHAIN_IDS: "31358",
        PONDER_RPC_URL_31358: "http://x:1",
        DATABASE_URL: "postgresql://u@h/db",
      }),
    );
    expect(settings.database).toEqual({ kind: "postgres", connectionString: "postgresql://u@h/db" });
  });

  it.each([
    [{ PONDER_CHAIN_IDS: "31358,abc" }, /PONDER_CHAIN_IDS/],
    [{ PONDER_CHAIN_IDS: "31358,31358", PONDER_RPC_URL_31358: "http://x:1" }, /twice/],
    [{ PONDER_CHAIN_IDS: "31358" }, /PONDER_RPC_URL_31358 is not set/],
    [{ PONDER_CHAIN_IDS: "31358", PONDER_RPC_URL_31358: "localhost:8545" }, /PONDER_RPC_URL_31358 must be/],
    [
      { PONDER_CHAIN_IDS: "31356", PONDER_RPC_URL_31356: "http://x:1" },
      /deployments file .*31356\.json is missing/,
    ],
    [{ PONDER_CHAIN_IDS: "31357", PONDER_RPC_URL_31357: "http://x:1" }, /says chainId 1, expected 31357/],
  ])("rejects %j", (extra, message) => {
    expect(() => readIndexerSettings(env(extra))).toThrow(IndexerConfigError);
    expect(() => readIndexerSettings(env(extra))).toThrow(message);
  });
});

describe("startIndexer", () => {
  it("fails fast, with Ponder's output, when a chain has no deployments file", async () => {
    const start = startIndexer({
      chainIds: [31356],
      rpcUrls: { 31356: "http://127.0.0.1:9" },
      schema: "missing_deployment",
      deploymentsDir: dir,
    });
    await expect(start).rejects.toBeInstanceOf(IndexerStartError);
    await expect(start).rejects.toThrow(/deployments file .*31356\.json is missing/);
  });
});
