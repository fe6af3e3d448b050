/**
 * Two local chains with the bridge between them, and agents moving tokens both ways: the devnet the bridge's
 * end-to-end test and the demo share. Chain A is the home of AITBC, chain B the home of GPUH; each token has a
 * representation on the other chain (deployed by script/ConnectBridge.s.sol).
 */
import path from "node:path";
import {
  createPublicClient,
  http,
  maxUint256,
  parseEventLogs,
  parseUnits,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { aitbcAbi, crossChainBridgeAbi } from "../../generated/abis.js";
import { devAccountKeys } from "./accounts.js";
import { freePort, startAnvil, type Anvil } from "./anvil.js";
import {
  connectBridges,
  deployProtocol,
  localValidatorKeys,
  readBridgeLinks,
  type Deployment,
} from "./deploy.js";
import { anvilKeys, repoRoot } from "./foundry.js";
import { startTsProcess, waitFor, type ManagedProcess } from "./process.js";
import { localChain, prng, scenarioContext, send, sendBatch, type ScenarioContext } from "./scenario.js";

export type BridgeSide = {
  chainId: number;
  anvil: Anvil;
  deployment: Deployment;
  ctx: ScenarioContext;
  client: PublicClient;
  bridge: Address;
};

/** A token as each chain knows it: canonical on `home`, a representation on the other side. */
export type BridgedAsset = { symbol: "AITBC" | "GPUH"; home: "A" | "B"; onA: Address; onB: Address };

export type BridgeDevnet = {
  A: BridgeSide;
  B: BridgeSide;
  assets: BridgedAsset[];
  agents: PrivateKeyAccount[];
  stop: () => Promise<void>;
};

const tokenUnits = (n: number) => parseUnits(String(n), 18);

/**
 * Starts two anvils, deploys the protocol on both (the deployer stays admin so ConnectBridge can wire routes),
 * connects their bridges, and funds `agentCount` agents with each asset's canonical token on its home chain
 * (approvals to the bridge given for every token on both chains).
 */
export async function startBridgeDevnet(options: {
  chainIds: [number, number];
  agentCount: number;
  deployEnv?: Record<string, string>;
}): Promise<BridgeDevnet> {
  const accounts = 10 + options.agentCount;
  const anvils = await Promise.all(options.chainIds.map((chainId) => startAnvil({ chainId, accounts })));
  try {
    const deployer = privateKeyToAccount(anvilKeys[0]);
    const env = { ADMIN: deployer.address, ...options.deployEnv };
    const deployments = await Promise.all(anvils.map((anvil) => deployProtocol(anvil.rpcUrl, env)));
    const [chainA, chainB] = options.chainIds;
    await connectBridges(
      { rpcUrl: anvils[0]!.rpcUrl, chainId: chainA },
      { rpcUrl: anvils[1]!.rpcUrl, chainId: chainB },
      options.deployEnv,
    );
    const agentKeys = devAccountKeys(10, options.agentCount);
    const side = (index: 0 | 1): BridgeSide => {
      const deployment = deployments[index]!;
      const ctx = scenarioContext(deployment, anvils[index]!.rpcUrl, anvilKeys[0], agentKeys);
      return {
        chainId: options.chainIds[index],
        anvil: anvils[index]!,
        deployment,
        ctx,
        client: createPublicClient({
          chain: localChain(options.chainIds[index], anvils[index]!.rpcUrl),
          transport: http(anvils[index]!.rpcUrl),
          pollingInterval: 100,
        }),
        bridge: deployment.contracts.CrossChainBridge,
      };
    };
    const A = side(0);
    const B = side(1);
    const onB = readBridgeLinks(chainB, chainA); // A's tokens as represented on B
    const onA = readBridgeLinks(chainA, chainB); // B's tokens as represented on A
    const assets: BridgedAsset[] = [
      { symbol: "AITBC", home: "A", onA: A.deployment.contracts.AITBC, onB: onB.AITBC! },
      { symbol: "GPUH", home: "B", onA: onA.GPUH!, onB: B.deployment.contracts.GPUH },
    ];
    const agents = A.ctx.agents;
    await sendBatch(
      A.ctx,
      A.ctx.deployer,
      agents.map((agent) => ({
        address: A.deployment.contracts.AITBC,
        abi: aitbcAbi,
        functionName: "mint",
        args: [agent.address, tokenUnits(10_000)],
      })),
    );
    await sendBatch(
      B.ctx,
      B.ctx.deployer,
      agents.map((agent) => ({
        address: B.deployment.contracts.GPUH,
        abi: aitbcAbi,
        functionName: "mint",
        args: [agent.address, tokenUnits(10_000)],
      })),
    );
    await Promise.all(
      [A, B].flatMap((s) =>
        agents.map((agent) =>
          sendBatch(
            s.ctx,
            agent,
            assets.map((asset) => ({
              address: s === A ? asset.onA : asset.onB,
              abi: aitbcAbi,
              functionName: "approve",
              args: [s.bridge, maxUint256],
            })),
          ),
        ),
      ),
    );
    return {
      A,
      B,
      assets,
      agents,
      stop: async () => {
        await Promise.all(anvils.map((anvil) => anvil.stop()));
      },
    };
  } catch (error) {
    await Promise.all(anvils.map((anvil) => anvil.stop()));
    throw error;
  }
}

/** `CHAINS` for the bridge keepers: every chain id with its RPC URL. */
export const chainsSetting = (devnet: BridgeDevnet) =>
  [devnet.A, devnet.B].map((s) => `${s.chainId}=${s.anvil.rpcUrl}`).join(",");

export type BridgeKeepers = {
  relayer: ManagedProcess;
  relayerUrl: string;
  attesters: ManagedProcess[];
  restartRelayer: () => void;
  restartAttester: (index: number) => void;
  stop: () => Promise<void>;
};

/** Starts the relayer and one attester per local validator key (five: three must sign), as real processes. */
export async function startBridgeKeepers(devnet: BridgeDevnet, dir: string): Promise<BridgeKeepers> {
  const relayerPort = await freePort();
  const relayerUrl = `http://127.0.0.1:${relayerPort}`;
  const common = {
    CHAINS: chainsSetting(devnet),
    DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
    LOG_LEVEL: "warn",
    POLLING_INTERVAL_MS: "200",
  };
  const attesterPorts = await Promise.all(localValidatorKeys.map(() => freePort()));
  const startRelayer = () =>
    startTsProcess("keepers/bridge-relayer/main.ts", {
      ...common,
      PRIVATE_KEY: anvilKeys[4],
      DB_PATH: path.join(dir, "relayer.sqlite"),
      HTTP_PORT: String(relayerPort),
      SCHEDULE: "* * * * * *",
    });
  const startAttester = (index: number) =>
    startTsProcess("keepers/bridge-attester/main.ts", {
      ...common,
      PRIVATE_KEY: localValidatorKeys[index]!,
      DB_PATH: path.join(dir, `attester-${index}.sqlite`),
      HTTP_PORT: String(attesterPorts[index]),
      RELAYER_URLS: relayerUrl,
      // Auto-mined local chains: a block per transaction, so no depth to wait for (real chains: the default 2+).
      CONFIRMATIONS: "0",
      // A relayer that is down for a moment is retried within two seconds, not after minutes of backoff.
      RELAYER_RETRY_MAX_MS: "2000",
      SCHEDULE: "* * * * * *",
    });
  const keepers: BridgeKeepers = {
    relayer: startRelayer(),
    relayerUrl,
    attesters: localValidatorKeys.map((_, index) => startAttester(index)),
    restartRelayer: () => {
      keepers.relayer = startRelayer();
    },
    restartAttester: (index) => {
      keepers.attesters[index] = startAttester(index);
    },
    stop: async () => {
      await Promise.all([keepers.relayer.stop(), ...keepers.attesters.map((a) => a.stop())]);
    },
  };
  return keepers;
}

export type Transfer = {
  requestId: Hex;
  from: "A" | "B";
  asset: BridgedAsset["symbol"];
  agent: Address;
  amount: bigint;
};

/** Expected balances per chain, token and account, moved by every transfer as the bridge must move them. */
export class BalanceModel {
  private readonly balances = new Map<string, bigint>();
  private key = (chain: "A" | "B", token: Address, account: Address) =>
    `${chain}:${token.toLowerCase()}:${account.toLowerCase()}`;
  add(chain: "A" | "B", token: Address, account: Address, delta: bigint) {
    const k = this.key(chain, token, account);
    this.balances.set(k, (this.balances.get(k) ?? 0n) + delta);
  }
  get(chain: "A" | "B", token: Address, account: Address) {
    return this.balances.get(this.key(chain, token, account)) ?? 0n;
  }
  entries() {
    return [...this.balances.entries()].map(([k, v]) => {
      const [chain, token, account] = k.split(":") as ["A" | "B", Address, Address];
      return { chain, token, account, expected: v };
    });
  }
}

/** Reads every agent's balance of every asset on both chains into a model (the starting point). */
export async function snapshotBalances(devnet: BridgeDevnet): Promise<BalanceModel> {
  const model = new BalanceModel();
  for (const side of ["A", "B"] as const)
    for (const asset of devnet.assets)
      for (const agent of devnet.agents) {
        const token = side === "A" ? asset.onA : asset.onB;
        const balance = await devnet[side].client.readContract({
          address: token,
          abi: aitbcAbi,
          functionName: "balanceOf",
          args: [agent.address],
        });
        model.add(side, token, agent.address, balance);
      }
  return model;
}

/**
 * `count` random transfers, both ways, each an agent sending part of what it holds on one side to itself on the
 * other; the model debits the sender at once and credits the recipient (amount after the fee: the deployed fee
 * is 0 locally). Agents send in parallel, each its own transfers in order.
 */
export async function runTransfers(
  devnet: BridgeDevnet,
  model: BalanceModel,
  count: number,
  seed: number,
): Promise<Transfer[]> {
  const random = prng(seed);
  const plan = new Map<PrivateKeyAccount, { from: "A" | "B"; asset: BridgedAsset; amount: bigint }[]>();
  for (let i = 0; i < count; i++) {
    const agent = devnet.agents[Math.floor(random() * devnet.agents.length)]!;
    const asset = devnet.assets[Math.floor(random() * devnet.assets.length)]!;
    // Mostly out from the home chain; back from the other side when the model says the agent holds some there.
    const away = asset.home === "A" ? "B" : "A";
    const awayToken = away === "A" ? asset.onA : asset.onB;
    const from =
      model.get(away, awayToken, agent.address) > tokenUnits(5) && random() < 0.4 ? away : asset.home;
    const token = from === "A" ? asset.onA : asset.onB;
    const available = model.get(from, token, agent.address);
    const amount = (available * BigInt(1 + Math.floor(random() * 20))) / 100n;
    if (amount === 0n) continue;
    model.add(from, token, agent.address, -amount);
    model.add(from === "A" ? "B" : "A", from === "A" ? asset.onB : asset.onA, agent.address, amount);
    plan.set(agent, [...(plan.get(agent) ?? []), { from, asset, amount }]);
  }
  const transfers: Transfer[] = [];
  await Promise.all(
    [...plan.entries()].map(async ([agent, moves]) => {
      for (const move of moves) {
        const side = devnet[move.from];
        const other = devnet[move.from === "A" ? "B" : "A"];
        const token = move.from === "A" ? move.asset.onA : move.asset.onB;
        // Tokens on their way here from an earlier transfer arrive when the relayer completes it: wait for them.
        await waitFor(
          `${agent.address} to hold ${move.amount} of ${token} on chain ${side.chainId}`,
          async () => {
            const balance = await side.client.readContract({
              address: token,
              abi: aitbcAbi,
              functionName: "balanceOf",
              args: [agent.address],
            });
            return balance >= move.amount ? true : undefined;
          },
          180_000,
          500,
        );
        const { receipt } = await send(side.ctx, agent, {
          address: side.bridge,
          abi: crossChainBridgeAbi,
          functionName: "initiateBridge",
          args: [
            move.from === "A" ? move.asset.onA : move.asset.onB,
            move.amount,
            BigInt(other.chainId),
            agent.address,
          ],
        });
        const [event] = parseEventLogs({
          abi: crossChainBridgeAbi,
          logs: receipt.logs,
          eventName: "BridgeInitiated",
        });
        transfers.push({
          requestId: event!.args.requestId,
          from: move.from,
          asset: move.asset.symbol,
          agent: agent.address,
          amount: move.amount,
        });
      }
    }),
  );
  return transfers;
}

/** `requestStatus` names, by the enum's index. */
export const requestStatuses = ["None", "Initiated", "Completed", "Refunded"] as const;

/** Where each transfer stands on chain: completed on the destination, refunded on the source, or pending. */
export async function transferStates(devnet: BridgeDevnet, transfers: Transfer[]) {
  return Promise.all(
    transfers.map(async (t) => {
      const source = devnet[t.from];
      const destination = devnet[t.from === "A" ? "B" : "A"];
      const status = (side: BridgeSide) =>
        side.client
          .readContract({
            address: side.bridge,
            abi: crossChainBridgeAbi,
            functionName: "requestStatus",
            args: [t.requestId],
          })
          .then((s) => requestStatuses[Number(s)]);
      const [atSource, atDestination] = await Promise.all([status(source), status(destination)]);
      return { ...t, atSource, atDestination };
    }),
  );
}

/** Every model balance compared with the chain; returns the mismatches (empty when all match to the wei). */
export async function balanceMismatches(devnet: BridgeDevnet, model: BalanceModel) {
  const mismatches: string[] = [];
  for (const entry of model.entries()) {
    const actual = await devnet[entry.chain].client.readContract({
      address: entry.token,
      abi: aitbcAbi,
      functionName: "balanceOf",
      args: [entry.account],
    });
    if (actual !== entry.expected)
      mismatches.push(
        `${entry.chain} ${entry.token} ${entry.account}: chain ${actual}, model ${entry.expected}`,
      );
  }
  return mismatches;
}
