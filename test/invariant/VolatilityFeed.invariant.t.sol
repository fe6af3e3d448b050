// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVolatilityFeed} from "../../src/interfaces/IVolatilityFeed.sol";
import {VolatilityFeedTestBase} from "../oracle/VolatilityFeedTestBase.sol";
import {VolatilityFeedHandler} from "./VolatilityFeedHandler.sol";

/// @notice Invariants of the volatility feed under a keeper that tries anything, governance moving bounds and
/// strangers (VolatilityFeedHandler).
contract VolatilityFeedInvariantTest is VolatilityFeedTestBase {
    VolatilityFeedHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new VolatilityFeedHandler(feed, keeper, address(this));
        // The handler acts as admin through a prank of this contract's address.
        targetContract(address(handler));
    }

    /// @notice No update ever went outside the bounds in force, stepped further than maxStep, came sooner than the
    /// interval, or came from anyone but the keeper.
    function invariant_everyUpdateKeptTheRules() public view {
        assertFalse(handler.ruleBroken(), handler.firstFailure());
    }

    /// @notice Every pool's stored value lies inside its bounds and is the last one the keeper (or a clamp) set.
    function invariant_storedValueInsideBounds() public view {
        for (uint256 poolId; poolId < 3; ++poolId) {
            IVolatilityFeed.PoolVolatility memory state = feed.poolVolatility(poolId);
            if (state.updatedAt == 0) continue;
            assertGe(state.volatilityWad, state.bounds.minWad);
            assertLe(state.volatilityWad, state.bounds.maxWad);
            assertEq(state.volatilityWad, handler.lastValue(poolId));
            assertEq(state.updatedAt, handler.lastUpdateAt(poolId));
        }
    }
}
