// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {CrossChainBridge} from "../../src/bridge/CrossChainBridge.sol";
import {BridgedToken} from "../../src/bridge/BridgedToken.sol";
import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";
import {BridgeTestBase} from "../bridge/BridgeTestBase.sol";

/// @notice One test per bridge operation, for `.gas-snapshot`: each test makes exactly one call to a bridge, as its
/// own transaction (isolation mode, so storage is cold as on chain). Signing and building the request run with gas
/// metering paused, so the recorded figure is that one call plus the test's small fixed overhead; `-vv` also prints
/// the transaction's own total (`vm.lastCallGas`, 21,000 and calldata included, refunds applied).
/// setUp: on chain B, besides the base 2-of-3 bridge, a 3-of-5 and a 5-of-9 bridge (each with its own bridged
/// token for tokenA); each destination already minted once to bob, and alice already bridged once from A (no call
/// pays for a first balance, supply or nonce). Completions are mints of a bridged token (the remote side), rate
/// limits enabled on both sides, a 0.3 % fee.
contract CrossChainBridgeGasTest is BridgeTestBase {
    struct Destination {
        CrossChainBridge bridge;
        BridgedToken token;
        uint256[] keys;
    }

    mapping(uint256 size => Destination) internal dst;
    uint256 internal nonce = 1000;

    function setUp() public override {
        super.setUp();
        _onA();
        bridgeA.setFee(address(tokenA), 30);
        bridgeA.setRateLimit(address(tokenA), false, _limit());
        _initiate(bridgeA, alice, address(tokenA), 1e18, bob);

        // 2-of-3: the base bridge B and its set
        dst[3].bridge = bridgeB;
        dst[3].token = wTokenA;
        dst[3].keys = validatorKeys;
        _deployDestination(5, 3);
        _deployDestination(9, 5);
        _makeValidators("v", 3); // back to the base set (bridges A and B)
        uint256[3] memory sizes = [uint256(3), 5, 9];
        for (uint256 i; i < 3; ++i) {
            Destination storage d = dst[sizes[i]];
            _onB();
            d.bridge.setRateLimit(address(d.token), true, _limit());
            ICrossChainBridge.Request memory r = _request(sizes[i]);
            d.bridge.completeBridge(r, _sigs(r, sizes[i]));
        }
        vm.roll(block.number + 1);
        skip(12);
    }

    function _limit() internal pure returns (ICrossChainBridge.RateLimitConfig memory) {
        return
            ICrossChainBridge.RateLimitConfig({
                enabled: true, capacity: 1_000_000e18, refillPerSecond: 100e18
            });
    }

    function _deployDestination(uint256 size, uint256 t) internal {
        _onB();
        _makeValidators(string.concat("g", vm.toString(size), "_"), size);
        Destination storage d = dst[size];
        d.keys = validatorKeys;
        d.bridge = new CrossChainBridge(address(manager), treasury, validatorAddrs, t);
        d.token = new BridgedToken("Bridged A", "bTKA", 18, address(d.bridge), CHAIN_A, address(tokenA));
        d.bridge.setRemoteBridge(CHAIN_A, address(bridgeA));
        d.bridge.setRoute(address(d.token), CHAIN_A, _route(CHAIN_A, address(tokenA)));
    }

    /// @dev A request from bridge A (as if initiated there) to the `size` destination; only the destination's own
    /// state matters to completeBridge.
    function _request(uint256 size) internal returns (ICrossChainBridge.Request memory) {
        Destination storage d = dst[size];
        return ICrossChainBridge.Request({
            srcChainId: CHAIN_A,
            dstChainId: CHAIN_B,
            srcBridge: address(bridgeA),
            dstBridge: address(d.bridge),
            srcToken: address(tokenA),
            dstToken: address(d.token),
            sender: alice,
            recipient: bob,
            amount: 100e18,
            deadline: block.timestamp + TTL,
            nonce: nonce++
        });
    }

    /// @dev Threshold signatures (sorted) of the `size` set.
    function _sigs(ICrossChainBridge.Request memory r, uint256 size) internal view returns (bytes[] memory) {
        Destination storage d = dst[size];
        uint256 t = d.bridge.threshold();
        uint256[] memory keys = new uint256[](t);
        for (uint256 i; i < t; ++i) {
            keys[i] = d.keys[i];
        }
        return _signAll(_completionDigest(r, CHAIN_B, address(d.bridge), 1), keys);
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    function _measureComplete(uint256 size, string memory name) internal {
        vm.pauseGasMetering();
        ICrossChainBridge.Request memory r = _request(size);
        bytes[] memory sigs = _sigs(r, size);
        CrossChainBridge bridge = dst[size].bridge;
        _onB();
        vm.prank(relayer);
        vm.resumeGasMetering();
        bridge.completeBridge(r, sigs);
        _report(name);
    }

    /// forge-config: default.isolate = true
    function test_gas_initiateBridge() public {
        vm.pauseGasMetering();
        _onA();
        vm.prank(alice);
        vm.resumeGasMetering();
        bridgeA.initiateBridge(address(tokenA), 100e18, CHAIN_B, bob);
        _report("initiateBridge (lock, fee, rate limit)");
    }

    /// forge-config: default.isolate = true
    function test_gas_initiateBridge_burn() public {
        vm.pauseGasMetering();
        _onB();
        vm.prank(bob);
        vm.resumeGasMetering();
        bridgeB.initiateBridge(address(wTokenA), 10e18, CHAIN_A, alice);
        _report("initiateBridge (burn, bridged token)");
    }

    /// forge-config: default.isolate = true
    function test_gas_completeBridge_2of3() public {
        _measureComplete(3, "completeBridge 2-of-3 (mint)");
    }

    /// forge-config: default.isolate = true
    function test_gas_completeBridge_3of5() public {
        _measureComplete(5, "completeBridge 3-of-5 (mint)");
    }

    /// forge-config: default.isolate = true
    function test_gas_completeBridge_5of9() public {
        _measureComplete(9, "completeBridge 5-of-9 (mint)");
    }

    /// forge-config: default.isolate = true
    function test_gas_refundBridge_2of3() public {
        vm.pauseGasMetering();
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 10e18, bob);
        vm.warp(r.deadline + 1);
        bytes[] memory sigs = _refundSigs(r, 2);
        _onA();
        vm.prank(relayer);
        vm.resumeGasMetering();
        bridgeA.refundBridge(r, sigs);
        _report("refundBridge 2-of-3 (release)");
    }
}
