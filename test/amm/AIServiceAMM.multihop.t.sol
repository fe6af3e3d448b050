// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice swapExactInput, swapExactOutput and calculateOptimalSwap through several pools.
contract AIServiceAMMMultihopTest is AMMTestBase {
    uint256 internal p01;
    uint256 internal p12;
    uint256 internal p02;

    function setUp() public override {
        super.setUp();
        p01 = _createPool(token0, token1);
        p12 = _createPool(token1, token2);
        p02 = _createPool(token0, token2);
        _add(alice, p01, 100e18, 200e18);
        _add(alice, p12, 300e18, 150e18);
        _add(alice, p02, 50e18, 80e18);
    }

    // ─── swapExactInput ───────────────────────────────────────────────────────────────────────

    function test_swapExactInput_twoHopsPaysChainedReferenceAmount() public {
        uint256 mid = _refAmountOut(1e18, 100e18, 200e18, DEFAULT_FEE);
        uint256 expected = _refAmountOut(mid, 300e18, 150e18, DEFAULT_FEE);
        uint256 bob0 = token0.balanceOf(bob);
        uint256 carol2 = token2.balanceOf(carol);
        uint256 amm1 = token1.balanceOf(address(amm));

        vm.prank(bob);
        uint256 out = amm.swapExactInput(_path(p01, p12), address(token0), 1e18, expected, carol, deadline);

        assertEq(out, expected);
        assertEq(bob0 - token0.balanceOf(bob), 1e18);
        assertEq(token2.balanceOf(carol) - carol2, out);
        assertEq(token1.balanceOf(address(amm)), amm1, "the intermediate token never leaves the AMM");
        (uint256 r0, uint256 r1) = _reserves(p01);
        assertEq(r0, 101e18);
        assertEq(r1, 200e18 - mid);
        (r0, r1) = _reserves(p12);
        assertEq(r0, 300e18 + mid);
        assertEq(r1, 150e18 - out);
        _assertBalancesCoverReserves();
    }

    function test_swapExactInput_emitsOneSwappedPerHop() public {
        uint256 mid = _refAmountOut(1e18, 100e18, 200e18, DEFAULT_FEE);
        uint256 out = _refAmountOut(mid, 300e18, 150e18, DEFAULT_FEE);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.Swapped(p01, bob, address(amm), true, 1e18, mid, 101e18, uint112(200e18 - mid));
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.Swapped(
            p12, bob, carol, true, mid, out, uint112(300e18 + mid), uint112(150e18 - out)
        );
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p12), address(token0), 1e18, 0, carol, deadline);
    }

    function test_swapExactInput_matchesQuote() public {
        uint256[] memory path = _path(p01, p12, p02); // token0 → token1 → token2 → token0
        uint256[] memory amounts = amm.calculateOptimalSwap(path, address(token0), 3e18, true);
        assertEq(amounts.length, 4);
        assertEq(amounts[0], 3e18);
        vm.prank(bob);
        uint256 out = amm.swapExactInput(path, address(token0), 3e18, 0, bob, deadline);
        assertEq(out, amounts[3]);
        _assertBalancesCoverReserves();
    }

    function test_swapExactInput_samePoolTwiceSeesItsOwnFirstHop() public {
        // token0 → token1 → token0 through the same pool: the second hop trades against the reserves the first
        // hop left, and the round trip loses both fees.
        uint256 mid = _refAmountOut(10e18, 100e18, 200e18, DEFAULT_FEE);
        uint256 expected = _refAmountOut(mid, 200e18 - mid, 110e18, DEFAULT_FEE);
        uint256[] memory quoted = amm.calculateOptimalSwap(_path(p01, p01), address(token0), 10e18, true);

        vm.prank(bob);
        uint256 out = amm.swapExactInput(_path(p01, p01), address(token0), 10e18, 0, bob, deadline);

        assertEq(out, expected);
        assertEq(quoted[1], mid);
        assertEq(quoted[2], out, "quote sees the first hop");
        assertLt(out, 10e18);
        (uint256 r0, uint256 r1) = _reserves(p01);
        assertEq(r0, 110e18 - out);
        assertEq(r1, 200e18);
        _assertBalancesCoverReserves();
    }

    function test_swapExactInput_samePoolSameDirectionTwiceMatchesQuote() public {
        // token0 → token1 (p01) → token2 (p12) → token0 (p02) → token1 (p01 again, same direction).
        uint256[] memory path = new uint256[](4);
        (path[0], path[1], path[2], path[3]) = (p01, p12, p02, p01);
        uint256[] memory quoted = amm.calculateOptimalSwap(path, address(token0), 5e18, true);
        vm.prank(bob);
        uint256 out = amm.swapExactInput(path, address(token0), 5e18, 0, bob, deadline);
        assertEq(out, quoted[4]);
    }

    function test_swapExactInput_revertsWhenPathEmpty() public {
        vm.expectRevert(IAIServiceAMM.EmptyPath.selector);
        vm.prank(bob);
        amm.swapExactInput(new uint256[](0), address(token0), 1e18, 0, bob, deadline);
    }

    function test_swapExactInput_revertsWhenAmountInIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p12), address(token0), 0, 0, bob, deadline);
    }

    function test_swapExactInput_revertsWhenRecipientIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p12), address(token0), 1e18, 0, address(0), deadline);
    }

    function test_swapExactInput_revertsWhenDeadlineExpired() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.DeadlineExpired.selector, 0, block.timestamp));
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p12), address(token0), 1e18, 0, bob, 0);
    }

    function test_swapExactInput_revertsWhenHopPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 42));
        vm.prank(bob);
        amm.swapExactInput(_path(p01, 42), address(token0), 1e18, 0, bob, deadline);
    }

    function test_swapExactInput_revertsWhenPathBroken() public {
        // After p01 the trader holds token1, which p02 does not trade.
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.TokenNotInPool.selector, p02, address(token1)));
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p02), address(token0), 1e18, 0, bob, deadline);
    }

    function test_swapExactInput_revertsWhenOutputBelowMinimum() public {
        uint256 out = amm.calculateOptimalSwap(_path(p01, p12), address(token0), 1e18, true)[2];
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, out, out + 1));
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p12), address(token0), 1e18, out + 1, bob, deadline);
    }

    function test_swapExactInput_revertsWhenHopOutputRoundsToZero() public {
        vm.expectRevert(IAIServiceAMM.InsufficientOutputAmount.selector);
        vm.prank(bob);
        amm.swapExactInput(_path(p12, p01), address(token2), 1, 0, bob, deadline);
    }

    function test_swapExactInput_revertsWhenPaused() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p12), address(token0), 1e18, 0, bob, deadline);
    }

    // ─── swapExactOutput ──────────────────────────────────────────────────────────────────────

    function test_swapExactOutput_twoHopsChargesQuotedInput() public {
        uint256[] memory amounts = amm.calculateOptimalSwap(_path(p01, p12), address(token0), 2e18, false);
        assertEq(amounts[2], 2e18);
        // Backwards: what p12 needs in token1 for 2 token2, then what p01 needs in token0 for that.
        uint256 mid = _ceilDiv(300e18 * 2e18 * 1e6, (150e18 - 2e18) * (1e6 - uint256(DEFAULT_FEE)));
        uint256 first = _ceilDiv(100e18 * mid * 1e6, (200e18 - mid) * (1e6 - uint256(DEFAULT_FEE)));
        assertEq(amounts[1], mid);
        assertEq(amounts[0], first);
        uint256 bob0 = token0.balanceOf(bob);
        uint256 carol2 = token2.balanceOf(carol);

        vm.prank(bob);
        uint256 amountIn = amm.swapExactOutput(_path(p01, p12), address(token0), 2e18, first, carol, deadline);

        assertEq(amountIn, first);
        assertEq(bob0 - token0.balanceOf(bob), first);
        assertEq(token2.balanceOf(carol) - carol2, 2e18);
        (uint256 r0, uint256 r1) = _reserves(p01);
        assertEq(r0, 100e18 + first);
        assertEq(r1, 200e18 - mid);
        (r0, r1) = _reserves(p12);
        assertEq(r0, 300e18 + mid);
        assertEq(r1, 148e18);
        _assertBalancesCoverReserves();
    }

    function test_swapExactOutput_emitsOneSwappedPerHop() public {
        uint256[] memory a = amm.calculateOptimalSwap(_path(p01, p12), address(token0), 2e18, false);
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.Swapped(
            p01, bob, address(amm), true, a[0], a[1], uint112(100e18 + a[0]), uint112(200e18 - a[1])
        );
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.Swapped(p12, bob, carol, true, a[1], 2e18, uint112(300e18 + a[1]), 148e18);
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 2e18, type(uint256).max, carol, deadline);
    }

    function test_swapExactOutput_samePoolTwice() public {
        // token0 → token1 → token0 through p01 for exactly 1 token0 out. The second hop trades against reserves
        // that the first hop moved in its favour, so it delivers the quoted output (the pool keeps the surplus).
        uint256[] memory amounts = amm.calculateOptimalSwap(_path(p01, p01), address(token0), 1e18, false);
        vm.prank(bob);
        uint256 amountIn =
            amm.swapExactOutput(_path(p01, p01), address(token0), 1e18, type(uint256).max, bob, deadline);
        assertEq(amountIn, amounts[0]);
        assertGt(amountIn, 1e18, "a round trip costs two fees");
        (uint256 r0, uint256 r1) = _reserves(p01);
        assertEq(r0, 100e18 + amountIn - 1e18);
        assertEq(r1, 200e18);
        assertGe(r0 * r1, 100e18 * 200e18);
        _assertBalancesCoverReserves();
    }

    function test_swapExactOutput_threeHops() public {
        uint256[] memory path = _path(p02, p12, p01); // token0 → token2 → token1 → token0
        uint256[] memory amounts = amm.calculateOptimalSwap(path, address(token0), 1e18, false);
        vm.prank(bob);
        uint256 amountIn = amm.swapExactOutput(path, address(token0), 1e18, type(uint256).max, bob, deadline);
        assertEq(amountIn, amounts[0]);
        _assertBalancesCoverReserves();
    }

    function test_swapExactOutput_revertsWhenPoolReusedInSameDirection() public {
        // token0 → token1 (p01) → token2 (p12) → token0 (p02) → token1 (p01 again, same direction). The backward
        // quote cannot see that the first hop already moved p01 against the last one, so the last hop is short;
        // the swap reverts instead of delivering less than asked.
        uint256[] memory path = new uint256[](4);
        (path[0], path[1], path[2], path[3]) = (p01, p12, p02, p01);
        uint256[] memory a = amm.calculateOptimalSwap(path, address(token0), 5e18, false);
        // What p01 will really deliver for the quoted input once the first hop has run:
        uint256 r0 = 100e18 + a[0];
        uint256 r1 = 200e18 - a[1];
        uint256 deliverable = _refAmountOut(a[3], r0, r1, DEFAULT_FEE);
        assertLt(deliverable, 5e18);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, deliverable, 5e18));
        vm.prank(bob);
        amm.swapExactOutput(path, address(token0), 5e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenPathEmpty() public {
        vm.expectRevert(IAIServiceAMM.EmptyPath.selector);
        vm.prank(bob);
        amm.swapExactOutput(new uint256[](0), address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenAmountOutIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAmount.selector);
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 0, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenRecipientIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 1e18, type(uint256).max, address(0), deadline);
    }

    function test_swapExactOutput_revertsWhenDeadlineExpired() public {
        uint256 expired = block.timestamp - 60;
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.DeadlineExpired.selector, expired, block.timestamp)
        );
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 1e18, type(uint256).max, bob, expired);
    }

    function test_swapExactOutput_revertsWhenHopPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 77));
        vm.prank(bob);
        amm.swapExactOutput(_path(77, p12), address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenPathBroken() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.TokenNotInPool.selector, p12, address(token0)));
        vm.prank(bob);
        amm.swapExactOutput(_path(p12, p01), address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenInputAboveMaximum() public {
        uint256 amountIn = amm.calculateOptimalSwap(_path(p01, p12), address(token0), 1e18, false)[0];
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, amountIn, amountIn - 1)
        );
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 1e18, amountIn - 1, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenOutputNotBelowLastReserve() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, p12));
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 150e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenIntermediateOutputNotBelowReserve() public {
        // 140 token2 out of p12 needs more token1 than p01 holds.
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InsufficientLiquidity.selector, p01));
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 140e18, type(uint256).max, bob, deadline);
    }

    function test_swapExactOutput_revertsWhenPaused() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _assertBalancesCoverReserves() internal view {
        (uint256 a0, uint256 a1) = _reserves(p01);
        (uint256 b1, uint256 b2) = _reserves(p12);
        (uint256 c0, uint256 c2) = _reserves(p02);
        assertEq(token0.balanceOf(address(amm)), a0 + c0);
        assertEq(token1.balanceOf(address(amm)), a1 + b1);
        assertEq(token2.balanceOf(address(amm)), b2 + c2);
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a + b - 1) / b;
    }
}
