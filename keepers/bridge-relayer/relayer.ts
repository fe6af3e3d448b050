import { Counter, Gauge, type Registry } from "prom-client";
import type { Address, Hex } from "viem";
import { crossChainBridgeAbi } from "../../generated/abis.js";
import {
  AttestationFormatError,
  bridgeRequestId,
  orderSignatures,
  parseAttestation,
  recoverAttester,
  type AttestationKind,
  type BridgeRequest,
} from "../lib/bridge.js";
import type { ChainClients } from "../lib/clients.js";
import { describeError } from "../lib/errors.js";
import type { Logger } from "../lib/log.js";
import type { Store } from "../lib/store/store.js";
import type { TxManager, TxOutcome } from "../lib/tx/sender.js";
import { finalStatuses, requestOfRow, type RequestLog } from "./requests.js";
import type { RequestStatus } from "./schema.js";

/** One chain the relayer serves: its bridge, clients and transaction manager (one per chain). */
export type RelayerChainContext = {
  chainId: number;
  bridge: Address;
  clients: ChainClients;
  tx: TxManager;
};

/** `ICrossChainBridge.Status`. */
export const OnChainStatus = { None: 0, Initiated: 1, Completed: 2, Refunded: 3 } as const;

/** The intent id of the one completion or refund of a request: restarts and repeats never send it twice. */
export const intentIdOf = (kind: AttestationKind, requestId: Hex) => `bridge:${kind}:${requestId}`;

/** Why an attestation was refused with 422 (the `reason` of the response). */
export type RejectReason =
  | "request-id-mismatch"
  | "unknown-chain"
  | "wrong-bridge"
  | "bad-signature"
  | "signature-mismatch"
  | "not-a-validator"
  | "stale-version"
  | "unknown-request";

export type AcceptResult =
  | {
      status: 200;
      body: {
        accepted: true;
        /** False when this signer's attestation was already stored (a repeat changes nothing). */
        new: boolean;
        requestId: Hex;
        kind: AttestationKind;
        validatorSetVersion: string;
        /** Distinct valid signatures held for (request, kind, version). */
        signatures: number;
        threshold: number;
        requestStatus: RequestStatus;
      };
    }
  | { status: 400; body: { error: string; field: string } }
  | { status: 422; body: { error: string; reason: RejectReason } }
  | { status: 503; body: { error: string } };

/** Contract errors after which sending the same call again cannot succeed (the request is marked failed). */
const permanentErrors = new Set([
  "WrongDestination",
  "WrongSource",
  "UnknownRemoteBridge",
  "SourceBridgeMismatch",
  "CounterpartMismatch",
  "UnknownRequest",
]);

export type RelayerMetrics = ReturnType<typeof createRelayerMetrics>;

export function createRelayerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    attestations: new Counter({
      name: "bridge_relayer_attestations_total",
      help: "Attestations received, by result (accepted, repeat, malformed, rejected) and reject reason.",
      labelNames: ["result", "reason"] as const,
      registers,
    }),
    submissions: new Counter({
      name: "bridge_relayer_submissions_total",
      help: "completeBridge/refundBridge writes, by kind and outcome (mined, pending, simulation-failed, …).",
      labelNames: ["kind", "outcome"] as const,
      registers,
    }),
    settled: new Counter({
      name: "bridge_relayer_settled_total",
      help: "Requests seen completed or refunded on chain, by status and by whom (relayer, other).",
      labelNames: ["status", "by"] as const,
      registers,
    }),
    requests: new Gauge({
      name: "bridge_relayer_requests",
      help: "Requests in the store, by status.",
      labelNames: ["status"] as const,
      registers,
    }),
  };
}

/** The error name in a TxManager simulation reason (`… reverted: Name(args)`), if any. */
export function revertName(reason: string | undefined): string | undefined {
  return reason ? /reverted: (\w+)/.exec(reason)?.[1] : undefined;
}

/**
 * The relayer: accepts validator attestations, stores them, and — once a request holds `threshold` distinct valid
 * signatures for the action its clock allows — submits `completeBridge` on the destination or `refundBridge` on
 * the source through that chain's TxManager, under the intent id `bridge:<kind>:<requestId>`. It follows every
 * request until the chain says completed or refunded.
 */
export class Relayer {
  readonly #inflight = new Map<Hex, Promise<void>>();
  #stopping = false;

