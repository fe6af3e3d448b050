// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice Every way the oracle refuses to price, each checked at its boundary (the last second it refuses and the
/// first it prices again, or the reverse), so that each test fails if its guard is removed or moved.
contract ComputePriceOracleFailClosedTest is OracleTestBase {
    // ─── Insufficient history ─────────────────────────────────────────────────────────────────

    function test_revertsWhenNeverRecorded() public {
        vm.warp(block.timestamp + 2 * WINDOW);
        bytes memory insufficient =
            abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool01);
        vm.expectRevert(insufficient);
        oracle.twapX112(pool01);
        vm.expectRevert(insufficient);
        oracle.consult(pool01, address(token0), 1e18);
        vm.expectRevert(insufficient);
        oracle.consultPath(_path(pool01), address(token0), 1e18);
        vm.expectRevert(insufficient);
        oracle.volatility(pool01);
        // and for a pool the AMM does not know
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, 77));
        oracle.twapX112(77);
    }

    /// @notice Until an observation recorded SLOTS − 1 periods ago can open the window, no price; the period that
    /// starts then is priced.
    function test_revertsUntilTheWindowIsFull() public {
        oracle.record(pool01);
        for (uint256 i = 1; i < SLOTS - 1; ++i) {
            _nextPeriod();
            vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool01));
            oracle.twapX112(pool01);
            oracle.record(pool01);
            vm.warp(block.timestamp + PERIOD - 1);
            vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool01));
            oracle.twapX112(pool01);
            vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool01));
            oracle.volatility(pool01);
        }
        _nextPeriod();
        assertEq(_oldest(pool01).timestamp, block.timestamp - WINDOW + PERIOD);
        (uint256 twap0,) = oracle.twapX112(pool01); // opened by the first observation, window − period ago
        (uint256 spot0,) = _spot(pool01);
        assertEq(twap0, spot0);
    }

    // ─── Stale observations ───────────────────────────────────────────────────────────────────

    /// @notice Keepers stop: the window keeps pricing from what was recorded until the observation it should open
    /// with was never written, one window after the last record, then fails closed (the slot holds an observation a
    /// whole cycle old).
    function test_revertsStaleWhenKeepersStopForAWindow() public {
        _warmUp(pool01);
        uint256 lastRecord = block.timestamp;
        vm.warp(lastRecord + WINDOW - 1);
        (uint256 twap0,) = oracle.twapX112(pool01);
        (uint256 spot0,) = _spot(pool01);
        assertEq(twap0, spot0);
        oracle.volatility(pool01);

        vm.warp(lastRecord + WINDOW);
        uint256 age = block.timestamp - (lastRecord - (SLOTS - 1) * PERIOD);
        bytes memory stale =
            abi.encodeWithSelector(IComputePriceOracle.StaleObservation.selector, pool01, age, WINDOW);
        vm.expectRevert(stale);
        oracle.twapX112(pool01);
        vm.expectRevert(stale);
        oracle.consult(pool01, address(token1), 1e18);
        vm.expectRevert(stale);
        oracle.volatility(pool01);

        // Long after, still closed.
        vm.warp(lastRecord + 50 * WINDOW);
        vm.expectPartialRevert(IComputePriceOracle.StaleObservation.selector);
        oracle.twapX112(pool01);
    }

    /// @notice Keepers resume after a long stop: every slot is a cycle old, so the oracle stays closed until a full
    /// window has been recorded again, then prices only the new window.
    function test_resumingKeepersPriceAgainAfterAFullWindow() public {
        _warmUp(pool01);
        vm.warp(block.timestamp + 10 * WINDOW);
        _trade(pool01, true, 100); // the price moved while nobody recorded
        (uint256 spot0, uint256 spot1) = _spot(pool01);
        oracle.record(pool01);
        for (uint256 i = 1; i < SLOTS - 1; ++i) {
            _nextPeriod();
            oracle.record(pool01);
            vm.expectPartialRevert(IComputePriceOracle.StaleObservation.selector);
            oracle.twapX112(pool01);
        }
        _nextPeriod();
        (uint256 twap0, uint256 twap1) = oracle.twapX112(pool01);
        assertEq(twap0, spot0);
        assertEq(twap1, spot1);
    }

    /// @notice A single missed tick closes the oracle for exactly the one period in which the missing observation
    /// should have opened the window.
    function test_oneMissedTickClosesExactlyOnePeriodLater() public {
        _warmUp(pool01);
        _nextPeriod(); // nobody records in this period
        uint256 missed = block.timestamp;
        _keep(pool01, SLOTS - 2);
        oracle.twapX112(pool01);
        _keep(pool01, 1); // now the window should open in the missed period
        assertEq(block.timestamp, missed + (SLOTS - 1) * PERIOD);
        vm.expectPartialRevert(IComputePriceOracle.StaleObservation.selector);
        oracle.twapX112(pool01);
        vm.warp(block.timestamp + PERIOD - 1);
        vm.expectPartialRevert(IComputePriceOracle.StaleObservation.selector);
        oracle.twapX112(pool01);
        _keep(pool01, 1);
        oracle.twapX112(pool01);
    }

    // ─── Move beyond the band ─────────────────────────────────────────────────────────────────

    /// @notice Consecutive period averages 6 % apart (band 5 %): closed from the record that saw the move for
    /// exactly one window, then priced again, at the new price, both directions of the move.
    function test_revertsForOneWindowAfterAMoveBeyondTheBand() public {
        _checkBandLock(true);
    }

    function test_revertsForOneWindowAfterADropBeyondTheBand() public {
        _checkBandLock(false);
    }

    /// @notice A move within the band (≈ 4 %) never closes the oracle.
    function test_aMoveWithinTheBandKeepsPricing() public {
        _warmUp(pool01);
        (uint256 before0,) = _spot(pool01);
        _trade(pool01, false, 200);
        (uint256 after0,) = _spot(pool01);
        assertGt(_moveBps(after0, before0), 350);
        assertLt(_moveBps(after0, before0), MAX_MOVE_BPS);
        for (uint256 i; i < SLOTS + 1; ++i) {
            _nextPeriod();
            oracle.record(pool01);
            oracle.twapX112(pool01);
            oracle.volatility(pool01);
        }
    }

    /// @notice The band compares period averages, not spots: a spot jump of ≈ 8 % in the middle of a period is
    /// seen as two steps of ≈ 4 % (half in each period's average), neither beyond the 5 % band, so it never locks.
    function test_bandComparesPeriodAveragesNotSpots() public {
        _warmUp(pool01);
        uint256 t0 = block.timestamp;
        (uint256 before0,) = _spot(pool01);
        vm.warp(t0 + PERIOD / 2);
        _trade(pool01, false, 400);
        (uint256 after0,) = _spot(pool01);
        assertGt(_moveBps(after0, before0), 750, "the spot moved well beyond the band");
        (uint256 first0,) = _spotSeconds(pool01, t0, t0 + PERIOD);
        (uint256 second0,) = _spotSeconds(pool01, t0 + PERIOD, t0 + 2 * PERIOD);
        assertLt(_moveBps(first0 / PERIOD, before0), MAX_MOVE_BPS);
        assertLt(_moveBps(second0 / PERIOD, first0 / PERIOD), MAX_MOVE_BPS);
        for (uint256 i; i < SLOTS + 2; ++i) {
            _nextPeriod();
            oracle.record(pool01);
            oracle.twapX112(pool01);
        }
        (uint256 twap0,) = oracle.twapX112(pool01);
        assertEq(twap0, after0);
    }

    // ─── Idle pool ────────────────────────────────────────────────────────────────────────────

    function test_revertsWhenThePoolIsIdleLongerThanMaxPoolIdle() public {
        oracle.setMaxPoolIdle(1 hours);
        uint256 lastTrade = block.timestamp; // the seeding deposit
        _warmUp(pool01);
        _keepTime(lastTrade + 1 hours - block.timestamp);
        assertEq(block.timestamp, lastTrade + 1 hours);
        oracle.twapX112(pool01); // exactly the limit: still priced
        vm.warp(lastTrade + 1 hours + 1);
        bytes memory idle =
            abi.encodeWithSelector(IComputePriceOracle.PoolIdle.selector, pool01, lastTrade, 1 hours);
        vm.expectRevert(idle);
        oracle.twapX112(pool01);
        vm.expectRevert(idle);
        oracle.consult(pool01, address(token0), 1e18);
        vm.expectRevert(idle);
        oracle.consultPath(_path(pool01, pool12), address(token0), 1e18);

        // A trade revives it.
        _trade(pool01, true, 1);
        oracle.twapX112(pool01);
    }

    function test_maxPoolIdleZeroDisablesTheCheck() public {
        oracle.setMaxPoolIdle(0);
        _warmUp(pool01);
        _keepTime(2 days); // no trade for two days; keepers go on recording
        (uint256 twap0,) = oracle.twapX112(pool01);
        (uint256 spot0,) = _spot(pool01);
        assertEq(twap0, spot0);
        oracle.setMaxPoolIdle(1 days);
        vm.expectPartialRevert(IComputePriceOracle.PoolIdle.selector);
        oracle.twapX112(pool01);
    }

    // ─── Token not in pool ────────────────────────────────────────────────────────────────────

    function test_consult_revertsWhenTokenNotInPool() public {
        _warmUp(pool01);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.TokenNotInPool.selector, pool01, token2));
        oracle.consult(pool01, address(token2), 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(IComputePriceOracle.TokenNotInPool.selector, pool01, address(0))
        );
        oracle.consult(pool01, address(0), 1e18);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    /// @dev Keepers tick every period for `duration` (rounded up to whole periods), with no trade.
    function _keepTime(uint256 duration) internal {
        for (uint256 end = block.timestamp + duration; block.timestamp < end;) {
            _nextPeriod();
            oracle.record(pool01);
        }
    }

    function _checkBandLock(bool up) internal {
        _warmUp(pool01);
        (uint256 before0,) = _spot(pool01);
        _trade(pool01, !up, 300); // ≈ 6 % either way
        (uint256 after0, uint256 after1) = _spot(pool01);
        assertGt(_moveBps(after0, before0), MAX_MOVE_BPS);

        _nextPeriod();
        oracle.record(pool01);
        uint256 movedAt = block.timestamp;
        bytes memory locked =
            abi.encodeWithSelector(IComputePriceOracle.PriceMovedBeyondBand.selector, pool01, movedAt);
        for (uint256 i; i < SLOTS; ++i) {
            if (i != 0) _keep(pool01, 1);
            vm.expectRevert(locked);
            oracle.twapX112(pool01);
            vm.expectRevert(locked);
            oracle.consult(pool01, address(token0), 1e18);
            vm.expectRevert(locked);
            oracle.volatility(pool01);
            // the same window ignoring the band still prices (for liquidations), exactly the time-weighted average
            (uint256 ignoring0, uint256 ignoring1) = oracle.twapIgnoringBandX112(pool01);
            (uint256 expected0, uint256 expected1) = _expectedTwap(pool01, _oldest(pool01).timestamp);
            assertEq(ignoring0, expected0);
            assertEq(ignoring1, expected1);
        }
        // movedAt + WINDOW - 1: still closed.
        vm.warp(movedAt + WINDOW - 1);
        vm.expectRevert(locked);
        oracle.twapX112(pool01);
        // One window after the record that saw the move: priced again, the window wholly at the new price.
        vm.warp(movedAt + WINDOW);
        oracle.record(pool01);
        (uint256 twap0, uint256 twap1) = oracle.twapX112(pool01);
        assertEq(twap0, after0);
        assertEq(twap1, after1);
    }
}
