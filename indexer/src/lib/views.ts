import { decodeErrorResult, type Abi, type Hex } from "viem";
import { computePriceOracleAbi } from "../../../generated/abis";

// Reading a contract's views at an event's block, where a revert is an answer rather than a failure: the portfolio
// manager's and the coordinator's valuations price through the time-weighted oracle, which fails closed (too little
// history, a stale observation, a move beyond its band, an idle pool). Such a view's revert is recorded (null value,
// the decoded error) and indexing goes on; any other failure (the RPC down, a timeout) is thrown so that Ponder
// retries or stops, never recording a null that only means "could not ask".

/** A view's answer at a block: its value, or the revert that replaced it. */
export type Reading<T> = { value: T; error: null } | { value: null; error: string };

/** Errors the oracle raises, bubbled up unchanged through a valuation; decoded by name when the caller's ABI lacks them. */
const oracleErrors = computePriceOracleAbi.filter((item) => item.type === "error") as Abi;

type Revert = {
  name: string;
  data?: { errorName: string; args?: readonly unknown[] };
  raw?: Hex;
  reason?: string;
  signature?: Hex;
};

/** The viem ContractFunctionRevertedError inside `error`, if the call reverted (matched by name: one viem, many bundles). */
function findRevert(error: unknown): Revert | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 10; depth++) {
    if ((current as Error).name === "ContractFunctionRevertedError") return current as Revert;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

const showArg = (value: unknown) => (typeof value === "bigint" ? value.toString() : String(value));

/** `ErrorName(arg, …)` of a revert: decoded by the caller's ABI, else by the oracle's errors, else its selector. */
export function describeRevert(revert: Revert): string {
  if (revert.data) return `${revert.data.errorName}(${(revert.data.args ?? []).map(showArg).join(", ")})`;
  if (revert.raw && revert.raw !== "0x") {
    try {
      const { errorName, args } = decodeErrorResult({ abi: oracleErrors, data: revert.raw });
      return `${errorName}(${(args ?? []).map(showArg).join(", ")})`;
    } catch {
      return `unknown error ${revert.raw.slice(0, 10)}`;
    }
  }
  if (revert.reason) return revert.reason;
  if (revert.signature) return `unknown error ${revert.signature}`;
  return "reverted without data";
}

/** Runs one view call; a revert becomes `{ value: null, error: "<view>: ErrorName(args)" }`, anything else throws. */
export async function readView<T>(view: string, read: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { value: await read(), error: null };
  } catch (error) {
    const revert = findRevert(error);
    if (!revert) throw error;
    return { value: null, error: `${view}: ${describeRevert(revert)}` };
  }
}

/** The errors of several readings, `; `-separated, or null when every view answered. */
export const readErrors = (...readings: Reading<unknown>[]) => {
  const errors = readings.flatMap((r) => (r.error === null ? [] : [r.error]));
  return errors.length === 0 ? null : errors.join("; ");
};

/** (oracle − actual) / oracle in bps as a float: the shortfall against the time-weighted price, negative if beaten. */
export const lossBps = (amountOut: bigint, oracleAmountOut: bigint) =>
  oracleAmountOut === 0n ? null : (Number(oracleAmountOut - amountOut) * 10_000) / Number(oracleAmountOut);
