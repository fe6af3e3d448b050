// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {GovernanceTestBase} from "./GovernanceTestBase.sol";
import {AgentGovernance} from "../../src/governance/AgentGovernance.sol";
import {AgentReputation} from "../../src/governance/AgentReputation.sol";
import {AITBC} from "../../src/tokens/AITBC.sol";
import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";

/// @notice The proposal lifecycle through the timelock, every way it can fail, the reputation cap, flash-borrow
/// resistance and the deployer's handover.
contract AgentGovernanceTest is GovernanceTestBase {
    string internal constant DESC = "Widen the fee bounds of pool 0";
    address internal dave = makeAddr("dave");
    address internal nobody = makeAddr("nobody");

    function _bounds(uint256 id) internal view returns (IAIServiceAMM.FeeBounds memory) {
        return amm.getPool(id).feeBounds;
    }

    function _assertBounds(IAIServiceAMM.FeeBounds memory a, IAIServiceAMM.FeeBounds memory b) internal pure {
        assertEq(a.minFee, b.minFee, "minFee");
        assertEq(a.maxFee, b.maxFee, "maxFee");
        assertEq(a.maxStep, b.maxStep, "maxStep");
        assertEq(a.minInterval, b.minInterval, "minInterval");
    }

    function _propose(address who, string memory d) internal returns (uint256 id) {
        (address[] memory t, uint256[] memory v, bytes[] memory c,) = _feeBoundsCall(_newBounds(), d);
        vm.prank(who);
        id = governor.propose(t, v, c, d);
    }

    function _state(uint256 id) internal view returns (uint8) {
        return uint8(governor.state(id));
    }

    function _stateBit(IGovernor.ProposalState s) internal pure returns (bytes32) {
        return bytes32(1 << uint8(s));
    }

    // ─── Constructor ──────────────────────────────────────────────────────────────────────────

    function test_constructor_setsManagerAndParameters() public view {
        assertEq(address(governor.manager()), address(manager));
        assertEq(address(governor.reputation()), address(reputation));
        assertEq(address(governor.token()), address(aitbc));
        assertEq(governor.timelock(), address(timelock));
        assertEq(governor.votingDelay(), VOTING_DELAY);
        assertEq(governor.votingPeriod(), VOTING_PERIOD);
        assertEq(governor.proposalThreshold(), PROPOSAL_THRESHOLD);
        assertEq(governor.quorumNumerator(), QUORUM_PERCENT);
    }

    function test_constructor_revertsWhenManagerIsNotAContract() public {
        vm.expectRevert(abi.encodeWithSelector(AgentGovernance.InvalidManager.selector, nobody));
        new AgentGovernance(
            aitbc,
            reputation,
            timelock,
            IAccessManager(nobody),
            VOTING_DELAY,
            VOTING_PERIOD,
            PROPOSAL_THRESHOLD,
            QUORUM_PERCENT
        );
    }

    // ─── Lifecycle ────────────────────────────────────────────────────────────────────────────

    function test_lifecycle_proposeVoteQueueExecute_setsFeeBounds() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, bytes32 h) =
            _feeBoundsCall(_newBounds(), DESC);
        _assertBounds(_bounds(poolId), defaultBounds());

        vm.prank(alice);
        uint256 id = governor.propose(t, v, c, DESC);
        assertEq(id, governor.hashProposal(t, v, c, h));
        assertEq(_state(id), uint8(IGovernor.ProposalState.Pending));
        assertEq(governor.proposalSnapshot(id), block.timestamp + VOTING_DELAY);
        assertEq(governor.proposalProposer(id), alice);

        _nextBlock(VOTING_DELAY + 1);
        assertEq(_state(id), uint8(IGovernor.ProposalState.Active));
        vm.prank(alice);
        governor.castVote(id, 1);
        vm.prank(bob);
        governor.castVote(id, 0);
        vm.prank(agent);
        governor.castVote(id, 1);
        vm.prank(carol);
        governor.castVote(id, 2);
        (uint256 against, uint256 forVotes, uint256 abstain) = governor.proposalVotes(id);
        assertEq(against, 300_000e18);
        assertEq(forVotes, 400_000e18 + 150_000e18); // agent: 300 of 400 points of a 200k pool
        assertEq(abstain, 100_000e18);

        _nextBlock(VOTING_PERIOD);
        assertEq(_state(id), uint8(IGovernor.ProposalState.Succeeded));
        assertTrue(governor.proposalNeedsQueuing(id));

        governor.queue(t, v, c, h); // anyone may queue
        assertEq(_state(id), uint8(IGovernor.ProposalState.Queued));
        assertEq(governor.proposalEta(id), block.timestamp + TIMELOCK_DELAY);

        _nextBlock(TIMELOCK_DELAY);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.FeeBoundsSet(poolId, _newBounds());
        vm.prank(nobody); // the executor role is open
        governor.execute(t, v, c, h);
        assertEq(_state(id), uint8(IGovernor.ProposalState.Executed));
        _assertBounds(_bounds(poolId), _newBounds());
    }

    function test_lifecycle_reputationAloneCanMeetThreshold() public {
        // agent2 holds no AITBC; 100 of 400 points of a 200k pool = 50k votes ≥ the 10k threshold.
        assertEq(governor.getVotes(agent2, block.timestamp - 1), 50_000e18);
        uint256 id = _propose(agent2, DESC);
        assertEq(governor.proposalProposer(id), agent2);
    }

    // ─── Reverts ──────────────────────────────────────────────────────────────────────────────

    function test_propose_revertsWhenBelowThreshold() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c,) = _feeBoundsCall(_newBounds(), DESC);
        vm.prank(nobody);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorInsufficientProposerVotes.selector, nobody, 0, PROPOSAL_THRESHOLD
            )
        );
        governor.propose(t, v, c, DESC);
    }

    function test_castVote_revertsBeforeVotingStarts() public {
        uint256 id = _propose(alice, DESC);
        _nextBlock(VOTING_DELAY); // snapshot = now: still pending until strictly after it
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorUnexpectedProposalState.selector,
                id,
                IGovernor.ProposalState.Pending,
                _stateBit(IGovernor.ProposalState.Active)
            )
        );
        governor.castVote(id, 1);
    }

    function test_castVote_revertsWhenAlreadyVoted() public {
        uint256 id = _propose(alice, DESC);
        _nextBlock(VOTING_DELAY + 1);
        vm.prank(bob);
        governor.castVote(id, 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorAlreadyCastVote.selector, bob));
        governor.castVote(id, 0);
    }

    function test_castVote_revertsAfterVotingEnds() public {
        uint256 id = _propose(alice, DESC);
        _nextBlock(VOTING_DELAY + VOTING_PERIOD + 1);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorUnexpectedProposalState.selector,
                id,
                IGovernor.ProposalState.Defeated,
                _stateBit(IGovernor.ProposalState.Active)
            )
        );
        governor.castVote(id, 1);
    }

    function test_defeated_whenQuorumNotReached_cannotQueue() public {
        _mintAndDelegate(dave, 30_000e18);
        _nextBlock(1);
        (address[] memory t, uint256[] memory v, bytes[] memory c, bytes32 h) =
            _feeBoundsCall(_newBounds(), DESC);
        vm.prank(alice);
        uint256 id = governor.propose(t, v, c, DESC);
        _nextBlock(VOTING_DELAY + 1);
        vm.prank(dave);
        governor.castVote(id, 1);
        _nextBlock(VOTING_PERIOD);
        // 30k for, none against, but quorum is 4 % of 830k + the 200k of reputation (under its 207.5k cap) = 41.2k.
        assertEq(governor.quorum(governor.proposalSnapshot(id)), 41_200e18);
        assertEq(_state(id), uint8(IGovernor.ProposalState.Defeated));
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorUnexpectedProposalState.selector,
                id,
                IGovernor.ProposalState.Defeated,
                _stateBit(IGovernor.ProposalState.Succeeded)
            )
        );
        governor.queue(t, v, c, h);
    }

    function test_defeated_whenAgainstOutweighsFor() public {
        uint256 id = _propose(alice, DESC);
        _nextBlock(VOTING_DELAY + 1);
        // First: alice (400k) and all reputation (200k) for, bob and carol (400k) against: reputation tips it.
        _mintAndDelegate(dave, 300_000e18); // after the snapshot: does not vote on this one
        vm.prank(alice);
        governor.castVote(id, 1);
        vm.prank(agent);
        governor.castVote(id, 1);
        vm.prank(agent2);
        governor.castVote(id, 1);
        vm.prank(bob);
        governor.castVote(id, 0);
        vm.prank(carol);
        governor.castVote(id, 0);
        vm.prank(dave);
        governor.castVote(id, 0);
        (uint256 against, uint256 forVotes,) = governor.proposalVotes(id);
        assertEq(forVotes, 600_000e18);
        assertEq(against, 400_000e18);
        _nextBlock(VOTING_PERIOD);
        assertEq(_state(id), uint8(IGovernor.ProposalState.Succeeded));

        // Second, with dave's 300k in the snapshot: 600k for (400k + the 200k of reputation, under its 275k cap)
        // against 700k.
        uint256 id2 = _propose(alice, "second");
        _nextBlock(VOTING_DELAY + 1);
        vm.prank(alice);
        governor.castVote(id2, 1);
        vm.prank(agent);
        governor.castVote(id2, 1);
        vm.prank(agent2);
        governor.castVote(id2, 1);
        vm.prank(bob);
        governor.castVote(id2, 0);
        vm.prank(carol);
        governor.castVote(id2, 0);
        vm.prank(dave);
        governor.castVote(id2, 0);
        _nextBlock(VOTING_PERIOD);
        (against, forVotes,) = governor.proposalVotes(id2);
        assertEq(forVotes, 600_000e18);
        assertEq(against, 700_000e18);
        assertEq(_state(id2), uint8(IGovernor.ProposalState.Defeated));
    }

    function test_execute_revertsBeforeTimelockDelay() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, bytes32 h) =
            _feeBoundsCall(_newBounds(), DESC);
        _passProposal(t, v, c, DESC);
        governor.queue(t, v, c, h);
        bytes32 salt = bytes20(address(governor)) ^ h;
        bytes32 opId = timelock.hashOperationBatch(t, v, c, 0, salt);
        assertTrue(timelock.isOperationPending(opId));

        _nextBlock(TIMELOCK_DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector,
                opId,
                bytes32(1 << uint8(TimelockController.OperationState.Ready))
            )
        );
        governor.execute(t, v, c, h);
        _assertBounds(_bounds(poolId), defaultBounds());

        _nextBlock(1);
        governor.execute(t, v, c, h);
        _assertBounds(_bounds(poolId), _newBounds());
    }

    function test_execute_revertsWhenNotQueued() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, bytes32 h) =
            _feeBoundsCall(_newBounds(), DESC);
        uint256 id = _passProposal(t, v, c, DESC);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorUnexpectedProposalState.selector,
                id,
                IGovernor.ProposalState.Succeeded,
                _stateBit(IGovernor.ProposalState.Queued)
            )
        );
        governor.execute(t, v, c, h);
    }

    function test_timelock_cannotBeUsedAroundTheGovernor() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c,) = _feeBoundsCall(_newBounds(), DESC);
        bytes32 proposer = timelock.PROPOSER_ROLE();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, proposer)
        );
        timelock.scheduleBatch(t, v, c, 0, 0, TIMELOCK_DELAY);
    }

    // ─── Voting power: reputation cap and snapshots ───────────────────────────────────────────

    /// @dev Whatever the supply, however much of it is delegated (undelegated holders, holders who undelegate,
    /// delegated balances moved to undelegated holders and back) and however reputation is spread, every reputation
    /// vote together stays within 20 % of the votes that can be cast (delegated AITBC plus the pool), and all votes
    /// together within those.
    function testFuzz_reputationVotes_neverExceedTwentyPercentOfCastable(
        uint96 extraDelegated,
        uint96 extraUndelegated,
        uint96 moved,
        uint8 undelegations,
        uint96 score1,
        uint96 score2,
        uint96 score3
    ) public {
        address escrow = makeAddr("escrow"); // never delegates, as AMM reserves, farm stakes, bridge escrow
        uint256 room = aitbc.MAX_SUPPLY() - aitbc.totalSupply();
        extraDelegated = uint96(bound(extraDelegated, 0, room / 2));
        extraUndelegated = uint96(bound(extraUndelegated, 0, room / 2));
        if (extraDelegated > 0) _mintAndDelegate(dave, extraDelegated);
        if (extraUndelegated > 0) {
            vm.prank(minter);
            aitbc.mint(escrow, extraUndelegated);
        }
        // alice moves part of her balance to the undelegated escrow; bob and carol may undelegate.
        vm.prank(alice);
        aitbc.transfer(escrow, bound(moved, 0, 400_000e18));
        if (undelegations & 1 != 0) {
            vm.prank(bob);
            aitbc.delegate(address(0));
        }
        if (undelegations & 2 != 0) {
            vm.prank(carol);
            aitbc.delegate(address(0));
        }
        if (undelegations & 4 != 0) {
            uint256 half = aitbc.balanceOf(escrow) / 2;
            vm.prank(escrow);
            aitbc.transfer(carol, half); // back to a (maybe) delegated holder
        }
        vm.startPrank(granter);
        if (score1 > 0) reputation.grant(agent, score1);
        if (score2 > 0) reputation.grant(agent2, score2);
        if (score3 > 0) reputation.grant(alice, score3); // a token holder with reputation too
        vm.stopPrank();
        _nextBlock(1);
        uint256 t = block.timestamp - 1;

        // The token votes that can be cast, counted from the delegates' own votes (every holder delegates to
        // itself or to nobody here).
        address[6] memory voters = [alice, bob, carol, dave, agent, agent2];
        uint256 delegated;
        for (uint256 i; i < voters.length; ++i) {
            delegated += aitbc.getPastVotes(voters[i], t);
        }
        assertEq(aitbc.getPastTotalDelegated(t), delegated, "token's total delegated");

        uint256 pool = governor.reputationPool(t);
        uint256 castable = governor.castableVotes(t);
        assertEq(castable, delegated + pool, "castable votes");
        uint256 repSum = governor.reputationVotes(agent, t) + governor.reputationVotes(agent2, t)
            + governor.reputationVotes(alice, t);
        assertLe(repSum, pool, "reputation votes exceed the pool");
        assertLe(
            repSum * 10_000, castable * governor.REPUTATION_SHARE_BPS(), "reputation above 20 % of castable"
        );
        assertLe(pool * 10_000, castable * governor.REPUTATION_SHARE_BPS(), "pool above 20 % of castable");
        assertLe(pool * 4, delegated, "pool above a quarter of the delegated AITBC");

        uint256 sum;
        for (uint256 i; i < voters.length; ++i) {
            sum += governor.getVotes(voters[i], t);
        }
        sum += governor.getVotes(escrow, t);
        assertLe(sum, castable, "votes exceed the votes that can be cast");
        assertEq(governor.getVotes(escrow, t), 0, "undelegated AITBC casts no vote");
        assertEq(governor.getVotes(agent, t), governor.reputationVotes(agent, t));
    }

    /// @dev Below the cap a point is a vote: one small grant cannot buy a share of the whole 20 % pool.
    function test_reputationVotes_smallGrantIsSmallVoice() public {
        vm.startPrank(granter);
        reputation.revoke(agent, 150_000e18);
        reputation.revoke(agent2, 50_000e18);
        reputation.grant(agent, 1e18);
        vm.stopPrank();
        _nextBlock(1);
        uint256 t = block.timestamp - 1;
        assertEq(governor.reputationPool(t), 1e18);
        assertEq(governor.getVotes(agent, t), 1e18);
        assertEq(governor.castableVotes(t), 800_001e18);
    }

    /// @dev Above the cap the points share the 20 % pool pro rata.
    function test_reputationVotes_shareTheCapWhenGrantsExceedIt() public {
        vm.prank(granter);
        reputation.grant(agent2, 200_000e18); // 400k points in all, against a 200k cap
        _nextBlock(1);
        uint256 t = block.timestamp - 1;
        assertEq(governor.reputationPool(t), 200_000e18);
        assertEq(governor.getVotes(agent, t), 75_000e18);
        assertEq(governor.getVotes(agent2, t), 125_000e18);
    }

    function test_reputationPool_isZeroWithoutReputation() public {
        vm.startPrank(granter);
        reputation.revoke(agent, 150_000e18);
        reputation.revoke(agent2, 50_000e18);
        vm.stopPrank();
        _nextBlock(1);
        uint256 t = block.timestamp - 1;
        assertEq(governor.reputationPool(t), 0);
        assertEq(governor.castableVotes(t), 800_000e18);
        assertEq(governor.getVotes(agent, t), 0);
    }

    function test_flashBorrow_tokensReceivedAfterSnapshotDoNotVote() public {
        uint256 id = _propose(alice, DESC);
        _nextBlock(VOTING_DELAY + 1);
        uint256 snapshot = governor.proposalSnapshot(id);

        // bob "borrows" alice's whole balance after the snapshot, delegates to himself, votes, and pays it back.
        vm.prank(alice);
        aitbc.transfer(dave, 400_000e18);
        vm.prank(dave);
        aitbc.delegate(dave);
        vm.prank(granter);
        reputation.grant(dave, 1_000_000);
        assertEq(aitbc.getVotes(dave), 400_000e18);
        assertEq(governor.getVotes(dave, snapshot), 0);
        vm.prank(dave);
        governor.castVote(id, 0);
        vm.prank(dave);
        aitbc.transfer(alice, 400_000e18);
        (uint256 against,,) = governor.proposalVotes(id);
        assertEq(against, 0);

        // alice's votes are those she had at the snapshot, whatever she holds now.
        vm.prank(alice);
        governor.castVote(id, 1);
        (, uint256 forVotes,) = governor.proposalVotes(id);
        assertEq(forVotes, 400_000e18);
    }

    function test_flashBorrow_cannotMeetProposalThresholdInTheSameBlock() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c,) = _feeBoundsCall(_newBounds(), DESC);
        vm.prank(alice);
        aitbc.transfer(dave, 400_000e18);
        vm.startPrank(dave);
        aitbc.delegate(dave);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorInsufficientProposerVotes.selector, dave, 0, PROPOSAL_THRESHOLD
            )
        );
        governor.propose(t, v, c, DESC);
        vm.stopPrank();
    }

    // ─── Handover: the deployer keeps nothing ─────────────────────────────────────────────────

    function test_handover_wiring() public view {
        (bool isAdmin,) = manager.hasRole(Roles.ADMIN, address(timelock));
        assertTrue(isAdmin, "timelock is the manager's admin");
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), address(governor)));
        assertTrue(timelock.hasRole(timelock.CANCELLER_ROLE(), address(governor)));
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0)), "open executor");
        assertTrue(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(timelock)), "self-administered");
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(governor)));
        assertEq(timelock.getMinDelay(), TIMELOCK_DELAY);
    }

    function test_handover_deployerHoldsNoRole() public view {
        for (uint64 role; role <= Roles.REPUTATION_GRANTER; ++role) {
            (bool member,) = manager.hasRole(role, deployer);
            assertFalse(member);
        }
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer));
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), deployer));
        assertFalse(timelock.hasRole(timelock.CANCELLER_ROLE(), deployer));
    }

    function test_handover_deployerCannotCallAdminFunctions() public {
        vm.startPrank(deployer);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        amm.setFeeBounds(poolId, _newBounds());
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        amm.setFee(poolId, 4_000);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        aitbc.mint(deployer, 1);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        reputation.grant(deployer, 1);

        bytes memory unauthorized =
            abi.encodeWithSelector(IAccessManager.AccessManagerUnauthorizedAccount.selector, deployer, 0);
        vm.expectRevert(unauthorized);
        manager.grantRole(Roles.ADMIN, deployer, 0);
        vm.expectRevert(unauthorized);
        manager.grantRole(Roles.FEE_KEEPER, deployer, 0);
        vm.expectRevert(unauthorized);
        manager.revokeRole(Roles.FEE_KEEPER, keeper);
        vm.expectRevert(unauthorized);
        manager.labelRole(Roles.FEE_KEEPER, "x");
        vm.expectRevert(unauthorized);
        manager.setRoleAdmin(Roles.FEE_KEEPER, Roles.GUARDIAN);
        vm.expectRevert(unauthorized);
        manager.setTargetFunctionRole(address(amm), new bytes4[](0), Roles.FEE_KEEPER);
        vm.expectRevert(unauthorized);
        manager.setTargetClosed(address(amm), true);
        vm.expectRevert(unauthorized);
        manager.updateAuthority(address(amm), deployer);
        vm.expectRevert(unauthorized);
        manager.setGrantDelay(Roles.FEE_KEEPER, 1);

        bytes32 proposerRole = timelock.PROPOSER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                deployer,
                timelock.DEFAULT_ADMIN_ROLE()
            )
        );
        timelock.grantRole(proposerRole, deployer);
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockUnauthorizedCaller.selector, deployer)
        );
        timelock.updateDelay(0);
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorOnlyExecutor.selector, deployer));
        governor.setVotingDelay(0);
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorOnlyExecutor.selector, deployer));
        governor.updateQuorumNumerator(1);
        vm.stopPrank();
    }

    function test_handover_keeperCannotChangeBounds() public {
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, keeper));
        amm.setFeeBounds(poolId, _newBounds());
    }

    /// @dev The governor changes its own settings only through a proposal (the timelock is its executor).
    function test_governance_updatesItsOwnSettingsThroughProposal() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _single(address(governor), abi.encodeCall(governor.setVotingPeriod, (uint32(7 days))));
        _enact(t, v, c, "longer votes");
        assertEq(governor.votingPeriod(), 7 days);
    }

    /// @dev A fresh deployment in the intended order, with a separate deployer account, keeps no power either.
    function test_handover_freshDeploymentMirrorsIntendedWiring() public {
        address dep = makeAddr("deployer");
        vm.startPrank(dep);
        AccessManager m = new AccessManager(dep);
        AITBC tok = new AITBC(address(m));
        AgentReputation rep = new AgentReputation(address(m));
        address[] memory anyone = new address[](1);
        TimelockController tl = new TimelockController(TIMELOCK_DELAY, new address[](0), anyone, dep);
        AgentGovernance gov = new AgentGovernance(
            tok, rep, tl, m, VOTING_DELAY, VOTING_PERIOD, PROPOSAL_THRESHOLD, QUORUM_PERCENT
        );
        tl.grantRole(tl.PROPOSER_ROLE(), address(gov));
        tl.grantRole(tl.CANCELLER_ROLE(), address(gov));
        tl.renounceRole(tl.DEFAULT_ADMIN_ROLE(), dep);
        m.grantRole(Roles.ADMIN, address(tl), 0);
        m.renounceRole(Roles.ADMIN, dep);

        (bool isAdmin,) = m.hasRole(Roles.ADMIN, dep);
        assertFalse(isAdmin);
        (isAdmin,) = m.hasRole(Roles.ADMIN, address(tl));
        assertTrue(isAdmin);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessManager.AccessManagerUnauthorizedAccount.selector, dep, 0)
        );
        m.grantRole(Roles.ADMIN, dep, 0);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, dep));
        tok.mint(dep, 1);
        bytes32 proposerRole = tl.PROPOSER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, dep, tl.DEFAULT_ADMIN_ROLE()
            )
        );
        tl.grantRole(proposerRole, dep);
        vm.stopPrank();
    }
}
