// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {IVolatilityFeed} from "../../src/interfaces/IVolatilityFeed.sol";
import {VolatilityFeed} from "../../src/oracle/VolatilityFeed.sol";

/// @notice Drives the feed: the keeper tries any value at any moment (mostly near the current one, sometimes far),
/// governance moves a pool's bounds, strangers try to set values, time passes. Ghosts: per pool, the last value and
/// time of every successful keeper update, and whether any update broke a rule (outside the bounds in force, a step
/// beyond maxStep, sooner than the interval) or a stranger got through.
contract VolatilityFeedHandler is Test {
    uint256 internal constant POOLS = 3;

    VolatilityFeed public immutable feed;
    address public immutable keeper;
    address public immutable admin;

    mapping(uint256 poolId => uint256) public lastValue;
    mapping(uint256 poolId => uint256) public lastUpdateAt;
    bool public ruleBroken;
    string public firstFailure;
    uint256 public updates;
    uint256 public refused;

    constructor(VolatilityFeed feed_, address keeper_, address admin_) {
        feed = feed_;
        keeper = keeper_;
        admin = admin_;
    }

    function setVolatility(uint256 poolSeed, uint256 valueSeed, bool far) external {
        uint256 poolId = poolSeed % POOLS;
        IVolatilityFeed.PoolVolatility memory before = feed.poolVolatility(poolId);
        IVolatilityFeed.VolatilityBounds memory bounds =
            before.configured ? before.bounds : feed.defaultBounds();
        uint256 value = far
            ? bound(valueSeed, 0, 11e18)
            : bound(
                valueSeed,
                before.volatilityWad > 0.3e18 ? before.volatilityWad - 0.3e18 : 0,
                before.volatilityWad + 0.3e18
            );
        vm.prank(keeper);
        try feed.setVolatility(poolId, value) {
            ++updates;
            if (value < bounds.minWad || value > bounds.maxWad) _fail("set outside the bounds");
            if (before.updatedAt != 0) {
                uint256 step = value > before.volatilityWad
                    ? value - before.volatilityWad
                    : before.volatilityWad - value;
                if (step > bounds.maxStepWad) _fail("step beyond maxStep");
                uint256 interval = bounds.minInterval == 0 ? 1 : bounds.minInterval;
                if (block.timestamp < uint256(before.updatedAt) + interval) {
                    _fail("update sooner than the interval");
                }
            }
            lastValue[poolId] = value;
            lastUpdateAt[poolId] = block.timestamp;
        } catch {
            ++refused;
        }
    }

    /// @notice Governance moves a pool's bounds (valid ones; invalid ones revert and change nothing).
    function setBounds(uint256 poolSeed, uint64 minWad, uint64 span, uint64 step, uint32 interval) external {
        uint256 poolId = poolSeed % POOLS;
        IVolatilityFeed.VolatilityBounds memory bounds;
        bounds.minWad = uint64(bound(minWad, 0, 5e18));
        bounds.maxWad =
            uint64(bound(uint256(bounds.minWad) + span, bounds.minWad == 0 ? 1 : bounds.minWad, 10e18));
        bounds.maxStepWad = uint64(bound(step, 1, 1e18));
        bounds.minInterval = uint32(bound(interval, 0, 2 hours));
        bounds.maxAge = bounds.minInterval + 1 days;
        vm.prank(admin);
        feed.setBounds(poolId, bounds);
        IVolatilityFeed.PoolVolatility memory state = feed.poolVolatility(poolId);
        if (state.updatedAt != 0) lastValue[poolId] = state.volatilityWad; // clamped into the new bounds
    }

    function stranger(uint256 poolSeed, uint256 value, address who) external {
        if (who == keeper || who == admin) return;
        vm.prank(who);
        try feed.setVolatility(poolSeed % POOLS, value) {
            _fail("a stranger set a volatility");
        } catch {}
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 3 hours));
    }

    function _fail(string memory what) internal {
        ruleBroken = true;
        if (bytes(firstFailure).length == 0) firstFailure = what;
    }
}
