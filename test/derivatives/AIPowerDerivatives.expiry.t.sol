// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC6909} from "@openzeppelin/contracts/token/ERC6909/ERC6909.sol";

import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {MockPriceSource} from "./MockPriceSource.sol";
import {DerivativesTestBase} from "./DerivativesTestBase.sol";

/// @notice Settlement price, vault settlement, exercise (single and batched), bad debt.
contract AIPowerDerivativesExpiryTest is DerivativesTestBase {
    uint256 internal putVault;
    uint256 internal callVault;

    function setUp() public override {
        super.setUp();
        putVault = _open(alice, putId, false, 10 * ONE);
        callVault = _open(alice, callId, false, 10 * ONE);
        vm.startPrank(alice);
        dv.transfer(bob, putId, 4 * ONE);
        dv.transfer(bob, callId, 4 * ONE);
        vm.stopPrank();
    }

    function test_settleVault_put_movesOwedToPotAndReturnsRest() public {
        _settleAt(1.5e18);
        uint256 before = usdc.balanceOf(alice);
        vm.prank(carol); // anyone may settle; the rest goes to the owner
        (uint256 owed, uint256 returned) = dv.settleVault(putVault);
        assertEq(owed, 5e6);
        assertEq(returned, 15e6);
        assertEq(usdc.balanceOf(alice), before + 15e6);
        IAIPowerDerivatives.Series memory s = dv.getSeries(putId);
        assertEq(s.pot, 5e6);
        assertEq(s.settlementWad, 1.5e18);
        assertTrue(s.settled);
        assertEq(s.totalShort, 0);
        assertEq(s.collateralLocked, 0);
        assertEq(dv.getVault(putVault).owner, address(0));
    }

    function test_exercise_put_paysStrikeMinusSettlement() public {
        _settleAt(1.5e18);
        dv.settleVault(putVault);
        vm.prank(bob);
        uint256 payout = dv.exerciseOption(putId, 4 * ONE, bob);
        assertEq(payout, 2e6);
        vm.prank(alice);
        assertEq(dv.exerciseOption(putId, 6 * ONE, alice), 3e6);
        assertEq(dv.getSeries(putId).pot, 0);
        assertEq(usdc.balanceOf(address(dv)), 0);
    }

    function test_exercise_call_paysUnderlyingWorthSettlementMinusStrike() public {
        _settleAt(5e18);
        (uint256 owed,) = dv.settleVault(callVault);
        assertEq(owed, 5 * ONE); // 10 × (5 − 2.5) / 5
        vm.prank(bob);
        assertEq(dv.exerciseOption(callId, 4 * ONE, carol), 2 * ONE);
        assertEq(gpu.balanceOf(carol), 1_000_000e18 + 2 * ONE);
    }

    function test_exercise_outOfTheMoney_burnsForNothing() public {
        _settleAt(2e18); // put at the money, call below strike
        dv.settleVault(putVault);
        vm.prank(bob);
        assertEq(dv.exerciseOption(putId, 4 * ONE, bob), 0);
        assertEq(dv.balanceOf(bob, putId), 0);
        (uint256 owed, uint256 returned) = dv.settleVault(callVault);
        assertEq(owed, 0);
        assertEq(returned, 10 * ONE);
    }

    function test_exerciseFor_anyonePaysHoldersTheirPayoffOnce() public {
        _settleAt(1.5e18);
        dv.settleVault(putVault);
        address[] memory holders = new address[](4);
        (holders[0], holders[1], holders[2], holders[3]) = (bob, alice, bob, carol);
        uint256 bobBefore = usdc.balanceOf(bob);
        uint256 aliceBefore = usdc.balanceOf(alice);
        vm.prank(carol); // a keeper: neither holder
        uint256[] memory payouts = dv.exerciseFor(putId, holders);
        // bob's 4 and alice's 6 at 0.5 each, to themselves; bob listed twice and carol holding none get nothing
        assertEq(payouts[0], 2e6);
        assertEq(payouts[1], 3e6);
        assertEq(payouts[2], 0);
        assertEq(payouts[3], 0);
        assertEq(usdc.balanceOf(bob) - bobBefore, 2e6);
        assertEq(usdc.balanceOf(alice) - aliceBefore, 3e6);
        assertEq(dv.balanceOf(bob, putId), 0);
        assertEq(dv.getSeries(putId).pot, 0);
        // again: nothing left to pay
        payouts = dv.exerciseFor(putId, holders);
        assertEq(payouts[0] + payouts[1], 0);
    }

    function test_exerciseFor_leavesOffersEscrowToItsOffer() public {
        vm.prank(alice);
        uint256 offerId = dv.createOption(putId, 2 * ONE, 1e6, expiry);
        _settleAt(1.5e18);
        dv.settleVault(putVault);
        address[] memory holders = new address[](1);
        holders[0] = address(dv);
        assertEq(dv.exerciseFor(putId, holders)[0], 0);
        assertEq(dv.balanceOf(address(dv), putId), 2 * ONE);
        // the writer still gets its escrowed options back
        uint256 aliceBefore = dv.balanceOf(alice, putId);
        vm.prank(alice);
        dv.cancelOption(offerId);
        assertEq(dv.balanceOf(alice, putId), aliceBefore + 2 * ONE);
    }

    function test_exerciseFor_outOfTheMoneyLeavesBalances() public {
        _settleAt(2e18);
        address[] memory holders = new address[](1);
        holders[0] = bob;
        uint256[] memory payouts = dv.exerciseFor(callId, holders);
        assertEq(payouts[0], 0);
        assertEq(dv.balanceOf(bob, callId), 4 * ONE);
    }

    function test_exerciseFor_revertsBeforeExpiryAndWhileThePotCannotPay() public {
        address[] memory holders = new address[](1);
        holders[0] = bob;
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesNotExpired.selector, putId, expiry));
        dv.exerciseFor(putId, holders);
        _settleAt(1.5e18);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.InsufficientSettledCollateral.selector, putId, 0, 2e6)
        );
        dv.exerciseFor(putId, holders);
    }

    function test_exercise_revertsBeforeExpiry() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesNotExpired.selector, putId, expiry));
        dv.exerciseOption(putId, ONE, bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesNotExpired.selector, putId, expiry));
        dv.settleVault(putVault);
    }

    function test_exercise_revertsUntilVaultsSettled() public {
        _settleAt(1.5e18);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.InsufficientSettledCollateral.selector, putId, 0, 2e6)
        );
        dv.exerciseOption(putId, 4 * ONE, bob);
    }

    function test_exercise_revertsOnBadInput() public {
        _settleAt(1.5e18);
        vm.startPrank(bob);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.exerciseOption(putId, 0, bob);
        vm.expectRevert(IAIPowerDerivatives.ZeroAddress.selector);
        dv.exerciseOption(putId, ONE, address(0));
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownSeries.selector, 9));
        dv.exerciseOption(9, ONE, bob);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownVault.selector, 9));
        dv.settleVault(9);
    }

    function test_exercise_neverPaysTwice() public {
        _settleAt(1.5e18);
        dv.settleVault(putVault);
        vm.startPrank(bob);
        dv.exerciseOption(putId, 4 * ONE, bob);
        vm.expectRevert(
            abi.encodeWithSelector(ERC6909.ERC6909InsufficientBalance.selector, bob, 0, 4 * ONE, putId)
        );
        dv.exerciseOption(putId, 4 * ONE, bob);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownVault.selector, putVault));
        dv.settleVault(putVault);
    }

    function test_exerciseBatch_duplicateIdsBurnEachTime() public {
        _settleAt(1.5e18);
        dv.settleVault(putVault);
        uint256[] memory ids = new uint256[](3);
        uint256[] memory amounts = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (putId, putId, putId);
        (amounts[0], amounts[1], amounts[2]) = (ONE, ONE, 3 * ONE);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(ERC6909.ERC6909InsufficientBalance.selector, bob, 2 * ONE, 3 * ONE, putId)
        );
        dv.exerciseBatch(ids, amounts, bob);
        amounts[2] = 2 * ONE;
        vm.prank(bob);
        uint256[] memory payouts = dv.exerciseBatch(ids, amounts, bob);
        assertEq(payouts[0] + payouts[1] + payouts[2], 2e6);
        vm.prank(bob);
        vm.expectRevert(IAIPowerDerivatives.LengthMismatch.selector);
        dv.exerciseBatch(ids, new uint256[](1), bob);
    }

    function test_settlementPrice_isFixedOnceAndNeverChanges() public {
        _settleAt(1.5e18);
        dv.settleVault(putVault);
        source.setIndexPrice(POOL, 0.1e18);
        vm.expectRevert(abi.encodeWithSelector(MockPriceSource.AlreadyFinalized.selector, POOL, expiry));
        source.presetSettlement(POOL, expiry, 0.1e18);
        vm.prank(bob);
        assertEq(dv.exerciseOption(putId, 4 * ONE, bob), 2e6);
        assertEq(dv.getSeries(putId).settlementWad, 1.5e18);
    }

    function test_settleVault_margined_recordsBadDebt() public {
        uint256 margined = _open(carol, putId, true, 10 * ONE);
        uint256 collateral = dv.getVault(margined).collateral;
        _settleAt(0.1e18); // owes 19 usdc against ~7.9
        uint256 due = 19e6;
        vm.expectEmit(address(dv));
        emit IAIPowerDerivatives.BadDebtRecorded(putId, margined, due - collateral, due - collateral);
        (uint256 owed, uint256 returned) = dv.settleVault(margined);
        assertEq(owed, collateral);
        assertEq(returned, 0);
        assertEq(dv.getSeries(putId).badDebt, due - collateral);
    }

    function test_fullyCollateralizedPut_neverBadDebt_atTinySettlement() public {
        _settleAt(1); // the put pays (almost) its whole strike
        (uint256 owed, uint256 returned) = dv.settleVault(putVault);
        assertEq(owed, 20e6);
        assertEq(returned, 0);
        assertEq(dv.getSeries(putId).badDebt, 0);
    }

    function test_fullyCollateralizedCall_neverBadDebt_atHugeSettlement() public {
        _settleAt(type(uint128).max); // the call pays (almost) one underlying per option
        (uint256 owed,) = dv.settleVault(callVault);
        assertLe(owed, 10 * ONE);
        assertEq(dv.getSeries(callId).badDebt, 0);
    }
}
