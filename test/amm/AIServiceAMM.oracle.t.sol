// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice Cumulative prices, TWAP and spot price.
contract AIServiceAMMOracleTest is AMMTestBase {
    uint256 internal constant Q112 = 2 ** 112;
    uint256 internal poolId;

    function setUp() public override {
        super.setUp();
        poolId = _createPool(token0, token1);
    }

    function test_currentCumulativePrices_zeroBeforeAnyLiquidity() public {
        _nextBlock(1 hours);
        (uint256 p0, uint256 p1, uint32 ts) = amm.currentCumulativePrices(poolId);
        assertEq(p0, 0);
        assertEq(p1, 0);
        assertEq(ts, uint32(block.timestamp));
    }

    function test_currentCumulativePrices_accrueReserveRatioTimesElapsed() public {
        _add(alice, poolId, 100e18, 400e18);
        _nextBlock(600);
        (uint256 p0, uint256 p1, uint32 ts) = amm.currentCumulativePrices(poolId);
        assertEq(p0, ((400e18 * Q112) / 100e18) * 600); // 4 token1 per token0
        assertEq(p1, ((100e18 * Q112) / 400e18) * 600);
        assertEq(ts, uint32(block.timestamp));
    }

    function test_currentCumulativePrices_viewMatchesStoredAfterTouch() public {
        _add(alice, poolId, 100e18, 400e18);
        _nextBlock(777);
        (uint256 p0, uint256 p1,) = amm.currentCumulativePrices(poolId);
        _swapIn(bob, poolId, address(token0), 1e18); // writes the accumulators
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        assertEq(pool.price0CumulativeLast, p0);
        assertEq(pool.price1CumulativeLast, p1);
        assertEq(pool.blockTimestampLast, uint32(block.timestamp));
        // Same block: the view adds nothing on top of what was stored.
        (uint256 q0, uint256 q1,) = amm.currentCumulativePrices(poolId);
        assertEq(q0, p0);
        assertEq(q1, p1);
    }

    function test_cumulativePrices_accrueOncePerBlock() public {
        _add(alice, poolId, 100e18, 400e18);
        _nextBlock(100);
        _swapIn(bob, poolId, address(token0), 1e18);
        uint256 after1 = amm.getPool(poolId).price0CumulativeLast;
        _swapIn(bob, poolId, address(token0), 1e18); // same timestamp: the price before it stood for 0 s
        assertEq(amm.getPool(poolId).price0CumulativeLast, after1);
    }

    function test_twapSince_equalsTimeWeightedReserveRatio() public {
        _add(alice, poolId, 100e18, 400e18);
        (uint256 start0,, uint32 start) = amm.currentCumulativePrices(poolId);

        // Three periods at three different prices, each price standing for a different time.
        uint256[3] memory durations = [uint256(600), 1_800, 3_600];
        uint256[3] memory prices; // UQ112x112 token1 per token0
        uint256 weighted;
        uint256 elapsed;
        for (uint256 i; i < 3; ++i) {
            (uint256 r0, uint256 r1) = _reserves(poolId);
            prices[i] = (r1 * Q112) / r0;
            _nextBlock(durations[i]);
            weighted += prices[i] * durations[i];
            elapsed += durations[i];
            if (i < 2) _swapIn(bob, poolId, address(token0), 20e18 * (i + 1));
        }

        uint256 twap = amm.twapSince(poolId, start0, start);
        uint256 expected = ((weighted / elapsed) * 1e18) / Q112;
        assertEq(twap, expected);
        // Sanity: it lies between the lowest and highest spot of the window, nearer the longest-standing one.
        assertLt(twap, (prices[0] * 1e18) / Q112);
        assertGt(twap, (prices[2] * 1e18) / Q112);
    }

    function test_twapSince_constantPriceEqualsSpot() public {
        _add(alice, poolId, 3e18, 6e18);
        (uint256 start0,, uint32 start) = amm.currentCumulativePrices(poolId);
        _nextBlock(1 days);
        assertEq(amm.twapSince(poolId, start0, start), 2e18);
    }

    function test_twapSince_revertsWhenWindowEmpty() public {
        _add(alice, poolId, 100e18, 400e18);
        (uint256 p0,, uint32 ts) = amm.currentCumulativePrices(poolId);
        vm.expectRevert(IAIServiceAMM.ZeroTwapWindow.selector);
        amm.twapSince(poolId, p0, ts);
    }

    function test_twapSince_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 2));
        amm.twapSince(2, 0, 0);
    }

    function test_currentCumulativePrices_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 2));
        amm.currentCumulativePrices(2);
    }

    function test_spotPrice_returnsBothDirections() public {
        _add(alice, poolId, 100e18, 400e18);
        (uint256 price0, uint256 price1) = amm.spotPrice(poolId);
        assertEq(price0, 4e18);
        assertEq(price1, 0.25e18);
    }

    function test_spotPrice_revertsWhenPoolEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, poolId));
        amm.spotPrice(poolId);
    }

    function test_spotPrice_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 3));
        amm.spotPrice(3);
    }

    function test_getReserves_reportsLastUpdate() public {
        _add(alice, poolId, 100e18, 400e18);
        (uint112 r0, uint112 r1, uint32 ts) = amm.getReserves(poolId);
        assertEq(r0, 100e18);
        assertEq(r1, 400e18);
        assertEq(ts, uint32(block.timestamp));
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 1));
        amm.getReserves(1);
    }
}
