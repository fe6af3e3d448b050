import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { readDeployment, type Deployment } from "../../keepers/lib/deployments.js";
import { privateKeyToAccount } from "viem/accounts";
import { intervalMiningSeconds } from "./anvil.js";
import { anvilKeys, forgeBin, repoRoot } from "./foundry.js";

const run = promisify(execFile);

export type { Deployment };

export function deploymentPath(chainId: number): string {
  return path.join(repoRoot, "deployments", `${chainId}.json`);
}

/** The operational roles the deploy script hands out; on a local chain each defaults to the deployer's key. */
const localRoleHolders = [
  "GUARDIAN",
  "FEE_KEEPER",
  "APY_KEEPER",
  "FARM_OPERATOR",
  "MINTER",
  "REPUTATION_GRANTER",
  "VOLATILITY_KEEPER",
  "OPTIONS_LISTER",
] as const;

/**
 * Deploys the whole protocol with the real deploy script (`forge script … --broadcast`) and returns what it
 * wrote. `env` passes the script's settings (FEE_KEEPER, MIN_FEE_INTERVAL, VOTING_PERIOD, …). The script gives
 * the deployer no role; for local chains, every operational role not named in `env` goes to the deployer's
 * address so a demo or test can mint, list farm pools and pause with one key. The admin is always the timelock.
 */
export async function deployProtocol(
  rpcUrl: string,
  env: Record<string, string> = {},
  privateKey: `0x${string}` = anvilKeys[0],
): Promise<Deployment> {
  await withAutomine(rpcUrl, () =>
    run(
      forgeBin,
      [
        "script",
        "script/Deploy.s.sol:Deploy",
        "--rpc-url",
        rpcUrl,
        "--broadcast",
        "--non-interactive",
        "--slow",
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, ...localDefaults(privateKey), ...env, PRIVATE_KEY: privateKey },
        maxBuffer: 64 * 1024 * 1024,
      },
    ),
  );
  const chainIdHex = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  }).then((r) => r.json() as Promise<{ result: string }>);
  const chainId = Number(chainIdHex.result);
  return readDeployment(path.dirname(deploymentPath(chainId)), chainId);
}

/** The local bridge validators: anvil's development accounts 5–9, three of five to attest. */
export const localValidatorKeys = anvilKeys.slice(5, 10) as `0x${string}`[];
export const localValidatorThreshold = 3;

function localDefaults(privateKey: `0x${string}`): Record<string, string> {
  const deployer = privateKeyToAccount(privateKey).address;
  return {
    ...Object.fromEntries(localRoleHolders.map((variable) => [variable, deployer])),
    VALIDATORS: localValidatorKeys.map((key) => privateKeyToAccount(key).address).join(","),
    VALIDATOR_THRESHOLD: String(localValidatorThreshold),
  };
}

/**
 * Connects the bridges of two chains deployed by `deployProtocol` (script/ConnectBridge.s.sol, run on A, B, then
 * A again so each side routes its own tokens to the other's representations). The broadcaster must be the admin
 * on both chains: deploy them with `ADMIN` set to the deployer.
 */
export async function connectBridges(
  a: { rpcUrl: string; chainId: number },
  b: { rpcUrl: string; chainId: number },
  env: Record<string, string> = {},
  privateKey: `0x${string}` = anvilKeys[0],
): Promise<void> {
  for (const [self, peer] of [
    [a, b],
    [b, a],
    [a, b],
  ] as const) {
    await withAutomine(self.rpcUrl, () =>
      run(
        forgeBin,
        [
          "script",
          "script/ConnectBridge.s.sol:ConnectBridge",
          "--rpc-url",
          self.rpcUrl,
          "--broadcast",
          "--non-interactive",
          "--slow",
        ],
        {
          cwd: repoRoot,
          env: { ...process.env, ...env, PRIVATE_KEY: privateKey, PEER_CHAIN_ID: String(peer.chainId) },
          maxBuffer: 64 * 1024 * 1024,
        },
      ),
    );
  }
}

/** The representations `connectBridges` deployed on `chainId` for the tokens of `peerChainId`, by symbol. */
export function readBridgeLinks(chainId: number, peerChainId: number): Record<string, `0x${string}`> {
  const file = path.join(repoRoot, "deployments", "bridge", `${chainId}-${peerChainId}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, `0x${string}`>;
}

/**
 * Runs a broadcast one transaction at a time (`forge script --slow`) on an auto-mining chain: sending all at once
 * lost a transaction under load now and then (a nonce gap, and forge waiting forever), and one at a time on an
 * interval-mined chain would wait a block per transaction. An interval-mined anvil started by `startAnvil` is
 * switched to auto-mining for the broadcast and back afterwards.
 */
async function withAutomine<T>(rpcUrl: string, broadcast: () => Promise<T>): Promise<T> {
  const blockTime = intervalMiningSeconds.get(rpcUrl);
  if (blockTime === undefined) return broadcast();
  const rpc = (method: string, params: unknown[]) =>
    fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  await rpc("evm_setAutomine", [true]);
  try {
    return await broadcast();
  } finally {
    await rpc("evm_setIntervalMining", [blockTime]);
  }
}
