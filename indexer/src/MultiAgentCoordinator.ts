import { ponder, type Context } from "ponder:registry";
import {
  consortium,
  consortiumContribution,
  consortiumMember,
  consortiumNav,
  consortiumProposal,
  consortiumTrade,
  consortiumVote,
  coordinatorConfig,
  coordinatorStuck,
  distribution,
  distributionClaim,
  ragequit,
} from "ponder:schema";
import { decodeAbiParameters, zeroAddress, type Address, type Hex } from "viem";
import { multiAgentCoordinatorAbi } from "../../generated/abis";
import { lossBps, readErrors, readView } from "./lib/views";

// Read models of the MultiAgentCoordinator's consortia. After each event that changes a consortium's vault the
// handler reads, at the event's block, `getConsortium` (leader, mandate, assets, holdings, shares, high-water mark,
// loss budget) and `netAssetValue`, which prices through the oracle and may revert when it fails closed (null then,
// with the revert in `readError`). Members' shares follow the events (Contributed, SharesTransferred, Ragequit);
// the history tables (contributions, trades, proposals and votes, distributions and claims, exits) are the events'
// arguments.

const PRECISION = 10n ** 18n;
/**
 * The coordinator prices shares as OpenZeppelin ERC-4626 with a decimals offset of 6 (IMultiAgentCoordinator): 10^6
 * virtual shares and 1 virtual base unit, so NAV per share = (nav + 1) × 1e18 / (totalShares + 10^6), the scale and
 * formula of its high-water mark (which starts at 1e18 / 10^6, the first share's price).
 */
const VIRTUAL_SHARES = 10n ** 6n;
const VIRTUAL_ASSETS = 1n;
const PROPOSAL_KINDS = ["SetMandate", "Trade", "SetLeader"] as const;

type CoordinatorEvent = {
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number; address: Address };
  transaction: { hash: Hex };
};

const logKey = (context: Context, event: CoordinatorEvent) => ({
  chainId: context.chain.id,
  blockNumber: event.block.number,
  logIndex: event.log.logIndex,
  timestamp: event.block.timestamp,
  txHash: event.transaction.hash,
});

/** `getConsortium` and `netAssetValue` at `blockNumber` (the NAV null where it reverted). */
async function readConsortium(
  context: Context,
  coordinator: Address,
  consortiumId: bigint,
  blockNumber: bigint,
) {
  const call = {
    address: coordinator,
    abi: multiAgentCoordinatorAbi,
    args: [consortiumId],
    blockNumber,
  } as const;
  const [view, nav] = await Promise.all([
    context.client.readContract({ ...call, functionName: "getConsortium" }),
    readView("netAssetValue", () => context.client.readContract({ ...call, functionName: "netAssetValue" })),
  ]);
  const total = nav.value?.[0] ?? null;
  return {
    state: {
      leader: view.leader,
      baseToken: view.baseToken,
      votingPeriod: BigInt(view.governance.votingPeriod),
      gracePeriod: BigInt(view.governance.gracePeriod),
      quorumBps: view.governance.quorumBps,
      performanceFeeBps: view.governance.performanceFeeBps,
      maxTradeBps: view.mandate.maxTradeBps,
      maxLossPerTradeBps: view.mandate.maxLossPerTradeBps,
      maxLossPerPeriodBps: view.mandate.maxLossPerPeriodBps,
      lossPeriod: BigInt(view.mandate.lossPeriod),
      allowedPools: [...view.allowedPools],
      assets: [...view.assets],
      holdings: [...view.holdings],
      totalShares: view.totalShares,
      highWaterMark: view.highWaterMark,
      lossUsedBps: view.lossUsedBps,
      lossPeriodStart: view.lossPeriodStart,
    },
    readings: {
      nav: total,
      navValues: nav.value ? [...nav.value[1]] : null,
      navPerShare:
        total === null ? null : ((total + VIRTUAL_ASSETS) * PRECISION) / (view.totalShares + VIRTUAL_SHARES),
      readError: readErrors(nav),
    },
  };
}

type Counters = Partial<
  Pick<
    typeof consortium.$inferSelect,
    | "contributed"
    | "distributed"
    | "feesPaid"
    | "tradeCount"
    | "proposalCount"
    | "distributionCount"
    | "ragequitCount"
  >
>;

async function requireConsortium(context: Context, consortiumId: bigint) {
  const row = await context.db.find(consortium, { chainId: context.chain.id, consortiumId });
  if (!row) {
    throw new Error(
      `coordinator event for consortium ${consortiumId} on chain ${context.chain.id} before its ConsortiumCreated: ` +
        `the deployments file's startBlock must be at or before the coordinator's deployment`,
    );
  }
  return row;
}

