// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {MockERC20Decimals} from "../mocks/MockERC20Decimals.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice Prices are ratios of raw units: a pool of a 6-, 8- or 18-decimals token against another is priced in
/// raw units of each, and consult of one whole token (10^decimals raw units) returns the other token's raw units.
contract ComputePriceOracleDecimalsTest is OracleTestBase {
    uint8[3] internal decimalChoices = [6, 8, 18];

    struct Pair {
        uint256 poolId;
        MockERC20Decimals a;
        MockERC20Decimals b;
        uint256 oneA;
        uint256 oneB;
        uint256 reserveA;
        uint256 reserveB;
    }

    /// @param priceMilli The human price of A in B, in thousandths (1 = 0.001 B per A, 1e9 = 1,000,000 B per A).
    function testFuzz_consult_pricesRawUnitsWhateverTheDecimals(
        uint256 decimalsSeedA,
        uint256 decimalsSeedB,
        uint256 priceMilli,
        uint256 amountIn
    ) public {
        priceMilli = bound(priceMilli, 1, 1e9);
        Pair memory pair =
            _pair(decimalChoices[decimalsSeedA % 3], decimalChoices[decimalsSeedB % 3], priceMilli);
        _warmUp(pair.poolId);

        // The TWAP is the raw reserve ratio, decimals nowhere.
        (uint256 twap0, uint256 twap1) = oracle.twapX112(pair.poolId);
        (uint256 reserve0, uint256 reserve1) = address(pair.a) < address(pair.b)
            ? (pair.reserveA, pair.reserveB)
            : (pair.reserveB, pair.reserveA);
        assertEq(twap0, (reserve1 << 112) / reserve0);
        assertEq(twap1, (reserve0 << 112) / reserve1);

        // One whole A is worth priceMilli / 1000 whole B, in B's raw units (an integer for 6 decimals and up).
        (uint256 out, address tokenOut) = oracle.consult(pair.poolId, address(pair.a), pair.oneA);
        assertEq(tokenOut, address(pair.b));
        assertApproxEqAbs(out, priceMilli * pair.oneB / 1e3, 1, "one A in B raw units");
        // One whole B in A's raw units: 1000 / priceMilli whole A.
        (out, tokenOut) = oracle.consult(pair.poolId, address(pair.b), pair.oneB);
        assertEq(tokenOut, address(pair.a));
        assertApproxEqAbs(out, Math.mulDiv(1e3, pair.oneA, priceMilli), 1, "one B in A raw units");
        // Any raw amount: amount · reserveB / reserveA.
        amountIn = bound(amountIn, 0, 1e30);
        (out,) = oracle.consult(pair.poolId, address(pair.a), amountIn);
        assertApproxEqAbs(out, Math.mulDiv(amountIn, pair.reserveB, pair.reserveA), 1, "raw A in raw B");
        (out,) = oracle.consult(pair.poolId, address(pair.b), amountIn);
        assertApproxEqAbs(out, Math.mulDiv(amountIn, pair.reserveA, pair.reserveB), 1, "raw B in raw A");
    }

    /// @notice The classic case written out: 1 WBTC-like (8 decimals) at 60,000 USDC-like (6 decimals).
    function test_consult_btcInUsdc() public {
        MockERC20Decimals wbtc = new MockERC20Decimals("WBTC", "WBTC", 8);
        MockERC20Decimals usdc = new MockERC20Decimals("USDC", "USDC", 6);
        wbtc.mint(alice, 100e8);
        usdc.mint(alice, 6_000_000e6);
        vm.startPrank(alice);
        wbtc.approve(address(amm), type(uint256).max);
        usdc.approve(address(amm), type(uint256).max);
        vm.stopPrank();
        uint256 poolId = amm.createPool(address(wbtc), address(usdc));
        bool btcFirst = address(wbtc) < address(usdc);
        _add(alice, poolId, btcFirst ? 100e8 : 6_000_000e6, btcFirst ? 6_000_000e6 : 100e8);
        _warmUp(poolId);
        (uint256 out,) = oracle.consult(poolId, address(wbtc), 1e8);
        assertApproxEqAbs(out, 60_000e6, 1);
        (out,) = oracle.consult(poolId, address(usdc), 60_000e6);
        assertApproxEqAbs(out, 1e8, 1);
        (out,) = oracle.consult(poolId, address(usdc), 1e6); // one dollar: 1,666.67 satoshi
        assertApproxEqAbs(out, 1666, 1);
    }

    /// @dev A pool of 1,000,000 whole A against priceMilli / 1000 whole B each, seeded by alice.
    function _pair(uint8 decimalsA, uint8 decimalsB, uint256 priceMilli) internal returns (Pair memory pair) {
        pair.a = new MockERC20Decimals("A", "A", decimalsA);
        pair.b = new MockERC20Decimals("B", "B", decimalsB);
        pair.oneA = 10 ** decimalsA;
        pair.oneB = 10 ** decimalsB;
        pair.reserveA = 1e6 * pair.oneA;
        pair.reserveB = 1e3 * priceMilli * pair.oneB;
        pair.a.mint(alice, pair.reserveA);
        pair.b.mint(alice, pair.reserveB);
        vm.startPrank(alice);
        pair.a.approve(address(amm), pair.reserveA);
        pair.b.approve(address(amm), pair.reserveB);
        vm.stopPrank();
        pair.poolId = amm.createPool(address(pair.a), address(pair.b));
        bool aFirst = address(pair.a) < address(pair.b);
        _add(
            alice, pair.poolId, aFirst ? pair.reserveA : pair.reserveB, aFirst ? pair.reserveB : pair.reserveA
        );
    }
}
