// The portfolio read models end to end on the embedded database: a real anvil, the real deploy script, portfolios
// opened, funded, rebalanced, traded and stopped while the oracle is fed (and once left stale), and one
// `ponder start` on PGlite. Every expectation is read from the chain.
import { afterAll, beforeAll, describe, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import type { Market } from "./agents";
import {
  checkPortfolioRoute,
  checkPortfoliosMatchChain,
  runPortfolioScenario,
  waitForPortfolios,
} from "./portfolioScenario";

const CHAIN_ID = 31500;

describe("portfolio indexer on PGlite", () => {
  let market: Market;
  let indexer: Indexer;

  beforeAll(async () => {
    market = await runPortfolioScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: market.chain.anvil.rpcUrl },
      schema: `portfolio_pglite_${process.pid}`,
    });
    await waitForPortfolios(indexer, market);
  }, 900_000);

  afterAll(async () => {
    await indexer?.stop();
    await market?.chain.anvil.stop();
  });

  it("portfolios, snapshots, trades, rebalances, flows, stops and oracle observations equal the chain", async () => {
    await checkPortfoliosMatchChain(indexer, market);
  });

  it("GET /portfolios/:chainId/:id/performance returns the chain's series, and reasons for bad input", async () => {
    await checkPortfolioRoute(indexer, market);
  });
});
