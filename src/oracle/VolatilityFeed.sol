// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IVolatilityFeed} from "../interfaces/IVolatilityFeed.sol";

/// @title VolatilityFeed
/// @notice Per-pool implied volatility for option pricing, moved by a bounded keeper (see {IVolatilityFeed}).
/// @dev Its own contract rather than part of ComputePriceOracle: the oracle is permissionless and measures,
/// this is a keeper's judgement under governance's limits, and options may price from it while the oracle
/// keeps its size and its callers.
contract VolatilityFeed is IVolatilityFeed, AccessManaged {
    /// @notice Highest volatility governance may allow: 1,000 % a year.
    uint64 public constant MAX_VOLATILITY = 10e18;

    VolatilityBounds internal _defaultBounds;
    mapping(uint256 poolId => PoolVolatility) internal _pools;

    /// @param authority The protocol's AccessManager.
    /// @param defaultBounds_ The bounds pools take at their first update.
    constructor(address authority, VolatilityBounds memory defaultBounds_) AccessManaged(authority) {
        _setDefaultBounds(defaultBounds_);
    }

    /// @inheritdoc IVolatilityFeed
    function setVolatility(uint256 poolId, uint256 volatilityWad) external restricted {
        PoolVolatility storage pool = _pools[poolId];
        if (!pool.configured) {
            pool.bounds = _defaultBounds;
            pool.configured = true;
            emit VolatilityBoundsSet(poolId, pool.bounds);
        }
        VolatilityBounds memory bounds = pool.bounds;
        if (volatilityWad < bounds.minWad || volatilityWad > bounds.maxWad) {
            revert VolatilityOutOfBounds(volatilityWad, bounds.minWad, bounds.maxWad);
        }
        uint256 oldWad = pool.volatilityWad;
        uint256 updatedAt = pool.updatedAt;
        if (updatedAt != 0) {
            uint256 step = volatilityWad > oldWad ? volatilityWad - oldWad : oldWad - volatilityWad;
            if (step > bounds.maxStepWad) {
                revert VolatilityStepTooLarge(oldWad, volatilityWad, bounds.maxStepWad);
            }
            // At least one second apart even with minInterval 0: one step per block, never several in one.
            uint256 nextAllowedAt = updatedAt + Math.max(bounds.minInterval, 1);
            if (block.timestamp < nextAllowedAt) revert VolatilityUpdateTooSoon(nextAllowedAt);
        }

        pool.volatilityWad = uint64(volatilityWad); // ≤ maxWad ≤ MAX_VOLATILITY
        pool.updatedAt = uint40(block.timestamp);
        emit VolatilityUpdated(poolId, oldWad, volatilityWad, msg.sender);
    }

    /// @inheritdoc IVolatilityFeed
    function setBounds(uint256 poolId, VolatilityBounds calldata bounds) external restricted {
        _checkBounds(bounds);
        PoolVolatility storage pool = _pools[poolId];
        pool.bounds = bounds;
        pool.configured = true;
        emit VolatilityBoundsSet(poolId, bounds);

        if (pool.updatedAt == 0) return;
        uint64 oldWad = pool.volatilityWad;
        uint64 clamped = uint64(Math.min(Math.max(oldWad, bounds.minWad), bounds.maxWad));
        if (clamped != oldWad) {
            pool.volatilityWad = clamped;
            emit VolatilityUpdated(poolId, oldWad, clamped, msg.sender);
        }
    }

    /// @inheritdoc IVolatilityFeed
    function setDefaultBounds(VolatilityBounds calldata bounds) external restricted {
        _setDefaultBounds(bounds);
    }

    /// @inheritdoc IVolatilityFeed
    function volatilityOf(uint256 poolId) external view returns (uint256 volatilityWad) {
        PoolVolatility storage pool = _pools[poolId];
        uint256 updatedAt = pool.updatedAt;
        if (updatedAt == 0) revert VolatilityUnset(poolId);
        uint256 maxAge = pool.bounds.maxAge;
        if (block.timestamp - updatedAt > maxAge) revert VolatilityStale(poolId, updatedAt, maxAge);
        return pool.volatilityWad;
    }

    /// @inheritdoc IVolatilityFeed
    function volatilityCeilingOf(uint256 poolId) external view returns (uint256 maxWad) {
        PoolVolatility storage pool = _pools[poolId];
        return pool.configured ? pool.bounds.maxWad : _defaultBounds.maxWad;
    }

    /// @inheritdoc IVolatilityFeed
    function poolVolatility(uint256 poolId) external view returns (PoolVolatility memory) {
        return _pools[poolId];
    }

    /// @inheritdoc IVolatilityFeed
    function defaultBounds() external view returns (VolatilityBounds memory) {
        return _defaultBounds;
    }

    function _setDefaultBounds(VolatilityBounds memory bounds) private {
        _checkBounds(bounds);
        _defaultBounds = bounds;
        emit DefaultVolatilityBoundsSet(bounds);
    }

    function _checkBounds(VolatilityBounds memory bounds) private pure {
        if (
            bounds.minWad > bounds.maxWad || bounds.maxWad == 0 || bounds.maxWad > MAX_VOLATILITY
                || bounds.maxStepWad == 0 || bounds.maxAge <= bounds.minInterval
        ) revert InvalidVolatilityBounds(bounds);
    }
}
