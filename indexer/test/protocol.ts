// A local chain with the whole protocol deployed by the real deploy script, and a small transaction helper, for
// the farm and governance indexer tests. Expectations are read from the chain, never from the indexer.
import {
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  defineChain,
  http,
  parseUnits,
  type Abi,
  type Address,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import { startAnvil, type Anvil } from "../../scripts/lib/anvil";
import { deployProtocol, type Deployment } from "../../scripts/lib/deploy";
import { anvilKeys } from "../../scripts/lib/foundry";
import { loadAbis } from "./scenario";

export type Abis = Awaited<ReturnType<typeof loadAbis>>;

export const e18 = (n: number | string) => parseUnits(String(n), 18);
export const FAR_DEADLINE = 2n ** 40n;

export type ProtocolChain = {
  anvil: Anvil;
  deployment: Deployment;
  abis: Abis;
  client: PublicClient;
  /** anvilKeys[0] (the deployer: every operational role locally) and four more accounts. */
  accounts: PrivateKeyAccount[];
  /** Block number of the last transaction sent. */
  lastBlock: bigint;
  /** Sends one transaction, waits for it, throws with the decoded reason if it reverts. */
  send: (
    account: PrivateKeyAccount,
    target: { address: Address; abi: Abi },
    functionName: string,
    args?: readonly unknown[],
  ) => Promise<TransactionReceipt>;
  /** Sends several transactions at once (each account's nonces in order) and waits for all of them. */
  sendMany: (
    calls: [PrivateKeyAccount, { address: Address; abi: Abi }, string, (readonly unknown[])?][],
  ) => Promise<TransactionReceipt[]>;
  /** Moves chain time forward by `seconds` and mines a block. */
  increaseTime: (seconds: number) => Promise<void>;
  blockTimestamp: (blockNumber: bigint) => Promise<bigint>;
};

/** Starts anvil (interval mining) for `chainId` and deploys the protocol with the deploy script's `env`. */
export async function startProtocolChain(
  chainId: number,
  env: Record<string, string> = {},
): Promise<ProtocolChain> {
  const abis = await loadAbis();
  const anvil = await startAnvil({ chainId, blockTime: 1 });
  try {
    const deployment = await deployProtocol(anvil.rpcUrl, env);
    const chain = defineChain({
      id: chainId,
      name: `anvil-${chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    });
    const client = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 100 });
    const nonceManager = createNonceManager({ source: jsonRpc() });
    const accounts = anvilKeys.slice(0, 5).map((key) => privateKeyToAccount(key, { nonceManager }));
    const errorAbi = [
      ...abis.aiPowerYieldFarmAbi,
      ...abis.aiServiceAmmAbi,
      ...abis.agentGovernanceAbi,
      ...abis.accessManagerAbi,
      ...abis.agentPortfolioManagerAbi,
      ...abis.multiAgentCoordinatorAbi,
      ...abis.computePriceOracleAbi,
    ] as Abi;

    const revertReason = async (receipt: TransactionReceipt) => {
      const tx = await client.getTransaction({ hash: receipt.transactionHash });
      try {
        await client.call({
          account: tx.from,
          to: tx.to!,
          data: tx.input,
          blockNumber: receipt.blockNumber - 1n,
        });
        return `transaction ${receipt.transactionHash} reverted (no reason on replay)`;
      } catch (error) {
        const found = (error as { walk?: (fn: (e: unknown) => boolean) => unknown }).walk?.(
          (e) => (e as { data?: unknown }).data !== undefined,
        ) as { data?: `0x${string}` } | undefined;
        if (found?.data) {
          try {
            const { errorName, args } = decodeErrorResult({ abi: errorAbi, data: found.data });
            return `transaction ${receipt.transactionHash} reverted: ${errorName}(${(args ?? []).join(", ")})`;
          } catch {
            return `transaction ${receipt.transactionHash} reverted with data ${found.data}`;
          }
        }
        return `transaction ${receipt.transactionHash} reverted: ${(error as Error).message.split("\n")[0]}`;
      }
    };

    const submit = (
      account: PrivateKeyAccount,
      target: { address: Address; abi: Abi },
      functionName: string,
      args: readonly unknown[] = [],
    ) =>
      // A fixed gas limit: estimates run against the latest block's timestamp, not the one the transaction
      // lands in (reward accrual and the AMM's TWAP accumulators write more storage then).
      createWalletClient({ account, chain, transport: http(anvil.rpcUrl) }).writeContract({
        address: target.address,
        abi: target.abi,
        functionName,
        args,
        gas: 3_000_000n,
      } as never);
    const wait = async (hash: `0x${string}`) => {
      const receipt = await client.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(await revertReason(receipt));
      if (receipt.blockNumber > protocol.lastBlock) protocol.lastBlock = receipt.blockNumber;
      return receipt;
    };

    const protocol: ProtocolChain = {
      anvil,
      deployment,
      abis,
      client,
      accounts,
      lastBlock: 0n,
      send: async (account, target, functionName, args = []) =>
        wait(await submit(account, target, functionName, args)),
      sendMany: async (calls) => {
        const hashes = await Promise.all(calls.map((call) => submit(...call)));
        return Promise.all(hashes.map(wait));
      },
      increaseTime: async (seconds) => {
        await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
        await client.request({ method: "evm_mine" as never, params: [] as never });
      },
      blockTimestamp: async (blockNumber) => (await client.getBlock({ blockNumber })).timestamp,
    };
    return protocol;
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/** JSON with bigints as strings, for failure messages. */
export const show = (value: unknown) =>
  JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
