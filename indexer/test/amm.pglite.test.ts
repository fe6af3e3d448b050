// End to end on the embedded database: a real anvil, the real deploy script, real transactions, and
// `ponder start` with its own PGlite directory and schema.
import { afterAll, beforeAll, describe, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import { checkPoolsMatchChain, checkRoutes, waitForScenario } from "./checks";
import { runScenario, type Scenario } from "./scenario";

const CHAIN_ID = 31350;

describe("AMM indexer on PGlite", () => {
  let scenario: Scenario;
  let indexer: Indexer;

  beforeAll(async () => {
    scenario = await runScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: scenario.anvil.rpcUrl },
      schema: `amm_pglite_${process.pid}`,
    });
    await waitForScenario(indexer, scenario);
  });

  afterAll(async () => {
    await indexer?.stop();
    await scenario?.anvil.stop();
  });

  it("pool rows and LP positions equal the contract's state", async () => {
    await checkPoolsMatchChain(indexer, scenario);
  });

  it("routes return the contract's fields, recomputed numbers, and reasons for bad input", async () => {
    await checkRoutes(indexer, scenario);
  });
});