  constructor(
    readonly deps: {
      chains: Map<number, RelayerChainContext>;
      requests: RequestLog;
      store: Store;
      log: Logger;
      metrics: RelayerMetrics;
      dryRun: boolean;
    },
  ) {}

  // ─── Attestations ─────────────────────────────────────────────────────────────────────────

  /** Checks and stores one attestation (the body of `POST /attestations`). */
  async accept(raw: unknown): Promise<AcceptResult> {
    const { chains, requests, metrics } = this.deps;
    const log = this.deps.log.child("attestations");
    const reject = (reason: RejectReason, error: string): AcceptResult => {
      metrics.attestations.inc({ result: "rejected", reason });
      log.info("attestation rejected", { reason, error });
      return { status: 422, body: { error, reason } };
    };

    let a;
    try {
      a = parseAttestation(raw);
    } catch (error) {
      if (!(error instanceof AttestationFormatError)) throw error;
      // The shape is right but the id is not this request's: a semantic refusal, not a malformed body.
      if (error.field === "requestId") return reject("request-id-mismatch", error.message);
      metrics.attestations.inc({ result: "malformed", reason: error.field });
      return { status: 400, body: { error: error.message, field: error.field } };
    }
    const { request, requestId, kind, validatorSetVersion: version, signer } = a;
    const src = chains.get(Number(request.srcChainId));
    const dst = chains.get(Number(request.dstChainId));
    if (!src || !dst)
      return reject(
        "unknown-chain",
        `chain ${!src ? request.srcChainId : request.dstChainId} is not served by this relayer`,
      );
    if (request.srcBridge !== src.bridge || request.dstBridge !== dst.bridge)
      return reject(
        "wrong-bridge",
        `request bridges ${request.srcBridge} → ${request.dstBridge} are not the deployed ${src.bridge} → ${dst.bridge}`,
      );

    let recovered: Address;
    try {
      recovered = await recoverAttester(kind, request, version, a.signature);
    } catch (error) {
      return reject("bad-signature", `signature: ${describeError(error).message}`);
    }
    if (recovered !== signer)
      return reject("signature-mismatch", `signature recovers to ${recovered}, not to signer ${signer}`);

    // The chain that verifies the message decides: the destination for a completion, the source for a refund.
    const verifying = kind === "completion" ? dst : src;
    let current: bigint, isValidator: boolean, threshold: bigint, onSource: number;
    try {
      [current, isValidator, threshold, onSource] = await Promise.all([
        this.read(verifying, "validatorSetVersion", []) as Promise<bigint>,
        this.read(verifying, "isValidator", [signer]) as Promise<boolean>,
        this.read(verifying, "threshold", []) as Promise<bigint>,
        this.read(src, "requestStatus", [requestId]) as Promise<number>,
      ]);
    } catch (error) {
      log.warn("chain unavailable while checking an attestation", { error });
      return { status: 503, body: { error: `chain unavailable: ${describeError(error).message}` } };
    }
    if (version !== current)
      return reject(
        "stale-version",
        `validatorSetVersion ${version} is not the current version ${current} of chain ${verifying.chainId}`,
      );
    if (!isValidator)
      return reject(
        "not-a-validator",
        `${signer} is not in chain ${verifying.chainId}'s current validator set`,
      );
    if (onSource === OnChainStatus.None)
      return reject(
        "unknown-request",
        `request ${requestId} does not exist on its source chain ${src.chainId}`,
      );

    const isNew = requests.addAttestation(a);
    const signatures = requests.signatures(requestId, kind, version).length;
    metrics.attestations.inc({ result: isNew ? "accepted" : "repeat", reason: "" });
    if (isNew) log.info("attestation accepted", { requestId, kind, version, signer, signatures, threshold });
    if (BigInt(signatures) >= threshold) void this.process(requestId);
    return {
      status: 200,
      body: {
        accepted: true,
        new: isNew,
        requestId,
        kind,
        validatorSetVersion: version.toString(),
        signatures,
        threshold: Number(threshold),
        requestStatus: requests.get(requestId)!.status,
      },
    };
  }

  // ─── Lifecycle ────────────────────────────────────────────────────────────────────────────

