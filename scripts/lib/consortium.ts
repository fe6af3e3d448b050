/**
 * A consortium's life, shared by the end-to-end test and the demo: five agents contribute AITBC, the leader buys
 * GPU-hour credits within the mandate, an outsider's buying lifts their price, the leader sells at a profit, the
 * profit is distributed and claimed, a proposal to widen the mandate passes and one member who voted against it
 * leaves during its grace period before it runs; at the end everyone leaves.
 *
 * Every member's wallet is checked against a model after every step — contributions cost exactly what was given,
 * a claim pays shares at the snapshot × amount / shares then, a ragequit pays each asset's rounded-down pro-rata
 * share, a second claim pays nothing — and every refusal the protocol owes (a pool outside the mandate, executing
 * during the grace period, claiming twice) is checked to happen. Differences are returned, not thrown, so the
 * demo can print them and the test can assert there are none.
 */
import { encodeAbiParameters, maxUint256, parseEventLogs, type Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { aiServiceTokenAbi, multiAgentCoordinatorAbi } from "../../generated/abis.js";
import { travel } from "./governance.js";
import { chainDeadline, movePrice, warmOracle } from "./portfolios.js";
import { send, units, type Market, type ScenarioContext } from "./scenario.js";

/** The coordinator's virtual shares (OpenZeppelin ERC-4626's decimals offset of 6). */
const VIRTUAL_SHARES = 10n ** 6n;

export type ConsortiumStep = { label: string; block: bigint; detail: string };

export type ConsortiumResult = {
  consortiumId: bigint;
  steps: ConsortiumStep[];
  /** Model against chain, and refusals that did not happen; empty when all is well. */
  mismatches: string[];
};

export type Mandate = {
  maxTradeBps: number;
  maxLossPerTradeBps: number;
  maxLossPerPeriodBps: number;
  lossPeriod: number;
};

export const consortiumMandate: Mandate = {
  maxTradeBps: 4_000,
  maxLossPerTradeBps: 100,
  maxLossPerPeriodBps: 300,
  lossPeriod: 86_400,
};

export async function runConsortium(
  ctx: ScenarioContext,
  options: {
    members: PrivateKeyAccount[];
    outsider: PrivateKeyAccount;
    /** The AITBC markets (GPUH, LLMT, STOR against AITBC). */
    markets: Market[];
    votingPeriod?: number;
    gracePeriod?: number;
  },
): Promise<ConsortiumResult> {
  const { members, outsider, markets } = options;
  const votingPeriod = options.votingPeriod ?? 300;
  const gracePeriod = options.gracePeriod ?? 300;
  const contracts = ctx.deployment.contracts;
  const coordinator = { address: contracts.MultiAgentCoordinator, abi: multiAgentCoordinatorAbi };
  // Views by name: the coordinator's ABI types are checked where the results are used.
  const call = <T>(functionName: string, args: unknown[]) =>
    ctx.publicClient.readContract({ ...coordinator, functionName, args } as never) as Promise<T>;
  const tokens: Address[] = [contracts.AITBC, contracts.GPUH, contracts.LLMT, contracts.STOR];
  const balanceOf = (token: Address, account: Address) =>
    ctx.publicClient.readContract({
      address: token,
      abi: aiServiceTokenAbi,
      functionName: "balanceOf",
      args: [account],
    });
  const mismatches: string[] = [];
  const steps: ConsortiumStep[] = [];
  const logStep = (label: string, block: bigint, detail: string) => steps.push({ label, block, detail });

  // The model: what each member's wallet should hold of each token.
  const expected = new Map<Address, Map<Address, bigint>>();
  const credit = (member: Address, token: Address, amount: bigint) =>
    expected.get(member)!.set(token, expected.get(member)!.get(token)! + amount);
  const checkWallets = async (after: string) => {
    for (const member of members)
      for (const token of tokens) {
        const actual = await balanceOf(token, member.address);
        const want = expected.get(member.address)!.get(token)!;
        if (actual !== want)
          mismatches.push(`after ${after}: ${member.address} holds ${actual} of ${token}, model ${want}`);
      }
  };
  const refused = async (label: string, pattern: RegExp, attempt: () => Promise<unknown>) => {
    try {
      await attempt();
      mismatches.push(`${label}: went through, should have been refused`);
    } catch (error) {
      if (!pattern.test(String(error)))
        mismatches.push(`${label}: refused for the wrong reason: ${String(error).slice(0, 200)}`);
    }
  };

  for (const member of members) {
    await send(ctx, member, {
      address: contracts.AITBC,
      abi: aiServiceTokenAbi,
      functionName: "approve",
      args: [contracts.MultiAgentCoordinator, maxUint256],
    });
    expected.set(
      member.address,
      new Map(
        await Promise.all(
          tokens.map(async (token) => [token, await balanceOf(token, member.address)] as const),
        ),
      ),
    );
  }

  const [leader] = members;
  const gpuh = markets.find((market) => market.base === "GPUH")!;
  const stor = markets.find((market) => market.base === "STOR")!;
  const poolIds = markets.map((market) => market.poolId);

  const { receipt: created } = await send(ctx, leader, {
    ...coordinator,
    functionName: "createConsortium",
    args: [
      members.map((member) => member.address),
      leader.address,
      contracts.AITBC,
      { votingPeriod, gracePeriod, quorumBps: 5_000, performanceFeeBps: 1_000 },
      consortiumMandate,
      [gpuh.poolId],
    ],
  });
  const [{ args: createdArgs }] = parseEventLogs({
    abi: multiAgentCoordinatorAbi,
    logs: created.logs,
    eventName: "ConsortiumCreated",
  });
  const id = createdArgs.consortiumId;
  logStep(
    "created",
    created.blockNumber,
    `${members.length} members, leader ${leader.address.slice(0, 8)}…, mandate: GPUH/AITBC only`,
  );

  for (const [index, member] of members.entries()) {
    const amount = units(1_000 * (index + 1));
    const { receipt } = await send(ctx, member, {
      ...coordinator,
      functionName: "contribute",
      args: [id, amount],
    });
    credit(member.address, contracts.AITBC, -amount);
    const [{ args }] = parseEventLogs({
      abi: multiAgentCoordinatorAbi,
      logs: receipt.logs,
      eventName: "Contributed",
    });
    logStep(
      "contribute",
      receipt.blockNumber,
      `member ${index}: ${1_000 * (index + 1)} AITBC → ${whole(args.shares)} shares`,
    );
  }
  await checkWallets("contributions");

  const { receipt: bought } = await send(ctx, leader, {
    ...coordinator,
    functionName: "leaderTrade",
    args: [id, [gpuh.poolId], contracts.AITBC, units(500)],
  });
  logStep("leader buys", bought.blockNumber, "500 AITBC → GPUH, inside the mandate");
  await movePrice(ctx, outsider, gpuh, 1.25, await chainDeadline(ctx));
  await warmOracle(ctx, poolIds);
  await refused("a leader trade through a pool outside the mandate", /PoolNotAllowed/, () =>
    send(ctx, leader, {
      ...coordinator,
      functionName: "leaderTrade",
      args: [id, [stor.poolId], contracts.AITBC, units(100)],
    }),
  );
  const before = await call<{ assets: Address[]; holdings: bigint[] }>("getConsortium", [id]);
  const gpuhHeld = before.holdings[before.assets.indexOf(contracts.GPUH)];
  const { receipt: sold } = await send(ctx, leader, {
    ...coordinator,
    functionName: "leaderTrade",
    args: [id, [gpuh.poolId], contracts.GPUH, gpuhHeld],
  });
  logStep("leader sells", sold.blockNumber, "every GPUH back to AITBC after a 25 % rise");

  const leaderBefore = await balanceOf(contracts.AITBC, leader.address);
  const { receipt: distributed } = await send(ctx, members[1], {
    ...coordinator,
    functionName: "distributeProfits",
    args: [id],
  });
  const [{ args: distribution }] = parseEventLogs({
    abi: multiAgentCoordinatorAbi,
    logs: distributed.logs,
    eventName: "ProfitsDistributed",
  });
  credit(leader.address, contracts.AITBC, distribution.fee);
  if ((await balanceOf(contracts.AITBC, leader.address)) - leaderBefore !== distribution.fee)
    mismatches.push("the leader's performance fee did not reach the leader");
  if (distribution.fee !== ((distribution.amount + distribution.fee) * 1_000n) / 10_000n)
    mismatches.push(
      `fee ${distribution.fee} is not 10 % of the profit ${distribution.amount + distribution.fee}`,
    );
  logStep(
    "distribute",
    distributed.blockNumber,
    `${units2(distribution.amount)} AITBC to holders at block ${distribution.snapshotBlock}, ${units2(distribution.fee)} fee to the leader`,
  );
  const claimShare = async (member: PrivateKeyAccount, index: number) => {
    const held = await call<bigint>("sharesAt", [id, member.address, distribution.snapshotBlock]);
    const { receipt } = await send(ctx, member, {
      ...coordinator,
      functionName: "claim",
      args: [distribution.distributionId],
    });
    const amount = (held * distribution.amount) / distribution.totalSharesAtSnapshot;
    credit(member.address, contracts.AITBC, amount);
    logStep("claim", receipt.blockNumber, `member ${index}: ${units2(amount)} AITBC`);
  };
  for (const [index, member] of members.slice(0, 4).entries()) await claimShare(member, index);
  await checkWallets("claims");

  const data = encodeAbiParameters(
    [
      {
        type: "tuple",
        components: [
          { name: "maxTradeBps", type: "uint16" },
          { name: "maxLossPerTradeBps", type: "uint16" },
          { name: "maxLossPerPeriodBps", type: "uint16" },
          { name: "lossPeriod", type: "uint32" },
        ],
      },
      { type: "uint256[]" },
    ],
    [consortiumMandate, [gpuh.poolId, stor.poolId]],
  );
  const { receipt: proposed } = await send(ctx, members[2], {
    ...coordinator,
    functionName: "propose",
    args: [id, 0, data],
  });
  const [{ args: proposal }] = parseEventLogs({
    abi: multiAgentCoordinatorAbi,
    logs: proposed.logs,
    eventName: "ProposalCreated",
  });
  logStep(
    "propose",
    proposed.blockNumber,
    `#${proposal.proposalId}: allow the STOR/AITBC pool (beyond the mandate)`,
  );
  for (const member of members.slice(0, 4))
    await send(ctx, member, { ...coordinator, functionName: "vote", args: [proposal.proposalId, true] });
  const { receipt: against } = await send(ctx, members[4], {
    ...coordinator,
    functionName: "vote",
    args: [proposal.proposalId, false],
  });
  logStep("vote", against.blockNumber, "members 0–3 for (2/3 of the shares), member 4 against");
  await travel(ctx, votingPeriod + 1);
  const inGrace = await call<{ state: number }>("getProposal", [proposal.proposalId]);
  if (inGrace.state !== 2)
    mismatches.push(`after the vote the proposal is in state ${inGrace.state}, not Grace (2)`);
  await refused("executing during the grace period", /ProposalNotReady/, () =>
    send(ctx, members[1], { ...coordinator, functionName: "execute", args: [proposal.proposalId] }),
  );

  const ragequit = async (member: PrivateKeyAccount, index: number, label: string) => {
    const state = await call<{ assets: Address[]; holdings: bigint[]; totalShares: bigint }>(
      "getConsortium",
      [id],
    );
    const held = await call<bigint>("sharesOf", [id, member.address]);
    const { receipt } = await send(ctx, member, {
      ...coordinator,
      functionName: "ragequit",
      args: [id, held],
    });
    // ⌊s·holding/(totalShares + virtual shares)⌋: the virtual shares' part stays with the remaining members.
    for (const [i, token] of state.assets.entries())
      credit(member.address, token, (state.holdings[i] * held) / (state.totalShares + VIRTUAL_SHARES));
    logStep(
      label,
      receipt.blockNumber,
      `member ${index}: ${whole(held)} of ${whole(state.totalShares)} shares`,
    );
  };
  await ragequit(members[4], 4, "ragequit in grace");
  await checkWallets("the ragequit during the grace period");
  await claimShare(members[4], 4);
  await refused("a second claim", /AlreadyClaimed/, () =>
    send(ctx, members[4], { ...coordinator, functionName: "claim", args: [distribution.distributionId] }),
  );

  await travel(ctx, gracePeriod + 1);
  const { receipt: executed } = await send(ctx, outsider, {
    ...coordinator,
    functionName: "execute",
    args: [proposal.proposalId],
  });
  const after = await call<{ allowedPools: bigint[] }>("getConsortium", [id]);
  if (!after.allowedPools.includes(stor.poolId))
    mismatches.push("the executed proposal did not allow the STOR pool");
  logStep("execute", executed.blockNumber, "after the grace period, by an outsider");

  for (const [index, member] of members.slice(0, 4).entries()) await ragequit(member, index, "ragequit");
  await checkWallets("everyone left");
  return { consortiumId: id, steps, mismatches };
}

const units2 = (amount: bigint) =>
  (Number(amount / 10n ** 14n) / 10_000).toLocaleString("en-US", { maximumFractionDigits: 2 });

/** Shares (18 decimals) as a whole number with separators. */
const whole = (shares: bigint) => (shares / 10n ** 18n).toLocaleString("en-US");
