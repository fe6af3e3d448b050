// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../interfaces/IComputePriceOracle.sol";

/// @title ComputePriceOracle
/// @notice Sliding-window time-weighted prices (and realized volatility) of the AMM's pools.
/// @dev The window is split into `window / period` periods and each pool keeps one observation slot per period (a
/// ring buffer indexed by `timestamp / period`, as Uniswap V2's sliding-window oracle), so a price needs no loop and
/// costs the same whatever the history. The slot after the current period's holds the observation that opens the
/// window: recorded between `window − 2·period` and `window` seconds ago when keepers record every period.
contract ComputePriceOracle is IComputePriceOracle, AccessManaged {
    uint256 private constant BPS = 10_000;
    uint256 private constant WAD = 1e18;
    uint256 private constant YEAR = 365 days;
    /// @notice More slots than this would make the window too fine to be worth its storage.
    uint256 public constant MAX_SLOTS = 64;
    /// @dev Cap on one period's squared return (WAD), reached by a ≈ 10^15-fold move; the uint224 sum holds 2^64 of
    /// them. Returns of 2^64-fold or more are not squared at all (the square would overflow): they take the cap.
    uint256 private constant MAX_SQUARED_RETURN_WAD = type(uint224).max >> 64;
    uint256 private constant MAX_UNCAPPED_RETURN = 1 << 64;

    /// @dev Cached per pool at its first observation: the tokens (so a price needs no AMM view of them), the
    /// newest observation's slot, the last period's average price and when the band was last exceeded.
    struct PoolState {
        address token0;
        uint32 movedBeyondBandAt;
        uint16 newestSlot;
        bool initialized;
        address token1;
        uint256 lastPeriodPrice0X112;
    }

    IAIServiceAMM public immutable amm;
    /// @inheritdoc IComputePriceOracle
    uint32 public immutable window;
    /// @inheritdoc IComputePriceOracle
    uint32 public immutable period;
    uint256 private immutable _slots;

    /// @inheritdoc IComputePriceOracle
    uint16 public maxMoveBps;
    /// @inheritdoc IComputePriceOracle
    uint32 public maxPoolIdle;

    mapping(uint256 poolId => PoolState) internal _pools;
    mapping(uint256 poolId => mapping(uint256 slot => Observation)) internal _observations;
    mapping(uint256 poolId => mapping(uint256 expiry => Settlement)) internal _settlements;

    /// @param authority The protocol's AccessManager (governance sets the band and the idle limit).
    /// @param amm_ The AMM whose pools are observed.
    /// @param window_ Averaging window in seconds; a multiple of `period_`.
    /// @param period_ Seconds between kept observations.
    /// @param maxMoveBps_ Largest move between consecutive period averages before prices fail closed.
    /// @param maxPoolIdle_ Longest time without a trade before prices fail closed (0 = no limit).
    constructor(
        address authority,
        IAIServiceAMM amm_,
        uint32 window_,
        uint32 period_,
        uint16 maxMoveBps_,
        uint32 maxPoolIdle_
    ) AccessManaged(authority) {
        if (address(amm_) == address(0)) revert ZeroAddress();
        if (
            period_ == 0 || window_ < 3 * uint256(period_) || window_ % period_ != 0
                || window_ / period_ >= MAX_SLOTS
        ) {
            revert InvalidWindow(window_, period_);
        }
        amm = amm_;
        window = window_;
        period = period_;
        _slots = window_ / period_;
        _setMaxMove(maxMoveBps_);
        maxPoolIdle = maxPoolIdle_;
        emit MaxPoolIdleSet(maxPoolIdle_);
    }

    // ─── Recording ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputePriceOracle
    function record(uint256 poolId) public returns (bool recorded) {
        PoolState storage pool = _pools[poolId];
        if (!pool.initialized) {
            IAIServiceAMM.PoolView memory view_ = amm.getPool(poolId); // reverts UnknownPool
            // Before its first deposit a pool has no price and its cumulative prices stand still while time runs:
            // an observation now would open a later window with seconds averaged in as a price of zero.
            if (view_.reserve0 == 0) return false;
            pool.token0 = view_.token0;
            pool.token1 = view_.token1;
            pool.initialized = true;
        } else if (!_due(poolId, pool)) {
            return false;
        }
        (uint256 price0Cumulative, uint256 price1Cumulative, uint32 timestamp) =
            amm.currentCumulativePrices(poolId);
        uint256 slot = (timestamp / period) % _slots;

        uint224 varianceCumulative;
        uint256 periodPrice0X112;
        uint256 moveBps;
        bool beyondBand;
        Observation storage newest = _observations[poolId][pool.newestSlot];
        if (newest.timestamp != 0) {
            varianceCumulative = newest.varianceCumulative;
            unchecked {
                // Wrapping subtraction, as the AMM's accumulators wrap.
                periodPrice0X112 =
                    (price0Cumulative - newest.price0Cumulative) / (timestamp - newest.timestamp);
            }
            uint256 lastPrice = pool.lastPeriodPrice0X112;
            if (lastPrice != 0 && periodPrice0X112 != 0) {
                uint256 difference = periodPrice0X112 > lastPrice
                    ? periodPrice0X112 - lastPrice
                    : lastPrice - periodPrice0X112;
                // Capped, never overflowing: a record that reverted here could not update the last period's price,
                // so every later record would revert too and the pool's oracle would be dead for good.
                uint256 squaredReturnWad = MAX_SQUARED_RETURN_WAD;
                if (difference / lastPrice < MAX_UNCAPPED_RETURN) {
                    uint256 returnWad = Math.mulDiv(difference, WAD, lastPrice);
                    squaredReturnWad = Math.min(returnWad * returnWad / WAD, MAX_SQUARED_RETURN_WAD);
                }
                varianceCumulative += uint224(squaredReturnWad);
                moveBps = Math.mulDiv(difference, BPS, lastPrice);
                if (moveBps > maxMoveBps) {
                    beyondBand = true;
                    pool.movedBeyondBandAt = timestamp;
                }
            }
            pool.lastPeriodPrice0X112 = periodPrice0X112;
        }
        _observations[poolId][slot] =
            Observation(timestamp, varianceCumulative, price0Cumulative, price1Cumulative);
        pool.newestSlot = uint16(slot);
        emit ObservationRecorded(poolId, timestamp, periodPrice0X112, moveBps, beyondBand);
        return true;
    }

    /// @inheritdoc IComputePriceOracle
    function recordMany(uint256[] calldata poolIds) external {
        for (uint256 i; i < poolIds.length; ++i) {
            record(poolIds[i]);
        }
    }

    // ─── Settlement ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputePriceOracle
    function finalizeSettlement(uint256 poolId, uint256 expiry)
        external
        returns (uint256 price0X112, uint256 price1X112)
    {
        // On the grid, so that "the period starting at expiry" is a period of the ring buffer.
        if (expiry == 0 || expiry % period != 0) revert ExpiryNotOnPeriodGrid(expiry, period);
        if (block.timestamp < expiry) revert ExpiryNotReached(expiry);
        Settlement storage settlement = _settlements[poolId][expiry];
        if (settlement.windowEnd != 0) return (settlement.price0X112, settlement.price1X112);

        // The window ends at an observation, never at a moment the caller picks within a period: record first, so
        // that the first call after expiry makes the observation that closes the window if no keeper has yet.
        record(poolId);
        Settlement memory settled = _settlementWindow(poolId);
        _settlements[poolId][expiry] = settled;
        emit SettlementFinalized(
            poolId,
            expiry,
            settled.price0X112,
            settled.price1X112,
            settled.windowStart,
            settled.windowEnd,
            settled.windowEnd / period != expiry / period
        );
        return (settled.price0X112, settled.price1X112);
    }

    // ─── Governance ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputePriceOracle
    function setMaxMove(uint16 maxMoveBps_) external restricted {
        _setMaxMove(maxMoveBps_);
    }

    /// @inheritdoc IComputePriceOracle
    function setMaxPoolIdle(uint32 maxPoolIdle_) external restricted {
        maxPoolIdle = maxPoolIdle_;
        emit MaxPoolIdleSet(maxPoolIdle_);
    }

    // ─── Prices ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputePriceOracle
    function twapX112(uint256 poolId) public view returns (uint256 price0X112, uint256 price1X112) {
        (price0X112, price1X112,) = _twap(poolId, true);
    }

    /// @inheritdoc IComputePriceOracle
    function twapIgnoringBandX112(uint256 poolId)
        external
        view
        returns (uint256 price0X112, uint256 price1X112)
    {
        (price0X112, price1X112,) = _twap(poolId, false);
    }

    /// @inheritdoc IComputePriceOracle
    function consult(uint256 poolId, address tokenIn, uint256 amountIn)
        public
        view
        returns (uint256 amountOut, address tokenOut)
    {
        (uint256 price0X112, uint256 price1X112, PoolState storage pool) = _twap(poolId, true);
        if (tokenIn == pool.token0) {
            return (Math.mulDiv(amountIn, price0X112, 1 << 112), pool.token1);
        }
        if (tokenIn == pool.token1) {
            return (Math.mulDiv(amountIn, price1X112, 1 << 112), pool.token0);
        }
        revert TokenNotInPool(poolId, tokenIn);
    }

    /// @inheritdoc IComputePriceOracle
    function consultPath(uint256[] calldata poolIds, address tokenIn, uint256 amountIn)
        external
        view
        returns (uint256 amountOut, address tokenOut)
    {
        (amountOut, tokenOut) = (amountIn, tokenIn);
        for (uint256 i; i < poolIds.length; ++i) {
            (amountOut, tokenOut) = consult(poolIds[i], tokenOut, amountOut);
        }
    }

    /// @inheritdoc IComputePriceOracle
    function volatility(uint256 poolId) external view returns (uint256 annualizedWad) {
        (PoolState storage pool, Observation storage oldest,) = _window(poolId, true);
        Observation storage newest = _observations[poolId][pool.newestSlot];
        uint256 span = newest.timestamp - oldest.timestamp;
        if (span == 0) return 0;
        // Σ r² over the span, times the spans in a year: the annualized variance of period returns.
        uint256 variance = newest.varianceCumulative - oldest.varianceCumulative;
        return Math.sqrt(Math.mulDiv(variance, YEAR, span) * WAD);
    }

    /// @inheritdoc IComputePriceOracle
    function settlementPrice(uint256 poolId, uint256 expiry)
        external
        view
        returns (uint256 price0X112, uint256 price1X112)
    {
        Settlement storage settlement = _settlements[poolId][expiry];
        if (settlement.windowEnd == 0) revert SettlementNotFinal(poolId, expiry);
        return (settlement.price0X112, settlement.price1X112);
    }

    /// @inheritdoc IComputePriceOracle
    function settlementOf(uint256 poolId, uint256 expiry) external view returns (Settlement memory) {
        return _settlements[poolId][expiry];
    }

    /// @inheritdoc IComputePriceOracle
    function recordDue(uint256 poolId) external view returns (bool) {
        PoolState storage pool = _pools[poolId];
        if (!pool.initialized) {
            (uint112 reserve0,,) = amm.getReserves(poolId); // reverts UnknownPool, as record does
            return reserve0 != 0;
        }
        return _due(poolId, pool);
    }

    /// @inheritdoc IComputePriceOracle
    function observationsOf(uint256 poolId)
        external
        view
        returns (Observation memory oldest, Observation memory newest)
    {
        oldest = _observations[poolId][(block.timestamp / period + 1) % _slots];
        newest = _observations[poolId][_pools[poolId].newestSlot];
    }

    // ─── Internals ────────────────────────────────────────────────────────────────────────────

    /// @dev Due once per period: a pool keeps at most one observation per period.
    function _due(uint256 poolId, PoolState storage pool) private view returns (bool) {
        return block.timestamp / period != _observations[poolId][pool.newestSlot].timestamp / period;
    }

    /// @dev The observation opening the window, checked as the NatSpec of {IComputePriceOracle} describes (the band
    /// only when `checkBand`).
    function _window(uint256 poolId, bool checkBand)
        private
        view
        returns (PoolState storage pool, Observation storage oldest, uint256 elapsed)
    {
        pool = _pools[poolId];
        if (!pool.initialized) revert InsufficientHistory(poolId);
        oldest = _observations[poolId][(block.timestamp / period + 1) % _slots];
        if (oldest.timestamp == 0) revert InsufficientHistory(poolId);
        elapsed = block.timestamp - oldest.timestamp;
        // Older than the window: the slot still holds an earlier cycle's observation (nobody recorded in time).
        if (elapsed > window) revert StaleObservation(poolId, elapsed, window);
        if (elapsed < window - 2 * uint256(period)) revert InsufficientHistory(poolId);
        if (!checkBand) return (pool, oldest, elapsed);
        uint256 movedAt = pool.movedBeyondBandAt;
        if (movedAt != 0 && block.timestamp - movedAt < window) revert PriceMovedBeyondBand(poolId, movedAt);
    }

    /// @dev The window ending at the newest observation, checked as {_window} checks the one ending now (but for
    /// idleness: see the interface).
    function _settlementWindow(uint256 poolId) private view returns (Settlement memory settled) {
        PoolState storage pool = _pools[poolId];
        if (!pool.initialized) revert InsufficientHistory(poolId);
        // After record, the newest observation is in the current period: at or after expiry.
        Observation storage end = _observations[poolId][pool.newestSlot];
        Observation storage start = _observations[poolId][(end.timestamp / period + 1) % _slots];
        if (start.timestamp == 0) revert InsufficientHistory(poolId);
        uint256 elapsed = end.timestamp - start.timestamp;
        // The slot holds an earlier cycle's observation: the window's opening one was never recorded, or (called
        // late) it has been overwritten since. Only a full window of records prices again, as for twapX112.
        if (elapsed > window) revert StaleObservation(poolId, elapsed, window);
        uint256 movedAt = pool.movedBeyondBandAt;
        if (movedAt != 0 && end.timestamp - movedAt < window) revert PriceMovedBeyondBand(poolId, movedAt);
        unchecked {
            // elapsed ≥ 1: the two observations are slots − 1 ≥ 2 periods apart. Averages of UQ112.112 spot
            // prices, each below 2^224, so the casts keep every bit.
            settled.price0X112 = uint224((end.price0Cumulative - start.price0Cumulative) / elapsed);
            settled.price1X112 = uint224((end.price1Cumulative - start.price1Cumulative) / elapsed);
        }
        settled.windowStart = start.timestamp;
        settled.windowEnd = end.timestamp;
    }

    function _twap(uint256 poolId, bool checkBand)
        private
        view
        returns (uint256 price0X112, uint256 price1X112, PoolState storage pool)
    {
        Observation storage oldest;
        uint256 elapsed;
        (pool, oldest, elapsed) = _window(poolId, checkBand);
        uint32 idle = maxPoolIdle;
        (uint256 price0Cumulative, uint256 price1Cumulative,) = amm.currentCumulativePrices(poolId);
        if (idle != 0) {
            // getReserves reads one slot; getPool would copy the whole pool (~9k gas more per price).
            (,, uint32 lastTradeAt) = amm.getReserves(poolId);
            if (block.timestamp - lastTradeAt > idle) revert PoolIdle(poolId, lastTradeAt, idle);
        }
        unchecked {
            price0X112 = (price0Cumulative - oldest.price0Cumulative) / elapsed;
            price1X112 = (price1Cumulative - oldest.price1Cumulative) / elapsed;
        }
    }

    function _setMaxMove(uint16 maxMoveBps_) private {
        if (maxMoveBps_ == 0 || maxMoveBps_ > BPS) revert InvalidBand(maxMoveBps_);
        maxMoveBps = maxMoveBps_;
        emit MaxMoveSet(maxMoveBps_);
    }
}
