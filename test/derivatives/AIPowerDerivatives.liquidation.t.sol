// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {BlackScholes} from "../../src/libraries/BlackScholes.sol";
import {DerivativesTestBase} from "./DerivativesTestBase.sol";
import {MockPriceSource} from "./MockPriceSource.sol";

/// @notice Margined vaults under water: the Dutch auction's discount, partial liquidation, its refusals.
contract AIPowerDerivativesLiquidationTest is DerivativesTestBase {
    uint256 internal vaultId;

    function setUp() public override {
        super.setUp();
        // alice writes 10 margined puts at exactly her requirement and sells them all to carol
        vaultId = _open(alice, putId, true, 10 * ONE);
        vm.prank(alice);
        dv.transfer(carol, putId, 10 * ONE);
    }

    function test_healthyVault_cannotBeLiquidated() public {
        (uint256 collateral, uint256 required, bool liquidatable) = dv.vaultHealth(vaultId);
        assertEq(collateral, required);
        assertFalse(liquidatable);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.VaultHealthy.selector, vaultId, collateral, required)
        );
        dv.liquidate(vaultId, ONE);
    }

    function test_liquidate_paysValueGrossedUpByStartDiscount() public {
        source.setIndexPrice(POOL, 1.8e18);
        (uint256 collateral, uint256 required, bool liquidatable) = dv.vaultHealth(vaultId);
        assertTrue(liquidatable);
        assertLt(collateral, required);
        uint256 before = usdc.balanceOf(carol);
        vm.prank(carol);
        uint256 paid = dv.liquidate(vaultId, 5 * ONE);
        // the Black–Scholes value at the index (above the 0.2 intrinsic: a month left), / (1 − 5 %)
        assertGt(_putValueUsdc(1.8e18), 0.2e6);
        assertApproxEqAbs(paid, 5 * _putValueUsdc(1.8e18) * 1e18 / 0.95e18, 5);
        assertEq(usdc.balanceOf(carol), before + paid);
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        assertEq(v.short, 5 * ONE);
        assertEq(v.collateral, collateral - paid);
        // half the short gone for a fraction of the collateral: back above water, the auction ends
        assertEq(v.auctionStart, 0);
        assertEq(dv.balanceOf(carol, putId), 5 * ONE);
        assertEq(dv.getSeries(putId).totalShort, 5 * ONE);
    }

    function test_auctionDiscount_growsWithTimeUnderWaterUpToCap() public {
        source.setIndexPrice(POOL, 1.8e18);
        assertEq(dv.liquidationDiscount(vaultId), 0);
        dv.startLiquidation(vaultId);
        assertEq(dv.liquidationDiscount(vaultId), 0.05e18);
        vm.warp(block.timestamp + 30 minutes);
        assertApproxEqAbs(dv.liquidationDiscount(vaultId), 0.15e18, 1e6);
        vm.warp(block.timestamp + 2 hours);
        assertEq(dv.liquidationDiscount(vaultId), 0.25e18);
        vm.prank(carol);
        uint256 paid = dv.liquidate(vaultId, ONE);
        assertApproxEqAbs(paid, _putValueUsdc(1.8e18) * 1e18 / 0.75e18, 2);
    }

    function test_liquidate_cappedAtCollateralShare() public {
        source.setIndexPrice(POOL, 0.5e18); // value 1.5 each against ~0.79 held per option
        uint256 collateral = dv.getVault(vaultId).collateral;
        vm.prank(carol);
        uint256 paid = dv.liquidate(vaultId, 10 * ONE);
        assertEq(paid, collateral);
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        assertEq(v.short, 0);
        assertEq(v.collateral, 0);
        assertEq(v.auctionStart, 0);
    }

    function test_depositAboveRequirement_clearsAuction() public {
        source.setIndexPrice(POOL, 1.8e18);
        dv.startLiquidation(vaultId);
        (, uint256 required,) = dv.vaultHealth(vaultId);
        uint256 collateral = dv.getVault(vaultId).collateral;
        vm.prank(alice);
        dv.deposit(vaultId, required - collateral);
        assertEq(dv.getVault(vaultId).auctionStart, 0);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.VaultHealthy.selector, vaultId, required, required)
        );
        dv.liquidate(vaultId, ONE);
    }

    function test_startLiquidation_clearsWhenPriceRecovers() public {
        source.setIndexPrice(POOL, 1.8e18);
        dv.startLiquidation(vaultId);
        source.setIndexPrice(POOL, 2e18);
        dv.startLiquidation(vaultId);
        assertEq(dv.getVault(vaultId).auctionStart, 0);
    }

    function test_liquidate_worksWhilePaused() public {
        source.setIndexPrice(POOL, 1.8e18);
        vm.prank(guardian);
        dv.pause();
        vm.prank(carol);
        dv.liquidate(vaultId, ONE);
    }

    function test_liquidate_reverts() public {
        source.setIndexPrice(POOL, 1.8e18);
        uint256 full = _open(alice, putId, false, ONE);
        vm.startPrank(carol);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.NotMargined.selector, full));
        dv.liquidate(full, ONE);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.liquidate(vaultId, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.InsufficientShort.selector, 10 * ONE, 11 * ONE)
        );
        dv.liquidate(vaultId, 11 * ONE);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.BelowMinPosition.selector, 1, ONE / 100));
        dv.liquidate(vaultId, 10 * ONE - 1);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownVault.selector, 99));
        dv.liquidate(99, ONE);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.NotMargined.selector, full));
        dv.startLiquidation(full);
        vm.warp(expiry);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.SeriesExpired.selector, putId, expiry));
        dv.liquidate(vaultId, ONE);
    }

    function test_liquidate_withoutHeldOptions_reverts() public {
        source.setIndexPrice(POOL, 1.8e18);
        vm.prank(bob);
        vm.expectRevert();
        dv.liquidate(vaultId, ONE);
    }

    function test_marginedCall_liquidatedOnRally() public {
        uint256 callVault = _open(alice, callId, true, 10 * ONE);
        vm.prank(alice);
        dv.transfer(carol, callId, 10 * ONE);
        source.setIndexPrice(POOL, 3e18);
        (,, bool liquidatable) = dv.vaultHealth(callVault);
        assertTrue(liquidatable);
        uint256 before = gpu.balanceOf(carol);
        vm.prank(carol);
        uint256 paid = dv.liquidate(callVault, ONE);
        // the call's Black–Scholes value in underlying (premium / spot, above the intrinsic (3 − 2.5) / 3), / 0.95
        uint256 valueGpu =
            BlackScholes.premium(3e18, CALL_STRIKE, expiry - block.timestamp, 0.8e18, 0, true) * 1e18 / 3e18;
        assertGt(valueGpu, uint256(1e18) / 6);
        // … capped at the vault's collateral per option (its margin, set at the old price, is less by now)
        uint256 collateralPerOption = dv.getVault(callVault).collateral + paid;
        collateralPerOption /= 10;
        assertLt(collateralPerOption, valueGpu * 1e18 / 0.95e18);
        assertApproxEqAbs(paid, collateralPerOption, 10);
        assertEq(gpu.balanceOf(carol), before + paid);
    }

    function test_liquidate_auctionGoesOnWhileUnderWater() public {
        source.setIndexPrice(POOL, 1.8e18);
        vm.prank(carol);
        dv.liquidate(vaultId, ONE / 10);
        assertEq(dv.getVault(vaultId).auctionStart, block.timestamp);
        vm.warp(block.timestamp + 10 minutes);
        vm.prank(carol);
        dv.liquidate(vaultId, ONE / 10);
        assertEq(dv.getVault(vaultId).auctionStart, block.timestamp - 10 minutes);
    }

    function test_liquidate_endsAuctionWhenVaultBackAboveWater() public {
        source.setIndexPrice(POOL, 1.9e18);
        vm.prank(carol);
        dv.liquidate(vaultId, 5 * ONE);
        (uint256 collateral, uint256 required, bool liquidatable) = dv.vaultHealth(vaultId);
        assertGe(collateral, required);
        assertFalse(liquidatable);
        assertEq(dv.getVault(vaultId).auctionStart, 0);
    }

    function test_depositAndBurn_stayOpenWhenIndexCannotPrice() public {
        source.setIndexPrice(POOL, 1.8e18);
        dv.startLiquidation(vaultId);
        uint256 start = dv.getVault(vaultId).auctionStart;
        source.setIndexPrice(POOL, 0); // the mock then reverts: the source fails closed
        vm.prank(alice);
        dv.deposit(vaultId, 1e6);
        vm.prank(carol);
        dv.transfer(alice, putId, ONE);
        vm.prank(alice);
        dv.burn(vaultId, ONE);
        assertEq(dv.getVault(vaultId).auctionStart, start);
        vm.prank(carol);
        vm.expectRevert();
        dv.liquidate(vaultId, ONE);
    }

    /// @dev One put's Black–Scholes value in usdc units (6 decimals) at `spot`, with the series' time and volatility.
    // ─── Missing inputs ───────────────────────────────────────────────────────────────────────

    /// @notice A stale volatility: the liquidation values the options at the source's ceiling (here 300 %), more than
    /// at any volatility it could serve, and no margined option is written until it is fresh again.
    function test_liquidate_staleVolatility_paysTheValueAtTheCeiling() public {
        source.setIndexPrice(POOL, 1.8e18);
        source.setVolatilityStale(POOL, true);
        source.setVolatilityCeiling(POOL, 3e18);
        uint256 atCeiling =
            BlackScholes.premium(1.8e18, PUT_STRIKE, expiry - block.timestamp, 3e18, 0, false) / 1e12;
        assertGt(atCeiling, _putValueUsdc(1.8e18));
        vm.prank(carol);
        uint256 paid = dv.liquidate(vaultId, ONE);
        uint256 cap = dv.getVault(vaultId).collateral / 9 + 1;
        assertApproxEqAbs(paid, Math.min(atCeiling * 1e18 / 0.95e18, cap), 2);
        assertGt(paid, _putValueUsdc(1.8e18) * 1e18 / 0.95e18, "more than at the fresh volatility");
    }

    function test_openAndMint_margined_revertWhileTheVolatilityIsStale() public {
        source.setVolatilityStale(POOL, true);
        uint256 collateral = dv.requirement(putId, ONE, true);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(MockPriceSource.VolatilityStale.selector, POOL));
        dv.openVault(putId, true, collateral, ONE);
        vm.stopPrank();
        vm.startPrank(alice);
        dv.deposit(vaultId, 100e6); // well above her requirement: only the volatility stops her
        vm.expectRevert(abi.encodeWithSelector(MockPriceSource.VolatilityStale.selector, POOL));
        dv.mint(vaultId, ONE, alice);
        vm.stopPrank();
        // collateral only, full vaults, deposits and burns stay open
        vm.startPrank(bob);
        dv.openVault(putId, true, collateral, 0);
        dv.openVault(putId, false, dv.requirement(putId, ONE, false), ONE);
        vm.stopPrank();
    }

    /// @notice The index is closed (a band trip): the liquidation reads the liquidation index, and vaultHealth says so.
    function test_liquidate_oracleClosed_readsTheLiquidationIndex() public {
        source.setIndexPrice(POOL, 0); // the index fails closed
        source.setLiquidationIndexPrice(POOL, 1.8e18);
        (,, bool liquidatable) = dv.vaultHealth(vaultId);
        assertTrue(liquidatable);
        vm.prank(carol);
        uint256 paid = dv.liquidate(vaultId, 5 * ONE);
        assertApproxEqAbs(paid, 5 * _putValueUsdc(1.8e18) * 1e18 / 0.95e18, 5);
    }

    function _putValueUsdc(uint256 spot) internal view returns (uint256) {
        return BlackScholes.premium(spot, PUT_STRIKE, expiry - block.timestamp, 0.8e18, 0, false) / 1e12;
    }
}
