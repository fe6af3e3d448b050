// The farm read models end to end on the embedded database: a real anvil, the real deploy script, stakes, claims,
// compounds, unstakes and rate moves across weeks of chain time, and one `ponder start` on PGlite. Every
// expectation is read from the chain.
import { afterAll, beforeAll, describe, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import {
  checkApyHistory,
  checkFarmMatchesChain,
  checkFarmRoutes,
  runFarmScenario,
  waitForFarm,
} from "./farmScenario";
import type { ProtocolChain } from "./protocol";

const CHAIN_ID = 31410;

describe("farm indexer on PGlite", () => {
  let chain: ProtocolChain;
  let indexer: Indexer;

  beforeAll(async () => {
    chain = await runFarmScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: chain.anvil.rpcUrl },
      schema: `farm_pglite_${process.pid}`,
    });
    await waitForFarm(indexer, chain);
  });

  afterAll(async () => {
    await indexer?.stop();
    await chain?.anvil.stop();
  });

  it("farm pools, positions, stakes, claims, fundings and rate changes equal the contract's state and logs", async () => {
    await checkFarmMatchesChain(indexer, chain);
  });

  it("hourly APY history equals currentApr/currentApy read on chain at the same blocks", async () => {
    await checkApyHistory(indexer, chain);
  });

  it("GET /farm/apy returns the chain's APR and APY with asOf, and reasons for bad input", async () => {
    await checkFarmRoutes(indexer, chain);
  });
});
