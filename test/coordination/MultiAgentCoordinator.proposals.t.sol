// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice propose, vote, execute and the proposal states, for each kind of proposal.
contract MultiAgentCoordinatorProposalsTest is CoordinatorTestBase {
    IMultiAgentCoordinator.ProposalKind internal constant SET_MANDATE =
    IMultiAgentCoordinator.ProposalKind.SetMandate;
    IMultiAgentCoordinator.ProposalKind internal constant TRADE = IMultiAgentCoordinator.ProposalKind.Trade;
    IMultiAgentCoordinator.ProposalKind internal constant SET_LEADER =
    IMultiAgentCoordinator.ProposalKind.SetLeader;

    uint256 internal aliceShares;
    uint256 internal bobShares;
    uint256 internal carolShares;

    function setUp() public override {
        super.setUp();
        _fundConsortium(); // 10 000 / 20 000 / 30 000 base
        aliceShares = coordinator.sharesOf(cid, alice);
        bobShares = coordinator.sharesOf(cid, bob);
        carolShares = coordinator.sharesOf(cid, carol);
    }

    // ─── propose ──────────────────────────────────────────────────────────────────────────────

    function test_propose_storesAndEmits() public {
        bytes memory data = abi.encode(dave);
        uint64 voteEnd = uint64(block.timestamp + VOTING_PERIOD);
        uint64 graceEnd = voteEnd + GRACE_PERIOD;
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.ProposalCreated(
            1, cid, alice, SET_LEADER, data, uint64(block.number - 1), voteEnd, graceEnd
        );
        uint256 id = _propose(alice, cid, SET_LEADER, data);
        assertEq(id, 1);
        assertEq(coordinator.proposalCount(), 1);
        IMultiAgentCoordinator.ProposalView memory p = coordinator.getProposal(id);
        assertEq(p.consortiumId, cid);
        assertEq(p.proposer, alice);
        assertEq(uint8(p.kind), uint8(SET_LEADER));
        assertEq(p.data, data);
        assertEq(p.snapshotBlock, block.number - 1);
        assertEq(p.voteEnd, voteEnd);
        assertEq(p.graceEnd, graceEnd);
        assertEq(p.yesVotes + p.noVotes, 0);
        assertEq(uint8(p.state), uint8(IMultiAgentCoordinator.ProposalState.Active));
    }

    function test_propose_revertsWhenNoSharesAtThePreviousBlock() public {
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotShareholder.selector, cid, dave));
        coordinator.propose(cid, SET_LEADER, abi.encode(dave));
        // shares received in this block do not count yet
        vm.prank(alice);
        coordinator.transferShares(cid, dave, aliceShares);
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotShareholder.selector, cid, dave));
        coordinator.propose(cid, SET_LEADER, abi.encode(dave));
        // and shares given away in this block still do
        _propose(alice, cid, SET_LEADER, abi.encode(dave));
    }

    function test_propose_revertsWhenUnknownConsortium() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 3));
        coordinator.propose(3, SET_LEADER, abi.encode(dave));
    }

    function test_propose_checksSetMandate() public {
        IMultiAgentCoordinator.Mandate memory bad = _mandate();
        bad.lossPeriod = 0;
        vm.startPrank(alice);
        vm.expectRevert(IMultiAgentCoordinator.InvalidMandate.selector);
        coordinator.propose(cid, SET_MANDATE, abi.encode(bad, _path(gpuPool)));
        uint256 pairPool = amm.createPool(address(gpu), address(llm));
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiAgentCoordinator.PoolDoesNotPairBase.selector, pairPool, address(base)
            )
        );
        coordinator.propose(cid, SET_MANDATE, abi.encode(_mandate(), _path(pairPool)));
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.DuplicatePool.selector, gpuPool));
        coordinator.propose(cid, SET_MANDATE, abi.encode(_mandate(), _path(gpuPool, gpuPool)));
        vm.stopPrank();
        uint256[] memory eight = _extraPools(8);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.TooManyAssets.selector, 11, 10));
        coordinator.propose(cid, SET_MANDATE, abi.encode(_mandate(), eight));
    }

    function test_propose_checksTradeAndSetLeader() public {
        vm.startPrank(alice);
        vm.expectRevert(IMultiAgentCoordinator.EmptyPath.selector);
        coordinator.propose(cid, TRADE, abi.encode(new uint256[](0), address(base), 1e18, 0));
        vm.expectRevert(IMultiAgentCoordinator.ZeroAmount.selector);
        coordinator.propose(cid, TRADE, _tradeData(gpuPool, address(base), 0, 0));
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotAnAsset.selector, cid, dave));
        coordinator.propose(cid, TRADE, _tradeData(gpuPool, dave, 1e18, 0));
        vm.expectRevert(IMultiAgentCoordinator.ZeroAddress.selector);
        coordinator.propose(cid, SET_LEADER, abi.encode(address(0)));
        // data that does not decode as the kind says
        vm.expectRevert();
        coordinator.propose(cid, TRADE, abi.encode(dave));
        vm.stopPrank();
    }

    // ─── vote ─────────────────────────────────────────────────────────────────────────────────

    function test_vote_countsSharesAtTheSnapshotAndEmits() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        // bob doubles his shares after the snapshot: they do not vote
        _contribute(bob, cid, 20_000e18);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.Voted(id, bob, false, bobShares);
        _vote(bob, id, false);
        _vote(carol, id, true);
        IMultiAgentCoordinator.ProposalView memory p = coordinator.getProposal(id);
        assertEq(p.yesVotes, carolShares);
        assertEq(p.noVotes, bobShares);
        assertTrue(coordinator.hasVoted(id, bob));
        assertFalse(coordinator.hasVoted(id, alice));
    }

    function test_vote_revertsWhenAlreadyVoted() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        _vote(alice, id, true);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.AlreadyVoted.selector, id, alice));
        coordinator.vote(id, false);
    }

    function test_vote_revertsWhenNoVotingPower() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        vm.prank(carol);
        coordinator.transferShares(cid, dave, carolShares);
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NoVotingPower.selector, id, dave));
        coordinator.vote(id, true);
        // carol's yes would count only what she still holds: nothing
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NoVotingPower.selector, id, carol));
        coordinator.vote(id, true);
        // she still votes no with what she held at the snapshot
        _vote(carol, id, false);
        assertEq(coordinator.getProposal(id).noVotes, carolShares);
    }

    function test_vote_revertsWhenClosedOrUnknown() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        _advance(VOTING_PERIOD);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.VotingClosed.selector, id));
        coordinator.vote(id, true);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownProposal.selector, 2));
        coordinator.vote(2, true);
    }

    // ─── states ───────────────────────────────────────────────────────────────────────────────

    function test_state_walksActiveGraceReadyExecuted() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        _vote(carol, id, true); // half the shares: exactly the quorum
        _assertState(id, IMultiAgentCoordinator.ProposalState.Active);
        _advance(VOTING_PERIOD - 1);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Active);
        _advance(1);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Grace);
        _advance(GRACE_PERIOD - 1);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Grace);
        _advance(1);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Ready);
        coordinator.execute(id);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Executed);
    }

    /// @dev A passed proposal nobody executes expires EXECUTION_PERIOD after its grace period: it can no longer run
    /// (and its yes-voters' shares are free again).
    function test_state_readyExpiresAfterTheExecutionPeriod() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        _vote(carol, id, true);
        _advance(VOTING_PERIOD + GRACE_PERIOD);
        vm.warp(block.timestamp + coordinator.EXECUTION_PERIOD() - 1);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Ready);
        vm.warp(block.timestamp + 1);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Expired);
        _expectNotReady(id, IMultiAgentCoordinator.ProposalState.Expired);
        _ragequit(carol, cid, carolShares);
    }

    function test_state_defeatedWithoutQuorum() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        _vote(bob, id, true); // a third of the shares, nobody against
        _advance(VOTING_PERIOD);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Defeated);
        _advance(GRACE_PERIOD);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Defeated);
    }

    function test_state_defeatedWhenNoOutnumbersYes() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        _vote(carol, id, true);
        _vote(alice, id, false);
        _vote(bob, id, false); // 30 000 against 30 000: a tie is not a majority
        _advance(VOTING_PERIOD + GRACE_PERIOD);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Defeated);
    }

    function test_state_quorumCountsTheSnapshotSupply() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        // a contribution after the snapshot does not raise the bar
        _contribute(bob, cid, 1_000_000e18);
        _vote(carol, id, true);
        _advance(VOTING_PERIOD);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Grace);
    }

    // ─── execute ──────────────────────────────────────────────────────────────────────────────

    function test_execute_setLeader() public {
        uint256 id = _passToReady(alice, SET_LEADER, abi.encode(dave));
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.LeaderSet(cid, dave);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.ProposalExecuted(id, cid);
        vm.prank(dave); // anyone
        coordinator.execute(id);
        assertEq(coordinator.getConsortium(cid).leader, dave);
        vm.prank(leader);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotLeader.selector, cid, leader));
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 1e18);
        vm.prank(dave);
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 1e18);
    }

    function test_execute_setMandateSwapsPoolsAndKeepsAssets() public {
        _leaderTrade(cid, llmPool, address(base), 1_000e18);
        MockERC20 other = new MockERC20("Other", "OTH");
        uint256 otherPool = _listAsset(other, POOL_BASE_RESERVE);
        IMultiAgentCoordinator.Mandate memory m = IMultiAgentCoordinator.Mandate({
            maxTradeBps: 500, maxLossPerTradeBps: 50, maxLossPerPeriodBps: 100, lossPeriod: 7 days
        });
        uint256[] memory pools = _path(otherPool, gpuPool);
        uint256 id = _passToReady(alice, SET_MANDATE, abi.encode(m, pools));
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.MandateSet(cid, m, pools);
        coordinator.execute(id);

        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(cid);
        assertEq(v.mandate.maxTradeBps, 500);
        assertEq(v.mandate.lossPeriod, 7 days);
        assertEq(v.allowedPools, pools);
        // llm stays an asset (the consortium holds some), other joins
        assertEq(v.assets.length, 4);
        assertEq(v.assets[2], address(llm));
        assertEq(v.assets[3], address(other));
        assertGt(v.holdings[2], 0);
        vm.prank(leader);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.PoolNotAllowed.selector, cid, llmPool));
        coordinator.leaderTrade(cid, _path(llmPool), address(llm), 1e18);
        // the new limit applies: 5 % of the net asset value
        uint256 maxValue = _nav(cid) * 500 / 10_000;
        vm.prank(leader);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.TradeTooLarge.selector, maxValue + 1, maxValue)
        );
        coordinator.leaderTrade(cid, _path(otherPool), address(base), maxValue + 1);
        _leaderTrade(cid, otherPool, address(base), maxValue);
        // llm is still valued (through its pool) although no longer tradable by the leader
        (, uint256[] memory values) = coordinator.netAssetValue(cid);
        assertGt(values[2], 0);
    }

    function test_execute_setMandateRechecksAssetCount() public {
        uint256[] memory seven = _extraPools(7);
        uint256[] memory sevenOthers = _extraPools(7);
        uint256 first = _passToReady(alice, SET_MANDATE, abi.encode(_mandate(), seven));
        uint256 second = _passToReady(bob, SET_MANDATE, abi.encode(_mandate(), sevenOthers));
        coordinator.execute(first);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.TooManyAssets.selector, 17, 10));
        coordinator.execute(second);
        _assertState(second, IMultiAgentCoordinator.ProposalState.Ready);
    }

    function test_execute_tradeBeyondTheMandate() public {
        // 50 % of the net asset value: five times what the leader may trade
        uint256 amountIn = 30_000e18;
        uint256 quote = amm.getAmountOut(gpuPool, address(base), amountIn);
        uint256 id =
            _passToReady(alice, TRADE, _tradeData(gpuPool, address(base), amountIn, quote * 99 / 100));
        // the quote of the voting day still holds (nobody traded)
        quote = amm.getAmountOut(gpuPool, address(base), amountIn);
        (uint256 oracleOut,) = oracle.consult(gpuPool, address(base), amountIn);
        vm.expectEmit(true, true, false, false, address(coordinator));
        emit IMultiAgentCoordinator.ConsortiumTraded(cid, id, address(base), address(gpu), amountIn, 0, 0, 0);
        coordinator.execute(id);
        assertEq(_holding(cid, address(gpu)), quote);
        assertEq(_holding(cid, address(base)), 30_000e18);
        assertLt(quote, oracleOut);
        // the members' trade is not charged to the leader's loss budget
        assertEq(coordinator.getConsortium(cid).lossUsedBps, 0);
    }

    function test_execute_tradeHoldsTheProposalsMinimum() public {
        uint256 amountIn = 10_000e18;
        uint256 quote = amm.getAmountOut(gpuPool, address(base), amountIn);
        uint256 id = _passToReady(alice, TRADE, _tradeData(gpuPool, address(base), amountIn, quote));
        // someone buys gpu first: the trade would now get less than the members asked for
        vm.prank(lp);
        amm.swapExactInputSingle(gpuPool, address(base), 1_000e18, 0, lp, block.timestamp);
        uint256 newQuote = amm.getAmountOut(gpuPool, address(base), amountIn);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, newQuote, quote));
        coordinator.execute(id);
        _assertState(id, IMultiAgentCoordinator.ProposalState.Ready);
    }

    /// @dev A proposal asking for no minimum still gets the oracle's: at most 10 % worse than the oracle's value.
    function test_execute_tradeHoldsTheOracleFloor() public {
        uint256 amountIn = 10_000e18;
        uint256 id = _passToReady(alice, TRADE, _tradeData(gpuPool, address(base), amountIn, 0));
        vm.prank(lp);
        amm.swapExactInputSingle(gpuPool, address(base), 1_500_000e18, 0, lp, block.timestamp);
        (uint256 oracleOut,) = oracle.consult(gpuPool, address(base), amountIn);
        uint256 floor = Math.mulDiv(oracleOut, 9_000, 10_000, Math.Rounding.Ceil);
        uint256 quote = amm.getAmountOut(gpuPool, address(base), amountIn);
        assertLt(quote, floor);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, quote, floor));
        coordinator.execute(id);
    }

    function test_execute_tradeAlongAnyPathBetweenAssets() public {
        _leaderTrade(cid, gpuPool, address(base), 5_000e18);
        uint256 directPool = amm.createPool(address(gpu), address(llm));
        (uint256 a0, uint256 a1) = (1_000_000e18, 4_000_000e18); // 1 gpu = 4 llm, as through the base
        vm.prank(lp);
        amm.addLiquidity(directPool, a0, a1, 0, 0, lp, block.timestamp);
        recordedPools.push(directPool);
        uint256 gpuHeld = _holding(cid, address(gpu));
        uint256 id = _passToReady(alice, TRADE, _tradeData(directPool, address(gpu), gpuHeld, 1));
        coordinator.execute(id);
        assertEq(_holding(cid, address(gpu)), 0);
        assertGt(_holding(cid, address(llm)), 0);
    }

    function test_execute_tradeRevertsWhenPathEndsOutsideTheAssets() public {
        MockERC20 other = new MockERC20("Other", "OTH");
        uint256 otherPool = _listAsset(other, POOL_BASE_RESERVE);
        uint256 id = _passToReady(alice, TRADE, _tradeData(otherPool, address(base), 1_000e18, 0));
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.NotAnAsset.selector, cid, address(other))
        );
        coordinator.execute(id);
    }

    function test_execute_tradeRevertsWhenHoldingsShrankAndWhilePaused() public {
        uint256 id = _propose(alice, cid, TRADE, _tradeData(gpuPool, address(base), 50_000e18, 0));
        _vote(alice, id, true);
        _vote(bob, id, true);
        _advance(VOTING_PERIOD);
        // carol, who did not vote for it, leaves during the grace period: 30 000 base go with her
        _ragequit(carol, cid, carolShares);
        _advance(GRACE_PERIOD);
        uint256 held = _holding(cid, address(base));
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiAgentCoordinator.InsufficientHoldings.selector, address(base), held, 50_000e18
            )
        );
        coordinator.execute(id);

        uint256 small = _passToReady(alice, TRADE, _tradeData(gpuPool, address(base), 1_000e18, 0));
        vm.prank(guardian);
        coordinator.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        coordinator.execute(small);
        vm.prank(guardian);
        coordinator.unpause();
        coordinator.execute(small);
        _assertState(small, IMultiAgentCoordinator.ProposalState.Executed);
    }

    function test_execute_governanceProposalsRunWhilePaused() public {
        uint256 id = _passToReady(alice, SET_LEADER, abi.encode(dave));
        vm.prank(guardian);
        coordinator.pause();
        coordinator.execute(id);
        assertEq(coordinator.getConsortium(cid).leader, dave);
    }

    function test_execute_revertsUnlessReady() public {
        uint256 id = _propose(alice, cid, SET_LEADER, abi.encode(dave));
        _vote(carol, id, true);
        _expectNotReady(id, IMultiAgentCoordinator.ProposalState.Active);
        _advance(VOTING_PERIOD);
        _expectNotReady(id, IMultiAgentCoordinator.ProposalState.Grace);
        _advance(GRACE_PERIOD);
        coordinator.execute(id);
        _expectNotReady(id, IMultiAgentCoordinator.ProposalState.Executed);

        uint256 lost = _propose(alice, cid, SET_LEADER, abi.encode(bob));
        _advance(VOTING_PERIOD + GRACE_PERIOD);
        _expectNotReady(lost, IMultiAgentCoordinator.ProposalState.Defeated);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownProposal.selector, 3));
        coordinator.execute(3);
    }

    // ─── helpers ──────────────────────────────────────────────────────────────────────────────

    function _assertState(uint256 id, IMultiAgentCoordinator.ProposalState expected) internal view {
        assertEq(uint8(coordinator.getProposal(id).state), uint8(expected));
    }

    function _expectNotReady(uint256 id, IMultiAgentCoordinator.ProposalState state) internal {
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.ProposalNotReady.selector, id, state));
        coordinator.execute(id);
    }

    function _extraPools(uint256 n) internal returns (uint256[] memory pools) {
        pools = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            MockERC20 token = new MockERC20("X", "X");
            pools[i] = _listAsset(token, POOL_BASE_RESERVE);
        }
    }
}
