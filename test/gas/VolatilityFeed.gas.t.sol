// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {VolatilityFeedTestBase} from "../oracle/VolatilityFeedTestBase.sol";

/// @notice One test per feed operation, for `.gas-snapshot`, each its own transaction (isolation mode). `-vv` prints
/// the transaction's own total.
contract VolatilityFeedGasTest is VolatilityFeedTestBase {
    function setUp() public override {
        super.setUp();
        vm.prank(keeper);
        feed.setVolatility(1, 1e18);
        vm.warp(block.timestamp + 1 hours);
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    /// forge-config: default.isolate = true
    function test_gas_setVolatility_first() public {
        vm.prank(keeper);
        feed.setVolatility(2, 1e18);
        _report("setVolatility (pool's first: takes the default bounds)");
    }

    /// forge-config: default.isolate = true
    function test_gas_setVolatility_update() public {
        vm.prank(keeper);
        feed.setVolatility(1, 1.05e18);
        _report("setVolatility (update)");
    }

    /// forge-config: default.isolate = true
    function test_gas_volatilityOf() public {
        feed.volatilityOf(1);
        _report("volatilityOf");
    }
}
