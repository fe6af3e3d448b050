// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice executeTrade: the owner trades along the portfolio's own pools, with the minimum output from the oracle
/// and the same loss limits as a rebalance.
contract AgentPortfolioManagerExecuteTradeTest is PortfolioTestBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openBalanced();
    }

    function test_executeTrade_baseForAnAsset() public {
        Expected memory e = _expected(id, base, llm, 2_000e18, 50);
        assertEq(e.oracleOut, 4_000e18);
        vm.expectCall(
            address(amm),
            abi.encodeCall(
                IAIServiceAMM.swapExactInputSingle,
                (llmPool, address(base), 2_000e18, e.minOut, address(pm), block.timestamp)
            )
        );
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Traded(
            id,
            IAgentPortfolioManager.TradeKind.Owner,
            alice,
            address(base),
            address(llm),
            2_000e18,
            e.amountOut,
            e.oracleOut,
            e.lossPpm
        );
        vm.prank(alice);
        uint256 out = pm.executeTrade(id, _path(llmPool), address(base), 2_000e18);
        assertEq(out, e.amountOut);
        assertEq(_holding(id, base), 38_000e18);
        assertEq(_holding(id, llm), 60_000e18 + out);
        assertEq(pm.lossUsedNow(id), e.lossPpm);
        _assertCustody(_ids(id));
    }

    function test_executeTrade_assetForBase() public {
        Expected memory e = _expected(id, gpu, base, 1_000e18, 50);
        vm.prank(alice);
        uint256 out = pm.executeTrade(id, _path(gpuPool), address(gpu), 1_000e18);
        assertEq(out, e.amountOut);
        assertEq(_holding(id, gpu), 14_000e18);
        assertEq(_holding(id, base), 40_000e18 + out);
        _assertCustody(_ids(id));
    }

    function test_executeTrade_assetForAssetThroughTheBaseToken() public {
        _setLimits(id, 100, 20_000, 1_000);
        Expected memory e = _expected(id, llm, gpu, 4_000e18, 100);
        assertEq(e.oracleOut, 1_000e18);
        vm.expectCall(
            address(amm),
            abi.encodeCall(
                IAIServiceAMM.swapExactInput,
                (_path(llmPool, gpuPool), address(llm), 4_000e18, e.minOut, address(pm), block.timestamp)
            )
        );
        vm.prank(alice);
        uint256 out = pm.executeTrade(id, _path(llmPool, gpuPool), address(llm), 4_000e18);
        assertEq(out, e.amountOut);
        assertEq(_holding(id, llm), 56_000e18);
        assertEq(_holding(id, gpu), 15_000e18 + out);
        assertEq(_holding(id, base), 40_000e18);
        _assertCustody(_ids(id));
    }

    /// @notice Buying gpu after its spot price fell under the time-weighted one beats the oracle, but not the spot
    /// price it could be bought at: the trade is charged its fee and price impact against the spot price before the
    /// block (item 5b; the TWAP alone charged nothing).
    function test_executeTrade_tradeThatBeatsTheOracleIsChargedItsLossAgainstSpot() public {
        // someone dumps gpu: its spot price falls ~2 % under the time-weighted one
        _swap(carol, gpuPool, gpu, 50_000e18);
        _nextBlock(12);
        uint256 twapOut = Math.mulDiv(1_000e18, Q112, _priceOf(gpu));
        Expected memory e = _expected(id, base, gpu, 1_000e18, 50);
        assertGt(e.amountOut, twapOut, "beats the oracle");
        assertGt(e.oracleOut, e.amountOut, "not the spot price");
        assertGt(e.lossPpm, 0);
        vm.prank(alice);
        pm.executeTrade(id, _path(gpuPool), address(base), 1_000e18);
        assertEq(pm.lossUsedNow(id), e.lossPpm);
    }

    /// @notice A trade through a pool that has already traded in this block is refused: its spot price may be a
    /// front-run's (item 5b). In the next block it goes through.
    function test_executeTrade_revertsWhenItsPoolTradedThisBlock() public {
        _swap(carol, gpuPool, gpu, 1_000e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.PoolTradedThisBlock.selector, gpuPool, block.timestamp
            )
        );
        pm.executeTrade(id, _path(gpuPool), address(base), 1_000e18);
        // a two-hop trade through it too
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.PoolTradedThisBlock.selector, gpuPool, block.timestamp
            )
        );
        pm.executeTrade(id, _path(llmPool, gpuPool), address(llm), 1_000e18);
        // the other pool trades
        vm.prank(alice);
        pm.executeTrade(id, _path(llmPool), address(base), 1_000e18);
        _nextBlock(12);
        vm.prank(alice);
        pm.executeTrade(id, _path(gpuPool), address(base), 1_000e18);
    }

    function test_executeTrade_revertsWhenNotOwner() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.NotPortfolioOwner.selector, id, bob));
        pm.executeTrade(id, _path(gpuPool), address(gpu), 1e18);
    }

    function test_executeTrade_revertsWhenZero() public {
        vm.prank(alice);
        vm.expectRevert(IAgentPortfolioManager.ZeroAmount.selector);
        pm.executeTrade(id, _path(gpuPool), address(gpu), 0);
    }

    function test_executeTrade_revertsWhenTokenInNotAnAsset() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.UnknownAsset.selector, id, address(0xD00D))
        );
        pm.executeTrade(id, _path(gpuPool), address(0xD00D), 1e18);
    }

    function test_executeTrade_revertsWhenMoreThanHeld() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.InsufficientHoldings.selector, address(gpu), 15_000e18, 15_001e18
            )
        );
        pm.executeTrade(id, _path(gpuPool), address(gpu), 15_001e18);
    }

    function test_executeTrade_revertsOnAPoolOutsideThePortfolio() public {
        // a direct gpu/llm pool exists on the AMM, but it is not one of the portfolio's pools
        uint256 direct = amm.createPool(address(gpu), address(llm));
        _add(alice, direct, 1_000_000e18, 4_000_000e18);
        vm.prank(alice);
        vm.expectRevert(IAgentPortfolioManager.PathNotAllowed.selector);
        pm.executeTrade(id, _path(direct), address(gpu), 1e18);
    }

    function test_executeTrade_revertsOnBadPaths() public {
        vm.startPrank(alice);
        // empty, or three hops
        vm.expectRevert(IAgentPortfolioManager.PathNotAllowed.selector);
        pm.executeTrade(id, new uint256[](0), address(gpu), 1e18);
        vm.expectRevert(IAgentPortfolioManager.PathNotAllowed.selector);
        pm.executeTrade(id, _path(gpuPool, llmPool, gpuPool), address(gpu), 1e18);
        // the first pool does not hold the token paid in
        vm.expectRevert(IAgentPortfolioManager.PathNotAllowed.selector);
        pm.executeTrade(id, _path(llmPool), address(gpu), 1e18);
        // from the base token, the second hop's pool does not hold what the first paid out
        vm.expectRevert(IAgentPortfolioManager.PathNotAllowed.selector);
        pm.executeTrade(id, _path(gpuPool, llmPool), address(base), 1e18);
        // a round trip back into the token paid in
        vm.expectRevert(IAgentPortfolioManager.PathNotAllowed.selector);
        pm.executeTrade(id, _path(gpuPool, gpuPool), address(gpu), 1e18);
        vm.stopPrank();
    }

    function test_executeTrade_revertsWhenTheTradeWouldLoseTooMuch() public {
        // 1 % of the gpu pool at once: ~1 % of impact on top of the fee
        _deposit(alice, id, base, 100_000e18);
        Expected memory e = _expected(id, base, gpu, 100_000e18, 50);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.TradeLossTooHigh.selector, e.lossBps, 50)
        );
        pm.executeTrade(id, _path(gpuPool), address(base), 100_000e18);
    }

    function test_executeTrade_revertsWhenTheLossBudgetWouldOverflow() public {
        // 100 ppm of the value per week; a 10 k trade loses ~40 bps of 10 %, ~400 ppm
        _setLimits(id, 50, 100, 1_000);
        Expected memory e = _expected(id, base, gpu, 10_000e18, 50);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.LossBudgetExceeded.selector, 0, e.lossPpm, 100)
        );
        pm.executeTrade(id, _path(gpuPool), address(base), 10_000e18);
        // a small trade still fits
        vm.prank(alice);
        pm.executeTrade(id, _path(gpuPool), address(base), 1_000e18);
        assertGt(pm.lossUsedNow(id), 0);
        assertLe(pm.lossUsedNow(id), 100);
    }

    function test_executeTrade_revertsWhenPaused() public {
        vm.prank(guardian);
        pm.pause();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        pm.executeTrade(id, _path(gpuPool), address(gpu), 1e18);
    }

    function test_executeTrade_revertsWhenPortfolioUnknown() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 9));
        pm.executeTrade(9, _path(gpuPool), address(gpu), 1e18);
    }
}
