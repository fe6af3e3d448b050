/**
 * Differential test of `src/libraries/BlackScholes.sol` against an independent 100-digit reference
 * (`scripts/lib/highPrecisionNormal.ts`): the real compiled bytecode of the test harness
 * (`test/derivatives/BlackScholesHarness.sol`) runs on a fresh anvil, and every price, delta and CDF value over
 * the graded grid is compared with the reference. Goal: every price within 1e-12 of spot.
 *
 * The harness's ABI and bytecode are read from forge's artifact (`out/`, written by `make build` / `forge build`)
 * rather than from the generated ABI module: the harness is test code, and the module is what keepers and the
 * indexer import.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { createPublicClient, createWalletClient, http, type Abi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startAnvil, type Anvil } from "../scripts/lib/anvil.js";
import { anvilKeys, repoRoot } from "../scripts/lib/foundry.js";
import { blackScholes, fromWad, normalCdf, SCALE, toNumber } from "../scripts/lib/highPrecisionNormal.js";

const WAD = 10n ** 18n;
const GOAL = 1e-12;
const BATCH = 400;

const artifactPath = path.join(repoRoot, "out", "BlackScholesHarness.sol", "BlackScholesHarness.json");

type Option = { spot: bigint; strike: bigint; timeSeconds: bigint; volatilityWad: bigint; rateWad: bigint };

/** wad from a decimal string, exactly. */
function wad(decimal: string): bigint {
  const [whole, fraction = ""] = decimal.split(".");
  return BigInt(whole) * WAD + BigInt(fraction.padEnd(18, "0"));
}

const spots = [wad("1"), 3_700_000_000_000_000n, wad("2500")];
const volatilities = ["0.2", "0.3", "0.5", "0.8", "1", "1.5", "2", "3"].map(wad);
const times = [
  3_600,
  6 * 3_600,
  86_400,
  7 * 86_400,
  30 * 86_400,
  91 * 86_400,
  182 * 86_400,
  365 * 86_400,
].map(BigInt);
const moneyness = ["0.5", "0.6", "0.75", "0.9", "0.95", "1", "1.05", "1.1", "1.25", "1.5", "1.75", "2"].map(
  wad,
);
const rates = [0n, wad("0.05")];

const grid: Option[] = spots.flatMap((spot) =>
  volatilities.flatMap((volatilityWad) =>
    times.flatMap((timeSeconds) =>
      moneyness.flatMap((m) =>
        rates.map((rateWad) => ({ spot, strike: (spot * m) / WAD, timeSeconds, volatilityWad, rateWad })),
      ),
    ),
  ),
);

let anvil: Anvil;
let harness: Address;
let abi: Abi;
let read: (functionName: string, args: unknown[]) => Promise<unknown>;

beforeAll(async () => {
  let artifact: { abi: Abi; bytecode: { object: Hex } };
  try {
    artifact = JSON.parse(readFileSync(artifactPath, "utf8"));
  } catch (cause) {
    throw new Error(`no forge artifact at ${artifactPath}: run \`make build\` (forge build) first`, {
      cause,
    });
  }
  abi = artifact.abi;
  anvil = await startAnvil({ accounts: 1 });
  const account = privateKeyToAccount(anvilKeys[0]);
  const transport = http(anvil.rpcUrl);
  const chain = { ...foundry, id: anvil.chainId };
  const wallet = createWalletClient({ account, chain, transport });
  const client = createPublicClient({ chain, transport });
  const hash = await wallet.deployContract({ abi, bytecode: artifact.bytecode.object });
  const receipt = await client.waitForTransactionReceipt({ hash });
  harness = receipt.contractAddress!;
  read = (functionName, args) =>
    client.readContract({ address: harness, abi, functionName, args, gas: 90_000_000n } as never);
});

afterAll(async () => {
  await anvil?.stop();
});

