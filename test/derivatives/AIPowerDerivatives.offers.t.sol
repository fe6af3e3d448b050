// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {DerivativesTestBase} from "./DerivativesTestBase.sol";

/// @notice The bilateral offer (the seed's createOption): escrow, take with a maximum premium and a deadline, cancel.
contract AIPowerDerivativesOffersTest is DerivativesTestBase {
    uint256 internal vaultId;

    function setUp() public override {
        super.setUp();
        vaultId = _open(alice, putId, false, 10 * ONE);
    }

    function _offer(uint256 amount, uint256 premium) internal returns (uint256) {
        vm.prank(alice);
        return dv.createOption(putId, amount, premium, block.timestamp + 1 days);
    }

    function test_createOption_escrowsOptions() public {
        uint256 offerId = _offer(4 * ONE, 1e6);
        assertEq(dv.balanceOf(alice, putId), 6 * ONE);
        assertEq(dv.balanceOf(address(dv), putId), 4 * ONE);
        IAIPowerDerivatives.Offer memory o = dv.getOffer(offerId);
        assertEq(o.maker, alice);
        assertEq(o.amount, 4 * ONE);
        assertEq(o.premium, 1e6);
        assertEq(o.validUntil, block.timestamp + 1 days);
    }

    function test_createOption_cappedAtExpiry() public {
        vm.prank(alice);
        uint256 offerId = dv.createOption(putId, ONE, 1e6, uint256(expiry) + 10 days);
        assertEq(dv.getOffer(offerId).validUntil, expiry - 1);
    }

    function test_createOption_reverts() public {
        vm.startPrank(alice);
        vm.expectRevert(IAIPowerDerivatives.ZeroAmount.selector);
        dv.createOption(putId, 0, 1e6, block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.DeadlineExpired.selector, block.timestamp - 1)
        );
        dv.createOption(putId, ONE, 1e6, block.timestamp - 1);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownSeries.selector, 9));
        dv.createOption(9, ONE, 1e6, block.timestamp + 1);
        vm.stopPrank();
    }

    function test_takeOffer_paysPremiumToMakerAndDeliversOptions() public {
        uint256 offerId = _offer(4 * ONE, 1.2e6);
        uint256 aliceBefore = usdc.balanceOf(alice);
        vm.prank(bob);
        dv.takeOffer(offerId, 1.2e6, block.timestamp);
        assertEq(dv.balanceOf(bob, putId), 4 * ONE);
        assertEq(usdc.balanceOf(alice), aliceBefore + 1.2e6);
        assertEq(dv.getOffer(offerId).maker, address(0));
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownOffer.selector, offerId));
        dv.takeOffer(offerId, 2e6, block.timestamp);
    }

    function test_takeOffer_callPremiumInQuote() public {
        _open(alice, callId, false, ONE);
        vm.prank(alice);
        uint256 offerId = dv.createOption(callId, ONE, 0.3e6, block.timestamp + 1 days);
        uint256 aliceBefore = usdc.balanceOf(alice);
        vm.prank(bob);
        dv.takeOffer(offerId, 0.3e6, block.timestamp);
        assertEq(usdc.balanceOf(alice), aliceBefore + 0.3e6);
        assertEq(dv.balanceOf(bob, callId), ONE);
    }

    function test_takeOffer_revertsAboveMaxPremium() public {
        uint256 offerId = _offer(ONE, 1e6);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.PremiumAboveMax.selector, 1e6, 1e6 - 1));
        dv.takeOffer(offerId, 1e6 - 1, block.timestamp);
    }

    function test_takeOffer_revertsPastDeadlineOrValidity() public {
        uint256 offerId = _offer(ONE, 1e6);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.DeadlineExpired.selector, block.timestamp - 1)
        );
        dv.takeOffer(offerId, 1e6, block.timestamp - 1);
        uint256 validUntil = block.timestamp + 1 days;
        vm.warp(validUntil + 1);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.OfferExpired.selector, offerId, validUntil)
        );
        dv.takeOffer(offerId, 1e6, block.timestamp);
    }

    function test_takeOffer_haltedWhilePaused_cancelStaysOpen() public {
        uint256 offerId = _offer(ONE, 1e6);
        vm.prank(guardian);
        dv.pause();
        vm.prank(bob);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        dv.takeOffer(offerId, 1e6, block.timestamp);
        vm.prank(alice);
        dv.cancelOption(offerId);
        assertEq(dv.balanceOf(alice, putId), 10 * ONE);
    }

    function test_cancelOption_reverts() public {
        uint256 offerId = _offer(ONE, 1e6);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.NotOfferMaker.selector, offerId, bob));
        dv.cancelOption(offerId);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerDerivatives.UnknownOffer.selector, 5));
        dv.cancelOption(5);
    }
}
