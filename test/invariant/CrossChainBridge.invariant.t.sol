// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {CrossChainBridge} from "../../src/bridge/CrossChainBridge.sol";
import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {BridgeTestBase} from "../bridge/BridgeTestBase.sol";
import {CrossChainBridgeHandler} from "./CrossChainBridgeHandler.sol";

/// @notice Invariants of the bridge with both chains modelled in one test: bridge A (CHAIN_A) and bridge B
/// (CHAIN_B), the handler switching `vm.chainId` before every call, under random transfers both ways of two routes
/// (a token at home on each chain), completions, refunds before and after deadlines, forged signature bundles,
/// validator-set rotations, pauses and time. Fees (both routes, both sides) and rate limits (both directions) are
/// on. Runs × depth come from foundry.toml ([invariant]: 256 × 50).
contract CrossChainBridgeInvariantTest is StdInvariant, BridgeTestBase {
    CrossChainBridgeHandler internal handler;
    address internal carol = makeAddr("carol");

    function setUp() public override {
        super.setUp();
        tokenA.mint(carol, MINT);
        tokenB.mint(carol, MINT);
        vm.startPrank(carol);
        tokenA.approve(address(bridgeA), type(uint256).max);
        tokenB.approve(address(bridgeB), type(uint256).max);
        wTokenA.approve(address(bridgeB), type(uint256).max);
        wTokenB.approve(address(bridgeA), type(uint256).max);
        vm.stopPrank();

        ICrossChainBridge.RateLimitConfig memory limit =
            ICrossChainBridge.RateLimitConfig({enabled: true, capacity: 600_000e18, refillPerSecond: 5e18});
        _onA();
        bridgeA.setFee(address(tokenA), 30);
        bridgeA.setFee(address(wTokenB), 10);
        bridgeA.setRateLimit(address(tokenA), false, limit);
        bridgeA.setRateLimit(address(wTokenB), true, limit);
        _onB();
        bridgeB.setFee(address(wTokenA), 20);
        bridgeB.setRateLimit(address(wTokenA), true, limit);
        bridgeB.setRateLimit(address(tokenB), false, limit);

        address[2][2] memory routeTokens =
            [[address(tokenA), address(wTokenA)], [address(tokenB), address(wTokenB)]];
        handler =
            new CrossChainBridgeHandler(bridgeA, bridgeB, CHAIN_A, CHAIN_B, routeTokens, [alice, bob, carol]);
        manager.grantRole(Roles.ADMIN, address(handler), 0);
        manager.grantRole(Roles.GUARDIAN, address(handler), 0);
        handler.rotate(0); // the handler's own 2-of-3 set, version 2 on both chains

        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = handler.initiate.selector;
        selectors[1] = handler.complete.selector;
        selectors[2] = handler.refund.selector;
        selectors[3] = handler.attack.selector;
        selectors[4] = handler.rotate.selector;
        selectors[5] = handler.togglePause.selector;
        selectors[6] = handler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice Every property below, checked after every call of one campaign (one invariant function keeps the
    /// suite to one campaign).
    function invariant_bridge() public view {
        assertFalse(handler.broken(), handler.firstFailure());
        _checkSupplyBackedByLocked();
        _checkEachRequestEndsOnce();
        _checkBuckets();
    }

    /// @dev For every route: bridged supply on the remote chain ≤ amount locked on the home chain, and exactly:
    /// locked − supply = amounts of requests neither completed nor refunded (both directions).
    function _checkSupplyBackedByLocked() internal view {
        CrossChainBridge[2] memory homes = [bridgeA, bridgeB];
        for (uint256 route; route < 2; ++route) {
            uint256 locked = IERC20(handler.homeToken(route)).balanceOf(address(homes[route]));
            uint256 supply = IERC20(handler.bridgedToken(route)).totalSupply();
            assertLe(supply, locked, "bridged supply above locked");
            assertEq(locked - supply, handler.ghostPending(route), "locked - supply != pending");
        }
    }

    /// @dev No request is completed twice (status is set once; the ghost counts) nor both completed on its
    /// destination and refunded on its source; every status matches the model.
    function _checkEachRequestEndsOnce() internal view {
        uint256 n = handler.requestCount();
        for (uint256 i; i < n; ++i) {
            ICrossChainBridge.Request memory r = handler.requestAt(i);
            bytes32 id = keccak256(abi.encode(r));
            CrossChainBridge src = r.srcChainId == CHAIN_A ? bridgeA : bridgeB;
            CrossChainBridge dst = r.dstChainId == CHAIN_A ? bridgeA : bridgeB;
            ICrossChainBridge.Status atSrc = src.requestStatus(id);
            ICrossChainBridge.Status atDst = dst.requestStatus(id);
            assertFalse(
                atDst == ICrossChainBridge.Status.Completed && atSrc == ICrossChainBridge.Status.Refunded,
                "completed and refunded"
            );
            uint8 ghost = handler.ghostState(id);
            if (ghost == 2) {
                assertEq(uint8(atDst), uint8(ICrossChainBridge.Status.Completed), "completion lost");
            } else {
                assertEq(uint8(atDst), uint8(ICrossChainBridge.Status.None), "unexpected completion");
            }
            if (ghost == 3) {
                assertEq(uint8(atSrc), uint8(ICrossChainBridge.Status.Refunded), "refund lost");
            } else {
                assertEq(uint8(atSrc), uint8(ICrossChainBridge.Status.Initiated), "unexpected source status");
            }
        }
    }

    /// @dev No bucket ever holds more than its capacity.
    function _checkBuckets() internal view {
        _checkBucket(bridgeA, address(tokenA), false);
        _checkBucket(bridgeA, address(wTokenB), true);
        _checkBucket(bridgeB, address(wTokenA), true);
        _checkBucket(bridgeB, address(tokenB), false);
    }

    function _checkBucket(CrossChainBridge bridge, address token, bool inbound) internal view {
        ICrossChainBridge.Bucket memory b = bridge.getRateLimit(token, inbound);
        assertLe(b.tokens, b.capacity, "bucket above capacity");
    }

    /// @dev The handler reaches every path it models (a campaign that never completed or refunded would prove
    /// little): a fixed sequence through it.
    function test_handler_reachesEveryPath() public {
        handler.initiate(0, 0, 100e18, 1); // tokenA A→B
        handler.initiate(1, 2, 50e18, 0); // tokenB B→A
        handler.initiate(2, 0, 10e18, 2); // tokenA A→B, left to expire
        handler.complete(0, 0);
        handler.complete(1, 0);
        handler.initiate(1, 1, 20e18, 1); // wTokenA B→A
        handler.complete(3, 5);
        for (uint256 kind; kind < 6; ++kind) {
            handler.attack(2, kind);
        }
        handler.rotate(1);
        handler.attack(2, 3);
        handler.warp(2 days);
        handler.refund(2);
        handler.complete(2, 0); // expired: refused
        handler.refund(0); // completed on the destination: validators do not sign
        (uint256 initiated, uint256 completed, uint256 refunded, uint256 refused, uint256 rotations) =
            handler.callSummary();
        assertEq(initiated, 4);
        assertEq(completed, 3);
        assertEq(refunded, 1);
        assertEq(refused, 7);
        assertEq(rotations, 2);
        assertFalse(handler.broken(), handler.firstFailure());
        invariant_bridge();
    }
}
