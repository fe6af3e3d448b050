// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC6909} from "@openzeppelin/contracts/interfaces/IERC6909.sol";
import {ERC6909} from "@openzeppelin/contracts/token/ERC6909/ERC6909.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice addLiquidity and removeLiquidity.
contract AIServiceAMMLiquidityTest is AMMTestBase {
    uint256 internal poolId;

    function setUp() public override {
        super.setUp();
        poolId = _createPool(token0, token1);
    }

    // ─── addLiquidity ─────────────────────────────────────────────────────────────────────────

    function test_addLiquidity_firstDepositMintsRootLessMinimum() public {
        vm.prank(alice);
        (uint256 amount0, uint256 amount1, uint256 liquidity) =
            amm.addLiquidity(poolId, 4e18, 1e18, 4e18, 1e18, bob, deadline);

        assertEq(amount0, 4e18);
        assertEq(amount1, 1e18);
        assertEq(liquidity, 2e18 - MINIMUM_LIQUIDITY);
        assertEq(amm.balanceOf(bob, poolId), 2e18 - MINIMUM_LIQUIDITY);
        assertEq(amm.balanceOf(alice, poolId), 0);
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        assertEq(pool.totalLiquidity, 2e18, "locked shares are counted");
        assertEq(pool.reserve0, 4e18);
        assertEq(pool.reserve1, 1e18);
        assertEq(pool.blockTimestampLast, uint32(block.timestamp));
        assertEq(token0.balanceOf(address(amm)), 4e18);
        assertEq(token1.balanceOf(address(amm)), 1e18);
        assertEq(token0.balanceOf(alice), 1e30 - 4e18);
    }

    function test_addLiquidity_emitsLiquidityAddedAndTransfer() public {
        vm.expectEmit(address(amm));
        emit IERC6909.Transfer(alice, address(0), bob, poolId, 2e18 - MINIMUM_LIQUIDITY);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.LiquidityAdded(
            poolId, alice, bob, 4e18, 1e18, 2e18 - MINIMUM_LIQUIDITY, 4e18, 1e18
        );
        vm.prank(alice);
        amm.addLiquidity(poolId, 4e18, 1e18, 0, 0, bob, deadline);
    }

    function test_addLiquidity_laterDepositTakesAllOfToken0WhenToken1IsInExcess() public {
        _add(alice, poolId, 4e18, 1e18);
        vm.prank(bob);
        (uint256 amount0, uint256 amount1, uint256 liquidity) =
            amm.addLiquidity(poolId, 2e18, 5e18, 0, 0, bob, deadline);
        assertEq(amount0, 2e18);
        assertEq(amount1, 0.5e18);
        assertEq(liquidity, 1e18);
        assertEq(amm.getPool(poolId).totalLiquidity, 3e18);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(r0, 6e18);
        assertEq(r1, 1.5e18);
    }

    function test_addLiquidity_laterDepositTakesAllOfToken1WhenToken0IsInExcess() public {
        _add(alice, poolId, 4e18, 1e18);
        vm.prank(bob);
        (uint256 amount0, uint256 amount1, uint256 liquidity) =
            amm.addLiquidity(poolId, 100e18, 0.25e18, 0, 0, bob, deadline);
        assertEq(amount0, 1e18);
        assertEq(amount1, 0.25e18);
        assertEq(liquidity, 0.5e18);
    }

    function test_addLiquidity_acceptsDeadlineEqualToNow() public {
        vm.prank(alice);
        amm.addLiquidity(poolId, 1e18, 1e18, 0, 0, alice, block.timestamp);
    }

    function test_addLiquidity_revertsWhenDeadlineExpired() public {
        uint256 expired = block.timestamp - 1;
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.DeadlineExpired.selector, expired, block.timestamp)
        );
        vm.prank(alice);
        amm.addLiquidity(poolId, 1e18, 1e18, 0, 0, alice, expired);
    }

    function test_addLiquidity_revertsWhenRecipientIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        vm.prank(alice);
        amm.addLiquidity(poolId, 1e18, 1e18, 0, 0, address(0), deadline);
    }

    function test_addLiquidity_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 9));
        vm.prank(alice);
        amm.addLiquidity(9, 1e18, 1e18, 0, 0, alice, deadline);
    }

    function test_addLiquidity_revertsWhenFirstDepositHasZeroAmount() public {
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(alice);
        amm.addLiquidity(poolId, 0, 1e18, 0, 0, alice, deadline);
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(alice);
        amm.addLiquidity(poolId, 1e18, 0, 0, 0, alice, deadline);
    }

    function test_addLiquidity_revertsWhenMatchingAmountRoundsToZero() public {
        _add(alice, poolId, 1e18, 1e6);
        // 1e11 of token0 is worth 0.1 unit of token1: rounds to nothing.
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(bob);
        amm.addLiquidity(poolId, 1e11, 1e11, 0, 0, bob, deadline);
    }

    function test_addLiquidity_revertsWhenAmount0BelowMinimum() public {
        _add(alice, poolId, 4e18, 1e18);
        // token0 is in excess: only 1e18 of it is taken, below the 1.5e18 asked for.
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, 1e18, 1.5e18));
        vm.prank(bob);
        amm.addLiquidity(poolId, 2e18, 0.25e18, 1.5e18, 0, bob, deadline);
    }

    function test_addLiquidity_revertsWhenAmount1BelowMinimum() public {
        _add(alice, poolId, 4e18, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, 0.5e18, 0.6e18));
        vm.prank(bob);
        amm.addLiquidity(poolId, 2e18, 1e18, 0, 0.6e18, bob, deadline);
    }

    function test_addLiquidity_revertsWhenFirstDepositAtMostMinimumLiquidity() public {
        vm.expectRevert(IAIServiceAMM.InsufficientLiquidityMinted.selector);
        vm.prank(alice);
        amm.addLiquidity(poolId, 1_000, 1_000, 0, 0, alice, deadline);
        // One share above the locked amount is enough.
        vm.prank(alice);
        (,, uint256 liquidity) = amm.addLiquidity(poolId, 1_001, 1_001, 0, 0, alice, deadline);
        assertEq(liquidity, 1);
    }

    /// @dev Once fees have grown reserves past the share count, one unit of each token is worth less than a share.
    function test_addLiquidity_revertsWhenSharesRoundToZero() public {
        _add(alice, poolId, 10_000, 10_000);
        _growPoolWithFees();
        (uint256 r0, uint256 r1) = _reserves(poolId);
        uint256 total = amm.getPool(poolId).totalLiquidity;
        assertGt(r0, total);
        assertGe(r1, r0);
        vm.expectRevert(IAIServiceAMM.InsufficientLiquidityMinted.selector);
        vm.prank(bob);
        amm.addLiquidity(poolId, 1, r1 / r0, 0, 0, bob, deadline);
    }

    function test_addLiquidity_revertsWhenReservesWouldOverflow() public {
        token0.mint(alice, type(uint112).max);
        token1.mint(alice, type(uint112).max);
        _add(alice, poolId, type(uint112).max - 1e18, type(uint112).max - 1e18);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.ReserveOverflow.selector, poolId));
        vm.prank(alice);
        amm.addLiquidity(poolId, 2e18, 2e18, 0, 0, alice, deadline);
    }

    function test_addLiquidity_revertsWhenPaused() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(alice);
        amm.addLiquidity(poolId, 1e18, 1e18, 0, 0, alice, deadline);
    }

    function test_addLiquidity_revertsWhenAllowanceMissing() public {
        vm.prank(alice);
        token1.approve(address(amm), 0);
        vm.expectRevert(); // SafeERC20 bubbles the token's ERC20InsufficientAllowance
        vm.prank(alice);
        amm.addLiquidity(poolId, 1e18, 1e18, 0, 0, alice, deadline);
    }

    // ─── removeLiquidity ──────────────────────────────────────────────────────────────────────

    function test_removeLiquidity_paysProRataShare() public {
        assertEq(_add(alice, poolId, 4e18, 1e18), 2e18 - MINIMUM_LIQUIDITY); // total 2e18
        uint256 bobShares = _add(bob, poolId, 2e18, 0.5e18); // 1e18 shares
        assertEq(bobShares, 1e18);

        uint256 before0 = token0.balanceOf(carol);
        uint256 before1 = token1.balanceOf(carol);
        vm.prank(bob);
        (uint256 amount0, uint256 amount1) = amm.removeLiquidity(poolId, 0.5e18, 0, 0, carol, deadline);
        assertEq(amount0, 1e18);
        assertEq(amount1, 0.25e18);
        assertEq(token0.balanceOf(carol) - before0, 1e18);
        assertEq(token1.balanceOf(carol) - before1, 0.25e18);
        assertEq(amm.balanceOf(bob, poolId), 0.5e18);
        assertEq(amm.getPool(poolId).totalLiquidity, 2.5e18);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(r0, 5e18);
        assertEq(r1, 1.25e18);
    }

    function test_removeLiquidity_emitsLiquidityRemoved() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        uint256 amount0 = (shares * 4e18) / 2e18;
        uint256 amount1 = (shares * 1e18) / 2e18;
        vm.expectEmit(address(amm));
        emit IERC6909.Transfer(alice, alice, address(0), poolId, shares);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.LiquidityRemoved(
            poolId, alice, bob, amount0, amount1, shares, uint112(4e18 - amount0), uint112(1e18 - amount1)
        );
        vm.prank(alice);
        amm.removeLiquidity(poolId, shares, 0, 0, bob, deadline);
    }

    function test_removeLiquidity_leavesLockedMinimumBehind() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        (uint256 amount0, uint256 amount1) = _remove(alice, poolId, shares);
        assertEq(amount0, 4e18 - 2_000);
        assertEq(amount1, 1e18 - 500);
        assertEq(amm.getPool(poolId).totalLiquidity, MINIMUM_LIQUIDITY);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(r0, 2_000);
        assertEq(r1, 500);
        // The pool keeps working at the same price.
        (uint256 in0, uint256 in1, uint256 liquidity) = _addFull(bob, 4e18, 1e18);
        assertEq(in0, 4e18);
        assertEq(in1, 1e18);
        assertEq(liquidity, 2e18);
    }

    function test_removeLiquidity_worksWhilePaused() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        vm.prank(guardian);
        amm.pause();
        (uint256 amount0, uint256 amount1) = _remove(alice, poolId, shares);
        assertEq(amount0, 4e18 - 2_000);
        assertEq(amount1, 1e18 - 500);
        assertEq(amm.balanceOf(alice, poolId), 0);
    }

    function test_removeLiquidity_revertsWhenDeadlineExpired() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.DeadlineExpired.selector, deadline, deadline + 1)
        );
        vm.prank(alice);
        amm.removeLiquidity(poolId, shares, 0, 0, alice, deadline);
    }

    function test_removeLiquidity_revertsWhenRecipientIsZero() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        vm.prank(alice);
        amm.removeLiquidity(poolId, shares, 0, 0, address(0), deadline);
    }

    function test_removeLiquidity_revertsWhenLiquidityIsZero() public {
        _add(alice, poolId, 4e18, 1e18);
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(alice);
        amm.removeLiquidity(poolId, 0, 0, 0, alice, deadline);
    }

    function test_removeLiquidity_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 3));
        vm.prank(alice);
        amm.removeLiquidity(3, 1, 0, 0, alice, deadline);
    }

    function test_removeLiquidity_revertsWhenAmount0BelowMinimum() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        uint256 amount0 = (shares * 4e18) / 2e18;
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, amount0, 4e18));
        vm.prank(alice);
        amm.removeLiquidity(poolId, shares, 4e18, 0, alice, deadline);
    }

    function test_removeLiquidity_revertsWhenAmount1BelowMinimum() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        uint256 amount1 = (shares * 1e18) / 2e18;
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, amount1, 1e18));
        vm.prank(alice);
        amm.removeLiquidity(poolId, shares, 0, 1e18, alice, deadline);
    }

    function test_removeLiquidity_revertsWhenAmountsRoundToZero() public {
        // 1e6 of token0 against 1e18 shares: one share is worth no token0.
        _add(alice, poolId, 1e6, 1e30);
        vm.expectRevert(IAIServiceAMM.InsufficientLiquidityBurned.selector);
        vm.prank(alice);
        amm.removeLiquidity(poolId, 1, 0, 0, alice, deadline);
    }

    function test_removeLiquidity_revertsWhenSharesInsufficient() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                ERC6909.ERC6909InsufficientBalance.selector, alice, shares, shares + 1, poolId
            )
        );
        vm.prank(alice);
        amm.removeLiquidity(poolId, shares + 1, 0, 0, alice, deadline);
        // Nobody holds the locked shares.
        vm.expectRevert(
            abi.encodeWithSelector(ERC6909.ERC6909InsufficientBalance.selector, bob, 0, 1e6, poolId)
        );
        vm.prank(bob);
        amm.removeLiquidity(poolId, 1e6, 0, 0, bob, deadline);
    }

    function test_lpShares_areTransferableAndRedeemableByTheNewHolder() public {
        uint256 shares = _add(alice, poolId, 4e18, 1e18);
        vm.prank(alice);
        amm.transfer(bob, poolId, shares);
        assertEq(amm.balanceOf(bob, poolId), shares);
        (uint256 amount0,) = _remove(bob, poolId, shares);
        assertEq(amount0, 4e18 - 2_000);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _addFull(address who, uint256 amount0, uint256 amount1)
        internal
        returns (uint256, uint256, uint256)
    {
        vm.prank(who);
        return amm.addLiquidity(poolId, amount0, amount1, 0, 0, who, deadline);
    }

    /// @dev Raises the fee to 10 % and trades back and forth, then brings the price back to 1 with an exact-output
    /// swap, so that both reserves end above the share count.
    function _growPoolWithFees() internal {
        IAIServiceAMM.FeeBounds memory bounds =
            IAIServiceAMM.FeeBounds({minFee: 100_000, maxFee: 100_000, maxStep: 0, minInterval: 0});
        amm.setFeeBounds(poolId, bounds);
        for (uint256 i; i < 5; ++i) {
            (uint256 r0,) = _reserves(poolId);
            uint256 out = _swapIn(bob, poolId, address(token0), r0);
            _swapIn(bob, poolId, address(token1), out);
        }
        (uint256 reserve0, uint256 reserve1) = _reserves(poolId);
        uint256 target = Math.sqrt(reserve0 * reserve1);
        vm.prank(bob);
        if (reserve0 > target) {
            amm.swapExactOutputSingle(
                poolId, address(token1), reserve0 - target, type(uint256).max, bob, deadline
            );
        } else {
            amm.swapExactOutputSingle(
                poolId, address(token0), reserve1 - target, type(uint256).max, bob, deadline
            );
        }
    }
}