/**
 * Refreshes the consortium's row from the chain at the event's block, adds `counters` to its running totals, and
 * writes the block's NAV point (one per consortium and block: the reads are the block's).
 */
async function refresh(
  context: Context,
  event: CoordinatorEvent,
  consortiumId: bigint,
  counters: (row: typeof consortium.$inferSelect) => Counters = () => ({}),
) {
  const chainId = context.chain.id;
  const { number: blockNumber, timestamp } = event.block;
  const existing = await requireConsortium(context, consortiumId);
  const { state, readings } = await readConsortium(context, event.log.address, consortiumId, blockNumber);
  await context.db.update(consortium, { chainId, consortiumId }).set({
    ...state,
    ...readings,
    ...counters(existing),
    updatedBlock: blockNumber,
    updatedTimestamp: timestamp,
  });
  await saveNavPoint(context, event, consortiumId, state, readings);
}

/** The block's NAV point of the consortium (the last event of the block leaves the block's final state). */
async function saveNavPoint(
  context: Context,
  event: CoordinatorEvent,
  consortiumId: bigint,
  state: { totalShares: bigint; highWaterMark: bigint },
  readings: {
    nav: bigint | null;
    navValues: bigint[] | null;
    navPerShare: bigint | null;
    readError: string | null;
  },
) {
  const point = { ...readings, totalShares: state.totalShares, highWaterMark: state.highWaterMark };
  await context.db
    .insert(consortiumNav)
    .values({
      chainId: context.chain.id,
      consortiumId,
      blockNumber: event.block.number,
      timestamp: event.block.timestamp,
      ...point,
      events: 1,
    })
    .onConflictDoUpdate((row) => ({ ...point, events: row.events + 1 }));
}

type MemberChange = {
  shares?: bigint;
  contributed?: bigint;
  sharesContributed?: bigint;
  sharesRagequit?: bigint;
  claimed?: bigint;
};

/** Adds `change` to the member's row (created for an account that receives shares without being listed). */
async function changeMember(
  context: Context,
  event: CoordinatorEvent,
  consortiumId: bigint,
  account: Address,
  change: MemberChange,
) {
  const zero = { shares: 0n, contributed: 0n, sharesContributed: 0n, sharesRagequit: 0n, claimed: 0n };
  const add = { ...zero, ...change };
  await context.db
    .insert(consortiumMember)
    .values({
      chainId: context.chain.id,
      consortiumId,
      account,
      listed: false,
      ...add,
      updatedBlock: event.block.number,
    })
    .onConflictDoUpdate((row) => ({
      shares: row.shares + add.shares,
      contributed: row.contributed + add.contributed,
      sharesContributed: row.sharesContributed + add.sharesContributed,
      sharesRagequit: row.sharesRagequit + add.sharesRagequit,
      claimed: row.claimed + add.claimed,
      updatedBlock: event.block.number,
    }));
  const row = await context.db.find(consortiumMember, { chainId: context.chain.id, consortiumId, account });
  if (row!.shares < 0n) {
    throw new Error(
      `member ${account} of consortium ${consortiumId} on chain ${context.chain.id} would hold ${row!.shares} ` +
        `shares: a share movement was missed`,
    );
  }
}

ponder.on("MultiAgentCoordinator:ConsortiumCreated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { consortiumId, members } = event.args;
  await context.db
    .insert(coordinatorConfig)
    .values({
      chainId,
      address: event.log.address,
      paused: false,
      updatedBlock: event.block.number,
      updatedTimestamp: event.block.timestamp,
    })
    .onConflictDoNothing();
  const { state, readings } = await readConsortium(
    context,
    event.log.address,
    consortiumId,
    event.block.number,
  );
  await context.db.insert(consortium).values({
    chainId,
    consortiumId,
    coordinator: event.log.address,
    members: [...members],
    ...state,
    ...readings,
    contributed: 0n,
    distributed: 0n,
    feesPaid: 0n,
    tradeCount: 0,
    proposalCount: 0,
    distributionCount: 0,
    ragequitCount: 0,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    updatedBlock: event.block.number,
    updatedTimestamp: event.block.timestamp,
  });
  for (const member of members) {
    await context.db
      .insert(consortiumMember)
      .values({
        chainId,
        consortiumId,
        account: member,
        listed: true,
        shares: 0n,
        contributed: 0n,
        sharesContributed: 0n,
        sharesRagequit: 0n,
        claimed: 0n,
        updatedBlock: event.block.number,
      })
      .onConflictDoUpdate({ listed: true });
  }
  await saveNavPoint(context, event, consortiumId, state, readings);
});

/**
 * MandateSet and LeaderSet. `createConsortium` may set its first mandate (or leader) before it announces the
 * consortium: then there is no row yet, and the ConsortiumCreated that follows in the same transaction reads them.
 */
