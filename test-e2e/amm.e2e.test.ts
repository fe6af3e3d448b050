/**
 * End to end on a real anvil: deploy → agents swap → the indexer's answers equal the chain's state field by
 * field → the fee keeper moves a fee on chain → the keeper, SIGKILLed and restarted in the same fee
 * interval, sends nothing twice. The indexer part runs on embedded PGlite and, when DATABASE_URL is set
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
  // A long fee interval: after the keeper's first move, the chain forbids another for an hour, so any
  // second transaction after a restart would be a duplicate.
  deployment = await deployProtocol(anvil.rpcUrl, { FEE_KEEPER: keeperAddress, MIN_FEE_INTERVAL: "3600" });
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
    SCHEDULE: "*/2 * * * * *",
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

  test("the fee keeper moves a fee on chain, and a restart in the same interval sends nothing twice", async () => {
    const dbPath = path.join(workDir, "fee-keeper.sqlite");
    const port = await freePort();
    const feeBefore = (
      await ctx.publicClient.readContract({
        address: deployment.contracts.AIServiceAMM,
        abi: aiServiceAmmAbi,
        functionName: "getPool",
        args: [0n],
      })
    ).fee;

    let keeper = startFeeKeeper(dbPath, port);
    started.push(keeper);
    const feeUpdated = await waitFor(
      "a FeeUpdated event from the keeper",
      async () => {
        const events = await ctx.publicClient.getContractEvents({
          address: deployment.contracts.AIServiceAMM,
          abi: aiServiceAmmAbi,
          eventName: "FeeUpdated",
          fromBlock: BigInt(deployment.startBlock),
        });
        return events.length > 0 ? events : undefined;
      },
      90_000,
      1_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n--- keeper output ---\n${keeper.output().slice(-4_000)}`);
    });
    expect(feeUpdated[0].args.updatedBy).toBe(keeperAddress);
    expect(feeUpdated[0].args.oldFee).toBe(feeBefore);

    // Crash it mid-run (other pools' moves may be in flight) and start it again on the same store, inside
    // the same fee interval.
    await keeper.kill();
    keeper = startFeeKeeper(dbPath, port);
    started.push(keeper);
    await waitFor(
      "three ticks of the restarted keeper",
      async () => ((await keeperTicks(port)) >= 3 ? true : undefined),
      60_000,
      500,
    );
    // Whatever it resumed has been mined: nothing of the keeper's is pending any more.
    await waitFor("the keeper's transactions to be mined", async () => {
      const [mined, pending] = await Promise.all([
        ctx.publicClient.getTransactionCount({ address: keeperAddress }),
        ctx.publicClient.getTransactionCount({ address: keeperAddress, blockTag: "pending" }),
      ]);
      return mined === pending ? true : undefined;
    });
    await keeper.stop();

    // Every transaction the keeper ever sent is a distinct fee move that succeeded: no duplicate and no
    // reverted second attempt (the chain forbids a second move within the hour), at most one per pool.
    const feeEvents = await ctx.publicClient.getContractEvents({
      address: deployment.contracts.AIServiceAMM,
      abi: aiServiceAmmAbi,
      eventName: "FeeUpdated",
      fromBlock: BigInt(deployment.startBlock),
    });
    const keeperNonce = await ctx.publicClient.getTransactionCount({ address: keeperAddress });
    expect(feeEvents.every((event) => event.args.updatedBy === keeperAddress)).toBe(true);
    expect(keeperNonce).toBe(feeEvents.length);
    const movedPools = feeEvents.map((event) => event.args.poolId);
    expect(new Set(movedPools).size).toBe(movedPools.length);

    // The indexer saw the move too: fee history and pool fees equal the chain's.
    const { onChain, indexed } = await snapshotsAtHead(indexer.url);
    expect(onChain.feeChanges.length).toBeGreaterThan(0);
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
