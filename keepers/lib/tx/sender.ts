import {
  BlockNotFoundError,
  encodeFunctionData,
  keccak256,
  TransactionReceiptNotFoundError,
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { ChainClients } from "../clients.js";
import { KeeperError } from "../errors.js";
import type { Logger } from "../log.js";
import type { TxMetrics } from "../metrics.js";
import type { TxAttemptRow, TxIntentRow } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { classifyTxError, shortReason, TxSimulationError } from "./errors.js";
import { bumpFees, currentFees, type Fees } from "./fees.js";
import { NonceManager } from "./nonce.js";

/** A contract write under a deterministic id chosen by the keeper (e.g. `fee:<chain>:<amm>:<pool>:<epoch>`). */
export type WriteRequest = {
  intentId: string;
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
  /** Free text stored with the intent (what the write is for). */
  label?: string;
  /**
   * A gas limit to use instead of the estimate × TX_GAS_MULTIPLIER, for a call whose cost depends on the block it
   * lands in more than a multiplier covers (an oracle observation writes fresh storage only when its period is new).
   */
  gas?: bigint;
};

export type TxOutcomeStatus = "mined" | "reverted" | "pending" | "failed" | "dry-run" | "simulation-failed";

export type TxOutcome = {
  intentId: string;
  status: TxOutcomeStatus;
  /** The mined transaction's hash, else the newest attempt's. */
  hash?: Hex;
  blockNumber?: bigint;
  nonce?: number;
  attempts: number;
  /** True when the intent existed already (resumed after a restart, or already mined). */
  resumed: boolean;
  reason?: string;
};

export type TxPolicy = {
  /** An attempt not mined after this many blocks is replaced. */
  stuckBlocks: number;
  /** … or after this many seconds, whichever comes first. */
  stuckSeconds: number;
  /** Fee increase of a replacement, in percent (≥ 12.5). */
  feeBumpPercent: number;
  /** Never price a transaction above this (wei). */
  maxFeePerGas: bigint;
  /** At most this many signed attempts per intent. */
  maxAttempts: number;
  /** How long one `send` waits for a receipt before leaving the intent pending for the next call. */
  waitSeconds: number;
  pollMs: number;
  gasMultiplier: number;
  /**
   * Receipts in the newest this-many blocks are checked against the canonical chain at every `reconcile` (a
   * reorg deeper than this is not looked for). Default 64 (two epochs of Ethereum mainnet: finalized beyond).
   */
  reorgDepth?: number;
};

/** Points in an attempt's life, for observability (and fault injection in tests). */
export type TxHooks = {
  /** The signed transaction is on disk; nothing has been broadcast yet. */
  onStored?(attempt: { intentId: string; hash: Hex; nonce: number; attempt: number }): void | Promise<void>;
  /** A node accepted the transaction. */
  onBroadcast?(attempt: {
    intentId: string;
    hash: Hex;
    nonce: number;
    attempt: number;
  }): void | Promise<void>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The transaction layer. Every write: simulate → estimate → sign → store (intent + signed raw tx, hash,
 * nonce) → broadcast → wait for the receipt, replacing a stuck attempt with the same nonce and higher fees.
 * Because the signed transaction is stored before it is broadcast, a process killed at any moment resumes
 * the same transaction on restart ({@link resumePending}, or `send` with the same id) instead of creating a
 * new one. An intent counts as done only while its receipt is on the canonical chain: `send` checks a mined
 * intent's block against the chain before answering "mined", and {@link reconcile} (run by
 * {@link resumePending} and {@link pendingIntentIds}) checks every receipt of the last `reorgDepth` blocks. One a
 * reorg took off the chain becomes pending again and is driven like any pending intent: its stored signed
 * transaction is broadcast again, or — when the new chain gave its nonce to another transaction — the same call
 * is re-signed under the same intent id with a fresh nonce.
 */
export class TxManager {
  readonly nonces: NonceManager;
  readonly #address: Address;
  #stopping = false;
  /** The head whose reorg check is done (a reorg always changes the head's hash), and the check in progress. */
  #reconciledHead: Hex | undefined;
  #reconciling: Promise<string[]> | undefined;

  constructor(
    private readonly clients: ChainClients,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly policy: TxPolicy,
    private readonly options: { dryRun?: boolean; metrics?: TxMetrics; hooks?: TxHooks } = {},
  ) {
    this.#address = clients.account.address;
    this.nonces = new NonceManager(clients.publicClient, store, clients.chain.id, this.#address);
  }

  get address(): Address {
    return this.#address;
  }

  /**
   * Asks every `send` in progress to return at its next step, leaving its intent pending in the store (to be
   * resumed by the next process); new sends are refused. For graceful shutdown.
   */
  stop(): void {
    this.#stopping = true;
  }

  /**
   * Simulates the write as the keeper's account; throws {@link TxSimulationError} (retryable when the node,
   * not the contract, failed).
   */
  async simulate(request: WriteRequest): Promise<void> {
    try {
      await this.clients.publicClient.simulateContract({
        account: this.clients.account,
        address: request.address,
        abi: request.abi,
        functionName: request.functionName,
        args: request.args ?? [],
        value: request.value,
      } as Parameters<typeof this.clients.publicClient.simulateContract>[0]);
    } catch (error) {
      throw new TxSimulationError(request.intentId, error);
    }
  }

  /**
   * Performs a write at most once per intent id; see the class comment. A `pending` intent is resumed (in
   * dry-run mode only reported), a `mined` one reported. A `failed` or `reverted` one may be sent again: after
   * a fresh simulation passes, as a new attempt series (new nonce, the request's call), so that a keeper whose
   * id for the effect does not change (the fee keeper's, after a revert) can act again.
   */
  async send(request: WriteRequest): Promise<TxOutcome> {
    const log = this.log.child("tx", { intentId: request.intentId });
    if (this.#stopping) throw new KeeperError("transaction layer is stopping", { retryable: true });
    const existing = this.store.getIntent(request.intentId);
    if (existing?.intent.status === "pending") {
      if (this.options.dryRun) {
        log.info("dry run: not resuming the pending intent (nothing is signed or sent)", {
          nonce: existing.intent.nonce,
          attempts: existing.attempts.length,
        });
        return this.outcomeOf(request.intentId, true);
      }
      log.info("intent already stored: resuming it instead of creating a new transaction", {
        nonce: existing.intent.nonce,
        attempts: existing.attempts.length,
      });
      return this.drive(request.intentId, true);
    }
    if (existing && (existing.intent.status === "mined" || existing.intent.status === "reverted")) {
      const where = await this.checkReceipt(existing.intent, new Map(), log);
      if (where === "orphaned") {
        if (this.options.dryRun) return this.outcomeOf(request.intentId, true);
        return this.drive(request.intentId, true);
      }
      if (this.store.getIntent(request.intentId)!.intent.status === "mined") {
        log.info("intent already mined (on the canonical chain): not sending again", {
          hash: existing.intent.minedHash,
        });
        return this.outcomeOf(request.intentId, true);
      }
    }

    try {
      await this.simulate(request);
    } catch (error) {
      const e = error as TxSimulationError;
      if (e.retryable) throw e;
      this.options.metrics?.txFailed.inc({ stage: "simulate" });
      log.warn("simulation failed: not sending", { reason: e.shortMessage });
      return {
        intentId: request.intentId,
        status: "simulation-failed",
        attempts: 0,
        resumed: false,
        reason: e.shortMessage,
      };
    }

    const data = encodeFunctionData({
      abi: request.abi,
      functionName: request.functionName,
      args: request.args ?? [],
    } as Parameters<typeof encodeFunctionData>[0]);
    const value = request.value ?? 0n;

    if (existing)
      log.info(`intent ${existing.intent.status} before; simulation passes: sending it again`, {
        previousNonce: existing.intent.nonce,
        previousError: existing.intent.error,
        previousAttempts: existing.attempts.length,
        dryRun: this.options.dryRun ?? false,
      });

    if (this.options.dryRun) {
      log.info("dry run: simulation passed, not sending", {
        to: request.address,
        functionName: request.functionName,
        args: request.args,
      });
      return { intentId: request.intentId, status: "dry-run", attempts: 0, resumed: false };
    }

    const { publicClient, walletClient, account, chain } = this.clients;
    const gas =
      request.gas ??
      ((await publicClient.estimateGas({ account, to: request.address, data, value })) *
        BigInt(Math.round(this.policy.gasMultiplier * 1000))) /
        1000n;
    const fees = this.capFees(await currentFees(publicClient));

    const stored = await this.nonces.withNextNonce(async (nonce) => {
      const raw = await walletClient.signTransaction({
        account,
        chain,
        type: "eip1559",
        to: request.address,
        data,
        value,
        nonce,
        gas,
        ...fees,
      });
      const hash = keccak256(raw);
      this.store.insertIntentWithAttempt(
        {
          id: request.intentId,
          chainId: chain.id,
          fromAddress: account.address,
          toAddress: request.address,
          data,
          value: value.toString(),
          label: request.label ?? `${request.functionName}(${(request.args ?? []).map(String).join(", ")})`,
          nonce,
          gas: gas.toString(),
        },
        {
          attempt: 1 + (existing?.attempts.length ?? 0),
          nonce,
          hash,
          rawTx: raw,
          gas: gas.toString(),
          maxFeePerGas: fees.maxFeePerGas.toString(),
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
        },
      );
      return { nonce, hash, attempt: 1 + (existing?.attempts.length ?? 0) };
    });
    log.info("signed transaction stored", {
      nonce: stored.nonce,
      hash: stored.hash,
      gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    await this.options.hooks?.onStored?.({ intentId: request.intentId, ...stored });
    return this.drive(request.intentId, false);
  }

  /**
   * Drives every pending intent of this sender to a receipt (or leaves it pending until the next call). In
   * dry-run mode nothing is signed or sent: each pending intent is only reported as stored.
   */
  async resumePending(): Promise<TxOutcome[]> {
    const ids = await this.pendingIntentIds();
    const outcomes: TxOutcome[] = [];
    for (const id of ids) {
      const log = this.log.child("tx", { intentId: id });
      if (this.options.dryRun) {
        log.info("dry run: not resuming pending intent (nothing is signed or sent)");
        outcomes.push(this.outcomeOf(id, true));
        continue;
      }
      log.info("resuming pending intent");
      outcomes.push(await this.drive(id, true));
    }
    return outcomes;
  }

  /**
   * This sender's pending intents, lowest nonce first, after {@link reconcile}: those a reorg took off the chain
   * are among them. A keeper that drives its pending intents itself lists them here, not from the store.
   */
  async pendingIntentIds(): Promise<string[]> {
    await this.reconcile();
    return this.store.pendingIntentIds(this.clients.chain.id, this.#address);
  }

  /**
   * Checks every receipt of this sender in the last `reorgDepth` blocks against the canonical chain (once per
   * head: nothing to do while the head's hash is the one checked last), and puts every intent whose receipt a
   * reorg took away back to pending, for the caller to drive. Returns their ids. Concurrent calls share one check.
   */
  reconcile(): Promise<string[]> {
    this.#reconciling ??= this.#reconcile().finally(() => (this.#reconciling = undefined));
    return this.#reconciling;
  }

  async #reconcile(): Promise<string[]> {
    const head = await this.clients.publicClient.getBlock({ blockTag: "latest" });
    if (head.hash === this.#reconciledHead) return [];
    const depth = this.policy.reorgDepth ?? 64;
    const from = Math.max(0, Number(head.number) - depth);
    const blocks = new Map<number, Hex | undefined>();
    const reopened: string[] = [];
    for (const intent of this.store.settledSince(this.clients.chain.id, this.#address, from)) {
      const log = this.log.child("tx", { intentId: intent.id });
      if ((await this.checkReceipt(intent, blocks, log)) === "orphaned") reopened.push(intent.id);
    }
    this.#reconciledHead = head.hash ?? undefined;
    return reopened;
  }

  /**
   * Is the receipt of this mined or reverted intent on the canonical chain? Its block's hash against the chain's
   * block at that number (`blocks` caches them for one pass); when they differ, any receipt of its attempts
   * the node has (re-included elsewhere: the intent is updated to it); when there is none, the intent is
   * orphaned and reopened.
   */
  private async checkReceipt(
    intent: TxIntentRow,
    blocks: Map<number, Hex | undefined>,
    log: Logger,
  ): Promise<"canonical" | "moved" | "orphaned"> {
    if (intent.minedBlock !== null && intent.minedBlockHash !== null) {
      if (!blocks.has(intent.minedBlock))
        blocks.set(intent.minedBlock, await this.blockHashAt(intent.minedBlock));
      if (blocks.get(intent.minedBlock) === intent.minedBlockHash) return "canonical";
    }
    const contenders = this.store.getIntent(intent.id)!.attempts.filter((a) => a.nonce === intent.nonce);
    const receipt = await this.findReceipt(contenders);
    if (receipt) {
      if (receipt.blockHash === intent.minedBlockHash) return "canonical";
      if (intent.minedBlockHash !== null)
        log.warn("a reorg moved the intent's transaction to another block", {
          hash: receipt.transactionHash,
          from: intent.minedBlock,
          to: receipt.blockNumber,
        });
      this.record(intent.id, receipt, { count: intent.minedBlockHash !== null });
      return "moved";
    }
    this.store.reopenIntent(intent.id);
    this.options.metrics?.txOrphaned.inc();
    log.warn("a reorg took the intent's transaction off the chain: it is pending again, to be sent again", {
      hash: intent.minedHash,
      block: intent.minedBlock,
      blockHash: intent.minedBlockHash,
      nonce: intent.nonce,
    });
    return "orphaned";
  }

  private async blockHashAt(blockNumber: number): Promise<Hex | undefined> {
    try {
      return (
        (await this.clients.publicClient.getBlock({ blockNumber: BigInt(blockNumber) })).hash ?? undefined
      );
    } catch (error) {
      if (error instanceof BlockNotFoundError) return undefined; // the chain is shorter now
      throw error;
    }
  }

  /** The stored state of an intent, as an outcome. */
  outcomeOf(intentId: string, resumed: boolean): TxOutcome {
    const found = this.store.getIntent(intentId);
    if (!found) return { intentId, status: "failed", attempts: 0, resumed, reason: "unknown intent" };
    const { intent, attempts } = found;
    return {
      intentId,
      status: intent.status,
      hash: (intent.minedHash ?? attempts.at(-1)?.hash) as Hex | undefined,
      blockNumber: intent.minedBlock === null ? undefined : BigInt(intent.minedBlock),
      nonce: intent.nonce,
      attempts: attempts.length,
      resumed,
      reason: intent.error ?? undefined,
    };
  }

  // ─── The loop that takes a stored intent to a receipt ─────────────────────────────────────

  private async drive(intentId: string, resumed: boolean): Promise<TxOutcome> {
    const log = this.log.child("tx", { intentId });
    // Never reached in dry-run mode (send and resumePending only report); a guard all the same.
    if (this.options.dryRun) return this.outcomeOf(intentId, resumed);
    const { publicClient } = this.clients;
    const deadline = Date.now() + this.policy.waitSeconds * 1000;
    // After a restart the node may have lost the transaction (mempool eviction, node restart): send the
    // newest attempt again once; "already known" is fine.
    let rebroadcast = resumed;
    let forceReplace = false;
    let warnedCap = false;
    let saidWaiting = false;
    // Consecutive broadcasts that must be tried again later (node unavailable, "nonce too low" while the
    // chain says otherwise): the wait doubles with each, up to 16 polls.
    let retries = 0;

    for (;;) {
      const found = this.store.getIntent(intentId);
      if (!found) throw new Error(`intent ${intentId} vanished from the store`);
      const { intent, attempts } = found;
      if (intent.status !== "pending") return this.outcomeOf(intentId, resumed);
      if (this.#stopping) return this.pending(intentId, resumed, log);
      const latest = attempts.at(-1)!;
      // Every attempt with the intent's nonce competes for it — replaced ones, refused ones (another node may
      // have taken them), and those of an earlier series that used the same nonce — so any of their receipts
      // settles the intent. Attempts of an earlier series with another nonce can no longer matter.
      const contenders = attempts.filter((a) => a.nonce === intent.nonce);
      const series = contenders.filter((a) => a.status !== "dead");

      try {
        // 1. Is any attempt (a replaced or refused one may win the race) mined?
        const receipt = await this.findReceipt(contenders);
        if (receipt) return this.finish(intentId, receipt, resumed, log);

        // 2. Has the nonce been used by a transaction that is not ours?
        const confirmed = await publicClient.getTransactionCount({
          address: this.#address,
          blockTag: "latest",
        });
        if (confirmed > intent.nonce) {
          await sleep(this.policy.pollMs);
          const late = await this.findReceipt(contenders);
          if (late) return this.finish(intentId, late, resumed, log);
          if (intent.orphanedAt !== null) {
            // The reorg's chain gave the nonce to another transaction: the write itself is still undone.
            if (await this.resign(intent, log)) continue;
            return this.outcomeOf(intentId, resumed);
          }
          const reason = `nonce ${intent.nonce} was used by another transaction`;
          this.store.resolveIntent(intentId, "failed", { error: reason });
          this.options.metrics?.txFailed.inc({ stage: "nonce" });
          log.warn("intent failed: nonce taken by another transaction", { nonce: intent.nonce });
          return this.outcomeOf(intentId, resumed);
        }

        // 3. Broadcast the newest attempt if no node has accepted it yet (or once after a restart).
        if (latest.status === "signed" || (rebroadcast && latest.status === "broadcast")) {
          rebroadcast = false;
          const result = await this.broadcast(latest, log);
          if (result === "rejected") {
            // Only this series' attempts can still take the nonce: an earlier series' are dead (refused, or
            // their nonce went to another transaction).
            const mayStillMine = series.some(
              (a) => a !== latest && a.broadcastAt !== null && a.status !== "rejected",
            );
            if (!mayStillMine) {
              const reason = this.store.getIntent(intentId)!.attempts.at(-1)!.error ?? "rejected";
              this.store.resolveIntent(intentId, "failed", { error: reason });
              this.options.metrics?.txFailed.inc({ stage: "broadcast" });
              return this.outcomeOf(intentId, resumed);
            }
          } else if (result === "underpriced") forceReplace = true;
          else if (result === "nonce-used" || result === "retry") {
            // Not accepted, and nothing to conclude yet: look again after a pause (the receipt and the
            // chain's count decide "nonce-used" on the next round), never in a tight loop.
            retries++;
            if (Date.now() > deadline) return this.pending(intentId, resumed, log);
            await sleep(Math.min(this.policy.pollMs * 2 ** (retries - 1), this.policy.pollMs * 16));
            continue;
          }
          if (result === "ok") retries = 0;
        }

        // 4. Stuck? Replace with the same nonce and higher fees.
        const fresh = this.store.getIntent(intentId)!.attempts.at(-1)!;
        const head = await publicClient.getBlockNumber();
        const since = fresh.broadcastAt ?? fresh.createdAt;
        const stuck =
          forceReplace ||
          (fresh.broadcastBlock !== null &&
            head - BigInt(fresh.broadcastBlock) >= BigInt(this.policy.stuckBlocks)) ||
          Date.now() - since >= this.policy.stuckSeconds * 1000;
        if (stuck) {
          forceReplace = false;
          if (series.length >= this.policy.maxAttempts) {
            if (!warnedCap)
              log.warn("stuck, but the attempt limit is reached: waiting", { attempts: series.length });
            warnedCap = true;
          } else {
            const replaced = await this.replace(intent.id, fresh, log);
            if (!replaced && !warnedCap) warnedCap = true;
            if (replaced) continue;
          }
        }
      } catch (error) {
        const kind = classifyTxError(error);
        if (kind !== "retryable") throw error;
        log.warn("node unavailable while waiting for the transaction; will retry", {
          reason: shortReason(error),
        });
      }

      if (Date.now() > deadline) return this.pending(intentId, resumed, log);
      if (!saidWaiting)
        log.debug("waiting for a receipt", {
          nonce: intent.nonce,
          hash: latest.hash,
          attempts: series.length,
        });
      saidWaiting = true;
      await sleep(this.policy.pollMs);
    }
  }

  private pending(intentId: string, resumed: boolean, log: Logger): TxOutcome {
    log.warn("not mined yet: leaving the intent pending for the next run", {
      waitSeconds: this.policy.waitSeconds,
      stopping: this.#stopping,
    });
    return { ...this.outcomeOf(intentId, resumed), status: "pending" };
  }

  /** The receipt of any of these attempts, newest first: whatever a node said when it was broadcast. */
  private async findReceipt(attempts: TxAttemptRow[]): Promise<TransactionReceipt | undefined> {
    for (const attempt of [...attempts].reverse()) {
      try {
        return await this.clients.publicClient.getTransactionReceipt({ hash: attempt.hash as Hex });
      } catch (error) {
        if (error instanceof TransactionReceiptNotFoundError) continue;
        throw error;
      }
    }
    return undefined;
  }

  private finish(intentId: string, receipt: TransactionReceipt, resumed: boolean, log: Logger): TxOutcome {
    const status = this.record(intentId, receipt, { count: true });
    log[status === "mined" ? "info" : "error"](`transaction ${status}`, {
      hash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      gasUsed: receipt.gasUsed,
    });
    return this.outcomeOf(intentId, resumed);
  }

  /** Stores a receipt as the intent's outcome (with its block's hash, which a later reorg check compares). */
  private record(intentId: string, receipt: TransactionReceipt, options: { count: boolean }) {
    const status = receipt.status === "success" ? "mined" : "reverted";
    this.store.resolveIntent(intentId, status, {
      minedHash: receipt.transactionHash,
      minedBlock: Number(receipt.blockNumber),
      minedBlockHash: receipt.blockHash,
      error: status === "reverted" ? "transaction reverted on chain" : undefined,
    });
    if (options.count)
      (status === "mined" ? this.options.metrics?.txMined : this.options.metrics?.txReverted)?.inc();
    return status;
  }

  /**
   * Signs the stored call of an orphaned intent again, with a fresh nonce (its own went to another transaction
   * in the new chain), as a new attempt series of the same intent — after a simulation, since the chain it
   * meets is not the one it was decided on. False (the intent failed) when the call no longer simulates.
   */
  private async resign(intent: TxIntentRow, log: Logger): Promise<boolean> {
    const { publicClient, walletClient, account, chain } = this.clients;
    const call = { to: intent.toAddress as Address, data: intent.data as Hex, value: BigInt(intent.value) };
    try {
      await publicClient.call({ account, ...call });
    } catch (error) {
      const e = new TxSimulationError(intent.id, error);
      if (e.retryable) throw e;
      const reason = `orphaned by a reorg, its nonce ${intent.nonce} taken, and the call no longer simulates: ${e.shortMessage}`;
      this.store.resolveIntent(intent.id, "failed", { error: reason });
      this.options.metrics?.txFailed.inc({ stage: "simulate" });
      log.warn("orphaned intent not sent again: its call no longer simulates", { reason: e.shortMessage });
      return false;
    }
    const fees = this.capFees(await currentFees(publicClient));
    const attempt = 1 + this.store.getIntent(intent.id)!.attempts.length;
    const stored = await this.nonces.withNextNonce(async (nonce) => {
      const raw = await walletClient.signTransaction({
        account,
        chain,
        type: "eip1559",
        ...call,
        nonce,
        gas: BigInt(intent.gas),
        ...fees,
      });
      const hash = keccak256(raw);
      this.store.resignIntent(intent.id, {
        attempt,
        nonce,
        hash,
        rawTx: raw,
        gas: intent.gas,
        maxFeePerGas: fees.maxFeePerGas.toString(),
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
      });
      return { nonce, hash, attempt };
    });
    log.warn("orphaned intent's nonce went to another transaction: re-signed under the same id", {
      previousNonce: intent.nonce,
      ...stored,
    });
    await this.options.hooks?.onStored?.({ intentId: intent.id, ...stored });
    return true;
  }

  private async broadcast(
    attempt: TxAttemptRow,
    log: Logger,
  ): Promise<"ok" | "nonce-used" | "underpriced" | "rejected" | "retry"> {
    const { publicClient } = this.clients;
    const info = { hash: attempt.hash, nonce: attempt.nonce, attempt: attempt.attempt };
    let head: bigint;
    try {
      head = await publicClient.getBlockNumber();
      await publicClient.sendRawTransaction({ serializedTransaction: attempt.rawTx as Hex });
    } catch (error) {
      const kind = classifyTxError(error);
      const reason = shortReason(error);
      if (kind === "already-known") {
        log.info("node already has the transaction", info);
        this.markBroadcast(attempt, undefined);
        return "ok";
      }
      if (kind === "nonce-used") {
        log.info("nonce already used on chain: looking for the receipt", info);
        return "nonce-used";
      }
      if (kind === "underpriced") {
        log.warn("node wants higher fees", { ...info, reason });
        this.store.updateAttempt(attempt.hash, { status: "rejected", error: reason });
        return "underpriced";
      }
      if (kind === "retryable") {
        log.warn("broadcast failed, will retry", { ...info, reason });
        return "retry";
      }
      log.error("transaction rejected", { ...info, reason });
      this.store.updateAttempt(attempt.hash, { status: "rejected", error: reason });
      return "rejected";
    }
    this.markBroadcast(attempt, head);
    this.options.metrics?.txSent.inc();
    log.info("transaction broadcast", info);
    await this.options.hooks?.onBroadcast?.({
      intentId: attempt.intentId,
      hash: attempt.hash as Hex,
      nonce: attempt.nonce,
      attempt: attempt.attempt,
    });
    return "ok";
  }

  private markBroadcast(attempt: TxAttemptRow, head: bigint | undefined) {
    this.store.updateAttempt(attempt.hash, {
      status: "broadcast",
      error: null,
      broadcastAt: attempt.broadcastAt ?? Date.now(),
      ...(head !== undefined && attempt.broadcastBlock === null ? { broadcastBlock: Number(head) } : {}),
    });
  }

  /** Signs and stores a replacement of `previous` (same nonce, bumped fees); false when the fee cap forbids it. */
  private async replace(intentId: string, previous: TxAttemptRow, log: Logger): Promise<boolean> {
    const { publicClient, walletClient, account, chain } = this.clients;
    const intent = this.store.getIntent(intentId)!.intent;
    const before: Fees = {
      maxFeePerGas: BigInt(previous.maxFeePerGas),
      maxPriorityFeePerGas: BigInt(previous.maxPriorityFeePerGas),
    };
    const bps = BigInt(Math.ceil(this.policy.feeBumpPercent * 100));
    const fees = bumpFees(before, await currentFees(publicClient), bps);
    if (fees.maxFeePerGas > this.policy.maxFeePerGas) {
      log.warn("stuck, but a replacement would exceed the fee cap: waiting", {
        wanted: fees.maxFeePerGas,
        cap: this.policy.maxFeePerGas,
      });
      return false;
    }
    const raw = await walletClient.signTransaction({
      account,
      chain,
      type: "eip1559",
      to: intent.toAddress as Address,
      data: intent.data as Hex,
      value: BigInt(intent.value),
      nonce: intent.nonce,
      gas: BigInt(intent.gas),
      ...fees,
    });
    const hash = keccak256(raw);
    const attempt = previous.attempt + 1;
    this.store.insertReplacement(intentId, {
      attempt,
      nonce: intent.nonce,
      hash,
      rawTx: raw,
      gas: intent.gas,
      maxFeePerGas: fees.maxFeePerGas.toString(),
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
    });
    this.options.metrics?.txReplaced.inc();
    log.info("stuck transaction replaced (same nonce, higher fees)", {
      nonce: intent.nonce,
      replaces: previous.hash,
      hash,
      attempt,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    await this.options.hooks?.onStored?.({ intentId, hash, nonce: intent.nonce, attempt });
    return true;
  }

  private capFees(fees: Fees): Fees {
    const cap = this.policy.maxFeePerGas;
    if (fees.maxFeePerGas <= cap) return fees;
    this.log
      .child("tx")
      .warn("market fee above TX_MAX_FEE_GWEI: pricing at the cap", { wanted: fees.maxFeePerGas, cap });
    return {
      maxFeePerGas: cap,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas > cap ? cap : fees.maxPriorityFeePerGas,
    };
  }
}

/** The policy from the runtime's settings. */
export function txPolicyFrom(config: {
  txStuckBlocks: number;
  txStuckSeconds: number;
  txFeeBumpPercent: number;
  txMaxFeeGwei: number;
  txMaxAttempts: number;
  txWaitSeconds: number;
  txGasMultiplier: number;
  txReorgDepth: number;
  pollingIntervalMs: number;
}): TxPolicy {
  return {
    stuckBlocks: config.txStuckBlocks,
    stuckSeconds: config.txStuckSeconds,
    feeBumpPercent: config.txFeeBumpPercent,
    maxFeePerGas: BigInt(Math.round(config.txMaxFeeGwei * 1e9)),
    maxAttempts: config.txMaxAttempts,
    waitSeconds: config.txWaitSeconds,
    pollMs: config.pollingIntervalMs,
    gasMultiplier: config.txGasMultiplier,
    reorgDepth: config.txReorgDepth,
  };
}