async function onSettings(context: Context, event: CoordinatorEvent, consortiumId: bigint) {
  const row = await context.db.find(consortium, { chainId: context.chain.id, consortiumId });
  if (row) await refresh(context, event, consortiumId);
}

ponder.on("MultiAgentCoordinator:MandateSet", async ({ event, context }) => {
  await onSettings(context, event, event.args.consortiumId);
});

ponder.on("MultiAgentCoordinator:LeaderSet", async ({ event, context }) => {
  await onSettings(context, event, event.args.consortiumId);
});

ponder.on("MultiAgentCoordinator:Contributed", async ({ event, context }) => {
  const { consortiumId, member, amount, shares, navBefore } = event.args;
  await context.db
    .insert(consortiumContribution)
    .values({ ...logKey(context, event), consortiumId, member, amount, shares, navBefore });
  await changeMember(context, event, consortiumId, member, {
    shares,
    contributed: amount,
    sharesContributed: shares,
  });
  await refresh(context, event, consortiumId, (row) => ({ contributed: row.contributed + amount }));
});

ponder.on("MultiAgentCoordinator:SharesTransferred", async ({ event, context }) => {
  const { consortiumId, from, to, shares } = event.args;
  // Contributed and Ragequit carry the shares they mint and burn; a mint or burn announced again as a transfer
  // from or to the zero address is not counted twice.
  if (from !== zeroAddress && to !== zeroAddress) {
    await changeMember(context, event, consortiumId, from, { shares: -shares });
    await changeMember(context, event, consortiumId, to, { shares });
  }
  await refresh(context, event, consortiumId);
});

ponder.on("MultiAgentCoordinator:ConsortiumTraded", async ({ event, context }) => {
  const { consortiumId, proposalId, tokenIn, tokenOut, amountIn, amountOut, oracleAmountOut, navAfter } =
    event.args;
  await context.db.insert(consortiumTrade).values({
    ...logKey(context, event),
    consortiumId,
    proposalId,
    tokenIn,
    tokenOut,
    amountIn,
    amountOut,
    oracleAmountOut,
    lossBps: lossBps(amountOut, oracleAmountOut),
    navAfter,
  });
  await refresh(context, event, consortiumId, (row) => ({ tradeCount: row.tradeCount + 1 }));
});

/** A proposal's `data` decoded per its kind (amounts as decimal strings); null if it does not decode. */
function decodeProposal(kind: (typeof PROPOSAL_KINDS)[number], data: Hex) {
  try {
    if (kind === "SetMandate") {
      const [mandate, allowedPools] = decodeAbiParameters(
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
        data,
      );
      return { mandate, allowedPools: allowedPools.map(String) };
    }
    if (kind === "Trade") {
      const [poolIds, tokenIn, amountIn, minAmountOut] = decodeAbiParameters(
        [{ type: "uint256[]" }, { type: "address" }, { type: "uint256" }, { type: "uint256" }],
        data,
      );
      return {
        poolIds: poolIds.map(String),
        tokenIn,
        amountIn: amountIn.toString(),
        minAmountOut: minAmountOut.toString(),
      };
    }
    const [leader] = decodeAbiParameters([{ type: "address" }], data);
    return { leader };
  } catch {
    return null;
  }
}

