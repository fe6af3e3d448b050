// The portfolio and consortium read models with PostgreSQL as Ponder's database (a unique schema per run): both
// scenarios on one chain, one `ponder start`, the same checks as the PGlite tests. Skipped, saying why, only when no
// server answers at INDEXER_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test).
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import { startMarket, type Market } from "./agents";
import {
  checkConsortiaMatchChain,
  checkConsortiumRoute,
  playConsortium,
  waitForConsortia,
} from "./consortiumScenario";
import {
  checkPortfolioRoute,
  checkPortfoliosMatchChain,
  playPortfolios,
  waitForPortfolios,
} from "./portfolioScenario";

const CHAIN_ID = 31501;
const DATABASE_URL = process.env.INDEXER_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

async function reachable(connectionString: string): Promise<boolean> {
  const { hostname, port } = new URL(connectionString);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(2_000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}

const serverUp = await reachable(DATABASE_URL);
if (!serverUp) {
  console.warn(
    `SKIPPED: PostgreSQL portfolio and consortium indexer test — no server at ${DATABASE_URL} (set INDEXER_TEST_DATABASE_URL)`,
  );
}

describe.skipIf(!serverUp)(`portfolio and consortium indexer on PostgreSQL (${DATABASE_URL})`, () => {
  let market: Market;
  let indexer: Indexer;
  const schema = `agents_pg_${Date.now().toString(36)}_${process.pid}`;

  beforeAll(async () => {
    market = await startMarket(CHAIN_ID);
    await playPortfolios(market);
    await playConsortium(market);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: market.chain.anvil.rpcUrl },
      databaseUrl: DATABASE_URL,
      schema,
    });
    await waitForPortfolios(indexer, market);
    await waitForConsortia(indexer, market);
  }, 1_200_000);

  afterAll(async () => {
    await indexer?.stop();
    await market?.chain.anvil.stop();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end());
  });

  it("portfolio read models equal the chain", async () => {
    await checkPortfoliosMatchChain(indexer, market);
  });

  it("GET /portfolios/:chainId/:id/performance", async () => {
    await checkPortfolioRoute(indexer, market);
  });

  it("consortium read models equal the chain", async () => {
    await checkConsortiaMatchChain(indexer, market);
  });

  it("GET /consortia/:chainId/:id/performance", async () => {
    await checkConsortiumRoute(indexer, market);
  });
});
