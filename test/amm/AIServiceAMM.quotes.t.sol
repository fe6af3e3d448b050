// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice getAmountOut, getAmountIn, calculateOptimalSwap and optimalSingleSidedSwap.
contract AIServiceAMMQuotesTest is AMMTestBase {
    uint256 internal poolId;

    function setUp() public override {
        super.setUp();
        poolId = _seededPool(100e18, 400e18);
    }

    function test_getAmountOut_matchesReferenceAndExecution() public {
        uint256 quoted = amm.getAmountOut(poolId, address(token1), 7e18);
        assertEq(quoted, _refAmountOut(7e18, 400e18, 100e18, DEFAULT_FEE));
        assertEq(_swapIn(bob, poolId, address(token1), 7e18), quoted);
    }

    function test_getAmountIn_isTheLeastInputThatBuysTheOutput() public view {
        uint256 amountIn = amm.getAmountIn(poolId, address(token1), 3e18);
        assertGe(amm.getAmountOut(poolId, address(token1), amountIn), 3e18);
        assertLt(amm.getAmountOut(poolId, address(token1), amountIn - 1), 3e18);
    }

    function test_getAmountOut_revertsWhenAmountIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        amm.getAmountOut(poolId, address(token0), 0);
    }

    function test_getAmountOut_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 6));
        amm.getAmountOut(6, address(token0), 1e18);
    }

    function test_getAmountOut_revertsWhenTokenNotInPool() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.TokenNotInPool.selector, poolId, address(token2))
        );
        amm.getAmountOut(poolId, address(token2), 1e18);
    }

    function test_getAmountOut_revertsWhenPoolEmpty() public {
        uint256 empty = _createPool(token1, token2);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, empty));
        amm.getAmountOut(empty, address(token1), 1e18);
    }

    function test_getAmountOut_revertsWhenOutputRoundsToZero() public {
        vm.expectRevert(IAIServiceAMM.InsufficientOutputAmount.selector);
        amm.getAmountOut(poolId, address(token1), 1);
    }

    function test_getAmountIn_revertsWhenOutputNotBelowReserve() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, poolId));
        amm.getAmountIn(poolId, address(token1), 100e18);
    }

    function test_getAmountIn_revertsWhenAmountIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        amm.getAmountIn(poolId, address(token1), 0);
    }

    function test_calculateOptimalSwap_revertsWhenPathEmpty() public {
        vm.expectRevert(IAIServiceAMM.EmptyPath.selector);
        amm.calculateOptimalSwap(new uint256[](0), address(token0), 1e18, true);
        vm.expectRevert(IAIServiceAMM.EmptyPath.selector);
        amm.calculateOptimalSwap(new uint256[](0), address(token0), 1e18, false);
    }

    function test_calculateOptimalSwap_singleHopEqualsSingleQuotes() public view {
        uint256[] memory exactIn = amm.calculateOptimalSwap(_path(poolId), address(token0), 2e18, true);
        assertEq(exactIn[0], 2e18);
        assertEq(exactIn[1], amm.getAmountOut(poolId, address(token0), 2e18));
        uint256[] memory exactOut = amm.calculateOptimalSwap(_path(poolId), address(token0), 2e18, false);
        assertEq(exactOut[1], 2e18);
        assertEq(exactOut[0], amm.getAmountIn(poolId, address(token0), 2e18));
    }

    // ─── optimalSingleSidedSwap ───────────────────────────────────────────────────────────────

    function test_optimalSingleSidedSwap_depositsWithAlmostNothingLeft() public {
        uint256 amountIn = 10e18;
        uint256 swapAmount = amm.optimalSingleSidedSwap(poolId, address(token0), amountIn);
        // Close to half, a little more because the swap moves the price and pays the fee.
        assertGt(swapAmount, 4.8e18);
        assertLt(swapAmount, 5e18);
        uint256 out = _swapIn(bob, poolId, address(token0), swapAmount);
        vm.prank(bob);
        (uint256 used0, uint256 used1,) =
            amm.addLiquidity(poolId, amountIn - swapAmount, out, 0, 0, bob, deadline);
        // Leftover below a millionth of the deposit on either side.
        assertLe(amountIn - swapAmount - used0, amountIn / 1e6);
        assertLe(out - used1, out / 1e6);
    }

    function test_optimalSingleSidedSwap_zeroAmountIsZero() public view {
        assertEq(amm.optimalSingleSidedSwap(poolId, address(token0), 0), 0);
    }

    function test_optimalSingleSidedSwap_revertsWhenPoolEmpty() public {
        uint256 empty = _createPool(token1, token2);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, empty));
        amm.optimalSingleSidedSwap(empty, address(token2), 1e18);
    }

    function test_optimalSingleSidedSwap_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 11));
        amm.optimalSingleSidedSwap(11, address(token0), 1e18);
    }

    function test_optimalSingleSidedSwap_revertsWhenTokenNotInPool() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.TokenNotInPool.selector, poolId, address(token2))
        );
        amm.optimalSingleSidedSwap(poolId, address(token2), 1e18);
    }
}
