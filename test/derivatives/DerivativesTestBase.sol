// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {AIPowerDerivatives} from "../../src/derivatives/AIPowerDerivatives.sol";
import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20Decimals} from "../mocks/MockERC20Decimals.sol";
import {MockPriceSource} from "./MockPriceSource.sol";

/// @notice The derivatives contract behind an AccessManager (the test contract is its admin and so lists series;
/// the guardian may pause), on the mock price source. The underlying `gpu` has 18 decimals and the quote `usdc` 6,
/// so that every unit test crosses the decimals normalization. Index: 1 gpu = 2 usdc, volatility 80 %.
/// Two series expiring in 30 days: a put struck at 2 and a call struck at 2.5.
abstract contract DerivativesTestBase is Test {
    uint64 internal constant POOL = 7;
    uint256 internal constant SPOT = 2e18;
    uint256 internal constant PUT_STRIKE = 2e18;
    uint256 internal constant CALL_STRIKE = 2.5e18;
    uint256 internal constant ONE = 1e18; // one whole gpu (one option)

    AccessManager internal manager;
    MockPriceSource internal source;
    AIPowerDerivatives internal dv;
    MockERC20Decimals internal gpu;
    MockERC20Decimals internal usdc;
    uint256 internal putId;
    uint256 internal callId;
    uint40 internal expiry;

    address internal admin;
    address internal guardian = makeAddr("guardian");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        vm.roll(100);
        admin = address(this);
        manager = new AccessManager(admin);
        source = new MockPriceSource();
        source.setIndexPrice(POOL, SPOT);
        source.setVolatility(POOL, 0.8e18);
        dv = new AIPowerDerivatives(address(manager), source);
        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = AIPowerDerivatives.pause.selector;
        pausing[1] = AIPowerDerivatives.unpause.selector;
        manager.setTargetFunctionRole(address(dv), pausing, Roles.GUARDIAN);
        manager.grantRole(Roles.GUARDIAN, guardian, 0);

        gpu = new MockERC20Decimals("GPU", "GPU", 18);
        usdc = new MockERC20Decimals("USDC", "USDC", 6);
        vm.label(address(gpu), "gpu");
        vm.label(address(usdc), "usdc");
        vm.label(address(dv), "derivatives");

        expiry = uint40(block.timestamp + 30 days);
        putId = _createSeries(PUT_STRIKE, expiry, false);
        callId = _createSeries(CALL_STRIKE, expiry, true);

        address[3] memory actors = [alice, bob, carol];
        for (uint256 i; i < actors.length; ++i) {
            gpu.mint(actors[i], 1_000_000e18);
            usdc.mint(actors[i], 1_000_000e6);
            vm.startPrank(actors[i]);
            gpu.approve(address(dv), type(uint256).max);
            usdc.approve(address(dv), type(uint256).max);
            vm.stopPrank();
        }
    }

    function _params(uint256 strike, uint40 expiry_, bool isCall)
        internal
        view
        returns (IAIPowerDerivatives.SeriesParams memory)
    {
        return IAIPowerDerivatives.SeriesParams({
            underlyingPoolId: POOL,
            underlying: address(gpu),
            quote: address(usdc),
            strikeWad: uint128(strike),
            expiry: expiry_,
            isCall: isCall
        });
    }

    function _createSeries(uint256 strike, uint40 expiry_, bool isCall) internal returns (uint256) {
        return dv.createSeries(_params(strike, expiry_, isCall));
    }

    /// @dev Opens a vault for `writer` with exactly the collateral `amount` options need (full or margined now).
    function _open(address writer, uint256 seriesId, bool margined, uint256 amount)
        internal
        returns (uint256 vaultId)
    {
        uint256 collateral = dv.requirement(seriesId, amount, margined);
        vm.prank(writer);
        vaultId = dv.openVault(seriesId, margined, collateral, amount);
    }

    function _expire() internal {
        vm.warp(expiry);
    }

    function _settleAt(uint256 priceWad) internal {
        source.presetSettlement(POOL, expiry, priceWad);
        _expire();
    }
}
