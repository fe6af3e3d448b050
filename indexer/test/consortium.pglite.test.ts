// The consortium read models end to end on the embedded database: a real anvil, the real deploy script, a
// consortium with contributions, leader trades, a profit distributed and claimed, a share transfer while the
// oracle is stale, two proposals voted and executed, and ragequits; one `ponder start` on PGlite. Every
// expectation is read from the chain.
import { afterAll, beforeAll, describe, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import type { Market } from "./agents";
import {
  checkConsortiaMatchChain,
  checkConsortiumRoute,
  runConsortiumScenario,
  waitForConsortia,
} from "./consortiumScenario";

const CHAIN_ID = 31502;

describe("consortium indexer on PGlite", () => {
  let market: Market;
  let indexer: Indexer;

  beforeAll(async () => {
    market = await runConsortiumScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: market.chain.anvil.rpcUrl },
      schema: `consortium_pglite_${process.pid}`,
    });
    await waitForConsortia(indexer, market);
  }, 900_000);

  afterAll(async () => {
    await indexer?.stop();
    await market?.chain.anvil.stop();
  });

  it("consortia, members, NAV history, trades, proposals, votes, distributions, claims and ragequits equal the chain", async () => {
    await checkConsortiaMatchChain(indexer, market);
  });

  it("GET /consortia/:chainId/:id/performance returns the chain's series, and reasons for bad input", async () => {
    await checkConsortiumRoute(indexer, market);
  });
});
