// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice distributeProfits and claim: profit above the high-water mark, the leader's fee, pro-rata claims at the
/// snapshot, once per account.
contract MultiAgentCoordinatorDistributionTest is CoordinatorTestBase {
    uint256 internal constant HWM0 = 1e18 / VIRTUAL_SHARES;

    function setUp() public override {
        super.setUp();
        _fundConsortium(); // 10 000 / 20 000 / 30 000 base
    }

    function test_distributeProfits_revertsWithoutProfit() public {
        uint256 pps = _pricePerShare(cid);
        assertEq(pps, HWM0);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NoProfit.selector, pps, HWM0));
        coordinator.distributeProfits(cid);
        // a loss makes it worse, not better
        _leaderTrade(cid, gpuPool, address(base), 10_000e18);
        _nextBlock();
        pps = _pricePerShare(cid);
        assertLt(pps, HWM0);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NoProfit.selector, pps, HWM0));
        coordinator.distributeProfits(cid);
    }

    function test_distributeProfits_setsAsideProfitPaysFeeAndEmits() public {
        _makeProfit();
        uint256 supply = _totalShares(cid);
        uint256 nav = _nav(cid);
        uint256 pps = _pricePerShare(cid);
        uint256 profit = Math.mulDiv(pps - HWM0, supply, 1e18);
        uint256 fee = profit * FEE_BPS / 10_000;
        uint256 baseHeld = _holding(cid, address(base));
        uint256 newMark = Math.mulDiv(nav - profit + 1, 1e18, supply + VIRTUAL_SHARES);
        assertGt(profit, 500e18);

        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.ProfitsDistributed(
            cid, 1, profit - fee, fee, uint64(block.number - 1), supply, newMark
        );
        uint256 id = coordinator.distributeProfits(cid);
        assertEq(id, 1);
        assertEq(coordinator.distributionCount(), 1);
        assertEq(base.balanceOf(leader) - 1e30, fee);
        assertEq(_holding(cid, address(base)), baseHeld - profit);
        assertEq(_nav(cid), nav - profit);
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(cid);
        // the mark moves up to what is left per share, never below where it was
        assertEq(v.highWaterMark, newMark);
        assertGe(newMark, HWM0);
        IMultiAgentCoordinator.DistributionView memory d = coordinator.getDistribution(id);
        assertEq(d.consortiumId, cid);
        assertEq(d.token, address(base));
        assertEq(d.snapshotBlock, block.number - 1);
        assertEq(d.amount, profit - fee);
        assertEq(d.claimed, 0);
        assertEq(d.totalSharesAtSnapshot, supply);
        // nothing more to distribute now
        vm.expectPartialRevert(IMultiAgentCoordinator.NoProfit.selector);
        coordinator.distributeProfits(cid);
    }

    function test_distributeProfits_limitedToTheBaseHolding() public {
        IMultiAgentCoordinator.Mandate memory wide = _mandate();
        wide.maxTradeBps = 10_000;
        uint256 id = coordinator.createConsortium(
            _members(), leader, address(base), _governance(), wide, _pools(gpuPool, llmPool)
        );
        _contribute(alice, id, 10_000e18);
        _leaderTrade(id, gpuPool, address(base), 9_900e18);
        _pumpAsset(gpuPool, 500_000e18);
        uint256 baseHeld = _holding(id, address(base));
        assertEq(baseHeld, 100e18);
        uint256 profitAboveMark = Math.mulDiv(_pricePerShare(id) - HWM0, _totalShares(id), 1e18);
        assertGt(profitAboveMark, baseHeld);

        uint256 distId = coordinator.distributeProfits(id);
        assertEq(coordinator.getDistribution(distId).amount, baseHeld - baseHeld * FEE_BPS / 10_000);
        assertEq(_holding(id, address(base)), 0);
        // the unpaid gain became the mark: the next distribution needs a new gain, and base to pay it
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        assertEq(v.highWaterMark, _pricePerShare(id));
        assertGt(v.highWaterMark, HWM0);
        _nextBlock();
        vm.expectPartialRevert(IMultiAgentCoordinator.NoProfit.selector);
        coordinator.distributeProfits(id);
    }

    function test_distributeProfits_revertsWhenSupplyChangedThisBlock() public {
        _makeProfit();
        _contribute(alice, cid, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.SharesChangedThisBlock.selector, cid, block.number)
        );
        coordinator.distributeProfits(cid);
        _nextBlock();
        coordinator.distributeProfits(cid);
        // a share transfer does not change the supply
        _makeProfit();
        vm.prank(bob);
        coordinator.transferShares(cid, dave, 1e18);
        coordinator.distributeProfits(cid);
    }

    function test_distributeProfits_revertsWhenUnknownOrEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 8));
        coordinator.distributeProfits(8);
        uint256 empty = _create(_members(), new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NoProfit.selector, HWM0, HWM0));
        coordinator.distributeProfits(empty);
    }

    function test_distributeProfits_withoutFeeAndWithAllFee() public {
        IMultiAgentCoordinator.Governance memory g = _governance();
        g.performanceFeeBps = 0;
        uint256 noFee = coordinator.createConsortium(
            _members(), leader, address(base), g, _mandate(), _pools(gpuPool, llmPool)
        );
        g.performanceFeeBps = 10_000;
        uint256 allFee = coordinator.createConsortium(
            _members(), leader, address(base), g, _mandate(), _pools(gpuPool, llmPool)
        );
        uint256[2] memory ids = [noFee, allFee];
        for (uint256 i; i < 2; ++i) {
            _contribute(alice, ids[i], 10_000e18);
            _leaderTrade(ids[i], gpuPool, address(base), 2_000e18);
        }
        _pumpAsset(gpuPool, 500_000e18);
        uint256 leaderBefore = base.balanceOf(leader);
        uint256 d0 = coordinator.distributeProfits(noFee);
        assertEq(base.balanceOf(leader), leaderBefore);
        uint256 d1 = coordinator.distributeProfits(allFee);
        assertGt(base.balanceOf(leader), leaderBefore);
        assertGt(coordinator.getDistribution(d0).amount, 0);
        assertEq(coordinator.getDistribution(d1).amount, 0);
        vm.prank(alice);
        vm.expectRevert(IMultiAgentCoordinator.NothingToClaim.selector);
        coordinator.claim(d1);
    }

    // ─── claim ────────────────────────────────────────────────────────────────────────────────

    function test_claim_paysProRataAtTheSnapshotOnceAndEmits() public {
        uint256 id = _distribute();
        IMultiAgentCoordinator.DistributionView memory d = coordinator.getDistribution(id);
        address[3] memory holders = [alice, bob, carol];
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            address who = holders[i];
            uint256 expected = Math.mulDiv(d.amount, coordinator.sharesOf(cid, who), d.totalSharesAtSnapshot);
            assertEq(coordinator.claimable(id, who), expected);
            uint256 before = base.balanceOf(who);
            vm.expectEmit(address(coordinator));
            emit IMultiAgentCoordinator.Claimed(id, who, expected);
            vm.prank(who);
            assertEq(coordinator.claim(id), expected);
            assertEq(base.balanceOf(who) - before, expected);
            assertTrue(coordinator.hasClaimed(id, who));
            assertEq(coordinator.claimable(id, who), 0);
            total += expected;
        }
        assertEq(coordinator.getDistribution(id).claimed, total);
        assertLe(total, d.amount);
        assertGe(total + 3, d.amount);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.AlreadyClaimed.selector, id, alice));
        coordinator.claim(id);
    }

    function test_claim_followsTheSnapshotNotTheCurrentHolder() public {
        _makeProfit();
        uint256 bobShares = coordinator.sharesOf(cid, bob);
        uint256 id = coordinator.distributeProfits(cid);
        // bob hands his shares to dave after the snapshot: the claim stays bob's
        vm.prank(bob);
        coordinator.transferShares(cid, dave, bobShares);
        vm.prank(dave);
        vm.expectRevert(IMultiAgentCoordinator.NothingToClaim.selector);
        coordinator.claim(id);
        vm.prank(bob);
        assertGt(coordinator.claim(id), 0);
    }

    function test_claim_aLeaverWhoComesBackCannotClaimTwice() public {
        uint256 id = _distribute();
        vm.prank(alice);
        uint256 first = coordinator.claim(id);
        _ragequit(alice, cid, coordinator.sharesOf(cid, alice));
        _nextBlock();
        _contribute(alice, cid, 10_000e18);
        _nextBlock();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.AlreadyClaimed.selector, id, alice));
        coordinator.claim(id);
        assertGt(first, 0);
    }

    function test_claim_stillOpenAfterRagequitAndWhilePaused() public {
        uint256 id = _distribute();
        uint256 expected = coordinator.claimable(id, carol);
        // carol leaves: her exit does not include the set-aside profit
        uint256 baseHeld = _holding(cid, address(base));
        uint256[] memory amounts = _ragequit(carol, cid, coordinator.sharesOf(cid, carol));
        assertLe(amounts[0], baseHeld / 2);
        vm.prank(guardian);
        coordinator.pause();
        vm.prank(carol);
        assertEq(coordinator.claim(id), expected);
        // what the coordinator holds in base covers the rest of the books
        IMultiAgentCoordinator.DistributionView memory d = coordinator.getDistribution(id);
        assertGe(base.balanceOf(address(coordinator)), _holding(cid, address(base)) + d.amount - d.claimed);
    }

    function test_claim_revertsWhenUnknownOrNothing() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownDistribution.selector, 1));
        coordinator.claim(1);
        uint256 id = _distribute();
        vm.prank(dave);
        vm.expectRevert(IMultiAgentCoordinator.NothingToClaim.selector);
        coordinator.claim(id);
        assertFalse(coordinator.hasClaimed(id, dave));
    }

    // ─── helpers ──────────────────────────────────────────────────────────────────────────────

    /// @dev The leader buys 10 000 base of gpu; then gpu's time-weighted price rises ~10 %.
    function _makeProfit() internal {
        _leaderTrade(cid, gpuPool, address(base), 10_000e18);
        _pumpAsset(gpuPool, 500_000e18);
    }

    function _distribute() internal returns (uint256 id) {
        _makeProfit();
        id = coordinator.distributeProfits(cid);
    }

    function _pricePerShare(uint256 id) internal view returns (uint256) {
        return Math.mulDiv(_nav(id) + 1, 1e18, _totalShares(id) + VIRTUAL_SHARES);
    }
}
