// How the indexer reads a valuation that may fail closed (src/lib/views.ts): a revert becomes a null reading with
// the decoded error — the oracle's errors decoded even when the calling contract's ABI lacks them — and anything else
// (the RPC down) is thrown so that Ponder retries instead of recording a null.
import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  HttpRequestError,
  type Abi,
} from "viem";
import { describe, expect, it } from "vitest";
import { computePriceOracleAbi, multiAgentCoordinatorAbi } from "../../generated/abis";
import { lossBps, readErrors, readView } from "../src/lib/views";

/** What viem throws when `functionName` of a contract with `abi` reverts with `data`. */
const revertOf = (abi: Abi, data: `0x${string}`, functionName = "netAssetValue") =>
  new ContractFunctionExecutionError(new ContractFunctionRevertedError({ abi, data, functionName }), {
    abi,
    functionName,
    args: [0n],
  });

const stale = encodeErrorResult({
  abi: computePriceOracleAbi,
  errorName: "StaleObservation",
  args: [3n, 3_605n, 1_800n],
});

describe("readView", () => {
  it("returns the value of a view that answers", async () => {
    expect(await readView("netAssetValue", async () => [5n, [5n]] as const)).toEqual({
      value: [5n, [5n]],
      error: null,
    });
  });

  it("turns an oracle revert bubbled through another contract into a null reading naming the oracle's error", async () => {
    // The coordinator's ABI does not declare the oracle's errors: viem cannot decode them, the indexer does.
    const reading = await readView("netAssetValue", async () => {
      throw revertOf(multiAgentCoordinatorAbi as Abi, stale);
    });
    expect(reading).toEqual({ value: null, error: "netAssetValue: StaleObservation(3, 3605, 1800)" });
  });

  it("uses the caller's own decoding when its ABI knows the error", async () => {
    const data = encodeErrorResult({
      abi: multiAgentCoordinatorAbi,
      errorName: "UnknownConsortium",
      args: [7n],
    });
    const reading = await readView("netAssetValue", async () => {
      throw revertOf(multiAgentCoordinatorAbi as Abi, data);
    });
    expect(reading).toEqual({ value: null, error: "netAssetValue: UnknownConsortium(7)" });
  });

  it("names an error nobody declares by its selector", async () => {
    const reading = await readView("portfolioValue", async () => {
      throw revertOf(multiAgentCoordinatorAbi as Abi, "0xdeadbeef");
    });
    expect(reading).toEqual({ value: null, error: "portfolioValue: unknown error 0xdeadbeef" });
  });

  it("throws anything that is not a revert (an RPC failure must not be recorded as null)", async () => {
    const failure = new HttpRequestError({ url: "http://127.0.0.1:1", details: "connection refused" });
    await expect(
      readView("netAssetValue", async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });

  it("joins the errors of several readings, or gives null when every view answered", () => {
    expect(
      readErrors(
        { value: 1n, error: null },
        { value: null, error: "a: X()" },
        { value: null, error: "b: Y()" },
      ),
    ).toBe("a: X(); b: Y()");
    expect(readErrors({ value: 1n, error: null })).toBeNull();
  });
});

describe("lossBps", () => {
  it("is the shortfall against the oracle in bps, negative when the trade beat it, null without an oracle amount", () => {
    expect(lossBps(990n, 1_000n)).toBe(100);
    expect(lossBps(1_010n, 1_000n)).toBe(-100);
    expect(lossBps(5n, 0n)).toBeNull();
  });
});