ponder.on("MultiAgentCoordinator:ProposalCreated", async ({ event, context }) => {
  const { proposalId, consortiumId, proposer, kind, data, snapshotBlock, voteEnd, graceEnd } = event.args;
  const kindName = PROPOSAL_KINDS[kind];
  if (kindName === undefined)
    throw new Error(`ProposalCreated with unknown ProposalKind ${kind} (proposal ${proposalId})`);
  await requireConsortium(context, consortiumId);
  await context.db.insert(consortiumProposal).values({
    chainId: context.chain.id,
    proposalId,
    consortiumId,
    proposer,
    kind: kindName,
    data,
    decoded: decodeProposal(kindName, data),
    snapshotBlock,
    voteEnd,
    graceEnd,
    yesVotes: 0n,
    noVotes: 0n,
    voteCount: 0,
    executed: false,
    executedBlock: null,
    createdBlock: event.block.number,
    createdTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await context.db
    .update(consortium, { chainId: context.chain.id, consortiumId })
    .set((row) => ({ proposalCount: row.proposalCount + 1 }));
});

async function requireProposal(context: Context, proposalId: bigint) {
  const row = await context.db.find(consortiumProposal, { chainId: context.chain.id, proposalId });
  if (!row) {
    throw new Error(
      `coordinator event for proposal ${proposalId} on chain ${context.chain.id} before its creation`,
    );
  }
  return row;
}

ponder.on("MultiAgentCoordinator:Voted", async ({ event, context }) => {
  const { proposalId, voter, support, weight } = event.args;
  const chainId = context.chain.id;
  await requireProposal(context, proposalId);
  await context.db.insert(consortiumVote).values({
    chainId,
    proposalId,
    voter,
    support,
    weight,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await context.db.update(consortiumProposal, { chainId, proposalId }).set((row) => ({
    yesVotes: row.yesVotes + (support ? weight : 0n),
    noVotes: row.noVotes + (support ? 0n : weight),
    voteCount: row.voteCount + 1,
  }));
});

ponder.on("MultiAgentCoordinator:ProposalExecuted", async ({ event, context }) => {
  const { proposalId, consortiumId } = event.args;
  await requireProposal(context, proposalId);
  await context.db
    .update(consortiumProposal, { chainId: context.chain.id, proposalId })
    .set({ executed: true, executedBlock: event.block.number });
  await refresh(context, event, consortiumId);
});

ponder.on("MultiAgentCoordinator:ProfitsDistributed", async ({ event, context }) => {
  const { consortiumId, distributionId, amount, fee, snapshotBlock, totalSharesAtSnapshot, highWaterMark } =
    event.args;
  await context.db.insert(distribution).values({
    chainId: context.chain.id,
    distributionId,
    consortiumId,
    amount,
    fee,
    snapshotBlock,
    totalSharesAtSnapshot,
    highWaterMark,
    claimed: 0n,
    claimCount: 0,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await refresh(context, event, consortiumId, (row) => ({
    distributed: row.distributed + amount,
    feesPaid: row.feesPaid + fee,
    distributionCount: row.distributionCount + 1,
  }));
});

ponder.on("MultiAgentCoordinator:Claimed", async ({ event, context }) => {
  const { distributionId, account, amount } = event.args;
  const chainId = context.chain.id;
  const row = await context.db.find(distribution, { chainId, distributionId });
  if (!row)
    throw new Error(
      `Claimed of distribution ${distributionId} on chain ${chainId} before its ProfitsDistributed`,
    );
  await context.db.insert(distributionClaim).values({
    chainId,
    distributionId,
    account,
    consortiumId: row.consortiumId,
    amount,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await context.db
    .update(distribution, { chainId, distributionId })
    .set({ claimed: row.claimed + amount, claimCount: row.claimCount + 1 });
  // Claims are paid from tokens set aside at the distribution, outside the NAV: the vault does not change.
  await changeMember(context, event, row.consortiumId, account, { claimed: amount });
});

ponder.on("MultiAgentCoordinator:Ragequit", async ({ event, context }) => {
  const { consortiumId, member, shares, tokens, amounts } = event.args;
  await context.db.insert(ragequit).values({
    ...logKey(context, event),
    consortiumId,
    member,
    shares,
    tokens: [...tokens],
    amounts: [...amounts],
  });
  await changeMember(context, event, consortiumId, member, { shares: -shares, sharesRagequit: shares });
  await refresh(context, event, consortiumId, (row) => ({ ragequitCount: row.ragequitCount + 1 }));
});

ponder.on("MultiAgentCoordinator:ExitTransferFailed", async ({ event, context }) => {
  const { member, token, amount } = event.args;
  await context.db
    .insert(coordinatorStuck)
    .values({
      chainId: context.chain.id,
      account: member,
      token,
      amount,
      failedCount: 1,
      withdrawn: 0n,
      updatedBlock: event.block.number,
    })
    .onConflictDoUpdate((row) => ({
      amount: row.amount + amount,
      failedCount: row.failedCount + 1,
      updatedBlock: event.block.number,
    }));
});

ponder.on("MultiAgentCoordinator:StuckWithdrawn", async ({ event, context }) => {
  const { account, token, amount } = event.args;
  const key = { chainId: context.chain.id, account, token };
  const row = await context.db.find(coordinatorStuck, key);
  if (!row || row.amount < amount) {
    throw new Error(
      `StuckWithdrawn of ${amount} ${token} by ${account} on chain ${context.chain.id}, but ${row?.amount ?? 0n} ` +
        `is indexed as stuck: an ExitTransferFailed was missed`,
    );
  }
  await context.db.update(coordinatorStuck, key).set({
    amount: row.amount - amount,
    withdrawn: row.withdrawn + amount,
    updatedBlock: event.block.number,
  });
});

async function setPaused(context: Context, event: CoordinatorEvent, paused: boolean) {
  const values = { paused, updatedBlock: event.block.number, updatedTimestamp: event.block.timestamp };
  await context.db
    .insert(coordinatorConfig)
    .values({ chainId: context.chain.id, address: event.log.address, ...values })
    .onConflictDoUpdate(values);
}

ponder.on("MultiAgentCoordinator:Paused", async ({ event, context }) => setPaused(context, event, true));
ponder.on("MultiAgentCoordinator:Unpaused", async ({ event, context }) => setPaused(context, event, false));
