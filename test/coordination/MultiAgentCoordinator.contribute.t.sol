// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice contribute, transferShares and the share views (sharesOf, sharesAt).
contract MultiAgentCoordinatorContributeTest is CoordinatorTestBase {
    // ─── contribute ───────────────────────────────────────────────────────────────────────────

    function test_contribute_firstMintsAtTheVirtualPriceAndEmits() public {
        uint256 before = base.balanceOf(alice);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.Contributed(cid, alice, 1_000e18, 1_000e18 * VIRTUAL_SHARES, 0);
        uint256 shares = _contribute(alice, cid, 1_000e18);
        assertEq(shares, 1_000e18 * VIRTUAL_SHARES);
        assertEq(before - base.balanceOf(alice), 1_000e18);
        assertEq(base.balanceOf(address(coordinator)), 1_000e18);
        assertEq(_holding(cid, address(base)), 1_000e18);
        assertEq(_totalShares(cid), shares);
        assertEq(coordinator.sharesOf(cid, alice), shares);
        assertEq(_nav(cid), 1_000e18);
    }

    function test_contribute_laterMintsAtTheNetAssetValueRoundedDown() public {
        _contribute(alice, cid, 1_000e18);
        _leaderTrade(cid, gpuPool, address(base), 150e18);
        _leaderTrade(cid, llmPool, address(base), 150e18);
        _nextSecond();
        uint256 supply = _totalShares(cid);
        uint256 nav = _nav(cid);
        // the trades' fees and price impact make the net asset value fall a little below 1 000
        assertLt(nav, 1_000e18);
        // the entry prices each asset at the higher of the oracle and the spot: the consortium's own buys left both
        // spots above the oracle
        uint256 entryNav = _boundedNav(cid, false);
        assertGt(entryNav, nav);
        uint256 amount = 333e18 + 7;
        uint256 expected = Math.mulDiv(amount, supply + VIRTUAL_SHARES, entryNav + 1);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.Contributed(cid, bob, amount, expected, entryNav);
        uint256 shares = _contribute(bob, cid, amount);
        assertEq(shares, expected);
        assertEq(_totalShares(cid), supply + shares);
        // the contribution's base lands in the base holding; the other holdings are untouched
        assertEq(_nav(cid), nav + amount);
    }

    function test_contribute_neverDilutesTheOthers() public {
        _contribute(alice, cid, 1_000e18 + 3);
        _leaderTrade(cid, gpuPool, address(base), 199e18);
        _nextSecond();
        uint256 priceBefore = _pricePerShare();
        _contribute(bob, cid, 77e18 + 11);
        _contribute(carol, cid, 1);
        assertGe(_pricePerShare(), priceBefore);
    }

    function test_contribute_sharesVoteFromTheNextBlock() public {
        uint256 shares = _contribute(alice, cid, 100e18);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.FutureLookup.selector, block.number, block.number)
        );
        coordinator.sharesAt(cid, alice, block.number);
        assertEq(coordinator.sharesAt(cid, alice, block.number - 1), 0);
        _nextBlock();
        assertEq(coordinator.sharesAt(cid, alice, block.number - 1), shares);
        assertEq(coordinator.sharesAt(cid, alice, block.number - 2), 0);
    }

    function test_contribute_revertsWhenNotMember() public {
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotMember.selector, cid, dave));
        coordinator.contribute(cid, 1e18);
        // the leader is not a member either
        vm.prank(leader);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotMember.selector, cid, leader));
        coordinator.contribute(cid, 1e18);
    }

    function test_contribute_revertsWhenUnknownConsortium() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 5));
        coordinator.contribute(5, 1e18);
    }

    function test_contribute_revertsWhenZeroAmount() public {
        vm.prank(alice);
        vm.expectRevert(IMultiAgentCoordinator.ZeroAmount.selector);
        coordinator.contribute(cid, 0);
    }

    function test_contribute_revertsWhenFeeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100);
        fot.mint(alice, 1e24);
        vm.prank(alice);
        fot.approve(address(coordinator), type(uint256).max);
        uint256 id = coordinator.createConsortium(
            _members(), leader, address(fot), _governance(), _mandate(), new uint256[](0)
        );
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiAgentCoordinator.TransferAmountMismatch.selector, address(fot), 1_000e18, 990e18
            )
        );
        coordinator.contribute(id, 1_000e18);
    }

    function test_contribute_revertsWhenWithoutAllowance() public {
        vm.prank(alice);
        base.approve(address(coordinator), 0);
        vm.prank(alice);
        vm.expectRevert();
        coordinator.contribute(cid, 1e18);
        assertEq(_totalShares(cid), 0);
    }

    function test_contribute_revertsWhenOracleCannotPriceAHolding() public {
        _contribute(alice, cid, 1_000e18);
        _leaderTrade(cid, gpuPool, address(base), 100e18);
        // nobody records for two windows: the oracle fails closed, and so does the share price
        vm.warp(block.timestamp + 2 * WINDOW);
        vm.roll(block.number + 1);
        vm.prank(bob);
        vm.expectPartialRevert(bytes4(keccak256("StaleObservation(uint256,uint256,uint256)")));
        coordinator.contribute(cid, 1e18);
    }

    /// @dev The share price follows the oracle: an asset whose time-weighted price rises ten million-fold makes one
    /// share worth more than a base unit, and a one-unit contribution would buy nothing: it reverts.
    function test_contribute_revertsWhenWorthLessThanAShare() public {
        MockERC20 moon = new MockERC20("Moon", "MOON");
        uint256 moonPool = _listAsset(moon, POOL_BASE_RESERVE);
        _advance(WINDOW + PERIOD);
        IMultiAgentCoordinator.Mandate memory wide = IMultiAgentCoordinator.Mandate({
            maxTradeBps: 10_000, maxLossPerTradeBps: 500, maxLossPerPeriodBps: 10_000, lossPeriod: 1 days
        });
        uint256 id = coordinator.createConsortium(
            _members(), leader, address(base), _governance(), wide, _path(moonPool)
        );
        _contribute(alice, id, 1e18);
        _leaderTrade(id, moonPool, address(base), 1e18);
        // the price of moon jumps (beyond the band: the oracle refuses it for a window, then prices it)
        vm.prank(lp);
        amm.swapExactInputSingle(moonPool, address(base), POOL_BASE_RESERVE * 5_000, 0, lp, block.timestamp);
        _advance(2 * WINDOW + PERIOD);
        uint256 supply = _totalShares(id);
        assertGt(_nav(id), supply, "one share is worth more than one base unit");

        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.ZeroShares.selector, 1));
        coordinator.contribute(id, 1);
        // an amount worth a share still buys one, rounded down
        uint256 amount = _nav(id) / supply + 2;
        uint256 shares = _contribute(bob, id, amount);
        assertGe(shares, 1);
    }

    // ─── transferShares ───────────────────────────────────────────────────────────────────────

    function test_transferShares_movesSharesAndCheckpoints() public {
        uint256 shares = _contribute(alice, cid, 100e18);
        _nextBlock();
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.SharesTransferred(cid, alice, dave, shares / 4);
        vm.prank(alice);
        coordinator.transferShares(cid, dave, shares / 4);
        assertEq(coordinator.sharesOf(cid, alice), shares - shares / 4);
        assertEq(coordinator.sharesOf(cid, dave), shares / 4);
        assertEq(_totalShares(cid), shares);
        // the previous block still shows the old split
        assertEq(coordinator.sharesAt(cid, alice, block.number - 1), shares);
        assertEq(coordinator.sharesAt(cid, dave, block.number - 1), 0);
        _nextBlock();
        assertEq(coordinator.sharesAt(cid, alice, block.number - 1), shares - shares / 4);
        assertEq(coordinator.sharesAt(cid, dave, block.number - 1), shares / 4);
    }

    function test_transferShares_toSelfChangesNothing() public {
        uint256 shares = _contribute(alice, cid, 100e18);
        vm.prank(alice);
        coordinator.transferShares(cid, alice, shares);
        assertEq(coordinator.sharesOf(cid, alice), shares);
    }

    function test_transferShares_revertsWhenInsufficient() public {
        uint256 shares = _contribute(alice, cid, 100e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.InsufficientShares.selector, shares, shares + 1)
        );
        coordinator.transferShares(cid, bob, shares + 1);
    }

    function test_transferShares_revertsOnBadArguments() public {
        _contribute(alice, cid, 100e18);
        vm.startPrank(alice);
        vm.expectRevert(IMultiAgentCoordinator.ZeroAddress.selector);
        coordinator.transferShares(cid, address(0), 1);
        vm.expectRevert(IMultiAgentCoordinator.ZeroAmount.selector);
        coordinator.transferShares(cid, bob, 0);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 9));
        coordinator.transferShares(9, bob, 1);
        vm.stopPrank();
    }

    // ─── helpers ──────────────────────────────────────────────────────────────────────────────

    function _pricePerShare() internal view returns (uint256) {
        return Math.mulDiv(_nav(cid) + 1, 1e18, _totalShares(cid) + VIRTUAL_SHARES);
    }
}
