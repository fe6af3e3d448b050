import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Address } from "viem";
import { anvilKeys, forgeBin, repoRoot } from "./foundry.js";

const run = promisify(execFile);

/** The shape `script/Deploy.s.sol` writes to `deployments/<chainId>.json`. */
export type Deployment = {
  chainId: number;
  startBlock: number;
  contracts: {
    AccessManager: Address;
    AITBC: Address;
    AIServiceAMM: Address;
    GPUH: Address;
    LLMT: Address;
    STOR: Address;
  };
};

export function deploymentPath(chainId: number): string {
  return path.join(repoRoot, "deployments", `${chainId}.json`);
}

export async function readDeployment(chainId: number): Promise<Deployment> {
  return JSON.parse(await readFile(deploymentPath(chainId), "utf8")) as Deployment;
}

/**
 * Deploys the whole protocol with the real deploy script (`forge script … --broadcast`) and returns what it
 * wrote. `env` passes the script's settings (FEE_KEEPER, MIN_FEE_INTERVAL, …).
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
      env: { ...process.env, ...env, PRIVATE_KEY: privateKey },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const chainIdHex = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  }).then((r) => r.json() as Promise<{ result: string }>);
  return readDeployment(Number(chainIdHex.result));
}
