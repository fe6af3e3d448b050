// A real AMM scenario on a local anvil, shared by the indexer tests: deploy with the real deploy script,
// create pools, add and remove liquidity, swap (single and multi-hop, exact in and out), move a fee, travel
// in time, transfer LP shares; afterwards, `write` sends any further transaction (admin calls included).
// Everything the tests expect is computed here from the transactions' own receipts and on-chain reads —
// never from the indexer.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import {
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  defineChain,
  http,
  parseEventLogs,
  type Abi,
  parseUnits,
  type Address,
  type Hash,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import { startAnvil, type Anvil } from "../../scripts/lib/anvil";
import { deployProtocol, type Deployment } from "../../scripts/lib/deploy";
import { anvilKeys, repoRoot } from "../../scripts/lib/foundry";

type Abis = typeof import("../../generated/abis");

/** The generated ABI module; generated with `npx wagmi generate` first if it is missing. */
export async function loadAbis(): Promise<Abis> {
  if (!existsSync(path.join(repoRoot, "generated", "abis.ts"))) {
    await promisify(execFile)("npx", ["wagmi", "generate"], { cwd: repoRoot });
  }
  return import("../../generated/abis");
}

const FAR_DEADLINE = 2n ** 40n; // chain time moves in these tests; a wall-clock deadline would not do
const e18 = (n: number) => parseUnits(String(n), 18);

/** One Swapped event, as the chain emitted it. */
export type SwapRecord = {
  poolId: bigint;
  blockNumber: bigint;
  logIndex: number;
  timestamp: number;
  zeroForOne: boolean;
  amountIn: bigint;
  amountOut: bigint;
  reserve0: bigint;
  reserve1: bigint;
  /** The pool's fee (pips) when the swap ran, read on chain before the batch it belongs to. */
  fee: number;
};

/** One LiquidityAdded/LiquidityRemoved event: only its reserves-after matter to the expectations. */
export type LiquidityRecord = {
  poolId: bigint;
  blockNumber: bigint;
  logIndex: number;
  timestamp: number;
  reserve0: bigint;
  reserve1: bigint;
};

export type Scenario = {
  anvil: Anvil;
  deployment: Deployment;
  abis: Abis;
  client: PublicClient;
  accounts: PrivateKeyAccount[];
  swaps: SwapRecord[];
  liquidity: LiquidityRecord[];
  /** Every owner that ever held LP shares, per pool (treasury included). */
  lpOwners: Address[];
  poolIds: bigint[];
  /** Block number of the last transaction the scenario sent. */
  lastBlock: bigint;
  /** Whether batch B ran two hours (of chain time) after batch A. */
  timeTravel: boolean;
  /** One more exact-in swap by the deployer, recorded like the others (for live-indexing checks). */
  swap: (poolId: bigint, tokenIn: Address, amountIn: bigint) => Promise<SwapRecord>;
  /**
   * Sends one transaction from `account` — an AMM function, or `target`'s (e.g. the AccessManager) — and
   * waits for it; throws with the decoded reason if it reverts. Its liquidity events are recorded and
   * `lastBlock` moves to its block. Not for swaps (use `swap`, which records them).
   */
  write: (
    account: PrivateKeyAccount,
    functionName: string,
    args: readonly unknown[],
    target?: { address: Address; abi: Abi },
  ) => Promise<TransactionReceipt>;
};

