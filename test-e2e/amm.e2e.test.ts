/**
 * End to end on a real anvil: deploy → agents swap → the indexer's answers equal the chain's state field by
 * field → the fee keeper moves fees on chain → the keeper, SIGKILLed mid-run and restarted on the same
 * store, sends nothing twice. The indexer part runs on embedded PGlite and, when DATABASE_URL is set
 * (CI sets it), on PostgreSQL too.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { aiServiceAmmAbi } from "../generated/abis.js";
import { startIndexer, type Indexer } from "../indexer/lib/start.js";
import { devAccountKeys } from "../scripts/lib/accounts.js";
import { freePort, startAnvil, type Anvil } from "../scripts/lib/anvil.js";
import { deployProtocol, type Deployment } from "../scripts/lib/deploy.js";
import { anvilKeys } from "../scripts/lib/foundry.js";
import { startTsProcess, waitFor, type ManagedProcess } from "../scripts/lib/process.js";
import { chainSnapshot, compareSnapshots, indexedBlock, indexerSnapshot } from "../scripts/lib/readModels.js";
import { runAgents, scenarioContext, seedPools, type ScenarioContext } from "../scripts/lib/scenario.js";

const CHAIN_ID = 31370;
const keeperKey = anvilKeys[1];
const keeperAddress = privateKeyToAccount(keeperKey).address;

let anvil: Anvil;
let deployment: Deployment;
let ctx: ScenarioContext;
let indexer: Indexer;
let workDir: string;
const started: { stop: () => Promise<unknown> }[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "aitbc-e2e-"));
  anvil = await startAnvil({ chainId: CHAIN_ID, blockTime: 1, accounts: 20 });
  started.push(anvil);
  // A one-second fee interval and small steps: the keeper walks fees toward their targets one step per
  // block, so it has work in flight whenever it is killed, and a duplicate send would go through on chain
  // (and show) instead of being refused by the interval.
  deployment = await deployProtocol(anvil.rpcUrl, {
    FEE_KEEPER: keeperAddress,
    MIN_FEE_INTERVAL: "1",
    MAX_FEE_STEP: "100",
  });
  ctx = scenarioContext(deployment, anvil.rpcUrl, anvilKeys[0], devAccountKeys(10, 8));
  const markets = await seedPools(ctx);
  const actions = await runAgents(ctx, markets, { actions: 80, seed: 7, volatilePoolId: markets[0].poolId });
  expect(actions.filter((a) => a.ok).length).toBeGreaterThan(40);
  indexer = await startIndexer({
    chainIds: [CHAIN_ID],
    rpcUrls: { [CHAIN_ID]: anvil.rpcUrl },
    schema: "e2e",
    pgliteDir: path.join(workDir, "pglite"),
  });
  started.push(indexer);
});

afterAll(async () => {
  for (const process of started.reverse()) await process.stop().catch(() => undefined);
  await rm(workDir, { recursive: true, force: true });
});

/** Waits until the indexer has the chain's head, then returns both answers. */
async function snapshotsAtHead(indexerUrl: string) {
  const head = await ctx.publicClient.getBlockNumber();
  await waitFor("the indexer to reach the head", async () => {
    const indexed = await indexedBlock(indexerUrl, CHAIN_ID);
    return indexed !== undefined && indexed >= head ? true : undefined;
  });
  const amm = deployment.contracts.AIServiceAMM;
  return {
    onChain: await chainSnapshot(ctx.publicClient, amm, BigInt(deployment.startBlock), head),
    indexed: await indexerSnapshot(indexerUrl, CHAIN_ID),
  };
}

function startFeeKeeper(dbPath: string, port: number): ManagedProcess {
  return startTsProcess("keepers/fee/main.ts", {
    CHAIN_ID: String(CHAIN_ID),
    RPC_URLS: anvil.rpcUrl,
    PRIVATE_KEY: keeperKey,
    INDEXER_URL: indexer.url,
    DB_PATH: dbPath,
    HTTP_PORT: String(port),
    SCHEDULE: "* * * * * *",
    VOL_WINDOW_SECONDS: "3600",
    MIN_SAMPLES: "5",
  });
}

