/**
 * The bridge attester's work: one validator's view of every bridge request on the configured chains.
 *
 * For each `BridgeInitiated` (stored by the log watchers), once it is CONFIRMATIONS blocks deep on its source:
 *   1. verify it against chain state (`verifyRequest`): its id is `keccak256(abi.encode(request))` and the source
 *      bridge's `hashRequest` agrees; both chains are configured and the request names their bridges (the
 *      deployments' `CrossChainBridge`); the source says `Initiated` at the block CONFIRMATIONS deep. Anything else
 *      is refused — logged with the reason, nothing signed.
 *   2. completion: while the deadline is more than SIGN_MARGIN_SECONDS ahead of the destination's latest block,
 *      the destination has not completed it and this key is in the destination's current validator set, sign the
 *      Completion for the destination's `validatorSetVersion`.
 *   3. refund: once the destination's block CONFIRMATIONS deep is past the deadline (so no block of the
 *      destination can complete it any more) and the destination has not completed it, sign the Refund for the
 *      source's `validatorSetVersion`, if this key is in the source's current set.
 *   A request is closed (`settled`) once the destination completed it or the source refunded it.
 *
 * The signing rule: a signature is stored (with one outbox row per relayer) BEFORE it is published, under the
 * unique key (requestId, kind, validatorSetVersion). The message is a function of exactly that key — the id
 * commits every request field — so this key never signs two different messages for the same request and kind;
 * a validator-set change (which voids the old signatures on chain) allows one new row for the new version. No
 * completion is signed for a request once its refund was signed. Publishing POSTs the stored JSON to every relayer
 * until each answers 2xx (a doubling pause between tries, kept in the store across restarts); re-sending the same
 * attestation is harmless.
 */
import {
  getAddress,
  type Address,
  type Block,
  type Chain,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
} from "viem";
import { Counter, Gauge, type Registry } from "prom-client";
import { crossChainBridgeAbi } from "../../generated/abis.js";
import {
  attestationDigest,
  attestationToJson,
  attestationTypedData,
  bridgeRequestId,
  type AttestationKind,
  type BridgeRequest,
} from "../lib/bridge.js";
import { describeError } from "../lib/errors.js";
import type { Health } from "../lib/health.js";
import type { Logger } from "../lib/log.js";
import type { Metrics } from "../lib/metrics.js";
import { trackRun } from "../lib/process.js";
import type { LogWatcher } from "../lib/watch.js";
import { requestFromJson, type AttesterRecords } from "./records.js";
import type { AttesterRequestRow } from "./schema.js";

/** `ICrossChainBridge.Status`. */
export const Status = { None: 0, Initiated: 1, Completed: 2, Refunded: 3 } as const;

export type AttesterChain = {
  chainId: number;
  bridge: Address;
  startBlock: bigint;
  client: PublicClient<Transport, Chain>;
  watcher?: LogWatcher;
};

export function createAttesterMetrics(registry: Registry) {
  const registers = [registry];
  return {
    signatures: new Counter({
      name: "bridge_attester_signatures_total",
      help: "Attestations signed (and stored), by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    wouldSign: new Counter({
      name: "bridge_attester_dry_run_total",
      help: "Attestations a dry run would have signed, by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    refused: new Counter({
      name: "bridge_attester_refused_total",
      help: "Requests refused (nothing signed), by reason code.",
      labelNames: ["code"] as const,
      registers,
    }),
    deliveries: new Counter({
      name: "bridge_attester_deliveries_total",
      help: "POSTs of attestations to relayers, by result (ok, error).",
      labelNames: ["result"] as const,
      registers,
    }),
    outboxPending: new Gauge({
      name: "bridge_attester_outbox_pending",
      help: "Deliveries to relayers not acknowledged yet.",
      registers,
    }),
    openRequests: new Gauge({
      name: "bridge_attester_open_requests",
      help: "Requests still watched (not settled nor refused).",
      registers,
    }),
  };
}

export type AttesterMetrics = ReturnType<typeof createAttesterMetrics>;

export type AttesterContext = {
  chains: Map<number, AttesterChain>;
  account: PrivateKeyAccount;
  records: AttesterRecords;
  confirmations: bigint;
  signMarginSeconds: bigint;
  relayers: string[];
  relayerTimeoutMs: number;
  relayerRetryMs: number;
  relayerRetryMaxMs: number;
  dryRun: boolean;
  log: Logger;
  health: Health;
  metrics: Metrics;
  attesterMetrics: AttesterMetrics;
  /** Dry-run messages already logged (one line per would-be signature per process). */
  dryRunLogged: Set<string>;
};

