/**
 * The demo's second act: the yield farm with its APY keeper, and one governance proposal carried end to end.
 * Runs on the demo's chain after the AMM act (the fee keeper is stopped by then, so time travel moves nobody's
 * clock but the farm's and the Governor's).
 */
import path from "node:path";
import { formatUnits, parseUnits, type Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { aiPowerYieldFarmAbi, aiServiceAmmAbi, aitbcAbi } from "../../generated/abis.js";
import { approveFarm, claim, seedFarm, stakeAgents, type FarmPool } from "./farm.js";
import { carryProposal, proposalState, travel, type CarriedProposal } from "./governance.js";
import { freePort } from "./anvil.js";
import { startTsProcess, waitFor, type ManagedProcess } from "./process.js";
import { send, sendBatch, type Market, type ScenarioContext } from "./scenario.js";

/** Deploy-script settings the second act needs: short governance periods (the demo travels through them). */
export const governanceDemoSettings = {
  VOTING_DELAY: "60",
  VOTING_PERIOD: "600",
  TIMELOCK_DELAY: "3600",
  PROPOSAL_THRESHOLD: parseUnits("1000", 18).toString(),
  QUORUM_PERCENT: "4",
};

type Decision = Record<string, unknown>;
const txStatus = (d: Decision) => (d.tx as { status?: string } | null)?.status;

export type FarmRow = {
  pool: FarmPool;
  totalStaked: bigint;
  rewardRate: bigint;
  totalFunded: bigint;
  emitted: bigint;
  apr: bigint;
  apy: bigint | null;
  indexedApr: string | null;
  indexedApy: string | null;
};

export type FarmGovernanceResult = {
  farms: FarmRow[];
  stakes: number;
  claimed: bigint;
  apyDecisions: Decision[];
  proposal: CarriedProposal & {
    state: string;
    indexedState: string | null;
    feeBoundsBefore: { minFee: number; maxFee: number };
    feeBoundsAfter: { minFee: number; maxFee: number };
  };
  apyKeeperUrl: string;
};

export async function runFarmAndGovernance(options: {
  ctx: ScenarioContext;
  markets: Market[];
  chainId: number;
  apyKeeperKey: `0x${string}`;
  indexerUrl: string;
  demoDir: string;
  step: (message: string) => void;
  waitForIndexer: () => Promise<void>;
  onStart: (process: ManagedProcess) => void;
}): Promise<FarmGovernanceResult> {
  const { ctx, markets, chainId, step } = options;
  const farm = { address: ctx.deployment.contracts.AIPowerYieldFarm, abi: aiPowerYieldFarmAbi };

  step(
    "farm: list an AITBC pool and a GPUH/AITBC LP pool, fund each with 20 000 AITBC for 28 days; agents stake",
  );
  const lpMarket = markets.find((m) => m.base === "GPUH" && m.quote === "AITBC");
  const pools = await seedFarm(ctx, { rewardsPerPool: 20_000, durationSeconds: 28 * 86_400, lpMarket });
  await approveFarm(ctx, ctx.agents);
  const stakes = await stakeAgents(ctx, pools, ctx.agents);
  console.log(`  ${stakes.length} stakes by ${new Set(stakes.map((s) => s.agent)).size} agents`);

  step("start the APY keeper; three simulated days, the keeper acting after each");
  const port = await freePort();
  const keeper = startTsProcess("keepers/apy/main.ts", {
    CHAIN_ID: String(chainId),
    RPC_URLS: ctx.chain.rpcUrls.default.http[0]!,
    PRIVATE_KEY: options.apyKeeperKey,
    DB_PATH: path.join(options.demoDir, "apy-keeper.sqlite"),
    HTTP_PORT: String(port),
    SCHEDULE: "*/2 * * * * *",
    // Aim for 30 % a year at 100 000 staked AITBC, and at 2 000 LP shares in the LP pool.
    BASE_APY: "30%",
    POOL_TARGETS: pools.map((p) => `${p.farmPoolId}:${p.kind === "LP" ? "2000e18" : "100000e18"}`).join(","),
  });
  options.onStart(keeper);
  const keeperUrl = `http://127.0.0.1:${port}`;
  const decisions = async () =>
    ((await (await fetch(`${keeperUrl}/decisions?limit=1000`)).json()) as { decisions?: Decision[] })
      .decisions ?? [];
  await waitFor(
    "the APY keeper's /healthz",
    async () => ((await fetch(`${keeperUrl}/healthz`)).status ? true : undefined),
    60_000,
  );
  for (let day = 1; day <= 3; day++) {
    await travel(ctx, 86_400);
    const before = (await decisions()).length;
    await waitFor(
      "an APY keeper decision",
      async () => ((await decisions()).length > before ? true : undefined),
      30_000,
      500,
    ).catch(() => undefined);
    const settled = (d: Decision) =>
      d.action !== "set-rate" || (d.txStatus !== null && d.txStatus !== "pending");
    await waitFor(
      "the APY keeper's writes to settle",
      async () => ((await decisions()).every(settled) ? true : undefined),
      30_000,
      500,
    ).catch(() => undefined);
  }
  const apyDecisions = await decisions();
  await keeper.stop();

  let claimed = 0n;
  for (const agent of ctx.agents)
    for (const pool of pools) claimed += await claim(ctx, agent, pool.farmPoolId);
  console.log(`  agents claimed ${formatUnits(claimed, 18)} AITBC`);

  step("governance: propose → vote → queue → wait → execute, raising GPUH/AITBC's fee ceiling to 2 %");
  const voters = ctx.agents.slice(0, 3);
  await sendBatch(
    ctx,
    ctx.deployer,
    voters.map((voter) => ({
      address: ctx.deployment.contracts.AITBC,
      abi: aitbcAbi,
      functionName: "mint",
      args: [voter.address, parseUnits("300000", 18)],
    })),
  );
  await Promise.all(
    voters.map((voter: PrivateKeyAccount) =>
      send(ctx, voter, {
        address: ctx.deployment.contracts.AITBC,
        abi: aitbcAbi,
        functionName: "delegate",
        args: [voter.address],
      }),
    ),
  );
  await travel(ctx, 2);
  const amm = { address: ctx.deployment.contracts.AIServiceAMM, abi: aiServiceAmmAbi };
  const target = lpMarket ?? markets[0]!;
  const poolBefore = await ctx.publicClient.readContract({
    ...amm,
    functionName: "getPool",
    args: [target.poolId],
  });
  const newBounds = { ...poolBefore.feeBounds, maxFee: 20_000 };
  const carried = await carryProposal(
    ctx,
    voters[0]!,
    [
      {
        target: amm.address,
        abi: aiServiceAmmAbi,
        functionName: "setFeeBounds",
        args: [target.poolId, newBounds],
      },
    ],
    `Raise ${target.base}/${target.quote}'s fee ceiling from ${poolBefore.feeBounds.maxFee / 10_000} % to 2 %: ` +
      "GPU-hour prices swing hard and LPs need room to be paid for it",
    [
      { account: voters[0]!, support: 1 },
      { account: voters[1]!, support: 1 },
      { account: voters[2]!, support: 2 },
    ],
  );
  const poolAfter = await ctx.publicClient.readContract({
    ...amm,
    functionName: "getPool",
    args: [target.poolId],
  });
  console.log(`  proposal ${carried.proposalId.toString().slice(0, 12)}… executed`);

  await options.waitForIndexer();
  const apyNow = (await (await fetch(`${options.indexerUrl}/farm/apy?chainId=${chainId}`)).json()) as {
    pools?: { poolId: string; apr: string | null; apy: string | null }[];
  };
  const farms: FarmRow[] = [];
  for (const pool of pools) {
    const view = await ctx.publicClient.readContract({
      ...farm,
      functionName: "getPool",
      args: [pool.farmPoolId],
    });
    const apr = await ctx.publicClient.readContract({
      ...farm,
      functionName: "currentApr",
      args: [pool.farmPoolId],
    });
    const apy = await ctx.publicClient
      .readContract({ ...farm, functionName: "currentApy", args: [pool.farmPoolId] })
      .catch(() => null);
    const indexed = apyNow.pools?.find((p) => p.poolId === pool.farmPoolId.toString());
    farms.push({
      pool,
      totalStaked: view.totalStaked,
      rewardRate: view.rewardRate,
      totalFunded: view.totalFunded,
      emitted: view.totalFunded - view.undistributed,
      apr,
      apy,
      indexedApr: indexed?.apr ?? null,
      indexedApy: indexed?.apy ?? null,
    });
  }
  const indexedProposal = (await (
    await fetch(`${options.indexerUrl}/governance/proposals/${carried.proposalId}?chainId=${chainId}`)
  )
    .json()
    .catch(() => ({}))) as { proposal?: { state?: string }; state?: string };
  return {
    farms,
    stakes: stakes.length,
    claimed,
    apyDecisions,
    proposal: {
      ...carried,
      state: await proposalState(ctx, carried.proposalId),
      indexedState: indexedProposal.proposal?.state ?? indexedProposal.state ?? null,
      feeBoundsBefore: poolBefore.feeBounds,
      feeBoundsAfter: poolAfter.feeBounds,
    },
    apyKeeperUrl: keeperUrl,
  };
}

const tokens = (amount: bigint) =>
  Number(formatUnits(amount, 18)).toLocaleString("en-US", { maximumFractionDigits: 2 });
const percent = (wad: bigint | string | null) =>
  wad === null ? "—" : `${(Number(formatUnits(BigInt(wad), 18)) * 100).toFixed(2)} %`;

export function printFarmGovernanceReport(
  result: FarmGovernanceResult,
  table: (headers: string[], rows: (string | number)[][]) => string,
  shortAddress: (address: Address) => string,
) {
  console.log(`\nYield farm (getPool, currentApr/currentApy on chain; APR/APY from the indexer's /farm/apy)`);
  console.log(
    table(
      [
        "pool",
        "stakes",
        "staked",
        "rate/day",
        "funded",
        "emitted",
        "APR",
        "APY",
        "indexer APR",
        "indexer APY",
      ],
      result.farms.map((f) => [
        `${f.pool.farmPoolId} ${f.pool.label}`,
        result.stakes,
        tokens(f.totalStaked),
        tokens(f.rewardRate * 86_400n),
        tokens(f.totalFunded),
        tokens(f.emitted),
        percent(f.apr),
        percent(f.apy),
        percent(f.indexedApr),
        percent(f.indexedApy),
      ]),
    ),
  );
  console.log(`  claimed by agents: ${tokens(result.claimed)} AITBC`);

  console.log(`\nReward rates changed by the APY keeper, and why`);
  const moves = result.apyDecisions.filter((d) => d.action === "set-rate").reverse();
  if (moves.length === 0) console.log("  none");
  for (const d of moves)
    console.log(
      `  farm pool ${d.poolId}: ${tokens(BigInt(String(d.oldRate)) * 86_400n)} → ${tokens(BigInt(String(d.newRate)) * 86_400n)} AITBC/day (${txStatus(d) ?? "not sent"})\n      ${d.reason}`,
    );
  const skips = new Map<string, number>();
  for (const d of result.apyDecisions)
    if (d.action === "skip") skips.set(String(d.skipReason), (skips.get(String(d.skipReason)) ?? 0) + 1);
  if (skips.size > 0) console.log(`  skipped: ${[...skips].map(([r, n]) => `${r} ×${n}`).join(", ")}`);

  const p = result.proposal;
  const support = ["against", "for", "abstain"];
  console.log(`\nGovernance: one proposal, end to end`);
  console.log(`  "${p.description}"`);
  console.log(
    `  proposed at ${p.proposedAt}, queued at ${p.queuedAt}, executed at ${p.executedAt} (chain time, s); ` +
      `state ${p.state} on chain, ${p.indexedState ?? "—"} in the indexer`,
  );
  console.log(`  votes: ${p.votes.map((v) => `${shortAddress(v.voter)} ${support[v.support]}`).join(", ")}`);
  console.log(
    `  fee bounds: ${p.feeBoundsBefore.minFee / 10_000} %–${p.feeBoundsBefore.maxFee / 10_000} % → ` +
      `${p.feeBoundsAfter.minFee / 10_000} %–${p.feeBoundsAfter.maxFee / 10_000} % (set by the timelock; no key could)`,
  );
}