/** Starts anvil (interval mining) for `chainId`, deploys the protocol and plays the scenario. */
export async function runScenario(
  chainId: number,
  options: { timeTravel?: boolean } = {},
): Promise<Scenario> {
  const abis = await loadAbis();
  const anvil = await startAnvil({ chainId, blockTime: 1 });
  try {
    // The deployer stays admin and treasury (instead of the timelock) so the tests can call admin setters
    // without a vote, as the AMM tests were written.
    const deployer = privateKeyToAccount(anvilKeys[0]).address;
    const deployment = await deployProtocol(anvil.rpcUrl, { ADMIN: deployer, TREASURY: deployer });
    return await play(anvil, deployment, abis, options.timeTravel ?? true);
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

async function play(
  anvil: Anvil,
  deployment: Deployment,
  abis: Abis,
  timeTravel: boolean,
): Promise<Scenario> {
  const chain = defineChain({
    id: anvil.chainId,
    name: `anvil-${anvil.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });
  const client = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 100 });
  // A nonce manager of its own: viem's shared one would carry nonces over from an earlier chain with the same id.
  const nonceManager = createNonceManager({ source: jsonRpc() });
  const accounts = anvilKeys.slice(0, 3).map((key) => privateKeyToAccount(key, { nonceManager }));
  const [deployer, alice, bob] = accounts as [PrivateKeyAccount, PrivateKeyAccount, PrivateKeyAccount];
  const wallet = (account: PrivateKeyAccount) =>
    createWalletClient({ account, chain, transport: http(anvil.rpcUrl) });
  const { AIServiceAMM: amm, GPUH, LLMT, STOR } = deployment.contracts;
  const receipts: TransactionReceipt[] = [];
  const liquidity: LiquidityRecord[] = [];

  // Sends several transactions at once (each account's nonces in order) and waits for all of them.
  const send = async (txs: Promise<Hash>[]) => {
    const hashes = await Promise.all(txs);
    const mined = await Promise.all(hashes.map((hash) => client.waitForTransactionReceipt({ hash })));
    for (const receipt of mined) {
      if (receipt.status !== "success") throw new Error(await revertReason(receipt));
    }
    receipts.push(...mined);
    for (const receipt of mined) await recordLiquidity(receipt);
    return mined;
  };
  const recordLiquidity = async (receipt: TransactionReceipt) => {
    const logs = parseEventLogs({
      abi: abis.aiServiceAmmAbi,
      eventName: ["LiquidityAdded", "LiquidityRemoved"],
      logs: receipt.logs,
    });
    if (logs.length === 0) return;
    const { timestamp } = await client.getBlock({ blockNumber: receipt.blockNumber });
    for (const log of logs) {
      liquidity.push({
        poolId: log.args.poolId,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
        timestamp: Number(timestamp),
        reserve0: log.args.reserve0,
        reserve1: log.args.reserve1,
      });
    }
  };
  const revertReason = async (receipt: TransactionReceipt) => {
    const tx = await client.getTransaction({ hash: receipt.transactionHash });
    try {
      await client.call({
        account: tx.from,
        to: tx.to!,
        data: tx.input,
        blockNumber: receipt.blockNumber - 1n,
      });
      return `transaction ${receipt.transactionHash} reverted (no reason on replay; gas used ${receipt.gasUsed} of ${tx.gas})`;
    } catch (error) {
      const decoded = (error as { walk?: (fn: (e: unknown) => boolean) => unknown }).walk?.(
        (e) => (e as { data?: unknown }).data !== undefined,
      ) as { data?: `0x${string}` } | undefined;
      let reason = (error as Error).message.split("\n")[0];
      if (decoded?.data) {
        try {
          const { errorName, args } = decodeErrorResult({
            abi: [...abis.aiServiceAmmAbi, ...abis.accessManagerAbi],
            data: decoded.data,
          });
          reason = `${errorName}(${(args ?? []).join(", ")})`;
        } catch {
          reason = `revert data ${decoded.data}`;
        }
      }
      return `transaction ${receipt.transactionHash} reverted: ${reason}`;
    }
  };
  const token = (account: PrivateKeyAccount, address: Address) => ({
    mint: (to: Address, amount: bigint) =>
      wallet(account).writeContract({
        address,
        abi: abis.aiServiceTokenAbi,
        functionName: "mint",
        args: [to, amount],
      }),
    approve: () =>
      wallet(account).writeContract({
        address,
        abi: abis.aiServiceTokenAbi,
        functionName: "approve",
        args: [amm, 2n ** 255n],
      }),
  });
  const ammAs = (
    account: PrivateKeyAccount,
    target: { address: Address; abi: Abi } = {
      address: amm,
      abi: abis.aiServiceAmmAbi,
    },
  ) => ({
    write: (functionName: string, args: readonly unknown[]) =>
      // A fixed gas limit: anvil estimates against the latest block's timestamp, where the TWAP accumulators
      // do not move, so an estimate can fall short by their first SSTOREs when the transaction lands.
      wallet(account).writeContract({
        ...target,
        functionName,
        args,
        gas: 1_000_000n,
      } as never),
  });

  // Funding: the deployer holds the minter role.
  await send(
    accounts.flatMap((to) =>
      [GPUH, LLMT, STOR].map((t) => token(deployer, t).mint(to.address, e18(1_000_000))),
    ),
  );
  await send(accounts.flatMap((account) => [GPUH, LLMT, STOR].map((t) => token(account, t).approve())));

  // Pools 0 (GPUH/LLMT) and 1 (LLMT/STOR), seeded by the deployer; alice joins pool 0.
  await send([
    ammAs(deployer).write("createPool", [GPUH, LLMT]),
    ammAs(deployer).write("createPool", [LLMT, STOR]),
  ]);
  const poolIds = [0n, 1n];
  const getPool = (poolId: bigint) =>
    client.readContract({ address: amm, abi: abis.aiServiceAmmAbi, functionName: "getPool", args: [poolId] });
  const [pool0, pool1] = await Promise.all([getPool(0n), getPool(1n)]);
  const amounts = (pool: { token0: Address }, forA: bigint, forB: bigint, a: Address) =>
    pool.token0 === a ? [forA, forB] : [forB, forA];
  await send([
    ammAs(deployer).write("addLiquidity", [
      0n,
      ...amounts(pool0, e18(100_000), e18(250_000), GPUH),
      0n,
      0n,
      deployer.address,
      FAR_DEADLINE,
    ]),
    ammAs(deployer).write("addLiquidity", [
      1n,
      ...amounts(pool1, e18(50_000), e18(60_000), LLMT),
      0n,
      0n,
      deployer.address,
      FAR_DEADLINE,
    ]),
  ]);
  await send([
    ammAs(alice).write("addLiquidity", [
      0n,
      ...amounts(pool0, e18(10_000), e18(25_000), GPUH),
      0n,
      0n,
      alice.address,
      FAR_DEADLINE,
    ]),
  ]);

  // Swaps are recorded with the fee their pool had when the batch ran.
  const swaps: SwapRecord[] = [];
  const swapBatch = async (txs: Promise<Hash>[]) => {
    const fees = new Map<bigint, number>();
    for (const id of poolIds) fees.set(id, (await getPool(id)).fee);
    const mined = await send(txs);
    for (const receipt of mined) {
      const { timestamp } = await client.getBlock({ blockNumber: receipt.blockNumber });
      for (const log of parseEventLogs({
        abi: abis.aiServiceAmmAbi,
        eventName: "Swapped",
        logs: receipt.logs,
      })) {
        swaps.push({
          poolId: log.args.poolId,
          blockNumber: log.blockNumber,
          logIndex: log.logIndex,
          timestamp: Number(timestamp),
          zeroForOne: log.args.zeroForOne,
          amountIn: log.args.amountIn,
          amountOut: log.args.amountOut,
          reserve0: log.args.reserve0,
          reserve1: log.args.reserve1,
          fee: fees.get(log.args.poolId)!,
        });
      }
    }
  };

  // Batch A: both directions, exact in and exact out, and a two-hop path GPUH → LLMT → STOR.
  await swapBatch([
    ammAs(alice).write("swapExactInputSingle", [0n, GPUH, e18(1_000), 0n, alice.address, FAR_DEADLINE]),
    ammAs(bob).write("swapExactInputSingle", [0n, LLMT, e18(3_000), 0n, bob.address, FAR_DEADLINE]),
  ]);
  await swapBatch([
    ammAs(alice).write("swapExactOutputSingle", [
      0n,
      LLMT,
      e18(500),
      e18(10_000),
      alice.address,
      FAR_DEADLINE,
    ]),
    ammAs(bob).write("swapExactInput", [[0n, 1n], GPUH, e18(700), 0n, bob.address, FAR_DEADLINE]),
  ]);

  // The fee keeper (the deployer here) moves pool 0's fee; later swaps pay the new fee.
  await send([ammAs(deployer).write("setFee", [0n, 4_000])]);

  if (timeTravel) {
    // Two hours later: batch B lands in another hourly candle, and a 1-hour window holds only batch B.
    await client.request({ method: "evm_increaseTime" as never, params: [7_200] as never });
  }
  await swapBatch([
    ammAs(alice).write("swapExactInputSingle", [0n, GPUH, e18(2_000), 0n, alice.address, FAR_DEADLINE]),
    ammAs(bob).write("swapExactInputSingle", [0n, LLMT, e18(1_500), 0n, bob.address, FAR_DEADLINE]),
    ammAs(deployer).write("swapExactInputSingle", [1n, STOR, e18(800), 0n, deployer.address, FAR_DEADLINE]),
  ]);

  // Alice takes out half her shares (the protocol's fee share is minted to the treasury first) and gives
  // a tenth of the rest to bob; then one more swap.
  const aliceShares = await client.readContract({
    address: amm,
    abi: abis.aiServiceAmmAbi,
    functionName: "balanceOf",
    args: [alice.address, 0n],
  });
  await send([
    ammAs(alice).write("removeLiquidity", [0n, aliceShares / 2n, 0n, 0n, alice.address, FAR_DEADLINE]),
  ]);
  await send([ammAs(alice).write("transfer", [bob.address, 0n, aliceShares / 20n])]);
  await swapBatch([
    ammAs(bob).write("swapExactInputSingle", [0n, GPUH, e18(1_234), 0n, bob.address, FAR_DEADLINE]),
  ]);

  const byOrder = (
    a: { blockNumber: bigint; logIndex: number },
    b: { blockNumber: bigint; logIndex: number },
  ) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1);
  swaps.sort(byOrder);
  liquidity.sort(byOrder);

  const scenario: Scenario = {
    anvil,
    deployment,
    abis,
    client,
    accounts,
    swaps,
    liquidity,
    lpOwners: accounts.map((a) => a.address), // the deployer is also the treasury
    poolIds,
    lastBlock: receipts.reduce((max, r) => (r.blockNumber > max ? r.blockNumber : max), 0n),
    timeTravel,
    swap: async (poolId, tokenIn, amountIn) => {
      const count = swaps.length;
      await swapBatch([
        ammAs(deployer).write("swapExactInputSingle", [
          poolId,
          tokenIn,
          amountIn,
          0n,
          deployer.address,
          FAR_DEADLINE,
        ]),
      ]);
      const record = swaps[count]!;
      scenario.lastBlock = record.blockNumber;
      return record;
    },
    write: async (account, functionName, args, target) => {
      const [receipt] = await send([ammAs(account, target).write(functionName, args)]);
      scenario.lastBlock = receipt!.blockNumber;
      return receipt!;
    },
  };
  return scenario;
}

// ─── Expectations, computed from the scenario's own records ──────────────────────────────────────────

const SECONDS_PER_YEAR = 31_536_000;
const priceOf = (r: { reserve0: bigint; reserve1: bigint }) => Number(r.reserve1) / Number(r.reserve0);
const amount1Of = (s: SwapRecord) => (s.zeroForOne ? s.amountOut : s.amountIn);
const amount0Of = (s: SwapRecord) => (s.zeroForOne ? s.amountIn : s.amountOut);

/** What `/pools/:chainId/:poolId/stats?window=` must say, given the route's own "now". */
export function expectedStats(scenario: Scenario, poolId: bigint, now: number, windowSeconds: number) {
  const start = now - windowSeconds;
  const ofPool = scenario.swaps.filter((s) => s.poolId === poolId);
  const inWindow = ofPool.filter((s) => s.timestamp > start && s.timestamp <= now);
  const before = [
    ...ofPool.filter((s) => s.timestamp <= start),
    ...scenario.liquidity.filter((l) => l.poolId === poolId && l.timestamp <= start),
  ].sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
  );
  const opening = before[before.length - 1];
  const prices = [...(opening ? [priceOf(opening)] : []), ...inWindow.map(priceOf)];
  let sumSquares = 0;
  for (let i = 1; i < prices.length; i++) sumSquares += Math.log(prices[i]! / prices[i - 1]!) ** 2;
  return {
    swapCount: inWindow.length,
    volumeToken1: inWindow.reduce((t, s) => t + amount1Of(s), 0n),
    feesToken1: inWindow.reduce((t, s) => t + (amount1Of(s) * BigInt(s.fee)) / 1_000_000n, 0n),
    realizedVolatility: prices.length < 2 ? null : Math.sqrt((sumSquares * SECONDS_PER_YEAR) / windowSeconds),
    volatilitySamples: prices.length < 2 ? 0 : prices.length - 1,
    lastSwapTimestamp: ofPool.length ? ofPool[ofPool.length - 1]!.timestamp : null,
  };
}

/** Hourly OHLCV of a pool, from the scenario's swaps. */
export function expectedHourlyCandles(scenario: Scenario, poolId: bigint) {
  const candles = new Map<
    number,
    {
      open: number;
      high: number;
      low: number;
      close: number;
      volume0: bigint;
      volume1: bigint;
      swapCount: number;
    }
  >();
  for (const s of scenario.swaps.filter((s) => s.poolId === poolId)) {
    const bucket = s.timestamp - (s.timestamp % 3_600);
    const p = priceOf(s);
    const c = candles.get(bucket);
    if (!c) {
      candles.set(bucket, {
        open: p,
        high: p,
        low: p,
        close: p,
        volume0: amount0Of(s),
        volume1: amount1Of(s),
        swapCount: 1,
      });
    } else {
      c.high = Math.max(c.high, p);
      c.low = Math.min(c.low, p);
      c.close = p;
      c.volume0 += amount0Of(s);
      c.volume1 += amount1Of(s);
      c.swapCount += 1;
    }
  }
  return [...candles.entries()].sort(([a], [b]) => a - b).map(([timestamp, c]) => ({ timestamp, ...c }));
}

// ─── Talking to the indexer ──────────────────────────────────────────────────────────────────────────

/** Polls `fn` until `until(result)` holds; throws with the last result after `timeoutMs`. */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  until: (value: T) => boolean,
  { timeoutMs = 60_000, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await fn();
      if (until(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; last value: ${JSON.stringify(last, (_, v) => (typeof v === "bigint" ? v.toString() : v))}` +
          (lastError ? `; last error: ${String(lastError)}` : ""),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

export async function graphqlQuery(baseUrl: string, query: string): Promise<any> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (response.status !== 200 || body.errors) {
    throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

/** Waits until Ponder has indexed `chainId` through `blockNumber` (its `/status`). */
export async function waitForBlock(
  baseUrl: string,
  chainId: number,
  blockNumber: bigint,
  timeoutMs = 60_000,
) {
  await pollUntil(
    () =>
      getJson(`${baseUrl}/status`).then(
        (r) => r.body as Record<string, { id: number; block: { number: number } }>,
      ),
    (status) => Object.values(status).some((c) => c.id === chainId && BigInt(c.block.number) >= blockNumber),
    { timeoutMs, what: `chain ${chainId} indexed through block ${blockNumber}` },
  );
}
