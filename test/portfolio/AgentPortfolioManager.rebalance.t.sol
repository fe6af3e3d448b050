// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice rebalancePortfolio: who may call it and when, what it trades (direction, route, size), the minimum
/// output it sets, and every way it refuses.
contract AgentPortfolioManagerRebalanceTest is PortfolioTestBase {
    // ─── What it trades ───────────────────────────────────────────────────────────────────────

    function test_rebalance_buysTheMostUnderweightAssetWithBase() public {
        uint256 id = _openAllBase();
        // base 100 % (target 40), gpu and llm 0 % (30 each): a chunk of 10 % of the value buys gpu, the first of
        // the two most underweight
        Expected memory e = _expected(id, base, gpu, 10_000e18, 50);
        assertEq(e.oracleOut, 5_000e18, "10 k base buy 5 k gpu at the oracle");
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Rebalanced(id, keeperBot, 6_000, 100_000e18);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Traded(
            id,
            IAgentPortfolioManager.TradeKind.Rebalance,
            keeperBot,
            address(base),
            address(gpu),
            10_000e18,
            e.amountOut,
            e.oracleOut,
            e.lossPpm
        );
        vm.prank(keeperBot);
        (uint256 amountIn, uint256 amountOut) = pm.rebalancePortfolio(id);

        assertEq(amountIn, 10_000e18);
        assertEq(amountOut, e.amountOut);
        assertEq(_holding(id, base), 90_000e18);
        assertEq(_holding(id, gpu), e.amountOut);
        assertEq(_holding(id, llm), 0);
        // the 0.3 % fee and ~0.1 % of impact: ~40 bps of 10 % of the value
        assertApproxEqAbs(e.lossPpm, 400, 5);
        assertEq(pm.lossUsedNow(id), e.lossPpm);
        _assertCustody(_ids(id));
    }

    function test_rebalance_minimumOutputComesFromTheOracle() public {
        uint256 id = _openAllBase();
        Expected memory e = _expected(id, base, gpu, 10_000e18, 50);
        // 5,000 gpu at the oracle, less 50 bps
        assertEq(e.minOut, 4_975e18);
        vm.expectCall(
            address(amm),
            abi.encodeCall(
                IAIServiceAMM.swapExactInputSingle,
                (gpuPool, address(base), 10_000e18, e.minOut, address(pm), block.timestamp)
            )
        );
        vm.prank(keeperBot);
        pm.rebalancePortfolio(id);
    }

    function test_rebalance_sellsTheMostOverweightAssetForBase() public {
        uint256 id = _open(alice);
        // base 20 %, gpu 50 %, llm 30 %: gpu is 20 points over, base 20 points under
        _deposit(alice, id, base, 20_000e18);
        _deposit(alice, id, gpu, 25_000e18);
        _deposit(alice, id, llm, 60_000e18);
        Expected memory e = _expected(id, gpu, base, 5_000e18, 50);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Rebalanced(id, keeperBot, 2_000, 100_000e18);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Traded(
            id,
            IAgentPortfolioManager.TradeKind.Rebalance,
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
        pm.rebalancePortfolio(id);
        assertEq(_holding(id, gpu), 20_000e18);
        assertEq(_holding(id, base), 20_000e18 + e.amountOut);
        _assertCustody(_ids(id));
    }

    function test_rebalance_sellsAnAssetThatIsItsPoolsToken1() public {
        uint256 id = _open(alice);
        // llm (its pool's token1) 50 %, base 20 %: llm sells for base
        _deposit(alice, id, base, 20_000e18);
        _deposit(alice, id, gpu, 15_000e18);
        _deposit(alice, id, llm, 100_000e18);
        Expected memory e = _expected(id, llm, base, 20_000e18, 50);
        assertEq(e.oracleOut, 10_000e18);
        vm.prank(keeperBot);
        (uint256 amountIn, uint256 amountOut) = pm.rebalancePortfolio(id);
        assertEq(amountIn, 20_000e18);
        assertEq(amountOut, e.amountOut);
        assertEq(_holding(id, llm), 80_000e18);
    }

    function test_rebalance_routesTwoHopsThroughTheBaseToken() public {
        uint256 id = _twoHopPortfolio();
        // two 0.3 % fees: the trade needs a limit above 60 bps
        _setLimits(id, 100, 20_000, 1_000);
        Expected memory e = _expected(id, gpu, llm, 5_000e18, 100);
        assertEq(e.oracleOut, 20_000e18);
        vm.expectCall(
            address(amm),
            abi.encodeCall(
                IAIServiceAMM.swapExactInput,
                (_path(gpuPool, llmPool), address(gpu), 5_000e18, e.minOut, address(pm), block.timestamp)
            )
        );
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Traded(
            id,
            IAgentPortfolioManager.TradeKind.Rebalance,
            keeperBot,
            address(gpu),
            address(llm),
            5_000e18,
            e.amountOut,
            e.oracleOut,
            e.lossPpm
        );
        vm.prank(keeperBot);
        pm.rebalancePortfolio(id);
        assertEq(_holding(id, gpu), 15_000e18);
        assertEq(_holding(id, llm), 40_000e18 + e.amountOut);
        assertEq(_holding(id, base), 40_000e18, "the base token only passes through the AMM");
        _assertCustody(_ids(id));
    }

    /// @dev A known limit of a per-trade loss cap: two hops pay two fees (~60 bps on 0.3 % pools), so a 50 bps
    /// limit refuses every asset-to-asset rebalance; the owner must allow for the fees of the route.
    function test_rebalance_twoHopsRefusedWhenTwoFeesExceedTheLimit() public {
        uint256 id = _twoHopPortfolio();
        Expected memory e = _expected(id, gpu, llm, 5_000e18, 50);
        assertGt(e.lossBps, 60);
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.TradeLossTooHigh.selector, e.lossBps, 50)
        );
        pm.rebalancePortfolio(id);
    }

    // ─── How much it trades ───────────────────────────────────────────────────────────────────

    function test_rebalance_chunkLimitedByMaxChunk() public {
        uint256 id = _openAllBase();
        _setLimits(id, 50, 20_000, 500);
        vm.prank(keeperBot);
        (uint256 amountIn,) = pm.rebalancePortfolio(id);
        assertEq(amountIn, 5_000e18, "5 % of 100 k");
    }

    function test_rebalance_chunkLimitedByTheBuyersDeficit() public {
        uint256 id = _open(alice);
        // base 43 %, gpu 27 %, llm 30 %: 3 k of base value moves to gpu, and the portfolio is on target
        _deposit(alice, id, base, 43_000e18);
        _deposit(alice, id, gpu, 13_500e18);
        _deposit(alice, id, llm, 60_000e18);
        vm.prank(keeperBot);
        (uint256 amountIn,) = pm.rebalancePortfolio(id);
        assertEq(amountIn, 3_000e18);
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertLt(drift, 10, "only the trade's cost is left off target");
    }

    function test_rebalance_chunkLimitedByTheSellersExcess() public {
        uint256 id = _open(alice);
        // base 45 % (+5), gpu 24 % (-6), llm 31 % (+1): base has only 5 k to give
        _deposit(alice, id, base, 45_000e18);
        _deposit(alice, id, gpu, 12_000e18);
        _deposit(alice, id, llm, 62_000e18);
        vm.prank(keeperBot);
        (uint256 amountIn,) = pm.rebalancePortfolio(id);
        assertEq(amountIn, 5_000e18);
        assertApproxEqAbs(pm.currentWeights(id)[0], 4_000, 1);
    }

    function test_rebalance_convergesChunkByChunk() public {
        uint256 id = _openAllBase();
        uint256 calls;
        uint256 charged;
        (bool due,) = pm.needsRebalance(id);
        while (due) {
            vm.recordLogs();
            vm.prank(keeperBot);
            pm.rebalancePortfolio(id);
            charged += _tradedLossPpm();
            ++calls;
            // let the oracle's window catch up with the portfolio's own trades
            _advance(WINDOW);
            (due,) = pm.needsRebalance(id);
        }
        // 60 % of the value to move, 10 % a call
        assertEq(calls, 6);
        uint16[] memory weights = pm.currentWeights(id);
        assertApproxEqAbs(weights[0], 4_000, 200);
        assertApproxEqAbs(weights[1], 3_000, 200);
        assertApproxEqAbs(weights[2], 3_000, 200);
        // every chunk cost ~40 bps of 10 %: the bucket holds what is left of ~2,400 ppm after its drain
        assertGt(charged, 2_000);
        assertLt(charged, 3_000);
        assertLe(pm.lossUsedNow(id), charged);
        _assertCustody(_ids(id));
    }

    function test_rebalance_justOutsideTheBand() public {
        uint256 id = _open(alice);
        // base 42.01 %, gpu 27.99 %: drift 201 bps against a 200 bps band
        _deposit(alice, id, base, 42_010e18);
        _deposit(alice, id, gpu, 13_995e18);
        _deposit(alice, id, llm, 60_000e18);
        vm.prank(keeperBot);
        (uint256 amountIn,) = pm.rebalancePortfolio(id);
        assertEq(amountIn, 2_010e18);
    }

    function test_rebalance_oneTradePerCall() public {
        uint256 id = _openAllBase();
        vm.recordLogs();
        vm.prank(keeperBot);
        pm.rebalancePortfolio(id);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 trades;
        uint256 swaps;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IAgentPortfolioManager.Traded.selector) ++trades;
            if (logs[i].topics[0] == IAIServiceAMM.Swapped.selector) ++swaps;
        }
        assertEq(trades, 1);
        assertEq(swaps, 1);
        assertEq(_holding(id, llm), 0, "the other underweight asset waits for the next call");
    }

    function test_rebalance_anyoneMayCall() public {
        uint256 id = _openAllBase();
        vm.prank(carol);
        pm.rebalancePortfolio(id);
        assertGt(_holding(id, gpu), 0);
    }

    // ─── When it refuses ──────────────────────────────────────────────────────────────────────

    function test_rebalance_revertsInsideTheBand() public {
        uint256 id = _openBalanced();
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.WithinDriftBand.selector, 0, 200));
        pm.rebalancePortfolio(id);
    }

    function test_rebalance_revertsAtTheBandsEdge() public {
        uint256 id = _open(alice);
        // base 42 %, gpu 28 %: drift exactly 200 bps, not beyond it
        _deposit(alice, id, base, 42_000e18);
        _deposit(alice, id, gpu, 14_000e18);
        _deposit(alice, id, llm, 60_000e18);
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.WithinDriftBand.selector, 200, 200));
        pm.rebalancePortfolio(id);
    }

    function test_rebalance_revertsWhenEmpty() public {
        uint256 id = _open(alice);
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.WithinDriftBand.selector, 0, 200));
        pm.rebalancePortfolio(id);
    }

    function test_rebalance_revertsWhenPortfolioUnknown() public {
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 4));
        pm.rebalancePortfolio(4);
    }

    function test_rebalance_revertsWhenPaused() public {
        uint256 id = _openAllBase();
        vm.prank(guardian);
        pm.pause();
        vm.prank(keeperBot);
        vm.expectRevert(abi.encodeWithSignature("EnforcedPause()"));
        pm.rebalancePortfolio(id);
    }

    function test_rebalance_revertsWhenTheOracleCannotPrice() public {
        uint256 id = _openAllBase();
        // nobody records for an hour: the observation that should open the window is stale
        _nextBlock(1 hours);
        (bool ok, bytes memory reason) =
            address(oracle).staticcall(abi.encodeCall(IComputePriceOracle.twapX112, (gpuPool)));
        assertFalse(ok);
        assertEq(bytes4(reason), IComputePriceOracle.StaleObservation.selector);
        vm.prank(keeperBot);
        vm.expectRevert(reason);
        pm.rebalancePortfolio(id);
        assertEq(_holding(id, base), 100_000e18);
    }

    function test_rebalance_revertsWhenTheTradeWouldLoseTooMuch() public {
        uint256 id = _open(alice);
        // 5 M base against 10 M-deep pools: a 10 % chunk is 5 % of the pool and loses ~5 %
        _deposit(alice, id, base, 5_000_000e18);
        Expected memory e = _expected(id, base, gpu, 500_000e18, 50);
        assertGt(e.lossBps, 400);
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.TradeLossTooHigh.selector, e.lossBps, 50)
        );
        pm.rebalancePortfolio(id);
        assertEq(_holding(id, base), 5_000_000e18);
        assertEq(_holding(id, gpu), 0);
    }

    function test_rebalance_revertsWhenTheLossBudgetWouldOverflow() public {
        uint256 id = _openAllBase();
        // 500 ppm per 7 days: room for one ~400 ppm chunk, not two
        _setLimits(id, 50, 500, 1_000);
        vm.prank(keeperBot);
        pm.rebalancePortfolio(id);
        uint256 first = pm.lossUsedNow(id);
        assertApproxEqAbs(first, 400, 5);

        _advance(WINDOW);
        uint256 used = pm.lossUsedNow(id);
        // drained by 500 ppm × 30 min / 7 days, i.e. 1 ppm
        assertEq(used, first - 1);
        (uint256 total,) = pm.portfolioValue(id);
        // the next chunk: 10 % of the value, base into llm, now the most underweight
        Expected memory e = _expected(id, base, llm, total / 10, 50);
        assertGt(used + e.lossPpm, 500);
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.LossBudgetExceeded.selector, used, e.lossPpm, 500)
        );
        pm.rebalancePortfolio(id);
        assertEq(_holding(id, llm), 0);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    /// @dev base 40 %, gpu 40 % (+10), llm 20 % (-10): the rebalance trades gpu for llm.
    function _twoHopPortfolio() internal returns (uint256 id) {
        id = _open(alice);
        _deposit(alice, id, base, 40_000e18);
        _deposit(alice, id, gpu, 20_000e18);
        _deposit(alice, id, llm, 40_000e18);
    }

    function _tradedLossPpm() internal returns (uint256 lossPpm) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IAgentPortfolioManager.Traded.selector) {
                (,,,,, lossPpm) =
                    abi.decode(logs[i].data, (address, address, uint256, uint256, uint256, uint256));
            }
        }
    }
}
