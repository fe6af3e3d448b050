// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CrossChainBridge} from "../../src/bridge/CrossChainBridge.sol";
import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";
import {BridgeTestBase} from "./BridgeTestBase.sol";

/// @notice Negative signature cases, each of which would let the bundle through if its check were removed (each
/// test also shows that the same bundle minus the defect passes): below threshold, duplicate signer, outsider,
/// old set, another chain id, another bridge address, unsorted, malformed, malleable. For completions and refunds.
contract CrossChainBridgeSignaturesTest is BridgeTestBase {
    uint256 internal secp256k1n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    ICrossChainBridge.Request internal req;

    function setUp() public override {
        super.setUp();
        req = _initiate(bridgeA, alice, address(tokenA), 10e18, bob);
        _onB();
    }

    function _digest() internal view returns (bytes32) {
        return _completionDigest(req, CHAIN_B, address(bridgeB), bridgeB.validatorSetVersion());
    }

    function _expectCompletionRevert(bytes[] memory sigs, bytes memory err) internal {
        _onB();
        vm.expectRevert(err);
        bridgeB.completeBridge(req, sigs);
        assertEq(wTokenA.balanceOf(bob), 0);
    }

    function test_sig_valid_passes() public {
        _complete(req, _signAll(_digest(), _keys(2)));
        assertEq(wTokenA.balanceOf(bob), 10e18);
    }

    function test_sig_revert_belowThreshold() public {
        _expectCompletionRevert(
            _signAll(_digest(), _keys(1)),
            abi.encodeWithSelector(ICrossChainBridge.InsufficientSignatures.selector, 1, 2)
        );
        _expectCompletionRevert(
            new bytes[](0), abi.encodeWithSelector(ICrossChainBridge.InsufficientSignatures.selector, 0, 2)
        );
    }

    function test_sig_revert_duplicateSigner() public {
        uint256[] memory keys = new uint256[](2);
        keys[0] = validatorKeys[0];
        keys[1] = validatorKeys[0];
        _expectCompletionRevert(
            _signAll(_digest(), keys),
            abi.encodeWithSelector(ICrossChainBridge.DuplicateSigner.selector, validatorAddrs[0])
        );
        // the same signature bytes twice, too
        bytes[] memory sigs = _signAll(_digest(), _keys(1));
        bytes[] memory twice = new bytes[](2);
        twice[0] = sigs[0];
        twice[1] = sigs[0];
        _expectCompletionRevert(
            twice, abi.encodeWithSelector(ICrossChainBridge.DuplicateSigner.selector, validatorAddrs[0])
        );
    }

    function test_sig_revert_unsorted() public {
        uint256[] memory keys = new uint256[](2);
        keys[0] = validatorKeys[1];
        keys[1] = validatorKeys[0];
        _expectCompletionRevert(
            _signAll(_digest(), keys),
            abi.encodeWithSelector(
                ICrossChainBridge.SignersNotAscending.selector, validatorAddrs[1], validatorAddrs[0]
            )
        );
    }

    function test_sig_revert_outsider() public {
        (address outsider, uint256 outsiderKey) = makeAddrAndKey("outsider");
        uint256[] memory keys = new uint256[](2);
        keys[0] = validatorKeys[0];
        keys[1] = outsiderKey;
        keys = _sortKeys(keys);
        _expectCompletionRevert(
            _signAll(_digest(), keys),
            abi.encodeWithSelector(ICrossChainBridge.NotAValidator.selector, outsider)
        );
    }

    function test_sig_revert_oldSet() public {
        uint256[] memory oldKeys = _keys(3);
        bytes[] memory oldSigs = _signAll(_digest(), _keys(2)); // version 1
        _rotate("w", 3, 2);
        assertEq(bridgeB.validatorSetVersion(), 2);
        // old signers over the old message: no longer members
        _onB();
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeB.completeBridge(req, oldSigs);
        // old signers even over the new-version message: no longer members
        bytes32 digest = _digest();
        _expectCompletionRevert(
            _signAll(digest, _sortKeys(_pair(oldKeys[0], oldKeys[1]))),
            abi.encodeWithSelector(ICrossChainBridge.NotAValidator.selector, vm.addr(oldKeys[0]))
        );
        // the new set passes
        _complete(req, _signAll(digest, _keys(2)));
    }

    function test_sig_revert_oldVersionFromStillMember() public {
        // the same validators are re-appointed: their version-1 signatures still do not count
        bytes[] memory v1 = _signAll(_digest(), _keys(2));
        _onB();
        bridgeB.setValidators(validatorAddrs, 3);
        uint256[] memory three = _keys(3);
        bytes[] memory v1three = _signAll(_completionDigest(req, CHAIN_B, address(bridgeB), 1), three);
        _onB();
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeB.completeBridge(req, v1three);
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InsufficientSignatures.selector, 2, 3));
        bridgeB.completeBridge(req, v1);
        _complete(req, _signAll(_digest(), three));
    }

    function test_sig_revert_otherChainId() public {
        // signed for the destination bridge's address but under another chain id (the source's)
        bytes[] memory sigs = _signAll(_completionDigest(req, CHAIN_A, address(bridgeB), 1), _keys(2));
        _onB();
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeB.completeBridge(req, sigs);
        // a message naming another destination chain is refused before any signature is read
        ICrossChainBridge.Request memory other = req;
        other.dstChainId = 9;
        bytes[] memory otherSigs = _signAll(_completionDigest(other, CHAIN_B, address(bridgeB), 1), _keys(2));
        vm.expectRevert(
            abi.encodeWithSelector(ICrossChainBridge.WrongDestination.selector, 9, address(bridgeB))
        );
        bridgeB.completeBridge(other, otherSigs);
    }

    function test_sig_revert_otherBridgeAddress() public {
        // a second bridge on chain B with the same validators: signatures made for it do not work here
        _onB();
        CrossChainBridge twin = new CrossChainBridge(address(manager), treasury, validatorAddrs, 2);
        bytes[] memory sigs = _signAll(_completionDigest(req, CHAIN_B, address(twin), 1), _keys(2));
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeB.completeBridge(req, sigs);
        // and signatures for the source bridge (same chain id as its own domain) neither
        bytes[] memory srcSigs = _signAll(_completionDigest(req, CHAIN_A, address(bridgeA), 1), _keys(2));
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeB.completeBridge(req, srcSigs);
    }

    function test_sig_revert_malformed() public {
        bytes[] memory sigs = _signAll(_digest(), _keys(2));
        sigs[1] = bytes.concat(sigs[1], hex"00"); // 66 bytes
        _expectCompletionRevert(sigs, abi.encodeWithSelector(ICrossChainBridge.InvalidSignature.selector, 1));
        sigs = _signAll(_digest(), _keys(2));
        sigs[0] = new bytes(65); // r = s = 0, v = 0
        _expectCompletionRevert(sigs, abi.encodeWithSelector(ICrossChainBridge.InvalidSignature.selector, 0));
    }

    function test_sig_revert_malleableHighS() public {
        bytes32 digest = _digest();
        bytes[] memory sigs = _signAll(digest, _keys(2));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(validatorKeys[0], digest);
        // the other valid signature of the same key: (r, n - s, v ^ 1)
        sigs[0] = abi.encodePacked(r, bytes32(secp256k1n - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        assertEq(ecrecover(digest, v == 27 ? 28 : 27, r, bytes32(secp256k1n - uint256(s))), validatorAddrs[0]);
        _expectCompletionRevert(sigs, abi.encodeWithSelector(ICrossChainBridge.InvalidSignature.selector, 0));
    }

    function test_sig_refund_negativeCases() public {
        vm.warp(req.deadline + 1);
        _onA();
        bytes32 digest = _refundDigest(req, CHAIN_A, address(bridgeA), 1);
        // below threshold
        bytes[] memory one = _signAll(digest, _keys(1));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.InsufficientSignatures.selector, 1, 2));
        bridgeA.refundBridge(req, one);
        // duplicate
        bytes[] memory dup = _signAll(digest, _pair(validatorKeys[0], validatorKeys[0]));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.DuplicateSigner.selector, validatorAddrs[0]));
        bridgeA.refundBridge(req, dup);
        // outsider
        (address outsider, uint256 outsiderKey) = makeAddrAndKey("outsider");
        bytes[] memory out = _signAll(digest, _sortKeys(_pair(validatorKeys[0], outsiderKey)));
        vm.expectRevert(abi.encodeWithSelector(ICrossChainBridge.NotAValidator.selector, outsider));
        bridgeA.refundBridge(req, out);
        // another chain id, another bridge
        bytes[] memory otherChain = _signAll(_refundDigest(req, CHAIN_B, address(bridgeA), 1), _keys(2));
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeA.refundBridge(req, otherChain);
        bytes[] memory otherBridge = _signAll(_refundDigest(req, CHAIN_A, address(bridgeB), 1), _keys(2));
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeA.refundBridge(req, otherBridge);
        // old set
        bytes[] memory old = _signAll(digest, _keys(2));
        _rotate("w", 3, 2);
        _onA();
        vm.expectPartialRevert(ICrossChainBridge.NotAValidator.selector);
        bridgeA.refundBridge(req, old);
        // valid
        _refund(req, _signAll(_refundDigest(req, CHAIN_A, address(bridgeA), 2), _keys(2)));
        assertEq(tokenA.balanceOf(alice), MINT);
    }

    function _pair(uint256 a, uint256 b) internal pure returns (uint256[] memory keys) {
        keys = new uint256[](2);
        keys[0] = a;
        keys[1] = b;
    }
}
