// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {RevertingToken} from "../mocks/RevertingToken.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice Attacks on the coordinator, each stopped by one guard; each test's comment names the guard and how the
/// test would fail without it.
contract MultiAgentCoordinatorAttacksTest is CoordinatorTestBase {
    IMultiAgentCoordinator.ProposalKind internal constant TRADE = IMultiAgentCoordinator.ProposalKind.Trade;
    IMultiAgentCoordinator.ProposalKind internal constant SET_LEADER =
    IMultiAgentCoordinator.ProposalKind.SetLeader;

    // ─── first depositor ──────────────────────────────────────────────────────────────────────

    /// @dev The classic donation: the first depositor puts in 1 wei, then transfers a million base to the
    /// coordinator so that the victim's deposit rounds to nothing. Guard: the net asset value counts the
    /// consortium's books, never a balance: the donation changes nothing. With the value read from
    /// `balanceOf` the victim would get ⌊1 000·2e6/1e24⌋ = 0 shares (reverting) or, depositing more, lose up
    /// to a share worth half the donation.
    function test_attack_firstDepositorTokenDonationIsIgnored() public {
        uint256 id = _create(_members(), _pools(gpuPool, llmPool));
        _contribute(alice, id, 1);
        vm.prank(alice);
        base.transfer(address(coordinator), 1_000_000e18);
        uint256 shares = _contribute(bob, id, 1_000e18);
        // exactly the shares a deposit into a 1-wei consortium gets: the donation is invisible
        assertEq(shares, Math.mulDiv(1_000e18, VIRTUAL_SHARES + VIRTUAL_SHARES, 2));
        _assertVictimLossAtMostOneBp(id, 1_000e18);
    }

    /// @dev A donation the books do see: the first depositor (also the leader) puts in 1 wei, crashes the spot of
    /// a pool whose time-weighted price it set, and has the consortium buy there with its 1 wei: the consortium
    /// now really holds ~1 base token of value (at the oracle), against 10^6 shares. Guard: the virtual shares
    /// (decimals offset 6): half of that donation belongs to them, the price of a share stays ~5e11 wei, and the
    /// victim's deposit of 1.5 tokens loses under a share (~5e11 wei). With decimals offset 0 (one virtual share
    /// and one virtual wei) the first depositor holds a single share worth ~1e18: the victim's 1.5e18 buys
    /// ⌊1.5e18·2/(~1e18 + 1)⌋ = 3 shares, worth 3/5 of the ~2.5e18 held: 1.4964e18, ~23 bp lost (measured).
    function test_attack_firstDepositorTradeDonationLosesTheVictimUnderOneBp() public {
        MockERC20 bait = new MockERC20("Bait", "BAIT");
        uint256 baitPool = _shallowPool(bait, 1e18, 1e18);
        IMultiAgentCoordinator.Mandate memory anything = IMultiAgentCoordinator.Mandate({
            maxTradeBps: 10_000, maxLossPerTradeBps: 9_999, maxLossPerPeriodBps: 10_000, lossPeriod: 1 days
        });
        address[] memory members = _members();
        uint256 id = coordinator.createConsortium(
            members, alice, address(base), _governance(), anything, _path(baitPool)
        );
        _contribute(alice, id, 1);

        // same block, so the oracle never sees it: alice dumps bait, the consortium buys it with its 1 wei
        _fund(alice, bait);
        vm.startPrank(alice);
        amm.swapExactInputSingle(baitPool, address(bait), 1e27, 0, alice, block.timestamp);
        coordinator.leaderTrade(id, _path(baitPool), address(base), 1);
        vm.stopPrank();
        uint256 nav = _nav(id);
        assertGt(nav, 0.9e18, "the consortium's 1 wei became ~1 token of value");

        // a later block: a contribution refuses a spot set in its own
        _nextSecond();
        _contribute(bob, id, 1.5e18);
        _assertVictimLossAtMostOneBp(id, 1.5e18);
    }

    // ─── ragequit ─────────────────────────────────────────────────────────────────────────────

    /// @dev A token that reverts on transfer (blocklist, pause, malice) is among the assets. Guard: each exit
    /// transfer is a low-level call whose failure is credited to stuckOf. With SafeERC20's transfer the whole
    /// ragequit would revert and the member could not leave with anything.
    function test_attack_revertingTokenDoesNotBlockRagequit() public {
        RevertingToken rev = new RevertingToken();
        uint256 revPool = _listAsset(MockERC20(address(rev)), POOL_BASE_RESERVE);
        _advance(WINDOW + PERIOD);
        uint256 id = _create(_members(), _pools(gpuPool, revPool));
        _contribute(alice, id, 10_000e18);
        _leaderTrade(id, gpuPool, address(base), 1_500e18);
        _leaderTrade(id, revPool, address(base), 1_500e18);
        _nextBlock();
        rev.setMode(RevertingToken.Mode.Revert);

        uint256 baseBefore = base.balanceOf(alice);
        uint256 gpuBefore = gpu.balanceOf(alice);
        uint256[] memory amounts = _ragequit(alice, id, coordinator.sharesOf(id, alice));
        assertEq(coordinator.sharesOf(id, alice), 0);
        assertEq(base.balanceOf(alice) - baseBefore, amounts[0]);
        assertEq(gpu.balanceOf(alice) - gpuBefore, amounts[1]);
        assertEq(coordinator.stuckOf(alice, address(rev)), amounts[2]);
        assertGt(amounts[2], 0);
    }

    // ─── votes ────────────────────────────────────────────────────────────────────────────────

    /// @dev Shares moved to the attacker in the proposal's block (a loan repaid in the same block) do not vote or
    /// propose, and neither do shares bought in that block. Guard: proposals read shares at `block.number - 1`.
    /// With the current block as snapshot, dave would propose and vote with alice's shares, and bob's fresh
    /// million would outvote everyone.
    function test_attack_sharesMovedInTheProposalsBlockDoNotVote() public {
        _fundConsortium();
        uint256 aliceShares = coordinator.sharesOf(cid, alice);
        uint256 carolShares = coordinator.sharesOf(cid, carol);
        uint256 bobShares = coordinator.sharesOf(cid, bob);

        // the "flash loan": alice lends dave all her shares, he tries to propose and vote, and pays back
        vm.prank(alice);
        coordinator.transferShares(cid, dave, aliceShares);
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotShareholder.selector, cid, dave));
        coordinator.propose(cid, SET_LEADER, abi.encode(dave));
        uint256 id = _propose(carol, cid, SET_LEADER, abi.encode(dave));
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NoVotingPower.selector, id, dave));
        coordinator.vote(id, true);
        vm.prank(dave);
        coordinator.transferShares(cid, alice, aliceShares);
        // bob buys a majority in the same block: it does not count either
        _contribute(bob, cid, 1_000_000e18);
        _vote(bob, id, true);
        _vote(carol, id, false);
        _vote(alice, id, false);

        IMultiAgentCoordinator.ProposalView memory p = coordinator.getProposal(id);
        assertEq(p.yesVotes, bobShares);
        assertEq(p.noVotes, carolShares + aliceShares);
        _advance(VOTING_PERIOD + GRACE_PERIOD);
        assertEq(
            uint8(coordinator.getProposal(id).state), uint8(IMultiAgentCoordinator.ProposalState.Defeated)
        );
    }

    // ─── distributions ────────────────────────────────────────────────────────────────────────

    /// @dev Party 2023 H-01: a member leaves with its part of everything, profit included, and in the same block a
    /// distribution is made at the previous block's snapshot, where it still holds shares: it would be paid its part
    /// of the profit a second time, out of the others'. Guard: no distribution in a block where the share supply
    /// changed. Without it, distributeProfits would succeed in carol's block, the expectRevert below would fail,
    /// and carol (half the shares at the snapshot) could claim half the distribution after having taken her half of
    /// the profit with her exit.
    function test_attack_ragequitAndDistributionDoNotPayTwice() public {
        _fundConsortium();
        _leaderTrade(cid, gpuPool, address(base), 12_000e18);
        _pumpAsset(gpuPool, 500_000e18);
        uint256 carolShares = coordinator.sharesOf(cid, carol);

        // carol leaves with half of everything, the unpaid profit included
        uint256 navBefore = _nav(cid);
        _ragequit(carol, cid, carolShares);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.SharesChangedThisBlock.selector, cid, block.number)
        );
        coordinator.distributeProfits(cid);

        _nextBlock();
        uint256 id = coordinator.distributeProfits(cid);
        IMultiAgentCoordinator.DistributionView memory d = coordinator.getDistribution(id);
        vm.prank(carol);
        vm.expectRevert(IMultiAgentCoordinator.NothingToClaim.selector);
        coordinator.claim(id);
        // the snapshot no longer counts carol: alice and bob share the whole distribution, 1 : 2
        assertEq(d.totalSharesAtSnapshot, coordinator.sharesOf(cid, alice) + coordinator.sharesOf(cid, bob));
        vm.prank(alice);
        uint256 a = coordinator.claim(id);
        vm.prank(bob);
        uint256 b = coordinator.claim(id);
        assertApproxEqAbs(a + b, d.amount, 2);
        assertApproxEqRel(b, 2 * a, 1e12);
        assertLt(d.amount, navBefore);
    }

    // ─── the leader ───────────────────────────────────────────────────────────────────────────

    /// @dev The leader colludes with a sandwicher: the spot is pushed 5 % against the consortium, the leader buys
    /// there, the sandwicher sells back. Guard: the minimum output is the contract's, from the oracle (1 % here);
    /// the leader passes none. Without it the trade would go through at ~5 % loss: 100 bps of the net asset value,
    /// within the period's 200, so no other check would stop it.
    function test_attack_leaderSandwichReverts() public {
        _fundConsortium();
        vm.prank(lp);
        amm.swapExactInputSingle(gpuPool, address(base), 250_000e18, 0, lp, block.timestamp);
        (uint256 oracleOut,) = oracle.consult(gpuPool, address(base), 12_000e18);
        uint256 quote = amm.getAmountOut(gpuPool, address(base), 12_000e18);
        assertLt(quote, oracleOut * 9_600 / 10_000);
        vm.prank(leader);
        vm.expectPartialRevert(IAIServiceAMM.SlippageExceeded.selector);
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 12_000e18);
    }

    /// @dev The leader bleeds the consortium in slices, each within the per-trade limit: before every trade (a tenth
    /// of the net asset value) a sandwicher pushes the spot until the trade loses ~0.8 % against the oracle (the
    /// limit is 1 %), ~8 bps of the net asset value each. Guard: the sum of losses per period (60 bps here).
    /// Without it all twelve trades would run (~1 % of the net asset value lost); with it the eighth or so reverts.
    function test_attack_leaderRepeatedLossesStopAtThePeriodBudget() public {
        IMultiAgentCoordinator.Mandate memory m = _mandate();
        m.maxLossPerPeriodBps = 60;
        uint256 id = coordinator.createConsortium(
            _members(), leader, address(base), _governance(), m, _pools(gpuPool, llmPool)
        );
        _contribute(alice, id, 60_000e18);
        uint256 trades;
        bool stopped;
        for (uint256 i; i < 12; ++i) {
            uint256 amountIn = _nav(id) / 10;
            _skewSpotAgainstBuyer(gpuPool, amountIn, 80);
            vm.prank(leader);
            try coordinator.leaderTrade(id, _path(gpuPool), address(base), amountIn) {
                ++trades;
            } catch (bytes memory reason) {
                assertEq(
                    bytes4(reason),
                    IMultiAgentCoordinator.LossLimitExceeded.selector,
                    "stopped by something else than the period budget"
                );
                stopped = true;
                break;
            }
            _advance(PERIOD);
        }
        assertTrue(stopped, "the period budget stopped the bleeding");
        assertGe(trades, 5);
        assertLe(coordinator.getConsortium(id).lossUsedBps, 60);
    }

    /// @dev Outside the mandate: a pool the members never allowed (say, one the leader seeded with a worthless
    /// token) and a trade above the size limit. Guards: the allowed-pool check and maxTradeBps.
    function test_attack_leaderTradeOutsideTheMandateReverts() public {
        _fundConsortium();
        MockERC20 junk = new MockERC20("Junk", "JUNK");
        uint256 junkPool = _listAsset(junk, POOL_BASE_RESERVE);
        vm.startPrank(leader);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.PoolNotAllowed.selector, cid, junkPool));
        coordinator.leaderTrade(cid, _path(junkPool), address(base), 1_000e18);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.TradeTooLarge.selector, 30_000e18, 12_000e18)
        );
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 30_000e18);
        vm.stopPrank();
        assertEq(_holding(cid, address(base)), 60_000e18);
    }

    // ─── proposals ────────────────────────────────────────────────────────────────────────────

    /// @dev The majority votes a trade that dumps half the consortium into llm at up to 10 % below the oracle; alice
    /// voted no and leaves during the grace period, with exactly what she held before the proposal. Guard: the
    /// grace period (execution only once it ended). Without it the proposal could run the moment voting ends and
    /// the expectRevert below would fail.
    function test_attack_dissenterExitsDuringGraceBeforeTheProposalRuns() public {
        _fundConsortium();
        uint256 aliceShares = coordinator.sharesOf(cid, alice);
        uint256 id = _propose(bob, cid, TRADE, _tradeData(llmPool, address(base), 30_000e18, 0));
        _vote(bob, id, true);
        _vote(carol, id, true);
        _vote(alice, id, false);
        _advance(VOTING_PERIOD);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiAgentCoordinator.ProposalNotReady.selector,
                id,
                IMultiAgentCoordinator.ProposalState.Grace
            )
        );
        coordinator.execute(id);

        uint256 expected = Math.mulDiv(60_000e18, aliceShares, _totalShares(cid) + VIRTUAL_SHARES);
        uint256 before = base.balanceOf(alice);
        _ragequit(alice, cid, aliceShares);
        assertEq(base.balanceOf(alice) - before, expected);

        _advance(GRACE_PERIOD);
        coordinator.execute(id);
        assertEq(_holding(cid, address(base)), 60_000e18 - expected - 30_000e18);
    }

    // ─── helpers ──────────────────────────────────────────────────────────────────────────────

    /// @dev What the victim (bob) holds, at the oracle, against what it paid: at most 1 bp less.
    function _assertVictimLossAtMostOneBp(uint256 id, uint256 paid) internal view {
        // the contract's own offset, so that the check stays right if it changes
        uint256 virtualShares = coordinator.VIRTUAL_SHARES();
        uint256 value = Math.mulDiv(coordinator.sharesOf(id, bob), _nav(id), _totalShares(id) + virtualShares);
        assertLe(value, paid, "rounding never favours the depositor");
        assertGe(value, paid - paid / 10_000, "victim lost more than 1 bp");
    }

    /// @dev A pool asset/base of the given reserves (seeded by lp), observed for a window.
    function _shallowPool(MockERC20 asset, uint256 assetReserve, uint256 baseReserve)
        internal
        returns (uint256 poolId)
    {
        poolId = amm.createPool(address(asset), address(base));
        _fund(lp, asset);
        (uint256 a0, uint256 a1) =
            address(asset) < address(base) ? (assetReserve, baseReserve) : (baseReserve, assetReserve);
        vm.prank(lp);
        amm.addLiquidity(poolId, a0, a1, 0, 0, lp, block.timestamp);
        recordedPools.push(poolId);
        _advance(WINDOW + PERIOD);
    }

    /// @dev lp moves the spot of `poolId` until buying its asset with `amountIn` base gets between `lossBps` and
    /// `lossBps` + 0.1 % less than the oracle says (fee and impact included), in steps of ~0.02 %.
    function _skewSpotAgainstBuyer(uint256 poolId, uint256 amountIn, uint256 lossBps) internal {
        (uint256 oracleOut,) = oracle.consult(poolId, address(base), amountIn);
        uint256 target = oracleOut * (10_000 - lossBps) / 10_000;
        uint256 lowest = oracleOut * (10_000 - lossBps - 10) / 10_000;
        IAIServiceAMM.PoolView memory p = amm.getPool(poolId);
        address asset = p.token0 == address(base) ? p.token1 : p.token0;
        vm.startPrank(lp);
        while (amm.getAmountOut(poolId, address(base), amountIn) > target) {
            amm.swapExactInputSingle(poolId, address(base), amountIn / 10, 0, lp, block.timestamp);
        }
        while (amm.getAmountOut(poolId, address(base), amountIn) < lowest) {
            uint256 assetIn = amm.getAmountOut(poolId, address(base), amountIn / 20);
            amm.swapExactInputSingle(poolId, asset, assetIn, 0, lp, block.timestamp);
        }
        vm.stopPrank();
    }
}
