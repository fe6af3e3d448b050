// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice Realized volatility against closed forms.
contract ComputePriceOracleVolatilityTest is OracleTestBase {
    uint256 internal constant YEAR = 365 days;

    function test_volatility_isZeroForAFlatPrice() public {
        _warmUp(pool01);
        assertEq(oracle.volatility(pool01), 0);
        _keep(pool01, 3 * SLOTS);
        assertEq(oracle.volatility(pool01), 0);
    }

    /// @notice The price alternates between P and Q = P·(1 + ≈4 %) every period (a fee-free pool, so a swap and its
    /// reverse restore the reserves to the wei). Each period return is d/P up or d/Q down, d = Q − P, so over a
    /// span of n periods with u moves up and n − u down the annualized volatility is
    /// σ = d · √((u/P² + (n−u)/Q²) · year / span).
    function test_volatility_ofAnAlternatingPathMatchesTheClosedForm() public {
        amm.setFeeBounds(pool01, IAIServiceAMM.FeeBounds({minFee: 0, maxFee: 0, maxStep: 0, minInterval: 0}));
        _warmUp(pool01);
        (uint256 p,) = _spot(pool01);
        uint256 received;
        uint256 q;
        bool up;
        for (uint256 i; i < 3 * SLOTS; ++i) {
            _nextPeriod();
            up = i % 2 == 0;
            if (up) {
                received = _trade(pool01, false, 198); // token1 in, token0 out: token0's price ≈ +4 %
                (q,) = _spot(pool01);
            } else {
                _swapIn(bob, pool01, address(token0), received); // and back
                _noteSpot(pool01);
                (uint256 back,) = _spot(pool01);
                assertApproxEqRel(back, p, 1e3, "the fee-free round trip did not restore the price");
            }
            oracle.record(pool01); // this period's average is the spot set a period ago
        }
        assertGt(_moveBps(q, p), 390);
        assertLt(_moveBps(q, p), MAX_MOVE_BPS);

        // The last record saw the move of the last-but-one trade: an up move if that trade went down.
        (IComputePriceOracle.Observation memory oldest, IComputePriceOracle.Observation memory newest) =
            oracle.observationsOf(pool01);
        uint256 span = newest.timestamp - oldest.timestamp;
        uint256 n = span / PERIOD;
        assertEq(n, SLOTS - 1);
        // The last record's average is the spot set by the trade a period before it, the opposite of the last trade.
        bool lastWasUp = !up;
        uint256 ups;
        for (uint256 k; k < n; ++k) {
            if ((k % 2 == 0) == lastWasUp) ++ups;
        }
        uint256 expected = _closedForm(p, q, ups, n - ups, span);
        assertApproxEqRel(oracle.volatility(pool01), expected, 1e6); // 1e-12
        assertGt(expected, 12e18); // ≈ 4 % every 5 minutes: over 1,200 % a year

        // Read mid-period: the same observations, the same figure.
        vm.warp(block.timestamp + PERIOD - 1);
        assertApproxEqRel(oracle.volatility(pool01), expected, 1e6);
    }

    /// @notice One move within the band: its return stays in the volatility exactly while its observation is in
    /// the window, and the figure is that one return annualized over the window's span.
    function test_volatility_ofOneMoveLastsOneWindow() public {
        _warmUp(pool01);
        (uint256 p,) = _spot(pool01);
        _trade(pool01, true, 150); // token0 in: its price ≈ −3 %
        (uint256 q,) = _spot(pool01);
        _keep(pool01, 1); // the record that sees the move
        uint256 movedAt = block.timestamp;
        while (block.timestamp < movedAt + WINDOW - PERIOD) {
            (IComputePriceOracle.Observation memory oldest, IComputePriceOracle.Observation memory newest) =
                oracle.observationsOf(pool01);
            uint256 span = newest.timestamp - oldest.timestamp;
            // one return, from P: d/P
            assertApproxEqRel(oracle.volatility(pool01), _closedForm(p, q, 1, 0, span), 1e6);
            _keep(pool01, 1);
        }
        // The window opens at the observation that saw the move: its return is no longer inside.
        assertEq(_oldest(pool01).timestamp, movedAt);
        assertEq(oracle.volatility(pool01), 0);
    }

    /// @notice Keepers stopped for most of a window: the window's only observation is both oldest and newest, and
    /// the volatility over no time is zero, not a division by zero.
    function test_volatility_isZeroWhenTheWindowHoldsOneObservation() public {
        _warmUp(pool01);
        _trade(pool01, true, 100);
        vm.warp(block.timestamp + WINDOW - 1);
        (IComputePriceOracle.Observation memory oldest, IComputePriceOracle.Observation memory newest) =
            oracle.observationsOf(pool01);
        assertEq(oldest.timestamp, newest.timestamp);
        assertEq(oracle.volatility(pool01), 0);
    }

    /// @dev σ = √((fromP·(d/P)² + fromQ·(d/Q)²) · year / span), 1e18 = 100 % a year: `fromP` returns from P to Q,
    /// `fromQ` back. The squared returns are kept at 1e36 so that the square root lands at 1e18.
    function _closedForm(uint256 p, uint256 q, uint256 fromP, uint256 fromQ, uint256 span)
        internal
        pure
        returns (uint256)
    {
        uint256 d = p > q ? p - q : q - p;
        uint256 squares = fromP * Math.mulDiv(d * d, 1e36, p * p) + fromQ * Math.mulDiv(d * d, 1e36, q * q);
        return Math.sqrt(Math.mulDiv(squares, YEAR, span));
    }
}
