// The options read models end to end on the embedded database: a real anvil, the real deploy script, series listed,
// vaults opened (full and margined), options sold through an offer, a margined vault liquidated after a price fall,
// expiry, settlement and exercise, and one `ponder start` on PGlite. Every expectation is read from the chain.
import { afterAll, beforeAll, describe, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import {
  checkOptionChainRoute,
  checkOptionsMatchChain,
  checkPositionsQuery,
  runOptionsScenario,
  waitForOptions,
  type OptionsMarket,
} from "./optionsScenario";

const CHAIN_ID = 31520;

describe("options indexer on PGlite", () => {
  let market: OptionsMarket;
  let indexer: Indexer;

  beforeAll(async () => {
    market = await runOptionsScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: market.chain.anvil.rpcUrl },
      schema: `options_pglite_${process.pid}`,
    });
    await waitForOptions(indexer, market);
  }, 900_000);

  afterAll(async () => {
    await indexer?.stop();
    await market?.chain.anvil.stop();
  });

  it("series, vaults, positions, offers, fills, exercises, liquidations, settlements equal the chain", async () => {
    await checkOptionsMatchChain(indexer, market);
  });

  it("GraphQL: the positions of an account", async () => {
    await checkPositionsQuery(indexer, market);
  });

  it("GET /options/:chainId/chain prices the live series as the chain does, and gives reasons for bad input", async () => {
    await checkOptionChainRoute(indexer, market);
  });
});
