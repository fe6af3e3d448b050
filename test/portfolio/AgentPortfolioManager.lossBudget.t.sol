// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice The rolling loss budget, a leaky bucket: each trade's loss against the oracle is added in ppm of the
/// portfolio's value, the bucket drains by lossBudgetPpm per lossWindow, a trade that would overflow it is refused;
/// lossUsedNow, and setRiskLimits settling the bucket.
contract AgentPortfolioManagerLossBudgetTest is PortfolioTestBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openBalanced();
        // 1,000 ppm (0.1 %) of the value per 7 days
        _setLimits(id, 50, 1_000, 1_000);
    }

    /// @dev Alice trades 10 k base into gpu: ~40 bps of 10 % of the value, ~400 ppm.
    function _trade() internal returns (uint256 lossPpm) {
        Expected memory e = _expected(id, base, gpu, 10_000e18, 50);
        vm.prank(alice);
        pm.executeTrade(id, _path(gpuPool), address(base), 10_000e18);
        return e.lossPpm;
    }

    function test_lossBudget_chargesEachTradesLoss() public {
        uint256 loss = _trade();
        assertApproxEqAbs(loss, 400, 5);
        assertEq(pm.lossUsedNow(id), loss);
        IAgentPortfolioManager.PortfolioView memory v = pm.getPortfolio(id);
        assertEq(v.lossUsedPpm, loss);
        assertEq(v.lossUpdatedAt, block.timestamp);
    }

    function test_lossBudget_drainsLinearlyOverTheWindow() public {
        uint256 loss = _trade();
        uint256 start = block.timestamp;
        vm.warp(start + 1 days);
        // 1,000 ppm × 1 day / 7 days = 142.86, rounded down
        assertEq(pm.lossUsedNow(id), loss - 142);
        vm.warp(start + 2 days);
        assertEq(pm.lossUsedNow(id), loss - 285);
        vm.warp(start + 3 days);
        assertEq(pm.lossUsedNow(id), 0, "never below empty");
        // the view drains; the stored level only changes with the next charge
        assertEq(pm.getPortfolio(id).lossUsedPpm, loss);
    }

    function test_lossBudget_chargesAddUpAfterTheDrain() public {
        uint256 first = _trade();
        _advance(1 hours);
        // 1,000 ppm × 1 hour / 7 days = 5.95 → 5
        uint256 afterDrain = first - 5;
        assertEq(pm.lossUsedNow(id), afterDrain);
        Expected memory e = _expected(id, base, llm, 10_000e18, 50);
        vm.prank(alice);
        pm.executeTrade(id, _path(llmPool), address(base), 10_000e18);
        assertEq(pm.lossUsedNow(id), afterDrain + e.lossPpm);
    }

    function test_lossBudget_refusesTheTradeThatWouldOverflowAndRefillsWithTime() public {
        // a 1-hour window: the bucket refills fast enough to watch
        IAgentPortfolioManager.RiskLimits memory limits = _limits();
        (limits.lossBudgetPpm, limits.lossWindow) = (500, 1 hours);
        vm.prank(alice);
        pm.setRiskLimits(id, limits);

        uint256 first = _trade();
        Expected memory e = _expected(id, base, llm, 10_000e18, 50);
        assertGt(first + e.lossPpm, 500);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.LossBudgetExceeded.selector, first, e.lossPpm, 500)
        );
        pm.executeTrade(id, _path(llmPool), address(base), 10_000e18);

        // 500 ppm per hour: after 45 minutes 375 have drained, enough room for the trade
        _advance(45 minutes);
        assertEq(pm.lossUsedNow(id), first - 375);
        e = _expected(id, base, llm, 10_000e18, 50);
        vm.prank(alice);
        pm.executeTrade(id, _path(llmPool), address(base), 10_000e18);
        assertEq(pm.lossUsedNow(id), first - 375 + e.lossPpm);
        assertLe(pm.lossUsedNow(id), 500);
    }

    /// @notice A trade that beats the oracle (buying gpu under its time-weighted price) still pays its fee and
    /// price impact against the spot price it could be bought at: the budget is charged that (item 5b; the TWAP
    /// alone charged nothing, so a full bucket let such trades through for free).
    function test_lossBudget_aTradeThatBeatsOnlyTheOracleIsChargedAgainstSpot() public {
        IAgentPortfolioManager.RiskLimits memory limits = _limits();
        limits.lossBudgetPpm = 400;
        vm.prank(alice);
        pm.setRiskLimits(id, limits);
        // 10 k loses ~400 ppm: trade 9 k to stay inside
        vm.prank(alice);
        pm.executeTrade(id, _path(gpuPool), address(base), 9_000e18);
        uint256 used = pm.lossUsedNow(id);
        assertLe(used, 400);
        // gpu's spot falls under its time-weighted price: buying it now beats the oracle, not the spot price
        _swap(carol, gpuPool, gpu, 100_000e18);
        _nextBlock(12);
        Expected memory e = _expected(id, base, gpu, 1_000e18, 50);
        assertGt(e.lossPpm, 0);
        // ~32 ppm (0.3 % fee and the impact on 1 k), where the TWAP alone charged 0
        assertGt(e.lossPpm, 25);
        vm.prank(alice);
        pm.executeTrade(id, _path(gpuPool), address(base), 1_000e18);
        assertEq(pm.lossUsedNow(id), used + e.lossPpm);
    }

    function test_setRiskLimits_settlesTheBucketAtTheOldRate() public {
        uint256 loss = _trade();
        vm.warp(block.timestamp + 1 days);
        // settle: 142 ppm drained at 1,000 per 7 days; from now on it drains at 1,000 per hour
        IAgentPortfolioManager.RiskLimits memory limits = _limits();
        (limits.lossBudgetPpm, limits.lossWindow) = (1_000, 1 hours);
        vm.prank(alice);
        pm.setRiskLimits(id, limits);
        assertEq(pm.lossUsedNow(id), loss - 142);
        IAgentPortfolioManager.PortfolioView memory v = pm.getPortfolio(id);
        assertEq(v.lossUsedPpm, loss - 142);
        assertEq(v.lossUpdatedAt, block.timestamp);
        vm.warp(block.timestamp + 6 minutes);
        assertEq(pm.lossUsedNow(id), loss - 142 - 100);
    }

    function test_setRiskLimits_aLoweredBudgetStartsFull() public {
        uint256 loss = _trade();
        IAgentPortfolioManager.RiskLimits memory limits = _limits();
        limits.lossBudgetPpm = 100;
        vm.prank(alice);
        pm.setRiskLimits(id, limits);
        assertLt(100, loss);
        assertEq(pm.lossUsedNow(id), 100, "held to the new budget");
        Expected memory e = _expected(id, base, llm, 1_000e18, 50);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.LossBudgetExceeded.selector, 100, e.lossPpm, 100)
        );
        pm.executeTrade(id, _path(llmPool), address(base), 1_000e18);
    }

    function test_lossUsedNow_revertsWhenPortfolioUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 9));
        pm.lossUsedNow(9);
    }
}
