// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice An attacker moves the pool's spot price with a large swap, holds it for one or two blocks (12 s each) and
/// swaps back. The effect on the TWAP is measured against the same two swaps made in one block (the attacker's
/// round trip without the held seconds, so the fees' small lasting effect on the price is the same in both runs):
/// at every read, the TWAP moved by exactly (spot move × manipulated seconds inside the window / the window's
/// length) to rounding — never more. The window's length is `elapsed`, between window − 2·period and window (here
/// window − period to window, keepers recording at each period start), so the move is at most spot move ×
/// seconds / (window − 2·period), and about spot move × seconds / window. With period 5 min, window 30 min and a
/// 5 % band, a spot move up to band × period / seconds (≈ 62 % for two blocks, 125 % for one) neither moves the
/// TWAP by the band nor trips it.
contract ComputePriceOracleManipulationTest is OracleTestBase {
    uint256 internal constant BLOCK = 12;

    struct Read {
        uint256 twap0;
        uint256 twap1;
        uint256 elapsed;
        uint256 manipulatedSeconds;
    }

    struct Attack {
        uint256 at;
        uint256 heldFor;
        bool pushUp;
        uint256 bpsOfReserve;
        uint256 manipulated0;
        uint256 manipulated1;
        uint256 after0;
        uint256 after1;
    }

    /// @param sizeSeed Swap size: up to 25 % of the input reserve held two blocks (token0's price ×1.56 or ×0.64),
    /// 45 % held one block (×2.1 or ×0.48).
    function testFuzz_manipulation_movesTheTwapByItsShareOfTheWindowAndNeverTripsTheBand(
        uint256 sizeSeed,
        uint256 offsetSeed,
        bool pushUp,
        bool twoBlocks
    ) public {
        _warmUp(pool01);
        _keep(pool01, SLOTS); // a full window of history at one price
        (uint256 before0, uint256 before1) = _spot(pool01);

        Attack memory attack;
        attack.heldFor = (twoBlocks ? 2 : 1) * BLOCK;
        attack.bpsOfReserve = bound(sizeSeed, 200, twoBlocks ? 2_500 : 4_500);
        attack.at = block.timestamp + bound(offsetSeed, 1, PERIOD - 1); // may straddle the next keeper tick
        attack.pushUp = pushUp;

        uint256 snapshot = vm.snapshotState();
        (Read[] memory honest,) = _run(attack, false);
        vm.revertToState(snapshot);
        (Read[] memory attacked, Attack memory done) = _run(attack, true);

        uint256 spotMove0 = _diff(done.manipulated0, done.after0);
        uint256 spotMove1 = _diff(done.manipulated1, done.after1);
        assertGt(spotMove0 * BPS / before0, 300, "the attack moved the spot by over 3 %");
        for (uint256 i; i < attacked.length; ++i) {
            Read memory r = attacked[i];
            assertEq(r.elapsed, honest[i].elapsed);
            assertGt(r.elapsed, WINDOW - 2 * PERIOD);
            assertLe(r.elapsed, WINDOW);
            // Exactly the manipulated seconds' share of the window, to rounding, both directions.
            _assertShare(_diff(r.twap0, honest[i].twap0), spotMove0, r.manipulatedSeconds, r.elapsed);
            _assertShare(_diff(r.twap1, honest[i].twap1), spotMove1, r.manipulatedSeconds, r.elapsed);
            // Hence at most spot move × held seconds / (window − 2·period) ...
            assertLe(_diff(r.twap0, honest[i].twap0), spotMove0 * attack.heldFor / (WINDOW - 2 * PERIOD) + 1);
            // ... and, against the price before the attack, well inside the band.
            assertLt(
                _diff(r.twap0, before0) * BPS,
                uint256(MAX_MOVE_BPS) * before0,
                "token0 TWAP moved by the band"
            );
            assertLt(
                _diff(r.twap1, before1) * BPS,
                uint256(MAX_MOVE_BPS) * before1,
                "token1 TWAP moved by the band"
            );
        }
        assertGt(attacked[0].manipulatedSeconds, 0);
    }

    /// @notice A spike the band cannot let through (token0's price ×10 for two blocks): until the period is recorded
    /// the TWAP carries exactly its share of the window (≈ 9 × 24 s / 30 min ≈ 12 %: the band only judges recorded
    /// periods); the keeper's next record sees the period average move ≈ 72 % and the oracle closes for a window.
    function test_manipulation_aSpikeBeyondTheBandClosesTheOracleAtTheNextRecord() public {
        _warmUp(pool01);
        _keep(pool01, SLOTS);
        (uint256 before0,) = _spot(pool01);
        uint256 t = block.timestamp;

        vm.warp(t + 100);
        uint256 out = _trade(pool01, false, 21_623); // token1 in: r1 × √10
        (uint256 spiked0,) = _spot(pool01);
        assertApproxEqRel(spiked0, before0 * 10, 0.01e18);
        vm.warp(t + 100 + 2 * BLOCK);
        _swapIn(bob, pool01, address(token0), out);
        _noteSpot(pool01);

        (uint256 twap0,) = oracle.twapX112(pool01);
        uint256 elapsed = block.timestamp - _oldest(pool01).timestamp;
        (uint256 expected0,) = _expectedTwap(pool01, _oldest(pool01).timestamp);
        assertEq(twap0, expected0);
        assertApproxEqRel(twap0 - before0, (spiked0 - before0) * 2 * BLOCK / elapsed, 0.01e18);

        _keep(pool01, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IComputePriceOracle.PriceMovedBeyondBand.selector, pool01, block.timestamp)
        );
        oracle.twapX112(pool01);
        uint256 movedAt = block.timestamp;
        // The next record (the average back down) locks again; a window after it, prices resume near the old price.
        _keep(pool01, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IComputePriceOracle.PriceMovedBeyondBand.selector, pool01, movedAt + PERIOD
            )
        );
        oracle.twapX112(pool01);
        _keep(pool01, SLOTS);
        (twap0,) = oracle.twapX112(pool01);
        assertApproxEqRel(twap0, before0, 0.01e18); // the round trip's fees stay in the pool
    }

    /// @dev Runs the attack: the spot is pushed at `attack.at` and pushed back `attack.heldFor` seconds later, or in
    /// the same block when `held` is false. Both runs then share one timeline: the keeper records at every period
    /// start (one may fall between the two swaps), and the TWAP is read at `attack.at + heldFor` and after each
    /// record for a window.
    function _run(Attack memory attack, bool held)
        internal
        returns (Read[] memory reads, Attack memory done)
    {
        done = attack;
        reads = new Read[](SLOTS + 2);
        uint256 nextTick = (block.timestamp / PERIOD + 1) * PERIOD;
        (address t0, address t1) = _tokens(pool01);

        vm.warp(attack.at);
        vm.roll(block.number + 1);
        uint256 out = _trade(pool01, !attack.pushUp, attack.bpsOfReserve);
        (done.manipulated0, done.manipulated1) = _spot(pool01);
        if (!held) _swapIn(bob, pool01, attack.pushUp ? t0 : t1, out);
        if (nextTick <= attack.at + attack.heldFor) {
            vm.warp(nextTick);
            vm.roll(block.number + 1);
            oracle.record(pool01);
            nextTick += PERIOD;
        }
        vm.warp(attack.at + attack.heldFor);
        vm.roll(block.number + 1);
        if (held) _swapIn(bob, pool01, attack.pushUp ? t0 : t1, out);
        (done.after0, done.after1) = _spot(pool01);
        reads[0] = _read(attack, held);
        for (uint256 i = 1; i < reads.length; ++i) {
            vm.warp(nextTick);
            vm.roll(block.number + 1);
            oracle.record(pool01);
            nextTick += PERIOD;
            reads[i] = _read(attack, held);
        }
    }

    function _read(Attack memory attack, bool held) internal view returns (Read memory r) {
        (r.twap0, r.twap1) = oracle.twapX112(pool01); // reverts if the band tripped
        uint256 from = _oldest(pool01).timestamp;
        r.elapsed = block.timestamp - from;
        if (held) {
            uint256 start = attack.at > from ? attack.at : from;
            uint256 end = attack.at + attack.heldFor;
            r.manipulatedSeconds = end > start ? end - start : 0;
        }
    }

    /// @dev |ΔTWAP| = spot move × seconds / elapsed, each TWAP rounded down once: within one unit either side.
    function _assertShare(uint256 twapMove, uint256 spotMove, uint256 seconds_, uint256 elapsed)
        internal
        pure
    {
        uint256 share = spotMove * seconds_ / elapsed;
        assertLe(twapMove, share + 1, "TWAP moved by more than the manipulated seconds' share");
        assertGe(twapMove + 1, share, "TWAP moved by less than the manipulated seconds' share");
    }

    function _diff(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : b - a;
    }
}
