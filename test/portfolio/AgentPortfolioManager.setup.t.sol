// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {AgentPortfolioManager} from "../../src/portfolio/AgentPortfolioManager.sol";
import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice Constructor, openPortfolio, setTargets, setRiskLimits, setStopOrder, pause and unpause.
contract AgentPortfolioManagerSetupTest is PortfolioTestBase {
    // ─── constructor ──────────────────────────────────────────────────────────────────────────

    function test_constructor_storesAmmOracleAndAuthority() public view {
        assertEq(address(pm.amm()), address(amm));
        assertEq(address(pm.oracle()), address(oracle));
        assertEq(pm.authority(), address(manager));
        assertEq(pm.portfolioCount(), 0);
        assertEq(pm.MAX_ASSETS(), 8);
        assertFalse(pm.paused());
    }

    function test_constructor_revertsWhenAmmZero() public {
        vm.expectRevert(IAgentPortfolioManager.ZeroAddress.selector);
        new AgentPortfolioManager(address(manager), IAIServiceAMM(address(0)), oracle);
    }

    function test_constructor_revertsWhenOracleZero() public {
        vm.expectRevert(IAgentPortfolioManager.ZeroAddress.selector);
        new AgentPortfolioManager(address(manager), amm, IComputePriceOracle(address(0)));
    }

    // ─── openPortfolio ────────────────────────────────────────────────────────────────────────

    function test_openPortfolio_storesEverythingAndEmits() public {
        uint256[] memory pools = _pools();
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.PortfolioOpened(
            0, alice, _assets(), pools, _weights(4_000, 3_000, 3_000), _limits()
        );
        uint256 id = _open(alice);
        assertEq(id, 0);
        assertEq(pm.portfolioCount(), 1);

        IAgentPortfolioManager.PortfolioView memory v = pm.getPortfolio(id);
        assertEq(v.owner, alice);
        assertEq(v.assets, _assets());
        assertEq(v.pools, pools);
        assertEq(v.targetWeightsBps.length, 3);
        assertEq(v.targetWeightsBps[0], 4_000);
        assertEq(v.targetWeightsBps[1], 3_000);
        assertEq(v.targetWeightsBps[2], 3_000);
        assertEq(v.holdings, new uint256[](3));
        assertEq(abi.encode(v.limits), abi.encode(_limits()));
        assertEq(v.lossUsedPpm, 0);
        assertEq(v.lossUpdatedAt, block.timestamp);
        assertEq(_open(bob), 1, "ids are sequential");
        assertEq(pm.getPortfolio(1).owner, bob);
    }

    function test_openPortfolio_ignoresTheBaseTokensPoolId() public {
        uint256[] memory pools = _pools();
        pools[0] = 77;
        uint256[] memory stored = _pools();
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.PortfolioOpened(
            0, alice, _assets(), stored, _weights(4_000, 3_000, 3_000), _limits()
        );
        vm.prank(alice);
        uint256 id = pm.openPortfolio(_assets(), pools, _weights(4_000, 3_000, 3_000), _limits());
        assertEq(pm.getPortfolio(id).pools[0], 0);
    }

    function test_openPortfolio_baseTokenOnly() public {
        address[] memory assets = new address[](1);
        assets[0] = address(base);
        uint16[] memory weights = new uint16[](1);
        weights[0] = 10_000;
        vm.prank(alice);
        uint256 id = pm.openPortfolio(assets, new uint256[](1), weights, _limits());
        _deposit(alice, id, base, 1_000e18);
        (uint256 total,) = pm.portfolioValue(id);
        assertEq(total, 1_000e18);
        (bool due, uint256 drift) = pm.needsRebalance(id);
        assertFalse(due);
        assertEq(drift, 0);
    }

    function test_openPortfolio_eightAssets() public {
        (address[] memory assets, uint256[] memory pools, uint16[] memory weights) = _eightAssets();
        vm.prank(alice);
        uint256 id = pm.openPortfolio(assets, pools, weights, _limits());
        IAgentPortfolioManager.PortfolioView memory v = pm.getPortfolio(id);
        assertEq(v.assets, assets);
        assertEq(v.pools, pools);
        for (uint256 i; i < 8; ++i) {
            assertEq(v.targetWeightsBps[i], weights[i]);
        }
    }

    function test_openPortfolio_revertsWhenNoAssets() public {
        vm.prank(alice);
        vm.expectRevert(IAgentPortfolioManager.NoAssets.selector);
        pm.openPortfolio(new address[](0), new uint256[](0), new uint16[](0), _limits());
        assertEq(pm.portfolioCount(), 0);
    }

    function test_openPortfolio_revertsWhenTooManyAssets() public {
        (address[] memory eight, uint256[] memory pools8,) = _eightAssets();
        address[] memory assets = new address[](9);
        uint256[] memory pools = new uint256[](9);
        uint16[] memory weights = new uint16[](9);
        for (uint256 i; i < 8; ++i) {
            (assets[i], pools[i]) = (eight[i], pools8[i]);
        }
        assets[8] = address(new MockERC20("X", "X"));
        weights[0] = 10_000;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.TooManyAssets.selector, 9, 8));
        pm.openPortfolio(assets, pools, weights, _limits());
    }

    function test_openPortfolio_revertsWhenLengthsDiffer() public {
        vm.startPrank(alice);
        vm.expectRevert(IAgentPortfolioManager.LengthMismatch.selector);
        pm.openPortfolio(_assets(), new uint256[](2), _weights(4_000, 3_000, 3_000), _limits());
        uint16[] memory two = new uint16[](2);
        (two[0], two[1]) = (5_000, 5_000);
        vm.expectRevert(IAgentPortfolioManager.LengthMismatch.selector);
        pm.openPortfolio(_assets(), _pools(), two, _limits());
        vm.stopPrank();
        assertEq(pm.portfolioCount(), 0);
    }

    function test_openPortfolio_revertsWhenWeightsDoNotSumTo10000() public {
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.WeightsDoNotSumTo10000.selector, 9_999));
        pm.openPortfolio(_assets(), _pools(), _weights(4_000, 3_000, 2_999), _limits());
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.WeightsDoNotSumTo10000.selector, 10_001)
        );
        pm.openPortfolio(_assets(), _pools(), _weights(4_000, 3_000, 3_001), _limits());
        vm.stopPrank();
        assertEq(pm.portfolioCount(), 0);
    }

    function test_openPortfolio_revertsWhenAnAssetIsZero() public {
        address[] memory assets = _assets();
        assets[0] = address(0);
        vm.prank(alice);
        vm.expectRevert(IAgentPortfolioManager.ZeroAddress.selector);
        pm.openPortfolio(assets, _pools(), _weights(4_000, 3_000, 3_000), _limits());
        assets = _assets();
        assets[2] = address(0);
        vm.prank(alice);
        vm.expectRevert(IAgentPortfolioManager.ZeroAddress.selector);
        pm.openPortfolio(assets, _pools(), _weights(4_000, 3_000, 3_000), _limits());
    }

    function test_openPortfolio_revertsWhenAssetRepeats() public {
        address[] memory assets = _assets();
        assets[2] = address(gpu);
        uint256[] memory pools = _pools();
        pools[2] = gpuPool;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.DuplicateAsset.selector, address(gpu)));
        pm.openPortfolio(assets, pools, _weights(4_000, 3_000, 3_000), _limits());
    }

    function test_openPortfolio_revertsWhenPoolUnknown() public {
        uint256[] memory pools = _pools();
        pools[2] = 99;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPool.selector, 99));
        pm.openPortfolio(_assets(), pools, _weights(4_000, 3_000, 3_000), _limits());
    }

    function test_openPortfolio_revertsWhenPoolPairsAnotherAsset() public {
        uint256[] memory pools = _pools();
        pools[1] = llmPool; // base/llm given for gpu
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.PoolDoesNotPairAsset.selector, llmPool, address(gpu), address(base)
            )
        );
        pm.openPortfolio(_assets(), pools, _weights(4_000, 3_000, 3_000), _limits());
    }

    function test_openPortfolio_revertsWhenPoolDoesNotHoldTheBaseToken() public {
        uint256 gpuLlm = amm.createPool(address(gpu), address(llm));
        uint256[] memory pools = _pools();
        pools[2] = gpuLlm; // holds llm, but against gpu
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.PoolDoesNotPairAsset.selector, gpuLlm, address(llm), address(base)
            )
        );
        pm.openPortfolio(_assets(), pools, _weights(4_000, 3_000, 3_000), _limits());
    }

    function test_openPortfolio_revertsWhenLimitsInvalid() public {
        IAgentPortfolioManager.RiskLimits[] memory bad = _badLimits();
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(IAgentPortfolioManager.InvalidRiskLimits.selector);
            pm.openPortfolio(_assets(), _pools(), _weights(4_000, 3_000, 3_000), bad[i]);
        }
        assertEq(pm.portfolioCount(), 0);
    }

    function test_openPortfolio_acceptsLimitsAtTheirBounds() public {
        IAgentPortfolioManager.RiskLimits memory edge = IAgentPortfolioManager.RiskLimits({
            driftBandBps: 9_999,
            maxLossPerTradeBps: 9_999,
            lossBudgetPpm: 1_000_000,
            lossWindow: 1,
            maxChunkBps: 10_000
        });
        vm.prank(alice);
        uint256 id = pm.openPortfolio(_assets(), _pools(), _weights(4_000, 3_000, 3_000), edge);
        assertEq(abi.encode(pm.getPortfolio(id).limits), abi.encode(edge));
        edge = IAgentPortfolioManager.RiskLimits({
            driftBandBps: 0, maxLossPerTradeBps: 1, lossBudgetPpm: 1, lossWindow: 1, maxChunkBps: 1
        });
        vm.prank(alice);
        id = pm.openPortfolio(_assets(), _pools(), _weights(4_000, 3_000, 3_000), edge);
        assertEq(abi.encode(pm.getPortfolio(id).limits), abi.encode(edge));
    }

    // ─── setTargets ───────────────────────────────────────────────────────────────────────────

    function test_setTargets_storesAndEmits() public {
        uint256 id = _open(alice);
        uint16[] memory weights = _weights(1_000, 6_000, 3_000);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.TargetsSet(id, weights);
        vm.prank(alice);
        pm.setTargets(id, weights);
        uint16[] memory stored = pm.getPortfolio(id).targetWeightsBps;
        assertEq(stored[0], 1_000);
        assertEq(stored[1], 6_000);
        assertEq(stored[2], 3_000);
    }

    function test_setTargets_allWeightOnOneAsset() public {
        uint256 id = _open(alice);
        vm.prank(alice);
        pm.setTargets(id, _weights(0, 0, 10_000));
        assertEq(pm.getPortfolio(id).targetWeightsBps[2], 10_000);
    }

    function test_setTargets_revertsWhenNotOwner() public {
        uint256 id = _open(alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.NotPortfolioOwner.selector, id, bob));
        pm.setTargets(id, _weights(1_000, 6_000, 3_000));
        assertEq(pm.getPortfolio(id).targetWeightsBps[0], 4_000);
    }

    function test_setTargets_revertsWhenSumWrong() public {
        uint256 id = _open(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.WeightsDoNotSumTo10000.selector, 10_500)
        );
        pm.setTargets(id, _weights(1_500, 6_000, 3_000));
    }

    function test_setTargets_revertsWhenLengthWrong() public {
        uint256 id = _open(alice);
        uint16[] memory two = new uint16[](2);
        (two[0], two[1]) = (5_000, 5_000);
        vm.prank(alice);
        vm.expectRevert(IAgentPortfolioManager.LengthMismatch.selector);
        pm.setTargets(id, two);
    }

    function test_setTargets_revertsWhenPortfolioUnknown() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 5));
        pm.setTargets(5, _weights(4_000, 3_000, 3_000));
    }

    // ─── setRiskLimits ────────────────────────────────────────────────────────────────────────

    function test_setRiskLimits_storesAndEmits() public {
        uint256 id = _open(alice);
        IAgentPortfolioManager.RiskLimits memory limits = IAgentPortfolioManager.RiskLimits({
            driftBandBps: 500,
            maxLossPerTradeBps: 80,
            lossBudgetPpm: 50_000,
            lossWindow: 1 days,
            maxChunkBps: 2_500
        });
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.RiskLimitsSet(id, limits);
        vm.prank(alice);
        pm.setRiskLimits(id, limits);
        assertEq(abi.encode(pm.getPortfolio(id).limits), abi.encode(limits));
    }

    function test_setRiskLimits_revertsWhenInvalid() public {
        uint256 id = _open(alice);
        IAgentPortfolioManager.RiskLimits[] memory bad = _badLimits();
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(IAgentPortfolioManager.InvalidRiskLimits.selector);
            pm.setRiskLimits(id, bad[i]);
        }
        assertEq(abi.encode(pm.getPortfolio(id).limits), abi.encode(_limits()));
    }

    function test_setRiskLimits_revertsWhenNotOwner() public {
        uint256 id = _open(alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.NotPortfolioOwner.selector, id, bob));
        pm.setRiskLimits(id, _limits());
    }

    // ─── setStopOrder ─────────────────────────────────────────────────────────────────────────

    function test_setStopOrder_storesAndEmits() public {
        uint256 id = _open(alice);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.StopOrderSet(id, address(gpu), 1.5e18, 3e18);
        vm.prank(alice);
        pm.setStopOrder(id, address(gpu), 1.5e18, 3e18);
        IAgentPortfolioManager.StopOrder memory order = pm.stopOrderOf(id, address(gpu));
        assertEq(order.stopLossPrice, 1.5e18);
        assertEq(order.takeProfitPrice, 3e18);
        assertEq(pm.stopOrderOf(id, address(llm)).stopLossPrice, 0);
    }

    function test_setStopOrder_oneSidedAndCleared() public {
        uint256 id = _open(alice);
        vm.startPrank(alice);
        pm.setStopOrder(id, address(llm), 0, 1e18);
        assertEq(pm.stopOrderOf(id, address(llm)).takeProfitPrice, 1e18);
        pm.setStopOrder(id, address(llm), 0.4e18, 0);
        assertEq(pm.stopOrderOf(id, address(llm)).stopLossPrice, 0.4e18);
        assertEq(pm.stopOrderOf(id, address(llm)).takeProfitPrice, 0);
        pm.setStopOrder(id, address(llm), 0, 0);
        vm.stopPrank();
        assertEq(pm.stopOrderOf(id, address(llm)).stopLossPrice, 0);
    }

    function test_setStopOrder_revertsOnTheBaseToken() public {
        uint256 id = _open(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.StopOnBaseToken.selector, id, address(base))
        );
        pm.setStopOrder(id, address(base), 1, 0);
    }

    function test_setStopOrder_revertsWhenAssetUnknown() public {
        uint256 id = _open(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.UnknownAsset.selector, id, address(0xBEEF))
        );
        pm.setStopOrder(id, address(0xBEEF), 1, 0);
    }

    function test_setStopOrder_revertsWhenStopLossNotBelowTakeProfit() public {
        uint256 id = _open(alice);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.InvalidStopOrder.selector, 2e18, 2e18));
        pm.setStopOrder(id, address(gpu), 2e18, 2e18);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.InvalidStopOrder.selector, 3e18, 2e18));
        pm.setStopOrder(id, address(gpu), 3e18, 2e18);
        vm.stopPrank();
    }

    function test_setStopOrder_revertsWhenNotOwner() public {
        uint256 id = _open(alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.NotPortfolioOwner.selector, id, bob));
        pm.setStopOrder(id, address(gpu), 1e18, 0);
    }

    // ─── pause / unpause ──────────────────────────────────────────────────────────────────────

    function test_pause_guardianPausesAndUnpauses() public {
        vm.prank(guardian);
        pm.pause();
        assertTrue(pm.paused());
        vm.prank(guardian);
        pm.unpause();
        assertFalse(pm.paused());
    }

    function test_pause_revertsWhenNotGuardian() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        pm.pause();
        vm.prank(guardian);
        pm.pause();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        pm.unpause();
    }

    function test_pause_blocksDepositsTradesRebalancesAndStopsButNotWithdrawals() public {
        uint256 id = _openAllBase();
        uint256 balanced = _openBalanced();
        uint128 stopLoss = uint128(_unitPrice(gpuPool, gpu) + 1);
        vm.prank(alice);
        pm.setStopOrder(balanced, address(gpu), stopLoss, 0);
        vm.prank(guardian);
        pm.pause();

        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pm.deposit(id, address(base), 1e18);
        vm.prank(keeperBot);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pm.rebalancePortfolio(id);
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pm.executeTrade(id, _path(gpuPool), address(base), 1e18);
        vm.prank(keeperBot);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pm.triggerStop(balanced, address(gpu));

        // the owner's way out stays open
        uint256 before = base.balanceOf(alice);
        vm.prank(alice);
        pm.withdraw(id, address(base), 100_000e18, alice);
        assertEq(base.balanceOf(alice) - before, 100_000e18);
        assertEq(_holding(id, base), 0);
        // and so do the owner's settings
        vm.prank(alice);
        pm.setTargets(id, _weights(10_000, 0, 0));

        vm.prank(guardian);
        pm.unpause();
        _deposit(alice, id, base, 1e18);
        assertEq(_holding(id, base), 1e18);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _badLimits() internal pure returns (IAgentPortfolioManager.RiskLimits[] memory bad) {
        bad = new IAgentPortfolioManager.RiskLimits[](8);
        for (uint256 i; i < 8; ++i) {
            bad[i] = _limits();
        }
        bad[0].driftBandBps = 10_000;
        bad[1].maxLossPerTradeBps = 0;
        bad[2].maxLossPerTradeBps = 10_000;
        bad[3].lossBudgetPpm = 0;
        bad[4].lossBudgetPpm = 1_000_001;
        bad[5].lossWindow = 0;
        bad[6].maxChunkBps = 0;
        bad[7].maxChunkBps = 10_001;
    }

    /// @dev The base token and 7 new assets, each with a pool against the base token.
    function _eightAssets()
        internal
        returns (address[] memory assets, uint256[] memory pools, uint16[] memory weights)
    {
        assets = new address[](8);
        pools = new uint256[](8);
        weights = new uint16[](8);
        assets[0] = address(base);
        weights[0] = 3_000;
        for (uint256 i = 1; i < 8; ++i) {
            MockERC20 token = new MockERC20("T", "T");
            token.mint(alice, 1e24);
            assets[i] = address(token);
            pools[i] = amm.createPool(address(token), address(base));
            weights[i] = 1_000;
        }
    }
}
