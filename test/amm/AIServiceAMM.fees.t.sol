// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice The keeper's bounded setFee, governance's fee setters, and the protocol fee minted to the treasury.
contract AIServiceAMMFeesTest is AMMTestBase {
    uint256 internal poolId;

    function setUp() public override {
        super.setUp();
        poolId = _createPool(token0, token1);
    }

    // ─── setFee ───────────────────────────────────────────────────────────────────────────────

    function test_setFee_movesFeeAndEmits() public {
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.FeeUpdated(poolId, DEFAULT_FEE, DEFAULT_FEE + MAX_STEP, keeper);
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE + MAX_STEP);
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        assertEq(pool.fee, DEFAULT_FEE + MAX_STEP);
        assertEq(pool.lastFeeUpdate, block.timestamp);
    }

    function test_setFee_firstUpdateNeedsNoWait() public {
        // A fresh pool has never been updated, so the interval does not apply to the first move.
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE - MAX_STEP);
        assertEq(amm.getPool(poolId).fee, DEFAULT_FEE - MAX_STEP);
    }

    function test_setFee_allowedAgainExactlyAfterInterval() public {
        vm.prank(keeper);
        amm.setFee(poolId, 3_500);
        vm.warp(block.timestamp + MIN_INTERVAL);
        vm.prank(keeper);
        amm.setFee(poolId, 4_500);
        assertEq(amm.getPool(poolId).fee, 4_500);
    }

    function test_setFee_revertsWhenTooSoon() public {
        vm.prank(keeper);
        amm.setFee(poolId, 3_500);
        uint256 nextAllowedAt = block.timestamp + MIN_INTERVAL;
        vm.warp(nextAllowedAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.FeeUpdateTooSoon.selector, nextAllowedAt));
        vm.prank(keeper);
        amm.setFee(poolId, 3_600);
    }

    function test_setFee_revertsWhenMovedTwiceInOneBlockEvenWithZeroInterval() public {
        vm.prank(admin);
        amm.setFeeBounds(
            poolId,
            IAIServiceAMM.FeeBounds({minFee: MIN_FEE, maxFee: MAX_FEE, maxStep: MAX_STEP, minInterval: 0})
        );
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE + MAX_STEP);
        // A second full step in the same block would double the allowed move.
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.FeeUpdateTooSoon.selector, block.timestamp + 1));
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE + 2 * MAX_STEP);
        vm.warp(block.timestamp + 1);
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE + 2 * MAX_STEP);
        assertEq(amm.getPool(poolId).fee, DEFAULT_FEE + 2 * MAX_STEP);
    }

    function test_setFee_revertsWhenStepTooLarge() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIServiceAMM.FeeStepTooLarge.selector, DEFAULT_FEE, DEFAULT_FEE + MAX_STEP + 1, MAX_STEP
            )
        );
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE + MAX_STEP + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIServiceAMM.FeeStepTooLarge.selector, DEFAULT_FEE, DEFAULT_FEE - MAX_STEP - 1, MAX_STEP
            )
        );
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE - MAX_STEP - 1);
    }

    function test_setFee_revertsWhenAboveMaximum() public {
        amm.setFeeBounds(
            poolId,
            IAIServiceAMM.FeeBounds({minFee: MIN_FEE, maxFee: 3_200, maxStep: MAX_STEP, minInterval: 0})
        );
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.FeeOutOfBounds.selector, 3_201, MIN_FEE, 3_200));
        vm.prank(keeper);
        amm.setFee(poolId, 3_201);
    }

    function test_setFee_revertsWhenBelowMinimum() public {
        amm.setFeeBounds(
            poolId,
            IAIServiceAMM.FeeBounds({minFee: 2_900, maxFee: MAX_FEE, maxStep: MAX_STEP, minInterval: 0})
        );
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.FeeOutOfBounds.selector, 2_899, 2_900, MAX_FEE));
        vm.prank(keeper);
        amm.setFee(poolId, 2_899);
    }

    function test_setFee_revertsWhenCallerNotKeeper() public {
        address[3] memory callers = [alice, guardian, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            vm.prank(callers[i]);
            amm.setFee(poolId, 3_100);
        }
    }

    function test_setFee_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 8));
        vm.prank(keeper);
        amm.setFee(8, 3_100);
    }

    // ─── setFeeBounds ─────────────────────────────────────────────────────────────────────────

    function test_setFeeBounds_storesAndEmits() public {
        IAIServiceAMM.FeeBounds memory bounds =
            IAIServiceAMM.FeeBounds({minFee: 1_000, maxFee: 20_000, maxStep: 2_000, minInterval: 600});
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.FeeBoundsSet(poolId, bounds);
        amm.setFeeBounds(poolId, bounds);
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        assertEq(pool.feeBounds.minFee, 1_000);
        assertEq(pool.feeBounds.maxFee, 20_000);
        assertEq(pool.feeBounds.maxStep, 2_000);
        assertEq(pool.feeBounds.minInterval, 600);
        assertEq(pool.fee, DEFAULT_FEE, "fee inside the new bounds is kept");
    }

    function test_setFeeBounds_clampsFeeUp() public {
        IAIServiceAMM.FeeBounds memory bounds =
            IAIServiceAMM.FeeBounds({minFee: 5_000, maxFee: 8_000, maxStep: 1_000, minInterval: 600});
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.FeeBoundsSet(poolId, bounds);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.FeeUpdated(poolId, DEFAULT_FEE, 5_000, address(this));
        amm.setFeeBounds(poolId, bounds);
        assertEq(amm.getPool(poolId).fee, 5_000);
    }

    function test_setFeeBounds_clampsFeeDown() public {
        IAIServiceAMM.FeeBounds memory bounds =
            IAIServiceAMM.FeeBounds({minFee: 100, maxFee: 1_000, maxStep: 100, minInterval: 600});
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.FeeUpdated(poolId, DEFAULT_FEE, 1_000, address(this));
        amm.setFeeBounds(poolId, bounds);
        assertEq(amm.getPool(poolId).fee, 1_000);
    }

    function test_setFeeBounds_revertsWhenMinAboveMax() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InvalidFeeBounds.selector, 5_001, 5_000, 100));
        amm.setFeeBounds(
            poolId, IAIServiceAMM.FeeBounds({minFee: 5_001, maxFee: 5_000, maxStep: 100, minInterval: 0})
        );
    }

    function test_setFeeBounds_revertsWhenMaxAboveCap() public {
        uint24 cap = amm.MAX_FEE();
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InvalidFeeBounds.selector, 0, cap + 1, 100));
        amm.setFeeBounds(
            poolId, IAIServiceAMM.FeeBounds({minFee: 0, maxFee: cap + 1, maxStep: 100, minInterval: 0})
        );
    }

    function test_setFeeBounds_revertsWhenStepAboveMax() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InvalidFeeBounds.selector, 0, 5_000, 5_001));
        amm.setFeeBounds(
            poolId, IAIServiceAMM.FeeBounds({minFee: 0, maxFee: 5_000, maxStep: 5_001, minInterval: 0})
        );
    }

    function test_setFeeBounds_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 4));
        amm.setFeeBounds(4, defaultBounds());
    }

    function test_setFeeBounds_revertsWhenCallerNotAdmin() public {
        address[3] memory callers = [alice, guardian, keeper];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            vm.prank(callers[i]);
            amm.setFeeBounds(poolId, defaultBounds());
        }
    }

    // ─── setDefaultFee ────────────────────────────────────────────────────────────────────────

    function test_setDefaultFee_appliesToNewPoolsOnly() public {
        IAIServiceAMM.FeeBounds memory bounds =
            IAIServiceAMM.FeeBounds({minFee: 100, maxFee: 1_000, maxStep: 100, minInterval: 60});
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.DefaultFeeSet(500, bounds);
        amm.setDefaultFee(500, bounds);
        assertEq(amm.getPool(poolId).fee, DEFAULT_FEE);
        uint256 next = _createPool(token1, token2);
        assertEq(amm.getPool(next).fee, 500);
        assertEq(amm.getPool(next).feeBounds.maxFee, 1_000);
    }

    function test_setDefaultFee_revertsWhenFeeOutsideBounds() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.FeeOutOfBounds.selector, 99, 100, 1_000));
        amm.setDefaultFee(
            99, IAIServiceAMM.FeeBounds({minFee: 100, maxFee: 1_000, maxStep: 100, minInterval: 60})
        );
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.FeeOutOfBounds.selector, 1_001, 100, 1_000));
        amm.setDefaultFee(
            1_001, IAIServiceAMM.FeeBounds({minFee: 100, maxFee: 1_000, maxStep: 100, minInterval: 60})
        );
    }

    function test_setDefaultFee_revertsWhenBoundsInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InvalidFeeBounds.selector, 100, 200_000, 100));
        amm.setDefaultFee(
            150, IAIServiceAMM.FeeBounds({minFee: 100, maxFee: 200_000, maxStep: 100, minInterval: 60})
        );
    }

    function test_setDefaultFee_revertsWhenCallerNotAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, keeper));
        vm.prank(keeper);
        amm.setDefaultFee(DEFAULT_FEE, defaultBounds());
    }

    // ─── setTreasury / setProtocolFeeShare ────────────────────────────────────────────────────

    function test_setTreasury_storesAndEmits() public {
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.TreasurySet(carol);
        amm.setTreasury(carol);
        assertEq(amm.treasury(), carol);
    }

    function test_setTreasury_revertsWhenZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        amm.setTreasury(address(0));
    }

    function test_setTreasury_revertsWhenCallerNotAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        vm.prank(alice);
        amm.setTreasury(alice);
    }

    function test_setProtocolFeeShare_storesAndEmits() public {
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.ProtocolFeeShareSet(5_000);
        amm.setProtocolFeeShare(5_000);
        assertEq(amm.protocolFeeShareBps(), 5_000);
    }

    function test_setProtocolFeeShare_revertsWhenAboveMaximum() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.ProtocolFeeShareTooHigh.selector, 5_001, 5_000));
        amm.setProtocolFeeShare(5_001);
    }

    function test_setProtocolFeeShare_revertsWhenCallerNotAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, guardian));
        vm.prank(guardian);
        amm.setProtocolFeeShare(1_000);
    }

    // ─── Protocol fee ─────────────────────────────────────────────────────────────────────────

    function test_protocolFee_mintsExpectedShareToTreasury() public {
        _enableProtocolFee();
        _add(alice, poolId, 1_000e18, 1_000e18);
        assertEq(amm.getPool(poolId).kLast, 1_000e18 * 1_000e18);
        _trade();

        (uint256 r0, uint256 r1) = _reserves(poolId);
        uint256 total = amm.getPool(poolId).totalLiquidity;
        uint256 rootK = Math.sqrt(r0 * r1);
        uint256 rootKLast = 1_000e18;
        uint256 expected = (total * (rootK - rootKLast) * PROTOCOL_SHARE_BPS)
            / (rootK * (10_000 - PROTOCOL_SHARE_BPS) + rootKLast * PROTOCOL_SHARE_BPS);
        // The same figures worked out independently (Python, exact integers) for this exact trade sequence.
        assertEq(r0, 1_002_853_844_468_893_032_460);
        assertEq(r1, 1_000e18);
        assertEq(expected, 237_273_913_729_892_071);

        vm.expectEmit(address(amm));
        emit IAIServiceAMM.ProtocolFeeMinted(poolId, treasury, expected);
        _remove(alice, poolId, 1e18); // any liquidity change settles the fee

        assertEq(amm.balanceOf(treasury, poolId), expected);
        // The treasury now owns φ of the growth of √k: s / (T + s) = φ (√k − √kLast) / √k, up to rounding.
        uint256 ownedWad = (expected * 1e18) / (total + expected);
        uint256 targetWad = (uint256(PROTOCOL_SHARE_BPS) * 1e14 * (rootK - rootKLast)) / rootK;
        assertApproxEqAbs(ownedWad, targetWad, 2);
        // kLast follows the new reserves.
        (r0, r1) = _reserves(poolId);
        assertEq(amm.getPool(poolId).kLast, r0 * r1);
    }

    function test_protocolFee_isRedeemableByTreasury() public {
        _enableProtocolFee();
        _add(alice, poolId, 1_000e18, 1_000e18);
        _trade();
        _add(bob, poolId, 1e18, 1e18);
        uint256 shares = amm.balanceOf(treasury, poolId);
        assertGt(shares, 0);
        (uint256 amount0, uint256 amount1) = _remove(treasury, poolId, shares);
        assertGt(amount0, 0);
        assertGt(amount1, 0);
        assertEq(token0.balanceOf(treasury), amount0);
    }

    function test_protocolFee_nothingMintedWithoutTrading() public {
        _enableProtocolFee();
        _add(alice, poolId, 1_000e18, 1_000e18);
        _add(bob, poolId, 10e18, 10e18);
        _remove(bob, poolId, 5e18);
        assertEq(amm.balanceOf(treasury, poolId), 0);
    }

    function test_protocolFee_offMintsNothingAndClearsKLast() public {
        _enableProtocolFee();
        _add(alice, poolId, 1_000e18, 1_000e18);
        _trade();
        amm.setProtocolFeeShare(0);
        _add(bob, poolId, 1e18, 1e18);
        assertEq(amm.balanceOf(treasury, poolId), 0);
        assertEq(amm.getPool(poolId).kLast, 0);
    }

    function test_protocolFee_switchedOnLaterChargesOnlyLaterGrowth() public {
        _add(alice, poolId, 1_000e18, 1_000e18);
        _trade(); // before the fee: the growth belongs to LPs alone
        _enableProtocolFee();
        _add(bob, poolId, 1e18, 1e18); // first change with the fee on: records kLast, mints nothing
        assertEq(amm.balanceOf(treasury, poolId), 0);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(amm.getPool(poolId).kLast, r0 * r1);
        _trade();
        _add(bob, poolId, 1e18, 1e18);
        assertGt(amm.balanceOf(treasury, poolId), 0);
    }

    function test_protocolFee_goesToCurrentTreasury() public {
        _enableProtocolFee();
        _add(alice, poolId, 1_000e18, 1_000e18);
        _trade();
        amm.setTreasury(carol);
        _add(bob, poolId, 1e18, 1e18);
        assertEq(amm.balanceOf(treasury, poolId), 0);
        assertGt(amm.balanceOf(carol, poolId), 0);
    }

    /// @dev Ten round trips of 50 token0 at 0.30 %.
    function _trade() internal {
        for (uint256 i; i < 10; ++i) {
            uint256 out = _swapIn(bob, poolId, address(token0), 50e18);
            _swapIn(bob, poolId, address(token1), out);
        }
    }
}
