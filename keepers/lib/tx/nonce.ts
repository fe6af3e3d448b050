import type { Address, PublicClient } from "viem";
import type { Store } from "../store/store.js";

/**
 * Hands out nonces for one sender. A nonce is held by every pending intent in the store — so a signed
 * transaction the node has not seen yet (stored, then the process died before broadcasting) keeps its nonce —
 * and by whatever the node's pending count covers. The next nonce is the lowest one that is free:
 *
 * - a nonce an intent held when it `failed` (every attempt refused), if the chain has not used it yet (≥ the
 *   latest count) and no pending intent holds it now. It must be reused first: a later intent may already
 *   have been broadcast with the nonce after it, and can never mine until this gap is filled;
 * - otherwise the lowest nonce from the node's pending count up that no pending intent holds (the node's
 *   pending count stops at a gap, so a gap below our stored intents is found here too).
 *
 * A `mined` or `reverted` intent whose nonce the chain's latest count has not reached was orphaned by a reorg
 * (its receipt is gone): its nonce stays held too, for the transaction layer to broadcast it again once it
 * notices, instead of being handed to a new intent that would take it.
 *
 * Allocation and storing are serialized: `withNextNonce` runs its callback under a lock, and the callback
 * stores the signed transaction before the lock is released. A nonce whose callback throws was never stored,
 * so it is simply handed out again.
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
    const [latest, pending] = await Promise.all([
      this.client.getTransactionCount({ address: this.address, blockTag: "latest" }),
      this.client.getTransactionCount({ address: this.address, blockTag: "pending" }),
    ]);
    const held = new Set([
      ...this.store.intentNonces(this.chainId, this.address, "pending"),
      ...this.store.intentNonces(this.chainId, this.address, "mined", latest),
      ...this.store.intentNonces(this.chainId, this.address, "reverted", latest),
    ]);
    const freed = this.store
      .intentNonces(this.chainId, this.address, "failed")
      .find((n) => n >= latest && !held.has(n));
    let next = Math.max(latest, pending);
    while (held.has(next)) next++;
    return freed !== undefined && freed < next ? freed : next;
  }

  withNextNonce<T>(fn: (nonce: number) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => fn(await this.next()));
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
