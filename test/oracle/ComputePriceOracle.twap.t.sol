// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice twapX112, consult and consultPath against time-weighted averages the tests compute themselves from the
/// spot prices each pool held (OracleTestBase._spotSeconds), never from the AMM's accumulators.
contract ComputePriceOracleTwapTest is OracleTestBase {
    /// @notice A price path held constant per period (one trade at each period start, of random size and
    /// direction): the TWAP equals Σ spot × seconds / elapsed over the window exactly, in both directions, read at
    /// any second of the period.
    function testFuzz_twapX112_equalsTimeWeightedSpot(uint256 seed, uint256 readOffset) public {
        _warmUp(pool01);
        for (uint256 i; i < 2 * SLOTS; ++i) {
            _nextPeriod();
            seed = uint256(keccak256(abi.encode(seed)));
            _trade(pool01, seed % 2 == 0, seed % 200); // up to 2 % of a reserve: the band never trips
            oracle.record(pool01);
            _assertTwapMatches(pool01);
        }
        vm.warp(block.timestamp + bound(readOffset, 0, PERIOD - 1));
        _assertTwapMatches(pool01);
    }

    /// @notice Trades at any second, several per period: the TWAP still equals the spot history's time average.
    function testFuzz_twapX112_equalsTimeWeightedSpotWithTradesWithinPeriods(uint256 seed) public {
        _warmUp(pool01);
        uint256 until = block.timestamp + 3 * WINDOW;
        while (block.timestamp < until) {
            seed = uint256(keccak256(abi.encode(seed)));
            vm.warp(block.timestamp + 1 + seed % 200);
            vm.roll(block.number + 1);
            if (seed % 3 != 0) _trade(pool01, seed % 2 == 0, seed % 40);
            oracle.record(pool01); // a keeper that records whenever due
            _assertTwapMatches(pool01);
        }
    }

    /// @notice consult prices exact amounts at the TWAP, both directions: the time-weighted average times the
    /// amount, to 1 wei (the UQ112.112 price is rounded down once).
    function testFuzz_consult_isAmountTimesTimeWeightedPrice(uint256 seed, uint256 amountIn) public {
        _warmUp(pool01);
        for (uint256 i; i < SLOTS + 2; ++i) {
            _nextPeriod();
            seed = uint256(keccak256(abi.encode(seed)));
            _trade(pool01, seed % 2 == 0, seed % 150);
            oracle.record(pool01);
        }
        vm.warp(block.timestamp + seed % PERIOD);
        amountIn = bound(amountIn, 0, 1e30);
        uint256 from = _oldest(pool01).timestamp;
        uint256 elapsed = block.timestamp - from;
        (uint256 sum0, uint256 sum1) = _spotSeconds(pool01, from, block.timestamp);

        (uint256 out, address tokenOut) = oracle.consult(pool01, address(token0), amountIn);
        assertEq(tokenOut, address(token1));
        assertApproxEqAbs(out, Math.mulDiv(amountIn, sum0, elapsed * Q112), 1, "token0 -> token1");
        (out, tokenOut) = oracle.consult(pool01, address(token1), amountIn);
        assertEq(tokenOut, address(token0));
        assertApproxEqAbs(out, Math.mulDiv(amountIn, sum1, elapsed * Q112), 1, "token1 -> token0");
    }

    function test_consult_ofAConstantPriceIsTheReserveRatio() public {
        _warmUp(pool01);
        (uint256 out,) = oracle.consult(pool01, address(token0), 1e18);
        assertApproxEqAbs(out, 2.5e18, 1); // 2,500,000 token1 for 1,000,000 token0
        (out,) = oracle.consult(pool01, address(token1), 2.5e18);
        assertApproxEqAbs(out, 1e18, 1);
        (out,) = oracle.consult(pool01, address(token0), 0);
        assertEq(out, 0);
    }

    /// @notice consultPath over two hops is the second pool's consult of the first's output, both ways.
    function testFuzz_consultPath_twoHopsEqualsChainedConsults(uint256 seed, uint256 amountIn) public {
        oracle.record(pool01);
        oracle.record(pool12);
        for (uint256 i; i < SLOTS + 3; ++i) {
            _nextPeriod();
            seed = uint256(keccak256(abi.encode(seed)));
            _trade(pool01, seed % 2 == 0, seed % 100);
            _trade(pool12, seed % 3 == 0, (seed >> 8) % 100);
            oracle.recordMany(_path(pool01, pool12));
        }
        amountIn = bound(amountIn, 0, 1e30);

        (uint256 hop1, address mid) = oracle.consult(pool01, address(token0), amountIn);
        (uint256 hop2, address end) = oracle.consult(pool12, mid, hop1);
        (uint256 out, address tokenOut) = oracle.consultPath(_path(pool01, pool12), address(token0), amountIn);
        assertEq(mid, address(token1));
        assertEq(tokenOut, address(token2));
        assertEq(end, tokenOut);
        assertEq(out, hop2, "token0 -> token2");

        (hop1, mid) = oracle.consult(pool12, address(token2), amountIn);
        (hop2, end) = oracle.consult(pool01, mid, hop1);
        (out, tokenOut) = oracle.consultPath(_path(pool12, pool01), address(token2), amountIn);
        assertEq(tokenOut, address(token0));
        assertEq(out, hop2, "token2 -> token0");
    }

    function test_consultPath_emptyPathReturnsTheInput() public view {
        (uint256 out, address tokenOut) = oracle.consultPath(new uint256[](0), address(token2), 123);
        assertEq(out, 123);
        assertEq(tokenOut, address(token2));
    }

    function test_consultPath_revertsWhenAHopLacksTheToken() public {
        uint256 pool02 = _createPool(token0, token2);
        _add(alice, pool02, 1_000e18, 1_000e18);
        _warmUp(_path(pool01, pool02));
        // token0 -> token1 in pool01, then token1 into pool02, which holds token0 and token2.
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.TokenNotInPool.selector, pool02, token1));
        oracle.consultPath(_path(pool01, pool02), address(token0), 1e18);
    }

    /// @notice Ten windows of keeper ticks: every slot is overwritten many times, and at every tick the window opens
    /// exactly one window minus one period ago and prices what the spot history says.
    function test_twapX112_ringBufferWrapsOverManyWindows() public {
        _warmUp(pool01);
        uint256 seed = 42;
        for (uint256 i; i < 10 * SLOTS; ++i) {
            _nextPeriod();
            seed = uint256(keccak256(abi.encode(seed)));
            _trade(pool01, seed % 2 == 0, seed % 100);
            assertTrue(oracle.record(pool01));
            assertEq(
                _oldest(pool01).timestamp, block.timestamp - WINDOW + PERIOD, "window opens at the wrong slot"
            );
            _assertTwapMatches(pool01);
            // and mid-period, with the spot moved again
            vm.warp(block.timestamp + PERIOD / 2);
            _trade(pool01, seed % 3 == 0, (seed >> 16) % 50);
            _assertTwapMatches(pool01);
        }
    }

    /// @notice The window's length as the oracle checks it: opened between window − 2·period and window ago, and a
    /// keeper that records late in each period shortens it towards the lower end.
    function test_twapX112_windowLengthStaysWithinItsBounds() public {
        oracle.record(pool01);
        for (uint256 i; i < 4 * SLOTS; ++i) {
            // A keeper whose tick lands anywhere in the period.
            vm.warp((block.timestamp / PERIOD + 1) * PERIOD + (i * 97) % PERIOD);
            vm.roll(block.number + 1);
            _trade(pool01, i % 2 == 0, 30);
            oracle.record(pool01);
            if (i < SLOTS) continue;
            uint256 elapsed = block.timestamp - _oldest(pool01).timestamp;
            assertGt(elapsed, WINDOW - 2 * PERIOD);
            assertLe(elapsed, WINDOW);
            _assertTwapMatches(pool01);
        }
    }

    function _assertTwapMatches(uint256 poolId) internal view {
        uint256 from = _oldest(poolId).timestamp;
        (uint256 expected0, uint256 expected1) = _expectedTwap(poolId, from);
        (uint256 twap0, uint256 twap1) = oracle.twapX112(poolId);
        assertEq(twap0, expected0, "price of token0");
        assertEq(twap1, expected1, "price of token1");
    }
}
