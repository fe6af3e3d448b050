// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {CrossChainBridge} from "../../src/bridge/CrossChainBridge.sol";
import {BridgedToken} from "../../src/bridge/BridgedToken.sol";
import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {BridgeTestBase} from "./BridgeTestBase.sol";

/// @notice Constructor, governance setters (every revert, every event), access control, pause, views, and the
/// BridgedToken.
contract CrossChainBridgeAdminTest is BridgeTestBase {
    // ─── Constructor ──────────────────────────────────────────────────────────────────────────

    function test_constructor_state() public view {
        assertEq(bridgeA.authority(), address(manager));
        assertEq(bridgeA.treasury(), treasury);
        assertEq(bridgeA.threshold(), 2);
        assertEq(bridgeA.validatorSetVersion(), 1);
        assertEq(bridgeA.getValidators(), validatorAddrs);
        assertEq(bridgeA.requestTtl(), TTL);
        assertEq(bridgeA.outboundNonce(), 0);
        assertTrue(bridgeA.isValidator(validatorAddrs[0]));
        assertFalse(bridgeA.isValidator(alice));
        assertFalse(bridgeA.isValidator(address(0)));
        assertEq(bridgeA.domainSeparator(), _domain(CHAIN_A, address(bridgeA)));
        assertEq(bridgeA.COMPLETION_TYPEHASH(), COMPLETION_TYPEHASH);
        assertEq(bridgeA.REFUND_TYPEHASH(), REFUND_TYPEHASH);
    }

    function test_constructor_emits() public {
        vm.expectEmit();
        emit ICrossChainBridge.ValidatorSetUpdated(1, validatorAddrs, 2);
        vm.expectEmit();
        emit ICrossChainBridge.TreasurySet(treasury);
        vm.expectEmit();
        emit ICrossChainBridge.RequestTtlSet(TTL);
        new CrossChainBridge(address(manager), treasury, validatorAddrs, 2);
    }

    function test_constructor_revert_zeroTreasury() public {
        vm.expectRevert(ICrossChainBridge.ZeroAddress.selector);
        new CrossChainBridge(address(manager), address(0), validatorAddrs, 2);
    }

    function test_constructor_revert_badThreshold() public {
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidThreshold.selector, 1, 3));
        new CrossChainBridge(address(manager), treasury, validatorAddrs, 1);
    }

    function test_domainSeparator_followsChainId() public {
        _onB();
        assertEq(bridgeA.domainSeparator(), _domain(CHAIN_B, address(bridgeA)));
        _onA();
        assertEq(bridgeA.domainSeparator(), _domain(CHAIN_A, address(bridgeA)));
    }

    // ─── setValidators ────────────────────────────────────────────────────────────────────────

    function test_setValidators_bumpsVersionAndReplaces() public {
        address[] memory old = validatorAddrs;
        _makeValidators("n", 5);
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.ValidatorSetUpdated(2, validatorAddrs, 3);
        bridgeA.setValidators(validatorAddrs, 3);
        assertEq(bridgeA.validatorSetVersion(), 2);
        assertEq(bridgeA.threshold(), 3);
        assertEq(bridgeA.getValidators(), validatorAddrs);
        for (uint256 i; i < old.length; ++i) {
            assertFalse(bridgeA.isValidator(old[i]));
        }
        for (uint256 i; i < 5; ++i) {
            assertTrue(bridgeA.isValidator(validatorAddrs[i]));
        }
    }

    function test_setValidators_thresholdRule() public {
        address[] memory four = new address[](4);
        for (uint256 i; i < 4; ++i) {
            four[i] = address(uint160(0x1000 + i));
        }
        bridgeA.setValidators(four, 3); // 3 of 4: majority
        bridgeA.setValidators(four, 4);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidThreshold.selector, 2, 4));
        bridgeA.setValidators(four, 2); // half is not a majority
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidThreshold.selector, 5, 4));
        bridgeA.setValidators(four, 5);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidThreshold.selector, 0, 4));
        bridgeA.setValidators(four, 0);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidThreshold.selector, 0, 0));
        bridgeA.setValidators(new address[](0), 0);
        address[] memory one = new address[](1);
        one[0] = alice;
        bridgeA.setValidators(one, 1);
    }

    function test_setValidators_revert_zeroDuplicateTooMany() public {
        address[] memory set = new address[](3);
        set[0] = alice;
        set[1] = bob;
        vm.expectRevert(ICrossChainBridge.ZeroAddress.selector);
        bridgeA.setValidators(set, 2);
        set[2] = alice;
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.DuplicateValidator.selector, alice));
        bridgeA.setValidators(set, 2);
        address[] memory big = new address[](33);
        for (uint256 i; i < 33; ++i) {
            big[i] = address(uint160(0x1000 + i));
        }
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.TooManyValidators.selector, 33, 32));
        bridgeA.setValidators(big, 17);
    }

    function test_setValidators_reappointedMemberCounts() public {
        bridgeA.setValidators(validatorAddrs, 2);
        address[] memory other = new address[](1);
        other[0] = alice;
        bridgeA.setValidators(other, 1);
        assertFalse(bridgeA.isValidator(validatorAddrs[0]));
        bridgeA.setValidators(validatorAddrs, 3);
        assertTrue(bridgeA.isValidator(validatorAddrs[0]));
        assertFalse(bridgeA.isValidator(alice));
        assertEq(bridgeA.validatorSetVersion(), 4);
    }

    // ─── Routes and remote bridges ────────────────────────────────────────────────────────────

    function test_setRoute_storesAndEmits() public {
        MockERC20 t = new MockERC20("T", "T");
        ICrossChainBridge.Route memory route = _route(CHAIN_A, address(0xC0));
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.RouteSet(address(t), CHAIN_B, route);
        bridgeA.setRoute(address(t), CHAIN_B, route);
        ICrossChainBridge.Route memory stored = bridgeA.getRoute(address(t), CHAIN_B);
        assertEq(stored.homeChainId, CHAIN_A);
        assertEq(stored.counterpart, address(0xC0));
        assertEq(stored.decimals, 18);
        assertTrue(stored.enabled);
    }

    function test_setRoute_reverts() public {
        MockERC20 t = new MockERC20("T", "T");
        vm.expectRevert(ICrossChainBridge.ZeroAddress.selector);
        bridgeA.setRoute(address(0), CHAIN_B, _route(CHAIN_A, address(1)));
        vm.expectRevert(ICrossChainBridge.ZeroAddress.selector);
        bridgeA.setRoute(address(t), CHAIN_B, _route(CHAIN_A, address(0)));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.NotAContract.selector, alice));
        bridgeA.setRoute(alice, CHAIN_B, _route(CHAIN_A, address(1)));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidChainId.selector, CHAIN_A));
        bridgeA.setRoute(address(t), CHAIN_A, _route(CHAIN_A, address(1)));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidChainId.selector, 0));
        bridgeA.setRoute(address(t), 0, _route(CHAIN_A, address(1)));
        ICrossChainBridge.Route memory six = _route(CHAIN_A, address(1));
        six.decimals = 6;
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.DecimalsMismatch.selector, address(t), 6, 18)
        );
        bridgeA.setRoute(address(t), CHAIN_B, six);
        // a plain token claimed to live elsewhere
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidRoute.selector, address(t), CHAIN_B));
        bridgeA.setRoute(address(t), CHAIN_B, _route(CHAIN_B, address(1)));
        // this bridge's bridged token claimed canonical here
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.InvalidRoute.selector, address(wTokenB), CHAIN_B)
        );
        bridgeA.setRoute(address(wTokenB), CHAIN_B, _route(CHAIN_A, address(tokenB)));
        // a bridged token only goes back home, to its own home token
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidRoute.selector, address(wTokenB), 77));
        bridgeA.setRoute(address(wTokenB), 77, _route(CHAIN_B, address(tokenB)));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidRoute.selector, address(wTokenB), 77));
        bridgeA.setRoute(address(wTokenB), 77, _route(77, address(tokenB)));
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.InvalidRoute.selector, address(wTokenB), CHAIN_B)
        );
        bridgeA.setRoute(address(wTokenB), CHAIN_B, _route(CHAIN_B, address(tokenA)));
        // another bridge's bridged token
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.InvalidRoute.selector, address(wTokenA), CHAIN_B)
        );
        bridgeA.setRoute(address(wTokenA), CHAIN_B, _route(CHAIN_B, address(tokenA)));
    }

    function test_setRemoteBridge() public {
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.RemoteBridgeSet(77, address(0xB7));
        bridgeA.setRemoteBridge(77, address(0xB7));
        assertEq(bridgeA.remoteBridge(77), address(0xB7));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidChainId.selector, CHAIN_A));
        bridgeA.setRemoteBridge(CHAIN_A, address(0xB7));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidChainId.selector, 0));
        bridgeA.setRemoteBridge(0, address(0xB7));
    }

    // ─── Fee, treasury, TTL ───────────────────────────────────────────────────────────────────

    function test_setFee() public {
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.FeeSet(address(tokenA), 500);
        bridgeA.setFee(address(tokenA), 500);
        assertEq(bridgeA.feeBps(address(tokenA)), 500);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.FeeTooHigh.selector, 501, 500));
        bridgeA.setFee(address(tokenA), 501);
    }

    function test_setTreasury() public {
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.TreasurySet(bob);
        bridgeA.setTreasury(bob);
        assertEq(bridgeA.treasury(), bob);
        vm.expectRevert(ICrossChainBridge.ZeroAddress.selector);
        bridgeA.setTreasury(address(0));
    }

    function test_setRequestTtl() public {
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.RequestTtlSet(2 hours);
        bridgeA.setRequestTtl(2 hours);
        assertEq(bridgeA.requestTtl(), 2 hours);
        ICrossChainBridge.Request memory r = _initiate(bridgeA, alice, address(tokenA), 1e18, bob);
        assertEq(r.deadline, block.timestamp + 2 hours);
        _onA();
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.InvalidRequestTtl.selector, 10 minutes - 1, 10 minutes, 30 days
            )
        );
        bridgeA.setRequestTtl(10 minutes - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICrossChainBridge.InvalidRequestTtl.selector, 30 days + 1, 10 minutes, 30 days
            )
        );
        bridgeA.setRequestTtl(30 days + 1);
    }

    // ─── Rate limits ──────────────────────────────────────────────────────────────────────────

    function _cfg(bool enabled, uint128 capacity, uint128 rate)
        internal
        pure
        returns (ICrossChainBridge.RateLimitConfig memory)
    {
        return
            ICrossChainBridge.RateLimitConfig({enabled: enabled, capacity: capacity, refillPerSecond: rate});
    }

    function test_setRateLimit_enableFillsAndRefills() public {
        vm.expectEmit(address(bridgeA));
        emit ICrossChainBridge.RateLimitSet(address(tokenA), false, _cfg(true, 100e18, 1e18));
        bridgeA.setRateLimit(address(tokenA), false, _cfg(true, 100e18, 1e18));
        ICrossChainBridge.Bucket memory b = bridgeA.getRateLimit(address(tokenA), false);
        assertTrue(b.enabled);
        assertEq(b.tokens, 100e18);
        assertEq(b.capacity, 100e18);
        assertEq(b.refillPerSecond, 1e18);
        _initiate(bridgeA, alice, address(tokenA), 60e18, bob);
        assertEq(bridgeA.getRateLimit(address(tokenA), false).tokens, 40e18);
        skip(30);
        assertEq(bridgeA.getRateLimit(address(tokenA), false).tokens, 70e18);
        skip(1000);
        assertEq(bridgeA.getRateLimit(address(tokenA), false).tokens, 100e18);
        // the inbound bucket is separate
        assertFalse(bridgeA.getRateLimit(address(tokenA), true).enabled);
    }

    function test_setRateLimit_shrinkCapsTokens_disableUnlimits() public {
        bridgeA.setRateLimit(address(tokenA), false, _cfg(true, 100e18, 1e18));
        bridgeA.setRateLimit(address(tokenA), false, _cfg(true, 10e18, 0));
        assertEq(bridgeA.getRateLimit(address(tokenA), false).tokens, 10e18);
        skip(100);
        assertEq(bridgeA.getRateLimit(address(tokenA), false).tokens, 10e18); // no refill at rate 0
        bridgeA.setRateLimit(address(tokenA), false, _cfg(false, 0, 0));
        assertFalse(bridgeA.getRateLimit(address(tokenA), false).enabled);
        _initiate(bridgeA, alice, address(tokenA), 1000e18, bob);
    }

    function test_setRateLimit_reverts() public {
        vm.expectRevert(ICrossChainBridge.ZeroAddress.selector);
        bridgeA.setRateLimit(address(0), false, _cfg(true, 1, 1));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidRateLimit.selector, true, 0, 1));
        bridgeA.setRateLimit(address(tokenA), false, _cfg(true, 0, 1));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidRateLimit.selector, false, 1, 0));
        bridgeA.setRateLimit(address(tokenA), false, _cfg(false, 1, 0));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InvalidRateLimit.selector, false, 0, 1));
        bridgeA.setRateLimit(address(tokenA), false, _cfg(false, 0, 1));
    }

    // ─── Pause and access control ─────────────────────────────────────────────────────────────

    function test_pause_guardianOnly() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        bridgeA.pause();
        vm.expectEmit(address(bridgeA));
        emit Pausable.Paused(guardian);
        vm.prank(guardian);
        bridgeA.pause();
        assertTrue(bridgeA.paused());
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        bridgeA.unpause();
        vm.expectEmit(address(bridgeA));
        emit Pausable.Unpaused(guardian);
        vm.prank(guardian);
        bridgeA.unpause();
        assertFalse(bridgeA.paused());
    }

    function test_governance_adminOnly() public {
        bytes[] memory calls_ = new bytes[](7);
        calls_[0] = abi.encodeCall(bridgeA.setValidators, (validatorAddrs, 2));
        calls_[1] = abi.encodeCall(bridgeA.setRoute, (address(tokenA), CHAIN_B, _route(CHAIN_A, address(1))));
        calls_[2] = abi.encodeCall(bridgeA.setRemoteBridge, (CHAIN_B, alice));
        calls_[3] = abi.encodeCall(bridgeA.setFee, (address(tokenA), 1));
        calls_[4] = abi.encodeCall(bridgeA.setTreasury, (alice));
        calls_[5] = abi.encodeCall(bridgeA.setRequestTtl, (1 hours));
        calls_[6] = abi.encodeCall(bridgeA.setRateLimit, (address(tokenA), true, _cfg(true, 1, 1)));
        address[2] memory outsiders = [alice, guardian];
        for (uint256 j; j < 2; ++j) {
            for (uint256 i; i < calls_.length; ++i) {
                vm.prank(outsiders[j]);
                (bool ok, bytes memory ret) = address(bridgeA).call(calls_[i]);
                assertFalse(ok);
                assertEq(
                    ret,
                    abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, outsiders[j])
                );
            }
        }
    }

    // ─── BridgedToken ─────────────────────────────────────────────────────────────────────────

    function test_bridgedToken_metadata() public {
        assertEq(wTokenA.bridge(), address(bridgeB));
        assertEq(wTokenA.homeChainId(), CHAIN_A);
        assertEq(wTokenA.homeToken(), address(tokenA));
        assertEq(wTokenA.decimals(), 18);
        assertEq(wTokenA.name(), "Bridged A");
        assertEq(wTokenA.symbol(), "bTKA");
        BridgedToken six = new BridgedToken("S", "S", 6, address(bridgeB), CHAIN_A, address(tokenA));
        assertEq(six.decimals(), 6);
    }

    function test_bridgedToken_onlyBridgeMintsAndBurns() public {
        vm.expectRevert(abi.encodeWithSelector(BridgedToken.OnlyBridge.selector, alice));
        vm.prank(alice);
        wTokenA.mint(alice, 1);
        vm.expectRevert(abi.encodeWithSelector(BridgedToken.OnlyBridge.selector, alice));
        vm.prank(alice);
        wTokenA.burn(1);
        vm.prank(address(bridgeB));
        wTokenA.mint(address(bridgeB), 5);
        vm.prank(address(bridgeB));
        wTokenA.burn(2);
        assertEq(wTokenA.totalSupply(), 3);
    }

    function test_bridgedToken_revert_zeroAddress() public {
        vm.expectRevert(BridgedToken.ZeroAddress.selector);
        new BridgedToken("S", "S", 18, address(0), CHAIN_A, address(tokenA));
        vm.expectRevert(BridgedToken.ZeroAddress.selector);
        new BridgedToken("S", "S", 18, address(bridgeB), CHAIN_A, address(0));
    }
}
