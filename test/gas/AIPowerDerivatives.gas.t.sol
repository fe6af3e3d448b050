// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {DerivativesTestBase} from "../derivatives/DerivativesTestBase.sol";

/// @notice One test per option flow, each one call as its own transaction (isolation mode, storage cold as on
/// chain). `-vv` prints the transaction's total (`vm.lastCallGas().gasTotalUsed`: 21,000 and calldata included,
/// refunds applied), to compare with Opyn Gamma's figures for the same flows (open + deposit + mint 395,554;
/// redeem 180,510; settle vault 174,091; liquidate 227,696); the goal is at most 0.65× each.
/// @dev setUp: alice already has a vault (so the counters and her balances are not fresh slots), bob holds options
/// of a settled series (its settlement price fixed by an earlier settlement), and a margined vault is under water.
contract AIPowerDerivativesGasTest is DerivativesTestBase {
    uint256 internal expiredPut;
    uint256 internal settleMe;
    uint256 internal underWater;
    uint40 internal shortExpiry;

    function setUp() public override {
        super.setUp();
        _open(alice, putId, false, ONE);
        _open(alice, callId, false, ONE);
        // a series expiring in a day: two vaults, one settled (fixes the price), bob holds options
        shortExpiry = uint40(block.timestamp + 1 days);
        expiredPut = _createSeries(PUT_STRIKE, shortExpiry, false);
        uint256 first = _open(alice, expiredPut, false, 10 * ONE);
        settleMe = _open(alice, expiredPut, false, 10 * ONE);
        vm.prank(alice);
        dv.transfer(bob, expiredPut, 5 * ONE);
        // carol holds options of a margined vault that a price fall puts under water
        underWater = _open(alice, putId, true, 10 * ONE);
        vm.prank(alice);
        dv.transfer(carol, putId, 5 * ONE);
        source.presetSettlement(POOL, shortExpiry, 1.5e18);
        vm.warp(shortExpiry);
        dv.settleVault(first);
        source.setIndexPrice(POOL, 1.8e18);
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    /// forge-config: default.isolate = true
    function test_gas_openDepositMint_full() public {
        vm.prank(alice);
        dv.openVault(putId, false, 20e6, 10 * ONE);
        _report("openVault + deposit + mint (fully collateralized put)");
    }

    /// forge-config: default.isolate = true
    function test_gas_openDepositMint_margined() public {
        vm.prank(bob);
        dv.openVault(putId, true, 15e6, 10 * ONE);
        _report("openVault + deposit + mint (margined put)");
    }

    /// forge-config: default.isolate = true
    function test_gas_redeem() public {
        vm.prank(bob);
        dv.exerciseOption(expiredPut, 5 * ONE, bob);
        _report("exerciseOption (redeem)");
    }

    /// forge-config: default.isolate = true
    function test_gas_settleVault() public {
        vm.prank(alice);
        dv.settleVault(settleMe);
        _report("settleVault");
    }

    /// forge-config: default.isolate = true
    function test_gas_liquidate() public {
        vm.prank(carol);
        dv.liquidate(underWater, 2 * ONE);
        _report("liquidate (partial, margined put)");
    }
}
