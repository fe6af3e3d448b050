import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { readDeployment, type Deployment } from "../../keepers/lib/deployments.js";
import { privateKeyToAccount } from "viem/accounts";
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
  await run(
    forgeBin,
    ["script", "script/Deploy.s.sol:Deploy", "--rpc-url", rpcUrl, "--broadcast", "--non-interactive"],
    {
      cwd: repoRoot,
      env: { ...process.env, ...localDefaults(privateKey), ...env, PRIVATE_KEY: privateKey },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const chainIdHex = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  }).then((r) => r.json() as Promise<{ result: string }>);
  const chainId = Number(chainIdHex.result);
  return readDeployment(path.dirname(deploymentPath(chainId)), chainId);
}

function localDefaults(privateKey: `0x${string}`): Record<string, string> {
  const deployer = privateKeyToAccount(privateKey).address;
  return Object.fromEntries(localRoleHolders.map((variable) => [variable, deployer]));
}
