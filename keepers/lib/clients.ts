import {
  createPublicClient,
  createWalletClient,
  defineChain,
  fallback,
  http,
  type Chain,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Secret } from "./config.js";
import { ConfigError } from "./errors.js";

export type ChainClients = {
  chain: Chain;
  account: PrivateKeyAccount;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, PrivateKeyAccount>;
};

/**
 * viem clients for one chain. Reads and writes go through a `fallback` transport over every URL in RPC_URLS:
 * when one endpoint fails or times out, the next one answers. The account signs locally; the key stays in
 * memory only.
 */
export function createChainClients(options: {
  chainId: number;
  rpcUrls: string[];
  privateKey: Secret<`0x${string}`>;
  rpcTimeoutMs?: number;
  pollingIntervalMs?: number;
}): ChainClients {
  const chain = defineChain({
    id: options.chainId,
    name: `chain-${options.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: options.rpcUrls } },
  });
  const transport = fallback(
    options.rpcUrls.map((url) => http(url, { timeout: options.rpcTimeoutMs ?? 10_000, retryCount: 1 })),
    { retryCount: 2 },
  );
  const account = privateKeyToAccount(options.privateKey.reveal());
  const pollingInterval = options.pollingIntervalMs ?? 1_000;
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  const walletClient = createWalletClient({ chain, transport, account, pollingInterval });
  return { chain, account, publicClient, walletClient };
}

/** Fails with a config error when the endpoints serve another chain than CHAIN_ID. */
export async function checkChainId(publicClient: PublicClient, expected: number): Promise<void> {
  const actual = await publicClient.getChainId();
  if (actual !== expected)
    throw new ConfigError("RPC_URLS", `endpoint reports chain id ${actual}, but CHAIN_ID is ${expected}`);
}
