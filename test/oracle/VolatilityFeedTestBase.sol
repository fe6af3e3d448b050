// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {IVolatilityFeed} from "../../src/interfaces/IVolatilityFeed.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {VolatilityFeed} from "../../src/oracle/VolatilityFeed.sol";

/// @notice The feed behind a real AccessManager wired as script/Deploy.s.sol wires it: setVolatility for the
/// volatility keeper, everything else admin-only (this contract). Default bounds 20–300 %, steps of 10 %, an hour
/// apart, stale after a day.
abstract contract VolatilityFeedTestBase is Test {
    AccessManager internal manager;
    VolatilityFeed internal feed;
    address internal keeper = makeAddr("volatilityKeeper");
    address internal stranger = makeAddr("stranger");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        manager = new AccessManager(address(this));
        feed = new VolatilityFeed(address(manager), _defaults());
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = VolatilityFeed.setVolatility.selector;
        manager.setTargetFunctionRole(address(feed), selectors, Roles.VOLATILITY_KEEPER);
        manager.grantRole(Roles.VOLATILITY_KEEPER, keeper, 0);
    }

    function _defaults() internal pure returns (IVolatilityFeed.VolatilityBounds memory) {
        return IVolatilityFeed.VolatilityBounds({
            minWad: 0.2e18, maxWad: 3e18, maxStepWad: 0.1e18, minInterval: 1 hours, maxAge: 1 days
        });
    }
}
