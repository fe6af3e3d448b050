// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice finalizeSettlement, settlementPrice and settlementOf: settlement prices checked against time-weighted
/// averages the tests compute from the spot history (OracleTestBase._spotSeconds), on time, late, after outages,
/// after band trips and for idle pools.
contract ComputePriceOracleSettlementTest is OracleTestBase {
    address internal stranger = makeAddr("stranger");

    // ─── Checks ───────────────────────────────────────────────────────────────────────────────

    function test_finalizeSettlement_revertsBeforeExpiry() public {
        _warmUp(pool01);
        uint256 expiry = block.timestamp + PERIOD;
        vm.warp(expiry - 1);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.ExpiryNotReached.selector, expiry));
        oracle.finalizeSettlement(pool01, expiry);
        vm.warp(expiry);
        oracle.finalizeSettlement(pool01, expiry); // the first second of expiry settles
    }

    function test_finalizeSettlement_revertsWhenExpiryNotOnThePeriodGrid() public {
        _warmUp(pool01);
        uint256 expiry = block.timestamp - PERIOD + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IComputePriceOracle.ExpiryNotOnPeriodGrid.selector, expiry, PERIOD)
        );
        oracle.finalizeSettlement(pool01, expiry);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.ExpiryNotOnPeriodGrid.selector, 0, PERIOD));
        oracle.finalizeSettlement(pool01, 0);
    }

    function test_settlementPrice_revertsUntilFinal() public {
        _warmUp(pool01);
        uint256 expiry = block.timestamp;
        vm.expectRevert(
            abi.encodeWithSelector(IComputePriceOracle.SettlementNotFinal.selector, pool01, expiry)
        );
        oracle.settlementPrice(pool01, expiry);
        assertEq(oracle.settlementOf(pool01, expiry).windowEnd, 0);
        (uint256 p0, uint256 p1) = oracle.finalizeSettlement(pool01, expiry);
        (uint256 s0, uint256 s1) = oracle.settlementPrice(pool01, expiry);
        assertEq(s0, p0);
        assertEq(s1, p1);
    }

    // ─── On time ──────────────────────────────────────────────────────────────────────────────

    /// @notice Keepers record at every period start, prices move each period; at expiry the keeper's observation
    /// closes the window and a stranger finalizes a little later: the price is the hand-computed average over the
    /// window [expiry − window + period, expiry] (both directions), and exactly what twapX112 read at expiry.
    function test_finalizeSettlement_anyoneFinalizesTheTwapOfTheWindowEndingAtExpiry() public {
        _warmUp(pool01);
        for (uint256 i; i < SLOTS; ++i) {
            _trade(pool01, i % 2 == 0, 60 + 20 * i);
            _keep(pool01, 1);
        }
        uint256 expiry = block.timestamp; // the keeper recorded at this period start
        (uint256 twap0, uint256 twap1) = oracle.twapX112(pool01);
        uint256 from = expiry - WINDOW + PERIOD;
        (uint256 sum0, uint256 sum1) = _spotSeconds(pool01, from, expiry);
        assertEq(twap0, sum0 / (WINDOW - PERIOD));

        vm.warp(expiry + 40);
        _trade(pool01, true, 300); // after the closing observation: not part of the settlement
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.SettlementFinalized(
            pool01, expiry, twap0, twap1, uint32(from), uint32(expiry), false
        );
        vm.prank(stranger);
        (uint256 p0, uint256 p1) = oracle.finalizeSettlement(pool01, expiry);
        assertEq(p0, sum0 / (WINDOW - PERIOD), "token0 settlement = hand TWAP");
        assertEq(p1, sum1 / (WINDOW - PERIOD), "token1 settlement = hand TWAP");
        assertEq(p0, twap0);
        assertEq(p1, twap1);
        IComputePriceOracle.Settlement memory s = oracle.settlementOf(pool01, expiry);
        assertEq(s.windowStart, from);
        assertEq(s.windowEnd, expiry);
    }

    /// @notice No keeper has recorded since expiry: the finalizer's own call records the closing observation.
    function test_finalizeSettlement_recordsTheClosingObservationWhenNoKeeperHas() public {
        _warmUp(pool01);
        _trade(pool01, false, 100);
        _nextPeriod();
        uint256 expiry = block.timestamp;
        vm.warp(expiry + 37);
        assertTrue(oracle.recordDue(pool01));
        (uint256 p0,) = oracle.finalizeSettlement(pool01, expiry);
        assertFalse(oracle.recordDue(pool01));
        IComputePriceOracle.Settlement memory s = oracle.settlementOf(pool01, expiry);
        assertEq(s.windowEnd, expiry + 37);
        (uint256 sum0,) = _spotSeconds(pool01, s.windowStart, s.windowEnd);
        assertEq(p0, sum0 / (s.windowEnd - s.windowStart));
    }

    /// @notice Once fixed, never changed: later calls return it without an event or a record, whatever the pool
    /// does afterwards, and other expiries are independent.
    function test_finalizeSettlement_secondCallReturnsTheFixedPrice() public {
        _warmUp(pool01);
        uint256 expiry = block.timestamp;
        (uint256 p0, uint256 p1) = oracle.finalizeSettlement(pool01, expiry);
        for (uint256 i; i < 2 * SLOTS; ++i) {
            _trade(pool01, true, 150);
            _keep(pool01, 1);
        }
        _nextPeriod(); // a record is due: the repeated call must not make it
        vm.recordLogs();
        vm.prank(stranger);
        (uint256 q0, uint256 q1) = oracle.finalizeSettlement(pool01, expiry);
        assertEq(vm.getRecordedLogs().length, 0, "no event, no record");
        assertEq(q0, p0);
        assertEq(q1, p1);
        (q0, q1) = oracle.settlementPrice(pool01, expiry);
        assertEq(q0, p0);
        assertEq(q1, p1);
        // A later expiry settles at the moved price.
        (uint256 later0,) = oracle.finalizeSettlement(pool01, block.timestamp);
        assertLt(later0, p0);
    }

    // ─── Late, and after outages ──────────────────────────────────────────────────────────────

    /// @notice Nobody finalizes in the period starting at expiry: the window's opening observation is overwritten
    /// by the next period's record. The fallback settles at the window ending at the newest observation when called,
    /// flagged late.
    function test_finalizeSettlement_lateUsesTheWindowEndingAtTheNewestObservation() public {
        _warmUp(pool01);
        uint256 expiry = block.timestamp;
        for (uint256 i; i < 3; ++i) {
            _trade(pool01, false, 80);
            _keep(pool01, 1);
        }
        vm.warp(block.timestamp + 100);
        uint256 newest = block.timestamp - 100;
        uint256 from = newest - WINDOW + PERIOD;
        (uint256 sum0, uint256 sum1) = _spotSeconds(pool01, from, newest);
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.SettlementFinalized(
            pool01,
            expiry,
            sum0 / (WINDOW - PERIOD),
            sum1 / (WINDOW - PERIOD),
            uint32(from),
            uint32(newest),
            true
        );
        oracle.finalizeSettlement(pool01, expiry);
    }

    /// @notice Keepers stopped a window before expiry: the ring buffer does not hold the window, so finalizing
    /// fails closed (never a price from stale points); anyone records for a window and then it settles (late), so
    /// funds waiting on it are never stuck.
    function test_finalizeSettlement_missingObservationsFailClosedUntilAWindowIsRecordedAgain() public {
        _warmUp(pool01);
        vm.warp(block.timestamp + 2 * WINDOW);
        _nextPeriod();
        uint256 expiry = block.timestamp;
        for (uint256 i; i < SLOTS - 1; ++i) {
            vm.prank(stranger);
            vm.expectPartialRevert(IComputePriceOracle.StaleObservation.selector);
            oracle.finalizeSettlement(pool01, expiry);
            // A refused finalize records nothing (it reverts whole): anyone records, as keepers do.
            assertTrue(oracle.record(pool01));
            _nextPeriod();
        }
        vm.prank(stranger);
        (uint256 p0,) = oracle.finalizeSettlement(pool01, expiry);
        (uint256 spot0,) = _spot(pool01);
        assertEq(p0, spot0);
        assertEq(oracle.settlementOf(pool01, expiry).windowEnd, block.timestamp);
    }

    /// @notice A pool whose oracle was never recorded has no history: InsufficientHistory, until a window exists.
    function test_finalizeSettlement_neverRecordedPool() public {
        vm.warp(block.timestamp + WINDOW);
        _nextPeriod();
        uint256 expiry = block.timestamp;
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool12));
        oracle.finalizeSettlement(pool12, expiry);
        // The window must open with a record in the period starting at expiry: recorded then, it settles (late)
        // in the period whose window it opens.
        oracle.record(pool12);
        _keep(pool12, SLOTS - 2);
        _nextPeriod();
        oracle.finalizeSettlement(pool12, expiry);
        assertEq(oracle.settlementOf(pool12, expiry).windowStart, expiry);
    }

    /// @notice A period average beyond the band within the window: no settlement from that window (as twapX112);
    /// it settles a window after the move, at the new price.
    function test_finalizeSettlement_waitsOutAMoveBeyondTheBand() public {
        _warmUp(pool01);
        _trade(pool01, true, 800); // ≈ 15 % down
        _keep(pool01, 1); // the record sees the period average move
        uint256 movedAt = block.timestamp;
        uint256 expiry = block.timestamp;
        vm.expectRevert(
            abi.encodeWithSelector(IComputePriceOracle.PriceMovedBeyondBand.selector, pool01, movedAt)
        );
        oracle.finalizeSettlement(pool01, expiry);
        _keep(pool01, SLOTS);
        (uint256 p0,) = oracle.finalizeSettlement(pool01, expiry);
        (uint256 spot0,) = _spot(pool01);
        assertEq(p0, spot0);
    }

    /// @notice An idle pool (no trade for longer than maxPoolIdle) does not price for twapX112, but settles: its
    /// price is its last, and settlement must not wait for a trade that may never come.
    function test_finalizeSettlement_settlesAnIdlePool() public {
        _warmUp(pool01);
        uint256 periods = MAX_POOL_IDLE / PERIOD + 1;
        _keep(pool01, periods);
        vm.expectPartialRevert(IComputePriceOracle.PoolIdle.selector);
        oracle.twapX112(pool01);
        (uint256 p0,) = oracle.finalizeSettlement(pool01, block.timestamp);
        (uint256 spot0,) = _spot(pool01);
        assertEq(p0, spot0);
    }

    // ─── Fuzz ─────────────────────────────────────────────────────────────────────────────────

    /// @notice Trades of random size, direction and timing; keepers record at random moments of each period (or
    /// skip it); the finalizer comes at a random second of the period starting at expiry. Whenever it settles, the
    /// window closes at an observation in that period, opens one period short of a window before it, and the price
    /// is the hand-computed time-weighted average over it; it then never changes.
    function testFuzz_finalizeSettlement_isTheTwapOfItsWindow(uint256 seed, uint256 finalizeOffset) public {
        _warmUp(pool01);
        uint256 expiry = (block.timestamp / PERIOD + SLOTS + 1) * PERIOD;
        while (true) {
            seed = uint256(keccak256(abi.encode(seed)));
            if (block.timestamp + 1 + seed % 90 >= expiry) break;
            vm.warp(block.timestamp + 1 + seed % 90);
            vm.roll(block.number + 1);
            if (seed % 3 != 0) _trade(pool01, seed % 2 == 0, seed % 30);
            if (seed % 5 != 0) oracle.record(pool01);
        }
        vm.warp(expiry + bound(finalizeOffset, 0, PERIOD - 1));
        try oracle.finalizeSettlement(pool01, expiry) returns (uint256 p0, uint256 p1) {
            IComputePriceOracle.Settlement memory s = oracle.settlementOf(pool01, expiry);
            assertGe(s.windowEnd, expiry);
            assertLt(s.windowEnd, expiry + PERIOD);
            assertEq(s.windowStart / PERIOD, expiry / PERIOD - SLOTS + 1);
            (uint256 sum0, uint256 sum1) = _spotSeconds(pool01, s.windowStart, s.windowEnd);
            assertEq(p0, sum0 / (s.windowEnd - s.windowStart));
            assertEq(p1, sum1 / (s.windowEnd - s.windowStart));
            _trade(pool01, true, 200);
            _keep(pool01, 2);
            (uint256 q0, uint256 q1) = oracle.finalizeSettlement(pool01, expiry);
            assertEq(q0, p0);
            assertEq(q1, p1);
        } catch (bytes memory reason) {
            // Only a missed keeper tick at the window's opening period can refuse it.
            assertEq(bytes4(reason), IComputePriceOracle.StaleObservation.selector);
        }
    }

    /// @notice Every expiry on the grid that is not yet reached reverts, whatever the offset.
    function testFuzz_finalizeSettlement_neverBeforeExpiry(uint256 ahead) public {
        _warmUp(pool01);
        uint256 expiry = (block.timestamp / PERIOD + bound(ahead, 1, 1e6)) * PERIOD;
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.ExpiryNotReached.selector, expiry));
        oracle.finalizeSettlement(pool01, expiry);
    }

    // ─── Manipulation around expiry ───────────────────────────────────────────────────────────

    uint256 internal constant BLOCK = 12;

    struct Attack {
        uint256 expiry;
        uint256 at;
        uint256 heldFor;
        uint256 bpsOfReserve;
        bool pushUp;
    }

    /// @notice An attacker pushes the spot at `at` (one or two blocks before expiry, to the second) and swaps back
    /// one or two blocks later, so the manipulated spot stands when the keeper's record at expiry closes the window.
    /// Against the same two swaps made in one block, the settlement moves by exactly spot move × the manipulated
    /// seconds inside the window / the window's length (here window − period, keepers recording at period starts),
    /// to rounding: at most spot move × held seconds / (window − 2·period). With a 5 % band the largest attack the
    /// band lets through (×1.56 for two blocks, ×2.1 for one) moves the settlement by under 1 %, a fifth of the band.
    /// (Without a keeper at expiry the attacker could close the window itself while holding, by finalizing: the
    /// manipulated seconds inside the window are still at most the seconds held, so the same bound.)
    function testFuzz_settlement_manipulationAroundExpiryMovesItByItsShareOfTheWindow(
        uint256 sizeSeed,
        uint256 startSeed,
        bool pushUp,
        bool twoBlocks
    ) public {
        _warmUp(pool01);
        _keep(pool01, SLOTS);
        (uint256 before0, uint256 before1) = _spot(pool01);
        Attack memory attack;
        attack.expiry = block.timestamp + PERIOD;
        attack.heldFor = (twoBlocks ? 2 : 1) * BLOCK;
        attack.at = attack.expiry - bound(startSeed, 1, attack.heldFor);
        attack.bpsOfReserve = bound(sizeSeed, 200, twoBlocks ? 2_500 : 4_500);
        attack.pushUp = pushUp;

        uint256 snapshot = vm.snapshotState();
        (uint256 honest0, uint256 honest1,,) = _runAttack(attack, false);
        vm.revertToState(snapshot);
        (uint256 p0, uint256 p1, uint256 move0, uint256 move1) = _runAttack(attack, true);

        uint256 elapsed = WINDOW - PERIOD;
        uint256 manipulated = attack.expiry - attack.at;
        _assertShare(_diff(p0, honest0), move0, manipulated, elapsed);
        _assertShare(_diff(p1, honest1), move1, manipulated, elapsed);
        assertLe(_diff(p0, honest0), move0 * attack.heldFor / (WINDOW - 2 * PERIOD) + 1);
        assertLt(
            _diff(p0, before0) * BPS, uint256(MAX_MOVE_BPS) * before0, "token0 settlement moved by the band"
        );
        assertLt(
            _diff(p1, before1) * BPS, uint256(MAX_MOVE_BPS) * before1, "token1 settlement moved by the band"
        );
    }

    /// @notice The quantified worst cases: held over the whole window close, the largest spot moves the band lets
    /// through move the settlement by under 100 bps (band 500).
    function test_settlement_manipulationWorstCasesQuantified() public {
        _warmUp(pool01);
        _keep(pool01, SLOTS);
        (uint256 before0,) = _spot(pool01);
        uint256 snapshot = vm.snapshotState();
        uint256 expiry = block.timestamp + PERIOD;
        for (uint256 blocks = 1; blocks <= 2; ++blocks) {
            for (uint256 up; up < 2; ++up) {
                vm.revertToState(snapshot);
                Attack memory attack = Attack(
                    expiry, expiry - blocks * BLOCK, blocks * BLOCK, blocks == 1 ? 4_500 : 2_500, up == 1
                );
                (uint256 p0,,,) = _runAttack(attack, true);
                uint256 movedBps = _diff(p0, before0) * BPS / before0;
                console.log(
                    blocks,
                    up == 1 ? "block(s), push up: settlement moved bps" : "block(s), push down: bps",
                    movedBps
                );
                assertLt(movedBps, 100);
            }
        }
    }

    /// @notice A spike the band cannot let through (×10 for two blocks across expiry): the record at expiry sees
    /// the period average move ≈ 72 %, so the window ending at expiry does not settle. The next two period averages
    /// move beyond the band too (the spike's tail, then the return); a window after the last, it settles at a window
    /// that no longer holds the spike, at the honest price.
    function test_settlement_aSpikeBeyondTheBandDefersSettlementPastTheSpike() public {
        _warmUp(pool01);
        _keep(pool01, SLOTS);
        (uint256 before0,) = _spot(pool01);
        uint256 expiry = block.timestamp + PERIOD;
        vm.warp(expiry - BLOCK);
        vm.roll(block.number + 1);
        uint256 out = _trade(pool01, false, 21_623); // token1 in: token0's price ×10
        _keep(pool01, 1);
        assertEq(block.timestamp, expiry);
        vm.warp(expiry + BLOCK);
        vm.roll(block.number + 1);
        _swapIn(bob, pool01, address(token0), out);
        vm.expectRevert(
            abi.encodeWithSelector(IComputePriceOracle.PriceMovedBeyondBand.selector, pool01, expiry)
        );
        oracle.finalizeSettlement(pool01, expiry);
        _keep(pool01, SLOTS + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputePriceOracle.PriceMovedBeyondBand.selector, pool01, expiry + 2 * PERIOD
            )
        );
        oracle.finalizeSettlement(pool01, expiry);
        _keep(pool01, 1);
        (uint256 p0,) = oracle.finalizeSettlement(pool01, expiry);
        assertApproxEqRel(p0, before0, 0.01e18); // the round trip's fees stay in the pool
        assertGt(oracle.settlementOf(pool01, expiry).windowStart, expiry + BLOCK);
    }

    /// @dev The attack's timeline, held (swap back `heldFor` after `at`) or not (both swaps at `at`): the keeper
    /// records at expiry, a stranger finalizes 30 s later. Returns the settlement and the spot move it was exposed to.
    function _runAttack(Attack memory attack, bool held)
        internal
        returns (uint256 p0, uint256 p1, uint256 move0, uint256 move1)
    {
        (address t0, address t1) = _tokens(pool01);
        vm.warp(attack.at);
        vm.roll(block.number + 1);
        uint256 out = _trade(pool01, !attack.pushUp, attack.bpsOfReserve);
        (uint256 manipulated0, uint256 manipulated1) = _spot(pool01);
        if (!held) _swapIn(bob, pool01, attack.pushUp ? t0 : t1, out);
        vm.warp(attack.expiry);
        vm.roll(block.number + 1);
        assertTrue(oracle.record(pool01));
        if (held) {
            vm.warp(attack.at + attack.heldFor); // the same block as the record when it ends at expiry
            _swapIn(bob, pool01, attack.pushUp ? t0 : t1, out);
        }
        (uint256 after0, uint256 after1) = _spot(pool01);
        (move0, move1) = (_diff(manipulated0, after0), _diff(manipulated1, after1));
        vm.warp(attack.expiry + 30);
        vm.roll(block.number + 1);
        vm.prank(stranger);
        (p0, p1) = oracle.finalizeSettlement(pool01, attack.expiry);
    }

    function _assertShare(uint256 moved, uint256 spotMove, uint256 seconds_, uint256 elapsed) internal pure {
        uint256 share = spotMove * seconds_ / elapsed;
        assertLe(moved, share + 1, "settlement moved by more than the manipulated seconds' share");
        assertGe(moved + 1, share, "settlement moved by less than the manipulated seconds' share");
    }

    function _diff(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : b - a;
    }
}
