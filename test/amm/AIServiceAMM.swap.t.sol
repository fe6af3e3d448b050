// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice swapExactInputSingle and swapExactOutputSingle.
contract AIServiceAMMSwapTest is AMMTestBase {
    uint256 internal poolId;

    function setUp() public override {
        super.setUp();
        poolId = _seededPool(100e18, 400e18);
    }

    // ─── swapExactInputSingle ─────────────────────────────────────────────────────────────────

    function test_swapExactInputSingle_paysReferenceAmountZeroForOne() public {
        uint256 expected = _refAmountOut(1e18, 100e18, 400e18, DEFAULT_FEE);
        uint256 bob0 = token0.balanceOf(bob);
        uint256 carol1 = token1.balanceOf(carol);

        vm.prank(bob);
        uint256 out = amm.swapExactInputSingle(poolId, address(token0), 1e18, expected, carol, deadline);

        assertEq(out, expected);
        assertEq(out, 3_948_632_137_588_245_195); // 400·0.997/(100+0.997), rounded down
        assertEq(bob0 - token0.balanceOf(bob), 1e18);
        assertEq(token1.balanceOf(carol) - carol1, out);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(r0, 101e18);
        assertEq(r1, 400e18 - out);
        assertEq(token0.balanceOf(address(amm)), r0);
        assertEq(token1.balanceOf(address(amm)), r1);
    }

    function test_swapExactInputSingle_paysReferenceAmountOneForZero() public {
        uint256 expected = _refAmountOut(4e18, 400e18, 100e18, DEFAULT_FEE);
        uint256 out = _swapIn(bob, poolId, address(token1), 4e18);
        assertEq(out, expected);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(r0, 100e18 - out);
        assertEq(r1, 404e18);
    }

    function test_swapExactInputSingle_emitsSwapped() public {
        uint256 out = _refAmountOut(1e18, 100e18, 400e18, DEFAULT_FEE);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.Swapped(poolId, bob, carol, true, 1e18, out, 101e18, uint112(400e18 - out));
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, carol, deadline);
    }

    function test_swapExactInputSingle_chargesTheCurrentFee() public {
        vm.prank(keeper);
        amm.setFee(poolId, 4_000);
        uint256 out = _swapIn(bob, poolId, address(token0), 1e18);
        assertEq(out, _refAmountOut(1e18, 100e18, 400e18, 4_000));
        assertLt(out, _refAmountOut(1e18, 100e18, 400e18, DEFAULT_FEE));
    }

    function test_swapExactInputSingle_neverDecreasesK() public {
        (uint256 r0, uint256 r1) = _reserves(poolId);
        uint256 kBefore = r0 * r1;
        _swapIn(bob, poolId, address(token0), 37e18);
        (r0, r1) = _reserves(poolId);
        assertGt(r0 * r1, kBefore);
    }

    function test_swapExactInputSingle_acceptsDeadlineEqualToNow() public {
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, bob, block.timestamp);
    }

    function test_swapExactInputSingle_revertsWhenDeadlineExpired() public {
        uint256 expired = block.timestamp - 1;
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.DeadlineExpired.selector, expired, block.timestamp)
        );
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, bob, expired);
    }

    function test_swapExactInputSingle_revertsWhenAmountInIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 0, 0, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenRecipientIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, address(0), deadline);
    }

    function test_swapExactInputSingle_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 5));
        vm.prank(bob);
        amm.swapExactInputSingle(5, address(token0), 1e18, 0, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenTokenNotInPool() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.TokenNotInPool.selector, poolId, address(token2))
        );
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token2), 1e18, 0, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenOutputBelowMinimum() public {
        uint256 out = _refAmountOut(1e18, 100e18, 400e18, DEFAULT_FEE);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, out, out + 1));
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, out + 1, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenOutputRoundsToZero() public {
        // 1 wei of token1 buys a quarter wei of token0, before the fee.
        vm.expectRevert(IAIServiceAMM.InsufficientOutputAmount.selector);
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token1), 1, 0, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenPoolHasNoLiquidity() public {
        uint256 empty = _createPool(token1, token2);
        vm.expectRevert(IAIServiceAMM.InsufficientOutputAmount.selector);
        vm.prank(bob);
        amm.swapExactInputSingle(empty, address(token1), 1e18, 0, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenReserveWouldOverflow() public {
        uint256 amountIn = type(uint112).max - 100e18 + 1;
        token0.mint(bob, amountIn);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.ReserveOverflow.selector, poolId));
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), amountIn, 0, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenPaused() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, bob, deadline);
    }

    function test_swapExactInputSingle_revertsWhenBalanceInsufficient() public {
        address poor = makeAddr("poor");
        vm.prank(poor);
        token0.approve(address(amm), type(uint256).max);
        vm.expectRevert(); // SafeERC20 bubbles the token's ERC20InsufficientBalance
        vm.prank(poor);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, poor, deadline);
    }

    // ─── swapExactOutputSingle ────────────────────────────────────────────────────────────────

    function test_swapExactOutputSingle_chargesQuotedInput() public {
        uint256 quoted = amm.getAmountIn(poolId, address(token0), 4e18);
        // Reference: ⌈r_in·out·D / ((r_out − out)·(D − fee))⌉.
        uint256 numerator = 100e18 * 4e18 * 1e6;
        uint256 denominator = (400e18 - 4e18) * (1e6 - uint256(DEFAULT_FEE));
        assertEq(quoted, (numerator + denominator - 1) / denominator);
        uint256 bob0 = token0.balanceOf(bob);
        uint256 carol1 = token1.balanceOf(carol);

        vm.prank(bob);
        uint256 amountIn = amm.swapExactOutputSingle(poolId, address(token0), 4e18, quoted, carol, deadline);

        assertEq(amountIn, quoted);
        assertEq(bob0 - token0.balanceOf(bob), amountIn);
        assertEq(token1.balanceOf(carol) - carol1, 4e18);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(r0, 100e18 + amountIn);
        assertEq(r1, 396e18);
        // The input buys at least the output at the pre-swap reserves.
        assertGe(_refAmountOut(amountIn, 100e18, 400e18, DEFAULT_FEE), 4e18);
        assertLt(_refAmountOut(amountIn - 1, 100e18, 400e18, DEFAULT_FEE), 4e18);
    }

    function test_swapExactOutputSingle_oneForZero() public {
        uint256 quoted = amm.getAmountIn(poolId, address(token1), 1e18);
        vm.prank(bob);
        uint256 amountIn =
            amm.swapExactOutputSingle(poolId, address(token1), 1e18, type(uint256).max, bob, deadline);
        assertEq(amountIn, quoted);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        assertEq(r0, 99e18);
        assertEq(r1, 400e18 + amountIn);
    }

    function test_swapExactOutputSingle_emitsSwapped() public {
        uint256 amountIn = amm.getAmountIn(poolId, address(token1), 1e18);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.Swapped(
            poolId, bob, carol, false, amountIn, 1e18, 99e18, uint112(400e18 + amountIn)
        );
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(token1), 1e18, type(uint256).max, carol, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenDeadlineExpired() public {
        vm.warp(deadline + 10);
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.DeadlineExpired.selector, deadline, deadline + 10)
        );
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenAmountOutIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(token0), 0, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenRecipientIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(token0), 1e18, type(uint256).max, address(0), deadline);
    }

    function test_swapExactOutputSingle_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 1));
        vm.prank(bob);
        amm.swapExactOutputSingle(1, address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenTokenNotInPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.TokenNotInPool.selector, poolId, address(this)));
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(this), 1e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenInputAboveMaximum() public {
        uint256 quoted = amm.getAmountIn(poolId, address(token0), 4e18);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, quoted, quoted - 1));
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(token0), 4e18, quoted - 1, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenOutputNotBelowReserve() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, poolId));
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(token0), 400e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenPoolHasNoLiquidity() public {
        uint256 empty = _createPool(token1, token2);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, empty));
        vm.prank(bob);
        amm.swapExactOutputSingle(empty, address(token1), 1, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenReserveWouldOverflow() public {
        // Almost all of a 1e18 reserve out of a pool whose other side is near the uint112 limit.
        uint256 big = _createPool(token1, token2);
        token1.mint(alice, type(uint112).max);
        token1.mint(bob, type(uint112).max);
        _add(alice, big, type(uint112).max / 2, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.ReserveOverflow.selector, big));
        vm.prank(bob);
        amm.swapExactOutputSingle(big, address(token1), 0.9e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutputSingle_revertsWhenPaused() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(bob);
        amm.swapExactOutputSingle(poolId, address(token0), 1e18, type(uint256).max, bob, deadline);
    }
}
