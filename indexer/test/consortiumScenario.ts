// A consortium scenario and the checks that the indexer's consortium read models equal the MultiAgentCoordinator.
// Alice, bob and carol form a consortium led by alice (AITBC base, GPUH allowed) and contribute; alice buys GPUH,
// its price rises (an outside buyer, within the oracle's band), she sells half at a profit and dave distributes it
// above the high-water mark; alice and bob claim. With the oracle stale, alice gives dave shares (the NAV read then
// fails closed: null). Bob proposes a wider mandate (LLMT too) and himself as leader; the votes pass, carol leaves
// with half her shares during the grace period, both proposals execute, bob trades into LLMT and dave ragequits.
// Every expectation is read from the chain: rows against `getConsortium`, `netAssetValue`, `sharesOf`, `getProposal`
// and `claimable` at the right blocks, history rows against the logs.
import { encodeAbiParameters, parseEventLogs, type Address } from "viem";
import { expect } from "vitest";
import type { Indexer } from "../lib/start";
import {
  byLog,
  checkOracleMatchesChain,
  expectedLossBps,
  expectReadError,
  lower,
  readAt,
  startMarket,
  str,
  strs,
  type Market,
} from "./agents";
import { e18, FAR_DEADLINE, show } from "./protocol";
import { getJson, graphqlQuery, pollUntil, waitForBlock } from "./scenario";

const PRECISION = 10n ** 18n;
const PROPOSAL_KINDS = ["SetMandate", "Trade", "SetLeader"];
/** Events after which the indexer refreshes a consortium's row and NAV point (they change its vault). */
const VAULT_EVENTS = new Set([
  "ConsortiumCreated",
  "MandateSet",
  "LeaderSet",
  "Contributed",
  "SharesTransferred",
  "ConsortiumTraded",
  "ProposalExecuted",
  "ProfitsDistributed",
  "Ragequit",
]);
export const governance = {
  votingPeriod: 3_600,
  gracePeriod: 1_800,
  quorumBps: 2_000,
  performanceFeeBps: 1_000,
};
export const mandate = {
  maxTradeBps: 5_000,
  maxLossPerTradeBps: 300,
  maxLossPerPeriodBps: 1_000,
  lossPeriod: 86_400,
};

/** Deploys, plays the scenario and returns the market (its chain still running). */
export async function runConsortiumScenario(chainId: number): Promise<Market> {
  const market = await startMarket(chainId);
  try {
    await playConsortium(market);
    return market;
  } catch (error) {
    await market.chain.anvil.stop();
    throw error;
  }
}

