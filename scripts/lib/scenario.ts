import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  maxUint256,
  parseUnits,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { aiServiceAmmAbi, aiServiceTokenAbi } from "../../generated/abis.js";
import type { Deployment } from "./deploy.js";

/** A local chain for viem, named after its id. */
export function localChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `local-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export type TokenSymbol = "AITBC" | "GPUH" | "LLMT" | "STOR";
export const tokenSymbols: TokenSymbol[] = ["AITBC", "GPUH", "LLMT", "STOR"];

/** The demo's markets and their opening prices in AITBC (or in the second token). */
export const seedMarkets = [
  { base: "GPUH", quote: "AITBC", price: 2.5, depth: 40_000 },
  { base: "LLMT", quote: "AITBC", price: 0.4, depth: 200_000 },
  { base: "STOR", quote: "AITBC", price: 8, depth: 10_000 },
  { base: "GPUH", quote: "LLMT", price: 6.25, depth: 20_000 },
] as const satisfies readonly { base: TokenSymbol; quote: TokenSymbol; price: number; depth: number }[];

export type Market = {
  poolId: bigint;
  base: TokenSymbol;
  quote: TokenSymbol;
  token0: Address;
  token1: Address;
};

export type ScenarioContext = {
  deployment: Deployment;
  chain: Chain;
  publicClient: PublicClient;
  /** Holds the minter role; seeds pools and funds agents. */
  deployer: PrivateKeyAccount;
  agents: PrivateKeyAccount[];
};

export function scenarioContext(
  deployment: Deployment,
  rpcUrl: string,
  deployerKey: Hex,
  agentKeys: readonly Hex[],
): ScenarioContext {
  const chain = localChain(deployment.chainId, rpcUrl);
  return {
    deployment,
    chain,
    publicClient: createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 200 }),
    deployer: privateKeyToAccount(deployerKey),
    agents: agentKeys.map((key) => privateKeyToAccount(key)),
  };
}

const tokenAddress = (ctx: ScenarioContext, symbol: TokenSymbol): Address => ctx.deployment.contracts[symbol];
export const units = (amount: number) => parseUnits(amount.toFixed(6), 18);
const deadline = () => BigInt(Math.floor(Date.now() / 1000) + 3_600);

function walletFor(ctx: ScenarioContext, account: PrivateKeyAccount) {
  return createWalletClient({
    account,
    chain: ctx.chain,
    transport: http(ctx.chain.rpcUrls.default.http[0]),
  });
}

/** Sends one contract call after simulating it, and waits until it is mined successfully. */
// Token errors (e.g. ERC20InsufficientBalance) surface through AMM calls; knowing them makes reverts readable.
const tokenErrors = aiServiceTokenAbi.filter((item) => item.type === "error");

export async function send(ctx: ScenarioContext, account: PrivateKeyAccount, call: Call) {
  const nonce = await ctx.publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
  const { hash, result } = await submit(ctx, account, call, nonce);
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 200 });
  if (receipt.status !== "success") throw new Error(`${call.functionName} reverted in ${hash}`);
  return { hash, result, receipt };
}

/**
 * Simulates a call, then sends it with explicit nonce and gas. Gas is estimated against the latest block;
 * the call may land in a later block with a new timestamp, where it costs more (the AMM's first swap of a
 * block updates cumulative prices; ERC20Votes pushes a new checkpoint), so it gets 50 % headroom.
 */
async function submit(ctx: ScenarioContext, account: PrivateKeyAccount, call: Call, nonce: number) {
  const abi = [...call.abi, ...tokenErrors];
  const { request, result } = await ctx.publicClient.simulateContract({ ...call, abi, account } as never);
  const gas = call.gas ?? (await ctx.publicClient.estimateContractGas({ ...call, abi, account } as never));
  const hash = await walletFor(ctx, account).writeContract({
    ...(request as object),
    gas: (gas * 3n) / 2n,
    nonce,
  } as never);
  return { hash, result };
}

export type Call = {
  address: Address;
  abi: readonly unknown[];
  functionName: string;
  args: readonly unknown[];
  /** A gas limit instead of the estimate (before the 50 % headroom), for calls whose cost depends on their block. */
  gas?: bigint;
};

/**
 * Sends independent calls from one account back to back with consecutive nonces, then waits for all of
 * them: a batch costs about one block instead of one block per call.
 */
export async function sendBatch(ctx: ScenarioContext, account: PrivateKeyAccount, calls: Call[]) {
  let nonce = await ctx.publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
  const hashes: Hex[] = [];
  for (const call of calls) hashes.push((await submit(ctx, account, call, nonce++)).hash);
  for (const [index, hash] of hashes.entries()) {
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    if (receipt.status !== "success") throw new Error(`${calls[index].functionName} reverted in ${hash}`);
  }
}

/**
 * Creates the demo's pools, seeds their liquidity from the deployer, and funds every agent with every token
 * (and the AMM allowance to spend it). `depthFactor` multiplies every pool's liquidity (the prices stay): a test
 * whose agents trade much in one direction keeps its own trades from moving the prices far.
 */
export async function seedPools(ctx: ScenarioContext, { depthFactor = 1 } = {}): Promise<Market[]> {
  const amm = ctx.deployment.contracts.AIServiceAMM;
  const token = (symbol: TokenSymbol) => ({ address: tokenAddress(ctx, symbol), abi: aiServiceTokenAbi });
  await sendBatch(
    ctx,
    ctx.deployer,
    tokenSymbols.flatMap((symbol) => [
      {
        ...token(symbol),
        functionName: "mint",
        args: [ctx.deployer.address, units(10_000_000 * depthFactor)],
      },
      { ...token(symbol), functionName: "approve", args: [amm, maxUint256] },
    ]),
  );

  const firstPoolId = await ctx.publicClient.readContract({
    address: amm,
    abi: aiServiceAmmAbi,
    functionName: "poolCount",
  });
  await sendBatch(
    ctx,
    ctx.deployer,
    seedMarkets.map((market) => ({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "createPool",
      args: [tokenAddress(ctx, market.base), tokenAddress(ctx, market.quote)],
    })),
  );
  const markets: Market[] = seedMarkets.map((market, index) => {
    const base = tokenAddress(ctx, market.base);
    const quote = tokenAddress(ctx, market.quote);
    const [token0, token1] = base.toLowerCase() < quote.toLowerCase() ? [base, quote] : [quote, base];
    return { poolId: firstPoolId + BigInt(index), base: market.base, quote: market.quote, token0, token1 };
  });
  await sendBatch(
    ctx,
    ctx.deployer,
    markets.map((market, index) => {
      const depth = seedMarkets[index].depth * depthFactor;
      const baseAmount = units(depth);
      const quoteAmount = units(depth * seedMarkets[index].price);
      const baseIsToken0 = market.token0 === tokenAddress(ctx, market.base);
      const [amount0, amount1] = baseIsToken0 ? [baseAmount, quoteAmount] : [quoteAmount, baseAmount];
      return {
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "addLiquidity",
        args: [market.poolId, amount0, amount1, 0n, 0n, ctx.deployer.address, deadline()],
      };
    }),
  );

  const agentFunding = { AITBC: 40_000, GPUH: 8_000, LLMT: 40_000, STOR: 2_000 } as const;
  await sendBatch(
    ctx,
    ctx.deployer,
    ctx.agents.flatMap((agent) =>
      tokenSymbols.map((symbol) => ({
        ...token(symbol),
        functionName: "mint",
        args: [agent.address, units(agentFunding[symbol])],
      })),
    ),
  );
  await Promise.all(
    ctx.agents.map((agent) =>
      sendBatch(
        ctx,
        agent,
        tokenSymbols.map((symbol) => ({
          ...token(symbol),
          functionName: "approve",
          args: [amm, maxUint256],
        })),
      ),
    ),
  );
  return markets;
}

/** A small deterministic PRNG (mulberry32), so a scenario with the same seed makes the same choices. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type AgentAction = {
  agent: Address;
  kind: "swap" | "multihop" | "add" | "remove";
  poolIds: bigint[];
  ok: boolean;
  hash?: Hex;
  block?: bigint;
  error?: string;
};

export type AgentRunOptions = {
  /** Total actions across all agents. */
  actions: number;
  seed?: number;
  /** Pool that "GPU-demand" agents push around in bursts, making it the volatile market. */
  volatilePoolId?: bigint;
};

/**
 * Runs simulated agents side by side: each agent, one transaction at a time, swaps (mostly), routes
 * multi-hop, adds or removes liquidity. Agents of the first third chase GPU demand: they trade the volatile
 * pool in larger, same-direction bursts; the rest trade small amounts in random directions. A revert (e.g.
 * slippage) is recorded, not fatal.
 */
export async function runAgents(
  ctx: ScenarioContext,
  markets: Market[],
  options: AgentRunOptions,
): Promise<AgentAction[]> {
  const random = prng(options.seed ?? 42);
  const amm = ctx.deployment.contracts.AIServiceAMM;
  const perAgent = Math.ceil(options.actions / ctx.agents.length);
  const volatile = markets.find((m) => m.poolId === options.volatilePoolId) ?? markets[0];
  const plans = ctx.agents.map((agent, index) => ({
    agent,
    chasesGpuDemand: index < Math.ceil(ctx.agents.length / 3),
    choices: Array.from({ length: perAgent }, () => [random(), random(), random(), random()] as const),
  }));
  let remaining = options.actions;

  const act = async (
    agent: PrivateKeyAccount,
    chasesGpuDemand: boolean,
    step: number,
    r: readonly number[],
  ) => {
    const [kindRoll, marketRoll, sizeRoll, directionRoll] = r;
    const market = chasesGpuDemand ? volatile : markets[Math.floor(marketRoll * markets.length)];
    const pool = await ctx.publicClient.readContract({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "getPool",
      args: [market.poolId],
    });
    if (kindRoll < 0.7) {
      // GPU-demand agents buy or dump token0 in 1–4 % bursts; the others trade 0.05–0.5 % of the reserve.
      // GPU demand comes in waves: three actions buying token0, then three selling it.
      const zeroForOne = chasesGpuDemand ? Math.floor(step / 3) % 2 === 1 : directionRoll < 0.5;
      const reserveIn = zeroForOne ? pool.reserve0 : pool.reserve1;
      // Bursts tolerate more slippage: several agents hit the same pool in the same block.
      const slippageTolerance = chasesGpuDemand ? 900n : 980n;
      const fraction = chasesGpuDemand ? 0.01 + sizeRoll * 0.03 : 0.0005 + sizeRoll * 0.0045;
      const tokenIn = zeroForOne ? pool.token0 : pool.token1;
      const balance = await ctx.publicClient.readContract({
        address: tokenIn,
        abi: aiServiceTokenAbi,
        functionName: "balanceOf",
        args: [agent.address],
      });
      const wanted = (reserveIn * BigInt(Math.floor(fraction * 1e6))) / 1_000_000n;
      const amountIn = wanted < balance / 2n ? wanted : balance / 2n;
      const out = await ctx.publicClient.readContract({
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "getAmountOut",
        args: [market.poolId, tokenIn, amountIn],
      });
      return {
        kind: "swap" as const,
        poolIds: [market.poolId],
        call: {
          address: amm,
          abi: aiServiceAmmAbi,
          functionName: "swapExactInputSingle",
          args: [
            market.poolId,
            tokenIn,
            amountIn,
            (out * slippageTolerance) / 1000n,
            agent.address,
            deadline(),
          ],
        },
      };
    }
    if (kindRoll < 0.8 && markets.length >= 2) {
      // Route GPUH → AITBC → LLMT (or back) through two pools in one call.
      const [first, second] = [markets[0], markets[1]];
      const forward = directionRoll < 0.5;
      const path = forward ? [first.poolId, second.poolId] : [second.poolId, first.poolId];
      const tokenIn = tokenAddress(ctx, forward ? first.base : second.base);
      const amountIn = units(forward ? 5 + sizeRoll * 50 : 30 + sizeRoll * 300);
      const amounts = await ctx.publicClient.readContract({
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "calculateOptimalSwap",
        args: [path, tokenIn, amountIn, true],
      });
      const minOut = (amounts[amounts.length - 1] * 950n) / 1000n;
      return {
        kind: "multihop" as const,
        poolIds: path,
        call: {
          address: amm,
          abi: aiServiceAmmAbi,
          functionName: "swapExactInput",
          args: [path, tokenIn, amountIn, minOut, agent.address, deadline()],
        },
      };
    }
    const lpBalance = await ctx.publicClient.readContract({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "balanceOf",
      args: [agent.address, market.poolId],
    });
    if (kindRoll < 0.9 || lpBalance === 0n) {
      const amount0 = (pool.reserve0 * BigInt(Math.floor((0.002 + sizeRoll * 0.01) * 1e6))) / 1_000_000n;
      const amount1 = (amount0 * pool.reserve1) / pool.reserve0 + 1n;
      return {
        kind: "add" as const,
        poolIds: [market.poolId],
        call: {
          address: amm,
          abi: aiServiceAmmAbi,
          functionName: "addLiquidity",
          args: [market.poolId, amount0, amount1, (amount0 * 90n) / 100n, 0n, agent.address, deadline()],
        },
      };
    }
    const liquidity = (lpBalance * BigInt(Math.floor((0.2 + sizeRoll * 0.8) * 1e6))) / 1_000_000n;
    return {
      kind: "remove" as const,
      poolIds: [market.poolId],
      call: {
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "removeLiquidity",
        args: [market.poolId, liquidity, 0n, 0n, agent.address, deadline()],
      },
    };
  };

  const results = await Promise.all(
    plans.map(async ({ agent, chasesGpuDemand, choices }) => {
      const done: AgentAction[] = [];
      for (const [step, choice] of choices.entries()) {
        if (remaining <= 0) break;
        remaining -= 1;
        let planned: Awaited<ReturnType<typeof act>> | undefined;
        try {
          planned = await act(agent, chasesGpuDemand, step, choice);
          const { hash, receipt } = await send(ctx, agent, planned.call);
          done.push({
            agent: agent.address,
            kind: planned.kind,
            poolIds: planned.poolIds,
            ok: true,
            hash,
            block: receipt.blockNumber,
          });
        } catch (error) {
          const message =
            error instanceof Error
              ? ((error as { shortMessage?: string }).shortMessage ?? error.message)
              : String(error);
          done.push({
            agent: agent.address,
            kind: planned?.kind ?? "swap",
            poolIds: planned?.poolIds ?? [],
            ok: false,
            error: message.split("\n").slice(0, 3).join(" | "),
          });
        }
      }
      return done;
    }),
  );
  return results.flat();
}
