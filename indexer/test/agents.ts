// The market the portfolio and consortium scenarios trade in: a chain with the whole protocol deployed by the real
// deploy script, two AMM pools pricing GPUH and LLMT in AITBC (the base token of every portfolio and consortium
// here), and the ComputePriceOracle kept fed — one small swap per pool and one observation per oracle period — so
// that its time-weighted prices stay fresh. Also: reading a view the way the indexer must (null where it reverts,
// with the decoded error), and the oracle's checks. Every expectation is read from the chain.
import { decodeErrorResult, type Abi, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { expect } from "vitest";
import type { Indexer } from "../lib/start";
import { e18, FAR_DEADLINE, startProtocolChain, type ProtocolChain } from "./protocol";
import { graphqlQuery } from "./scenario";

export type Target = { address: Address; abi: Abi };

export type Market = {
  chain: ProtocolChain;
  deployer: PrivateKeyAccount;
  alice: PrivateKeyAccount;
  bob: PrivateKeyAccount;
  carol: PrivateKeyAccount;
  dave: PrivateKeyAccount;
  tokens: { AITBC: Address; GPUH: Address; LLMT: Address };
  amm: Target;
  oracle: Target;
  manager: Target;
  coordinator: Target;
  token: (address: Address) => Target;
  /** AMM pools AITBC/GPUH and AITBC/LLMT. */
  pools: { gpuh: bigint; llmt: bigint };
  /** The oracle's averaging window and observation period, seconds. */
  window: number;
  period: number;
  maxMoveBps: number;
  /** One oracle period later: a small swap in each pool (so none goes idle), then an observation of each. */
  tick: () => Promise<void>;
  /** Ticks until `seconds` of chain time have passed. */
  advance: (seconds: number) => Promise<void>;
  /** Moves chain time into the next oracle period (a few seconds past its start). */
  nextPeriod: () => Promise<void>;
  /** Ticks until the oracle holds a full window of observations (its prices answer). */
  warmOracle: () => Promise<void>;
  /** The oracle's time-weighted price of 1e18 raw units of `asset` in AITBC (what stop orders compare with). */
  priceOf: (asset: Address) => Promise<bigint>;
};

/**
 * Deploys, funds five accounts, creates and seeds the two pools (1 000 000 AITBC against 1 000 000 GPUH and
 * against 2 000 000 LLMT) and approves the AMM, the portfolio manager and the coordinator for everyone. The oracle
 * is not warmed yet: a valuation made now fails closed.
 */
export async function startMarket(chainId: number): Promise<Market> {
  const chain = await startProtocolChain(chainId);
  try {
    const { abis, deployment } = chain;
    const [deployer, alice, bob, carol, dave] = chain.accounts as [
      PrivateKeyAccount,
      PrivateKeyAccount,
      PrivateKeyAccount,
      PrivateKeyAccount,
      PrivateKeyAccount,
    ];
    const tokens = {
      AITBC: deployment.contracts.AITBC,
      GPUH: deployment.contracts.GPUH,
      LLMT: deployment.contracts.LLMT,
    };
    const amm = { address: deployment.contracts.AIServiceAMM, abi: abis.aiServiceAmmAbi as Abi };
    const oracle = {
      address: deployment.contracts.ComputePriceOracle,
      abi: abis.computePriceOracleAbi as Abi,
    };
    const manager = {
      address: deployment.contracts.AgentPortfolioManager,
      abi: abis.agentPortfolioManagerAbi as Abi,
    };
    const coordinator = {
      address: deployment.contracts.MultiAgentCoordinator,
      abi: abis.multiAgentCoordinatorAbi as Abi,
    };
    const token = (address: Address): Target => ({
      address,
      abi: (address === tokens.AITBC ? abis.aitbcAbi : abis.aiServiceTokenAbi) as Abi,
    });
    const MAX = 2n ** 255n;
    const everyone = [deployer, alice, bob, carol, dave];

    // The deployer holds MINTER on local chains.
    await chain.sendMany([
      [deployer, token(tokens.AITBC), "mint", [deployer.address, e18(5_000_000)]],
      [deployer, token(tokens.GPUH), "mint", [deployer.address, e18(5_000_000)]],
      [deployer, token(tokens.LLMT), "mint", [deployer.address, e18(5_000_000)]],
      ...[alice, bob, carol, dave].flatMap((a) =>
        [tokens.AITBC, tokens.GPUH, tokens.LLMT].map(
          (t) =>
            [deployer, token(t), "mint", [a.address, e18(100_000)]] as [
              PrivateKeyAccount,
              Target,
              string,
              unknown[],
            ],
        ),
      ),
    ]);
    await chain.sendMany(
      everyone.flatMap((a) =>
        [tokens.AITBC, tokens.GPUH, tokens.LLMT].flatMap((t) =>
          [amm, manager, coordinator].map(
            (spender) =>
              [a, token(t), "approve", [spender.address, MAX]] as [
                PrivateKeyAccount,
                Target,
                string,
                unknown[],
              ],
          ),
        ),
      ),
    );

    const poolCount = (await chain.client.readContract({ ...amm, functionName: "poolCount" })) as bigint;
    await chain.send(deployer, amm, "createPool", [tokens.AITBC, tokens.GPUH]);
    await chain.send(deployer, amm, "createPool", [tokens.AITBC, tokens.LLMT]);
    const pools = { gpuh: poolCount, llmt: poolCount + 1n };
    for (const [poolId, other, otherAmount] of [
      [pools.gpuh, tokens.GPUH, e18(1_000_000)],
      [pools.llmt, tokens.LLMT, e18(2_000_000)],
    ] as const) {
      const view = (await chain.client.readContract({ ...amm, functionName: "getPool", args: [poolId] })) as {
        token0: Address;
      };
      const [amount0, amount1] =
        view.token0 === tokens.AITBC ? [e18(1_000_000), otherAmount] : [otherAmount, e18(1_000_000)];
      expect([tokens.AITBC, other]).toContain(view.token0);
      await chain.send(deployer, amm, "addLiquidity", [
        poolId,
        amount0,
        amount1,
        0n,
        0n,
        deployer.address,
        FAR_DEADLINE,
      ]);
    }

    const read = async <T>(target: Target, functionName: string, args: readonly unknown[] = []) =>
      (await chain.client.readContract({ ...target, functionName, args } as never)) as T;
    const window = Number(await read<number>(oracle, "window"));
    const period = Number(await read<number>(oracle, "period"));
    const maxMoveBps = Number(await read<number>(oracle, "maxMoveBps"));

    // Into the next oracle period, a few seconds past its start: the oracle keeps one observation per period
    // (slot = timestamp / period), so steps of exactly `period` would drift by the seconds each block adds and, now
    // and then, skip a period — leaving a hole in the window that makes its prices fail closed.
    const nextPeriod = async () => {
      const { timestamp } = await chain.client.getBlock();
      const target = (timestamp / BigInt(period) + 1n) * BigInt(period) + 5n;
      await chain.increaseTime(Number(target - timestamp));
    };
    // Alternating directions keep the prices where they are; 1 token against a million moves them by 1e-6.
    let direction = 0;
    const tick = async () => {
      await nextPeriod();
      direction ^= 1;
      const [inGpuh, inLlmt] = direction ? [tokens.AITBC, tokens.AITBC] : [tokens.GPUH, tokens.LLMT];
      await chain.sendMany([
        [
          deployer,
          amm,
          "swapExactInputSingle",
          [pools.gpuh, inGpuh, e18(1), 0n, deployer.address, FAR_DEADLINE],
        ],
        [
          deployer,
          amm,
          "swapExactInputSingle",
          [pools.llmt, inLlmt, e18(1), 0n, deployer.address, FAR_DEADLINE],
        ],
        [deployer, oracle, "recordMany", [[pools.gpuh, pools.llmt]]],
      ]);
    };
    const market: Market = {
      chain,
      deployer,
      alice,
      bob,
      carol,
      dave,
      tokens,
      amm,
      oracle,
      manager,
      coordinator,
      token,
      pools,
      window,
      period,
      maxMoveBps,
      tick,
      nextPeriod,
      advance: async (seconds) => {
        for (let passed = 0; passed < seconds; passed += period) await tick();
      },
      warmOracle: async () => {
        // A first observation now, then a full window of them one period apart (window / period + 1 in all).
        await chain.send(deployer, oracle, "recordMany", [[pools.gpuh, pools.llmt]]);
        for (let i = 0; i <= window / period + 1; i++) await tick();
      },
      priceOf: async (asset) => {
        const poolId = asset === tokens.GPUH ? pools.gpuh : pools.llmt;
        const [amountOut] = await read<[bigint, Address]>(oracle, "consult", [poolId, asset, e18(1)]);
        return amountOut;
      },
    };
    return market;
  } catch (error) {
    await chain.anvil.stop();
    throw error;
  }
}

// ─── Reading views as the indexer must ───────────────────────────────────────────────────────────────

/** A view's answer at a block, or the name of the error it reverted with (decoded with the oracle's errors too). */
export type ViewResult<T> = { value: T; errorName: null } | { value: null; errorName: string };

/** Reads `functionName` at `blockNumber`; a revert (the oracle failing closed) is returned, anything else thrown. */
export async function readAt<T>(
  market: Market,
  target: Target,
  functionName: string,
  args: readonly unknown[],
  blockNumber: bigint,
): Promise<ViewResult<T>> {
  const abi = [...target.abi, ...market.oracle.abi.filter((item) => item.type === "error")] as Abi;
  try {
    const value = await market.chain.client.readContract({
      address: target.address,
      abi,
      functionName,
      args,
      blockNumber,
    } as never);
    return { value: value as T, errorName: null };
  } catch (error) {
    let current: unknown = error;
    while (current && (current as Error).name !== "ContractFunctionRevertedError") {
      current = (current as { cause?: unknown }).cause;
    }
    if (!current) throw error;
    const revert = current as { data?: { errorName: string }; raw?: Hex; signature?: Hex; reason?: string };
    if (revert.data) return { value: null, errorName: revert.data.errorName };
    if (revert.raw) {
      const { errorName } = decodeErrorResult({ abi, data: revert.raw });
      return { value: null, errorName };
    }
    return { value: null, errorName: revert.reason ?? revert.signature ?? "reverted" };
  }
}

/**
 * Checks an indexed `readError` against the views' results: every reverted view named with its error, and no error
 * when none reverted.
 */
export function expectReadError(
  readError: string | null,
  results: Record<string, ViewResult<unknown>>,
  what: string,
) {
  const failed = Object.entries(results).filter(([, r]) => r.errorName !== null);
  if (failed.length === 0) {
    expect(readError, what).toBeNull();
    return;
  }
  expect(readError, what).not.toBeNull();
  for (const [view, result] of failed) expect(readError, what).toContain(`${view}: ${result.errorName}(`);
  expect(readError!.split("; "), what).toHaveLength(failed.length);
}

export const lower = (a: string) => a.toLowerCase();
export const str = (v: bigint | null | undefined) => (v === null || v === undefined ? null : v.toString());
export const strs = (v: readonly bigint[] | null | undefined) =>
  v === null || v === undefined ? null : v.map(String);

/** (oracle − actual) / oracle × 10 000, as the indexer computes a trade's loss (float, negative when beaten). */
export const expectedLossBps = (amountOut: bigint, oracleAmountOut: bigint) =>
  oracleAmountOut === 0n ? null : (Number(oracleAmountOut - amountOut) * 10_000) / Number(oracleAmountOut);

/** Orders rows by (blockNumber, logIndex). */
export const byLog = <T extends { blockNumber: string | bigint; logIndex: number }>(rows: T[]) =>
  [...rows].sort((a, b) =>
    BigInt(a.blockNumber) === BigInt(b.blockNumber)
      ? a.logIndex - b.logIndex
      : BigInt(a.blockNumber) < BigInt(b.blockNumber)
        ? -1
        : 1,
  );

// ─── The oracle's read models ────────────────────────────────────────────────────────────────────────

/** oracle_observation = the ObservationRecorded logs; oracle_config = the oracle's settings and count. */
export async function checkOracleMatchesChain(indexer: Indexer, market: Market) {
  const { chain, oracle } = market;
  const chainId = chain.anvil.chainId;
  const logs = await chain.client.getContractEvents({
    address: oracle.address,
    abi: chain.abis.computePriceOracleAbi,
    eventName: "ObservationRecorded",
    fromBlock: BigInt(chain.deployment.startBlock),
    toBlock: chain.lastBlock,
  });
  expect(logs.length).toBeGreaterThan(market.window / market.period);
  const { oracleObservations } = await graphqlQuery(
    indexer.url,
    `{ oracleObservations(where: { chainId: ${chainId} }, limit: 1000) { items {
        poolId timestamp blockNumber logIndex periodPrice0X112 moveBps beyondBand } } }`,
  );
  expect(byLog(oracleObservations.items)).toEqual(
    logs.map((l) => ({
      poolId: l.args.poolId!.toString(),
      timestamp: String(l.args.timestamp),
      blockNumber: l.blockNumber.toString(),
      logIndex: l.logIndex,
      periodPrice0X112: l.args.periodPrice0X112!.toString(),
      moveBps: l.args.moveBps!.toString(),
      beyondBand: l.args.beyondBand,
    })),
  );
  const { oracleConfig } = await graphqlQuery(
    indexer.url,
    `{ oracleConfig(chainId: ${chainId}) { address window period maxMoveBps maxPoolIdle observationCount } }`,
  );
  const maxPoolIdle = await chain.client.readContract({
    address: oracle.address,
    abi: chain.abis.computePriceOracleAbi,
    functionName: "maxPoolIdle",
  });
  expect(oracleConfig).toEqual({
    address: lower(oracle.address),
    window: String(market.window),
    period: String(market.period),
    maxMoveBps: market.maxMoveBps,
    maxPoolIdle: String(maxPoolIdle),
    observationCount: logs.length,
  });
}
