import { encodeFunctionData, keccak256, toBytes, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { agentGovernanceAbi } from "../../generated/abis.js";
import { send, type ScenarioContext } from "./scenario.js";

/** One call a proposal makes through the timelock. */
export type ProposalCall = {
  target: Address;
  abi: readonly unknown[];
  functionName: string;
  args: readonly unknown[];
};

export type CarriedProposal = {
  proposalId: bigint;
  description: string;
  /** Block timestamps of each step, for the report. */
  proposedAt: bigint;
  queuedAt: bigint;
  executedAt: bigint;
  votes: { voter: Address; support: number }[];
};

/** Governor `ProposalState` names, by the enum's index. */
export const proposalStates = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;

/** Moves the chain's clock forward by `seconds` and mines a block at the new time. */
export async function travel(ctx: ScenarioContext, seconds: number | bigint): Promise<void> {
  const rpc = (method: string, params: unknown[]) =>
    ctx.publicClient.request({ method: method as never, params: params as never });
  await rpc("evm_increaseTime", [Number(seconds)]);
  await rpc("evm_mine", []);
}

async function latestTimestamp(ctx: ScenarioContext): Promise<bigint> {
  return (await ctx.publicClient.getBlock()).timestamp;
}

export async function proposalState(ctx: ScenarioContext, proposalId: bigint) {
  const index = await ctx.publicClient.readContract({
    address: ctx.deployment.contracts.AgentGovernance,
    abi: agentGovernanceAbi,
    functionName: "state",
    args: [proposalId],
  });
  return proposalStates[index];
}

/**
 * Carries a proposal through the real Governor and timelock with anvil time travel: propose → wait for the
 * snapshot → every voter votes → wait for the deadline → queue → wait the timelock delay → execute.
 * `whileQueued` runs after queueing (the change is decided but not yet in force).
 */
export async function carryProposal(
  ctx: ScenarioContext,
  proposer: PrivateKeyAccount,
  calls: ProposalCall[],
  description: string,
  voters: { account: PrivateKeyAccount; support: 0 | 1 | 2 }[],
  whileQueued?: () => Promise<void>,
): Promise<CarriedProposal> {
  const governor = ctx.deployment.contracts.AgentGovernance;
  const targets = calls.map((c) => c.target);
  const values = calls.map(() => 0n);
  const calldatas = calls.map(
    (c) => encodeFunctionData({ abi: c.abi, functionName: c.functionName, args: c.args } as never) as Hex,
  );
  const descriptionHash = keccak256(toBytes(description));
  const gov = { address: governor, abi: agentGovernanceAbi };

  const proposed = await send(ctx, proposer, {
    ...gov,
    functionName: "propose",
    args: [targets, values, calldatas, description],
  });
  const proposalId = proposed.result as bigint;
  const proposedAt = (await ctx.publicClient.getBlock({ blockNumber: proposed.receipt.blockNumber }))
    .timestamp;

  const read = (functionName: "proposalSnapshot" | "proposalDeadline" | "proposalEta") =>
    ctx.publicClient.readContract({ ...gov, functionName, args: [proposalId] }) as Promise<bigint>;
  const snapshot = await read("proposalSnapshot");
  await travel(ctx, snapshot - (await latestTimestamp(ctx)) + 1n);
  for (const voter of voters)
    await send(ctx, voter.account, { ...gov, functionName: "castVote", args: [proposalId, voter.support] });

  const deadline = await read("proposalDeadline");
  await travel(ctx, deadline - (await latestTimestamp(ctx)) + 1n);
  const queued = await send(ctx, proposer, {
    ...gov,
    functionName: "queue",
    args: [targets, values, calldatas, descriptionHash],
  });
  const queuedAt = (await ctx.publicClient.getBlock({ blockNumber: queued.receipt.blockNumber })).timestamp;
  if (whileQueued) await whileQueued();

  const eta = await read("proposalEta");
  const now = await latestTimestamp(ctx);
  if (eta > now) await travel(ctx, eta - now);
  const executed = await send(ctx, proposer, {
    ...gov,
    functionName: "execute",
    args: [targets, values, calldatas, descriptionHash],
  });
  const executedAt = (await ctx.publicClient.getBlock({ blockNumber: executed.receipt.blockNumber }))
    .timestamp;
  return {
    proposalId,
    description,
    proposedAt,
    queuedAt,
    executedAt,
    votes: voters.map((v) => ({ voter: v.account.address, support: v.support })),
  };
}
