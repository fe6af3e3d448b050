// The options read models with PostgreSQL as Ponder's database (a unique schema per run): the same scenario and
// checks as options.pglite.test.ts. Skipped, saying why, only when no server answers at INDEXER_TEST_DATABASE_URL
// (default postgresql://postgres@127.0.0.1:5432/test).
import net from "node:net";
import pg from "pg";
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

const CHAIN_ID = 31521;
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
    `SKIPPED: PostgreSQL options indexer test — no server at ${DATABASE_URL} (set INDEXER_TEST_DATABASE_URL)`,
  );
}

describe.skipIf(!serverUp)(`options indexer on PostgreSQL (${DATABASE_URL})`, () => {
  let market: OptionsMarket;
  let indexer: Indexer;
  const schema = `options_pg_${Date.now().toString(36)}_${process.pid}`;

  beforeAll(async () => {
    market = await runOptionsScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: market.chain.anvil.rpcUrl },
      databaseUrl: DATABASE_URL,
      schema,
    });
    await waitForOptions(indexer, market);
  }, 1_200_000);

  afterAll(async () => {
    await indexer?.stop();
    await market?.chain.anvil.stop();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end());
  });

  it("options read models equal the chain", async () => {
    await checkOptionsMatchChain(indexer, market);
  });

  it("GraphQL: the positions of an account", async () => {
    await checkPositionsQuery(indexer, market);
  });

  it("GET /options/:chainId/chain", async () => {
    await checkOptionChainRoute(indexer, market);
  });
});
