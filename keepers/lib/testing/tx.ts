// What the transaction layer's tests share: a policy for a local anvil, a TxManager signing with a test key, and
// the one write they all send (the AMM's setFee, which the fee-keeper role may call any number of times).
import { parseGwei, type Address, type Hex } from "viem";
import { aiServiceAmmAbi } from "../../../generated/abis.js";
import { createChainClients, type ChainClients } from "../clients.js";
import { Secret } from "../config.js";
import type { Logger } from "../log.js";
import { createMetrics } from "../metrics.js";
import type { Store } from "../store/store.js";
import { TxManager, type TxHooks, type TxPolicy } from "../tx/sender.js";
import type { TestChain } from "./chain.js";

/** Nothing counts as stuck unless a test says so (`policy.stuckBlocks`); fees far above anvil's. */
export const testTxPolicy: TxPolicy = {
  stuckBlocks: 1_000,
  stuckSeconds: 600,
  feeBumpPercent: 12.5,
  maxFeePerGas: parseGwei("1000"),
  maxAttempts: 5,
  waitSeconds: 20,
  pollMs: 100,
  gasMultiplier: 1.2,
};

export type TestTxManagerOptions = {
  dryRun?: boolean;
  hooks?: TxHooks;
  policy?: Partial<TxPolicy>;
  clients?: ChainClients;
};

/** A TxManager on `chain` signing with `privateKey`, with its own metrics registry. */
export function testTxManager(
  chain: TestChain,
  privateKey: Hex,
  store: Store,
  log: Logger,
  options: TestTxManagerOptions = {},
) {
  const clients =
    options.clients ??
    createChainClients({
      chainId: chain.anvil.chainId,
      rpcUrls: [chain.anvil.rpcUrl],
      privateKey: new Secret(privateKey),
      pollingIntervalMs: 100,
    });
  const metrics = createMetrics("test", { defaultMetrics: false });
  const policy = { ...testTxPolicy, ...options.policy };
  const tx = new TxManager(clients, store, log, policy, {
    dryRun: options.dryRun,
    hooks: options.hooks,
    metrics,
  });
  return { tx, metrics };
}

/** The write request of `setFee(poolId, fee)` on the AMM at `amm`. */
export const setFeeRequest = (amm: Address, intentId: string, poolId: bigint, fee: number) => ({
  intentId,
  address: amm,
  abi: aiServiceAmmAbi,
  functionName: "setFee" as const,
  args: [poolId, fee] as const,
});

/** The fee of pool `poolId` on the AMM at `amm`, read from the chain. */
export const ammFeeOf = async (chain: TestChain, amm: Address, poolId: bigint) =>
  (
    await chain.client.readContract({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "getPool",
      args: [poolId],
    })
  ).fee;
