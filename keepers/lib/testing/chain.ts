// Test support (not used by any keeper at run time): a real anvil with the real protocol deployed by the
// deploy script, plus the few chain manipulations the runtime's tests need.
import { rmSync } from "node:fs";
import {
  createPublicClient,
  createWalletClient,
  http,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aiServiceAmmAbi } from "../../../generated/abis.js";
import { startAnvil, type Anvil } from "../../../scripts/lib/anvil.js";
import { deployProtocol, deploymentPath, type Deployment } from "../../../scripts/lib/deploy.js";
import { anvilKeys } from "../../../scripts/lib/foundry.js";

export { anvilKeys };

export type TestChain = {
  anvil: Anvil;
  deployment: Deployment;
  client: PublicClient;
  /** JSON-RPC call to anvil (evm_mine, evm_setAutomine, anvil_setNextBlockBaseFeePerGas, …). */
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  /** Creates pools between the deployed service tokens (as the deployer); returns their ids. */
  createPools(n: number): Promise<bigint[]>;
  /** Transactions sent by `from` in blocks [fromBlock, latest]. */
  txsFrom(from: Address, fromBlock: bigint): Promise<Hex[]>;
  stop(): Promise<void>;
};

/**
 * Starts anvil and deploys the protocol with `env` as the deploy script's settings. `blockTime` (seconds)
 * switches anvil to interval mining, which a chain Ponder indexes needs; without it anvil auto-mines.
 */
export async function startTestChain(
  chainId: number,
  env: Record<string, string> = {},
  options: { blockTime?: number; accounts?: number } = {},
): Promise<TestChain> {
  const anvil = await startAnvil({ chainId, ...options });
  try {
    const deployment = await deployProtocol(anvil.rpcUrl, env);
    const client = createPublicClient({
      transport: http(anvil.rpcUrl),
      pollingInterval: 100,
    }) as PublicClient;
    const deployer = createWalletClient({
      account: privateKeyToAccount(anvilKeys[0]),
      transport: http(anvil.rpcUrl),
    });
    const rpc = async (method: string, params: unknown[] = []) =>
      client.request({ method: method as "eth_chainId", params: params as never });
    const pairs: [Address, Address][] = [
      [deployment.contracts.GPUH, deployment.contracts.LLMT],
      [deployment.contracts.GPUH, deployment.contracts.STOR],
      [deployment.contracts.LLMT, deployment.contracts.STOR],
      [deployment.contracts.AITBC, deployment.contracts.GPUH],
      [deployment.contracts.AITBC, deployment.contracts.LLMT],
      [deployment.contracts.AITBC, deployment.contracts.STOR],
    ];
    let created = 0;
    return {
      anvil,
      deployment,
      client,
      rpc,
      async createPools(n) {
        const ids: bigint[] = [];
        for (let i = 0; i < n; i++) {
          const pair = pairs[created++];
          if (!pair) throw new Error("no more token pairs");
          const hash = await deployer.writeContract({
            chain: null,
            address: deployment.contracts.AIServiceAMM,
            abi: aiServiceAmmAbi,
            functionName: "createPool",
            args: pair,
          });
          await client.waitForTransactionReceipt({ hash });
          const [, id] = await client.readContract({
            address: deployment.contracts.AIServiceAMM,
            abi: aiServiceAmmAbi,
            functionName: "poolIdOf",
            args: pair,
          });
          ids.push(id);
        }
        return ids;
      },
      async txsFrom(from, fromBlock) {
        const latest = await client.getBlockNumber();
        const hashes: Hex[] = [];
        for (let b = fromBlock; b <= latest; b++) {
          const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
          for (const tx of block.transactions)
            if (tx.from.toLowerCase() === from.toLowerCase()) hashes.push(tx.hash);
        }
        return hashes;
      },
      async stop() {
        await anvil.stop();
        rmSync(deploymentPath(chainId), { force: true });
      },
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
