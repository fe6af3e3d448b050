import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  LimitExceededRpcError,
  ResourceUnavailableRpcError,
  SocketClosedError,
  TimeoutError,
} from "viem";
import { KeeperError } from "../errors.js";

/**
 * What to do about an error from the node, in the spirit of the Across relayer's transaction client:
 * - `already-known`: the node has this very transaction — treat it as broadcast;
 * - `nonce-used`: the nonce is taken — look for our receipt; if none, another transaction took it;
 * - `underpriced`: the node wants higher fees (replacement underpriced, fee cap below base fee) — bump;
 * - `retryable`: the endpoint or network failed (timeout, rate limit, connection) — try again later;
 * - `fatal`: the transaction itself is wrong (reverts, insufficient funds, bad gas) — retrying the same
 *   thing cannot help.
 */
export type TxErrorKind = "already-known" | "nonce-used" | "underpriced" | "retryable" | "fatal";

const patterns: [TxErrorKind, RegExp][] = [
  [
    "already-known",
    /already known|known transaction|already imported|transaction already exists|AlreadyKnown/i,
  ],
  ["nonce-used", /nonce too low|nonce has already been used|nonce is too low|OldNonce|invalid nonce/i],
  [
    "underpriced",
    /underpriced|fee cap less than block base fee|max fee per gas less than block base fee|fee too low|FeeCapTooLow|gas price too low/i,
  ],
  [
    "retryable",
    /timeout|timed out|rate limit|too many requests|ECONNREFUSED|ECONNRESET|EAI_AGAIN|fetch failed|socket hang up|header not found|nonce too high|service unavailable|bad gateway|gateway timeout/i,
  ],
  [
    "fatal",
    /insufficient funds|exceeds transaction sender account balance|intrinsic gas too (low|high)|execution reverted|reverted|exceeds block gas limit|tip above fee cap|transaction type not (valid|supported)|invalid sender|invalid signature/i,
  ],
];

/** All the text an error chain carries: messages, short messages and node details. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 10; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      const e = current as { shortMessage?: string; details?: string };
      if (e.shortMessage) parts.push(e.shortMessage);
      if (e.details) parts.push(e.details);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" | ");
}

export function classifyTxError(error: unknown): TxErrorKind {
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof ContractFunctionRevertedError)) return "fatal";
  }
  const text = errorText(error);
  for (const [kind, pattern] of patterns) if (pattern.test(text)) return kind;
  if (error instanceof BaseError) {
    const transient = error.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof TimeoutError ||
        e instanceof SocketClosedError ||
        e instanceof LimitExceededRpcError ||
        e instanceof ResourceUnavailableRpcError,
    );
    if (transient) return "retryable";
  }
  if (error instanceof TypeError && /fetch/i.test(error.message)) return "retryable";
  return "fatal";
}

/** The one-line reason of an error, for logs and the store (never the full request dump). */
export function shortReason(error: unknown): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError) as
      ContractFunctionRevertedError | undefined;
    if (revert?.data?.errorName)
      return `reverted: ${revert.data.errorName}(${(revert.data.args ?? []).map(String).join(", ")})`;
    if (revert) return `reverted: ${revert.reason ?? revert.shortMessage}`;
    const details = (error as { details?: string }).details;
    return details ? `${error.shortMessage} (${details})` : error.shortMessage;
  }
  if (error instanceof Error) return error.message.split("\n")[0]!;
  return String(error);
}

/** Simulation of a write reverted or failed: nothing was signed or sent. */
export class TxSimulationError extends KeeperError {
  override name = "TxSimulationError";
  constructor(intentId: string, cause: unknown) {
    const kind = classifyTxError(cause);
    super(`simulation of ${intentId} failed: ${shortReason(cause)}`, {
      cause,
      retryable: kind === "retryable",
    });
  }
}

/** The node refused a transaction for a reason more fees or waiting cannot fix. */
export class TxRejectedError extends KeeperError {
  override name = "TxRejectedError";
  constructor(intentId: string, cause: unknown) {
    super(`transaction of ${intentId} rejected: ${shortReason(cause)}`, { cause, retryable: false });
  }
}
