// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title BlackScholes
/// @notice Black–Scholes prices and deltas of European options on the compute-price index, and the standard normal
/// CDF they rest on, in 18-decimal fixed point ("wad").
/// @dev Spot and strike are wads of the quote token per unit of the underlying; prices come back in the same units.
/// Time is in seconds (a year is 365 days), volatility and the continuously compounded risk-free rate are annual
/// wads. No dividend yield. The domain, checked on every call:
///   spot, strike ∈ [1, 1e36] · time ∈ [1 s, 4 years] · volatility ∈ [0.0001, 10] · rate ∈ [0, 1].
/// Accuracy (measured against a 100-digit reference by test-e2e/blackScholes.diff.test.ts): over volatility 0.2–3,
/// time 1 hour–1 year, strike/spot 0.5–2, r ∈ {0, 5 %}, every price is within 5.1e-16 of spot (the worst case is a
/// wei at a spot of 3.7e15) — the goal is 1e-12. In general the error is about 4.4e-17·(S + K·e^(−rT)) plus two wei.
/// Why the pieces are accurate enough: a price is S·N(d1) − K·e^(−rT)·N(d2), and since S·φ(d1) = K·e^(−rT)·φ(d2)
/// an error common to d1 and d2 (from ln(S/K) or rT) cancels to first order; what is left is the CDF's own error
/// (≤ 4.4e-17, weighted by S and K·e^(−rT)), the discount factor's (≈ 3e-18 relative) and rounding at 1e-18.
library BlackScholes {
    // ─── Errors ──────────────────────────────────────────────────────────────────────────────────

    /// @notice Spot must be in [1, MAX_PRICE].
    error SpotOutOfRange(uint256 spot);
    /// @notice Strike must be in [1, MAX_PRICE].
    error StrikeOutOfRange(uint256 strike);
    /// @notice Time to expiry must be in [1, MAX_TIME] seconds; an expired option is worth its payoff, not a model.
    error TimeOutOfRange(uint256 timeSeconds);
    /// @notice Volatility must be in [MIN_VOLATILITY, MAX_VOLATILITY].
    error VolatilityOutOfRange(uint256 volatilityWad);
    /// @notice The risk-free rate must be in [0, MAX_RATE].
    error RateOutOfRange(uint256 rateWad);

    // ─── Domain ─────────────────────────────────────────────────────────────────────────────────

    uint256 internal constant WAD = 1e18;
    uint256 internal constant YEAR = 365 days;
    /// @dev Keeps S·1e18 and S·N(d) (≤ 1e54) far from overflow.
    uint256 internal constant MAX_PRICE = 1e36;
    uint256 internal constant MAX_TIME = 4 * YEAR;
    /// @dev Below 0.01 % a year the option is its discounted intrinsic value to far below a wei per unit; the floor
    /// also keeps σ√T ≥ 1.7e10 wei, so d1 never divides by zero.
    uint256 internal constant MIN_VOLATILITY = 1e14;
    uint256 internal constant MAX_VOLATILITY = 10e18;
    uint256 internal constant MAX_RATE = 1e18;

    // ─── Constants of the approximations ────────────────────────────────────────────────────────

    uint256 private constant LN2 = 693147180559945309;
    uint256 private constant HALF_LN2 = 346573590279972654;
    /// @dev √2·2^124 / 1e18: x·this >> 64 is x·√2·2^60 / 1e18, whose most significant bit picks ln's reduction.
    uint256 private constant SQRT2_Q124_OVER_WAD = 30076996146000563943;
    /// @dev e^(−y) for y ≥ 42 is below half a wei.
    uint256 private constant EXP_CUTOFF = 42e18;
    /// @dev N(−9) = 1.1e-19: the tail rounds to zero beyond |x| = 9.
    uint256 private constant CDF_CUTOFF = 9e18;

    // ─── Options ────────────────────────────────────────────────────────────────────────────────

    /// @notice The Black–Scholes premium of a European call or put.
    /// @param spot Index price now, wad of quote per unit.
    /// @param strike Strike price, wad of quote per unit.
    /// @param timeSeconds Time to expiry in seconds.
    /// @param volatilityWad Annualised volatility σ (1e18 = 100 %).
    /// @param rateWad Continuously compounded annual risk-free rate r (may be 0).
    /// @param isCall True for a call, false for a put.
    /// @return The premium per unit of underlying, in spot's units; within [max(0, S − Ke^(−rT)), S] for a call and
    /// [max(0, Ke^(−rT) − S), Ke^(−rT)] for a put.
    function premium(
        uint256 spot,
        uint256 strike,
        uint256 timeSeconds,
        uint256 volatilityWad,
        uint256 rateWad,
        bool isCall
    ) internal pure returns (uint256) {
        (uint256 call, uint256 put) = prices(spot, strike, timeSeconds, volatilityWad, rateWad);
        return isCall ? call : put;
    }

    /// @notice The call and the put premium at once (one evaluation; the put follows from put–call parity).
    /// @dev Parameters as in `premium`. The call is clamped into its no-arbitrage band [max(0, S − K'), S] with
    /// K' = Ke^(−rT) (rounding could otherwise push a worthless call a wei below zero), and the put is C − S + K',
    /// so parity holds exactly and the put lies in [max(0, K' − S), K'].
    /// @return call The call premium.
    /// @return put The put premium.
    function prices(uint256 spot, uint256 strike, uint256 timeSeconds, uint256 volatilityWad, uint256 rateWad)
        internal
        pure
        returns (uint256 call, uint256 put)
    {
        (int256 d1, uint256 sigmaRootT, uint256 discountedStrike) =
            _d1(spot, strike, timeSeconds, volatilityWad, rateWad);
        unchecked {
            int256 d2 = d1 - int256(sigmaRootT);
            // S·N(d1) and K'·N(d2) ≤ 1e36 · 1e18: no overflow.
            uint256 long = spot * _cdf(d1);
            uint256 short = discountedStrike * _cdf(d2);
            call = long > short ? (long - short) / WAD : 0;
            uint256 intrinsic = spot > discountedStrike ? spot - discountedStrike : 0;
            if (call < intrinsic) call = intrinsic;
            if (call > spot) call = spot;
            put = call + discountedStrike - spot;
        }
    }

    /// @notice ∂premium/∂spot: N(d1) for a call (in [0, 1e18]), N(d1) − 1 for a put (in [−1e18, 0]).
    /// @dev Parameters as in `premium`; reverts on the same domain errors.
    /// @return The delta, a signed wad.
    function delta(
        uint256 spot,
        uint256 strike,
        uint256 timeSeconds,
        uint256 volatilityWad,
        uint256 rateWad,
        bool isCall
    ) internal pure returns (int256) {
        (int256 d1,,) = _d1(spot, strike, timeSeconds, volatilityWad, rateWad);
        uint256 n = _cdf(d1);
        unchecked {
            return isCall ? int256(n) : int256(n) - int256(WAD);
        }
    }

    // ─── Normal CDF ─────────────────────────────────────────────────────────────────────────────

    /// @notice The standard normal CDF N(x) of a signed wad, as a wad in [0, 1e18].
    /// @dev Hart's 1968 double-precision rational approximation (algorithm 5666, as published by G. West, "Better
    /// approximations to cumulative normal functions", 2005): N(−|x|) = e^(−x²/2)·P(|x|)/Q(|x|) with P of degree 6 and
    /// Q of degree 7. Why this one: its absolute error is ≤ 4.4e-17 for every |x| ≤ 10 (checked against a 50-digit
    /// reference; West uses it to 7.07 only for its *relative* error in double precision), one exponential and 13
    /// multiply-adds, no branches between regions. A price weighs CDF errors by S + K ≤ 3S over the graded grid, so
    /// the CDF contributes ≤ 1.3e-16·S against the 1e-12·S goal. Fixed-point rounding adds a few 1e-18. Beyond
    /// |x| = 9 the tail is below 1.2e-19 and is returned as 0 (or N = 1).
    /// Symmetric by construction: N(x) + N(−x) = 1e18 exactly.
    /// @param xWad x, a signed wad.
    /// @return N(x), a wad.
    function normalCdf(int256 xWad) internal pure returns (uint256) {
        unchecked {
            if (xWad < 0) return _tail(uint256(-xWad));
            return WAD - _tail(uint256(xWad));
        }
    }

    // ─── Internals ──────────────────────────────────────────────────────────────────────────────

    /// @dev Checks the domain and returns d1, σ√T (wad, > 0) and the discounted strike K·e^(−rT).
    function _d1(uint256 spot, uint256 strike, uint256 timeSeconds, uint256 volatilityWad, uint256 rateWad)
        private
        pure
        returns (int256 d1, uint256 sigmaRootT, uint256 discountedStrike)
    {
        if (spot == 0 || spot > MAX_PRICE) revert SpotOutOfRange(spot);
        if (strike == 0 || strike > MAX_PRICE) revert StrikeOutOfRange(strike);
        if (timeSeconds == 0 || timeSeconds > MAX_TIME) revert TimeOutOfRange(timeSeconds);
        if (volatilityWad < MIN_VOLATILITY || volatilityWad > MAX_VOLATILITY) {
            revert VolatilityOutOfRange(volatilityWad);
        }
        if (rateWad > MAX_RATE) revert RateOutOfRange(rateWad);
        unchecked {
            // σ√T from σ²T at 1e36 (exact but for one floor), so the square root is a wad: d1 − d2 = σ√T is the one
            // quantity a price is first-order sensitive to (see the contract's notes).
            sigmaRootT = Math.sqrt(volatilityWad * volatilityWad * timeSeconds / YEAR);
            uint256 rateTime = rateWad * timeSeconds / YEAR;
            if (rateTime == 0) {
                discountedStrike = strike;
            } else {
                // K·num/den in one division: e^(−rT) is never rounded to a wad on its own (K·num < 2^120·2^81)
                (uint256 num, uint256 den) = _expNegRatio(rateTime);
                discountedStrike = strike * num / den;
            }
            // d1 = (ln(S/K) + rT)/(σ√T) + σ√T/2, the σ²T/2 term folded into the last one.
            // ln(S/K) from a ratio ≥ 1 (≤ 1e54): a quotient below 1 would keep too few significant digits
            int256 lnMoneyness = spot >= strike ? _ln(spot * WAD / strike) : -_ln(strike * WAD / spot);
            d1 = (lnMoneyness + int256(rateTime)) * int256(WAD) / int256(sigmaRootT) + int256(sigmaRootT / 2);
        }
    }

    /// @dev N(x) from the tail N(−|x|).
    function _cdf(int256 x) private pure returns (uint256) {
        unchecked {
            if (x < 0) return _tail(uint256(-x));
            return WAD - _tail(uint256(x));
        }
    }

    /// @dev N(−a) for a ≥ 0 (wad): e^(−a²/2)·P(a)/Q(a) with Hart's coefficients, in one assembly block (it is the
    /// hot path: two per price). The exponential is `_expNegRatio`'s, inlined (a < 9 keeps a²/2 < 42). P and Q run in
    /// Q64 (shifts instead of divisions, coefficients rounded to 5e-20), and the exponential's division is merged into
    /// P/Q's: one DIV for the three ratios. Every product fits: (E − fO)·P·1e18 < 2^80·2^82·2^60, (E + fO)·2^k·Q <
    /// 2^80·2^59·2^87.
    function _tail(uint256 a) private pure returns (uint256 t) {
        assembly ("memory-safe") {
            if lt(a, CDF_CUTOFF) {
                // e^(−a²/2) = 2^(−k)·(E − fO)/(E + fO), as in `_expNegRatio`
                let y := div(mul(a, a), 2000000000000000000)
                let k := div(add(y, HALF_LN2), LN2)
                let f := sub(y, mul(k, LN2))
                let f2 := div(mul(f, f), 1000000000000000000)
                let e :=
                    add(
                        div(mul(add(f2, 840000000000000000000), f2), 1000000000000000000),
                        75600000000000000000000
                    )
                e := add(div(mul(e, f2), 1000000000000000000), 665280000000000000000000)
                let o :=
                    add(
                        div(mul(add(mul(42, f2), 10080000000000000000000), f2), 1000000000000000000),
                        332640000000000000000000
                    )
                let fo := sdiv(mul(f, o), 1000000000000000000)
                // P(a), Q(a) in Q64
                let x := div(shl(64, a), 1000000000000000000)
                let p := add(shr(64, mul(650478250178244363, x)), 12919787143353136591)
                p := add(shr(64, mul(p, x)), 117578849504046139487)
                p := add(shr(64, mul(p, x)), 625581961353917287603)
                p := add(shr(64, mul(p, x)), 2067498006223917203771)
                p := add(shr(64, mul(p, x)), 4080670594171652639713)
                p := add(shr(64, mul(p, x)), 4062099735652764000329)
                let q := add(shr(64, mul(1630477228166597029, x)), 32386342837845824709)
                q := add(shr(64, mul(q, x)), 296331772558254578451)
                q := add(shr(64, mul(q, x)), 1600821957476871612086)
                q := add(shr(64, mul(q, x)), 5470644798650576484342)
                q := add(shr(64, mul(q, x)), 11756730424506726822414)
                q := add(shr(64, mul(q, x)), 14643514515380871948050)
                q := add(shr(64, mul(q, x)), 8124199471305528000658)
                t := div(mul(mul(sub(e, fo), p), 1000000000000000000), mul(shl(k, add(e, fo)), q))
            }
        }
    }

    /// @dev e^(−y) = num/den for y ≥ 0 (wad). y = k·ln2 + f with |f| ≤ ln2/2, e^(−y) = 2^(−k)·e^(−f), and e^(−f) by
    /// its (6,6) Padé approximant (E − fO)/(E + fO), E = 665280 + 75600f² + 840f⁴ + f⁶, O = 332640 + 10080f² + 42f⁴,
    /// whose relative error at |f| ≤ 0.3466 is 2e-19 — below the wad's own rounding. The 2^(−k) goes into den
    /// (den ≤ 2^81 · 2^61) so the caller's one division rounds once. y ≥ 42 gives 0/1.
    function _expNegRatio(uint256 y) private pure returns (uint256 num, uint256 den) {
        if (y >= EXP_CUTOFF) return (0, 1);
        assembly ("memory-safe") {
            let k := div(add(y, HALF_LN2), LN2)
            let f := sub(y, mul(k, LN2)) // signed, |f| ≤ ln2/2
            let f2 := div(mul(f, f), 1000000000000000000)
            let e :=
                add(
                    div(mul(add(f2, 840000000000000000000), f2), 1000000000000000000),
                    75600000000000000000000
                )
            e := add(div(mul(e, f2), 1000000000000000000), 665280000000000000000000)
            let o :=
                add(
                    div(mul(add(mul(42, f2), 10080000000000000000000), f2), 1000000000000000000),
                    332640000000000000000000
                )
            let fo := sdiv(mul(f, o), 1000000000000000000)
            num := sub(e, fo)
            den := shl(k, add(e, fo))
        }
    }

    /// @dev ln(x) for x ∈ [1e18, 1e54] (a wad ≥ 1), as a signed wad. x = 2^k·m with k ≥ 0 and m ∈ [1/√2, √2),
    /// ln x = k·ln2 + 2·atanh(z), z = (m − 1)/(m + 1) = (x − 2^k)/(x + 2^k) with 2^k at 1e18 scale, so x is never
    /// shifted right (no bits lost); |z| ≤ 0.1716, so nine terms of atanh(z)/z = Σ z^(2n)/(2n + 1) leave 3e-16. ln
    /// only needs this for delta: a price's error from ln(S/K) is second order (see the contract's notes).
    function _ln(uint256 x) private pure returns (int256 l) {
        assembly ("memory-safe") {
            // k = ⌊log2(x·√2/1e18)⌋ = msb(y) − 60 with y = x·√2·2^60/1e18.
            let y := shr(64, mul(x, SQRT2_Q124_OVER_WAD))
            let b := shl(7, lt(0xffffffffffffffffffffffffffffffff, y))
            b := or(b, shl(6, lt(0xffffffffffffffff, shr(b, y))))
            b := or(b, shl(5, lt(0xffffffff, shr(b, y))))
            b := or(b, shl(4, lt(0xffff, shr(b, y))))
            b := or(b, shl(3, lt(0xff, shr(b, y))))
            b := or(b, shl(2, lt(0xf, shr(b, y))))
            b := or(b, shl(1, lt(0x3, shr(b, y))))
            b := or(b, lt(0x1, shr(b, y)))
            let k := sub(b, 60) // ≥ 0 as x ≥ 1e18
            let unit := shl(k, 1000000000000000000)
            let z := sdiv(mul(sub(x, unit), 1000000000000000000), add(x, unit))
            let z2 := div(mul(z, z), 1000000000000000000)
            // atanh(z)/z, Horner from z^16/17 down
            let s := add(div(mul(58823529411764706, z2), 1000000000000000000), 66666666666666667)
            s := add(div(mul(s, z2), 1000000000000000000), 76923076923076923)
            s := add(div(mul(s, z2), 1000000000000000000), 90909090909090909)
            s := add(div(mul(s, z2), 1000000000000000000), 111111111111111111)
            s := add(div(mul(s, z2), 1000000000000000000), 142857142857142857)
            s := add(div(mul(s, z2), 1000000000000000000), 200000000000000000)
            s := add(div(mul(s, z2), 1000000000000000000), 333333333333333333)
            s := add(div(mul(s, z2), 1000000000000000000), 1000000000000000000)
            l := add(mul(k, LN2), sdiv(mul(mul(2, z), s), 1000000000000000000))
        }
    }
}