export async function playConsortium(market: Market) {
  const { chain, deployer, alice, bob, carol, dave, coordinator, amm, oracle, tokens, pools } = market;
  const sharesOf = async (id: bigint, account: Address) =>
    (await chain.client.readContract({
      ...coordinator,
      functionName: "sharesOf",
      args: [id, account],
    })) as bigint;

  await market.warmOracle();
  const c = (await chain.client.readContract({ ...coordinator, functionName: "consortiumCount" })) as bigint;
  await chain.send(deployer, coordinator, "createConsortium", [
    [alice.address, bob.address, carol.address],
    alice.address,
    tokens.AITBC,
    governance,
    mandate,
    [pools.gpuh],
  ]);
  await chain.sendMany([
    [alice, coordinator, "contribute", [c, e18(10_000)]],
    [bob, coordinator, "contribute", [c, e18(6_000)]],
    [carol, coordinator, "contribute", [c, e18(4_000)]],
  ]);
  await market.tick();
  await chain.send(alice, coordinator, "leaderTrade", [c, [pools.gpuh], tokens.AITBC, e18(8_000)]);

  // An outside buyer lifts GPUH by about 10 % in steps the oracle's band accepts, then a window passes so the
  // time-weighted price has caught up.
  const stepBps = Math.max(1, Math.min(100, Math.floor(market.maxMoveBps / 4)));
  const [reserveAitbc] = await reserves(market, pools.gpuh, tokens.AITBC);
  const buy = (reserveAitbc * BigInt(stepBps)) / 20_000n;
  for (let moved = 0; moved < 1_000; moved += stepBps) {
    await market.nextPeriod();
    await chain.sendMany([
      [
        deployer,
        amm,
        "swapExactInputSingle",
        [pools.gpuh, tokens.AITBC, buy, 0n, deployer.address, FAR_DEADLINE],
      ],
      [
        deployer,
        amm,
        "swapExactInputSingle",
        [pools.llmt, tokens.AITBC, e18(1), 0n, deployer.address, FAR_DEADLINE],
      ],
      [deployer, oracle, "recordMany", [[pools.gpuh, pools.llmt]]],
    ]);
  }
  await market.advance(market.window + market.period);
  const view = (await chain.client.readContract({
    ...coordinator,
    functionName: "getConsortium",
    args: [c],
  })) as {
    assets: readonly Address[];
    holdings: readonly bigint[];
  };
  const gpuhHeld = view.holdings[view.assets.indexOf(tokens.GPUH)]!;
  await chain.send(alice, coordinator, "leaderTrade", [c, [pools.gpuh], tokens.GPUH, gpuhHeld / 2n]);
  await chain.send(dave, coordinator, "distributeProfits", [c]);
  const distributionId = await lastDistributionId(market);
  await chain.sendMany([
    [alice, coordinator, "claim", [distributionId]],
    [bob, coordinator, "claim", [distributionId]],
  ]);
  await market.tick();

  // The oracle goes stale: a share transfer (no pricing needed) is indexed with a NAV that failed closed.
  await chain.increaseTime(2 * market.window);
  await chain.send(alice, coordinator, "transferShares", [c, dave.address, e18(1_000)]);
  await market.warmOracle();

  // Proposals: a wider mandate (LLMT too) and bob as leader.
  const mandateData = encodeAbiParameters(
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
    [mandate, [pools.gpuh, pools.llmt]],
  );
  const leaderData = encodeAbiParameters([{ type: "address" }], [bob.address]);
  const proposed = await chain.sendMany([
    [bob, coordinator, "propose", [c, 0, mandateData]],
    [bob, coordinator, "propose", [c, 2, leaderData]],
  ]);
  const [setMandate, setLeader] = proposed.map(
    (receipt) =>
      parseEventLogs({
        abi: chain.abis.multiAgentCoordinatorAbi,
        eventName: "ProposalCreated",
        logs: receipt.logs,
      })[0]!.args.proposalId,
  ) as [bigint, bigint];
  await market.tick();
  await chain.sendMany([
    [alice, coordinator, "vote", [setMandate, true]],
    [alice, coordinator, "vote", [setLeader, true]],
    [bob, coordinator, "vote", [setMandate, true]],
    [bob, coordinator, "vote", [setLeader, true]],
    [carol, coordinator, "vote", [setLeader, false]],
    [dave, coordinator, "vote", [setMandate, true]],
  ]);
  await market.advance(governance.votingPeriod + market.period);
  // During the grace period carol, outvoted, leaves with half her shares.
  await chain.send(carol, coordinator, "ragequit", [c, (await sharesOf(c, carol.address)) / 2n]);
  await market.advance(governance.gracePeriod + market.period);
  await chain.sendMany([
    [dave, coordinator, "execute", [setMandate]],
    [dave, coordinator, "execute", [setLeader]],
  ]);
  await chain.send(bob, coordinator, "leaderTrade", [c, [pools.llmt], tokens.AITBC, e18(2_000)]);
  await chain.send(dave, coordinator, "ragequit", [c, await sharesOf(c, dave.address)]);
  await market.tick();
  // The guardian (the deployer on a local chain) pauses the coordinator: the indexer shows it paused.
  await chain.send(deployer, coordinator, "pause");
}

/** The pool's reserve of `token` and of the other token. */
async function reserves(market: Market, poolId: bigint, token: Address): Promise<[bigint, bigint]> {
  const pool = (await market.chain.client.readContract({
    ...market.amm,
    functionName: "getPool",
    args: [poolId],
  })) as { token0: Address; reserve0: bigint; reserve1: bigint };
  return pool.token0 === token ? [pool.reserve0, pool.reserve1] : [pool.reserve1, pool.reserve0];
}

/** The id of the newest ProfitsDistributed. */
async function lastDistributionId(market: Market): Promise<bigint> {
  const logs = await market.chain.client.getContractEvents({
    address: market.coordinator.address,
    abi: market.chain.abis.multiAgentCoordinatorAbi,
    eventName: "ProfitsDistributed",
    fromBlock: BigInt(market.chain.deployment.startBlock),
  });
  expect(logs.length, "a distribution was made").toBeGreaterThan(0);
  return logs.at(-1)!.args.distributionId!;
}

