// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ConstantProductMath
/// @notice Pure x·y = k swap and deposit math with fees in pips (1e-6). Rounding always favours the pool.
library ConstantProductMath {
    uint256 internal constant FEE_DENOMINATOR = 1_000_000;

    /// @dev Output for an exact input, rounded down.
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        internal
        pure
        returns (uint256)
    {
        uint256 amountInWithFee = amountIn * (FEE_DENOMINATOR - fee);
        return (amountInWithFee * reserveOut) / (reserveIn * FEE_DENOMINATOR + amountInWithFee);
    }

    /// @dev Input for an exact output, rounded up: the least input for which {getAmountOut} pays `amountOut`.
    /// (Uniswap V2 adds one to the rounded-down quotient instead, which overcharges by one unit whenever the
    /// division is exact.) Caller checks `amountOut < reserveOut`.
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        internal
        pure
        returns (uint256)
    {
        uint256 numerator = reserveIn * amountOut * FEE_DENOMINATOR;
        uint256 denominator = (reserveOut - amountOut) * (FEE_DENOMINATOR - fee);
        return Math.ceilDiv(numerator, denominator);
    }

    /// @dev Amount of B that matches `amountA` at the pool's ratio, rounded down.
    function quote(uint256 amountA, uint256 reserveA, uint256 reserveB) internal pure returns (uint256) {
        return (amountA * reserveB) / reserveA;
    }

    /// @dev Swap amount s for a single-sided deposit of `amountIn`: after swapping s at fee f, the remainder
    /// `amountIn - s` and the output are in the pool's new ratio. With g = D - f (D = 1e6) the condition
    /// reduces to g·s² + r(D + g)·s − D·r·a = 0, so s = (√(X² + Y) − X) / 2g with X = r(D + g), Y = 4gDra,
    /// computed as Y / (2g(√(X² + Y) + X)) to avoid cancellation, then rounded down exactly. Inputs above 2^100 are scaled down so X²
    /// and Y fit in 256 bits; the relative error that adds is below 2^-90.
    function singleSidedSwapAmount(uint256 amountIn, uint256 reserveIn, uint256 fee)
        internal
        pure
        returns (uint256)
    {
        uint256 shift;
        uint256 largest = Math.max(amountIn, reserveIn);
        if (largest >= 2 ** 100) shift = Math.log2(largest) - 99;
        uint256 a = amountIn >> shift;
        uint256 r = reserveIn >> shift;
        if (a == 0 || r == 0) return 0;
        uint256 g = FEE_DENOMINATOR - fee;
        uint256 x = r * (FEE_DENOMINATOR + g);
        uint256 y = 4 * g * FEE_DENOMINATOR * r * a;
        uint256 root = Math.sqrt(x * x + y);
        uint256 s = y / (2 * g * (root + x));
        // The floored square root makes the quotient an upper estimate; it overshoots the quadratic's floor root by
        // at most one (by less than s / (root + x) < 1 before flooring), so one exact residual check corrects it.
        if (g * s * s + x * s > FEE_DENOMINATOR * r * a) s -= 1;
        return s << shift;
    }
}
