// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice triggerStop: stop-loss and take-profit on the time-weighted price, for an asset on either side of its
/// pool; the sale, the move of the target weight to the base token, the cleared order, and every refusal.
/// Manipulation (a one-block spot move) is in AgentPortfolioManager.attacks.t.sol.
contract AgentPortfolioManagerStopsTest is PortfolioTestBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        // 40 k base, 5 k gpu (10 k base), 20 k llm (10 k base): small enough positions to sell within 50 bps
        id = _openSmall();
    }

    function test_triggerStop_stopLossSellsTheWholeHoldingIntoBase() public {
        uint256 price = _unitPrice(gpuPool, gpu);
        assertEq(price, 2e18);
        _setStop(gpu, uint128(price), 0); // at or below: fires at the price itself
        Expected memory e = _expected(id, gpu, base, 5_000e18, 50);

        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.StopOrderSet(id, address(gpu), 0, 0);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.TargetsSet(id, _weights(7_000, 0, 3_000));
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.StopTriggered(id, address(gpu), price, true);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Traded(
            id,
            IAgentPortfolioManager.TradeKind.StopLoss,
            keeperBot,
            address(gpu),
            address(base),
            5_000e18,
            e.amountOut,
            10_000e18,
            e.lossPpm
        );
        vm.expectCall(
            address(amm),
            abi.encodeCall(
                IAIServiceAMM.swapExactInputSingle,
                (gpuPool, address(gpu), 5_000e18, e.minOut, address(pm), block.timestamp)
            )
        );
        vm.prank(keeperBot);
        uint256 out = pm.triggerStop(id, address(gpu));

        assertEq(out, e.amountOut);
        assertEq(_holding(id, gpu), 0);
        assertEq(_holding(id, base), 40_000e18 + out);
        uint16[] memory targets = pm.getPortfolio(id).targetWeightsBps;
        assertEq(targets[0], 7_000, "gpu's weight moved to the base token");
        assertEq(targets[1], 0);
        assertEq(targets[2], 3_000);
        IAgentPortfolioManager.StopOrder memory order = pm.stopOrderOf(id, address(gpu));
        assertEq(order.stopLossPrice, 0);
        assertEq(order.takeProfitPrice, 0);
        assertFalse(pm.stopTriggerable(id, address(gpu)));
        _assertCustody(_ids(id));
    }

    function test_triggerStop_afterwardsRebalancingDoesNotBuyTheAssetBack() public {
        // on target: 40 k base, 10 k of gpu, 10 k of llm
        vm.prank(alice);
        pm.setTargets(id, _weights(6_666, 1_667, 1_667));
        _setStop(gpu, 3e18, 0);
        vm.prank(keeperBot);
        pm.triggerStop(id, address(gpu));
        // targets 83.33/0/16.67 against weights ~83.3/0/16.7
        assertEq(pm.getPortfolio(id).targetWeightsBps[0], 8_333);
        (bool due,) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(_holding(id, gpu), 0);
    }

    function test_triggerStop_takeProfit() public {
        uint256 price = _unitPrice(gpuPool, gpu);
        _setStop(gpu, 0, uint128(price - 1));
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.StopTriggered(id, address(gpu), price, false);
        vm.recordLogs();
        vm.prank(keeperBot);
        pm.triggerStop(id, address(gpu));
        assertEq(uint8(_tradeKind()), uint8(IAgentPortfolioManager.TradeKind.TakeProfit));
        assertEq(_holding(id, gpu), 0);
    }

    function test_triggerStop_anAssetThatIsItsPoolsToken1() public {
        uint256 price = _unitPrice(llmPool, llm);
        assertEq(price, 0.5e18);
        _setStop(llm, 0.6e18, 0);
        Expected memory e = _expected(id, llm, base, 20_000e18, 50);
        vm.prank(carol);
        uint256 out = pm.triggerStop(id, address(llm));
        assertEq(out, e.amountOut);
        assertEq(_holding(id, llm), 0);
        uint16[] memory targets = pm.getPortfolio(id).targetWeightsBps;
        assertEq(targets[0], 7_000);
        assertEq(targets[2], 0);
    }

    function test_triggerStop_withNothingHeldStillMovesTheWeight() public {
        vm.prank(alice);
        pm.withdraw(id, address(gpu), 5_000e18, alice);
        _setStop(gpu, 3e18, 0);
        vm.recordLogs();
        vm.prank(keeperBot);
        uint256 out = pm.triggerStop(id, address(gpu));
        assertEq(out, 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IAgentPortfolioManager.Traded.selector, "no trade");
        }
        assertEq(pm.getPortfolio(id).targetWeightsBps[0], 7_000);
    }

    function test_triggerStop_firesAfterTheTimeWeightedPriceFalls() public {
        // a stop-loss at 1.9: gpu's price falls ~10 % and stays there for a window
        _setStop(gpu, 1.9e18, 0);
        assertFalse(pm.stopTriggerable(id, address(gpu)));
        _swap(carol, gpuPool, gpu, 270_000e18);
        assertFalse(pm.stopTriggerable(id, address(gpu)), "not on the spot move");
        _advance(WINDOW);
        assertLe(_unitPrice(gpuPool, gpu), 1.9e18);
        assertTrue(pm.stopTriggerable(id, address(gpu)));
        vm.prank(keeperBot);
        pm.triggerStop(id, address(gpu));
        assertEq(_holding(id, gpu), 0);
    }

    function test_triggerStop_revertsWhenNotTriggered() public {
        _setStop(gpu, 1.5e18, 3e18);
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.StopNotTriggered.selector, 2e18, 1.5e18, 3e18)
        );
        pm.triggerStop(id, address(gpu));
        assertEq(_holding(id, gpu), 5_000e18);
    }

    function test_triggerStop_revertsWithoutAnOrder() public {
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.StopNotTriggered.selector, 2e18, 0, 0));
        pm.triggerStop(id, address(gpu));
    }

    function test_triggerStop_revertsOnTheBaseToken() public {
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.StopOnBaseToken.selector, id, address(base))
        );
        pm.triggerStop(id, address(base));
    }

    function test_triggerStop_revertsWhenAssetUnknown() public {
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.UnknownAsset.selector, id, address(0xD00D))
        );
        pm.triggerStop(id, address(0xD00D));
    }

    function test_triggerStop_revertsWhenPortfolioUnknown() public {
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 8));
        pm.triggerStop(8, address(gpu));
    }

    function test_triggerStop_revertsWhenPaused() public {
        _setStop(gpu, 3e18, 0);
        vm.prank(guardian);
        pm.pause();
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        pm.triggerStop(id, address(gpu));
    }

    function test_triggerStop_revertsWhenTheSaleWouldLoseTooMuchAndKeepsTheOrder() public {
        // 500 k gpu is 10 % of the pool: sold at once it loses ~10 %
        _deposit(alice, id, gpu, 495_000e18);
        _setStop(gpu, 3e18, 0);
        Expected memory e = _expected(id, gpu, base, 500_000e18, 50);
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.TradeLossTooHigh.selector, e.lossBps, 50)
        );
        pm.triggerStop(id, address(gpu));
        assertEq(pm.stopOrderOf(id, address(gpu)).stopLossPrice, 3e18);
        assertEq(pm.getPortfolio(id).targetWeightsBps[1], 3_000);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _setStop(MockERC20 asset, uint128 stopLoss, uint128 takeProfit) internal {
        vm.prank(alice);
        pm.setStopOrder(id, address(asset), stopLoss, takeProfit);
    }

    function _tradeKind() internal returns (IAgentPortfolioManager.TradeKind kind) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IAgentPortfolioManager.Traded.selector) {
                kind = IAgentPortfolioManager.TradeKind(uint256(logs[i].topics[2]));
            }
        }
    }
}
