// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IVolatilityFeed
/// @notice The volatility option pricing uses, per pool of the AMM (per underlying): annualized, 1e18 = 100 % a year.
/// A volatility keeper moves it, as the fee keeper moves an AMM fee: only inside governance-set bounds, by at most a
/// set step per update and at most once per set interval. A value older than its `maxAge` is stale and not served:
/// pricing fails closed rather than use it.
/// @dev A pool without bounds of its own takes the default bounds at its first update (later changes of the default
/// leave it alone, as AMM pools keep the fee bounds they were created with). The first value may be anywhere inside
/// the bounds: there is nothing to step from.
interface IVolatilityFeed {
    /// @notice Governance-set limits within which the volatility keeper may move a pool's volatility.
    /// @param minWad Lowest volatility (1e18 = 100 % a year).
    /// @param maxWad Highest volatility, at most `MAX_VOLATILITY`.
    /// @param maxStepWad Largest change per update.
    /// @param minInterval Seconds between updates (at least one block apart even when 0).
    /// @param maxAge Seconds after its update at which a value goes stale; longer than `minInterval`, so the keeper
    /// can always refresh it in time.
    struct VolatilityBounds {
        uint64 minWad;
        uint64 maxWad;
        uint64 maxStepWad;
        uint32 minInterval;
        uint32 maxAge;
    }

    /// @notice A pool's volatility, when it was last set (0: never) and its bounds.
    struct PoolVolatility {
        uint64 volatilityWad;
        uint40 updatedAt;
        bool configured;
        VolatilityBounds bounds;
    }

    error InvalidVolatilityBounds(VolatilityBounds bounds);
    error VolatilityOutOfBounds(uint256 volatilityWad, uint256 minWad, uint256 maxWad);
    error VolatilityStepTooLarge(uint256 oldWad, uint256 newWad, uint256 maxStepWad);
    error VolatilityUpdateTooSoon(uint256 nextAllowedAt);
    error VolatilityUnset(uint256 poolId);
    error VolatilityStale(uint256 poolId, uint256 updatedAt, uint256 maxAge);

    event VolatilityUpdated(
        uint256 indexed poolId, uint256 oldWad, uint256 newWad, address indexed updatedBy
    );
    event VolatilityBoundsSet(uint256 indexed poolId, VolatilityBounds bounds);
    event DefaultVolatilityBoundsSet(VolatilityBounds bounds);

    /// @notice Moves a pool's volatility within its bounds, by at most `maxStepWad`, at most once per `minInterval`.
    /// @dev Restricted: the volatility keeper role.
    function setVolatility(uint256 poolId, uint256 volatilityWad) external;

    /// @notice Sets a pool's bounds; clamps its volatility into them (its age unchanged: clamping is no refresh).
    /// @dev Restricted: the admin (governance).
    function setBounds(uint256 poolId, VolatilityBounds calldata bounds) external;

    /// @notice Sets the bounds that pools without their own take at their first update.
    /// @dev Restricted: the admin (governance).
    function setDefaultBounds(VolatilityBounds calldata bounds) external;

    /// @notice The pool's volatility, annualized, 1e18 = 100 %. Reverts {VolatilityUnset} before the first update and
    /// {VolatilityStale} more than `maxAge` seconds after the last.
    function volatilityOf(uint256 poolId) external view returns (uint256 volatilityWad);

    /// @notice The highest volatility the pool may be given: its bounds' `maxWad`, or the default bounds' before its
    /// first update. Never reverts, whatever the value's age: option value grows with volatility, so a valuation at
    /// this ceiling is an upper bound of any the feed could serve (the conservative fallback while it is stale).
    function volatilityCeilingOf(uint256 poolId) external view returns (uint256 maxWad);

    /// @notice The pool's stored state, whatever its age (bounds all zero until its first update or `setBounds`).
    function poolVolatility(uint256 poolId) external view returns (PoolVolatility memory);

    /// @notice The bounds new pools take.
    function defaultBounds() external view returns (VolatilityBounds memory);
}