// ─── Checks ───────────────────────────────────────────────────────────────────────────────────────────

type Log = {
  eventName: string;
  args: Record<string, any>;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: `0x${string}`;
};

async function coordinatorLogs(market: Market): Promise<Log[]> {
  const { chain } = market;
  return (await chain.client.getContractEvents({
    address: market.coordinator.address,
    abi: chain.abis.multiAgentCoordinatorAbi,
    fromBlock: BigInt(chain.deployment.startBlock),
    toBlock: chain.lastBlock,
  })) as unknown as Log[];
}

type ConsortiumView = {
  leader: Address;
  baseToken: Address;
  governance: typeof governance;
  mandate: typeof mandate;
  allowedPools: readonly bigint[];
  assets: readonly Address[];
  holdings: readonly bigint[];
  totalShares: bigint;
  highWaterMark: bigint;
  lossUsedBps: bigint;
  lossPeriodStart: bigint;
};

const getConsortium = async (market: Market, consortiumId: bigint, blockNumber?: bigint) =>
  (await market.chain.client.readContract({
    ...market.coordinator,
    functionName: "getConsortium",
    args: [consortiumId],
    ...(blockNumber === undefined ? {} : { blockNumber }),
  })) as ConsortiumView;

/** NAV at a block (or the error it reverted with) and NAV per share against the shares at that block. */
async function readNav(market: Market, consortiumId: bigint, blockNumber: bigint) {
  const nav = await readAt<readonly [bigint, readonly bigint[]]>(
    market,
    market.coordinator,
    "netAssetValue",
    [consortiumId],
    blockNumber,
  );
  const state = await getConsortium(market, consortiumId, blockNumber);
  const total = nav.value?.[0] ?? null;
  return {
    state,
    results: { netAssetValue: nav },
    fields: {
      nav: str(total),
      navValues: strs(nav.value?.[1]),
      // the coordinator's share price: 10^6 virtual shares and 1 virtual base unit (IMultiAgentCoordinator)
      navPerShare:
        total === null ? null : String(((total + 1n) * PRECISION) / (state.totalShares + 10n ** 6n)),
    },
  };
}

/** A consortium's vault events, without settings announced before the consortium itself (its creation reads them). */
function vaultEvents(logs: Log[], consortiumId: bigint) {
  const created = logs.find(
    (l) => l.eventName === "ConsortiumCreated" && l.args.consortiumId === consortiumId,
  )!;
  const beforeCreation = (l: Log) =>
    l.blockNumber < created.blockNumber ||
    (l.blockNumber === created.blockNumber && l.logIndex < created.logIndex);
  return logs.filter(
    (l) => VAULT_EVENTS.has(l.eventName) && l.args.consortiumId === consortiumId && !beforeCreation(l),
  );
}

/** Waits until the indexer has indexed the chain's last transaction and every consortium. */
export async function waitForConsortia(indexer: Indexer, market: Market) {
  const { chain } = market;
  await waitForBlock(indexer.url, chain.anvil.chainId, chain.lastBlock);
  const count = await chain.client.readContract({ ...market.coordinator, functionName: "consortiumCount" });
  await pollUntil(
    () =>
      graphqlQuery(indexer.url, `{ consortiums(where: { chainId: ${chain.anvil.chainId} }) { totalCount } }`),
    (d) => d.consortiums.totalCount === Number(count),
    { what: "consortia" },
  );
}

const ROW_FIELDS = `consortiumId coordinator leader baseToken members votingPeriod gracePeriod quorumBps
  performanceFeeBps maxTradeBps maxLossPerTradeBps maxLossPerPeriodBps lossPeriod allowedPools assets holdings
  totalShares highWaterMark lossUsedBps lossPeriodStart nav navValues navPerShare readError contributed distributed
  feesPaid tradeCount proposalCount distributionCount ragequitCount createdBlock updatedBlock`;

