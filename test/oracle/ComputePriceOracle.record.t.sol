// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice record, recordMany, recordDue and observationsOf.
contract ComputePriceOracleRecordTest is OracleTestBase {
    function test_record_firstObservationStoresTheAmmCumulatives() public {
        _nextPeriod();
        _trade(pool01, true, 100);
        _nextPeriod();
        (uint256 c0, uint256 c1, uint32 ts) = amm.currentCumulativePrices(pool01);
        assertGt(c0, 0);

        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.ObservationRecorded(pool01, ts, 0, 0, false); // no previous observation
        assertTrue(oracle.record(pool01));

        (IComputePriceOracle.Observation memory oldest, IComputePriceOracle.Observation memory newest) =
            oracle.observationsOf(pool01);
        assertEq(newest.timestamp, ts);
        assertEq(newest.price0Cumulative, c0);
        assertEq(newest.price1Cumulative, c1);
        assertEq(newest.varianceCumulative, 0);
        assertEq(oldest.timestamp, 0, "nothing opens the window yet");
    }

    function test_record_revertsForUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 7));
        oracle.record(7);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 7));
        oracle.recordDue(7);
    }

    /// @notice Found the empty-pool bug (fixed): a pool observed before its first deposit averaged the seconds it
    /// had no price into the window as a price of zero.
    function test_record_observesNothingBeforeTheFirstDeposit() public {
        uint256 pool02 = _createPool(token0, token2);
        assertFalse(oracle.recordDue(pool02));
        vm.recordLogs();
        assertFalse(oracle.record(pool02));
        assertEq(vm.getRecordedLogs().length, 0);
        (, IComputePriceOracle.Observation memory newest) = oracle.observationsOf(pool02);
        assertEq(newest.timestamp, 0);

        _add(alice, pool02, 1_000e18, 3_000e18);
        assertTrue(oracle.recordDue(pool02));
        assertTrue(oracle.record(pool02));
    }

    /// @notice The same bug seen from a consumer: keepers record a new pool every period from its creation and
    /// liquidity arrives one period later. Every price the oracle gives must be the pool's only price ever.
    function test_twapX112_neverAveragesTheTimeBeforeTheFirstDeposit() public {
        uint256 pool02 = _createPool(token0, token2);
        oracle.record(pool02);
        _nextPeriod();
        oracle.record(pool02);
        _add(alice, pool02, 1_000e18, 3_000e18); // right after the keeper's record, in the same block
        _noteSpot(pool02);
        (uint256 spot0, uint256 spot1) = _spot(pool02);
        for (uint256 i; i < 3 * SLOTS; ++i) {
            _nextPeriod();
            oracle.record(pool02);
            try oracle.twapX112(pool02) returns (uint256 twap0, uint256 twap1) {
                assertEq(twap0, spot0, "price diluted by the empty pool's seconds");
                assertEq(twap1, spot1, "price diluted by the empty pool's seconds");
            } catch (bytes memory reason) {
                assertEq(
                    reason, abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool02)
                );
            }
        }
        oracle.twapX112(pool02); // priced in the end
    }

    function test_record_isANoOpTwiceInOnePeriod() public {
        assertTrue(oracle.recordDue(pool01));
        assertTrue(oracle.record(pool01));
        (, IComputePriceOracle.Observation memory first) = oracle.observationsOf(pool01);

        for (uint256 offset = 1; offset < PERIOD; offset += 149) {
            vm.warp(first.timestamp + offset);
            _trade(pool01, offset % 2 == 0, 10); // the cumulative price moves on; the observation must not
            assertFalse(oracle.recordDue(pool01));
            vm.recordLogs();
            assertFalse(oracle.record(pool01), "second record in the same period");
            assertEq(vm.getRecordedLogs().length, 0, "no event for a no-op");
            (, IComputePriceOracle.Observation memory newest) = oracle.observationsOf(pool01);
            assertEq(abi.encode(newest), abi.encode(first), "observation rewritten");
        }
        vm.warp(first.timestamp + PERIOD - 1);
        assertFalse(oracle.record(pool01));
        vm.warp(first.timestamp + PERIOD);
        assertTrue(oracle.recordDue(pool01));
        assertTrue(oracle.record(pool01));
    }

    /// @notice recordDue says exactly what record then does, whatever the keeper's timing.
    function testFuzz_recordDue_matchesRecord(uint256 seed) public {
        for (uint256 i; i < 40; ++i) {
            seed = uint256(keccak256(abi.encode(seed)));
            vm.warp(block.timestamp + seed % (PERIOD * 3 / 2)); // sometimes within the period, sometimes past it
            vm.roll(block.number + 1);
            if (seed % 3 == 0) _trade(pool01, seed % 2 == 0, 5);
            bool due = oracle.recordDue(pool01);
            assertEq(oracle.record(pool01), due, "recordDue disagrees with record");
            assertFalse(oracle.recordDue(pool01), "due right after a record");
        }
    }

    /// @notice The event's period price is the average since the previous observation, and its move is against the
    /// previous period's average.
    function test_record_emitsPeriodAverageAndMove() public {
        oracle.record(pool01);
        uint256 t0 = block.timestamp;
        vm.warp(t0 + 100);
        _trade(pool01, false, 50);
        _nextPeriod(); // t0 + 300
        (uint256 sum0,) = _spotSeconds(pool01, t0, block.timestamp);
        uint256 average1 = sum0 / PERIOD;
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.ObservationRecorded(pool01, uint32(block.timestamp), average1, 0, false);
        oracle.record(pool01);

        uint256 t1 = block.timestamp;
        vm.warp(t1 + 250);
        _trade(pool01, true, 20);
        vm.warp(t1 + 2 * PERIOD + 17); // a late keeper: the average covers everything since the last observation
        (sum0,) = _spotSeconds(pool01, t1, block.timestamp);
        uint256 average2 = sum0 / (block.timestamp - t1);
        uint256 moveBps = _moveBps(average2, average1);
        assertGt(moveBps, 0);
        assertLe(moveBps, MAX_MOVE_BPS);
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.ObservationRecorded(
            pool01, uint32(block.timestamp), average2, moveBps, false
        );
        oracle.record(pool01);
    }

    function test_record_flagsAMoveBeyondTheBand() public {
        _warmUp(pool01);
        (uint256 before0,) = _spot(pool01);
        _trade(pool01, false, 300); // token1 in: token0's price up ≈ 6 %
        (uint256 spot0,) = _spot(pool01);
        _nextPeriod();
        uint256 moveBps = _moveBps(spot0, before0);
        assertGt(moveBps, MAX_MOVE_BPS);
        vm.expectEmit(address(oracle));
        emit IComputePriceOracle.ObservationRecorded(pool01, uint32(block.timestamp), spot0, moveBps, true);
        oracle.record(pool01);
    }

    function test_recordMany_recordsEveryDuePoolOnce() public {
        uint256[] memory both = _path(pool01, pool12);
        vm.recordLogs();
        oracle.recordMany(both);
        assertEq(_recordedObservations(), 2);

        vm.warp(block.timestamp + 1);
        oracle.recordMany(both);
        assertEq(_recordedObservations(), 0, "neither due again in the same period");

        _nextPeriod();
        oracle.record(pool12);
        oracle.recordMany(both);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2); // pool12 by record, then pool01 alone by recordMany
        assertEq(uint256(logs[1].topics[1]), pool01);
    }

    function test_recordMany_revertsOnAnUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 9));
        oracle.recordMany(_path(pool01, 9));
    }

    function test_observationsOf_oldestOpensTheWindow() public {
        _warmUp(pool01);
        uint256 firstAt = block.timestamp - (SLOTS - 1) * PERIOD;
        (IComputePriceOracle.Observation memory oldest, IComputePriceOracle.Observation memory newest) =
            oracle.observationsOf(pool01);
        assertEq(oldest.timestamp, firstAt);
        assertEq(newest.timestamp, block.timestamp);
        // Within the period, the window keeps its opening observation; the next period opens it one later.
        vm.warp(block.timestamp + PERIOD - 1);
        assertEq(_oldest(pool01).timestamp, firstAt);
        vm.warp(block.timestamp + 1);
        assertEq(_oldest(pool01).timestamp, firstAt + PERIOD);
    }

    /// @notice Found the overflow bug (fixed): a period average more than ~3.4e20 times the previous one (possible
    /// between uint112 reserves) overflowed the squared return, so record reverted, and kept reverting every
    /// period after, since the previous average it compares against is only updated by a record that succeeds.
    function testFuzz_record_neverRevertsWhateverTheMove(
        uint256 reserve0,
        uint256 reserve1,
        uint256 inSeed,
        bool zeroForOne
    ) public {
        uint256 maxReserve = type(uint112).max / 2;
        reserve0 = bound(reserve0, 1e4, maxReserve);
        reserve1 = bound(reserve1, 1e4, maxReserve);
        uint256 pool02 = _createPool(token0, token2); // token0 < token2: reserve0 is token0's
        token0.mint(alice, reserve0);
        token2.mint(alice, reserve1);
        _add(alice, pool02, reserve0, reserve1);
        _warmUp(pool02);

        MockERC20 tokenIn = zeroForOne ? token0 : token2;
        uint256 amountIn = bound(inSeed, 1, type(uint112).max - (zeroForOne ? reserve0 : reserve1));
        tokenIn.mint(bob, amountIn);
        vm.prank(bob);
        try amm.swapExactInputSingle(pool02, address(tokenIn), amountIn, 0, bob, deadline) {}
        catch {
            return; // too small to pay anything out
        }
        _noteSpot(pool02);
        (uint256 spot0, uint256 spot1) = _spot(pool02);
        for (uint256 i; i < SLOTS + 2; ++i) {
            _nextPeriod();
            assertTrue(oracle.record(pool02), "record skipped");
        }
        // A window after the move: priced again, at the new spot exactly, and no return left in the window.
        (uint256 twap0, uint256 twap1) = oracle.twapX112(pool02);
        assertEq(twap0, spot0);
        assertEq(twap1, spot1);
        assertEq(oracle.volatility(pool02), 0);
    }

    function _recordedObservations() internal returns (uint256 n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IComputePriceOracle.ObservationRecorded.selector) ++n;
        }
    }
}
