/**
 * The demo's bridge act: two more local chains with the bridge between them, five attester processes (three must
 * sign) and one relayer; agents move AITBC and GPUH both ways, and one transfer is left past its deadline (relayer
 * stopped) to be refunded. Reports transfers, time to complete (destination block time − source block time) and
 * refunds, all read from the chains.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseEventLogs } from "viem";
import { crossChainBridgeAbi } from "../../generated/abis.js";
import {
  balanceMismatches,
  runTransfers,
  snapshotBalances,
  startBridgeDevnet,
  startBridgeKeepers,
  transferStates,
  type BridgeDevnet,
  type BridgeSide,
  type Transfer,
} from "./bridgeScenario.js";
import { travel } from "./governance.js";
import { waitFor, type ManagedProcess } from "./process.js";
import { send } from "./scenario.js";

export type BridgeDemoResult = {
  chainIds: [number, number];
  transfers: number;
  completed: number;
  byRoute: { route: string; count: number; medianSeconds: number; p95Seconds: number }[];
  medianSeconds: number;
  refunded: number;
  balancesMatch: boolean;
};

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

async function blockTimes(side: BridgeSide, eventName: "BridgeInitiated" | "BridgeCompleted") {
  const logs = await side.client.getContractEvents({
    address: side.bridge,
    abi: crossChainBridgeAbi,
    eventName,
    fromBlock: BigInt(side.deployment.startBlock),
  });
  const times = new Map<string, number>();
  const blocks = new Map<bigint, number>();
  for (const log of logs) {
    if (!blocks.has(log.blockNumber))
      blocks.set(
        log.blockNumber,
        Number((await side.client.getBlock({ blockNumber: log.blockNumber })).timestamp),
      );
    times.set((log.args as { requestId: string }).requestId, blocks.get(log.blockNumber)!);
  }
  return times;
}

export async function runBridgeDemo(options: {
  chainIds: [number, number];
  agentCount: number;
  transfers: number;
  step: (message: string) => void;
  onStart: (stop: () => Promise<unknown>) => void;
}): Promise<BridgeDemoResult> {
  const { step } = options;
  step(
    `bridge: two more chains (${options.chainIds.join(" ↔ ")}), deploy, connect, 5 attesters (3 must sign), 1 relayer`,
  );
  const devnet: BridgeDevnet = await startBridgeDevnet({
    chainIds: options.chainIds,
    agentCount: options.agentCount,
  });
  options.onStart(devnet.stop);
  const dir = await mkdtemp(path.join(os.tmpdir(), "aitbc-demo-bridge-"));
  const keepers = await startBridgeKeepers(devnet, dir);
  options.onStart(keepers.stop);

  step(`bridge: ${options.transfers} transfers by ${options.agentCount} agents, both ways`);
  const model = await snapshotBalances(devnet);
  const transfers: Transfer[] = await runTransfers(devnet, model, options.transfers, 17);
  const states = await waitFor(
    "every transfer to complete",
    async () => {
      const all = await transferStates(devnet, transfers);
      return all.every((t) => t.atDestination === "Completed") ? all : undefined;
    },
    180_000,
    1_000,
  );

  step("bridge: one transfer left past its deadline (relayer stopped), then refunded");
  await (keepers.relayer as ManagedProcess).stop();
  const agent = devnet.agents[0]!;
  const asset = devnet.assets[0]!;
  const { receipt } = await send(devnet.A.ctx, agent, {
    address: devnet.A.bridge,
    abi: crossChainBridgeAbi,
    functionName: "initiateBridge",
    args: [asset.onA, 10n ** 18n, BigInt(devnet.B.chainId), agent.address],
  });
  const [event] = parseEventLogs({
    abi: crossChainBridgeAbi,
    logs: receipt.logs,
    eventName: "BridgeInitiated",
  });
  await Promise.all([travel(devnet.A.ctx, 90_000), travel(devnet.B.ctx, 90_000)]);
  keepers.restartRelayer();
  const refund: Transfer = {
    requestId: event!.args.requestId,
    from: "A",
    asset: asset.symbol,
    agent: agent.address,
    amount: 10n ** 18n,
  };
  const [refunded] = await waitFor(
    "the refund",
    async () => {
      const all = await transferStates(devnet, [refund]);
      return all[0]!.atSource === "Refunded" ? all : undefined;
    },
    90_000,
    1_000,
  );

  const initiated = new Map([
    ...(await blockTimes(devnet.A, "BridgeInitiated")),
    ...(await blockTimes(devnet.B, "BridgeInitiated")),
  ]);
  const completed = new Map([
    ...(await blockTimes(devnet.A, "BridgeCompleted")),
    ...(await blockTimes(devnet.B, "BridgeCompleted")),
  ]);
  const routes = new Map<string, number[]>();
  const all: number[] = [];
  for (const t of states) {
    const seconds = completed.get(t.requestId)! - initiated.get(t.requestId)!;
    const route = `${t.from === "A" ? options.chainIds[0] : options.chainIds[1]} → ${t.from === "A" ? options.chainIds[1] : options.chainIds[0]} ${t.asset}`;
    routes.set(route, [...(routes.get(route) ?? []), seconds]);
    all.push(seconds);
  }
  all.sort((x, y) => x - y);
  const mismatches = await balanceMismatches(devnet, model);
  await keepers.stop();
  return {
    chainIds: options.chainIds,
    transfers: transfers.length,
    completed: states.filter((t) => t.atDestination === "Completed").length,
    byRoute: [...routes.entries()].map(([route, seconds]) => {
      const sorted = [...seconds].sort((x, y) => x - y);
      return {
        route,
        count: sorted.length,
        medianSeconds: quantile(sorted, 0.5),
        p95Seconds: quantile(sorted, 0.95),
      };
    }),
    medianSeconds: quantile(all, 0.5),
    refunded: refunded?.atSource === "Refunded" ? 1 : 0,
    balancesMatch: mismatches.length === 0,
  };
}

export function printBridgeReport(
  result: BridgeDemoResult,
  table: (headers: string[], rows: (string | number)[][]) => string,
) {
  console.log(
    `\nBridge (chains ${result.chainIds.join(" ↔ ")}, 3-of-5 attesters, one relayer; times from block timestamps)`,
  );
  console.log(
    table(
      ["route", "transfers", "median s", "p95 s"],
      result.byRoute.map((r) => [r.route, r.count, r.medianSeconds, r.p95Seconds]),
    ),
  );
  console.log(
    `  ${result.completed}/${result.transfers} completed exactly once, median ${result.medianSeconds} s to complete; ` +
      `${result.refunded} refunded after its deadline; balances ${result.balancesMatch ? "match the model to the wei ✔" : "DIFFER from the model ✘"}`,
  );
}
