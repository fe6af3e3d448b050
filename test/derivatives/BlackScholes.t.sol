// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {BlackScholes} from "../../src/libraries/BlackScholes.sol";
import {BlackScholesHarness} from "./BlackScholesHarness.sol";

/// @notice Known values (references from the 100-digit `scripts/lib/highPrecisionNormal.ts`, truncated to wei), the
/// pricer's invariants under fuzzing (no-arbitrage bounds, parity, monotonicity, CDF symmetry and monotonicity) and
/// the domain errors. The grid-wide accuracy is measured by `test-e2e/blackScholes.diff.test.ts`.
contract BlackScholesTest is Test {
    uint256 internal constant WAD = 1e18;

    BlackScholesHarness internal bs;

    function setUp() public {
        bs = new BlackScholesHarness();
    }

    // ─── Known values ────────────────────────────────────────────────────────────────────────────

    function test_prices_textbookAtTheMoney() public view {
        // S = K = 100, T = 1 year, σ = 20 %, r = 5 %: C = 10.4505835721855667…, P = 5.5735260222569676…
        (uint256 call, uint256 put) = bs.prices(100e18, 100e18, 365 days, 0.2e18, 0.05e18);
        // within 1e-15 of spot (the grid-wide measure is ~5e-17)
        assertApproxEqAbs(call, 10_450583572185566781, 1e5, "call");
        assertApproxEqAbs(put, 5_573526022256967690, 1e5, "put");
        assertApproxEqAbs(bs.delta(100e18, 100e18, 365 days, 0.2e18, 0.05e18, true), 636830651175619071, 1e3);
    }

    function test_prices_hullExample() public view {
        // Hull, Options, Futures and Other Derivatives: S = 42, K = 40, r = 10 %, σ = 20 %, T = 6 months (182.5 days)
        (uint256 call, uint256 put) = bs.prices(42e18, 40e18, 182.5 days, 0.2e18, 0.1e18);
        assertApproxEqAbs(call, 4_759422392871533219, 42e3, "call");
        assertApproxEqAbs(put, 808599372900093583, 42e3, "put");
        assertApproxEqAbs(bs.delta(42e18, 40e18, 182.5 days, 0.2e18, 0.1e18, true), 779131290942668940, 1e3);
    }

    function test_prices_computeIndexOutOfTheMoney() public view {
        (uint256 call, uint256 put) = bs.prices(2_500e18, 3_000e18, 30 days, 0.8e18, 0);
        assertApproxEqAbs(call, 75_884746956491386527, 2.5e6, "call");
        assertApproxEqAbs(put, 575_884746956491386527, 2.5e6, "put");
        assertEq(bs.premium(2_500e18, 3_000e18, 30 days, 0.8e18, 0, true), call);
        assertEq(bs.premium(2_500e18, 3_000e18, 30 days, 0.8e18, 0, false), put);
        int256 callDelta = bs.delta(2_500e18, 3_000e18, 30 days, 0.8e18, 0, true);
        assertApproxEqAbs(callDelta, 248169092082149656, 1e3);
        assertEq(bs.delta(2_500e18, 3_000e18, 30 days, 0.8e18, 0, false), callDelta - 1e18);
    }

    function test_normalCdf_knownValues() public view {
        assertEq(bs.normalCdf(0), 0.5e18);
        // Hart's approximation is good to 4.4e-17: 44 wei
        assertApproxEqAbs(bs.normalCdf(1e18), 841344746068542948, 44);
        assertApproxEqAbs(bs.normalCdf(-1.96e18), 24997895148220434, 44);
        assertApproxEqAbs(bs.normalCdf(3e18), 998650101968369905, 44);
        assertApproxEqAbs(bs.normalCdf(-5e18), 286651571879, 44);
        assertEq(bs.normalCdf(9e18), 1e18);
        assertEq(bs.normalCdf(-9e18), 0);
        assertEq(bs.normalCdf(type(int256).max), 1e18);
        assertEq(bs.normalCdf(-type(int256).max), 0);
    }

    // ─── Edges ──────────────────────────────────────────────────────────────────────────────────

    function test_prices_oneSecondLeft_isIntrinsic() public view {
        // deep in and out of the money a second before expiry: discounted intrinsic value, to the wei
        (uint256 call, uint256 put) = bs.prices(2_500e18, 2_000e18, 1, 1e18, 0);
        assertEq(call, 500e18);
        assertEq(put, 0);
        (call, put) = bs.prices(2_000e18, 2_500e18, 1, 1e18, 0);
        assertEq(call, 0);
        assertEq(put, 500e18);
    }

    function test_prices_extremeVolatilityAndTime_stayBelowSpot() public view {
        // σ = 10, T = 4 years: σ√T = 20, the call is all but the whole spot and the put all but the whole strike
        (uint256 call, uint256 put) = bs.prices(1e18, 1e18, 4 * 365 days, 10e18, 1e18);
        assertLe(call, 1e18);
        assertGt(call, 0.99e18);
        assertLe(put, 1e18);
    }

    function test_prices_extremeMoneyness() public view {
        (uint256 call, uint256 put) = bs.prices(1, 1e36, 365 days, 3e18, 0.05e18);
        assertEq(call, 0);
        assertLe(put, 1e36);
        (call, put) = bs.prices(1e36, 1, 365 days, 3e18, 0.05e18);
        // K·e^(−rT) of a 1-wei strike rounds to 0: the call is the whole spot
        assertEq(put, 0);
        assertEq(call, 1e36);
    }

    // ─── Invariants (fuzz) ─────────────────────────────────────────────────────────────────────

    struct Input {
        uint256 spot;
        uint256 strike;
        uint256 time;
        uint256 vol;
        uint256 rate;
    }

    function _input(uint256 spot, uint256 moneyness, uint256 time, uint256 vol, uint256 rate)
        internal
        pure
        returns (Input memory i)
    {
        i.spot = bound(spot, 1e6, 1e30);
        i.strike = i.spot * bound(moneyness, 0.01e18, 100e18) / WAD;
        i.time = bound(time, 1, BlackScholes.MAX_TIME);
        i.vol = bound(vol, BlackScholes.MIN_VOLATILITY, BlackScholes.MAX_VOLATILITY);
        i.rate = bound(rate, 0, BlackScholes.MAX_RATE);
    }

    /// @dev Monotonicity holds to the pricer's accuracy: a few 1e-16 of spot and rounding.
    function _tolerance(uint256 spot) internal pure returns (uint256) {
        return spot / 1e15 + 2;
    }

    function testFuzz_prices_withinNoArbitrageBoundsAndParity(
        uint256 spot,
        uint256 moneyness,
        uint256 time,
        uint256 vol,
        uint256 rate
    ) public view {
        Input memory i = _input(spot, moneyness, time, vol, rate);
        (uint256 call, uint256 put) = bs.prices(i.spot, i.strike, i.time, i.vol, i.rate);
        assertLe(call, i.spot, "call above spot");
        assertLe(put, i.strike, "put above strike");
        // parity: C − P = S − K·e^(−rT), and e^(−rT) ∈ [1 − rT, 1]
        uint256 discountedStrike = put + i.spot - call;
        assertLe(discountedStrike, i.strike, "K' above K");
        uint256 rateTime = i.rate * i.time / 365 days;
        uint256 floor = rateTime < WAD ? i.strike - i.strike * rateTime / WAD : 0;
        assertGe(discountedStrike + 1, floor, "K' below K(1 - rT)");
        if (i.rate == 0) assertEq(call + i.strike, put + i.spot, "parity at r = 0");
        // intrinsic lower bounds
        if (i.spot > discountedStrike) assertGe(call, i.spot - discountedStrike);
        else assertGe(put, discountedStrike - i.spot);
    }

    function testFuzz_prices_monotoneInSpot(
        uint256 spot,
        uint256 moneyness,
        uint256 time,
        uint256 vol,
        uint256 rate,
        uint256 bump
    ) public view {
        Input memory i = _input(spot, moneyness, time, vol, rate);
        uint256 higher = i.spot + i.spot * bound(bump, 1, 1e18) / WAD;
        (uint256 call, uint256 put) = bs.prices(i.spot, i.strike, i.time, i.vol, i.rate);
        (uint256 callUp, uint256 putUp) = bs.prices(higher, i.strike, i.time, i.vol, i.rate);
        assertGe(callUp + _tolerance(higher), call, "call falls with spot");
        assertLe(putUp, put + _tolerance(higher), "put rises with spot");
    }

    function testFuzz_prices_monotoneInVolatility(
        uint256 spot,
        uint256 moneyness,
        uint256 time,
        uint256 vol,
        uint256 rate,
        uint256 higherVol
    ) public view {
        Input memory i = _input(spot, moneyness, time, vol, rate);
        higherVol = bound(higherVol, i.vol, BlackScholes.MAX_VOLATILITY);
        (uint256 call, uint256 put) = bs.prices(i.spot, i.strike, i.time, i.vol, i.rate);
        (uint256 callUp, uint256 putUp) = bs.prices(i.spot, i.strike, i.time, higherVol, i.rate);
        assertGe(callUp + _tolerance(i.spot), call, "call falls with volatility");
        assertGe(putUp + _tolerance(i.spot), put, "put falls with volatility");
    }

    function testFuzz_prices_monotoneInTime(
        uint256 spot,
        uint256 moneyness,
        uint256 time,
        uint256 vol,
        uint256 rate,
        uint256 longer
    ) public view {
        Input memory i = _input(spot, moneyness, time, vol, rate);
        longer = bound(longer, i.time, BlackScholes.MAX_TIME);
        // a call (no dividends, r ≥ 0) gains with time; a put only when r = 0 (early money is worth less otherwise)
        (uint256 call,) = bs.prices(i.spot, i.strike, i.time, i.vol, i.rate);
        (uint256 callLater,) = bs.prices(i.spot, i.strike, longer, i.vol, i.rate);
        assertGe(callLater + _tolerance(i.spot), call, "call falls with time");
        (, uint256 put) = bs.prices(i.spot, i.strike, i.time, i.vol, 0);
        (, uint256 putLater) = bs.prices(i.spot, i.strike, longer, i.vol, 0);
        assertGe(putLater + _tolerance(i.spot), put, "put falls with time at r = 0");
    }

    function testFuzz_delta_bounds(uint256 spot, uint256 moneyness, uint256 time, uint256 vol, uint256 rate)
        public
        view
    {
        Input memory i = _input(spot, moneyness, time, vol, rate);
        int256 callDelta = bs.delta(i.spot, i.strike, i.time, i.vol, i.rate, true);
        int256 putDelta = bs.delta(i.spot, i.strike, i.time, i.vol, i.rate, false);
        assertGe(callDelta, 0);
        assertLe(callDelta, 1e18);
        assertGe(putDelta, -1e18);
        assertLe(putDelta, 0);
        assertEq(callDelta - putDelta, 1e18);
    }

    function testFuzz_normalCdf_symmetric(int256 x) public view {
        x = bound(x, -20e18, 20e18);
        assertEq(bs.normalCdf(x) + bs.normalCdf(-x), 1e18);
        assertLe(bs.normalCdf(x), 1e18);
    }

    function testFuzz_normalCdf_monotone(int256 x, uint256 step) public view {
        x = bound(x, -10e18, 10e18);
        int256 y = x + int256(bound(step, 1, 1e18));
        // rounding can make neighbours a wei or two out of order where the density is tiny
        assertLe(bs.normalCdf(x), bs.normalCdf(y) + 2);
    }

    // ─── Domain errors ─────────────────────────────────────────────────────────────────────────

    function test_prices_revertsWhenSpotOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.SpotOutOfRange.selector, 0));
        bs.prices(0, 1e18, 1 days, 1e18, 0);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.SpotOutOfRange.selector, 1e36 + 1));
        bs.prices(1e36 + 1, 1e18, 1 days, 1e18, 0);
    }

    function test_prices_revertsWhenStrikeOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.StrikeOutOfRange.selector, 0));
        bs.premium(1e18, 0, 1 days, 1e18, 0, true);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.StrikeOutOfRange.selector, 1e36 + 1));
        bs.premium(1e18, 1e36 + 1, 1 days, 1e18, 0, false);
    }

    function test_prices_revertsWhenTimeOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.TimeOutOfRange.selector, 0));
        bs.prices(1e18, 1e18, 0, 1e18, 0);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.TimeOutOfRange.selector, 4 * 365 days + 1));
        bs.delta(1e18, 1e18, 4 * 365 days + 1, 1e18, 0, true);
    }

    function test_prices_revertsWhenVolatilityOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.VolatilityOutOfRange.selector, 0));
        bs.prices(1e18, 1e18, 1 days, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.VolatilityOutOfRange.selector, 1e14 - 1));
        bs.prices(1e18, 1e18, 1 days, 1e14 - 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.VolatilityOutOfRange.selector, 10e18 + 1));
        bs.prices(1e18, 1e18, 1 days, 10e18 + 1, 0);
    }

    function test_prices_revertsWhenRateOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.RateOutOfRange.selector, 1e18 + 1));
        bs.prices(1e18, 1e18, 1 days, 1e18, 1e18 + 1);
    }
}