describe("BlackScholes against a 100-digit reference", () => {
  test(`prices and deltas over the grid (${grid.length} options, calls and puts) are within 1e-12 of spot`, async () => {
    let worst = { error: 0, option: grid[0], side: "call" };
    let worstDelta = 0;
    for (let start = 0; start < grid.length; start += BATCH) {
      const batch = grid.slice(start, start + BATCH);
      const [calls, puts, deltas] = (await read("batchPrices", [batch])) as [bigint[], bigint[], bigint[]];
      batch.forEach((option, i) => {
        const reference = blackScholes({
          spot: option.spot,
          strike: option.strike,
          timeSeconds: option.timeSeconds,
          volatility: option.volatilityWad,
          rate: option.rateWad,
        });
        const spot = fromWad(option.spot);
        for (const [side, got, want] of [
          ["call", calls[i], reference.call],
          ["put", puts[i], reference.put],
        ] as const) {
          const error = Math.abs(toNumber(((fromWad(got) - want) * SCALE) / spot));
          if (error > worst.error) worst = { error, option, side };
        }
        worstDelta = Math.max(worstDelta, Math.abs(toNumber(fromWad(deltas[i]) - reference.callDelta)));
      });
    }
    const o = worst.option;
    console.log(
      `BlackScholes: largest price error ${worst.error.toExponential(3)} × spot over ${grid.length} options ` +
        `(a ${worst.side}: spot ${o.spot}, strike ${o.strike}, ${o.timeSeconds} s, σ ${o.volatilityWad}, ` +
        `r ${o.rateWad}); largest call-delta error ${worstDelta.toExponential(3)}`,
    );
    expect(worst.error).toBeLessThanOrEqual(GOAL);
    expect(worstDelta).toBeLessThanOrEqual(GOAL);
  });

  test("prices stay within 1e-12 of spot + 1e-16 of strike + 2 wei, and within their bounds, at the domain's edges", async () => {
    // beyond the graded grid: volatility 0.01 %–1,000 %, 1 second–4 years, strike/spot 1e-6–1e6, r up to 100 %
    const edge: Option[] = [];
    for (const spot of [1_000_000n, wad("1"), wad("1000000000")])
      for (const volatilityWad of ["0.0001", "0.05", "1", "10"].map(wad))
        for (const timeSeconds of [1n, 60n, 86_400n, 4n * 365n * 86_400n])
          for (const m of ["0.000001", "0.01", "0.999", "1", "1.001", "100", "1000000"].map(wad))
            for (const rateWad of [0n, wad("0.05"), wad("1")])
              edge.push({ spot, strike: (spot * m) / WAD, timeSeconds, volatilityWad, rateWad });
    let worst = { error: 0, option: edge[0] };
    let worstWei = 0;
    for (let start = 0; start < edge.length; start += BATCH) {
      const batch = edge.slice(start, start + BATCH);
      const [calls, puts] = (await read("batchPrices", [batch])) as [bigint[], bigint[], bigint[]];
      batch.forEach((option, i) => {
        const reference = blackScholes({
          spot: option.spot,
          strike: option.strike,
          timeSeconds: option.timeSeconds,
          volatility: option.volatilityWad,
          rate: option.rateWad,
        });
        expect(calls[i]).toBeLessThanOrEqual(option.spot);
        expect(puts[i]).toBeLessThanOrEqual(option.strike);
        const spot = fromWad(option.spot);
        for (const [got, want] of [
          [calls[i], reference.call],
          [puts[i], reference.put],
        ]) {
          // The CDF's error (≤ 4.4e-17) is weighed by S + K·e^(−rT): with strike a million times spot that is more
          // than 1e-12 of spot, and at a spot of a million wei one wei is 1e-6 of it. The bound here is the
          // library's stated one: 1e-12 of spot plus 1e-16 of strike plus two wei.
          const wei = Math.abs(toNumber(fromWad(got) - want)) * 1e18;
          const error = Math.abs(toNumber(((fromWad(got) - want) * SCALE) / spot));
          if (error > worst.error) worst = { error, option };
          worstWei = Math.max(worstWei, wei);
          expect(wei).toBeLessThanOrEqual(Number(option.spot) * GOAL + Number(option.strike) * 1e-16 + 2);
        }
      });
    }
    const o = worst.option;
    console.log(
      `BlackScholes at the domain's edges (${edge.length} options): largest absolute error ` +
        `${worstWei.toFixed(0)} wei; largest relative to spot ${worst.error.toExponential(3)} (spot ${o.spot}, strike ${o.strike}, ${o.timeSeconds} s, σ ${o.volatilityWad}, ` +
        `r ${o.rateWad})`,
    );
  });

  test("normalCdf over [−10, 10] is within 1e-16 of the reference", async () => {
    // steps of 0.005, plus points that are not round numbers
    const xs: bigint[] = [];
    for (let i = -2_000; i <= 2_000; i++) xs.push(BigInt(i) * 5n * 10n ** 15n);
    for (let i = 0; i < 400; i++)
      xs.push(BigInt(Math.round((Math.sin(i) * 9 + Math.cos(3 * i)) * 1e15)) * 1000n + 7n);
    let worst = { error: 0, x: 0n };
    for (let start = 0; start < xs.length; start += 2_000) {
      const batch = xs.slice(start, start + 2_000);
      const ns = (await read("batchNormalCdf", [batch])) as bigint[];
      batch.forEach((x, i) => {
        const error = Math.abs(toNumber(fromWad(ns[i]) - normalCdf(fromWad(x))));
        if (error > worst.error) worst = { error, x };
      });
    }
    console.log(
      `normalCdf: largest absolute error ${worst.error.toExponential(3)} at x = ${toNumber(fromWad(worst.x))}`,
    );
    expect(worst.error).toBeLessThanOrEqual(1e-16);
  });
});
