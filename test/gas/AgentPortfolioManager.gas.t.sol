// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {PortfolioTestBase} from "../portfolio/PortfolioTestBase.sol";

/// @notice One test per portfolio operation, for `.gas-snapshot`: each test makes exactly one call to the manager,
/// as its own transaction (isolation mode, so storage is cold as on chain), after a setUp that builds a realistic
/// state: the real oracle with a full window of history over both pools, and alice's base + 2 assets portfolio
/// funded. The figure recorded by `forge snapshot` is that transaction's gas plus the test's small fixed overhead;
/// `-vv` also prints the transaction's own total (`vm.lastCallGas`, 21,000 and calldata included, refunds applied).
contract AgentPortfolioManagerGasTest is PortfolioTestBase {
    uint256 internal balanced;
    uint256 internal drifted;
    uint256 internal allBase;
    uint256 internal twoHop;
    uint256 internal stopped;

    function setUp() public override {
        super.setUp();
        // on target (40/30/30); 100 bps a trade so that a two-hop trade (two 0.3 % fees) fits
        balanced = _openBalanced();
        _setLimits(balanced, 100, 20_000, 1_000);
        // holding every asset, base 50 % against 40: the rebalance buys 5 k base of gpu (the steady state)
        drifted = _open(alice);
        _deposit(alice, drifted, base, 50_000e18);
        _deposit(alice, drifted, gpu, 12_500e18);
        _deposit(alice, drifted, llm, 50_000e18);
        // only base: the first rebalance also creates the bought asset's holding
        allBase = _openAllBase();
        // gpu 40 % against 30, llm 20 % against 30: gpu for llm through the base token
        twoHop = _open(alice);
        _deposit(alice, twoHop, base, 40_000e18);
        _deposit(alice, twoHop, gpu, 20_000e18);
        _deposit(alice, twoHop, llm, 40_000e18);
        _setLimits(twoHop, 100, 20_000, 1_000);
        // a stop-loss on gpu above its price (triggerable), over 5 k gpu: small enough to sell within 50 bps
        stopped = _openSmall();
        uint128 stopLoss = uint128(_unitPrice(gpuPool, gpu) + 1e16);
        vm.prank(alice);
        pm.setStopOrder(stopped, address(gpu), stopLoss, 0);
        // every portfolio has traded once before (its loss bucket is in use), and the oracle moved on a period
        vm.startPrank(alice);
        pm.executeTrade(balanced, _path(gpuPool), address(gpu), 10e18);
        pm.executeTrade(drifted, _path(llmPool), address(llm), 10e18);
        pm.executeTrade(twoHop, _path(llmPool), address(llm), 10e18);
        pm.executeTrade(stopped, _path(llmPool), address(llm), 10e18);
        vm.stopPrank();
        _advance(PERIOD);
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    /// forge-config: default.isolate = true
    function test_gas_deposit() public {
        vm.prank(alice);
        pm.deposit(balanced, address(gpu), 1_000e18);
        _report("deposit");
    }

    /// forge-config: default.isolate = true
    function test_gas_withdraw() public {
        vm.prank(alice);
        pm.withdraw(balanced, address(gpu), 1_000e18, alice);
        _report("withdraw");
    }

    /// forge-config: default.isolate = true
    function test_gas_rebalance_oneChunk_baseAndTwoAssets() public {
        vm.prank(keeperBot);
        pm.rebalancePortfolio(drifted);
        _report("rebalancePortfolio (one chunk, base + 2 assets, one hop)");
    }

    /// forge-config: default.isolate = true
    function test_gas_rebalance_oneChunk_firstBuyFromAllBase() public {
        vm.prank(keeperBot);
        pm.rebalancePortfolio(allBase);
        _report("rebalancePortfolio (first chunk of an all-base portfolio)");
    }

    /// forge-config: default.isolate = true
    function test_gas_rebalance_oneChunk_twoHops() public {
        vm.prank(keeperBot);
        pm.rebalancePortfolio(twoHop);
        _report("rebalancePortfolio (one chunk, asset to asset through the base token)");
    }

    /// forge-config: default.isolate = true
    function test_gas_executeTrade_oneHop() public {
        vm.prank(alice);
        pm.executeTrade(balanced, _path(gpuPool), address(gpu), 1_000e18);
        _report("executeTrade (one hop)");
    }

    /// forge-config: default.isolate = true
    function test_gas_executeTrade_twoHops() public {
        vm.prank(alice);
        pm.executeTrade(balanced, _path(gpuPool, llmPool), address(gpu), 1_000e18);
        _report("executeTrade (two hops through the base token)");
    }

    /// forge-config: default.isolate = true
    function test_gas_triggerStop() public {
        vm.prank(keeperBot);
        pm.triggerStop(stopped, address(gpu));
        _report("triggerStop (sells the whole holding)");
    }
}
