// The farm checks with PostgreSQL as Ponder's database (a unique schema per run). Skipped, saying why, only
// when no server answers at INDEXER_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test).
import net from "node:net";
import pg from "pg";
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

const CHAIN_ID = 31412;
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
    `SKIPPED: PostgreSQL farm indexer test — no server at ${DATABASE_URL} (set INDEXER_TEST_DATABASE_URL)`,
  );
}

describe.skipIf(!serverUp)(`farm indexer on PostgreSQL (${DATABASE_URL})`, () => {
  let chain: ProtocolChain;
  let indexer: Indexer;
  const schema = `farm_pg_${Date.now().toString(36)}_${process.pid}`;

  beforeAll(async () => {
    chain = await runFarmScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: chain.anvil.rpcUrl },
      databaseUrl: DATABASE_URL,
      schema,
    });
    await waitForFarm(indexer, chain);
  });

  afterAll(async () => {
    await indexer?.stop();
    await chain?.anvil.stop();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end());
  });

  it("farm read models equal the contract's state and logs", async () => {
    await checkFarmMatchesChain(indexer, chain);
  });

  it("hourly APY history equals currentApr/currentApy read on chain at the same blocks", async () => {
    await checkApyHistory(indexer, chain);
  });

  it("GET /farm/apy answers from the index and from the chain", async () => {
    await checkFarmRoutes(indexer, chain);
  });
});
