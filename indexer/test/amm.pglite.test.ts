// End to end on the embedded database: real anvils, the real deploy script, real transactions, and one
// `ponder start` (its own PGlite directory and schema) indexing two chains at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import { checkConfigMatchesChain, checkPoolsMatchChain, checkRoutes, waitForScenario } from "./checks";
import { getJson, graphqlQuery, pollUntil, runScenario, type Scenario } from "./scenario";

const CHAIN_A = 31350; // the full scenario, with two hours of time travel between its swap batches
const CHAIN_B = 31352; // the same trades within a minute, on a second chain

describe("AMM indexer on PGlite, two chains", () => {
  let a: Scenario;
  let b: Scenario;
  let indexer: Indexer;

  beforeAll(async () => {
    const played = await Promise.allSettled([
      runScenario(CHAIN_A),
      runScenario(CHAIN_B, { timeTravel: false }),
    ]);
    for (const p of played)
      if (p.status === "fulfilled") p.value.anvil.chainId === CHAIN_A ? (a = p.value) : (b = p.value);
    for (const p of played) if (p.status === "rejected") throw p.reason;
    indexer = await startIndexer({
      chainIds: [CHAIN_A, CHAIN_B],
      rpcUrls: { [CHAIN_A]: a.anvil.rpcUrl, [CHAIN_B]: b.anvil.rpcUrl },
      schema: `amm_pglite_${process.pid}`,
    });
    await Promise.all([waitForScenario(indexer, a), waitForScenario(indexer, b)]);
  });

  afterAll(async () => {
    await indexer?.stop();
    await a?.anvil.stop();
    await b?.anvil.stop();
  });

  it("pool rows and LP positions equal the contract's state, on both chains", async () => {
    await checkPoolsMatchChain(indexer, a);
    await checkPoolsMatchChain(indexer, b);
  });

  it("the amm_config row and /stats' settings equal the contract's, on both chains", async () => {
    await checkConfigMatchesChain(indexer, a);
    await checkConfigMatchesChain(indexer, b);
  });

  it("routes return the contract's fields, recomputed numbers, and reasons for bad input", async () => {
    await checkRoutes(indexer, a);
    await checkRoutes(indexer, b);
    const all = await getJson(`${indexer.url}/pools`);
    expect(
      all.body.pools.map((p: { chainId: number; poolId: string }) => `${p.chainId}/${p.poolId}`),
    ).toEqual([`${CHAIN_A}/0`, `${CHAIN_A}/1`, `${CHAIN_B}/0`, `${CHAIN_B}/1`]);
  });

  it("indexes a swap made while it runs, and the stats follow", async () => {
    const before = a.swaps.filter((s) => s.poolId === 0n).length;
    await a.swap(0n, a.deployment.contracts.LLMT, 777n * 10n ** 18n);
    await pollUntil(
      () => graphqlQuery(indexer.url, `{ pool(chainId: ${CHAIN_A}, poolId: "0") { swapCount } }`),
      (data) => data.pool?.swapCount === before + 1,
      { what: "the live swap" },
    );
    await checkPoolsMatchChain(indexer, a);
    await checkRoutes(indexer, a);
  });
});
