// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {AIPowerDerivatives} from "../../src/derivatives/AIPowerDerivatives.sol";
import {BlackScholes} from "../../src/libraries/BlackScholes.sol";
import {MockPriceSource} from "./MockPriceSource.sol";
import {DerivativesTestBase} from "./DerivativesTestBase.sol";

/// @notice Series listing, vaults (open, deposit, mint, burn, withdraw), requirements and the guardian pause.
contract AIPowerDerivativesVaultsTest is DerivativesTestBase {
    // ─── Series ───────────────────────────────────────────────────────────────────────────────

    function test_createSeries_storesParamsAndCollateralByType() public view {
        IAIPowerDerivatives.Series memory put = dv.getSeries(putId);
        assertEq(put.collateral, address(usdc));
        assertEq(put.collateralDecimals, 6);
        assertEq(put.underlyingDecimals, 18);
        assertEq(put.strikeWad, PUT_STRIKE);
        assertEq(put.expiry, expiry);
        assertFalse(put.isCall);
        IAIPowerDerivatives.Series memory call = dv.getSeries(callId);
        assertEq(call.collateral, address(gpu));
        assertEq(call.collateralDecimals, 18);
        assertEq(call.quote, address(usdc));
        assertTrue(call.isCall);
        assertEq(dv.seriesCount(), 2);
    }

    function test_createSeries_revertsWhenNotAdmin() public {
        IAIPowerDerivatives.SeriesParams memory p = _params(3e18, expiry, false);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        dv.createSeries(p);
    }

    function test_createSeries_revertsWhenDuplicate() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesExists.selector, putId));
        dv.createSeries(_params(PUT_STRIKE, expiry, false));
    }

    function test_createSeries_revertsOnBadInput() public {
        IAIPowerDerivatives.SeriesParams memory p = _params(3e18, expiry, false);
        p.strikeWad = 0;
        vm.expectRevert(IAIPowerDerivatives.InvalidSeries.selector);
        dv.createSeries(p);
        p = _params(3e18, uint40(block.timestamp), false);
        vm.expectRevert(IAIPowerDerivatives.InvalidSeries.selector);
        dv.createSeries(p);
        p = _params(3e18, expiry, false);
        p.quote = address(gpu);
        vm.expectRevert(IAIPowerDerivatives.InvalidSeries.selector);
        dv.createSeries(p);
        p = _params(3e18, expiry, false);
        p.underlying = address(0);
        vm.expectRevert(IAIPowerDerivatives.ZeroAddress.selector);
        dv.createSeries(p);
    }

    function test_createSeries_failsClosedWhenIndexCannotPrice() public {
        IAIPowerDerivatives.SeriesParams memory p = _params(3e18, expiry, false);
        p.underlyingPoolId = 99;
        vm.expectRevert(abi.encodeWithSelector(MockPriceSource.CannotPrice.selector, 99));
        dv.createSeries(p);
    }

    // ─── Open, mint ───────────────────────────────────────────────────────────────────────────

    function test_openVault_fullPut_locksStrikePerOption() public {
        uint256 balanceBefore = usdc.balanceOf(alice);
        uint256 vaultId = _open(alice, putId, false, 10 * ONE);
        assertEq(usdc.balanceOf(alice), balanceBefore - 20e6);
        assertEq(dv.balanceOf(alice, putId), 10 * ONE);
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        assertEq(v.owner, alice);
        assertEq(v.collateral, 20e6);
        assertEq(v.short, 10 * ONE);
        assertFalse(v.margined);
        IAIPowerDerivatives.Series memory s = dv.getSeries(putId);
        assertEq(s.totalShort, 10 * ONE);
        assertEq(s.collateralLocked, 20e6);
    }

    function test_openVault_fullCall_locksOneUnderlyingPerOption() public {
        uint256 vaultId = _open(alice, callId, false, 3 * ONE);
        assertEq(dv.getVault(vaultId).collateral, 3 * ONE);
        assertEq(gpu.balanceOf(address(dv)), 3 * ONE);
    }

    function test_openVault_revertsBelowRequirement() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.BelowRequirement.selector, 2e6 - 1, 2e6));
        dv.openVault(putId, false, 2e6 - 1, ONE);
    }

    function test_openVault_revertsOnZeroUnknownExpired() public {
        vm.startPrank(alice);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.openVault(putId, false, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownSeries.selector, 5));
        dv.openVault(5, false, 1e6, 0);
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesExpired.selector, putId, expiry));
        dv.openVault(putId, false, 1e6, 0);
        vm.stopPrank();
    }

    function test_marginRequirement_followsTheStressFormula() public view {
        // put K = 2, S = 2: S↓ = 1.5, requirement = τ·1.5 + 0.5; call K = 2.5: S↑ = 2.5, K/S↑ = 1, requirement = τ
        uint256 tau =
            dv.TAU_FLOOR_WAD() + dv.TAU_SLOPE_WAD() * _sqrtWad(30 days * 1e18 / dv.TAU_HORIZON()) / 1e18;
        uint256 putReq = dv.requirement(putId, ONE, true);
        assertApproxEqAbs(putReq, (tau * 1.5e18 / 1e18 + 0.5e18) / 1e12, 2);
        assertApproxEqAbs(dv.requirement(callId, ONE, true), tau, 1e9);
        // never above the full requirement
        assertLe(putReq, dv.requirement(putId, ONE, false));
    }

    function test_marginRequirement_growsWithTimeToExpiry() public {
        uint256 early = dv.requirement(putId, ONE, true);
        vm.warp(expiry - 1 days);
        assertLt(dv.requirement(putId, ONE, true), early);
    }

    function test_openVault_margined_revertsBelowMinPosition() public {
        uint256 minAmount = dv.minMarginedAmount(putId);
        assertEq(minAmount, ONE / 100);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.BelowMinPosition.selector, minAmount - 1, minAmount)
        );
        dv.openVault(putId, true, 1e6, minAmount - 1);
    }

    function test_mint_addsToShortAndChecksRequirement() public {
        uint256 vaultId = _open(alice, putId, false, ONE);
        vm.prank(alice);
        dv.deposit(vaultId, 2e6);
        vm.prank(alice);
        dv.mint(vaultId, ONE, bob);
        assertEq(dv.balanceOf(bob, putId), ONE);
        assertEq(dv.getVault(vaultId).short, 2 * ONE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.BelowRequirement.selector, 4e6, 6e6));
        dv.mint(vaultId, ONE, bob);
    }

    function test_mint_revertsWhenNotOwnerOrZero() public {
        uint256 vaultId = _open(alice, putId, false, ONE);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.NotVaultOwner.selector, vaultId, bob));
        dv.mint(vaultId, ONE, bob);
        vm.startPrank(alice);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.mint(vaultId, 0, bob);
        vm.expectRevert(IAIPowerDerivatives.ZeroAddress.selector);
        dv.mint(vaultId, ONE, address(0));
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownVault.selector, 9));
        dv.mint(9, ONE, bob);
        vm.stopPrank();
    }

    // ─── Deposit, burn, withdraw ──────────────────────────────────────────────────────────────

    function test_deposit_byAnyone() public {
        uint256 vaultId = _open(alice, putId, false, ONE);
        vm.prank(bob);
        dv.deposit(vaultId, 5e6);
        assertEq(dv.getVault(vaultId).collateral, 7e6);
        assertEq(dv.getSeries(putId).collateralLocked, 7e6);
    }

    function test_deposit_revertsOnZeroAndAfterExpiry() public {
        uint256 vaultId = _open(alice, putId, false, ONE);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.deposit(vaultId, 0);
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesExpired.selector, putId, expiry));
        dv.deposit(vaultId, 1);
    }

    function test_burn_closesOutEarlyAndFreesCollateral() public {
        uint256 vaultId = _open(alice, putId, false, 2 * ONE);
        vm.startPrank(alice);
        dv.burn(vaultId, ONE);
        dv.withdraw(vaultId, 2e6, alice);
        vm.stopPrank();
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        assertEq(v.short, ONE);
        assertEq(v.collateral, 2e6);
        assertEq(dv.balanceOf(alice, putId), ONE);
        assertEq(dv.getSeries(putId).totalShort, ONE);
    }

    function test_burn_reverts() public {
        uint256 vaultId = _open(alice, putId, false, ONE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.InsufficientShort.selector, ONE, 2 * ONE));
        dv.burn(vaultId, 2 * ONE);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.NotVaultOwner.selector, vaultId, bob));
        dv.burn(vaultId, ONE);
        vm.prank(alice);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.burn(vaultId, 0);
    }

    function test_burn_margined_revertsWhenLeavingDust() public {
        uint256 vaultId = _open(alice, putId, true, ONE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.BelowMinPosition.selector, 1, ONE / 100));
        dv.burn(vaultId, ONE - 1);
    }

    function test_withdraw_revertsAboveFreeCollateral() public {
        uint256 vaultId = _open(alice, putId, false, ONE);
        vm.prank(alice);
        dv.deposit(vaultId, 1e6);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.BelowRequirement.selector, 2e6 - 1, 2e6));
        dv.withdraw(vaultId, 1e6 + 1, alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.InsufficientCollateral.selector, 3e6, 3e6 + 1)
        );
        dv.withdraw(vaultId, 3e6 + 1, alice);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.withdraw(vaultId, 0, alice);
        vm.expectRevert(IAIPowerDerivatives.ZeroAddress.selector);
        dv.withdraw(vaultId, 1, address(0));
        dv.withdraw(vaultId, 1e6, bob);
        vm.stopPrank();
        assertEq(usdc.balanceOf(bob), 1_000_000e6 + 1e6);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.NotVaultOwner.selector, vaultId, bob));
        dv.withdraw(vaultId, 1, bob);
    }

    function test_withdraw_afterExpiry_reverts() public {
        uint256 vaultId = _open(alice, putId, false, ONE);
        _expire();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesExpired.selector, putId, expiry));
        dv.withdraw(vaultId, 1, alice);
    }

    function test_openVault_refusesFeeOnTransferShortfall() public {
        // a token delivering less than asked: mocked by a balance that does not move
        uint256 vaultId = _open(alice, putId, false, ONE);
        vm.mockCall(
            address(usdc),
            abi.encodeWithSelector(usdc.transferFrom.selector, alice, address(dv), 1e6),
            abi.encode(true)
        );
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.TransferAmountMismatch.selector, address(usdc), 1e6, 0)
        );
        dv.deposit(vaultId, 1e6);
    }

    // ─── Pause ────────────────────────────────────────────────────────────────────────────────

    function test_pause_haltsNewPositionsOnly() public {
        uint256 vaultId = _open(alice, putId, false, 2 * ONE);
        vm.prank(guardian);
        dv.pause();
        vm.startPrank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        dv.openVault(putId, false, 2e6, ONE);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        dv.mint(vaultId, ONE, alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        dv.createOption(putId, ONE, 1e6, block.timestamp + 1 days);
        // deposits, burns and withdrawals stay open
        dv.deposit(vaultId, 1e6);
        dv.burn(vaultId, ONE);
        dv.withdraw(vaultId, 3e6, alice);
        vm.stopPrank();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        dv.createSeries(_params(3e18, expiry, false));
        vm.prank(guardian);
        dv.unpause();
        _open(alice, putId, false, ONE);
    }

    function test_pause_restrictedToGuardian() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        dv.pause();
    }

    function test_constructor_revertsOnZeroSource() public {
        vm.expectRevert(IAIPowerDerivatives.ZeroAddress.selector);
        new AIPowerDerivatives(address(manager), MockPriceSource(address(0)));
    }

    function test_createSeries_refusedWhenThePriceSourceCannotServeIt() public {
        source.setRefuseSeries(true);
        vm.expectRevert(abi.encodeWithSelector(MockPriceSource.SeriesRefused.selector, POOL));
        dv.createSeries(_params(PUT_STRIKE, expiry + 1 days, false));
    }

    // ─── Pricing ──────────────────────────────────────────────────────────────────────────────

    function test_calculatePremiumAndDelta_areBlackScholesAtTheIndexPriceAndGovernedVolatility() public {
        source.setIndexPrice(POOL, 1.5e18);
        uint256 t = expiry - block.timestamp;
        assertEq(dv.calculatePremium(putId), BlackScholes.premium(1.5e18, PUT_STRIKE, t, 0.8e18, 0, false));
        assertEq(dv.delta(putId), BlackScholes.delta(1.5e18, PUT_STRIKE, t, 0.8e18, 0, false));
        // worth more than its intrinsic value before expiry (time value), and a put's delta is negative
        assertGt(dv.calculatePremium(putId), 0.5e18);
        assertLt(dv.delta(putId), 0);
        source.setVolatility(POOL, 1.6e18);
        assertEq(dv.calculatePremium(callId), BlackScholes.premium(1.5e18, CALL_STRIKE, t, 1.6e18, 0, true));
        assertGt(dv.delta(callId), 0);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownSeries.selector, 9));
        dv.calculatePremium(9);
    }

    function test_calculatePremiumAndDelta_atExpiryAreIntrinsic() public {
        source.setIndexPrice(POOL, 1.5e18);
        vm.warp(expiry);
        assertEq(dv.calculatePremium(putId), 0.5e18);
        assertEq(dv.delta(putId), -1e18);
        assertEq(dv.calculatePremium(callId), 0);
        assertEq(dv.delta(callId), 0);
        source.setIndexPrice(POOL, 3e18);
        assertEq(dv.calculatePremium(callId), 0.5e18);
        assertEq(dv.delta(callId), 1e18);
    }

    function _sqrtWad(uint256 x) internal pure returns (uint256 y) {
        // √(x / 1e18) in wad
        uint256 z = x * 1e18;
        y = z;
        uint256 k = (z + 1) / 2;
        while (k < y) {
            y = k;
            k = (z / k + k) / 2;
        }
    }
}
