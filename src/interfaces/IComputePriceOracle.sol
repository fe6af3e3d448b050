// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IComputePriceOracle
/// @notice Time-weighted prices of the AMM's pools, and their realized volatility, from the AMM's Uniswap-V2-style
/// cumulative prices. Anyone may {record} an observation of a pool (keepers do it every period); a price is the
/// average over the last `window` seconds, read from the observation that opened the window and the AMM's
/// cumulative price now.
/// @dev Fails closed, never a wrong price:
/// - no observation old enough yet, or the pool never recorded: {InsufficientHistory};
/// - the observation that should open the window is missing or too old (nobody recorded in time): {StaleObservation};
/// - two consecutive period averages differ by more than `maxMoveBps` within the window: {PriceMovedBeyondBand};
/// - the pool has not traded for longer than `maxPoolIdle` (0 = no limit): {PoolIdle}.
/// Prices are ratios of raw token units (no decimals involved): `consult(pool, tokenIn, amountIn)` is how many raw
/// units of the other token `amountIn` raw units of `tokenIn` are worth at the time-weighted price.
/// Volatility: at each observation the oracle adds the squared simple return between the last two period averages
/// to a cumulative sum (a return beyond ≈ 10^15-fold counts as that); the realized variance over the window,
/// annualized, is the sum's growth from the observation opening the window to the newest one × (1 year / the time
/// between them).
/// Averaging over a period damps returns, so this is a lower estimate of spot volatility; it cannot be moved by a
/// one-block spot move more than that move's share of a period.
/// Settlement: the settlement price of an expiry (a multiple of `period`) is fixed once, by anyone, with
/// {finalizeSettlement}, and never changes. It is the average between two of the oracle's own observations, so no
/// caller chooses a value: the newest observation, which {finalizeSettlement} itself records when the period has
/// none yet, and the observation that opened the window ending there (recorded `window` − `period` seconds earlier,
/// to one period), checked as {twapX112} checks a window. Finalized in the period that starts at expiry (the
/// expiry keeper's call, or anyone's), the window ends within a period after expiry and the price is exactly what
/// {twapX112} read at that moment. Finalized later (nobody called in time: the ring buffer no longer holds that
/// window's opening observation), it is the window ending at the newest observation when it is called, the
/// documented fallback: a late caller picks which later window, never the value. It reverts only while the window
/// cannot be priced (history missing after an outage, or a move beyond the band within a window); anyone may
/// {record}, and after one window of records it prices, so a settlement can always be fixed. The pool's idleness is
/// not checked: an idle pool's price is its last, and settlement must not wait for a trade that may never come.
interface IComputePriceOracle {
    /// @notice One recorded point of a pool. Cumulative prices are the AMM's (UQ112.112 × seconds, wrapping).
    struct Observation {
        uint32 timestamp;
        uint224 varianceCumulative;
        uint256 price0Cumulative;
        uint256 price1Cumulative;
    }

    /// @notice A fixed settlement: prices as {twapX112} gives them over [windowStart, windowEnd], UQ112.112 (a
    /// time-weighted average of UQ112.112 spot prices fits 224 bits). `windowEnd` is 0 until finalized.
    struct Settlement {
        uint224 price0X112;
        uint32 windowEnd;
        uint224 price1X112;
        uint32 windowStart;
    }

    error InsufficientHistory(uint256 poolId);
    error StaleObservation(uint256 poolId, uint256 observationAge, uint256 window);
    error PriceMovedBeyondBand(uint256 poolId, uint256 movedAt);
    error PoolIdle(uint256 poolId, uint256 lastTradeAt, uint256 maxIdle);
    error TokenNotInPool(uint256 poolId, address token);
    /// @notice The window must be a whole number of periods, at least 3 and fewer than 64.
    error InvalidWindow(uint256 window, uint256 period);
    error InvalidBand(uint256 maxMoveBps);
    error ZeroAddress();
    error ExpiryNotOnPeriodGrid(uint256 expiry, uint256 period);
    error ExpiryNotReached(uint256 expiry);
    error SettlementNotFinal(uint256 poolId, uint256 expiry);

