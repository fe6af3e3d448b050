// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {ConsortiumMath} from "../../src/libraries/ConsortiumMath.sol";

/// @notice The coordinator's share and limit arithmetic: exact values at the edges, and the direction of every
/// rounding over random inputs.
contract ConsortiumMathTest is Test {
    uint256 internal constant V = 1e6;

    function test_sharesFor_firstContributionAtTheVirtualPrice() public pure {
        assertEq(ConsortiumMath.sharesFor(1, 0, 0), V);
        assertEq(ConsortiumMath.sharesFor(1e18, 0, 0), 1e18 * V);
        // 1 000 at a net asset value of 999 with 1e9 shares: ⌊1 000·(1e9 + 1e6)/1 000⌋
        assertEq(ConsortiumMath.sharesFor(1_000, 1e9, 999), 1e9 + 1e6);
        assertEq(ConsortiumMath.sharesFor(7, 10, 20), 7 * (10 + V) / 21);
    }

    function test_proRata_leavesTheVirtualSharesPart() public pure {
        assertEq(ConsortiumMath.proRata(1e18, 1e24, 1e24), 1e18 * 1e24 / (1e24 + V));
        assertEq(ConsortiumMath.proRata(0, 5, 10), 0);
        assertEq(ConsortiumMath.proRata(1_000, 1, 1), 1_000 / (1 + V));
    }

    function test_pricePerShare_startsAtOneVirtualUnitPerVirtualShares() public pure {
        assertEq(ConsortiumMath.pricePerShare(0, 0), 1e12);
        assertEq(ConsortiumMath.pricePerShare(1e18, 1e24), 1e12);
        // (2e18 + 2)/(1e24 + 1e6) is exactly 2e-6
        assertEq(ConsortiumMath.pricePerShare(2e18 + 1, 1e24), 2e12);
        assertEq(ConsortiumMath.pricePerShare(2e18, 1e24), 2e12 - 1);
    }

    function test_profit_cappedByWhatIsAvailable() public pure {
        assertEq(ConsortiumMath.profit(2e12, 1e12, 1e24, type(uint256).max), 1e18);
        assertEq(ConsortiumMath.profit(2e12, 1e12, 1e24, 4e17), 4e17);
        assertEq(ConsortiumMath.profit(1e12, 1e12, 1e24, 1e30), 0);
    }

    function test_minOutput_roundsUp() public pure {
        assertEq(ConsortiumMath.minOutput(10_000, 100), 9_900);
        assertEq(ConsortiumMath.minOutput(10_001, 100), 9_901); // 9 900.99 → 9 901
        assertEq(ConsortiumMath.minOutput(1, 9_999), 1);
        assertEq(ConsortiumMath.minOutput(0, 100), 0);
    }

    function test_lossWad_roundsUpAndIgnoresGains() public pure {
        // 1 % short on a trade worth 10 % of the net asset value: 0.1 % of it
        assertEq(ConsortiumMath.lossWad(100e18, 1_000e18, 990e18, 1_000e18), 1e15);
        assertEq(ConsortiumMath.lossWad(100e18, 1_000e18, 1_000e18, 1_000e18), 0);
        assertEq(ConsortiumMath.lossWad(100e18, 1_000e18, 1_500e18, 1_000e18), 0);
        // a one-wei shortfall still costs something
        assertEq(ConsortiumMath.lossWad(3, 1_000, 999, 1e30), 1);
        // nothing to lose on a worthless trade, even in an empty consortium
        assertEq(ConsortiumMath.lossWad(0, 1_000, 0, 0), 0);
    }

    /// @dev Contributing and leaving at once never returns more than paid, and never lowers what each other share
    /// holds (a single-asset consortium: the per-asset check is exact).
    function testFuzz_roundTripFavoursTheVault(uint256 holding, uint256 supply, uint256 amount) public pure {
        holding = bound(holding, 0, 1e30);
        supply = bound(supply, 0, 1e36);
        amount = bound(amount, 1, 1e30);
        uint256 shares = ConsortiumMath.sharesFor(amount, supply, holding);
        uint256 back = ConsortiumMath.proRata(holding + amount, shares, supply + shares);
        assertLe(back, amount);
        uint256 left = holding + amount - back;
        // per share of the others, before and after: left/(supply+V) ≥ holding/(supply+V)
        assertGe(left, holding);
    }

    /// @dev A contribution never dilutes: the net asset value per share (virtual part included) does not fall.
    function testFuzz_contributionNeverDilutes(uint256 nav, uint256 supply, uint256 amount) public pure {
        // (nav + 1)·shares ≤ amount·(supply + V): the products below stay under 2^256
        nav = bound(nav, 0, 1e30);
        supply = bound(supply, 0, 1e36);
        amount = bound(amount, 1, 1e30);
        uint256 shares = ConsortiumMath.sharesFor(amount, supply, nav);
        // (nav + amount + 1)/(supply + shares + V) ≥ (nav + 1)/(supply + V), cross-multiplied
        assertGe((nav + amount + 1) * (supply + V), (nav + 1) * (supply + shares + V));
    }

    /// @dev Leavers never take more than held, however the shares are split, and what stays per share never
    /// falls.
    function testFuzz_proRataSplitsNeverExceedTheHolding(uint256 holding, uint256 a, uint256 b, uint256 c)
        public
        pure
    {
        holding = bound(holding, 0, 1e36);
        a = bound(a, 0, 1e40);
        b = bound(b, 0, 1e40);
        c = bound(c, 0, 1e40);
        uint256 supply = a + b + c;
        uint256 paid = ConsortiumMath.proRata(holding, a, supply) + ConsortiumMath.proRata(holding, b, supply)
            + ConsortiumMath.proRata(holding, c, supply);
        assertLe(paid, holding);
        uint256 out = ConsortiumMath.proRata(holding, a, supply);
        assertGe((holding - out) * (supply + V), holding * (supply - a + V));
    }

    /// @dev A trade delivering at least minOutput(oracleOut, bps) loses at most bps of its value.
    function testFuzz_minOutputBoundsTheLoss(uint256 oracleOut, uint256 bps, uint256 value) public pure {
        oracleOut = bound(oracleOut, 1, 1e36);
        bps = bound(bps, 0, 9_999);
        value = bound(value, 1, 1e36);
        uint256 out = ConsortiumMath.minOutput(oracleOut, bps);
        assertLe(out, oracleOut);
        uint256 loss = ConsortiumMath.lossWad(value, oracleOut, out, value);
        // a WAD fraction of the trade's own value: at most bps, plus the two roundings up
        assertLe(loss, bps * 1e14 + 1e18 / value + 2);
    }
}
