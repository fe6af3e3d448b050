// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice Constructor checks and the two governance setters behind the real AccessManager: admin-only (no role is
/// given them), each emitting its event and taking effect on the next record or read.
contract ComputePriceOracleGovernanceTest is OracleTestBase {
    // ─── Constructor ──────────────────────────────────────────────────────────────────────────

    function test_constructor_setsParametersAndEmits() public {
        vm.expectEmit();
        emit IComputePriceOracle.MaxMoveSet(250);
        vm.expectEmit();
        emit IComputePriceOracle.MaxPoolIdleSet(2 hours);
        ComputePriceOracle deployed =
            new ComputePriceOracle(address(manager), amm, 1 hours, 10 minutes, 250, 2 hours);
        assertEq(address(deployed.amm()), address(amm));
        assertEq(deployed.authority(), address(manager));
        assertEq(deployed.window(), 1 hours);
        assertEq(deployed.period(), 10 minutes);
        assertEq(deployed.maxMoveBps(), 250);
        assertEq(deployed.maxPoolIdle(), 2 hours);
    }

    function test_constructor_revertsOnZeroAmm() public {
        vm.expectRevert(IComputePriceOracle.ZeroAddress.selector);
        new ComputePriceOracle(address(manager), IAIServiceAMM(address(0)), WINDOW, PERIOD, MAX_MOVE_BPS, 0);
    }

    function test_constructor_revertsOnInvalidWindow() public {
        _expectInvalidWindow(1800, 0); // no period
        _expectInvalidWindow(300, 300); // one slot: no window to average over
        _expectInvalidWindow(599, 300); // shorter than two periods
        _expectInvalidWindow(600, 300); // two slots: the window averaged could shrink to one second
        _expectInvalidWindow(1801, 300); // not a whole number of periods
        _expectInvalidWindow(64 * 60, 60); // 64 slots: MAX_SLOTS is exclusive
        _expectInvalidWindow(type(uint32).max, 1);
        // The edges that are accepted:
        new ComputePriceOracle(address(manager), amm, 900, 300, MAX_MOVE_BPS, 0);
        new ComputePriceOracle(address(manager), amm, 63 * 60, 60, MAX_MOVE_BPS, 0);
    }

    function test_constructor_revertsOnInvalidBand() public {
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InvalidBand.selector, 0));
        new ComputePriceOracle(address(manager), amm, WINDOW, PERIOD, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InvalidBand.selector, 10_001));
        new ComputePriceOracle(address(manager), amm, WINDOW, PERIOD, 10_001, 0);
        new ComputePriceOracle(address(manager), amm, WINDOW, PERIOD, 10_000, 0);
        new ComputePriceOracle(address(manager), amm, WINDOW, PERIOD, 1, 0);
    }

    // ─── setMaxMove ───────────────────────────────────────────────────────────────────────────

    function test_setMaxMove_byAdminEmitsAndStores() public {
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.MaxMoveSet(1_234);
        oracle.setMaxMove(1_234);
        assertEq(oracle.maxMoveBps(), 1_234);
    }

    function test_setMaxMove_revertsForAnyoneButTheAdmin() public {
        address[3] memory callers = [guardian, keeper, bob];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            oracle.setMaxMove(1_000);
        }
        assertEq(oracle.maxMoveBps(), MAX_MOVE_BPS);
    }

    function test_setMaxMove_revertsOnInvalidBand() public {
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InvalidBand.selector, 0));
        oracle.setMaxMove(0);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InvalidBand.selector, 10_001));
        oracle.setMaxMove(10_001);
        oracle.setMaxMove(10_000);
        assertEq(oracle.maxMoveBps(), 10_000);
    }

    /// @notice The band in force when a period is recorded is the one that judges it: the same ≈ 6 % move is
    /// let through under a 10 % band and locks the oracle under the 5 % one.
    function test_setMaxMove_judgesTheNextRecord() public {
        _warmUp(pool01);
        oracle.setMaxMove(1_000);
        _trade(pool01, false, 300);
        _keep(pool01, 1);
        oracle.twapX112(pool01);

        oracle.setMaxMove(MAX_MOVE_BPS);
        _trade(pool01, true, 300);
        _keep(pool01, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IComputePriceOracle.PriceMovedBeyondBand.selector, pool01, block.timestamp)
        );
        oracle.twapX112(pool01);
        // Widening the band afterwards does not lift a lock already recorded.
        oracle.setMaxMove(10_000);
        vm.expectPartialRevert(IComputePriceOracle.PriceMovedBeyondBand.selector);
        oracle.twapX112(pool01);
    }

    /// @notice Governance may hand the setter to a role through the AccessManager, as for any restricted function.
    function test_setMaxMove_canBeDelegatedThroughTheManager() public {
        uint64 riskRole = 42;
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = ComputePriceOracle.setMaxMove.selector;
        manager.setTargetFunctionRole(address(oracle), selectors, riskRole);
        manager.grantRole(riskRole, carol, 0);
        vm.prank(carol);
        oracle.setMaxMove(700);
        assertEq(oracle.maxMoveBps(), 700);
        // setMaxPoolIdle stayed admin-only.
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, carol));
        oracle.setMaxPoolIdle(1);
    }

    // ─── setMaxPoolIdle ───────────────────────────────────────────────────────────────────────

    function test_setMaxPoolIdle_byAdminEmitsAndStores() public {
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.MaxPoolIdleSet(3 hours);
        oracle.setMaxPoolIdle(3 hours);
        assertEq(oracle.maxPoolIdle(), 3 hours);
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.MaxPoolIdleSet(0);
        oracle.setMaxPoolIdle(0);
        assertEq(oracle.maxPoolIdle(), 0);
    }

    function test_setMaxPoolIdle_revertsForAnyoneButTheAdmin() public {
        address[3] memory callers = [guardian, keeper, bob];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            oracle.setMaxPoolIdle(1);
        }
        assertEq(oracle.maxPoolIdle(), MAX_POOL_IDLE);
    }

    /// @notice The idle limit applies to reads at once, both ways.
    function test_setMaxPoolIdle_appliesToTheNextRead() public {
        _warmUp(pool01); // 25 minutes without a trade
        oracle.twapX112(pool01);
        oracle.setMaxPoolIdle(10 minutes);
        vm.expectPartialRevert(IComputePriceOracle.PoolIdle.selector);
        oracle.twapX112(pool01);
        oracle.setMaxPoolIdle(1 hours);
        oracle.twapX112(pool01);
    }

    function _expectInvalidWindow(uint32 window, uint32 period) internal {
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InvalidWindow.selector, window, period));
        new ComputePriceOracle(address(manager), amm, window, period, MAX_MOVE_BPS, 0);
    }
}