/** Every consortium table against the coordinator's views and logs. */
export async function checkConsortiaMatchChain(indexer: Indexer, market: Market) {
  const { chain, coordinator } = market;
  const chainId = chain.anvil.chainId;
  const q = (body: string) => graphqlQuery(indexer.url, body);
  const logs = await coordinatorLogs(market);
  const named = (name: string) => logs.filter((l) => l.eventName === name);
  const sum = (rows: Log[], field: string) => rows.reduce((t, l) => t + (l.args[field] as bigint), 0n);
  const count = (await chain.client.readContract({
    ...coordinator,
    functionName: "consortiumCount",
  })) as bigint;
  expect(count).toBeGreaterThanOrEqual(1n);

  const { consortiums } = await q(
    `{ consortiums(where: { chainId: ${chainId} }, orderBy: "consortiumId", limit: 100) { items { ${ROW_FIELDS} } } }`,
  );
  expect(consortiums.items).toHaveLength(Number(count));
  let nullPoints = 0;
  let pricedPoints = 0;
  let checkedMarks = 0;
  for (const row of consortiums.items) {
    const consortiumId = BigInt(row.consortiumId);
    const ofIt = logs.filter((l) => l.args.consortiumId === consortiumId);
    const vault = vaultEvents(logs, consortiumId);
    const created = ofIt.find((l) => l.eventName === "ConsortiumCreated")!;
    const last = vault.at(-1)!;
    const view = await getConsortium(market, consortiumId);
    const now = await readNav(market, consortiumId, last.blockNumber);
    const kind = (name: string) => ofIt.filter((l) => l.eventName === name);
    expect(row, `consortium ${consortiumId}`).toEqual({
      consortiumId: String(consortiumId),
      coordinator: lower(coordinator.address),
      leader: lower(view.leader),
      baseToken: lower(view.baseToken),
      members: created.args.members.map(lower),
      votingPeriod: String(view.governance.votingPeriod),
      gracePeriod: String(view.governance.gracePeriod),
      quorumBps: view.governance.quorumBps,
      performanceFeeBps: view.governance.performanceFeeBps,
      maxTradeBps: view.mandate.maxTradeBps,
      maxLossPerTradeBps: view.mandate.maxLossPerTradeBps,
      maxLossPerPeriodBps: view.mandate.maxLossPerPeriodBps,
      lossPeriod: String(view.mandate.lossPeriod),
      allowedPools: view.allowedPools.map(String),
      assets: view.assets.map(lower),
      holdings: view.holdings.map(String),
      totalShares: view.totalShares.toString(),
      highWaterMark: view.highWaterMark.toString(),
      lossUsedBps: view.lossUsedBps.toString(),
      lossPeriodStart: view.lossPeriodStart.toString(),
      ...now.fields,
      readError: row.readError,
      contributed: sum(kind("Contributed"), "amount").toString(),
      distributed: sum(kind("ProfitsDistributed"), "amount").toString(),
      feesPaid: sum(kind("ProfitsDistributed"), "fee").toString(),
      tradeCount: kind("ConsortiumTraded").length,
      proposalCount: kind("ProposalCreated").length,
      distributionCount: kind("ProfitsDistributed").length,
      ragequitCount: kind("Ragequit").length,
      createdBlock: created.blockNumber.toString(),
      updatedBlock: last.blockNumber.toString(),
    });
    expectReadError(row.readError, now.results, `consortium ${consortiumId} readError`);

    // NAV history: one point per block with a vault event, equal to the views at that block.
    const { consortiumNavs } = await q(
      `{ consortiumNavs(where: { chainId: ${chainId}, consortiumId: "${consortiumId}" }, orderBy: "blockNumber",
          limit: 1000) { items { blockNumber timestamp nav navValues totalShares navPerShare highWaterMark readError
          events } } }`,
    );
    const blocks = [...new Set(vault.map((l) => l.blockNumber))];
    expect(consortiumNavs.items.map((p: any) => p.blockNumber)).toEqual(blocks.map(String));
    for (const [i, blockNumber] of blocks.entries()) {
      const point = consortiumNavs.items[i];
      const at = await readNav(market, consortiumId, blockNumber);
      expect(point, `consortium ${consortiumId} at block ${blockNumber}`).toEqual({
        blockNumber: String(blockNumber),
        timestamp: String(await chain.blockTimestamp(blockNumber)),
        ...at.fields,
        totalShares: at.state.totalShares.toString(),
        highWaterMark: at.state.highWaterMark.toString(),
        readError: point.readError,
        events: vault.filter((l) => l.blockNumber === blockNumber).length,
      });
      expectReadError(point.readError, at.results, `consortium ${consortiumId} NAV at block ${blockNumber}`);
      at.fields.nav === null ? nullPoints++ : pricedPoints++;
    }
    // The indexer's NAV per share is the coordinator's share price at the oracle: right after a distribution (alone
    // in its block) it is at least the new high-water mark, which the contract sets to the price left once the
    // profit is out, every asset valued at the lower of the oracle and the spot (equal when only base is held).
    for (const l of kind("ProfitsDistributed")) {
      if (vault.filter((v) => v.blockNumber === l.blockNumber).length !== 1) continue;
      const point = consortiumNavs.items.find((p: any) => p.blockNumber === String(l.blockNumber));
      expect(
        BigInt(point.navPerShare) >= l.args.highWaterMark,
        `NAV per share after distribution ${l.args.distributionId}: ${point.navPerShare} < mark ${l.args.highWaterMark}`,
      ).toBe(true);
      checkedMarks++;
    }

    // Members: every listed account and every holder, against sharesOf and the logs.
    const { consortiumMembers } = await q(
      `{ consortiumMembers(where: { chainId: ${chainId}, consortiumId: "${consortiumId}" }, limit: 1000) { items {
          account listed shares contributed sharesContributed sharesRagequit claimed } } }`,
    );
    const distributionIds = new Set(kind("ProfitsDistributed").map((l) => l.args.distributionId as bigint));
    const accounts = new Set<string>(created.args.members.map(lower));
    for (const l of ofIt) {
      if (l.eventName === "Contributed" || l.eventName === "Ragequit") accounts.add(lower(l.args.member));
      if (l.eventName === "SharesTransferred") {
        for (const a of [l.args.from, l.args.to]) if (BigInt(a) !== 0n) accounts.add(lower(a));
      }
    }
    expect(consortiumMembers.items).toHaveLength(accounts.size);
    for (const account of accounts) {
      const mine = (name: string, field = "member") =>
        kind(name).filter((l) => lower(l.args[field]) === account);
      const claims = named("Claimed").filter(
        (l) => distributionIds.has(l.args.distributionId) && lower(l.args.account) === account,
      );
      const shares = await chain.client.readContract({
        ...coordinator,
        functionName: "sharesOf",
        args: [consortiumId, account as Address],
      });
      expect(
        consortiumMembers.items.find((m: any) => m.account === account),
        `member ${account}`,
      ).toEqual({
        account,
        listed: created.args.members.map(lower).includes(account),
        shares: String(shares),
        contributed: sum(mine("Contributed"), "amount").toString(),
        sharesContributed: sum(mine("Contributed"), "shares").toString(),
        sharesRagequit: sum(mine("Ragequit"), "shares").toString(),
        claimed: sum(claims, "amount").toString(),
      });
    }
  }
  expect(nullPoints, "NAV points that failed closed").toBeGreaterThanOrEqual(1);
  expect(pricedPoints).toBeGreaterThanOrEqual(5);
  expect(checkedMarks, "distributions checked against the NAV per share").toBeGreaterThanOrEqual(1);

  const log = (l: Log) => ({ blockNumber: l.blockNumber.toString(), logIndex: l.logIndex });
  const { consortiumContributions } = await q(
    `{ consortiumContributions(where: { chainId: ${chainId} }, limit: 1000) { items { blockNumber logIndex
        consortiumId member amount shares navBefore } } }`,
  );
  expect(byLog(consortiumContributions.items)).toEqual(
    named("Contributed").map((l) => ({
      ...log(l),
      consortiumId: String(l.args.consortiumId),
      member: lower(l.args.member),
      amount: String(l.args.amount),
      shares: String(l.args.shares),
      navBefore: String(l.args.navBefore),
    })),
  );

  const { consortiumTrades } = await q(
    `{ consortiumTrades(where: { chainId: ${chainId} }, limit: 1000) { items { blockNumber logIndex consortiumId
        txHash proposalId tokenIn tokenOut amountIn amountOut oracleAmountOut lossBps navAfter } } }`,
  );
  expect(named("ConsortiumTraded").length).toBeGreaterThanOrEqual(3);
  expect(byLog(consortiumTrades.items)).toEqual(
    named("ConsortiumTraded").map((l) => ({
      ...log(l),
      consortiumId: String(l.args.consortiumId),
      txHash: l.transactionHash,
      proposalId: String(l.args.proposalId),
      tokenIn: lower(l.args.tokenIn),
      tokenOut: lower(l.args.tokenOut),
      amountIn: String(l.args.amountIn),
      amountOut: String(l.args.amountOut),
      oracleAmountOut: String(l.args.oracleAmountOut),
      lossBps: expectedLossBps(l.args.amountOut, l.args.oracleAmountOut),
      navAfter: String(l.args.navAfter),
    })),
  );

  // Proposals against getProposal, votes against the logs.
  const { consortiumProposals } = await q(
    `{ consortiumProposals(where: { chainId: ${chainId} }, orderBy: "proposalId", limit: 1000) { items { proposalId
        consortiumId proposer kind data decoded snapshotBlock voteEnd graceEnd yesVotes noVotes voteCount executed
        executedBlock } } }`,
  );
  const created = named("ProposalCreated");
  expect(created.length).toBeGreaterThanOrEqual(2);
  expect(consortiumProposals.items).toHaveLength(created.length);
  for (const l of created) {
    const proposalId = l.args.proposalId as bigint;
    const onChain = (await chain.client.readContract({
      ...coordinator,
      functionName: "getProposal",
      args: [proposalId],
    })) as {
      proposer: Address;
      kind: number;
      data: string;
      snapshotBlock: bigint;
      voteEnd: bigint;
      graceEnd: bigint;
      yesVotes: bigint;
      noVotes: bigint;
      state: number;
      consortiumId: bigint;
    };
    const executed = named("ProposalExecuted").find((e) => e.args.proposalId === proposalId);
    const votes = named("Voted").filter((v) => v.args.proposalId === proposalId);
    const row = consortiumProposals.items.find((p: any) => p.proposalId === String(proposalId));
    expect(row, `proposal ${proposalId}`).toEqual({
      proposalId: String(proposalId),
      consortiumId: String(onChain.consortiumId),
      proposer: lower(onChain.proposer),
      kind: PROPOSAL_KINDS[onChain.kind],
      data: onChain.data,
      decoded: row.decoded,
      snapshotBlock: String(onChain.snapshotBlock),
      voteEnd: String(onChain.voteEnd),
      graceEnd: String(onChain.graceEnd),
      yesVotes: String(onChain.yesVotes),
      noVotes: String(onChain.noVotes),
      voteCount: votes.length,
      executed: onChain.state === 4,
      executedBlock: executed ? executed.blockNumber.toString() : null,
    });
  }
  const mandateProposal = consortiumProposals.items.find((p: any) => p.kind === "SetMandate");
  expect(mandateProposal.decoded).toEqual({
    mandate,
    allowedPools: [String(market.pools.gpuh), String(market.pools.llmt)],
  });
  const leaderProposal = consortiumProposals.items.find((p: any) => p.kind === "SetLeader");
  expect(leaderProposal.decoded).toEqual({ leader: market.bob.address });
  expect(consortiumProposals.items.every((p: any) => p.executed)).toBe(true);

  const { consortiumVotes } = await q(
    `{ consortiumVotes(where: { chainId: ${chainId} }, limit: 1000) { items { proposalId voter support weight
        blockNumber logIndex } } }`,
  );
  expect(byLog(consortiumVotes.items)).toEqual(
    named("Voted").map((l) => ({
      proposalId: String(l.args.proposalId),
      voter: lower(l.args.voter),
      support: l.args.support,
      weight: String(l.args.weight),
      ...log(l),
    })),
  );

  // Distributions, claims (claimable back to 0 for each claimant) and exits.
  const { distributions } = await q(
    `{ distributions(where: { chainId: ${chainId} }, orderBy: "distributionId", limit: 1000) { items {
        distributionId consortiumId amount fee snapshotBlock totalSharesAtSnapshot highWaterMark claimed claimCount
        blockNumber } } }`,
  );
  expect(named("ProfitsDistributed").length).toBeGreaterThanOrEqual(1);
  expect(distributions.items).toEqual(
    named("ProfitsDistributed").map((l) => {
      const claims = named("Claimed").filter((c) => c.args.distributionId === l.args.distributionId);
      return {
        distributionId: String(l.args.distributionId),
        consortiumId: String(l.args.consortiumId),
        amount: String(l.args.amount),
        fee: String(l.args.fee),
        snapshotBlock: String(l.args.snapshotBlock),
        totalSharesAtSnapshot: String(l.args.totalSharesAtSnapshot),
        highWaterMark: String(l.args.highWaterMark),
        claimed: sum(claims, "amount").toString(),
        claimCount: claims.length,
        blockNumber: l.blockNumber.toString(),
      };
    }),
  );
  const { distributionClaims } = await q(
    `{ distributionClaims(where: { chainId: ${chainId} }, limit: 1000) { items { distributionId account consortiumId
        amount blockNumber } } }`,
  );
  expect(named("Claimed").length).toBeGreaterThanOrEqual(2);
  expect(distributionClaims.items).toHaveLength(named("Claimed").length);
  for (const l of named("Claimed")) {
    const distributed = named("ProfitsDistributed").find(
      (d) => d.args.distributionId === l.args.distributionId,
    )!;
    expect(
      distributionClaims.items.find(
        (c: any) => c.distributionId === String(l.args.distributionId) && c.account === lower(l.args.account),
      ),
    ).toEqual({
      distributionId: String(l.args.distributionId),
      account: lower(l.args.account),
      consortiumId: String(distributed.args.consortiumId),
      amount: String(l.args.amount),
      blockNumber: l.blockNumber.toString(),
    });
    const left = await chain.client.readContract({
      ...coordinator,
      functionName: "claimable",
      args: [l.args.distributionId, l.args.account],
    });
    expect(left, `claimable after the claim of ${l.args.account}`).toBe(0n);
  }

  const { ragequits } = await q(
    `{ ragequits(where: { chainId: ${chainId} }, limit: 1000) { items { blockNumber logIndex consortiumId member
        shares tokens amounts } } }`,
  );
  expect(named("Ragequit").length).toBeGreaterThanOrEqual(2);
  expect(byLog(ragequits.items)).toEqual(
    named("Ragequit").map((l) => ({
      ...log(l),
      consortiumId: String(l.args.consortiumId),
      member: lower(l.args.member),
      shares: String(l.args.shares),
      tokens: l.args.tokens.map(lower),
      amounts: l.args.amounts.map(String),
    })),
  );

  // No token refused an exit here: nothing is stuck, on chain or in the index.
  expect(named("ExitTransferFailed")).toHaveLength(0);
  const { coordinatorStucks } = await q(
    `{ coordinatorStucks(where: { chainId: ${chainId} }) { totalCount } }`,
  );
  expect(coordinatorStucks.totalCount).toBe(0);

  const paused = await chain.client.readContract({ ...coordinator, functionName: "paused" });
  expect(paused, "the scenario ends with the coordinator paused").toBe(true);
  const { coordinatorConfig } = await q(`{ coordinatorConfig(chainId: ${chainId}) { address paused } }`);
  expect(coordinatorConfig).toEqual({ address: lower(coordinator.address), paused });

  await checkOracleMatchesChain(indexer, market);
}

