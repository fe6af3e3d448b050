/**
 * The bridge end to end on two real anvil chains: five attester processes (three must sign) and one relayer
 * process carry 200 transfers both ways while the relayer and one attester at a time are SIGKILLed at random
 * moments and restarted. Every transfer ends completed exactly once, none is lost or stuck, every agent's
 * balances on both chains match the model to the wei, and the indexer's request states equal the chains'. Then a
 * transfer left past its deadline (relayer down) is refunded end to end, and the destination refuses it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { crossChainBridgeAbi } from "../generated/abis.js";
import { startIndexer, type Indexer } from "../indexer/lib/start.js";
import {
  balanceMismatches,
  runTransfers,
  snapshotBalances,
  startBridgeDevnet,
  startBridgeKeepers,
  transferStates,
  type BridgeDevnet,
  type BridgeKeepers,
} from "../scripts/lib/bridgeScenario.js";
import { travel } from "../scripts/lib/governance.js";
import { waitFor } from "../scripts/lib/process.js";
import { prng, send } from "../scripts/lib/scenario.js";

const CHAIN_IDS: [number, number] = [31440, 31441];
const TRANSFERS = 200;

let devnet: BridgeDevnet;
let keepers: BridgeKeepers;
let indexer: Indexer | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "aitbc-bridge-e2e-"));
  devnet = await startBridgeDevnet({ chainIds: CHAIN_IDS, agentCount: 10 });
  keepers = await startBridgeKeepers(devnet, dir);
  indexer = await startIndexer({
    chainIds: CHAIN_IDS,
    rpcUrls: { [CHAIN_IDS[0]]: devnet.A.anvil.rpcUrl, [CHAIN_IDS[1]]: devnet.B.anvil.rpcUrl },
    schema: "bridge_e2e",
    pgliteDir: path.join(dir, "pglite"),
  });
});

afterAll(async () => {
  await keepers?.stop().catch(() => undefined);
  await indexer?.stop().catch(() => undefined);
  await devnet?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("bridge end to end", () => {
  test(`${TRANSFERS} transfers both ways, 3 of 5 attesters, relayer and attesters SIGKILLed and restarted`, async () => {
    const model = await snapshotBalances(devnet);
    const random = prng(99);
    let transfersDone = false;
    let kills = 0;
    // Six SIGKILLs at random moments while the transfers run (more if they outlast them), 2–5 s apart.
    const chaos = (async () => {
      while (kills < 6 || (!transfersDone && kills < 12)) {
        await new Promise((r) => setTimeout(r, 2_000 + random() * 3_000));
        if (random() < 0.5) {
          await keepers.relayer.kill();
          await new Promise((r) => setTimeout(r, 300 + random() * 700));
          keepers.restartRelayer();
        } else {
          const index = Math.floor(random() * keepers.attesters.length);
          await keepers.attesters[index]!.kill();
          await new Promise((r) => setTimeout(r, 300 + random() * 700));
          keepers.restartAttester(index);
        }
        kills += 1;
      }
    })();

    const transfers = await runTransfers(devnet, model, TRANSFERS, 5);
    transfersDone = true;
    await chaos;
    expect(transfers.length).toBeGreaterThanOrEqual(TRANSFERS * 0.95);
    expect(kills).toBeGreaterThanOrEqual(6);

    const states = await waitFor(
      "every transfer to complete on its destination",
      async () => {
        const all = await transferStates(devnet, transfers);
        return all.every((t) => t.atDestination === "Completed") ? all : undefined;
      },
      180_000,
      1_000,
    );
    expect(states.filter((t) => t.atSource !== "Initiated")).toEqual([]); // none refunded
    // Completed exactly once: one BridgeCompleted per request on its destination.
    for (const side of [devnet.A, devnet.B]) {
      const events = await side.client.getContractEvents({
        address: side.bridge,
        abi: crossChainBridgeAbi,
        eventName: "BridgeCompleted",
        fromBlock: BigInt(side.deployment.startBlock),
      });
      const ids = events.map((e) => e.args.requestId);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(await balanceMismatches(devnet, model)).toEqual([]);

    // The indexer's request states equal the chains'.
    const rows = await waitFor(
      "the indexer to see every completion",
      async () => {
        const response = await fetch(`${indexer!.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: `{ bridgeRequests(limit: 1000) { items { id status } } }` }),
        });
        const body = (await response.json()) as {
          data?: { bridgeRequests: { items: { id: string; status: string }[] } };
        };
        const items = body.data?.bridgeRequests.items ?? [];
        return items.length >= transfers.length && items.every((i) => i.status === "completed")
          ? items
          : undefined;
      },
      90_000,
      1_000,
    );
    const indexed = new Map(rows.map((r) => [r.id.toLowerCase(), r.status]));
    for (const t of transfers) expect(indexed.get(t.requestId.toLowerCase())).toBe("completed");
  }, 420_000);

  test("a transfer left past its deadline is refunded end to end, and the destination refuses it", async () => {
    await keepers.relayer.kill();
    const agent = devnet.agents[0]!;
    const asset = devnet.assets[0]!;
    const model = await snapshotBalances(devnet);
    const amount = model.get("A", asset.onA, agent.address) / 10n;
    const { receipt } = await send(devnet.A.ctx, agent, {
      address: devnet.A.bridge,
      abi: crossChainBridgeAbi,
      functionName: "initiateBridge",
      args: [asset.onA, amount, BigInt(devnet.B.chainId), agent.address],
    });
    const [event] = parseEventLogs({
      abi: crossChainBridgeAbi,
      logs: receipt.logs,
      eventName: "BridgeInitiated",
    });
    const request = event!.args.request;
    // A day and an hour on both chains: past the request's deadline everywhere.
    await Promise.all([travel(devnet.A.ctx, 90_000), travel(devnet.B.ctx, 90_000)]);
    keepers.restartRelayer();
    await waitFor(
      "the refund on the source chain",
      async () => {
        const [state] = await transferStates(devnet, [
          { requestId: event!.args.requestId, from: "A", asset: asset.symbol, agent: agent.address, amount },
        ]);
        return state!.atSource === "Refunded" ? state : undefined;
      },
      90_000,
      1_000,
    );
    expect(await balanceMismatches(devnet, model)).toEqual([]); // the sender has it all back
    const refused = await devnet.B.client
      .simulateContract({
        account: agent,
        address: devnet.B.bridge,
        abi: crossChainBridgeAbi,
        functionName: "completeBridge",
        args: [request, []],
      })
      .then(
        () => "ok",
        (error: Error) => error.message,
      );
    expect(refused).toMatch(/RequestExpired/);
    // The indexer shows it refunded.
    await waitFor(
      "the indexer to show the refund",
      async () => {
        const response = await fetch(`${indexer!.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: `{ bridgeRequest(id: "${event!.args.requestId}") { status } }` }),
        });
        const body = (await response.json()) as { data?: { bridgeRequest: { status: string } | null } };
        return body.data?.bridgeRequest?.status === "refunded" ? true : undefined;
      },
      60_000,
      1_000,
    );
  }, 180_000);
});
