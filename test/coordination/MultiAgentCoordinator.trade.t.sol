// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice leaderTrade: within the mandate it trades at no worse than the oracle allows; outside it reverts.
contract MultiAgentCoordinatorTradeTest is CoordinatorTestBase {
    function setUp() public override {
        super.setUp();
        _fundConsortium(); // 60 000 base
    }

    function test_leaderTrade_buysAnAssetAndEmits() public {
        uint256 amountIn = 10_000e18;
        (uint256 oracleOut,) = oracle.consult(gpuPool, address(base), amountIn);
        uint256 quote = amm.getAmountOut(gpuPool, address(base), amountIn);
        uint256 navBefore = _nav(cid);
        vm.expectEmit(true, true, false, false, address(coordinator));
        emit IMultiAgentCoordinator.ConsortiumTraded(cid, 0, address(base), address(gpu), amountIn, 0, 0, 0);
        uint256 out = _leaderTrade(cid, gpuPool, address(base), amountIn);
        assertEq(out, quote);
        assertEq(_holding(cid, address(base)), 50_000e18);
        assertEq(_holding(cid, address(gpu)), out);
        assertEq(gpu.balanceOf(address(coordinator)), out);
        assertEq(base.allowance(address(coordinator), address(amm)), 0);
        // the oracle priced 1 gpu at 2 base: out is short of it by the fee and the price impact only
        assertLt(out, oracleOut);
        assertGe(out, oracleOut * 9_900 / 10_000);
        // the loss is charged to the period: bps of the net asset value, rounded up
        uint256 lossValue = Math.mulDiv(amountIn, oracleOut - out, oracleOut, Math.Rounding.Ceil);
        uint256 lossWad = Math.mulDiv(lossValue, 1e18, navBefore, Math.Rounding.Ceil);
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(cid);
        assertEq(v.lossUsedBps, Math.ceilDiv(lossWad, 1e14));
        assertEq(v.lossPeriodStart, block.timestamp);
    }

    function test_leaderTrade_eventCarriesOracleOutputAndNavAfter() public {
        uint256 amountIn = 5_000e18;
        (uint256 oracleOut,) = oracle.consult(llmPool, address(base), amountIn);
        uint256 quote = amm.getAmountOut(llmPool, address(base), amountIn);
        // the net asset value after: the llm bought, valued at the oracle, and the base left
        (uint256 llmValue,) = oracle.consult(llmPool, address(llm), quote);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.ConsortiumTraded(
            cid, 0, address(base), address(llm), amountIn, quote, oracleOut, 55_000e18 + llmValue
        );
        _leaderTrade(cid, llmPool, address(base), amountIn);
        assertEq(_nav(cid), 55_000e18 + llmValue);
    }

    function test_leaderTrade_sellsBackAndRoutesThroughTheBase() public {
        uint256 gpuOut = _leaderTrade(cid, gpuPool, address(base), 10_000e18);
        _advance(PERIOD);
        uint256[] memory path = _path(gpuPool, llmPool);
        (uint256 oracleOut, address tokenOut) = oracle.consultPath(path, address(gpu), gpuOut / 2);
        assertEq(tokenOut, address(llm));
        vm.prank(leader);
        uint256 llmOut = coordinator.leaderTrade(cid, path, address(gpu), gpuOut / 2);
        assertGe(llmOut, oracleOut * 9_900 / 10_000);
        assertEq(_holding(cid, address(gpu)), gpuOut - gpuOut / 2);
        assertEq(_holding(cid, address(llm)), llmOut);
        // the intermediate base never reached the consortium
        assertEq(_holding(cid, address(base)), 50_000e18);
    }

    function test_leaderTrade_revertsWhenNotLeader() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.NotLeader.selector, cid, alice));
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 1e18);
    }

    function test_leaderTrade_revertsOnBadArguments() public {
        vm.startPrank(leader);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 4));
        coordinator.leaderTrade(4, _path(gpuPool), address(base), 1e18);
        vm.expectRevert(IMultiAgentCoordinator.ZeroAmount.selector);
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 0);
        vm.expectRevert(IMultiAgentCoordinator.EmptyPath.selector);
        coordinator.leaderTrade(cid, new uint256[](0), address(base), 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.NotAnAsset.selector, cid, address(dave))
        );
        coordinator.leaderTrade(cid, _path(gpuPool), address(dave), 1e18);
        // a round trip only pays fees
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.TokenOutIsTokenIn.selector, address(base))
        );
        coordinator.leaderTrade(cid, _path(gpuPool, gpuPool), address(base), 1e18);
        vm.stopPrank();
    }

    function test_leaderTrade_revertsWhenPoolNotAllowed() public {
        MockERC20 other = new MockERC20("Other", "OTH");
        uint256 otherPool = _listAsset(other, POOL_BASE_RESERVE);
        vm.startPrank(leader);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.PoolNotAllowed.selector, cid, otherPool)
        );
        coordinator.leaderTrade(cid, _path(otherPool), address(base), 1e18);
        // every hop is checked
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.PoolNotAllowed.selector, cid, otherPool)
        );
        coordinator.leaderTrade(cid, _path(gpuPool, otherPool), address(gpu), 1e18);
        vm.stopPrank();
    }

    function test_leaderTrade_revertsWhenTooLarge() public {
        // 20 % of 60 000 base is the most
        vm.prank(leader);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.TradeTooLarge.selector, 12_000e18 + 1, 12_000e18)
        );
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 12_000e18 + 1);
        _leaderTrade(cid, gpuPool, address(base), 12_000e18);

        // an asset's trade is valued at the oracle
        _advance(PERIOD);
        _leaderTrade(cid, gpuPool, address(base), 9_000e18);
        _advance(PERIOD);
        uint256 maxValue = _nav(cid) * MAX_TRADE_BPS / 10_000;
        uint256 gpuHeld = _holding(cid, address(gpu));
        (uint256 gpuValue,) = oracle.consult(gpuPool, address(gpu), gpuHeld);
        assertGt(gpuValue, maxValue);
        vm.prank(leader);
        vm.expectRevert(
            abi.encodeWithSelector(IMultiAgentCoordinator.TradeTooLarge.selector, gpuValue, maxValue)
        );
        coordinator.leaderTrade(cid, _path(gpuPool), address(gpu), gpuHeld);
    }

    function test_leaderTrade_revertsWhenHoldingShort() public {
        _leaderTrade(cid, gpuPool, address(base), 1_000e18);
        uint256 held = _holding(cid, address(gpu));
        vm.prank(leader);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiAgentCoordinator.InsufficientHoldings.selector, address(gpu), held, held + 1
            )
        );
        coordinator.leaderTrade(cid, _path(gpuPool), address(gpu), held + 1);
    }

    /// @dev The floor is the oracle's, not the spot's: a spot pushed up just before the trade makes it revert.
    function test_leaderTrade_revertsBelowTheOracleFloor() public {
        vm.prank(lp);
        amm.swapExactInputSingle(gpuPool, address(base), 100_000e18, 0, lp, block.timestamp);
        (uint256 oracleOut,) = oracle.consult(gpuPool, address(base), 1_000e18);
        uint256 quote = amm.getAmountOut(gpuPool, address(base), 1_000e18);
        uint256 minOut = Math.mulDiv(oracleOut, 10_000 - MAX_LOSS_PER_TRADE_BPS, 10_000, Math.Rounding.Ceil);
        assertLt(quote, minOut);
        vm.prank(leader);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, quote, minOut));
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 1_000e18);
    }

    function test_leaderTrade_lossBudgetPerPeriod() public {
        uint256 id = _tightConsortium(20); // 0.2 % of the net asset value a day
        _contribute(alice, id, 60_000e18);
        // a trade of 20 % loses ~0.42 % of its value (fee and impact): ~8.5 bps of the net asset value
        _leaderTrade(id, gpuPool, address(base), 12_000e18);
        _advance(PERIOD);
        uint256 usedAfterOne = coordinator.getConsortium(id).lossUsedBps;
        assertGe(usedAfterOne, 8);
        assertLe(usedAfterOne, 10);
        _leaderTrade(id, llmPool, address(base), 9_000e18);
        _advance(PERIOD);
        uint256 usedAfterTwo = coordinator.getConsortium(id).lossUsedBps;
        assertGt(usedAfterTwo, usedAfterOne + 4);
        assertLe(usedAfterTwo, 20);
        vm.prank(leader);
        vm.expectPartialRevert(IMultiAgentCoordinator.LossLimitExceeded.selector);
        coordinator.leaderTrade(id, _path(gpuPool), address(base), 11_500e18);
        assertEq(coordinator.getConsortium(id).lossUsedBps, usedAfterTwo);

        // a new period starts at the first trade after the old one ended
        uint64 firstStart = coordinator.getConsortium(id).lossPeriodStart;
        _advance(LOSS_PERIOD);
        _leaderTrade(id, gpuPool, address(base), 11_500e18);
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        assertEq(v.lossPeriodStart, block.timestamp);
        assertGe(v.lossPeriodStart, firstStart + LOSS_PERIOD);
        assertLt(v.lossUsedBps, usedAfterTwo);
    }

    function test_leaderTrade_gainsAreNotCharged() public {
        _leaderTrade(cid, gpuPool, address(base), 10_000e18);
        _advance(WINDOW + PERIOD);
        uint256 used = coordinator.getConsortium(cid).lossUsedBps;
        // someone pushes gpu's spot far above its time-weighted price: selling gpu now beats the oracle
        vm.prank(lp);
        amm.swapExactInputSingle(gpuPool, address(base), 500_000e18, 0, lp, block.timestamp);
        uint256 gpuHeld = _holding(cid, address(gpu));
        (uint256 oracleOut,) = oracle.consult(gpuPool, address(gpu), gpuHeld / 2);
        uint256 out = _leaderTrade(cid, gpuPool, address(gpu), gpuHeld / 2);
        assertGt(out, oracleOut);
        assertEq(coordinator.getConsortium(cid).lossUsedBps, used);
    }

    function test_leaderTrade_revertsWhenOutputShortOfWhatTheAmmReports() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(0);
        fot.mint(lp, 1e30);
        vm.prank(lp);
        fot.approve(address(amm), type(uint256).max);
        uint256 fotPool = amm.createPool(address(fot), address(base));
        (uint256 a0, uint256 a1) = address(fot) < address(base)
            ? (POOL_BASE_RESERVE, POOL_BASE_RESERVE)
            : (POOL_BASE_RESERVE, POOL_BASE_RESERVE);
        vm.prank(lp);
        amm.addLiquidity(fotPool, a0, a1, 0, 0, lp, block.timestamp);
        recordedPools.push(fotPool);
        _advance(WINDOW + PERIOD);
        uint256 id = _create(_members(), _path(fotPool));
        _contribute(alice, id, 10_000e18);
        // the token starts charging a fee on transfers: what the AMM sends arrives short
        fot.setFeeBps(100);
        uint256 quote = amm.getAmountOut(fotPool, address(base), 1_000e18);
        vm.prank(leader);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiAgentCoordinator.TransferAmountMismatch.selector,
                address(fot),
                quote,
                quote - quote / 100
            )
        );
        coordinator.leaderTrade(id, _path(fotPool), address(base), 1_000e18);
    }

    function test_leaderTrade_revertsWhenOracleFailsClosed() public {
        vm.warp(block.timestamp + 2 * WINDOW);
        vm.roll(block.number + 1);
        vm.prank(leader);
        vm.expectPartialRevert(IComputePriceOracle.StaleObservation.selector);
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 1_000e18);
    }

    // ─── helpers ──────────────────────────────────────────────────────────────────────────────

    function _tightConsortium(uint16 maxLossPerPeriodBps) internal returns (uint256 id) {
        IMultiAgentCoordinator.Mandate memory m = _mandate();
        m.maxLossPerPeriodBps = maxLossPerPeriodBps;
        id = coordinator.createConsortium(
            _members(), leader, address(base), _governance(), m, _pools(gpuPool, llmPool)
        );
    }
}