/** Latest blocks read once per tick, per chain. */
export class Heads {
  readonly #latest = new Map<number, Promise<Block>>();
  readonly #at = new Map<string, Promise<Block>>();
  constructor(private readonly ctx: Pick<AttesterContext, "chains" | "confirmations">) {}

  latest(chain: AttesterChain): Promise<Block> {
    let p = this.#latest.get(chain.chainId);
    if (!p) {
      p = chain.client.getBlock({ blockTag: "latest" }) as Promise<Block>;
      this.#latest.set(chain.chainId, p);
      p.catch(() => this.#latest.delete(chain.chainId));
    }
    return p;
  }

  /** The block CONFIRMATIONS below the latest one (the genesis block at least). */
  async safe(chain: AttesterChain): Promise<Block> {
    const latest = await this.latest(chain);
    const n = latest.number! > this.ctx.confirmations ? latest.number! - this.ctx.confirmations : 0n;
    if (n === latest.number) return latest;
    const key = `${chain.chainId}:${n}`;
    let p = this.#at.get(key);
    if (!p) {
      p = chain.client.getBlock({ blockNumber: n }) as Promise<Block>;
      this.#at.set(key, p);
      p.catch(() => this.#at.delete(key));
    }
    return p;
  }
}

const read = <T>(
  chain: AttesterChain,
  functionName: string,
  args: readonly unknown[] = [],
  blockNumber?: bigint,
): Promise<T> =>
  chain.client.readContract({
    address: chain.bridge,
    abi: crossChainBridgeAbi,
    functionName,
    args,
    blockNumber,
  } as never) as Promise<T>;

export type Verdict =
  | { ok: true; src: AttesterChain; dst: AttesterChain }
  | { ok: false; outcome: "refused" | "settled" | "wait"; code: string; reason: string };

const refuse = (code: string, reason: string): Verdict => ({ ok: false, outcome: "refused", code, reason });

/**
 * Checks a request (as a `BridgeInitiated` log reported it) against the configuration and the source chain.
 * `refused`: it does not exist on chain or does not match — nothing may be signed for it; `settled`: the source
 * refunded it already; `wait`: it is not CONFIRMATIONS deep on the source yet.
 */
export async function verifyRequest(
  ctx: Pick<AttesterContext, "chains" | "confirmations">,
  request: BridgeRequest,
  requestId: Hex,
  heads: Heads = new Heads(ctx),
): Promise<Verdict> {
  const id = bridgeRequestId(request);
  if (id !== requestId.toLowerCase())
    return refuse("id-mismatch", `request id ${requestId} is not keccak256(abi.encode(request)) = ${id}`);
  const src = ctx.chains.get(Number(request.srcChainId));
  if (!src) return refuse("unknown-source-chain", `source chain ${request.srcChainId} is not in CHAINS`);
  if (getAddress(request.srcBridge) !== src.bridge)
    return refuse(
      "wrong-source-bridge",
      `srcBridge ${request.srcBridge} is not chain ${src.chainId}'s CrossChainBridge ${src.bridge}`,
    );
  const dst = ctx.chains.get(Number(request.dstChainId));
  if (!dst)
    return refuse("unknown-destination-chain", `destination chain ${request.dstChainId} is not in CHAINS`);
  if (dst.chainId === src.chainId)
    return refuse("same-chain", `source and destination are both ${src.chainId}`);
  if (getAddress(request.dstBridge) !== dst.bridge)
    return refuse(
      "wrong-destination-bridge",
      `dstBridge ${request.dstBridge} is not chain ${dst.chainId}'s CrossChainBridge ${dst.bridge}`,
    );
  const onChainId = await read<Hex>(src, "hashRequest", [request]);
  if (onChainId.toLowerCase() !== id)
    return refuse("hash-mismatch", `the source bridge hashes the request to ${onChainId}, not ${id}`);

  const latest = await heads.latest(src);
  const safe = await heads.safe(src);
  const statusNow = await read<number>(src, "requestStatus", [id], latest.number!);
  if (statusNow === Status.Refunded)
    return { ok: false, outcome: "settled", code: "refunded", reason: "refunded on the source" };
  const statusSafe =
    safe.number === latest.number ? statusNow : await read<number>(src, "requestStatus", [id], safe.number!);
  if (statusSafe === Status.Initiated) return { ok: true, src, dst };
  if (statusNow === Status.Initiated)
    return {
      ok: false,
      outcome: "wait",
      code: "not-confirmed",
      reason: `initiated, but not ${ctx.confirmations} blocks deep yet on chain ${src.chainId}`,
    };
  return refuse(
    statusSafe === Status.None ? "not-initiated" : "unexpected-status",
    `the source bridge on chain ${src.chainId} has status ${statusSafe} for it at block ${safe.number} ` +
      `(expected ${Status.Initiated} = Initiated): it does not exist on chain`,
  );
}

/** One tick: read new logs on every chain, decide every open request, publish what is not acknowledged. */
export function runOnce(ctx: AttesterContext): Promise<void> {
  return trackRun(ctx, async () => {
    const heads = new Heads(ctx);
    // Catch up the watchers to the current heads, so a tick sees every request up to now.
    for (const chain of ctx.chains.values())
      if (chain.watcher) await chain.watcher.catchUp((await heads.latest(chain)).number!);
    const rows = ctx.records.openRequests();
    let failed: unknown;
    for (const row of rows) {
      try {
        await considerRequest(ctx, row, heads);
      } catch (error) {
        failed ??= error;
        ctx.log.warn("request check failed; will retry on the next tick", {
          requestId: row.requestId,
          error: describeError(error),
        });
      }
    }
    ctx.attesterMetrics.openRequests.set(ctx.records.openRequests().length);
    await flushOutbox(ctx);
    if (failed) throw failed;
  });
}

function wait(ctx: AttesterContext, row: AttesterRequestRow, note: string, fields: object = {}): void {
  if (ctx.records.note(row.requestId, note)) ctx.log.info(note, { requestId: row.requestId, ...fields });
}

/** Decides one open request: refuse, settle, wait, or sign (completion or refund). */
export async function considerRequest(
  ctx: AttesterContext,
  row: AttesterRequestRow,
  heads: Heads = new Heads(ctx),
): Promise<void> {
  const request = requestFromJson(row.request);
  const requestId = row.requestId as Hex;
  const seenOn = ctx.chains.get(row.seenOnChainId);
  if (seenOn) {
    const latest = await heads.latest(seenOn);
    if (latest.number! - BigInt(row.blockNumber) < ctx.confirmations)
      return wait(ctx, row, "waiting for confirmations", {
        blockNumber: row.blockNumber,
        confirmations: ctx.confirmations,
      });
  }
  const verdict = await verifyRequest(ctx, request, requestId, heads);
  if (!verdict.ok) {
    if (verdict.outcome === "wait") return wait(ctx, row, verdict.reason);
    if (verdict.outcome === "settled") {
      ctx.records.close(requestId, "settled", verdict.reason);
      ctx.log.info("request settled", { requestId, reason: verdict.reason });
      return;
    }
    ctx.records.close(requestId, "refused", `${verdict.code}: ${verdict.reason}`);
    ctx.attesterMetrics.refused.inc({ code: verdict.code });
    ctx.log.warn("request refused: nothing signed", {
      requestId,
      code: verdict.code,
      reason: verdict.reason,
    });
    return;
  }
  const { src, dst } = verdict;
  const dstLatest = await heads.latest(dst);
  const dstStatus = await read<number>(dst, "requestStatus", [requestId], dstLatest.number!);
  if (dstStatus === Status.Completed) {
    ctx.records.close(requestId, "settled", `completed on chain ${dst.chainId}`);
    ctx.log.info("request settled", { requestId, reason: `completed on chain ${dst.chainId}` });
    return;
  }

  // Completion: only while the destination's clock leaves more than the margin, and never after a refund.
  const remaining = request.deadline - dstLatest.timestamp;
  if (remaining > ctx.signMarginSeconds && !ctx.records.hasSignature(requestId, "refund")) {
    const acceptsSource = await read<Address>(dst, "remoteBridge", [BigInt(src.chainId)], dstLatest.number!);
    if (getAddress(acceptsSource) !== src.bridge)
      return wait(ctx, row, `the destination does not accept bridge ${src.bridge} of chain ${src.chainId}`);
    await signIfValidator(ctx, row, "completion", request, dst, dstLatest.number!);
    return;
  }

  // Refund: once no block of the destination can complete it (its safe block is past the deadline).
  const dstSafe = await heads.safe(dst);
  if (dstSafe.timestamp <= request.deadline)
    return wait(ctx, row, "deadline near: no completion signed; waiting for it to pass on the destination", {
      deadline: request.deadline,
      destinationTime: dstLatest.timestamp,
    });
  const safeStatus =
    dstSafe.number === dstLatest.number
      ? dstStatus
      : await read<number>(dst, "requestStatus", [requestId], dstSafe.number!);
  if (safeStatus === Status.Completed) return; // impossible while the latest is not; re-read next tick
  await signIfValidator(ctx, row, "refund", request, src, (await heads.latest(src)).number!);
}

/** Signs `kind` for the verifying chain's current set version, once, if this key is in that set. */
async function signIfValidator(
  ctx: AttesterContext,
  row: AttesterRequestRow,
  kind: AttestationKind,
  request: BridgeRequest,
  verifier: AttesterChain,
  blockNumber: bigint,
): Promise<void> {
  const requestId = row.requestId as Hex;
  const version = await read<bigint>(verifier, "validatorSetVersion", [], blockNumber);
  if (ctx.records.getSignature(requestId, kind, version))
    return wait(ctx, row, `${kind} signed (set ${version})`);
  const member = await read<boolean>(verifier, "isValidator", [ctx.account.address], blockNumber);
  if (!member)
    return wait(ctx, row, `not in chain ${verifier.chainId}'s validator set ${version}: no ${kind} signed`, {
      validator: ctx.account.address,
    });
  const digest = attestationDigest(kind, request, version);
  const fields = {
    requestId,
    kind,
    validatorSetVersion: version,
    chainId: verifier.chainId,
    verifyingContract: verifier.bridge,
    digest,
    amount: request.amount,
    deadline: request.deadline,
  };
  if (ctx.dryRun) {
    const key = `${requestId}:${kind}:${version}`;
    if (!ctx.dryRunLogged.has(key)) {
      ctx.dryRunLogged.add(key);
      ctx.attesterMetrics.wouldSign.inc({ kind });
      ctx.log.info(`dry run: would sign the ${kind}`, fields);
    }
    return;
  }
  const signature = await ctx.account.signTypedData(attestationTypedData(kind, request, version) as never);
  const attestation = attestationToJson({
    kind,
    requestId,
    request,
    validatorSetVersion: version,
    signer: ctx.account.address,
    signature,
  });
  ctx.records.insertSignature(
    {
      requestId,
      kind,
      validatorSetVersion: version,
      chainId: verifier.chainId,
      verifyingContract: verifier.bridge,
      signer: ctx.account.address,
      digest,
      signature,
      attestation: JSON.stringify(attestation),
    },
    ctx.relayers,
  );
  ctx.records.note(requestId, `${kind} signed (set ${version})`);
  ctx.attesterMetrics.signatures.inc({ kind });
  ctx.log.info(`signed the ${kind}`, fields);
}

/** POSTs every due delivery; a 2xx acknowledges it, anything else is retried after a doubling pause. */
export async function flushOutbox(ctx: AttesterContext): Promise<void> {
  if (ctx.dryRun) return;
  const due = ctx.records.dueDeliveries(Date.now(), ctx.relayers);
  await Promise.all(
    due.map(async ({ delivery, signature }) => {
      const url = `${delivery.relayerUrl}/attestations`;
      let error: string | undefined;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: signature.attestation,
          signal: AbortSignal.timeout(ctx.relayerTimeoutMs),
        });
        const text = await response.text().catch(() => "");
        if (!response.ok) error = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        error = cause ?? describeError(e).message;
      }
      if (error === undefined) {
        ctx.records.acked(delivery.signatureId, delivery.relayerUrl);
        ctx.attesterMetrics.deliveries.inc({ result: "ok" });
        ctx.log.info("attestation delivered", {
          requestId: signature.requestId,
          kind: signature.kind,
          relayer: delivery.relayerUrl,
        });
        return;
      }
      const attempts = delivery.attempts + 1;
      const pause = Math.min(ctx.relayerRetryMs * 2 ** Math.min(attempts - 1, 30), ctx.relayerRetryMaxMs);
      ctx.records.deliveryFailed(delivery.signatureId, delivery.relayerUrl, error, Date.now() + pause);
      ctx.attesterMetrics.deliveries.inc({ result: "error" });
      ctx.log.warn("relayer did not acknowledge; will retry", {
        requestId: signature.requestId,
        kind: signature.kind,
        relayer: delivery.relayerUrl,
        attempts,
        retryInMs: pause,
        error,
      });
    }),
  );
  ctx.attesterMetrics.outboxPending.set(ctx.records.pendingDeliveries());
}
