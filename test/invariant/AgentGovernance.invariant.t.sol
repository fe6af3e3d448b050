// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GovernanceTestBase} from "../governance/GovernanceTestBase.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {AgentGovernanceHandler} from "./AgentGovernanceHandler.sol";

/// @notice Governance invariants, on the deployment wiring of GovernanceTestBase (AccessManager admin = timelock,
/// Governor the timelock's only proposer and canceller, open executor, deployer renounced):
/// (a) governed parameters (a pool's fee bounds, AccessManager role membership) change only by executing a proposal
///     that passed, was queued and waited the timelock delay;
/// (b) no account but the timelock holds ADMIN_ROLE, and nobody but the timelock grants or revokes a role;
/// (c) at any snapshot, reputation votes are at most 20 % of the votes that can be cast there (reputation votes plus
///     delegated AITBC, as the handler's ghost counts it), however AITBC moves between delegated and undelegated
///     holders and however much reputation is granted.
contract AgentGovernanceInvariantTest is GovernanceTestBase {
    AgentGovernanceHandler internal handler;
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        address[] memory actors = new address[](10);
        (actors[0], actors[1], actors[2], actors[3], actors[4]) = (deployer, keeper, guardian, alice, bob);
        (actors[5], actors[6], actors[7], actors[8], actors[9]) = (carol, agent, attacker, minter, granter);
        address[] memory voters = new address[](5);
        (voters[0], voters[1], voters[2], voters[3], voters[4]) = (alice, bob, carol, agent, agent2);
        handler = new AgentGovernanceHandler(
            governor, amm, reputation, poolId, deployer, minter, granter, actors, voters
        );

        // Each lifecycle step twice as likely as each direct attempt, so that proposals do get executed.
        bytes4[] memory selectors = new bytes4[](22);
        selectors[0] = handler.directSetFeeBounds.selector;
        selectors[1] = handler.directGrantRole.selector;
        selectors[2] = handler.directRevokeRole.selector;
        selectors[3] = handler.directManagerAdmin.selector;
        selectors[4] = handler.directTimelockSchedule.selector;
        selectors[5] = handler.keeperSetFee.selector;
        selectors[6] = handler.proposeForbidden.selector;
        selectors[7] = handler.warp.selector;
        selectors[8] = handler.propose.selector;
        selectors[9] = handler.propose.selector;
        selectors[10] = handler.vote.selector;
        selectors[11] = handler.vote.selector;
        selectors[12] = handler.queue.selector;
        selectors[13] = handler.queue.selector;
        selectors[14] = handler.execute.selector;
        selectors[15] = handler.execute.selector;
        selectors[16] = handler.transferAITBC.selector;
        selectors[17] = handler.transferAITBC.selector;
        selectors[18] = handler.delegateAITBC.selector;
        selectors[19] = handler.mintAITBC.selector;
        selectors[20] = handler.grantReputation.selector;
        selectors[21] = handler.revokeReputation.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice (a) Governed parameters change only by executing a proposal that passed, was queued and waited:
    /// the pool's fee bounds and every tracked role membership are exactly what executed proposals made them, every
    /// execution had passed (for > against, quorum met), was queued and had reached its eta, no direct call to a
    /// governed setter (AMM, AccessManager, timelock) succeeded and no proposal with a forbidden call was accepted.
    /// @dev One invariant function per property would run one campaign each; (a) and (b) share a campaign each.
    function invariant_a_governedParametersChangeOnlyByExecutedProposals() public view {
        IAIServiceAMM.FeeBounds memory actual = amm.getPool(poolId).feeBounds;
        IAIServiceAMM.FeeBounds memory expected = handler.expectedBounds();
        assertEq(actual.minFee, expected.minFee, "minFee");
        assertEq(actual.maxFee, expected.maxFee, "maxFee");
        assertEq(actual.maxStep, expected.maxStep, "maxStep");
        assertEq(actual.minInterval, expected.minInterval, "minInterval");

        (bool membershipMatches, uint64 role, address account) = handler.membershipMatches();
        assertTrue(membershipMatches, string.concat("role ", vm.toString(role), " of ", vm.toString(account)));

        assertEq(handler.ghostBadExecutions(), 0, "execution without passing, queueing or waiting");
        assertEq(handler.ghostDirectSuccesses(), 0, "direct call to a governed setter succeeded");
        assertEq(handler.ghostForbiddenAccepted(), 0, "forbidden proposal accepted");
    }

    /// @notice (b) Only the timelock holds ADMIN_ROLE, every role is administered by ADMIN_ROLE (so only the timelock
    /// can grant or revoke; no direct grant ever succeeded, see (a)), and the timelock answers only to the Governor.
    function invariant_b_onlyTimelockAdministers() public view {
        address[] memory accounts = handler.trackedAccounts();
        bytes32 timelockAdmin = timelock.DEFAULT_ADMIN_ROLE();
        bytes32 proposer = timelock.PROPOSER_ROLE();
        for (uint256 i; i < accounts.length; ++i) {
            (bool isAdmin,) = manager.hasRole(Roles.ADMIN, accounts[i]);
            assertEq(isAdmin, accounts[i] == address(timelock), "ADMIN_ROLE holder");
            assertEq(
                timelock.hasRole(timelockAdmin, accounts[i]), accounts[i] == address(timelock), "tl admin"
            );
            assertFalse(timelock.hasRole(proposer, accounts[i]), "timelock proposer");
        }
        (bool governorIsAdmin,) = manager.hasRole(Roles.ADMIN, address(governor));
        assertFalse(governorIsAdmin, "governor is admin");
        for (uint64 role = 1; role <= Roles.REPUTATION_GRANTER; ++role) {
            assertEq(manager.getRoleAdmin(role), Roles.ADMIN, "role admin");
        }
        assertEq(handler.ghostDirectSuccesses(), 0, "direct grant succeeded");
        assertTrue(timelock.hasRole(proposer, address(governor)), "governor proposes");
    }

    /// @notice (c) Reputation votes at any snapshot are at most 20 % of the votes that can be cast there: checked at
    /// every proposal's past snapshot and at the latest past timepoint of the handler's history (over a campaign,
    /// every timepoint of the history is the latest past one at some call). The delegated AITBC is the ghost's, and
    /// the token's checkpointed total must agree with it; the votes cast on a proposal never exceed those that could
    /// be cast at its snapshot.
    function invariant_c_reputationAtMostTwentyPercentOfCastableVotes() public view {
        address[] memory voters = handler.voterList();
        uint256 n = handler.ghostHistoryLength();
        while (n > 0 && handler.ghostTimes(n - 1) >= block.timestamp) --n;
        if (n > 0) _assertCapAt(handler.ghostTimes(n - 1), voters);

        for (uint256 i; i < handler.proposalCount(); ++i) {
            (uint256 id, uint256 snapshot) = handler.proposalSnapshotAt(i);
            if (snapshot >= block.timestamp) continue;
            uint256 castable = _assertCapAt(snapshot, voters);
            (uint256 against, uint256 forVotes, uint256 abstain) = governor.proposalVotes(id);
            assertLe(against + forVotes + abstain, castable, "votes cast above the votes that could be cast");
        }
    }

    /// @dev Returns the votes that can be cast at `t` (the ghost's delegated AITBC plus the reputation votes).
    function _assertCapAt(uint256 t, address[] memory voters) internal view returns (uint256 castable) {
        uint256 delegated = handler.ghostDelegatedAtTime(t);
        assertEq(aitbc.getPastTotalDelegated(t), delegated, "token's total delegated differs from the ghost");
        uint256 repVotes;
        uint256 allVotes;
        for (uint256 i; i < voters.length; ++i) {
            repVotes += governor.reputationVotes(voters[i], t);
            allVotes += governor.getVotes(voters[i], t);
        }
        castable = delegated + repVotes;
        assertLe(
            repVotes * 10_000,
            castable * governor.REPUTATION_SHARE_BPS(),
            string.concat("reputation above 20 % of castable votes at ", vm.toString(t))
        );
        assertLe(allVotes, castable, "votes above the votes that can be cast");
    }

    function afterInvariant() public view {
        handler.callSummary();
    }
}
