// Governance read models end to end on PGlite: AITBC holders delegate, reputation is granted and revoked, and
// four proposals run their course with anvil time travel — one executed through the timelock (it widens an AMM
// pool's fee bounds), one canceled, one defeated, one still open — with Ponder indexing. Every expectation is
// read from the chain.
import { encodeFunctionData, keccak256, toBytes, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexer, type Indexer } from "../lib/start";
import { e18, show, startProtocolChain, type ProtocolChain } from "./protocol";
import { getJson, graphqlQuery, pollUntil, waitForBlock } from "./scenario";

const CHAIN_ID = 31411;
const VOTING_DELAY = 60;
const VOTING_PERIOD = 600;
const TIMELOCK_DELAY = 60;
const STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"];

type Proposal = { id: bigint; targets: Address[]; values: bigint[]; calldatas: Hex[]; description: string };

describe("governance indexer on PGlite", () => {
  let chain: ProtocolChain;
  let indexer: Indexer;
  const proposals: Record<"executed" | "canceled" | "defeated" | "open", Proposal> = {} as never;
  const newBounds = { minFee: 1_000, maxFee: 20_000, maxStep: 2_000, minInterval: 600 };

  const governor = () => ({
    address: chain.deployment.contracts.AgentGovernance,
    abi: chain.abis.agentGovernanceAbi,
  });
  const q = (body: string) => graphqlQuery(indexer.url, body);

  beforeAll(async () => {
    chain = await startProtocolChain(CHAIN_ID, {
      PROPOSAL_THRESHOLD: "0",
      VOTING_DELAY: String(VOTING_DELAY),
      VOTING_PERIOD: String(VOTING_PERIOD),
      TIMELOCK_DELAY: String(TIMELOCK_DELAY),
    });
    const { abis, deployment } = chain;
    const [deployer, alice, bob, carol, dave] = chain.accounts as PrivateKeyAccount[] as [
      PrivateKeyAccount,
      PrivateKeyAccount,
      PrivateKeyAccount,
      PrivateKeyAccount,
      PrivateKeyAccount,
    ];
    const aitbc = { address: deployment.contracts.AITBC, abi: abis.aitbcAbi };
    const reputation = { address: deployment.contracts.AgentReputation, abi: abis.agentReputationAbi };
    const amm = { address: deployment.contracts.AIServiceAMM, abi: abis.aiServiceAmmAbi };

    await chain.sendMany([
      [deployer, aitbc, "mint", [alice.address, e18(100_000)]],
      [deployer, aitbc, "mint", [bob.address, e18(50_000)]],
      [deployer, aitbc, "mint", [carol.address, e18(10_000)]],
      [deployer, reputation, "grant", [carol.address, 100n]],
      [deployer, reputation, "grant", [dave.address, 50n]],
      [deployer, amm, "createPool", [deployment.contracts.GPUH, deployment.contracts.LLMT]],
    ]);
    await chain.sendMany([
      [alice, aitbc, "delegate", [alice.address]],
      [bob, aitbc, "delegate", [bob.address]],
      [carol, aitbc, "delegate", [carol.address]],
      [deployer, reputation, "revoke", [dave.address, 20n]],
    ]);
    await chain.increaseTime(2);

    const propose = async (by: PrivateKeyAccount, description: string, bounds: typeof newBounds) => {
      const calldata = encodeFunctionData({
        abi: abis.aiServiceAmmAbi,
        functionName: "setFeeBounds",
        args: [0n, bounds],
      });
      const p = { targets: [amm.address], values: [0n], calldatas: [calldata], description };
      await chain.send(by, governor(), "propose", [p.targets, p.values, p.calldatas, p.description]);
      const id = await chain.client.readContract({
        ...governor(),
        functionName: "hashProposal",
        args: [p.targets, p.values, p.calldatas, keccak256(toBytes(description))],
      });
      return { id, ...p };
    };
    const args = (p: Proposal) =>
      [p.targets, p.values, p.calldatas, keccak256(toBytes(p.description))] as const;

    proposals.executed = await propose(alice, "Widen the GPUH/LLMT fee bounds", newBounds);
    proposals.canceled = await propose(bob, "Narrow the GPUH/LLMT fee bounds", {
      ...newBounds,
      maxFee: 5_000,
    });
    proposals.defeated = await propose(bob, "Raise the GPUH/LLMT minimum fee", {
      ...newBounds,
      minFee: 4_000,
    });
    await chain.send(bob, governor(), "cancel", args(proposals.canceled));

    await chain.increaseTime(VOTING_DELAY + 1);
    await chain.sendMany([
      [alice, governor(), "castVote", [proposals.executed.id, 1]],
      [
        bob,
        governor(),
        "castVoteWithReason",
        [proposals.executed.id, 0, "bounds this wide invite fee games"],
      ],
      [carol, governor(), "castVoteWithReasonAndParams", [proposals.executed.id, 2, "no view", "0x01"]],
      [dave, governor(), "castVote", [proposals.executed.id, 1]],
      [alice, governor(), "castVote", [proposals.defeated.id, 0]],
    ]);

    await chain.increaseTime(VOTING_PERIOD + 1);
    await chain.send(alice, governor(), "queue", args(proposals.executed));
    proposals.open = await propose(carol, "Tighten the fee step", { ...newBounds, maxStep: 500 });
    await chain.increaseTime(Math.max(TIMELOCK_DELAY, VOTING_DELAY) + 1);
    await chain.send(dave, governor(), "execute", args(proposals.executed));

    indexer = await startIndexer({
      chainIds: [CHAIN_ID],
      rpcUrls: { [CHAIN_ID]: chain.anvil.rpcUrl },
      schema: `gov_pglite_${process.pid}`,
    });
    await waitForBlock(indexer.url, CHAIN_ID, chain.lastBlock);
    await pollUntil(
      () => q(`{ proposals(where: { chainId: ${CHAIN_ID} }) { totalCount } }`),
      (d) => d.proposals.totalCount === 4,
      { what: "four proposals" },
    );
  });

  afterAll(async () => {
    await indexer?.stop();
    await chain?.anvil.stop();
  });

  it("the executed proposal changed the AMM pool's fee bounds through the timelock", async () => {
    const pool = await chain.client.readContract({
      address: chain.deployment.contracts.AIServiceAMM,
      abi: chain.abis.aiServiceAmmAbi,
      functionName: "getPool",
      args: [0n],
    });
    expect(pool.feeBounds).toEqual(newBounds);
  });

  it("proposal rows equal the governor's proposal state, tallies and schedule", async () => {
    const { proposals: rows } = await q(`{ proposals(where: { chainId: ${CHAIN_ID} }, limit: 100) { items {
        proposalId governor proposer targets values calldatas signatures actionCount description voteStart voteEnd
        state forVotes againstVotes abstainVotes voteCount etaSeconds queuedBlock executedBlock canceledBlock } } }`);
    for (const [name, p] of Object.entries(proposals)) {
      const row = rows.items.find((r: any) => r.proposalId === p.id.toString());
      expect(row, name).toBeDefined();
      const read = (functionName: string) =>
        chain.client.readContract({ ...governor(), functionName, args: [p.id] } as never) as Promise<any>;
      const [state, snapshot, deadline, proposer, eta, [against, forVotes, abstain]] = await Promise.all([
        read("state"),
        read("proposalSnapshot"),
        read("proposalDeadline"),
        read("proposalProposer"),
        read("proposalEta"),
        read("proposalVotes"),
      ]);
      const chainState = STATES[state]!;
      expect(row, name).toMatchObject({
        governor: chain.deployment.contracts.AgentGovernance.toLowerCase(),
        proposer: (proposer as string).toLowerCase(),
        targets: p.targets.map((t) => t.toLowerCase()),
        values: p.values.map(String),
        calldatas: p.calldatas,
        signatures: [""],
        actionCount: 1,
        description: p.description,
        voteStart: snapshot.toString(),
        voteEnd: deadline.toString(),
        state: ["Queued", "Executed", "Canceled"].includes(chainState) ? chainState : "Pending",
        againstVotes: against.toString(),
        forVotes: forVotes.toString(),
        abstainVotes: abstain.toString(),
        etaSeconds: eta === 0n ? null : eta.toString(),
      });
    }
    const stateOf = async (p: Proposal) =>
      STATES[
        (await chain.client.readContract({ ...governor(), functionName: "state", args: [p.id] })) as number
      ];
    expect(await stateOf(proposals.executed)).toBe("Executed");
    expect(await stateOf(proposals.canceled)).toBe("Canceled");
    expect(await stateOf(proposals.defeated)).toBe("Defeated");
    expect(await stateOf(proposals.open)).toBe("Active");
  });

  it("vote rows equal the VoteCast/VoteCastWithParams logs and the governor's hasVoted", async () => {
    const logs = (
      await chain.client.getContractEvents({
        ...governor(),
        fromBlock: BigInt(chain.deployment.startBlock),
      })
    ).filter((l) => l.eventName === "VoteCast" || l.eventName === "VoteCastWithParams");
    expect(logs).toHaveLength(5);
    const { votes } = await q(`{ votes(where: { chainId: ${CHAIN_ID} }, limit: 100) { items {
        proposalId voter support weight reason params blockNumber logIndex } } }`);
    expect(votes.items).toHaveLength(logs.length);
    for (const log of logs as any[]) {
      const { voter, proposalId, support, weight, reason } = log.args;
      const row = votes.items.find(
        (v: any) => v.proposalId === proposalId.toString() && v.voter === voter.toLowerCase(),
      );
      expect(row, show(log.args)).toEqual({
        proposalId: proposalId.toString(),
        voter: voter.toLowerCase(),
        support,
        weight: weight.toString(),
        reason,
        params: log.eventName === "VoteCastWithParams" ? log.args.params : null,
        blockNumber: log.blockNumber.toString(),
        logIndex: log.logIndex,
      });
      expect(
        await chain.client.readContract({
          ...governor(),
          functionName: "hasVoted",
          args: [proposalId, voter],
        }),
      ).toBe(true);
      expect(BigInt(row.weight)).toBeGreaterThan(0n);
    }
  });

  it("reputation rows equal AgentReputation's scores", async () => {
    const reputation = {
      address: chain.deployment.contracts.AgentReputation,
      abi: chain.abis.agentReputationAbi,
    };
    const { reputations } = await q(`{ reputations(where: { chainId: ${CHAIN_ID} }) { items {
        account score totalAfter grantCount revokeCount } } }`);
    const [, , , carol, dave] = chain.accounts as PrivateKeyAccount[];
    const total = await chain.client.readContract({ ...reputation, functionName: "totalSupply" });
    expect(reputations.items).toHaveLength(2);
    for (const [account, grants, revokes] of [
      [carol!.address, 1, 0],
      [dave!.address, 1, 1],
    ] as const) {
      const score = await chain.client.readContract({
        ...reputation,
        functionName: "getVotes",
        args: [account],
      });
      expect(reputations.items.find((r: any) => r.account === account.toLowerCase())).toEqual({
        account: account.toLowerCase(),
        score: score.toString(),
        totalAfter: expect.any(String),
        grantCount: grants,
        revokeCount: revokes,
      });
    }
    // the last move (dave's revocation) left the current total
    const last = reputations.items.find((r: any) => r.account === dave!.address.toLowerCase());
    expect(last.totalAfter).toBe(total.toString());
  });

  it("GET /governance/proposals/:id returns the proposal, its votes and the governor's state", async () => {
    for (const [name, p] of Object.entries(proposals)) {
      const response = await getJson(`${indexer.url}/governance/proposals/${p.id}?chainId=${CHAIN_ID}`);
      expect(response.status, show(response.body)).toBe(200);
      const state = await chain.client.readContract({
        ...governor(),
        functionName: "state",
        args: [p.id],
        blockNumber: BigInt(response.body.asOf.blockNumber),
      });
      expect(response.body, name).toMatchObject({
        chainId: CHAIN_ID,
        proposalId: p.id.toString(),
        targets: p.targets,
        description: p.description,
        chainState: STATES[state],
      });
      if (name === "open") expect(response.body.phase).toBe("Active");
      if (name === "executed") {
        expect(response.body.phase).toBe("Executed");
        expect(response.body.votes).toHaveLength(4);
      }
    }
    // one chain indexed: chainId may be left out
    const implicit = await getJson(`${indexer.url}/governance/proposals/${proposals.open.id}`);
    expect(implicit.status).toBe(200);
    const bad: [string, number, RegExp][] = [
      [`/governance/proposals/abc?chainId=${CHAIN_ID}`, 400, /id must be/],
      [`/governance/proposals/${2n ** 256n}?chainId=${CHAIN_ID}`, 400, /id must be/],
      [`/governance/proposals/1?chainId=${CHAIN_ID}`, 404, /proposal 1 does not exist/],
      [`/governance/proposals/1?chainId=x`, 400, /chainId/],
    ];
    for (const [path, status, reason] of bad) {
      const response = await getJson(`${indexer.url}${path}`);
      expect(response.status, path).toBe(status);
      expect(response.body.error, path).toMatch(reason);
    }
  });
});