/** GET /consortia/:chainId/:consortiumId/performance against the chain, a window, and answers to bad input. */
export async function checkConsortiumRoute(indexer: Indexer, market: Market) {
  const { chain } = market;
  const chainId = chain.anvil.chainId;
  const logs = await coordinatorLogs(market);
  const consortiumId = 0n;
  const ofIt = logs.filter((l) => l.args.consortiumId === consortiumId);
  const vault = vaultEvents(logs, consortiumId);
  const url = (query = "") => `${indexer.url}/consortia/${chainId}/${consortiumId}/performance${query}`;

  const all = await getJson(url());
  expect(all.status, show(all.body)).toBe(200);
  const body = all.body;
  const view = await getConsortium(market, consortiumId);
  expect(body).toMatchObject({
    chainId,
    consortiumId: "0",
    leader: view.leader,
    baseToken: view.baseToken,
    governance: { ...view.governance },
    mandate: { ...view.mandate },
    allowedPools: view.allowedPools.map(String),
    assets: [...view.assets],
    holdings: view.holdings.map(String),
    totalShares: view.totalShares.toString(),
    highWaterMark: view.highWaterMark.toString(),
  });
  const blocks = [...new Set(vault.map((l) => l.blockNumber))];
  expect(body.nav.map((p: any) => p.blockNumber)).toEqual(blocks.map(Number));
  for (const point of body.nav) {
    const at = await readNav(market, consortiumId, BigInt(point.blockNumber));
    expect(point).toMatchObject({ ...at.fields, totalShares: at.state.totalShares.toString() });
  }
  const kind = (name: string) => ofIt.filter((l) => l.eventName === name);
  expect(body.trades.map((t: any) => [t.blockNumber, t.logIndex, t.amountOut, t.lossBps])).toEqual(
    kind("ConsortiumTraded").map((l) => [
      Number(l.blockNumber),
      l.logIndex,
      String(l.args.amountOut),
      expectedLossBps(l.args.amountOut, l.args.oracleAmountOut),
    ]),
  );
  expect(body.distributions.map((d: any) => [d.distributionId, d.amount, d.fee, d.claimed])).toEqual(
    kind("ProfitsDistributed").map((l) => [
      String(l.args.distributionId),
      String(l.args.amount),
      String(l.args.fee),
      logs
        .filter((c) => c.eventName === "Claimed" && c.args.distributionId === l.args.distributionId)
        .reduce((t, c) => t + (c.args.amount as bigint), 0n)
        .toString(),
    ]),
  );
  expect(body.ragequits.map((r: any) => [r.member, r.shares, r.amounts])).toEqual(
    kind("Ragequit").map((l) => [l.args.member, String(l.args.shares), l.args.amounts.map(String)]),
  );
  expect(body.contributions).toHaveLength(kind("Contributed").length);
  for (const member of body.members) {
    const shares = await chain.client.readContract({
      ...market.coordinator,
      functionName: "sharesOf",
      args: [consortiumId, member.account],
    });
    expect(member.shares, member.account).toBe(String(shares));
  }
  expect(body.members.map((m: any) => m.account)).toContain(market.dave.address);
  const priced = body.nav.filter((p: any) => p.navPerShare !== null);
  expect(body.summary).toEqual({
    firstNavPerShare: priced[0].navPerShare,
    lastNavPerShare: priced.at(-1).navPerShare,
    unvaluedPoints: body.nav.filter((p: any) => p.nav === null).length,
    tradeCount: kind("ConsortiumTraded").length,
    contributed: kind("Contributed")
      .reduce((t, l) => t + (l.args.amount as bigint), 0n)
      .toString(),
    distributed: kind("ProfitsDistributed")
      .reduce((t, l) => t + (l.args.amount as bigint), 0n)
      .toString(),
    feesPaid: kind("ProfitsDistributed")
      .reduce((t, l) => t + (l.args.fee as bigint), 0n)
      .toString(),
    ragequitShares: kind("Ragequit")
      .reduce((t, l) => t + (l.args.shares as bigint), 0n)
      .toString(),
  });

  // A window starting after the distribution: only the later NAV points, trades and exits.
  const distributedAt = kind("ProfitsDistributed")[0]!.blockNumber;
  const from = Number(await chain.blockTimestamp(distributedAt)) + 1;
  const windowed = await getJson(url(`?from=${from}`));
  expect(windowed.status, show(windowed.body)).toBe(200);
  expect(windowed.body.nav).toEqual(body.nav.filter((p: any) => p.timestamp >= from));
  expect(windowed.body.trades).toEqual(body.trades.filter((t: any) => t.timestamp >= from));
  expect(windowed.body.distributions).toEqual([]);
  expect(windowed.body.ragequits).toEqual(body.ragequits);
  expect(windowed.body.members).toEqual(body.members);

  const bad: [string, number, RegExp][] = [
    [`/consortia/x/0/performance`, 400, /chainId/],
    [`/consortia/999999/0/performance`, 400, /chainId 999999 is not indexed/],
    [`/consortia/${chainId}/-1/performance`, 400, /consortiumId/],
    [`/consortia/${chainId}/777/performance`, 404, /consortium 777 does not exist/],
    [`/consortia/${chainId}/0/performance?from=20&to=10`, 400, /from/],
    [`/consortia/${chainId}/0/performance?from=yesterday`, 400, /from/],
  ];
  for (const [path, status, reason] of bad) {
    const response = await getJson(`${indexer.url}${path}`);
    expect(response.status, path).toBe(status);
    expect(response.body.error, path).toMatch(reason);
  }
}
