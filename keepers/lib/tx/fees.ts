import type { PublicClient } from "viem";

export type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

/**
 * EIP-1559 fees for a new transaction: the node's suggested tip, and a fee cap of twice the latest base fee
 * plus the tip — room for six full blocks of base-fee growth (+12.5 % each) before the transaction is priced
 * out, the rule most wallets use.
 */
export async function currentFees(client: PublicClient): Promise<Fees> {
  const [block, tip] = await Promise.all([
    client.getBlock({ blockTag: "latest" }),
    client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n),
  ]);
  const baseFee = block.baseFeePerGas ?? 0n;
  return { maxFeePerGas: baseFee * 2n + tip, maxPriorityFeePerGas: tip };
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/**
 * Fees for a replacement of a transaction priced `previous`: each of maxFeePerGas and maxPriorityFeePerGas
 * rises by at least `bumpBps` (1250 = 12.5 %, what geth and most pools require to accept a replacement),
 * or to the current market price if that is higher. The fee cap never falls below the tip.
 */
export function bumpFees(previous: Fees, current: Fees, bumpBps: bigint): Fees {
  const bump = (x: bigint) => x + ceilDiv(x * bumpBps, 10_000n) + (x === 0n ? 1n : 0n);
  const maxPriorityFeePerGas = max(bump(previous.maxPriorityFeePerGas), current.maxPriorityFeePerGas);
  const maxFeePerGas = max(bump(previous.maxFeePerGas), current.maxFeePerGas, maxPriorityFeePerGas);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

const max = (...xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
