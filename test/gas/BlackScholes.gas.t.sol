// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {console} from "forge-std/console.sol";

import {BlackScholesHarness} from "../derivatives/BlackScholesHarness.sol";

/// @notice Gas of the BlackScholes library's internal functions, measured inside a thin harness with `gasleft()`
/// around the internal call (so neither the 21,000 base, calldata nor the external call's ABI decoding count),
/// median over a grid of inputs: volatility 0.2–3, time 1 hour–1 year, strike/spot 0.5–2, r ∈ {0, 5 %}, spot 1e18,
/// 3.7e15 and 2,500e18. Goals: premium ≤ 5,000, CDF ≤ 1,100. `-vv` prints the table; the `test_gas_*` entries
/// below record one representative call each in `.gas-snapshot` (there the figure is the whole test's gas).
contract BlackScholesGasTest is Test {
    uint256 internal constant PREMIUM_GOAL = 5_000;
    uint256 internal constant CDF_GOAL = 1_100;

    BlackScholesHarness internal harness;

    function setUp() public {
        harness = new BlackScholesHarness();
    }

    function test_gas_medians() public view {
        uint256 n = 3 * 4 * 4 * 5 * 2 * 2;
        uint256[] memory premiumGas = new uint256[](n);
        uint256[] memory deltaGas = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            (premiumGas[i], deltaGas[i]) = _measure(i);
        }
        uint256 m = 201;
        uint256[] memory cdfGas = new uint256[](m);
        for (uint256 j; j < m; ++j) {
            // x from −10 to 10 in steps of 0.1
            (, cdfGas[j]) = harness.normalCdfGas(int256(j) * 0.1e18 - 10e18);
        }
        uint256 premiumMedian = _median(premiumGas);
        uint256 cdfMedian = _median(cdfGas);
        console.log("| function  | median gas | max gas | goal  | met |");
        console.log("| --------- | ---------- | ------- | ----- | --- |");
        _row("premium  ", premiumMedian, _max(premiumGas), PREMIUM_GOAL);
        _row("normalCdf", cdfMedian, _max(cdfGas), CDF_GOAL);
        _row("delta    ", _median(deltaGas), _max(deltaGas), 0);
        console.log("(premium, delta:", n, "options; normalCdf:", m);
        assertLe(premiumMedian, PREMIUM_GOAL, "premium median over the goal");
        assertLe(cdfMedian, CDF_GOAL, "normalCdf median over the goal");
    }

    function test_gas_premium_atTheMoney() public view {
        harness.premium(2_500e18, 2_500e18, 30 days, 0.8e18, 0.05e18, true);
    }

    function test_gas_premium_put() public view {
        harness.premium(2_500e18, 2_000e18, 7 days, 1.5e18, 0, false);
    }

    function test_gas_delta() public view {
        harness.delta(2_500e18, 3_000e18, 30 days, 0.8e18, 0.05e18, true);
    }

    function test_gas_normalCdf() public view {
        harness.normalCdf(-1.2345e18);
    }

    /// @dev The i-th option of the grid (spot, volatility, time, strike/spot, rate, side) and its gas figures.
    function _measure(uint256 i) internal view returns (uint256 premiumGas, uint256 deltaGas) {
        uint256[3] memory spots = [uint256(1e18), 3.7e15, 2_500e18];
        uint256[4] memory vols = [uint256(0.2e18), 0.5e18, 1e18, 3e18];
        uint256[4] memory times = [uint256(1 hours), 1 days, 30 days, 365 days];
        uint256[5] memory moneyness = [uint256(0.5e18), 0.8e18, 1e18, 1.25e18, 2e18];
        bool isCall = i % 2 == 0;
        uint256 rate = (i / 2) % 2 * 0.05e18;
        uint256 strike = moneyness[(i / 4) % 5];
        uint256 time = times[(i / 20) % 4];
        uint256 vol = vols[(i / 80) % 4];
        uint256 spot = spots[(i / 320) % 3];
        strike = spot * strike / 1e18;
        (, premiumGas) = harness.premiumGas(spot, strike, time, vol, rate, isCall);
        (, deltaGas) = harness.deltaGas(spot, strike, time, vol, rate, isCall);
    }

    function _row(string memory name, uint256 median, uint256 max, uint256 goal) internal pure {
        string memory met = goal == 0 ? "-" : median <= goal ? unicode"✔" : unicode"✘";
        console.log(
            string.concat(
                "| ",
                name,
                " | ",
                vm.toString(median),
                "       | ",
                vm.toString(max),
                "    | ",
                goal == 0 ? "  -  " : vm.toString(goal),
                " | ",
                met,
                "   |"
            )
        );
    }

    function _median(uint256[] memory xs) internal pure returns (uint256) {
        // insertion sort: a few hundred entries
        for (uint256 i = 1; i < xs.length; ++i) {
            uint256 x = xs[i];
            uint256 j = i;
            while (j > 0 && xs[j - 1] > x) {
                xs[j] = xs[j - 1];
                --j;
            }
            xs[j] = x;
        }
        uint256 n = xs.length;
        return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
    }

    function _max(uint256[] memory xs) internal pure returns (uint256 m) {
        for (uint256 i; i < xs.length; ++i) {
            if (xs[i] > m) m = xs[i];
        }
    }
}