async function keeperTicks(port: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = metrics.split("\n").find((l) => /^keeper_ticks_total(\{[^}]*\})? /.test(l));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("AMM end to end", () => {
  test("the indexer's answers equal the chain's state, field by field", async () => {
    const { onChain, indexed } = await snapshotsAtHead(indexer.url);
    expect(onChain.pools).toHaveLength(4);
    expect(onChain.pools.reduce((n, p) => n + p.swapCount, 0)).toBeGreaterThan(30);
    expect(onChain.lpPositions.length).toBeGreaterThan(4);
    expect(compareSnapshots(onChain, indexed)).toEqual([]);
    // The same, field by field, with the values in the failure message.
    for (const pool of onChain.pools) {
      expect(indexed.pools.find((p) => p.poolId === pool.poolId)).toEqual({
        ...pool,
        token0: pool.token0.toLowerCase(),
        token1: pool.token1.toLowerCase(),
      });
    }
    expect(indexed.lpPositions).toEqual(onChain.lpPositions);
  });

  test("the fee keeper moves fees on chain, and a SIGKILL and restart mid-walk sends nothing twice", async () => {
    const dbPath = path.join(workDir, "fee-keeper.sqlite");
    const port = await freePort();
    const amm = deployment.contracts.AIServiceAMM;
    const feeEvents = () =>
      ctx.publicClient.getContractEvents({
        address: amm,
        abi: aiServiceAmmAbi,
        eventName: "FeeUpdated",
        fromBlock: BigInt(deployment.startBlock),
      });
    const feeBefore = (
      await ctx.publicClient.readContract({
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "getPool",
        args: [0n],
      })
    ).fee;

    let keeper = startFeeKeeper(dbPath, port);
    started.push(keeper);
    const beforeKill = await waitFor(
      "two fee moves by the keeper",
      async () => {
        const events = await feeEvents();
        return events.length >= 2 ? events : undefined;
      },
      90_000,
      500,
    ).catch((error) => {
      throw new Error(`${error.message}\n--- keeper output ---\n${keeper.output().slice(-4_000)}`);
    });
    expect(beforeKill[0].args.updatedBy).toBe(keeperAddress);
    expect(beforeKill.find((e) => e.args.poolId === 0n)?.args.oldFee ?? feeBefore).toBe(feeBefore);

    // Crash it mid-walk and start it again on the same store: it resumes what it had signed and goes on.
    await keeper.kill();
    const movesAtKill = (await feeEvents()).length;
    keeper = startFeeKeeper(dbPath, port);
    started.push(keeper);
    await waitFor(
      "the restarted keeper to tick and move fees again",
      async () =>
        (await keeperTicks(port)) >= 5 && (await feeEvents()).length > movesAtKill ? true : undefined,
      90_000,
      500,
    );
    await keeper.stop();
    await waitFor("the keeper's transactions to be mined", async () => {
      const [mined, pending] = await Promise.all([
        ctx.publicClient.getTransactionCount({ address: keeperAddress }),
        ctx.publicClient.getTransactionCount({ address: keeperAddress, blockTag: "pending" }),
      ]);
      return mined === pending ? true : undefined;
    });

    // Every transaction the keeper ever sent is one successful fee move: none reverted, none repeated. A
    // repeated setFee would succeed here (the interval is one second) and show as a move from a fee to itself.
    const events = await feeEvents();
    const keeperNonce = await ctx.publicClient.getTransactionCount({ address: keeperAddress });
    expect(events.every((event) => event.args.updatedBy === keeperAddress)).toBe(true);
    expect(keeperNonce).toBe(events.length);
    expect(events.filter((event) => event.args.oldFee === event.args.newFee)).toEqual([]);
    // At most one move per pool per block, each within the step.
    const perPoolBlock = events.map((event) => `${event.args.poolId}:${event.blockNumber}`);
    expect(new Set(perPoolBlock).size).toBe(perPoolBlock.length);
    for (const event of events) {
      expect(Math.abs(Number(event.args.newFee) - Number(event.args.oldFee))).toBeLessThanOrEqual(100);
    }

    // The indexer saw every move: fee history and pool fees equal the chain's.
    const { onChain, indexed } = await snapshotsAtHead(indexer.url);
    expect(onChain.feeChanges.length).toBe(events.length);
    expect(compareSnapshots(onChain, indexed)).toEqual([]);
  });

  test.runIf(Boolean(process.env.DATABASE_URL))(
    "the same answers from the indexer on PostgreSQL",
    async () => {
      const schema = `e2e_${Date.now().toString(36)}`;
      const postgresIndexer = await startIndexer({
        chainIds: [CHAIN_ID],
        rpcUrls: { [CHAIN_ID]: anvil.rpcUrl },
        schema,
        databaseUrl: process.env.DATABASE_URL!,
      });
      started.push(postgresIndexer);
      const { onChain, indexed } = await snapshotsAtHead(postgresIndexer.url);
      expect(compareSnapshots(onChain, indexed)).toEqual([]);
      await postgresIndexer.stop();
    },
  );
});
