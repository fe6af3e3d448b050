// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {AITBC} from "../../src/tokens/AITBC.sol";
import {TokenTestBase} from "../tokens/TokenTestBase.sol";

/// @notice One test per AITBC operation that moves votes, for `.gas-snapshot`: each test makes exactly one call to the
/// token, as its own transaction (isolation mode, so storage is cold as on chain), one block after a setUp in which
/// alice and bob delegated to themselves and `pool` (an AMM, a farm, an escrow) holds undelegated AITBC. Transfers
/// between a delegated and an undelegated holder (a swap into or out of an AMM, a farm stake) are the common case on
/// the protocol's paths. `-vv` prints the transaction's own total (`vm.lastCallGas`, 21,000 and calldata included).
contract AITBCGasTest is TokenTestBase {
    AITBC internal token;
    address internal pool = makeAddr("pool");
    address internal carol = makeAddr("carol");

    function setUp() public {
        _setUpManager();
        token = new AITBC(address(manager));
        _restrictMint(address(token), AITBC.mint.selector);
        vm.startPrank(minter);
        token.mint(alice, 1_000e18);
        token.mint(bob, 1_000e18);
        token.mint(pool, 1_000e18);
        token.mint(carol, 1_000e18);
        vm.stopPrank();
        vm.prank(alice);
        token.delegate(alice);
        vm.prank(bob);
        token.delegate(bob);
        vm.warp(block.timestamp + 12);
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    /// forge-config: default.isolate = true
    function test_gas_transfer_delegatedToDelegated() public {
        vm.prank(alice);
        token.transfer(bob, 1e18);
        _report("transfer delegated -> delegated");
    }

    /// forge-config: default.isolate = true
    function test_gas_transfer_delegatedToUndelegated() public {
        vm.prank(alice);
        token.transfer(pool, 1e18);
        _report("transfer delegated -> undelegated (into an AMM or farm)");
    }

    /// forge-config: default.isolate = true
    function test_gas_transfer_undelegatedToDelegated() public {
        vm.prank(pool);
        token.transfer(alice, 1e18);
        _report("transfer undelegated -> delegated (out of an AMM or farm)");
    }

    /// forge-config: default.isolate = true
    function test_gas_transfer_undelegatedToUndelegated() public {
        vm.prank(pool);
        token.transfer(carol, 1e18);
        _report("transfer undelegated -> undelegated");
    }

    /// forge-config: default.isolate = true
    function test_gas_delegate_first() public {
        vm.prank(carol);
        token.delegate(carol);
        _report("delegate (first)");
    }

    /// forge-config: default.isolate = true
    function test_gas_delegate_redelegate() public {
        vm.prank(alice);
        token.delegate(bob);
        _report("delegate (to another delegatee)");
    }

    /// forge-config: default.isolate = true
    function test_gas_delegate_undelegate() public {
        vm.prank(alice);
        token.delegate(address(0));
        _report("undelegate (delegate to zero)");
    }
}
