// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {RevertingToken} from "../mocks/RevertingToken.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice ragequit and withdrawStuck: the exact pro-rata share of every asset, whatever the tokens do.
contract MultiAgentCoordinatorRagequitTest is CoordinatorTestBase {
    RevertingToken internal rev;
    uint256 internal revPool;
    uint256 internal rid; // consortium holding base, gpu and rev

    function setUp() public override {
        super.setUp();
        _fundConsortium();
        _leaderTrade(cid, gpuPool, address(base), 10_000e18);
        _leaderTrade(cid, llmPool, address(base), 5_000e18);

        rev = new RevertingToken();
        revPool = _listAsset(MockERC20(address(rev)), POOL_BASE_RESERVE);
        _advance(WINDOW + PERIOD);
        rid = _create(_members(), _pools(gpuPool, revPool));
        _contribute(alice, rid, 10_000e18);
        _contribute(bob, rid, 30_000e18);
        _leaderTrade(rid, gpuPool, address(base), 5_000e18);
        _leaderTrade(rid, revPool, address(base), 5_000e18);
        _nextBlock();
    }

    function test_ragequit_paysExactlyProRataAndEmits() public {
        uint256 shares = coordinator.sharesOf(cid, bob);
        uint256 supply = _totalShares(cid);
        IMultiAgentCoordinator.ConsortiumView memory before = coordinator.getConsortium(cid);
        uint256[] memory expected = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            expected[i] = Math.mulDiv(before.holdings[i], shares, supply + VIRTUAL_SHARES);
        }
        uint256[3] memory balances = _balances(bob);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.Ragequit(cid, bob, shares, before.assets, expected);
        uint256[] memory amounts = _ragequit(bob, cid, shares);
        assertEq(amounts, expected);
        uint256[3] memory after_ = _balances(bob);
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(cid);
        for (uint256 i; i < 3; ++i) {
            assertEq(after_[i] - balances[i], expected[i]);
            assertEq(v.holdings[i], before.holdings[i] - expected[i]);
            assertGt(expected[i], 0);
        }
        assertEq(v.totalShares, supply - shares);
        assertEq(coordinator.sharesOf(cid, bob), 0);
        // the snapshot of this block still shows bob's shares; the next one not
        assertEq(coordinator.sharesAt(cid, bob, block.number - 1), shares);
        _nextBlock();
        assertEq(coordinator.sharesAt(cid, bob, block.number - 1), 0);
    }

    function test_ragequit_partialKeepsTheRestsValue() public {
        uint256 shares = coordinator.sharesOf(cid, carol);
        uint256 navBefore = _nav(cid);
        uint256 supply = _totalShares(cid);
        _ragequit(carol, cid, shares / 3);
        uint256 left = coordinator.sharesOf(cid, carol);
        assertEq(left, shares - shares / 3);
        // every rounding stays inside: the price of a share does not fall
        assertGe(
            Math.mulDiv(_nav(cid) + 1, 1e18, _totalShares(cid) + VIRTUAL_SHARES),
            Math.mulDiv(navBefore + 1, 1e18, supply + VIRTUAL_SHARES)
        );
    }

    function test_ragequit_everyoneOutLeavesOnlyTheVirtualSharesPart() public {
        _ragequit(alice, cid, coordinator.sharesOf(cid, alice));
        _ragequit(bob, cid, coordinator.sharesOf(cid, bob));
        _ragequit(carol, cid, coordinator.sharesOf(cid, carol));
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(cid);
        assertEq(v.totalShares, 0);
        // 10^6 virtual shares against ~6e28 real ones: under a wei per asset and leaver
        for (uint256 i; i < 3; ++i) {
            assertLe(v.holdings[i], 3);
        }
    }

    function test_ragequit_openWhilePausedAndWithoutAnOracle() public {
        vm.prank(guardian);
        coordinator.pause();
        // nobody records for days: no price, but none is needed
        vm.warp(block.timestamp + 3 days);
        vm.roll(block.number + 1);
        uint256 shares = coordinator.sharesOf(cid, alice);
        uint256[] memory amounts = _ragequit(alice, cid, shares);
        assertGt(amounts[1], 0);
        assertEq(coordinator.sharesOf(cid, alice), 0);
    }

    function test_ragequit_revertsWhenMoreThanHeld() public {
        uint256 shares = coordinator.sharesOf(cid, alice);
        uint256[3] memory balances = _balances(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.InsufficientShares.selector, shares, shares + 1)
        );
        coordinator.ragequit(cid, shares + 1);
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.InsufficientShares.selector, 0, 1));
        coordinator.ragequit(cid, 1);
        uint256[3] memory after_ = _balances(alice);
        for (uint256 i; i < 3; ++i) {
            assertEq(after_[i], balances[i]);
        }
        assertEq(coordinator.sharesOf(cid, alice), shares);
    }

    function test_ragequit_revertsOnBadArguments() public {
        vm.startPrank(alice);
        vm.expectRevert(IMultiAgentCoordinator.ZeroAmount.selector);
        coordinator.ragequit(cid, 0);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 42));
        coordinator.ragequit(42, 1);
        vm.stopPrank();
    }

    function test_ragequit_byAHolderWhoIsNotAMember() public {
        uint256 shares = coordinator.sharesOf(cid, alice);
        vm.prank(alice);
        coordinator.transferShares(cid, dave, shares);
        uint256 before = base.balanceOf(dave);
        uint256[] memory amounts = _ragequit(dave, cid, shares);
        assertEq(base.balanceOf(dave) - before, amounts[0]);
    }

    // ─── tokens that refuse ───────────────────────────────────────────────────────────────────

    function test_ragequit_skipsARevertingToken() public {
        _checkStuckAfterRagequit(RevertingToken.Mode.Revert);
    }

    function test_ragequit_skipsATokenReturningFalse() public {
        _checkStuckAfterRagequit(RevertingToken.Mode.ReturnFalse);
    }

    function test_ragequit_skipsATokenBurningTheGas() public {
        _checkStuckAfterRagequit(RevertingToken.Mode.BurnGas);
    }

    function test_ragequit_paysATokenReturningNothing() public {
        rev.setMode(RevertingToken.Mode.NoReturn);
        uint256 shares = coordinator.sharesOf(rid, alice);
        uint256 before = rev.balanceOf(alice);
        uint256[] memory amounts = _ragequit(alice, rid, shares);
        assertGt(amounts[2], 0);
        assertEq(rev.balanceOf(alice) - before, amounts[2]);
        assertEq(coordinator.stuckOf(alice, address(rev)), 0);
    }

    // ─── withdrawStuck ────────────────────────────────────────────────────────────────────────

    function test_withdrawStuck_paysOnceTheTokenWorksAndEmits() public {
        rev.setMode(RevertingToken.Mode.Revert);
        uint256[] memory amounts = _ragequit(alice, rid, coordinator.sharesOf(rid, alice));
        uint256 stuck = amounts[2];
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(RevertingToken.TransferBlocked.selector, address(coordinator), alice)
        );
        coordinator.withdrawStuck(address(rev));
        assertEq(coordinator.stuckOf(alice, address(rev)), stuck);

        rev.setMode(RevertingToken.Mode.Normal);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.StuckWithdrawn(alice, address(rev), stuck);
        vm.prank(alice);
        assertEq(coordinator.withdrawStuck(address(rev)), stuck);
        assertEq(rev.balanceOf(alice), stuck);
        assertEq(coordinator.stuckOf(alice, address(rev)), 0);
        vm.prank(alice);
        vm.expectRevert(IMultiAgentCoordinator.NothingToClaim.selector);
        coordinator.withdrawStuck(address(rev));
    }

    function test_withdrawStuck_revertsWhenNothingStuck() public {
        vm.prank(bob);
        vm.expectRevert(IMultiAgentCoordinator.NothingToClaim.selector);
        coordinator.withdrawStuck(address(base));
    }

    // ─── helpers ──────────────────────────────────────────────────────────────────────────────

    function _checkStuckAfterRagequit(RevertingToken.Mode mode) internal {
        rev.setMode(mode);
        uint256 shares = coordinator.sharesOf(rid, bob);
        uint256 supply = _totalShares(rid);
        IMultiAgentCoordinator.ConsortiumView memory before = coordinator.getConsortium(rid);
        uint256 revAmount = Math.mulDiv(before.holdings[2], shares, supply + VIRTUAL_SHARES);
        uint256 baseBefore = base.balanceOf(bob);
        uint256 gpuBefore = gpu.balanceOf(bob);

        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.ExitTransferFailed(rid, bob, address(rev), revAmount);
        uint256[] memory amounts = _ragequit(bob, rid, shares);
        assertEq(amounts[2], revAmount);
        // the other assets arrived, the refused one is booked to bob
        assertEq(base.balanceOf(bob) - baseBefore, amounts[0]);
        assertEq(gpu.balanceOf(bob) - gpuBefore, amounts[1]);
        assertGt(amounts[0], 0);
        assertGt(amounts[1], 0);
        assertEq(coordinator.stuckOf(bob, address(rev)), revAmount);
        assertEq(_holding(rid, address(rev)), before.holdings[2] - revAmount);
        assertEq(coordinator.sharesOf(rid, bob), 0);
        // still held by the coordinator: the holding left plus bob's credit
        assertEq(IERC20(address(rev)).balanceOf(address(coordinator)), before.holdings[2]);
    }

    function _balances(address who) internal view returns (uint256[3] memory b) {
        b = [base.balanceOf(who), gpu.balanceOf(who), llm.balanceOf(who)];
    }
}
