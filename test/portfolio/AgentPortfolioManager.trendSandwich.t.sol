// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice Item 5b: a sandwich of a rebalance in a trend. gpu rises period after period, so its spot price stands
/// above its time-weighted price; the portfolio is overweight gpu and the rebalance sells gpu. The attacker
/// (`dave`) sells gpu first, pushing the spot price down towards the TWAP, the keeper rebalances, and the attacker
/// buys back exactly the gpu he sold (an exact-output swap): his gain is the base he keeps, at the spot price after
/// his own trade back. The portfolio's real loss is measured against the spot price before the attack (what its gpu
/// could have been sold for), and compared with the loss its budget recorded.
contract AgentPortfolioManagerTrendSandwichTest is PortfolioTestBase {
    address internal attacker;

    struct Outcome {
        bool executed;
        bytes4 refusal;
        int256 attackerPnl; // base, the attacker's gpu back where it was
        uint256 amountIn; // gpu the portfolio sold
        uint256 amountOut; // base it received
        uint256 realLoss; // base: amountIn at the pre-attack spot price − amountOut (0 when it beat it)
        uint256 realLossPpm; // realLoss in ppm of the portfolio's value
        uint256 recordedPpm; // what the loss budget recorded
        uint256 preBlockSpotX112; // gpu's spot price at the start of the rebalance's block
        uint256 twapX112; // gpu's TWAP there
    }

    function setUp() public override {
        super.setUp();
        attacker = dave;
    }

    /// @dev gpu rises in `steps` periods, each by carol buying gpu with `stepBase` base, the oracle recorded at every
    /// period (its spot ends above its TWAP); then the targets make gpu overweight so that a rebalance sells gpu.
    function _trend(uint256 steps, uint256 stepBase) internal returns (uint256 id) {
        // 1 M base worth on target (400 k base, 150 k gpu, 600 k llm); 150 bps a trade, so that a 10 % chunk
        // (1 % of the pool) fits
        id = _open(alice);
        _deposit(alice, id, base, 400_000e18);
        _deposit(alice, id, gpu, 150_000e18);
        _deposit(alice, id, llm, 600_000e18);
        _setLimits(id, 150, 100_000, 1_000);
        for (uint256 k; k < steps; ++k) {
            _swap(carol, gpuPool, base, stepBase);
            _advance(PERIOD);
        }
        vm.prank(alice);
        pm.setTargets(id, _weights(5_000, 2_000, 3_000));
        // the keeper's rebalance comes in a new block
        _nextBlock(12);
    }

    /// @dev gpu's spot price in base, UQ112.112, from the reserves.
    function _spotX112() internal view returns (uint256) {
        (uint256 rGpu, uint256 rBase) = _poolReserves(gpuPool, gpu);
        return (rBase << 112) / rGpu;
    }

    /// @dev The sandwich, state restored afterwards. `frontRun` gpu sold by the attacker before the rebalance
    /// (0: none, the honest rebalance); `crossBlock`: the attacker's front-run is in the block before the rebalance
    /// (he holds the pushed price across a block boundary; nobody arbitrages it back in this test).
    function _sandwich(uint256 id, uint256 frontRun, bool crossBlock) internal returns (Outcome memory o) {
        uint256 snapshot = vm.snapshotState();
        uint256 spotBefore = _spotX112();
        (uint256 total,) = pm.portfolioValue(id);
        uint256 usedBefore = pm.lossUsedNow(id);
        uint256 baseBefore = base.balanceOf(attacker);
        uint256 gpuBefore = gpu.balanceOf(attacker);
        if (frontRun != 0) _swap(attacker, gpuPool, gpu, frontRun);
        if (crossBlock) _nextBlock(12);
        (o.preBlockSpotX112, o.twapX112) = (_spotX112(), _priceOf(gpu));
        vm.prank(keeperBot);
        try pm.rebalancePortfolio(id) returns (uint256 amountIn, uint256 amountOut) {
            o.executed = true;
            (o.amountIn, o.amountOut) = (amountIn, amountOut);
            uint256 worth = Math.mulDiv(amountIn, spotBefore, Q112);
            o.realLoss = worth > amountOut ? worth - amountOut : 0;
            o.realLossPpm = o.realLoss * PPM / total;
            o.recordedPpm = pm.lossUsedNow(id) - usedBefore;
        } catch (bytes memory reason) {
            o.refusal = bytes4(reason);
        }
        if (frontRun != 0) {
            // buy back exactly the gpu sold: the attacker ends with the gpu he began with, his gain all in base
            vm.prank(attacker);
            amm.swapExactOutputSingle(gpuPool, address(base), frontRun, type(uint256).max, attacker, deadline);
        }
        assertEq(gpu.balanceOf(attacker), gpuBefore);
        o.attackerPnl = int256(base.balanceOf(attacker)) - int256(baseBefore);
        vm.revertToState(snapshot);
    }

    /// @dev The largest front-run (gpu) after which the rebalance still executes, by bisection up to `cap`.
    function _largestExecutingFrontRun(uint256 id, uint256 cap, bool crossBlock)
        internal
        returns (uint256 lo)
    {
        uint256 hi = cap;
        if (_sandwich(id, hi, crossBlock).executed) return hi;
        while (hi - lo > 1e15) {
            uint256 mid = (lo + hi) / 2;
            if (_sandwich(id, mid, crossBlock).executed) lo = mid;
            else hi = mid;
        }
    }

    function _log(string memory label, Outcome memory o) internal pure {
        console.log(label);
        console.log("  executed", o.executed);
        console.log("  attacker pnl (base, 1e-3)", o.attackerPnl >= 0 ? uint256(o.attackerPnl) / 1e15 : 0);
        console.log("  attacker loss (base, 1e-3)", o.attackerPnl < 0 ? uint256(-o.attackerPnl) / 1e15 : 0);
        console.log("  portfolio real loss vs pre-attack spot (ppm of value)", o.realLossPpm);
        console.log("  loss recorded by the budget (ppm)", o.recordedPpm);
    }

    /// @notice Figures on a ~4 % trend (6 periods of 100 k base buying gpu), logged for the report.
    function test_trendSandwich_figures() public {
        uint256 id = _trend(6, 100_000e18);
        (uint256 gpuTwap,) = oracle.consult(gpuPool, address(gpu), 1e18);
        console.log("gpu TWAP (base per gpu, 1e-6)", gpuTwap / 1e12);
        console.log("gpu spot (base per gpu, 1e-6)", Math.mulDiv(1e18, _spotX112(), Q112) / 1e12);
        _log("honest rebalance", _sandwich(id, 0, false));
        uint256 bestCross = _largestExecutingFrontRun(id, 500_000e18, true);
        console.log("largest cross-block front-run (gpu)", bestCross / 1e18);
        _log("cross-block sandwich at it", _sandwich(id, bestCross, true));
    }

    /// @notice The sandwich inside one block, on a ~4 % trend, at every front-run size up to 10 % of the pool: the
    /// rebalance is refused ({PoolTradedThisBlock}), so the attacker's round trip only costs him fees. Before the
    /// fix the rebalance executed after a front-run of up to ~95 k gpu, the attacker kept ~2,852 base, and the
    /// portfolio lost 5,326 ppm of its value against the pre-attack spot price while its budget recorded 1,500 ppm
    /// (the `assertFalse(executed)` and the `pnl < 0` assertions fail there).
    function test_attack_sameBlockTrendSandwichIsRefused() public {
        uint256 id = _trend(6, 100_000e18);
        Outcome memory honest = _sandwich(id, 0, false);
        assertTrue(honest.executed, "the honest rebalance runs in a trend");
        assertGe(honest.recordedPpm, honest.realLossPpm, "and its budget records its loss against spot");
        for (uint256 x = 1_000e18; x <= 500_000e18; x = x * 3 / 2) {
            Outcome memory o = _sandwich(id, x, false);
            assertFalse(o.executed, "a rebalance after a same-block front-run is refused");
            assertEq(o.refusal, IAgentPortfolioManager.PoolTradedThisBlock.selector);
            assertLt(o.attackerPnl, 0, "the attacker only pays fees");
        }
    }

    /// @notice The honest rebalance in a trend books its loss against the pre-block spot price (its fee and price
    /// impact), where the TWAP alone booked nothing (it sold above the average): before the fix `recordedPpm` was 0
    /// against a real loss of 1,336 ppm.
    function test_trendRebalance_booksItsLossAgainstSpot() public {
        uint256 id = _trend(6, 100_000e18);
        Outcome memory honest = _sandwich(id, 0, false);
        assertTrue(honest.executed);
        assertGt(honest.realLossPpm, 1_000);
        assertGe(honest.recordedPpm, honest.realLossPpm);
        assertLe(honest.recordedPpm, honest.realLossPpm + 1, "within rounding");
    }

    /// @notice The attacker holds his push across a block boundary (no arbitrageur in between here, the worst case
    /// for the portfolio): the rebalance's reference is then the better of the TWAP and the pushed pre-block spot,
    /// so the fill stays within the loss limit of the TWAP (the old bound), and the budget records at least the loss
    /// against the spot price before the block. What the attacker can take this way is bounded by the trend gap
    /// plus the loss limit, and costs him a block of exposure to arbitrage: the residual, see the report.
    function test_crossBlockSandwich_isHeldToTheTwapAndBookedAgainstPreBlockSpot() public {
        uint256 id = _trend(6, 100_000e18);
        uint256 best = _largestExecutingFrontRun(id, 500_000e18, true);
        Outcome memory o = _sandwich(id, best, true);
        assertTrue(o.executed);
        uint256 worthAtTwap = Math.mulDiv(o.amountIn, o.twapX112, Q112);
        uint256 worthAtPreBlockSpot = Math.mulDiv(o.amountIn, o.preBlockSpotX112, Q112);
        assertGe(o.amountOut * BPS, worthAtTwap * (BPS - 150), "within the limit of the TWAP");
        assertGe(o.amountOut * BPS, worthAtPreBlockSpot * (BPS - 150), "and of the pre-block spot");
        (uint256 total,) = pm.portfolioValue(id);
        uint256 lossVsPreBlock = worthAtPreBlockSpot > o.amountOut ? worthAtPreBlockSpot - o.amountOut : 0;
        assertGe(o.recordedPpm + 1, lossVsPreBlock * PPM / total, "booked against the pre-block spot");
        // the residual: no more than the trend gap (spot before the attack over the TWAP) plus the limit
        uint256 gap = Math.mulDiv(o.amountIn, _spotX112() - o.twapX112, Q112);
        assertLe(o.attackerPnl, int256(gap + worthAtTwap * 150 / BPS));
    }

    /// @notice Fuzz: trend size (0 to ~10 %, up or down), sandwich size (up to 10 % of the pool), same block or
    /// across one. In the same block the rebalance never executes after a front-run; whenever it executes, its fill
    /// is within the loss limit of the TWAP and of the spot price before its block, and the budget records at least
    /// its loss against that spot price (within a ppm of rounding).
    function testFuzz_trendSandwich_refusedInBlockAndBookedHonestly(
        uint256 stepSeed,
        bool down,
        uint256 frontRunSeed,
        bool crossBlock
    ) public {
        // no trend, or steps large enough for the AMM to pay something for them (up to ~5 % a period)
        uint256 step = stepSeed % 4 == 0 ? 0 : bound(stepSeed, 1e18, 250_000e18);
        uint256 id = _open(alice);
        _deposit(alice, id, base, 400_000e18);
        _deposit(alice, id, gpu, 150_000e18);
        _deposit(alice, id, llm, 600_000e18);
        _setLimits(id, 150, 100_000, 1_000);
        for (uint256 k; k < 6 && step != 0; ++k) {
            if (down) _swap(carol, gpuPool, gpu, step / 2);
            else _swap(carol, gpuPool, base, step);
            _advance(PERIOD);
        }
        // gpu overweight after a rise, underweight after a fall: the rebalance sells or buys it
        vm.prank(alice);
        pm.setTargets(id, down ? _weights(2_000, 5_000, 3_000) : _weights(5_000, 2_000, 3_000));
        _nextBlock(12);
        // none, or a front-run large enough for the AMM to pay something for it
        uint256 frontRun = frontRunSeed % 4 == 0 ? 0 : bound(frontRunSeed, 1e15, 500_000e18);
        // the front-run pushes against the portfolio: down on what it sells, up on what it buys
        if (frontRun != 0) _swap(attacker, gpuPool, down ? base : gpu, frontRun);
        if (crossBlock) _nextBlock(12);
        _checkRebalance(id, !down, frontRun != 0 && !crossBlock);
    }

    /// @dev Rebalances and checks the fill and the booking against the spot price before the block and the TWAP.
    function _checkRebalance(uint256 id, bool sellsGpu, bool afterSameBlockFrontRun) internal {
        (uint256 total,) = pm.portfolioValue(id);
        uint256 usedBefore = pm.lossUsedNow(id);
        uint256[2] memory prices = [_spotX112(), _priceOf(gpu)];
        vm.prank(keeperBot);
        try pm.rebalancePortfolio(id) returns (uint256 amountIn, uint256 amountOut) {
            assertFalse(afterSameBlockFrontRun, "never after a same-block front-run");
            uint256 recorded = pm.lossUsedNow(id) - usedBefore;
            for (uint256 r; r < 2; ++r) {
                // value in and out at the reference (base: 1)
                (uint256 valueIn, uint256 valueOut) = sellsGpu
                    ? (Math.mulDiv(amountIn, prices[r], Q112), amountOut)
                    : (amountIn, Math.mulDiv(amountOut, prices[r], Q112));
                assertGe(valueOut * BPS + BPS, valueIn * (BPS - 150), "within the limit of spot and TWAP");
                if (valueIn > valueOut) assertGe(recorded + 1, (valueIn - valueOut) * PPM / total, "booked");
            }
        } catch (bytes memory reason) {
            bytes4 sel = bytes4(reason);
            if (afterSameBlockFrontRun) {
                assertEq(sel, IAgentPortfolioManager.PoolTradedThisBlock.selector);
            } else {
                assertTrue(
                    sel == IAgentPortfolioManager.TradeLossTooHigh.selector
                        || sel == IAgentPortfolioManager.LossBudgetExceeded.selector
                        || sel == IAgentPortfolioManager.WithinDriftBand.selector,
                    "refused only for its loss or drift"
                );
            }
        }
    }
}
