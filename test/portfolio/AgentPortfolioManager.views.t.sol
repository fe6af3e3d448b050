// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice portfolioValue, currentWeights, needsRebalance, stopTriggerable, getPortfolio, holdingOf, stopOrderOf:
/// what they return, that they value at the time-weighted price, and that the keepers' polling views answer
/// `false` rather than revert when the oracle cannot price.
contract AgentPortfolioManagerViewsTest is PortfolioTestBase {
    // ─── portfolioValue ───────────────────────────────────────────────────────────────────────

    function test_portfolioValue_valuesEachAssetAtTheOracle() public {
        uint256 id = _openBalanced();
        (uint256 total, uint256[] memory values) = pm.portfolioValue(id);
        assertEq(values.length, 3);
        assertEq(values[0], 40_000e18);
        (uint256 gpuValue,) = oracle.consult(gpuPool, address(gpu), 15_000e18);
        (uint256 llmValue,) = oracle.consult(llmPool, address(llm), 60_000e18);
        assertEq(values[1], gpuValue);
        assertEq(values[2], llmValue);
        assertEq(values[1], 30_000e18);
        assertEq(values[2], 30_000e18);
        assertEq(total, 100_000e18);
    }

    function test_portfolioValue_ignoresASpotMoveInTheSameBlock() public {
        uint256 id = _openBalanced();
        (uint256 before,) = pm.portfolioValue(id);
        // gpu's spot price halves
        _swap(carol, gpuPool, gpu, 2_100_000e18);
        (uint256 spot,) = amm.spotPrice(gpuPool);
        assertLt(spot, 1.05e18);
        (uint256 total,) = pm.portfolioValue(id);
        assertEq(total, before);
    }

    function test_portfolioValue_followsASustainedMove() public {
        uint256 id = _openBalanced();
        // gpu's price falls ~10 % and stays there for a window
        _swap(carol, gpuPool, gpu, 270_000e18);
        _advance(WINDOW);
        (, uint256[] memory values) = pm.portfolioValue(id);
        assertApproxEqRel(values[1], 27_000e18, 0.01e18);
    }

    function test_portfolioValue_revertsWhenTheOracleCannotPrice() public {
        uint256 id = _openBalanced();
        _nextBlock(2 hours);
        vm.expectPartialRevert(IComputePriceOracle.StaleObservation.selector);
        pm.portfolioValue(id);
    }

    function test_portfolioValue_revertsWhenPortfolioUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 0));
        pm.portfolioValue(0);
    }

    // ─── currentWeights ───────────────────────────────────────────────────────────────────────

    function test_currentWeights_ofABalancedPortfolio() public {
        uint256 id = _openBalanced();
        uint16[] memory weights = pm.currentWeights(id);
        assertEq(weights.length, 3);
        assertEq(weights[0], 4_000);
        assertEq(weights[1], 3_000);
        assertEq(weights[2], 3_000);
    }

    function test_currentWeights_allBaseAndEmpty() public {
        uint256 id = _openAllBase();
        uint16[] memory weights = pm.currentWeights(id);
        assertEq(weights[0], 10_000);
        assertEq(weights[1], 0);
        assertEq(weights[2], 0);
        uint256 empty = _open(bob);
        weights = pm.currentWeights(empty);
        assertEq(weights.length, 3);
        assertEq(weights[0], 0);
        assertEq(weights[1], 0);
        assertEq(weights[2], 0);
    }

    // ─── needsRebalance ───────────────────────────────────────────────────────────────────────

    function test_needsRebalance_falseInsideTheBand() public {
        uint256 id = _openBalanced();
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(drift, 0);
    }

    function test_needsRebalance_trueOutsideTheBand() public {
        uint256 id = _openAllBase();
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertTrue(due);
        assertEq(drift, 6_000);
    }

    /// @notice "Would trade now" includes the trade's loss limits: a chunk too large for its pool, or a full loss
    /// budget, is not due (rebalancePortfolio would revert), though the drift is reported.
    function test_needsRebalance_falseWhenTheTradeWouldBeRefused() public {
        uint256 big = _open(alice);
        _deposit(alice, big, base, 5_000_000e18); // a 10 % chunk is 5 % of the pool
        (bool due, uint256 drift) = pm.needsRebalance(big);
        assertFalse(due);
        assertEq(drift, 6_000);

        uint256 id = _openAllBase();
        _setLimits(id, 50, 100, 1_000); // 100 ppm: less than one chunk's ~400
        (due, drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(drift, 6_000);
        _setLimits(id, 50, 1_000, 1_000);
        (due,) = pm.needsRebalance(id);
        assertTrue(due);
    }

    function test_needsRebalance_falseWhilePaused() public {
        uint256 id = _openAllBase();
        vm.prank(guardian);
        pm.pause();
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(drift, 6_000);
    }

    function test_needsRebalance_falseForAnEmptyPortfolio() public {
        uint256 id = _open(alice);
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(drift, 0);
    }

    function test_needsRebalance_falseNotRevertWhenTheOracleIsStale() public {
        uint256 id = _openAllBase();
        _nextBlock(2 hours);
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(drift, 0);
    }

    function test_needsRebalance_falseNotRevertWhenThePriceMovedBeyondTheBand() public {
        uint256 id = _openAllBase();
        // gpu's price halves and a keeper records it: the oracle fails closed for a window
        _swap(carol, gpuPool, gpu, 2_100_000e18);
        _advance(PERIOD);
        _advance(PERIOD);
        vm.expectPartialRevert(IComputePriceOracle.PriceMovedBeyondBand.selector);
        oracle.twapX112(gpuPool);
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(drift, 0);
    }

    function test_needsRebalance_falseNotRevertWhenAPoolIsIdle() public {
        uint256 id = _openAllBase();
        // a day and more without a trade in either pool, keepers still recording
        for (uint256 i; i < 25; ++i) {
            _advance(1 hours);
        }
        vm.expectPartialRevert(IComputePriceOracle.PoolIdle.selector);
        oracle.twapX112(gpuPool);
        (bool due,) = pm.needsRebalance(id);
        assertFalse(due);
    }

    function test_needsRebalance_revertsWhenPortfolioUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 2));
        pm.needsRebalance(2);
    }

    // ─── stopTriggerable ──────────────────────────────────────────────────────────────────────

    function test_stopTriggerable_followsTheOrder() public {
        uint256 id = _openSmall();
        assertFalse(pm.stopTriggerable(id, address(gpu)), "no order");
        vm.startPrank(alice);
        pm.setStopOrder(id, address(gpu), 1.9e18, 2.1e18);
        assertFalse(pm.stopTriggerable(id, address(gpu)), "price between the two");
        pm.setStopOrder(id, address(gpu), 2e18, 0);
        assertTrue(pm.stopTriggerable(id, address(gpu)), "at the stop-loss");
        pm.setStopOrder(id, address(gpu), 0, 2e18);
        assertTrue(pm.stopTriggerable(id, address(gpu)), "at the take-profit");
        pm.setStopOrder(id, address(llm), 0, 0.5e18 + 1);
        assertFalse(pm.stopTriggerable(id, address(llm)), "just below the take-profit");
        vm.stopPrank();
        assertFalse(pm.stopTriggerable(id, address(base)), "the base token has no stop");
    }

    /// @notice "Would fire now" includes the sale: a position too large to sell within the loss limit is not
    /// triggerable (triggerStop would revert with TradeLossTooHigh), however far the price has gone.
    function test_stopTriggerable_falseWhenTheSaleWouldLoseTooMuch() public {
        uint256 id = _openBalanced(); // 15 k gpu: 0.3 % of the pool, ~60 bps lost selling it at once
        vm.prank(alice);
        pm.setStopOrder(id, address(gpu), 3e18, 0);
        assertFalse(pm.stopTriggerable(id, address(gpu)));
        vm.prank(keeperBot);
        vm.expectPartialRevert(IAgentPortfolioManager.TradeLossTooHigh.selector);
        pm.triggerStop(id, address(gpu));
        // with nothing held there is nothing to sell: triggerable
        vm.prank(alice);
        pm.withdraw(id, address(gpu), 15_000e18, alice);
        assertTrue(pm.stopTriggerable(id, address(gpu)));
    }

    function test_stopTriggerable_falseWhenTheLossBudgetIsFull() public {
        uint256 id = _openSmall();
        vm.prank(alice);
        pm.setStopOrder(id, address(gpu), 3e18, 0);
        assertTrue(pm.stopTriggerable(id, address(gpu)));
        // a 50 ppm budget cannot take the sale's ~40 bps of 1/6 of the value
        _setLimits(id, 50, 50, 1_000);
        assertFalse(pm.stopTriggerable(id, address(gpu)));
    }

    function test_stopTriggerable_falseWhilePaused() public {
        uint256 id = _openSmall();
        vm.prank(alice);
        pm.setStopOrder(id, address(gpu), 3e18, 0);
        vm.prank(guardian);
        pm.pause();
        assertFalse(pm.stopTriggerable(id, address(gpu)));
    }

    function test_stopTriggerable_falseNotRevertWhenTheOracleIsStale() public {
        uint256 id = _openSmall();
        vm.prank(alice);
        pm.setStopOrder(id, address(gpu), 3e18, 0);
        assertTrue(pm.stopTriggerable(id, address(gpu)));
        _nextBlock(2 hours);
        assertFalse(pm.stopTriggerable(id, address(gpu)));
    }

    function test_stopTriggerable_revertsWhenAssetUnknown() public {
        uint256 id = _openBalanced();
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.UnknownAsset.selector, id, address(0xD00D))
        );
        pm.stopTriggerable(id, address(0xD00D));
    }

    // ─── getPortfolio, holdingOf, stopOrderOf ─────────────────────────────────────────────────

    function test_getPortfolio_reflectsHoldingsAfterATrade() public {
        uint256 id = _openBalanced();
        vm.prank(alice);
        uint256 out = pm.executeTrade(id, _path(gpuPool), address(gpu), 1_000e18);
        IAgentPortfolioManager.PortfolioView memory v = pm.getPortfolio(id);
        assertEq(v.holdings[0], 40_000e18 + out);
        assertEq(v.holdings[1], 14_000e18);
        assertEq(v.holdings[2], 60_000e18);
        assertGt(v.lossUsedPpm, 0);
        assertEq(v.lossUpdatedAt, block.timestamp);
    }

    function test_getPortfolio_revertsWhenUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 0));
        pm.getPortfolio(0);
    }

    function test_holdingOf_zeroForATokenOutsideThePortfolio() public {
        uint256 id = _openBalanced();
        assertEq(pm.holdingOf(id, address(0xD00D)), 0);
        assertEq(pm.holdingOf(id, address(llm)), 60_000e18);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 7));
        pm.holdingOf(7, address(llm));
    }

    function test_stopOrderOf_zeroForATokenOutsideThePortfolio() public {
        uint256 id = _openBalanced();
        IAgentPortfolioManager.StopOrder memory order = pm.stopOrderOf(id, address(0xD00D));
        assertEq(order.stopLossPrice, 0);
        assertEq(order.takeProfitPrice, 0);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 7));
        pm.stopOrderOf(7, address(llm));
    }
}
