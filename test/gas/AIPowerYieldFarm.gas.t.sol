// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {FarmTestBase} from "../farm/FarmTestBase.sol";

/// @notice One test per farm operation, for `.gas-snapshot`: each test makes exactly one call to the farm, as its own
/// transaction (isolation mode, so storage is cold as on chain), after a setUp that builds a realistic state: every
/// pool funded, bob staked in every pool (so no call pays for the pool's first weight), alice staked with rewards
/// accrued. The figure recorded by `forge snapshot` is that transaction's gas plus the test's small fixed overhead;
/// `-vv` also prints the transaction's own total (`vm.lastCallGas`, 21,000 and calldata included, refunds applied).
contract AIPowerYieldFarmGasTest is FarmTestBase {
    function setUp() public override {
        super.setUp();
        _fund(samePool, FUND, DURATION);
        _fund(pairPool, FUND, DURATION);
        _fund(lpPool, FUND, DURATION);
        uint256[3] memory pools = [samePool, pairPool, lpPool];
        for (uint256 i; i < 3; ++i) {
            _stake(bob, pools[i], 1_000e18, 0);
            _stake(alice, pools[i], 1_000e18, 0);
        }
        _skip(1 days);
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    /// forge-config: default.isolate = true
    function test_gas_stake_firstInPool() public {
        vm.prank(carol);
        farm.stake(pairPool, 100e18, 0);
        _report("stake (first stake of the account)");
    }

    /// forge-config: default.isolate = true
    function test_gas_stake() public {
        vm.prank(alice);
        farm.stake(pairPool, 100e18, 90 days);
        _report("stake (account already staked, rewards settled)");
    }

    /// forge-config: default.isolate = true
    function test_gas_stake_lpShares() public {
        vm.prank(alice);
        farm.stake(lpPool, 100e18, 0);
        _report("stake LP shares (ERC-6909)");
    }

    /// forge-config: default.isolate = true
    function test_gas_unstake_partial() public {
        vm.prank(alice);
        farm.unstake(pairPool, 0, 500e18);
        _report("unstake (partial)");
    }

    /// forge-config: default.isolate = true
    function test_gas_unstake() public {
        vm.prank(alice);
        farm.unstake(pairPool, 0, 1_000e18);
        _report("unstake (whole stake)");
    }

    /// forge-config: default.isolate = true
    function test_gas_unstake_lpShares() public {
        vm.prank(alice);
        farm.unstake(lpPool, 0, 1_000e18);
        _report("unstake LP shares (ERC-6909)");
    }

    /// forge-config: default.isolate = true
    function test_gas_claim() public {
        vm.prank(alice);
        farm.claimRewards(pairPool);
        _report("claimRewards");
    }

    /// forge-config: default.isolate = true
    function test_gas_compound_sameToken() public {
        vm.prank(alice);
        farm.compound(samePool, 0, deadline);
        _report("compound (same token)");
    }

    /// forge-config: default.isolate = true
    function test_gas_compound_swap() public {
        vm.prank(alice);
        farm.compound(pairPool, 0, deadline);
        _report("compound (AMM swap)");
    }

    /// forge-config: default.isolate = true
    function test_gas_compound_lpDeposit() public {
        vm.prank(alice);
        farm.compound(lpPool, 0, deadline);
        _report("compound (single-sided LP deposit)");
    }
}
