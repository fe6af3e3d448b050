// The same end-to-end checks with PostgreSQL as Ponder's database (DATABASE_URL, a unique schema per run).
// Skipped, saying why, only when no server answers.
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import { checkConfigMatchesChain, checkPoolsMatchChain, checkRoutes, waitForScenario } from "./checks";
import { runScenario, type Scenario } from "./scenario";

const CHAIN_ID = 31351;
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
    `SKIPPED: PostgreSQL indexer test — no server at ${DATABASE_URL} (set INDEXER_TEST_DATABASE_URL)`,
  );
}

describe.skipIf(!serverUp)(`AMM indexer on PostgreSQL (${DATABASE_URL})`, () => {
  let scenario: Scenario;
  let indexer: Indexer;
  const schema = `amm_pg_${Date.now().toString(36)}_${process.pid}`;

  beforeAll(async () => {
    scenario = await runScenario(CHAIN_ID);
    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: scenario.anvil.rpcUrl },
      databaseUrl: DATABASE_URL,
      schema,
    });
    await waitForScenario(indexer, scenario);
  });

  afterAll(async () => {
    await indexer?.stop();
    await scenario?.anvil.stop();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end());
  });

  it("pool rows and LP positions equal the contract's state", async () => {
    await checkPoolsMatchChain(indexer, scenario);
  });

  it("the amm_config row and /stats' settings equal the contract's", async () => {
    await checkConfigMatchesChain(indexer, scenario);
  });

  it("routes return the contract's fields, recomputed numbers, and reasons for bad input", async () => {
    await checkRoutes(indexer, scenario);
  });
});
