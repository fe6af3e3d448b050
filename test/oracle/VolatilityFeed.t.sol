// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {IVolatilityFeed} from "../../src/interfaces/IVolatilityFeed.sol";
import {VolatilityFeed} from "../../src/oracle/VolatilityFeed.sol";
import {VolatilityFeedTestBase} from "./VolatilityFeedTestBase.sol";

contract VolatilityFeedTest is VolatilityFeedTestBase {
    uint256 internal constant POOL = 3;

    // ─── setVolatility ────────────────────────────────────────────────────────────────────────

    function test_setVolatility_firstValueAnywhereInTheDefaultBounds() public {
        vm.expectEmit(address(feed));
        emit IVolatilityFeed.VolatilityBoundsSet(POOL, _defaults());
        vm.expectEmit(address(feed));
        emit IVolatilityFeed.VolatilityUpdated(POOL, 0, 2.5e18, keeper);
        vm.prank(keeper);
        feed.setVolatility(POOL, 2.5e18);
        assertEq(feed.volatilityOf(POOL), 2.5e18);
        IVolatilityFeed.PoolVolatility memory state = feed.poolVolatility(POOL);
        assertEq(state.updatedAt, block.timestamp);
        assertTrue(state.configured);
        assertEq(state.bounds.maxWad, 3e18);
    }

    function test_setVolatility_revertsForAnyoneButTheKeeper() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, stranger));
        feed.setVolatility(POOL, 1e18);
        // Not even the admin: it sets bounds, the keeper moves the value.
        vm.expectRevert(
            abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, address(this))
        );
        feed.setVolatility(POOL, 1e18);
    }

    function test_setVolatility_revertsOutsideTheBounds() public {
        vm.startPrank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IVolatilityFeed.VolatilityOutOfBounds.selector, 0.2e18 - 1, 0.2e18, 3e18)
        );
        feed.setVolatility(POOL, 0.2e18 - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IVolatilityFeed.VolatilityOutOfBounds.selector, 3e18 + 1, 0.2e18, 3e18)
        );
        feed.setVolatility(POOL, 3e18 + 1);
        feed.setVolatility(POOL, 0.2e18);
        vm.stopPrank();
    }

    function test_setVolatility_revertsForAStepLargerThanAllowed() public {
        vm.startPrank(keeper);
        feed.setVolatility(POOL, 1e18);
        vm.warp(block.timestamp + 1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(IVolatilityFeed.VolatilityStepTooLarge.selector, 1e18, 1.1e18 + 1, 0.1e18)
        );
        feed.setVolatility(POOL, 1.1e18 + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IVolatilityFeed.VolatilityStepTooLarge.selector, 1e18, 0.9e18 - 1, 0.1e18)
        );
        feed.setVolatility(POOL, 0.9e18 - 1);
        feed.setVolatility(POOL, 0.9e18);
        vm.stopPrank();
    }

    function test_setVolatility_revertsSoonerThanTheInterval() public {
        vm.startPrank(keeper);
        feed.setVolatility(POOL, 1e18);
        uint256 next = block.timestamp + 1 hours;
        vm.warp(next - 1);
        vm.expectRevert(abi.encodeWithSelector(IVolatilityFeed.VolatilityUpdateTooSoon.selector, next));
        feed.setVolatility(POOL, 1.05e18);
        vm.warp(next);
        feed.setVolatility(POOL, 1.05e18);
        vm.stopPrank();
    }

    /// @notice Interval 0 still means one update per block: never two steps at once.
    function test_setVolatility_atMostOncePerSecondWithAZeroInterval() public {
        IVolatilityFeed.VolatilityBounds memory bounds = _defaults();
        bounds.minInterval = 0;
        feed.setBounds(POOL, bounds);
        vm.startPrank(keeper);
        feed.setVolatility(POOL, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(IVolatilityFeed.VolatilityUpdateTooSoon.selector, block.timestamp + 1)
        );
        feed.setVolatility(POOL, 1.1e18);
        vm.warp(block.timestamp + 1);
        feed.setVolatility(POOL, 1.1e18);
        vm.stopPrank();
    }

    // ─── volatilityOf ─────────────────────────────────────────────────────────────────────────

    function test_volatilityOf_revertsUnsetThenStale() public {
        vm.expectRevert(abi.encodeWithSelector(IVolatilityFeed.VolatilityUnset.selector, POOL));
        feed.volatilityOf(POOL);
        vm.prank(keeper);
        feed.setVolatility(POOL, 1e18);
        uint256 updatedAt = block.timestamp;
        vm.warp(updatedAt + 1 days);
        assertEq(feed.volatilityOf(POOL), 1e18);
        vm.warp(updatedAt + 1 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IVolatilityFeed.VolatilityStale.selector, POOL, updatedAt, 1 days)
        );
        feed.volatilityOf(POOL);
        vm.prank(keeper);
        feed.setVolatility(POOL, 1e18); // a refresh at the same value serves again
        assertEq(feed.volatilityOf(POOL), 1e18);
    }

    /// @notice The ceiling is served whatever the value's age: the default bounds' before the first update, then the
    /// pool's own.
    function test_volatilityCeilingOf_isTheBoundsMaxWhateverTheAge() public {
        assertEq(feed.volatilityCeilingOf(POOL), 3e18, "default bounds before any update");
        vm.prank(keeper);
        feed.setVolatility(POOL, 1e18);
        vm.warp(block.timestamp + 30 days);
        assertEq(feed.volatilityCeilingOf(POOL), 3e18, "stale: still served");
        IVolatilityFeed.VolatilityBounds memory own = _defaults();
        own.maxWad = 2e18;
        feed.setBounds(POOL, own);
        assertEq(feed.volatilityCeilingOf(POOL), 2e18, "the pool's own bounds");
    }

    // ─── Governance ───────────────────────────────────────────────────────────────────────────

    function test_setBounds_clampsTheValueWithoutRefreshingIt() public {
        vm.prank(keeper);
        feed.setVolatility(POOL, 2e18);
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + 10);
        IVolatilityFeed.VolatilityBounds memory bounds = _defaults();
        bounds.maxWad = 1.5e18;
        vm.expectEmit(address(feed));
        emit IVolatilityFeed.VolatilityUpdated(POOL, 2e18, 1.5e18, address(this));
        feed.setBounds(POOL, bounds);
        assertEq(feed.volatilityOf(POOL), 1.5e18);
        assertEq(feed.poolVolatility(POOL).updatedAt, updatedAt);
    }

    function test_setBounds_andDefaults_adminOnly() public {
        vm.startPrank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, keeper));
        feed.setBounds(POOL, _defaults());
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, keeper));
        feed.setDefaultBounds(_defaults());
        vm.stopPrank();
    }

    /// @notice A pool keeps the bounds it took at its first update when the default changes.
    function test_setDefaultBounds_leavesConfiguredPoolsAlone() public {
        vm.prank(keeper);
        feed.setVolatility(POOL, 1e18);
        IVolatilityFeed.VolatilityBounds memory bounds = _defaults();
        bounds.maxWad = 5e18;
        feed.setDefaultBounds(bounds);
        assertEq(feed.defaultBounds().maxWad, 5e18);
        assertEq(feed.poolVolatility(POOL).bounds.maxWad, 3e18);
        vm.prank(keeper);
        feed.setVolatility(POOL + 1, 5e18);
    }

    function test_bounds_revertWhenInvalid() public {
        IVolatilityFeed.VolatilityBounds memory bounds = _defaults();
        bounds.minWad = 4e18; // above max
        _expectInvalid(bounds);
        bounds = _defaults();
        bounds.maxWad = 0;
        bounds.minWad = 0;
        _expectInvalid(bounds);
        bounds = _defaults();
        bounds.maxWad = feed.MAX_VOLATILITY() + 1;
        _expectInvalid(bounds);
        bounds = _defaults();
        bounds.maxStepWad = 0;
        _expectInvalid(bounds);
        bounds = _defaults();
        bounds.maxAge = bounds.minInterval; // would go stale before the keeper may refresh it
        _expectInvalid(bounds);
        vm.expectRevert(abi.encodeWithSelector(IVolatilityFeed.InvalidVolatilityBounds.selector, bounds));
        new VolatilityFeed(address(manager), bounds);
    }

    function _expectInvalid(IVolatilityFeed.VolatilityBounds memory bounds) internal {
        vm.expectRevert(abi.encodeWithSelector(IVolatilityFeed.InvalidVolatilityBounds.selector, bounds));
        feed.setBounds(POOL, bounds);
        vm.expectRevert(abi.encodeWithSelector(IVolatilityFeed.InvalidVolatilityBounds.selector, bounds));
        feed.setDefaultBounds(bounds);
    }

    // ─── Fuzz ─────────────────────────────────────────────────────────────────────────────────

    /// @notice Whatever the keeper tries, and whenever: an update succeeds exactly when the value is inside the
    /// bounds, the step within maxStep and the interval past; the stored value never leaves the bounds.
    function testFuzz_setVolatility_succeedsExactlyWhenBoundedStepAndInterval(
        uint256 first,
        uint256 second,
        uint256 wait
    ) public {
        first = bound(first, 0.2e18, 3e18);
        vm.prank(keeper);
        feed.setVolatility(POOL, first);
        second = bound(second, 0, 4e18);
        wait = bound(wait, 0, 3 hours);
        vm.warp(block.timestamp + wait);
        uint256 step = second > first ? second - first : first - second;
        bool allowed = second >= 0.2e18 && second <= 3e18 && step <= 0.1e18 && wait >= 1 hours;
        vm.prank(keeper);
        try feed.setVolatility(POOL, second) {
            assertTrue(allowed, "an update outside the rules went through");
            assertEq(feed.volatilityOf(POOL), second);
        } catch {
            assertFalse(allowed, "an update inside the rules was refused");
            assertEq(feed.volatilityOf(POOL), first);
        }
    }
}
