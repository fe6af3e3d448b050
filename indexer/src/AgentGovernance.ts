import { ponder, type Context } from "ponder:registry";
import { proposal, reputation, vote } from "ponder:schema";
import type { Hex } from "viem";

// Read models of AgentGovernance (an OpenZeppelin 5 Governor with timelock control, on AITBC's timestamp clock)
// and of AgentReputation. A proposal's `state` holds what events decide (Pending → Queued → Executed, or
// Canceled); the states that time decides (Active, Defeated, Succeeded, Expired) are left to the governor's
// `state()`, which `GET /governance/proposals/:id` reads.

async function requireProposal(context: Context, proposalId: bigint) {
  const row = await context.db.find(proposal, { chainId: context.chain.id, proposalId });
  if (!row) {
    throw new Error(
      `governance event for proposal ${proposalId} on chain ${context.chain.id} before its creation`,
    );
  }
  return row;
}

ponder.on("AgentGovernance:ProposalCreated", async ({ event, context }) => {
  const { proposalId, proposer, targets, values, signatures, calldatas, voteStart, voteEnd, description } =
    event.args;
  await context.db.insert(proposal).values({
    chainId: context.chain.id,
    proposalId,
    governor: event.log.address,
    proposer,
    targets: [...targets],
    values: [...values],
    signatures: [...signatures],
    calldatas: [...calldatas],
    actionCount: targets.length,
    description,
    voteStart,
    voteEnd,
    state: "Pending",
    againstVotes: 0n,
    forVotes: 0n,
    abstainVotes: 0n,
    voteCount: 0,
    etaSeconds: null,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    queuedBlock: null,
    executedBlock: null,
    canceledBlock: null,
    updatedBlock: event.block.number,
  });
});

type VoteLog = {
  args: { voter: Hex; proposalId: bigint; support: number; weight: bigint; reason: string; params?: Hex };
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number };
  transaction: { hash: Hex };
};

async function onVote(event: VoteLog, context: Context) {
  const { voter, proposalId, support, weight, reason } = event.args;
  const chainId = context.chain.id;
  await requireProposal(context, proposalId);
  await context.db.insert(vote).values({
    chainId,
    proposalId,
    voter,
    support,
    weight,
    reason,
    params: event.args.params ?? null,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  // GovernorCountingSimple: 0 against, 1 for, 2 abstain; it refuses any other value.
  await context.db.update(proposal, { chainId, proposalId }).set((row) => ({
    againstVotes: row.againstVotes + (support === 0 ? weight : 0n),
    forVotes: row.forVotes + (support === 1 ? weight : 0n),
    abstainVotes: row.abstainVotes + (support === 2 ? weight : 0n),
    voteCount: row.voteCount + 1,
    updatedBlock: event.block.number,
  }));
}

ponder.on("AgentGovernance:VoteCast", ({ event, context }) => onVote(event, context));
ponder.on("AgentGovernance:VoteCastWithParams", ({ event, context }) => onVote(event, context));

ponder.on("AgentGovernance:ProposalQueued", async ({ event, context }) => {
  const { proposalId, etaSeconds } = event.args;
  await requireProposal(context, proposalId);
  await context.db
    .update(proposal, { chainId: context.chain.id, proposalId })
    .set({ state: "Queued", etaSeconds, queuedBlock: event.block.number, updatedBlock: event.block.number });
});

ponder.on("AgentGovernance:ProposalExecuted", async ({ event, context }) => {
  const { proposalId } = event.args;
  await requireProposal(context, proposalId);
  await context.db
    .update(proposal, { chainId: context.chain.id, proposalId })
    .set({ state: "Executed", executedBlock: event.block.number, updatedBlock: event.block.number });
});

ponder.on("AgentGovernance:ProposalCanceled", async ({ event, context }) => {
  const { proposalId } = event.args;
  await requireProposal(context, proposalId);
  await context.db
    .update(proposal, { chainId: context.chain.id, proposalId })
    .set({ state: "Canceled", canceledBlock: event.block.number, updatedBlock: event.block.number });
});

// ─── AgentReputation ─────────────────────────────────────────────────────────────────────────────────

async function onReputation(
  context: Context,
  event: {
    args: { account: Hex; newScore: bigint; newTotal: bigint };
    block: { number: bigint; timestamp: bigint };
  },
  kind: "grant" | "revoke",
) {
  const { account, newScore, newTotal } = event.args;
  const common = {
    score: newScore,
    totalAfter: newTotal,
    updatedBlock: event.block.number,
    updatedTimestamp: event.block.timestamp,
  };
  await context.db
    .insert(reputation)
    .values({
      chainId: context.chain.id,
      account,
      ...common,
      grantCount: kind === "grant" ? 1 : 0,
      revokeCount: kind === "revoke" ? 1 : 0,
    })
    .onConflictDoUpdate((row) => ({
      ...common,
      grantCount: row.grantCount + (kind === "grant" ? 1 : 0),
      revokeCount: row.revokeCount + (kind === "revoke" ? 1 : 0),
    }));
}

ponder.on("AgentReputation:ReputationGranted", ({ event, context }) => onReputation(context, event, "grant"));
ponder.on("AgentReputation:ReputationRevoked", ({ event, context }) =>
  onReputation(context, event, "revoke"),
);
