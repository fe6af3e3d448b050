// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {CrossChainBridge} from "../../src/bridge/CrossChainBridge.sol";
import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {ReentrantToken} from "../mocks/ReentrantToken.sol";
import {BridgeTestBase} from "./BridgeTestBase.sol";

/// @notice initiateBridge, completeBridge and refundBridge: happy paths both ways, every revert.
contract CrossChainBridgeTransfersTest is BridgeTestBase {
    // ─── initiateBridge ───────────────────────────────────────────────────────────────────────

    function test_initiate_home_locksAndEmits() public {
        _onA();
        ICrossChainBridge.Request memory r = ICrossChainBridge.Request({
            srcChainId: CHAIN_A,
            dstChainId: CHAIN_B,
            srcBridge: address(bridgeA),
            dstBridge: address(bridgeB),
            srcToken: address(tokenA),
            dstToken: address(wTokenA),
            sender: alice,
            recipient: bob,
            amount: 100e18,
            deadline: block.timestamp + TTL,
            nonce: 0
        });
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.BridgeInitiated(_id(r), alice, CHAIN_B, r, 0);
        vm.prank(alice);
        bytes32 id = bridgeA.initiateBridge(address(tokenA), 100e18, CHAIN_B, bob);
        assertEq(id, _id(r));
        assertEq(bridgeA.hashRequest(r), id);
        assertEq(tokenA.balanceOf(address(bridgeA)), 100e18);
        assertEq(tokenA.balanceOf(alice), MINT - 100e18);
        assertEq(uint8(bridgeA.requestStatus(id)), uint8(ICrossChainBridge.Status.Initiated));
        assertEq(bridgeA.outboundNonce(), 1);
    }

    function test_initiate_nonceMakesIdsUnique() public {
        ICrossChainBridge.Request memory r1 = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        ICrossChainBridge.Request memory r2 = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        assertTrue(_id(r1) != _id(r2));
        assertEq(r2.nonce, r1.nonce + 1);
    }

    function test_initiate_feeToTreasury() public {
        _onA();
        bridgeA.setFee(address(tokenA), 30);
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1000e18, bob);
        assertEq(r.amount, 997e18);
        assertEq(tokenA.balanceOf(treasury), 3e18);
        assertEq(tokenA.balanceOf(address(bridgeA)), 997e18);
    }

    function test_initiate_bridged_burns() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 100e18, bob);
        _complete(r, _completionSigs(r, 2));
        _onB();
        bridgeB.setFee(address(wTokenA), 100);
        ICrossChainBridge.Request memory back = _initiate(bridgeB, bob, address(wTokenA), 50e18, alice);
        assertEq(back.dstToken, address(tokenA));
        assertEq(back.amount, 49.5e18);
        assertEq(wTokenA.totalSupply(), 50.5e18); // 50 left with bob + 0.5 fee with the treasury
        assertEq(wTokenA.balanceOf(treasury), 0.5e18);
        assertEq(wTokenA.balanceOf(address(bridgeB)), 0);
    }

    function test_initiate_revert_zeroAmount() public {
        vm.prank(alice);
        vm.expectRevert(ICrossChainBridge.ZeroAmount.selector);
        bridgeA.initiateBridge(address(tokenA), 0, CHAIN_B, bob);
    }

    function test_initiate_revert_zeroRecipient() public {
        vm.prank(alice);
        vm.expectRevert(ICrossChainBridge.ZeroAddress.selector);
        bridgeA.initiateBridge(address(tokenA), 1e18, CHAIN_B, address(0));
    }

    function test_initiate_revert_noRoute() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.RouteNotEnabled.selector, address(tokenB), CHAIN_B)
        );
        bridgeA.initiateBridge(address(tokenB), 1e18, CHAIN_B, bob);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.RouteNotEnabled.selector, address(tokenA), 99)
        );
        bridgeA.initiateBridge(address(tokenA), 1e18, 99, bob);
    }

    function test_initiate_revert_routeDisabled() public {
        ICrossChainBridge.Route memory route = _route(CHAIN_A, address(wTokenA));
        route.enabled = false;
        bridgeA.setRoute(address(tokenA), CHAIN_B, route);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.RouteNotEnabled.selector, address(tokenA), CHAIN_B)
        );
        bridgeA.initiateBridge(address(tokenA), 1e18, CHAIN_B, bob);
    }

    function test_initiate_revert_unknownRemoteBridge() public {
        bridgeA.setRemoteBridge(CHAIN_B, address(0));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.UnknownRemoteBridge.selector, CHAIN_B));
        bridgeA.initiateBridge(address(tokenA), 1e18, CHAIN_B, bob);
    }

    function test_initiate_revert_paused() public {
        vm.prank(guardian);
        bridgeA.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        bridgeA.initiateBridge(address(tokenA), 1e18, CHAIN_B, bob);
        vm.prank(guardian);
        bridgeA.unpause();
        _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
    }

    function test_initiate_revert_feeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100);
        bridgeA.setRoute(address(fot), CHAIN_B, _route(CHAIN_A, address(0xF07)));
        fot.mint(alice, 100e18);
        vm.startPrank(alice);
        fot.approve(address(bridgeA), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.TransferAmountMismatch.selector, 100e18, 99e18)
        );
        bridgeA.initiateBridge(address(fot), 100e18, CHAIN_B, bob);
        vm.stopPrank();
    }

    function test_initiate_revert_reentrancy() public {
        ReentrantToken ree = new ReentrantToken();
        bridgeA.setRoute(address(ree), CHAIN_B, _route(CHAIN_A, address(0xEE)));
        ree.mint(alice, 100e18);
        vm.prank(alice);
        ree.approve(address(bridgeA), type(uint256).max);
        ree.arm(address(bridgeA), abi.encodeCall(bridgeA.initiateBridge, (address(ree), 1e18, CHAIN_B, bob)));
        vm.prank(alice);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        bridgeA.initiateBridge(address(ree), 1e18, CHAIN_B, bob);
    }

    function test_initiate_revert_outboundRateLimit() public {
        bridgeA.setRateLimit(
            address(tokenA),
            false,
            ICrossChainBridge.RateLimitConfig({enabled: true, capacity: 10e18, refillPerSecond: 1e18})
        );
        _initiate(bridgeA, alice, address(tokenA), 6e18, bob);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.RateLimitExceeded.selector, address(tokenA), false, 6e18, 4e18
            )
        );
        bridgeA.initiateBridge(address(tokenA), 6e18, CHAIN_B, bob);
        skip(2);
        _initiate(bridgeA, alice, address(tokenA), 6e18, bob);
    }

    // ─── completeBridge ───────────────────────────────────────────────────────────────────────

    function test_complete_mintsOnRemote() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 100e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        _onB();
        assertEq(bridgeB.completionDigest(r), _completionDigest(r, CHAIN_B, address(bridgeB), 1));
        vm.expectEmit(address(bridgeB));
        emit ICrossChainBridge.BridgeCompleted(_id(r), CHAIN_A, bob, address(wTokenA), 100e18, relayer);
        _complete(r, sigs);
        assertEq(wTokenA.balanceOf(bob), 100e18);
        assertEq(uint8(bridgeB.requestStatus(_id(r))), uint8(ICrossChainBridge.Status.Completed));
    }

    function test_complete_releasesOnHome() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 100e18, alice);
        _complete(r, _completionSigs(r, 2));
        ICrossChainBridge.Request memory back = _initiate(bridgeB, alice, address(wTokenA), 40e18, bob);
        uint256 before = tokenA.balanceOf(bob);
        _complete(back, _completionSigs(back, 2));
        assertEq(tokenA.balanceOf(bob) - before, 40e18);
        assertEq(tokenA.balanceOf(address(bridgeA)), 60e18);
        assertEq(wTokenA.totalSupply(), 60e18);
    }

    function test_complete_otherDirection() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeB, bob, address(tokenB), 7e18, alice);
        _complete(r, _completionSigs(r, 3)); // more than threshold is fine
        assertEq(wTokenB.balanceOf(alice), 7e18);
        assertEq(tokenB.balanceOf(address(bridgeB)), 7e18);
    }

    function test_complete_atDeadline() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        vm.warp(r.deadline);
        _complete(r, _completionSigs(r, 2));
        assertEq(wTokenA.balanceOf(bob), 1e18);
    }

    function test_complete_revert_twice() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        _complete(r, sigs);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.AlreadyCompleted.selector, _id(r)));
        bridgeB.completeBridge(r, sigs);
    }

    function test_complete_revert_afterDeadline() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        vm.warp(r.deadline + 1);
        _onB();
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.RequestExpired.selector, _id(r), r.deadline, r.deadline + 1
            )
        );
        bridgeB.completeBridge(r, sigs);
    }

    function test_complete_revert_wrongDestination() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        // submitted on the source chain's bridge
        _onA();
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.WrongDestination.selector, CHAIN_B, address(bridgeB))
        );
        bridgeA.completeBridge(r, sigs);
        // a different bridge on the right chain
        _onB();
        CrossChainBridge other = new CrossChainBridge(address(manager), treasury, validatorAddrs, 2);
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.WrongDestination.selector, CHAIN_B, address(bridgeB))
        );
        other.completeBridge(r, sigs);
    }

    function test_complete_revert_unknownSourceChain() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        r.srcChainId = 77;
        bytes[] memory sigs = _completionSigs(r, 2);
        _onB();
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.UnknownRemoteBridge.selector, 77));
        bridgeB.completeBridge(r, sigs);
    }

    function test_complete_revert_forgedSourceBridge() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        r.srcBridge = address(0xBAD);
        bytes[] memory sigs = _completionSigs(r, 2);
        _onB();
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.SourceBridgeMismatch.selector, CHAIN_A, address(bridgeA), address(0xBAD)
            )
        );
        bridgeB.completeBridge(r, sigs);
    }

    function test_complete_revert_routeDisabledOrWrongToken() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        // srcToken not the counterpart of dstToken
        ICrossChainBridge.Request memory forged = abi.decode(abi.encode(r), (ICrossChainBridge.Request));
        forged.srcToken = address(tokenB);
        bytes[] memory forgedSigs = _completionSigs(forged, 2);
        _onB();
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.CounterpartMismatch.selector,
                address(wTokenA),
                address(tokenA),
                address(tokenB)
            )
        );
        bridgeB.completeBridge(forged, forgedSigs);
        ICrossChainBridge.Route memory route = _route(CHAIN_A, address(tokenA));
        route.enabled = false;
        bridgeB.setRoute(address(wTokenA), CHAIN_A, route);
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.RouteNotEnabled.selector, address(wTokenA), CHAIN_A)
        );
        bridgeB.completeBridge(r, sigs);
    }

    function test_complete_revert_paused() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        _onB();
        vm.prank(guardian);
        bridgeB.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        bridgeB.completeBridge(r, sigs);
        vm.prank(guardian);
        bridgeB.unpause();
        _complete(r, sigs);
    }

    function test_complete_revert_tamperedAmount() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        r.amount = 1000e18;
        _onB();
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeB.completeBridge(r, sigs);
    }

    function test_complete_revert_inboundRateLimit() public {
        _onB();
        bridgeB.setRateLimit(
            address(wTokenA),
            true,
            ICrossChainBridge.RateLimitConfig({enabled: true, capacity: 5e18, refillPerSecond: 1e18})
        );
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 6e18, bob);
        bytes[] memory sigs = _completionSigs(r, 2);
        _onB();
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.RateLimitExceeded.selector, address(wTokenA), true, 6e18, 5e18
            )
        );
        bridgeB.completeBridge(r, sigs);
        // raising the capacity keeps the 5 tokens in the bucket; one second refills the sixth
        bridgeB.setRateLimit(
            address(wTokenA),
            true,
            ICrossChainBridge.RateLimitConfig({enabled: true, capacity: 10e18, refillPerSecond: 1e18})
        );
        assertEq(bridgeB.getRateLimit(address(wTokenA), true).tokens, 5e18);
        skip(1);
        _complete(r, sigs);
        assertEq(bridgeB.getRateLimit(address(wTokenA), true).tokens, 0);
    }

    // ─── refundBridge ─────────────────────────────────────────────────────────────────────────

    function test_refund_home_afterDeadline() public {
        bridgeA.setFee(address(tokenA), 100);
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 100e18, bob);
        bytes[] memory sigs = _refundSigs(r, 2);
        vm.warp(r.deadline + 1);
        _onA();
        assertEq(bridgeA.refundDigest(r), _refundDigest(r, CHAIN_A, address(bridgeA), 1));
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.BridgeRefunded(_id(r), alice, address(tokenA), 99e18, relayer);
        _refund(r, sigs);
        assertEq(tokenA.balanceOf(alice), MINT - 1e18); // the fee stays with the treasury
        assertEq(tokenA.balanceOf(address(bridgeA)), 0);
        assertEq(uint8(bridgeA.requestStatus(_id(r))), uint8(ICrossChainBridge.Status.Refunded));
        // and the destination refuses it
        bytes[] memory csigs = _completionSigs(r, 2);
        _onB();
        vm.expectPartialRevert(ICrossChainBridge.RequestExpired.selector);
        bridgeB.completeBridge(r, csigs);
    }

    function test_refund_bridged_remints() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 100e18, alice);
        _complete(r, _completionSigs(r, 2));
        ICrossChainBridge.Request memory back = _initiate(bridgeB, alice, address(wTokenA), 30e18, alice);
        assertEq(wTokenA.totalSupply(), 70e18);
        vm.warp(back.deadline + 1);
        _refund(back, _refundSigs(back, 2));
        assertEq(wTokenA.balanceOf(alice), 100e18);
        assertEq(wTokenA.totalSupply(), 100e18);
    }

    function test_refund_openWhilePaused() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        vm.prank(guardian);
        bridgeA.pause();
        vm.warp(r.deadline + 1);
        _refund(r, _refundSigs(r, 2));
        assertEq(tokenA.balanceOf(alice), MINT);
    }

    function test_refund_revert_beforeOrAtDeadline() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _refundSigs(r, 2);
        vm.warp(r.deadline);
        _onA();
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.DeadlineNotReached.selector, _id(r), r.deadline, r.deadline
            )
        );
        bridgeA.refundBridge(r, sigs);
    }

    function test_refund_revert_twice() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _refundSigs(r, 2);
        vm.warp(r.deadline + 1);
        _refund(r, sigs);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.AlreadyRefunded.selector, _id(r)));
        bridgeA.refundBridge(r, sigs);
    }

    function test_refund_revert_unknownRequest() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        r.amount = 2e18; // a request this bridge never created
        bytes[] memory sigs = _refundSigs(r, 2);
        vm.warp(r.deadline + 1);
        _onA();
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.UnknownRequest.selector, _id(r)));
        bridgeA.refundBridge(r, sigs);
    }

    function test_refund_revert_wrongSource() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        bytes[] memory sigs = _refundSigs(r, 2);
        vm.warp(r.deadline + 1);
        _onB();
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.WrongSource.selector, CHAIN_A, address(bridgeA))
        );
        bridgeB.refundBridge(r, sigs);
    }

    function test_refund_revert_completionSignaturesDoNotRefund() public {
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        // completion signatures made (wrongly) under the source bridge's domain are still not a refund message
        bytes[] memory sigs = _signAll(_completionDigest(r, CHAIN_A, address(bridgeA), 1), _keys(2));
        vm.warp(r.deadline + 1);
        _onA();
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeA.refundBridge(r, sigs);
    }
}
