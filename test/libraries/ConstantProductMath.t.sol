// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {stdError} from "forge-std/StdError.sol";

import {ConstantProductMath} from "../../src/libraries/ConstantProductMath.sol";

/// @dev External wrappers, so that reverts (arithmetic panics) can be expected.
contract ConstantProductMathHarness {
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        external
        pure
        returns (uint256)
    {
        return ConstantProductMath.getAmountOut(amountIn, reserveIn, reserveOut, fee);
    }

    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        external
        pure
        returns (uint256)
    {
        return ConstantProductMath.getAmountIn(amountOut, reserveIn, reserveOut, fee);
    }
}

contract ConstantProductMathTest is Test {
    uint256 internal constant MAX_RESERVE = type(uint112).max;
    uint256 internal constant MAX_FEE = 100_000; // the AMM's cap: 10 %

    ConstantProductMathHarness internal harness = new ConstantProductMathHarness();

    // ─── getAmountOut ─────────────────────────────────────────────────────────────────────────

    function test_getAmountOut_knownValues() public pure {
        // No fee: 1000·10 / (1000 + 10) = 9.9 → 9.
        assertEq(ConstantProductMath.getAmountOut(10, 1_000, 1_000, 0), 9);
        // Uniswap V2's example: 1 in, 100/100 reserves, 0.30 %.
        assertEq(ConstantProductMath.getAmountOut(1e18, 100e18, 100e18, 3_000), 987_158_034_397_061_298);
    }

    function test_getAmountOut_zeroInputIsZero() public pure {
        assertEq(ConstantProductMath.getAmountOut(0, 1e18, 1e18, 3_000), 0);
    }

    function test_getAmountOut_emptyReserveOutIsZero() public pure {
        assertEq(ConstantProductMath.getAmountOut(1e18, 0, 0, 3_000), 0);
    }

    /// @dev At 3,000 pips the formula is Uniswap V2's 997/1000, bit for bit.
    function testFuzz_getAmountOut_equalsUniswapV2AtThirtyBips(
        uint256 amountIn,
        uint256 reserveIn,
        uint256 reserveOut
    ) public pure {
        amountIn = bound(amountIn, 1, MAX_RESERVE);
        reserveIn = bound(reserveIn, 1, MAX_RESERVE);
        reserveOut = bound(reserveOut, 1, MAX_RESERVE);
        uint256 v2 = (amountIn * 997 * reserveOut) / (reserveIn * 1000 + amountIn * 997);
        assertEq(ConstantProductMath.getAmountOut(amountIn, reserveIn, reserveOut, 3_000), v2);
    }

    /// @dev The output is the largest whole amount the invariant allows: k (with the fee-adjusted input) never falls.
    function testFuzz_getAmountOut_isLargestOutputKeepingK(
        uint256 amountIn,
        uint256 reserveIn,
        uint256 reserveOut,
        uint256 fee
    ) public pure {
        amountIn = bound(amountIn, 1, MAX_RESERVE);
        reserveIn = bound(reserveIn, 1, MAX_RESERVE);
        reserveOut = bound(reserveOut, 1, MAX_RESERVE);
        fee = bound(fee, 0, MAX_FEE);
        uint256 out = ConstantProductMath.getAmountOut(amountIn, reserveIn, reserveOut, fee);
        assertLt(out, reserveOut);
        // (reserveIn·D + amountIn·g) · (reserveOut − out) ≥ reserveIn·D · reserveOut
        uint256 g = 1e6 - fee;
        assertGe((reserveIn * 1e6 + amountIn * g) * (reserveOut - out), reserveIn * 1e6 * reserveOut);
        // one more unit out would break it
        if (out + 1 < reserveOut) {
            assertLt((reserveIn * 1e6 + amountIn * g) * (reserveOut - out - 1), reserveIn * 1e6 * reserveOut);
        }
    }

    function testFuzz_getAmountOut_monotoneInFee(
        uint256 amountIn,
        uint256 reserve,
        uint256 feeA,
        uint256 feeB
    ) public pure {
        amountIn = bound(amountIn, 1, MAX_RESERVE);
        reserve = bound(reserve, 1, MAX_RESERVE);
        feeA = bound(feeA, 0, MAX_FEE);
        feeB = bound(feeB, feeA, MAX_FEE);
        assertGe(
            ConstantProductMath.getAmountOut(amountIn, reserve, reserve, feeA),
            ConstantProductMath.getAmountOut(amountIn, reserve, reserve, feeB)
        );
    }

    // ─── getAmountIn ──────────────────────────────────────────────────────────────────────────

    function test_getAmountIn_knownValues() public pure {
        // No fee: 1000·9 / (1000 − 9) = 9.08 → 9, + 1 = 10.
        assertEq(ConstantProductMath.getAmountIn(9, 1_000, 1_000, 0), 10);
        assertEq(ConstantProductMath.getAmountIn(1e18, 100e18, 100e18, 3_000), 1_013_140_431_395_195_689);
    }

    function test_getAmountIn_revertsWhenOutputExceedsReserve() public {
        vm.expectRevert(stdError.arithmeticError);
        harness.getAmountIn(1_001, 1_000, 1_000, 3_000);
    }

    function test_getAmountIn_revertsWhenOutputEqualsReserve() public {
        vm.expectRevert(stdError.divisionError);
        harness.getAmountIn(1_000, 1_000, 1_000, 3_000);
    }

    /// @dev At 3,000 pips: Uniswap V2's floor + 1, except one less when V2's division is exact (V2 overcharges).
    function testFuzz_getAmountIn_isUniswapV2LessItsExactDivisionOvercharge(
        uint256 amountOut,
        uint256 reserveIn,
        uint256 reserveOut
    ) public pure {
        reserveIn = bound(reserveIn, 1, MAX_RESERVE);
        reserveOut = bound(reserveOut, 2, MAX_RESERVE);
        amountOut = bound(amountOut, 1, reserveOut - 1);
        uint256 numerator = reserveIn * amountOut * 1000;
        uint256 denominator = (reserveOut - amountOut) * 997;
        uint256 v2 = numerator / denominator + 1;
        uint256 exact = numerator % denominator == 0 ? 1 : 0;
        assertEq(ConstantProductMath.getAmountIn(amountOut, reserveIn, reserveOut, 3_000), v2 - exact);
    }

    function test_getAmountIn_exactDivisionIsNotOvercharged() public pure {
        // 1000·500·D / ((1000 − 500)·D) = 1000 exactly: no fee, the least input is 1000 (V2 would say 1001).
        assertEq(ConstantProductMath.getAmountIn(500, 1_000, 1_000, 0), 1_000);
        assertEq(ConstantProductMath.getAmountOut(1_000, 1_000, 1_000, 0), 500);
        assertEq(ConstantProductMath.getAmountOut(999, 1_000, 1_000, 0), 499);
    }

    /// @dev getAmountIn is the least input that buys the output.
    function testFuzz_getAmountIn_isLeastSufficientInput(
        uint256 amountOut,
        uint256 reserveIn,
        uint256 reserveOut,
        uint256 fee
    ) public pure {
        reserveIn = bound(reserveIn, 1, MAX_RESERVE);
        reserveOut = bound(reserveOut, 2, MAX_RESERVE);
        amountOut = bound(amountOut, 1, reserveOut - 1);
        fee = bound(fee, 0, MAX_FEE);
        uint256 amountIn = ConstantProductMath.getAmountIn(amountOut, reserveIn, reserveOut, fee);
        vm.assume(amountIn <= MAX_RESERVE);
        assertGe(ConstantProductMath.getAmountOut(amountIn, reserveIn, reserveOut, fee), amountOut);
        assertLt(ConstantProductMath.getAmountOut(amountIn - 1, reserveIn, reserveOut, fee), amountOut);
    }

    /// @dev getAmountIn's answer always buys the output, and getAmountOut's answer never needs more than was paid.
    function testFuzz_getAmountInOut_consistent(
        uint256 amount,
        uint256 reserveIn,
        uint256 reserveOut,
        uint256 fee
    ) public pure {
        reserveIn = bound(reserveIn, 1, MAX_RESERVE);
        reserveOut = bound(reserveOut, 2, MAX_RESERVE);
        fee = bound(fee, 0, MAX_FEE);

        uint256 amountOut = bound(amount, 1, reserveOut - 1);
        uint256 amountIn = ConstantProductMath.getAmountIn(amountOut, reserveIn, reserveOut, fee);
        if (amountIn <= MAX_RESERVE) {
            assertGe(ConstantProductMath.getAmountOut(amountIn, reserveIn, reserveOut, fee), amountOut);
        }

        uint256 paid = bound(amount, 1, MAX_RESERVE);
        uint256 got = ConstantProductMath.getAmountOut(paid, reserveIn, reserveOut, fee);
        if (got > 0) assertLe(ConstantProductMath.getAmountIn(got, reserveIn, reserveOut, fee), paid);
    }

    // ─── quote ────────────────────────────────────────────────────────────────────────────────

    function test_quote_scalesByRatioRoundingDown() public pure {
        assertEq(ConstantProductMath.quote(3, 4, 10), 7); // 7.5 → 7
        assertEq(ConstantProductMath.quote(2e18, 4e18, 1e18), 0.5e18);
    }

    function testFuzz_quote_neverExceedsExactRatio(uint256 amount, uint256 reserveA, uint256 reserveB)
        public
        pure
    {
        amount = bound(amount, 0, MAX_RESERVE);
        reserveA = bound(reserveA, 1, MAX_RESERVE);
        reserveB = bound(reserveB, 0, MAX_RESERVE);
        uint256 q = ConstantProductMath.quote(amount, reserveA, reserveB);
        assertLe(q * reserveA, amount * reserveB);
        assertGt((q + 1) * reserveA, amount * reserveB);
    }

    // ─── singleSidedSwapAmount ────────────────────────────────────────────────────────────────

    function test_singleSidedSwapAmount_noFeeSmallDepositIsAboutHalf() public pure {
        // With no fee and a tiny deposit the swap hardly moves the price: s → a/2.
        uint256 s = ConstantProductMath.singleSidedSwapAmount(1e18, 1e30, 0);
        assertApproxEqRel(s, 0.5e18, 1e9);
    }

    function test_singleSidedSwapAmount_zeroInputsAreZero() public pure {
        assertEq(ConstantProductMath.singleSidedSwapAmount(0, 1e18, 3_000), 0);
        assertEq(ConstantProductMath.singleSidedSwapAmount(1e18, 0, 3_000), 0);
    }

    /// @dev The case a random fuzz seed found: with a one-unit reserve the floored square root made the quotient one
    /// above the quadratic's floor root, so a deposit swapped one unit too many.
    function test_singleSidedSwapAmount_roundsDownWithATinyReserve() public pure {
        uint256[3] memory amounts = [uint256(2 ** 100 - 4), 2 ** 100 - 1, 2 ** 98 * 3];
        for (uint256 i; i < amounts.length; ++i) {
            uint256 s = ConstantProductMath.singleSidedSwapAmount(amounts[i], 1, 0);
            _assertFloorRoot(s, amounts[i], 1, 0);
        }
    }

    function _assertFloorRoot(uint256 s, uint256 amountIn, uint256 reserveIn, uint256 fee) internal pure {
        uint256 g = 1e6 - fee;
        uint256 target = 1e6 * reserveIn * amountIn;
        assertLe(g * s * s + reserveIn * (1e6 + g) * s, target, "s is above the floor root");
        assertGe(g * (s + 1) * (s + 1) + reserveIn * (1e6 + g) * (s + 1), target, "s is below the floor root");
    }

    /// @dev s solves g·s² + r(D + g)·s − D·r·a = 0: the residual at s is ≤ 0 and at s + 1 ≥ 0 (within the
    /// precision lost to scaling for inputs above 2^100).
    function testFuzz_singleSidedSwapAmount_solvesTheQuadratic(
        uint256 amountIn,
        uint256 reserveIn,
        uint256 fee
    ) public pure {
        amountIn = bound(amountIn, 1, 2 ** 100 - 1);
        reserveIn = bound(reserveIn, 1, 2 ** 100 - 1);
        fee = bound(fee, 0, MAX_FEE);
        uint256 s = ConstantProductMath.singleSidedSwapAmount(amountIn, reserveIn, fee);
        assertLe(s, amountIn);
        _assertFloorRoot(s, amountIn, reserveIn, fee);
    }

    function testFuzz_singleSidedSwapAmount_scaledInputsStayAccurate(uint256 amountIn, uint256 reserveIn)
        public
        pure
    {
        amountIn = bound(amountIn, 2 ** 100, MAX_RESERVE);
        reserveIn = bound(reserveIn, 2 ** 90, MAX_RESERVE);
        uint256 s = ConstantProductMath.singleSidedSwapAmount(amountIn, reserveIn, 3_000);
        assertLe(s, amountIn);
        // Compare with the same computation on inputs scaled down by hand: relative error below 1e-12.
        uint256 sScaled =
            ConstantProductMath.singleSidedSwapAmount(amountIn >> 20, reserveIn >> 20, 3_000) << 20;
        assertApproxEqRel(s, sScaled, 1e6);
    }
}
