// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice One test per named AMM operation, for `.gas-snapshot`: each test makes exactly one call to the AMM,
/// as its own transaction (isolation mode, so storage is cold as on chain), after a setUp that builds the state.
/// The figure recorded by `forge snapshot` is that transaction's gas plus the test's small fixed overhead.
contract AIServiceAMMOperationsGasTest is AMMTestBase {
    uint256 internal p01;
    uint256 internal p12;
    uint256 internal aliceShares;

    function setUp() public override {
        super.setUp();
        _enableProtocolFee();
        p01 = _createPool(token0, token1);
        p12 = _createPool(token1, token2);
        aliceShares = _add(alice, p01, 1_000e18, 1_000e18);
        _add(alice, p12, 1_000e18, 1_000e18);
        // Some trading so that the next liquidity change settles a protocol fee, as it usually will.
        _swapIn(bob, p01, address(token0), 10e18);
        _swapIn(bob, p01, address(token1), 10e18);
        _nextBlock(12);
    }

    /// forge-config: default.isolate = true
    function test_gas_createPool() public {
        amm.createPool(address(token0), address(token2));
    }

    /// forge-config: default.isolate = true
    function test_gas_addLiquidity_first() public {
        uint256 poolId = amm.createPool(address(token0), address(token2));
        vm.prank(alice);
        amm.addLiquidity(poolId, 1_000e18, 1_000e18, 0, 0, alice, deadline);
    }

    /// forge-config: default.isolate = true
    function test_gas_addLiquidity() public {
        vm.prank(bob);
        amm.addLiquidity(p01, 10e18, 10e18, 0, 0, bob, deadline);
    }

    /// forge-config: default.isolate = true
    function test_gas_removeLiquidity() public {
        vm.prank(alice);
        amm.removeLiquidity(p01, aliceShares / 2, 0, 0, alice, deadline);
    }

    /// forge-config: default.isolate = true
    function test_gas_swapExactInputSingle() public {
        vm.prank(bob);
        amm.swapExactInputSingle(p01, address(token0), 1e18, 0, bob, deadline);
    }

    /// forge-config: default.isolate = true
    function test_gas_swapExactOutputSingle() public {
        vm.prank(bob);
        amm.swapExactOutputSingle(p01, address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    /// forge-config: default.isolate = true
    function test_gas_swapExactInput_twoHops() public {
        vm.prank(bob);
        amm.swapExactInput(_path(p01, p12), address(token0), 1e18, 0, bob, deadline);
    }

    /// forge-config: default.isolate = true
    function test_gas_swapExactOutput_twoHops() public {
        vm.prank(bob);
        amm.swapExactOutput(_path(p01, p12), address(token0), 1e18, type(uint256).max, bob, deadline);
    }

    /// forge-config: default.isolate = true
    function test_gas_setFee() public {
        vm.prank(keeper);
        amm.setFee(p01, DEFAULT_FEE + MAX_STEP);
    }

    /// forge-config: default.isolate = true
    function test_gas_pause() public {
        vm.prank(guardian);
        amm.pause();
    }
}
