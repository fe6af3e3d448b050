// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";
import {BridgeTestBase} from "./BridgeTestBase.sol";

/// @notice Fuzz tests: round trips with fees, tampered requests, signer subsets, the deadline boundary, token
/// buckets and the threshold rule.
contract CrossChainBridgeFuzzTest is BridgeTestBase {
    /// @dev A→B→A with fees on both sides: nothing is created or lost; supply stays backed.
    function testFuzz_roundTrip(uint256 amount, uint16 feeOut, uint16 feeBack, uint256 backShare) public {
        amount = bound(amount, 1, MINT);
        feeOut = uint16(bound(feeOut, 0, 500));
        feeBack = uint16(bound(feeBack, 0, 500));
        _onA();
        bridgeA.setFee(address(tokenA), feeOut);
        _onB();
        bridgeB.setFee(address(wTokenA), feeBack);

        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), amount, bob);
        uint256 feeA = amount - r.amount;
        assertEq(feeA, (amount * feeOut) / 10_000);
        _complete(r, _completionSigs(r, 2));
        assertEq(wTokenA.balanceOf(bob), r.amount);

        uint256 back = bound(backShare, 1, r.amount);
        ICrossChainBridge.Request memory b = _initiate(bridgeB, bob, address(wTokenA), back, alice);
        _complete(b, _completionSigs(b, 2));

        assertEq(tokenA.balanceOf(alice), MINT - amount + b.amount);
        assertEq(tokenA.balanceOf(treasury), feeA);
        assertEq(wTokenA.balanceOf(treasury), back - b.amount);
        assertEq(tokenA.balanceOf(address(bridgeA)), wTokenA.totalSupply());
        assertEq(wTokenA.totalSupply(), r.amount - b.amount);
    }

    /// @dev Changing any one field of a signed request makes the bundle fail (the request id and the message
    /// commit to every field).
    function testFuzz_completion_tamperedFieldRefused(uint8 field, uint256 value) public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 10e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        field = uint8(bound(field, 0, 10));
        ICrossChainBridge.Request memory t = abi.decode(abi.encode(r), (ICrossChainBridge.Request)); // a copy
        if (field == 0) t.srcChainId = value;
        else if (field == 1) t.dstChainId = value;
        else if (field == 2) t.srcBridge = address(uint160(value));
        else if (field == 3) t.dstBridge = address(uint160(value));
        else if (field == 4) t.srcToken = address(uint160(value));
        else if (field == 5) t.dstToken = address(uint160(value));
        else if (field == 6) t.sender = address(uint160(value));
        else if (field == 7) t.recipient = address(uint160(value));
        else if (field == 8) t.amount = value;
        else if (field == 9) t.deadline = value;
        else t.nonce = value;
        vm.assume(_id(t) != _id(r));
        _onB();
        vm.expectRevert();
        bridgeB.completeBridge(t, sigs);
        _complete(r, sigs);
    }

    /// @dev With a 3-of-5 set, a bundle of any subset of the validators (sorted) passes iff it has ≥ 3 signers.
    function testFuzz_signerSubsets(uint8 mask) public {
        _rotate("s", 5, 3);
        mask = uint8(bound(mask, 0, 31));
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 10e18, bob);
        uint256 count;
        for (uint256 i; i < 5; ++i) {
            if (mask & (1 << i) != 0) ++count;
        }
        uint256[] memory keys = new uint256[](count);
        uint256 j;
        for (uint256 i; i < 5; ++i) {
            if (mask & (1 << i) != 0) keys[j++] = validatorKeys[i];
        }
        bytes[] memory sigs = _signAll(_completionDigest(r, CHAIN_B, address(bridgeB), 2), keys);
        _onB();
        if (count < 3) {
            vm.expectRevert(
                abi.encodeWithSelector(ICrossChainBridge.InsufficientSignatures.selector, count, 3)
            );
            bridgeB.completeBridge(r, sigs);
        } else {
            bridgeB.completeBridge(r, sigs);
            assertEq(wTokenA.balanceOf(bob), 10e18);
        }
    }

    /// @dev At any time after initiation exactly one of completion and refund is possible.
    function testFuzz_deadlineBoundary(uint256 elapsed) public {
        elapsed = bound(elapsed, 0, 3 * TTL);
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 10e18, bob);
        bytes[] memory csigs = _completionSigs(r, 2);
        bytes[] memory rsigs = _refundSigs(r, 2);
        skip(elapsed);
        _onA();
        (bool refunded,) = address(bridgeA).call(abi.encodeCall(bridgeA.refundBridge, (r, rsigs)));
        _onB();
        (bool completed,) = address(bridgeB).call(abi.encodeCall(bridgeB.completeBridge, (r, csigs)));
        assertTrue(refunded != completed, "exactly one");
        assertEq(completed, elapsed <= TTL);
        assertEq(tokenA.balanceOf(alice), refunded ? MINT : MINT - 10e18);
    }

    /// @dev The outbound bucket: a transfer passes iff it fits in min(capacity, left + elapsed × rate).
    function testFuzz_tokenBucket(
        uint128 capacity,
        uint128 rate,
        uint256 first,
        uint256 second,
        uint256 elapsed
    ) public {
        capacity = uint128(bound(capacity, 1, 100_000e18));
        rate = uint128(bound(rate, 0, 1_000e18));
        first = bound(first, 1, capacity);
        second = bound(second, 1, 200_000e18);
        elapsed = bound(elapsed, 0, 10 days);
        _onA();
        bridgeA.setRateLimit(
            address(tokenA),
            false,
            ICrossChainBridge.RateLimitConfig({enabled: true, capacity: capacity, refillPerSecond: rate})
        );
        _initiate(bridgeA, alice, address(tokenA), first, bob);
        skip(elapsed);
        uint256 available = capacity - first + elapsed * rate;
        if (available > capacity) available = capacity;
        assertEq(bridgeA.getRateLimit(address(tokenA), false).tokens, available);
        _onA();
        vm.prank(alice);
        if (second > available) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ICrossChainBridge.RateLimitExceeded.selector, address(tokenA), false, second, available
                )
            );
        }
        bridgeA.initiateBridge(address(tokenA), second, CHAIN_B, bob);
    }

    /// @dev setValidators accepts exactly 1 ≤ t ≤ n ≤ 32 with 2t > n.
    function testFuzz_thresholdRule(uint256 n, uint256 t) public {
        n = bound(n, 0, 40);
        t = bound(t, 0, 45);
        address[] memory set = new address[](n);
        for (uint256 i; i < n; ++i) {
            set[i] = address(uint160(0x1000 + i));
        }
        _onA();
        if (n > 32) {
            vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.TooManyValidators.selector, n, 32));
        } else if (t == 0 || t > n || 2 * t <= n) {
            vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidThreshold.selector, t, n));
        }
        bridgeA.setValidators(set, t);
    }
}
