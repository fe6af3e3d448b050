import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  HttpRequestError,
  RpcRequestError,
  TimeoutError,
  encodeErrorResult,
} from "viem";
import { describe, expect, it } from "vitest";
import { aiServiceAmmAbi } from "../../../generated/abis.js";
import { classifyTxError, shortReason } from "./errors.js";
import { bumpFees } from "./fees.js";

// Errors as viem builds them from a node's JSON-RPC error (the messages are anvil's and geth's).
const nodeError = (message: string, code = -32000) =>
  new RpcRequestError({ body: {}, url: "http://node", error: { code, message } });

describe("classifyTxError", () => {
  it.each([
    ["transaction already imported", "already-known"],
    ["already known", "already-known"],
    ["nonce too low", "nonce-used"],
    ["replacement transaction underpriced", "underpriced"],
    ["max fee per gas less than block base fee", "underpriced"],
    ["insufficient funds for gas * price + value", "fatal"],
    ["intrinsic gas too low", "fatal"],
    ["execution reverted", "fatal"],
    ["nonce too high", "retryable"],
    ["header not found", "retryable"],
  ] as const)("%s → %s", (message, kind) => {
    expect(classifyTxError(nodeError(message))).toBe(kind);
  });

  it("treats transport failures as retryable", () => {
    expect(classifyTxError(new HttpRequestError({ url: "http://node", status: 502 }))).toBe("retryable");
    expect(classifyTxError(new TimeoutError({ body: {}, url: "http://node" }))).toBe("retryable");
    expect(classifyTxError(new TypeError("fetch failed"))).toBe("retryable");
  });

  it("treats a contract revert as fatal and names the custom error", () => {
    const revert = new ContractFunctionRevertedError({
      abi: aiServiceAmmAbi,
      functionName: "setFee",
      data: encodeErrorResult({ abi: aiServiceAmmAbi, errorName: "FeeUpdateTooSoon", args: [1_234n] }),
    });
    const wrapped = new ContractFunctionExecutionError(revert, {
      abi: aiServiceAmmAbi,
      functionName: "setFee",
      args: [0n, 3_500],
    });
    expect(classifyTxError(wrapped)).toBe("fatal");
    expect(shortReason(wrapped)).toBe("reverted: FeeUpdateTooSoon(1234)");
  });

  it("calls anything it does not recognise fatal", () => {
    expect(classifyTxError(new Error("something odd"))).toBe("fatal");
  });
});

describe("bumpFees", () => {
  it("raises both fees by at least 12.5 %", () => {
    const bumped = bumpFees(
      { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n },
      { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
      1250n,
    );
    expect(bumped).toEqual({ maxFeePerGas: 1_125n, maxPriorityFeePerGas: 113n }); // 112.5 rounded up
  });

  it("follows the market when it moved more than the bump", () => {
    const bumped = bumpFees(
      { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n },
      { maxFeePerGas: 5_000n, maxPriorityFeePerGas: 50n },
      1250n,
    );
    expect(bumped).toEqual({ maxFeePerGas: 5_000n, maxPriorityFeePerGas: 113n });
  });

  it("never lets the cap fall below the tip, and moves off zero", () => {
    expect(
      bumpFees(
        { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
        { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
        1250n,
      ),
    ).toEqual({
      maxFeePerGas: 1n,
      maxPriorityFeePerGas: 1n,
    });
  });
});
