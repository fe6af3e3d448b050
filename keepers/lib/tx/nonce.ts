import type { Address, PublicClient } from "viem";
import type { Store } from "../store/store.js";

/**
 * Hands out nonces for one sender. The next nonce is the larger of the node's pending count and one past the
 * highest nonce of a pending intent in the store — so a signed transaction the node has not seen yet (stored,
 * then the process died before broadcasting) still holds its nonce. Allocation and storing are serialized:
 * `withNextNonce` runs its callback under a lock, and the callback stores the signed transaction before the
 * lock is released. A nonce whose callback throws was never stored, so it is simply handed out again.
 */
export class NonceManager {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: PublicClient,
    private readonly store: Store,
    private readonly chainId: number,
    private readonly address: Address,
  ) {}

  async next(): Promise<number> {
    const chainNonce = await this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
    const stored = this.store.maxPendingNonce(this.chainId, this.address);
    return stored === undefined ? chainNonce : Math.max(chainNonce, stored + 1);
  }

  withNextNonce<T>(fn: (nonce: number) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => fn(await this.next()));
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
