// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice The real AMM behind the real AccessManager (AMMTestBase), two seeded pools (token0/token1 and
/// token1/token2, so paths of two hops exist) and the oracle deployed as the protocol would deploy it: window 30 min,
/// period 5 min, band 5 %, pools idle for a day fail closed. The oracle's setters are left admin-only (no role is
/// given them), the admin being this contract as in AMMTestBase.
/// @dev The tests keep their own record of every spot price each pool has held (`_noteSpot` after anything that
/// moves reserves) and compute time-weighted averages from it, independently of the AMM's accumulators. Time
/// starts on a period boundary so keeper ticks (`_nextPeriod`) fall on period starts.
abstract contract OracleTestBase is AMMTestBase {
    uint32 internal constant WINDOW = 30 minutes;
    uint32 internal constant PERIOD = 5 minutes;
    uint256 internal constant SLOTS = WINDOW / PERIOD;
    uint16 internal constant MAX_MOVE_BPS = 500;
    uint32 internal constant MAX_POOL_IDLE = 1 days;
    uint256 internal constant Q112 = 1 << 112;
    uint256 internal constant BPS = 10_000;

    /// @dev A spot price a pool held from `start` until the next segment's start (or now).
    struct Segment {
        uint256 start;
        uint256 spot0X112;
        uint256 spot1X112;
    }

    ComputePriceOracle internal oracle;
    uint256 internal pool01;
    uint256 internal pool12;
    mapping(uint256 poolId => Segment[]) internal spots;

    function setUp() public virtual override {
        super.setUp();
        deadline = type(uint256).max; // tests run for many windows
        oracle = new ComputePriceOracle(address(manager), amm, WINDOW, PERIOD, MAX_MOVE_BPS, MAX_POOL_IDLE);
        vm.label(address(oracle), "oracle");
        _nextPeriod();
        pool01 = _createPool(token0, token1);
        _add(alice, pool01, 1_000_000e18, 2_500_000e18);
        _noteSpot(pool01);
        pool12 = _createPool(token1, token2);
        _add(alice, pool12, 3_000_000e18, 1_200_000e18);
        _noteSpot(pool12);
    }

    // ─── Time and keepers ─────────────────────────────────────────────────────────────────────

    /// @dev The start of the next period, as a new block.
    function _nextPeriod() internal {
        vm.warp((block.timestamp / PERIOD + 1) * PERIOD);
        vm.roll(block.number + 1);
    }

    /// @dev A keeper that records `poolId` at the start of each of the next `periods` periods.
    function _keep(uint256 poolId, uint256 periods) internal {
        _keep(_path(poolId), periods);
    }

    function _keep(uint256[] memory poolIds, uint256 periods) internal {
        for (uint256 i; i < periods; ++i) {
            _nextPeriod();
            for (uint256 j; j < poolIds.length; ++j) {
                assertTrue(oracle.record(poolIds[j]), "keeper tick recorded nothing");
            }
        }
    }

    /// @dev Records now and at the next `SLOTS - 1` period starts: afterwards the window is full and priced.
    function _warmUp(uint256 poolId) internal {
        _warmUp(_path(poolId));
    }

    function _warmUp(uint256[] memory poolIds) internal {
        for (uint256 j; j < poolIds.length; ++j) {
            assertTrue(oracle.record(poolIds[j]), "warm-up: first record");
        }
        _keep(poolIds, SLOTS - 1);
    }

    // ─── Prices as the tests see them ─────────────────────────────────────────────────────────

    /// @dev The pool's spot prices in UQ112.112, token0 in token1 and token1 in token0, from its reserves.
    function _spot(uint256 poolId) internal view returns (uint256 spot0X112, uint256 spot1X112) {
        (uint256 r0, uint256 r1) = _reserves(poolId);
        return ((r1 << 112) / r0, (r0 << 112) / r1);
    }

    /// @dev Appends the pool's current spot to its history (replacing one noted earlier in the same second: only the
    /// last state of a block stands for any time).
    function _noteSpot(uint256 poolId) internal {
        (uint256 spot0, uint256 spot1) = _spot(poolId);
        Segment[] storage history = spots[poolId];
        if (history.length != 0 && history[history.length - 1].start == block.timestamp) {
            history[history.length - 1] = Segment(block.timestamp, spot0, spot1);
        } else {
            history.push(Segment(block.timestamp, spot0, spot1));
        }
    }

    /// @dev Σ spot × seconds over [from, to], both directions, from the noted history.
    function _spotSeconds(uint256 poolId, uint256 from, uint256 to)
        internal
        view
        returns (uint256 sum0, uint256 sum1)
    {
        Segment[] storage history = spots[poolId];
        for (uint256 i; i < history.length; ++i) {
            uint256 start = Math.max(history[i].start, from);
            uint256 end = Math.min(i + 1 < history.length ? history[i + 1].start : to, to);
            if (end <= start) continue;
            sum0 += history[i].spot0X112 * (end - start);
            sum1 += history[i].spot1X112 * (end - start);
        }
    }

    /// @dev The time-weighted average spot over [from, now], rounded down as the oracle must.
    function _expectedTwap(uint256 poolId, uint256 from)
        internal
        view
        returns (uint256 twap0, uint256 twap1)
    {
        (uint256 sum0, uint256 sum1) = _spotSeconds(poolId, from, block.timestamp);
        uint256 elapsed = block.timestamp - from;
        return (sum0 / elapsed, sum1 / elapsed);
    }

    /// @dev The observation opening the current window.
    function _oldest(uint256 poolId) internal view returns (IComputePriceOracle.Observation memory oldest) {
        (oldest,) = oracle.observationsOf(poolId);
    }

    // ─── Trading ──────────────────────────────────────────────────────────────────────────────

    /// @dev Bob swaps `bpsOfReserve` of the input token's reserve into the pool (nothing for 0), and the new spot is
    /// noted.
    function _trade(uint256 poolId, bool zeroForOne, uint256 bpsOfReserve) internal returns (uint256 out) {
        if (bpsOfReserve == 0) return 0;
        (uint256 r0, uint256 r1) = _reserves(poolId);
        (address t0, address t1) = _tokens(poolId);
        uint256 amountIn = (zeroForOne ? r0 : r1) * bpsOfReserve / BPS;
        out = _swapIn(bob, poolId, zeroForOne ? t0 : t1, amountIn);
        _noteSpot(poolId);
    }

    function _tokens(uint256 poolId) internal view returns (address t0, address t1) {
        return (amm.getPool(poolId).token0, amm.getPool(poolId).token1);
    }

    /// @dev |a − b| · BPS / b, rounded down: the oracle's move between period averages.
    function _moveBps(uint256 a, uint256 b) internal pure returns (uint256) {
        return Math.mulDiv(a > b ? a - b : b - a, BPS, b);
    }
}