  /** Moves one request as far as it can go now; runs for one request never overlap. */
  process(requestId: Hex): Promise<void> {
    const previous = this.#inflight.get(requestId) ?? Promise.resolve();
    const run = previous
      .then(() => (this.#stopping ? undefined : this.step(requestId)))
      .catch((error) => {
        this.deps.log.child("lifecycle", { requestId }).warn("request step failed; will try again", {
          error: describeError(error),
        });
        this.deps.requests.update(requestId, { reason: `error: ${describeError(error).message}` });
      })
      .finally(() => {
        if (this.#inflight.get(requestId) === run) this.#inflight.delete(requestId);
      });
    this.#inflight.set(requestId, run);
    return run;
  }

  /** Resolves once no request is being processed (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight.values()]);
  }

  /** Re-checks every open request on chain and moves it on (the scheduled run). */
  async trackAll(): Promise<void> {
    // A settlement of ours that a reorg undid makes its request open again (its intent is pending once more).
    for (const chain of this.deps.chains.values())
      for (const id of await chain.tx.reconcile()) {
        const [, kind, requestId] = id.split(":");
        if (id !== intentIdOf(kind as AttestationKind, requestId as Hex)) continue;
        if (
          this.deps.requests.reopen(requestId as Hex, `a reorg on chain ${chain.chainId} undid our ${kind}`)
        )
          this.deps.log
            .child("lifecycle", { requestId })
            .warn("a reorg undid our settlement: sending it again", { kind, chainId: chain.chainId });
      }
    for (const row of this.deps.requests.open()) {
      if (this.#stopping) break;
      await this.process(row.requestId as Hex);
    }
    this.updateGauge();
  }

  stop(): void {
    this.#stopping = true;
  }

  updateGauge(): void {
    for (const [status, n] of Object.entries(this.deps.requests.countByStatus()))
      this.deps.metrics.requests.set({ status }, n);
  }

  private async read(chain: RelayerChainContext, functionName: string, args: readonly unknown[]) {
    return chain.clients.publicClient.readContract({
      address: chain.bridge,
      abi: crossChainBridgeAbi,
      functionName,
      args,
    } as never) as Promise<unknown>;
  }

  private async step(requestId: Hex): Promise<void> {
    const { chains, requests, store } = this.deps;
    const log = this.deps.log.child("lifecycle", { requestId });
    const row = requests.get(requestId);
    if (!row || finalStatuses.includes(row.status)) return;
    const request = requestOfRow(row);
    const src = chains.get(row.srcChainId);
    const dst = chains.get(row.dstChainId);
    if (!src || !dst) {
      requests.update(requestId, { reason: "a chain of this request is no longer in CHAINS" });
      return;
    }

    // 1. A write of ours that is signed but not confirmed is driven to its end first, whatever the chain or the
    //    clocks say: it holds a nonce, and a stored transaction left behind would block every later one.
    for (const kind of ["completion", "refund"] as const) {
      if (store.getIntent(intentIdOf(kind, requestId))?.intent.status === "pending") {
        const chain = kind === "completion" ? dst : src;
        log.info("resuming our stored transaction", { kind });
        const outcome = await chain.tx.send(this.write(kind, chain, request, []));
        return this.after(requestId, kind, outcome, log);
      }
    }

    // 2. Already settled on chain (by us or anyone)?
    const [onDst, onSrc] = await Promise.all([
      this.read(dst, "requestStatus", [requestId]) as Promise<number>,
      this.read(src, "requestStatus", [requestId]) as Promise<number>,
    ]);
    requests.update(requestId, { checkedAt: Date.now() });
    if (onDst === OnChainStatus.Completed) return this.settle(requestId, "completion", log);
    if (onSrc === OnChainStatus.Refunded) return this.settle(requestId, "refund", log);

    // 3. Which action the destination's clock allows: completion up to the deadline, refund after it.
    const dstNow = (await dst.clients.publicClient.getBlock({ blockTag: "latest" })).timestamp;
    const kind: AttestationKind = dstNow <= request.deadline ? "completion" : "refund";
    const chain = kind === "completion" ? dst : src;
    const [version, threshold] = (await Promise.all([
      this.read(chain, "validatorSetVersion", []),
      this.read(chain, "threshold", []),
    ])) as [bigint, bigint];
    const held = requests.signatures(requestId, kind, version);
    if (BigInt(held.length) < threshold) {
      const expired =
        kind === "refund" && requests.attestations(requestId).some((a) => a.kind === "completion");
      const reason =
        kind === "completion"
          ? `collecting completion signatures: ${held.length}/${threshold} at validator set version ${version}`
          : `${expired ? "deadline passed on the destination before completion; " : "deadline passed; "}waiting for refund attestations: ${held.length}/${threshold} at version ${version}`;
      if (row.reason !== reason) log.info("waiting", { reason });
      requests.update(requestId, { status: "pending", kind, reason });
      return;
    }

    const chosen = held.slice(0, Number(threshold)).map((s) => ({
      signer: s.signer as Address,
      signature: s.signature as Hex,
    }));
    log.info("threshold reached: submitting", {
      kind,
      chainId: chain.chainId,
      version,
      signers: chosen.length,
    });
    const outcome = await chain.tx.send(this.write(kind, chain, request, orderSignatures(chosen)));
    return this.after(requestId, kind, outcome, log);
  }

  private write(
    kind: AttestationKind,
    chain: RelayerChainContext,
    request: BridgeRequest,
    signatures: Hex[],
  ) {
    const requestId = bridgeRequestId(request);
    return {
      intentId: intentIdOf(kind, requestId),
      address: chain.bridge,
      abi: crossChainBridgeAbi,
      functionName: kind === "completion" ? "completeBridge" : "refundBridge",
      args: [request, signatures],
      label: `${kind === "completion" ? "completeBridge" : "refundBridge"}(${requestId}, ${signatures.length} signatures)`,
    };
  }

  /** What a TxManager outcome means for the request. */
  private async after(requestId: Hex, kind: AttestationKind, outcome: TxOutcome, log: Logger): Promise<void> {
    const { requests, metrics } = this.deps;
    metrics.submissions.inc({ kind, outcome: outcome.status });
    const intentId = outcome.intentId;
    switch (outcome.status) {
      case "mined":
        return this.settle(requestId, kind, log);
      case "pending":
        requests.update(requestId, {
          status: "submitted",
          kind,
          intentId,
          txHash: outcome.hash ?? null,
          reason: "transaction stored; waiting for its receipt",
        });
        return;
      case "dry-run":
        log.info("dry run: the write would pass; nothing sent", { kind });
        requests.update(requestId, { kind, reason: `dry run: ${kind} simulated, not sent` });
        return;
      case "simulation-failed": {
        const name = revertName(outcome.reason);
        log.warn("the contract would refuse this bundle: not sent", {
          kind,
          error: name,
          reason: outcome.reason,
        });
        if (name === "AlreadyCompleted") return this.settle(requestId, "completion", log);
        if (name === "AlreadyRefunded") return this.settle(requestId, "refund", log);
        const permanent = name !== undefined && permanentErrors.has(name);
        requests.update(requestId, {
          status: permanent ? "failed" : "pending",
          kind,
          reason: `not sent: simulation reverts with ${name ?? outcome.reason}`,
        });
        return;
      }
      case "reverted":
      case "failed": {
        // Someone else may have got there first: the chain decides.
        const chains = this.deps.chains;
        const row = requests.get(requestId)!;
        const [onDst, onSrc] = await Promise.all([
          this.read(chains.get(row.dstChainId)!, "requestStatus", [requestId]),
          this.read(chains.get(row.srcChainId)!, "requestStatus", [requestId]),
        ]);
        if (onDst === OnChainStatus.Completed) return this.settle(requestId, "completion", log);
        if (onSrc === OnChainStatus.Refunded) return this.settle(requestId, "refund", log);
        log.warn(`our ${kind} ${outcome.status}`, { reason: outcome.reason, hash: outcome.hash });
        requests.update(requestId, {
          status: "failed",
          kind,
          intentId,
          txHash: outcome.hash ?? null,
          reason: `${kind} transaction ${outcome.status}: ${outcome.reason ?? "no reason"}`,
        });
        return;
      }
    }
  }

  /** The chain says completed (destination) or refunded (source): the request's life is over. */
  private settle(requestId: Hex, kind: AttestationKind, log: Logger): void {
    const intent = this.deps.store.getIntent(intentIdOf(kind, requestId))?.intent;
    const ours = intent?.status === "mined";
    const status = kind === "completion" ? "completed" : "refunded";
    const moved = this.deps.requests.update(requestId, {
      status,
      kind,
      settledBy: ours ? "relayer" : "other",
      intentId: intent ? intent.id : null,
      txHash: ours ? intent!.minedHash : null,
      reason: ours ? null : `${status} on chain by someone else`,
    });
    if (moved) {
      this.deps.metrics.settled.inc({ status, by: ours ? "relayer" : "other" });
      log.info(`request ${status}`, {
        by: ours ? "relayer" : "other",
        hash: ours ? intent!.minedHash : undefined,
      });
      this.updateGauge();
    }
  }
}
