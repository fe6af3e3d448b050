import type { Abi, Address, Hex, PublicClient } from "viem";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";
import type { Store } from "./store/store.js";

export type WatchedLog = {
  eventName: string;
  args: Record<string, unknown>;
  address: Address;
  blockNumber: bigint;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: number;
};

/**
 * Event-driven work: calls `onLogs` with a contract's new events, in order, each event once. viem's
 * `watchBlockNumber` says when the chain moved; the watcher then reads the logs from its cursor up to that
 * block in chunks (`getContractEvents`), hands the ones not seen before to `onLogs`, and records them and the
 * new cursor in one SQLite transaction. After a restart it resumes from the cursor; the seen-events table
 * keeps a range read twice from being handled twice. Delivery is at-least-once if the process dies inside
 * `onLogs`: handlers that write send through the transaction layer, whose intent ids make them idempotent.
 */
export class LogWatcher {
  readonly #cursorKey: string;
  #unwatch: (() => void) | null = null;
  #running: Promise<void> = Promise.resolve();
  #target = -1n;

  constructor(
    private readonly options: {
      source: string;
      client: PublicClient;
      store: Store;
      log: Logger;
      address: Address;
      abi: Abi;
      eventName?: string;
      /** First block to read when there is no cursor yet (e.g. the deployment's start block). */
      fromBlock: bigint;
      chunkSize?: bigint;
      pollingIntervalMs?: number;
      metrics?: Pick<Metrics, "eventsSeen">;
      onLogs(logs: WatchedLog[]): void | Promise<void>;
    },
  ) {
    this.#cursorKey = `logs:${options.source}:${options.client.chain?.id ?? "?"}:${options.address}`;
  }

  /** The last block fully handled. */
  get cursor(): bigint {
    const stored = this.options.store.getCursor(this.#cursorKey);
    return stored === undefined ? this.options.fromBlock - 1n : BigInt(stored);
  }

  start(): void {
    if (this.#unwatch) return;
    this.#unwatch = this.options.client.watchBlockNumber({
      emitOnBegin: true,
      emitMissed: false,
      poll: true,
      pollingInterval: this.options.pollingIntervalMs,
      onBlockNumber: (head) => void this.catchUp(head),
      onError: (error) =>
        this.options.log.warn("block watch failed; retrying", { source: this.options.source, error }),
    });
  }

  /** Handles every event up to `head`; concurrent calls are queued. Resolves when done. */
  catchUp(head: bigint): Promise<void> {
    if (head > this.#target) this.#target = head;
    this.#running = this.#running
      .then(() => this.#catchUp())
      .catch((error) => {
        this.options.log.warn("log catch-up failed; will retry on the next block", {
          source: this.options.source,
          error,
        });
      });
    return this.#running;
  }

  async #catchUp(): Promise<void> {
    const { client, store, abi, address, eventName, source } = this.options;
    const chunk = this.options.chunkSize ?? 2_000n;
    const chainId = client.chain?.id ?? (await client.getChainId());
    while (this.cursor < this.#target) {
      const fromBlock = this.cursor + 1n;
      const toBlock = fromBlock + chunk - 1n < this.#target ? fromBlock + chunk - 1n : this.#target;
      const logs = (await client.getContractEvents({
        address,
        abi,
        eventName,
        fromBlock,
        toBlock,
        strict: true,
      })) as unknown as WatchedLog[];
      const fresh = logs.filter(
        (l) => !store.isSeen({ source, chainId, txHash: l.transactionHash, logIndex: l.logIndex }),
      );
      if (fresh.length > 0) await this.options.onLogs(fresh);
      store.sqlite.transaction(() => {
        for (const l of fresh)
          store.markSeen({
            source,
            chainId,
            txHash: l.transactionHash,
            logIndex: l.logIndex,
            blockNumber: Number(l.blockNumber),
            blockHash: l.blockHash,
          });
        store.setCursor(this.#cursorKey, toBlock.toString());
      })();
      if (fresh.length > 0) this.options.metrics?.eventsSeen.inc({ source }, fresh.length);
    }
  }

  async stop(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = null;
    await this.#running;
  }
}

/**
 * `onLogs` for a setter's event that carries `updatedBy` (FeeUpdated, RewardRateUpdated): each update is counted by
 * who made it — `keeper` (this account: it confirms a decision) or `other` (governance) — and logged as `message`.
 */
export function logUpdates(options: {
  account: Address;
  counter: { inc(labels: { by: "keeper" | "other" }): void };
  log: Logger;
  message: string;
}): (logs: WatchedLog[]) => void {
  return (logs) => {
    for (const l of logs) {
      const by =
        String(l.args.updatedBy).toLowerCase() === options.account.toLowerCase() ? "keeper" : "other";
      options.counter.inc({ by });
      options.log.info(options.message, {
        ...l.args,
        by,
        blockNumber: l.blockNumber,
        hash: l.transactionHash,
      });
    }
  };
}