    /// @notice An observation was stored. `periodPrice0X112` is the average price of token0 (in token1, UQ112.112)
    /// since the previous observation; `moveBps` its change against the previous period's average.
    event ObservationRecorded(
        uint256 indexed poolId, uint32 timestamp, uint256 periodPrice0X112, uint256 moveBps, bool beyondBand
    );
    /// @notice The settlement price of `expiry` was fixed. `late`: not in the period starting at expiry, so the
    /// fallback window (ending when it was finalized) was used.
    event SettlementFinalized(
        uint256 indexed poolId,
        uint256 indexed expiry,
        uint256 price0X112,
        uint256 price1X112,
        uint32 windowStart,
        uint32 windowEnd,
        bool late
    );
    event MaxMoveSet(uint16 maxMoveBps);
    event MaxPoolIdleSet(uint32 maxPoolIdle);

    /// @notice Stores an observation of `poolId` unless one was stored in this period already, or the pool has had
    /// no deposit yet (it has no price to observe). Reverts only for a pool the AMM does not know.
    /// @return recorded Whether an observation was stored.
    function record(uint256 poolId) external returns (bool recorded);

    /// @notice {record} for several pools.
    function recordMany(uint256[] calldata poolIds) external;

    /// @notice Fixes the settlement price of `poolId` for `expiry` (a multiple of `period`, now or past), or returns
    /// it if fixed already (idempotent: it never changes). Anyone may call it; records the pool first. See the
    /// interface's notes for the window it averages and the fallback when called late.
    /// @dev Reverts {ExpiryNotOnPeriodGrid}, {ExpiryNotReached}, or while the window cannot be priced
    /// ({InsufficientHistory}, {StaleObservation}, {PriceMovedBeyondBand}): record and retry later.
    /// @return price0X112 Token0 in token1, UQ112.112.
    /// @return price1X112 Token1 in token0, UQ112.112.
    function finalizeSettlement(uint256 poolId, uint256 expiry)
        external
        returns (uint256 price0X112, uint256 price1X112);

    /// @notice Governance: largest change between consecutive period averages before the oracle fails closed.
    function setMaxMove(uint16 maxMoveBps) external;

    /// @notice Governance: longest time a pool may go without a trade before the oracle fails closed (0 = none).
    function setMaxPoolIdle(uint32 maxPoolIdle) external;

    /// @notice The averaging window, seconds.
    function window() external view returns (uint32);

    /// @notice Seconds between observations kept (a pool keeps window/period of them).
    function period() external view returns (uint32);

    function maxMoveBps() external view returns (uint16);

    function maxPoolIdle() external view returns (uint32);

    /// @notice Time-weighted average prices over the window, UQ112.112: token0 in token1, and token1 in token0.
    function twapX112(uint256 poolId) external view returns (uint256 price0X112, uint256 price1X112);

    /// @notice {twapX112} served while a move beyond the band has closed the window: the same average over the same
    /// window, every other check ({InsufficientHistory}, {StaleObservation}, {PoolIdle}) kept. For callers that must
    /// still act on a time-weighted price while the band closes the oracle (liquidations, whose refusal would let a
    /// writer freeze them by tripping the band): what it averages in costs a manipulator as much as against a
    /// time-weighted average without a band.
    function twapIgnoringBandX112(uint256 poolId)
        external
        view
        returns (uint256 price0X112, uint256 price1X112);

    /// @notice What `amountIn` of `tokenIn` is worth in the pool's other token at the time-weighted price.
    function consult(uint256 poolId, address tokenIn, uint256 amountIn)
        external
        view
        returns (uint256 amountOut, address tokenOut);

    /// @notice {consult} along a path of pools, as `AIServiceAMM.swapExactInput` would route it.
    function consultPath(uint256[] calldata poolIds, address tokenIn, uint256 amountIn)
        external
        view
        returns (uint256 amountOut, address tokenOut);

    /// @notice Annualized realized volatility over the window, 1e18 = 100 % a year.
    function volatility(uint256 poolId) external view returns (uint256 annualizedWad);

    /// @notice The fixed settlement prices of `poolId` for `expiry`; reverts {SettlementNotFinal} until fixed.
    function settlementPrice(uint256 poolId, uint256 expiry)
        external
        view
        returns (uint256 price0X112, uint256 price1X112);

    /// @notice The settlement of `poolId` for `expiry` with its window; all zero until fixed.
    function settlementOf(uint256 poolId, uint256 expiry) external view returns (Settlement memory);

    /// @notice Whether {record} would store an observation now. Reverts, as {record} does, for an unknown pool.
    function recordDue(uint256 poolId) external view returns (bool);

    /// @notice The observation that opens the current window, and the newest one.
    function observationsOf(uint256 poolId)
        external
        view
        returns (Observation memory oldest, Observation memory newest);
}
