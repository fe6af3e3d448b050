// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice Property tests of the AMM as deployed (not just its math library).
contract AIServiceAMMFuzzTest is AMMTestBase {
    uint256 internal constant MIN_RESERVE = 1e4;
    uint256 internal constant MAX_RESERVE = 1e30;

    uint256 internal poolId;

    function setUp() public override {
        super.setUp();
        poolId = _createPool(token0, token1);
        token0.mint(bob, 1e33);
        token1.mint(bob, 1e33);
    }

    function _seed(uint256 r0, uint256 r1, uint256 fee) internal returns (uint256, uint256, uint24) {
        r0 = bound(r0, MIN_RESERVE, MAX_RESERVE);
        r1 = bound(r1, MIN_RESERVE, MAX_RESERVE);
        uint24 f = uint24(bound(fee, 0, amm.MAX_FEE()));
        amm.setFeeBounds(poolId, IAIServiceAMM.FeeBounds({minFee: f, maxFee: f, maxStep: 0, minInterval: 0}));
        _add(alice, poolId, r0, r1);
        return (r0, r1, f);
    }

    /// @dev Swap output equals an independent reference formula; reserves and balances follow; k never falls.
    function testFuzz_swapExactInputSingle_matchesReference(
        uint256 r0,
        uint256 r1,
        uint256 fee,
        uint256 amountIn,
        bool zeroForOne
    ) public {
        uint24 f;
        (r0, r1, f) = _seed(r0, r1, fee);
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (r0, r1) : (r1, r0);
        amountIn = bound(amountIn, 1, reserveIn * 10);
        uint256 expected = _refAmountOut(amountIn, reserveIn, reserveOut, f);
        address tokenIn = zeroForOne ? address(token0) : address(token1);

        vm.prank(bob);
        if (expected == 0) {
            vm.expectRevert(IAIServiceAMM.InsufficientOutputAmount.selector);
            amm.swapExactInputSingle(poolId, tokenIn, amountIn, 0, bob, deadline);
            return;
        }
        uint256 out = amm.swapExactInputSingle(poolId, tokenIn, amountIn, 0, bob, deadline);

        assertEq(out, expected);
        (uint256 n0, uint256 n1) = _reserves(poolId);
        assertEq(n0, zeroForOne ? r0 + amountIn : r0 - out);
        assertEq(n1, zeroForOne ? r1 - out : r1 + amountIn);
        assertGe(n0 * n1, r0 * r1, "k fell");
        assertEq(token0.balanceOf(address(amm)), n0);
        assertEq(token1.balanceOf(address(amm)), n1);
    }

    /// @dev Exact-out charges the least input that buys the output (checked against the reference formula).
    function testFuzz_swapExactOutputSingle_chargesLeastSufficientInput(
        uint256 r0,
        uint256 r1,
        uint256 fee,
        uint256 amountOut,
        bool zeroForOne
    ) public {
        uint24 f;
        (r0, r1, f) = _seed(r0, r1, fee);
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (r0, r1) : (r1, r0);
        amountOut = bound(amountOut, 1, (reserveOut * 9) / 10); // keeps the input within uint112 and bob's means
        address tokenIn = zeroForOne ? address(token0) : address(token1);

        vm.prank(bob);
        uint256 amountIn =
            amm.swapExactOutputSingle(poolId, tokenIn, amountOut, type(uint256).max, bob, deadline);

        assertGe(
            _refAmountOut(amountIn, reserveIn, reserveOut, f), amountOut, "input does not buy the output"
        );
        assertLt(_refAmountOut(amountIn - 1, reserveIn, reserveOut, f), amountOut, "one unit less would do");
        (uint256 n0, uint256 n1) = _reserves(poolId);
        assertGe(n0 * n1, r0 * r1, "k fell");
    }

    /// @dev Exact in then exact out of the same size, from the same state, agree: paying what exact-out asks for
    /// gets at least the amount, and asking exact-out for what exact-in paid never costs more than was paid.
    function testFuzz_exactInAndExactOut_roundTrip(uint256 r0, uint256 r1, uint256 fee, uint256 amountIn)
        public
    {
        (r0, r1,) = _seed(r0, r1, fee);
        amountIn = bound(amountIn, 1, r0 * 10);
        uint256 snapshot = vm.snapshotState();
        uint256 out;
        vm.prank(bob);
        try amm.swapExactInputSingle(poolId, address(token0), amountIn, 0, bob, deadline) returns (
            uint256 o
        ) {
            out = o;
        } catch {
            return; // output rounds to zero: nothing to round-trip
        }
        vm.revertToState(snapshot);
        vm.prank(bob);
        uint256 paid =
            amm.swapExactOutputSingle(poolId, address(token0), out, type(uint256).max, bob, deadline);
        assertLe(paid, amountIn);
    }

    /// @dev Trading token0 → token1 → token0 never returns more than went in.
    function testFuzz_swapRoundTrip_neverProfits(uint256 r0, uint256 r1, uint256 fee, uint256 amountIn)
        public
    {
        (r0, r1,) = _seed(r0, r1, fee);
        amountIn = bound(amountIn, 1, r0 * 10);
        vm.startPrank(bob);
        try amm.swapExactInputSingle(poolId, address(token0), amountIn, 0, bob, deadline) returns (
            uint256 mid
        ) {
            try amm.swapExactInputSingle(poolId, address(token1), mid, 0, bob, deadline) returns (
                uint256 back
            ) {
                assertLe(back, amountIn);
            } catch {}
        } catch {}
        vm.stopPrank();
    }

    /// @dev Depositing and withdrawing at once never returns more of either token than was deposited.
    function testFuzz_addRemove_neverReturnsMoreThanDeposited(
        uint256 r0,
        uint256 r1,
        uint256 fee,
        uint256 a0,
        uint256 a1,
        bool withProtocolFee
    ) public {
        if (withProtocolFee) _enableProtocolFee();
        (r0, r1,) = _seed(r0, r1, fee);
        _swapIn(carol, poolId, address(token0), r0 / 3 + 1); // some fees in the pool first
        a0 = bound(a0, 1, MAX_RESERVE);
        a1 = bound(a1, 1, MAX_RESERVE);
        vm.prank(bob);
        try amm.addLiquidity(poolId, a0, a1, 0, 0, bob, deadline) returns (
            uint256 in0, uint256 in1, uint256 shares
        ) {
            assertLe(in0, a0);
            assertLe(in1, a1);
            vm.prank(bob);
            try amm.removeLiquidity(poolId, shares, 0, 0, bob, deadline) returns (
                uint256 out0, uint256 out1
            ) {
                assertLe(out0, in0);
                assertLe(out1, in1);
            } catch (bytes memory reason) {
                assertEq(bytes4(reason), IAIServiceAMM.InsufficientLiquidityBurned.selector);
            }
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            assertTrue(
                selector == IAIServiceAMM.ZeroAmount.selector
                    || selector == IAIServiceAMM.InsufficientLiquidityMinted.selector,
                "unexpected revert"
            );
        }
    }

    /// @dev The first depositor gets back exactly the deposit less the locked minimum's pro-rata part.
    function testFuzz_firstDeposit_removeAllReturnsDepositLessLockedPart(uint256 a0, uint256 a1) public {
        a0 = bound(a0, 1e4, MAX_RESERVE);
        a1 = bound(a1, 1e4, MAX_RESERVE);
        uint256 shares = _add(alice, poolId, a0, a1);
        uint256 total = shares + MINIMUM_LIQUIDITY;
        (uint256 out0, uint256 out1) = _remove(alice, poolId, shares);
        assertEq(out0, (shares * a0) / total);
        assertEq(out1, (shares * a1) / total);
        assertLe(out0, a0);
        assertLe(out1, a1);
    }

    /// @dev The pool's quotes are what execution pays: getAmountOut for exact-in, getAmountIn for exact-out.
    function testFuzz_quotes_matchExecution(uint256 r0, uint256 r1, uint256 fee, uint256 amount, bool exactIn)
        public
    {
        (r0, r1,) = _seed(r0, r1, fee);
        vm.startPrank(bob);
        if (exactIn) {
            amount = bound(amount, 1, r0 * 10);
            try amm.getAmountOut(poolId, address(token0), amount) returns (uint256 quoted) {
                assertEq(
                    amm.swapExactInputSingle(poolId, address(token0), amount, quoted, bob, deadline), quoted
                );
            } catch {}
        } else {
            amount = bound(amount, 1, (r1 * 9) / 10);
            uint256 quoted = amm.getAmountIn(poolId, address(token0), amount);
            assertEq(
                amm.swapExactOutputSingle(poolId, address(token0), amount, quoted, bob, deadline), quoted
            );
        }
        vm.stopPrank();
    }

    /// @dev Swapping optimalSingleSidedSwap's amount first, then depositing the rest with the output, leaves
    /// (almost) nothing over: at most a millionth of the deposit plus a couple of units of rounding.
    function testFuzz_optimalSingleSidedSwap_leavesNoLeftover(
        uint256 r0,
        uint256 r1,
        uint256 fee,
        uint256 amountIn,
        bool fromToken0
    ) public {
        (r0, r1,) = _seed(r0, r1, fee);
        (uint256 reserveIn, uint256 reserveOut) = fromToken0 ? (r0, r1) : (r1, r0);
        amountIn = bound(amountIn, 1, reserveIn * 10);
        uint256 swapAmount =
            amm.optimalSingleSidedSwap(poolId, fromToken0 ? address(token0) : address(token1), amountIn);
        assertLe(swapAmount, amountIn);
        if (_refAmountOut(swapAmount, reserveIn, reserveOut, amm.getPool(poolId).fee) == 0) return;

        _swapThenDeposit(fromToken0, amountIn, swapAmount);
    }

    function _swapThenDeposit(bool fromToken0, uint256 amountIn, uint256 swapAmount) internal {
        vm.prank(bob);
        uint256 out = amm.swapExactInputSingle(
            poolId, fromToken0 ? address(token0) : address(token1), swapAmount, 0, bob, deadline
        );
        (uint256 desired0, uint256 desired1) =
            fromToken0 ? (amountIn - swapAmount, out) : (out, amountIn - swapAmount);
        vm.prank(bob);
        try amm.addLiquidity(poolId, desired0, desired1, 0, 0, bob, deadline) returns (
            uint256 used0, uint256 used1, uint256
        ) {
            _assertLittleLeft(fromToken0, desired0 - used0, desired1 - used1, amountIn, out);
        } catch (bytes memory reason) {
            // Only when the remainder is too small to be worth a share.
            bytes4 selector = bytes4(reason);
            assertTrue(
                selector == IAIServiceAMM.ZeroAmount.selector
                    || selector == IAIServiceAMM.InsufficientLiquidityMinted.selector,
                "unexpected revert"
            );
        }
    }

    /// @dev The leftover, valued in token-in at the final price, is at most a millionth of the deposit plus a few
    /// units of the coarser token. The units come from integer rounding of the swap output and the deposit quote;
    /// a unit error in the output shifts the ideal split by (1 + out / reserveOut) units, hence that term.
    function _assertLittleLeft(bool fromToken0, uint256 left0, uint256 left1, uint256 amountIn, uint256 out)
        internal
        view
    {
        (uint256 n0, uint256 n1) = _reserves(poolId);
        (uint256 nIn, uint256 nOut) = fromToken0 ? (n0, n1) : (n1, n0);
        (uint256 leftIn, uint256 leftOut) = fromToken0 ? (left0, left1) : (left1, left0);
        uint256 unitOutInTokenIn = nIn / nOut + 1;
        uint256 leftValue = leftIn + (leftOut * nIn) / nOut;
        uint256 tolerance = amountIn / 1e6 + unitOutInTokenIn * (4 + (2 * out) / (nOut - out)) + 4;
        assertLe(leftValue, tolerance, "left over");
    }
}
