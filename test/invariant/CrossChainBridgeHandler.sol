// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {CrossChainBridge} from "../../src/bridge/CrossChainBridge.sol";
import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";

/// @notice Drives two bridges that stand for two chains (bridge A on CHAIN_A, bridge B on CHAIN_B: `vm.chainId`
/// is switched before every call to one of them, so each verifies under its own EIP-712 domain) and four tokens
/// (tokenA home on A, bridged as wTokenA on B; tokenB home on B, bridged as wTokenB on A). Actors bridge both ways;
/// an honest validator quorum signs completions, and refunds only when the destination has not completed the
/// request; forged bundles (below threshold, duplicate signer, outsider, old set, another chain id, another bridge
/// address) are submitted against live requests; governance rotates the validator set; the guardian pauses; time
/// moves past deadlines. Every outcome is checked against the model on the spot (`broken`).
contract CrossChainBridgeHandler is Test {
    uint256 public immutable chainA;
    uint256 public immutable chainB;
    CrossChainBridge public immutable bridgeA;
    CrossChainBridge public immutable bridgeB;
    // [route][side]: route 0 = tokenA (home A), route 1 = tokenB (home B); side 0 = home token, 1 = bridged token
    address[2][2] internal tokens;
    address[3] internal actors;

    // validator key pool (sorted by address) and the sets drawn from it: [first index, size, threshold]
    uint256[9] internal pool;
    uint256[3][3] internal sets = [[uint256(0), 3, 2], [uint256(2), 5, 3], [uint256(0), 9, 5]];
    uint256 public currentSet;
    uint256 public previousSet;
    bool public rotated;
    uint256 internal outsiderKey;

    ICrossChainBridge.Request[] internal _requests;
    mapping(bytes32 id => uint8) public ghostState; // 1 pending, 2 completed, 3 refunded
    /// @notice Per route: amounts of requests neither completed nor refunded (in both directions).
    uint256[2] public ghostPending;
    bool public broken;
    string public firstFailure;
    mapping(bytes32 => uint256) public calls;

    constructor(
        CrossChainBridge bridgeA_,
        CrossChainBridge bridgeB_,
        uint256 chainA_,
        uint256 chainB_,
        address[2][2] memory tokens_,
        address[3] memory actors_
    ) {
        bridgeA = bridgeA_;
        bridgeB = bridgeB_;
        chainA = chainA_;
        chainB = chainB_;
        tokens = tokens_;
        actors = actors_;
        uint256[] memory keys = new uint256[](9);
        for (uint256 i; i < 9; ++i) {
            (, keys[i]) = makeAddrAndKey(string.concat("inv-validator-", vm.toString(i)));
        }
        for (uint256 i = 1; i < 9; ++i) {
            uint256 k = keys[i];
            uint256 j = i;
            while (j > 0 && vm.addr(keys[j - 1]) > vm.addr(k)) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = k;
        }
        for (uint256 i; i < 9; ++i) {
            pool[i] = keys[i];
        }
        (, outsiderKey) = makeAddrAndKey("inv-outsider");
    }

    // ─── Views for the invariant test ─────────────────────────────────────────────────────────

    function requestCount() external view returns (uint256) {
        return _requests.length;
    }

    function requestAt(uint256 i) external view returns (ICrossChainBridge.Request memory) {
        return _requests[i];
    }

    function homeToken(uint256 route) external view returns (address) {
        return tokens[route][0];
    }

    function bridgedToken(uint256 route) external view returns (address) {
        return tokens[route][1];
    }

    function callSummary() external view returns (uint256, uint256, uint256, uint256, uint256) {
        return
            (calls["initiate"], calls["complete"], calls["refund"], calls["attackRefused"], calls["rotate"]);
    }

    // ─── Actions ──────────────────────────────────────────────────────────────────────────────

    /// @notice An actor bridges a token: `dir` 0 tokenA A→B, 1 wTokenA B→A, 2 tokenB B→A, 3 wTokenB A→B.
    function initiate(uint256 actorSeed, uint256 dir, uint256 amount, uint256 recipientSeed) external {
        dir = bound(dir, 0, 3);
        uint256 route = dir / 2;
        uint256 side = dir % 2;
        address token = tokens[route][side];
        // the home token of route 0 lives on A, its bridged token on B; route 1 the other way round
        bool fromA = (route == 0) == (side == 0);
        CrossChainBridge src = fromA ? bridgeA : bridgeB;
        address who = actors[bound(actorSeed, 0, 2)];
        uint256 balance = IERC20(token).balanceOf(who);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        address recipient = actors[bound(recipientSeed, 0, 2)];
        _switch(src);
        uint256 fee = (amount * src.feeBps(token)) / 10_000;
        ICrossChainBridge.Request memory r = ICrossChainBridge.Request({
            srcChainId: block.chainid,
            dstChainId: fromA ? chainB : chainA,
            srcBridge: address(src),
            dstBridge: address(fromA ? bridgeB : bridgeA),
            srcToken: token,
            dstToken: tokens[route][1 - side],
            sender: who,
            recipient: recipient,
            amount: amount - fee,
            deadline: block.timestamp + src.requestTtl(),
            nonce: src.outboundNonce()
        });
        vm.prank(who);
        try src.initiateBridge(token, amount, r.dstChainId, recipient) returns (bytes32 id) {
            if (id != keccak256(abi.encode(r))) _fail("request id differs from the model");
            _requests.push(r);
            ghostState[id] = 1;
            ghostPending[route] += r.amount;
            calls["initiate"]++;
        } catch (bytes memory reason) {
            bytes4 sel = bytes4(reason);
            if (sel != ICrossChainBridge.RateLimitExceeded.selector && sel != Pausable.EnforcedPause.selector)
            {
                _fail("valid initiation refused");
            }
        }
    }

    /// @notice A relayer submits a completion with `k` (≥ threshold) honest signatures of the current set.
    function complete(uint256 idxSeed, uint256 kSeed) external {
        if (_requests.length == 0) return;
        ICrossChainBridge.Request memory r = _requests[bound(idxSeed, 0, _requests.length - 1)];
        CrossChainBridge dst = _bridgeOn(r.dstChainId);
        uint256[3] memory set = sets[currentSet];
        uint256 k = bound(kSeed, set[2], set[1]);
        bytes[] memory sigs =
            _sign(_completionDigest(r, r.dstChainId, address(dst), dst.validatorSetVersion()), set[0], k);
        bytes32 id = keccak256(abi.encode(r));
        bool completable = ghostState[id] == 1 && block.timestamp <= r.deadline;
        _switch(dst);
        try dst.completeBridge(r, sigs) {
            if (!completable) _fail("completion accepted for a finished or expired request");
            ghostState[id] = 2;
            ghostPending[_routeOf(r)] -= r.amount;
            calls["complete"]++;
        } catch (bytes memory reason) {
            bytes4 sel = bytes4(reason);
            if (
                completable && sel != ICrossChainBridge.RateLimitExceeded.selector
                    && sel != Pausable.EnforcedPause.selector
            ) {
                _fail("valid completion refused");
            }
        }
    }

    /// @notice Honest validators sign a refund unless the destination completed the request; the relayer submits
    /// it, before or after the deadline.
    function refund(uint256 idxSeed) external {
        if (_requests.length == 0) return;
        ICrossChainBridge.Request memory r = _requests[bound(idxSeed, 0, _requests.length - 1)];
        bytes32 id = keccak256(abi.encode(r));
        CrossChainBridge src = _bridgeOn(r.srcChainId);
        CrossChainBridge dst = _bridgeOn(r.dstChainId);
        if (dst.requestStatus(id) == ICrossChainBridge.Status.Completed) return;
        uint256[3] memory set = sets[currentSet];
        bytes[] memory sigs = _sign(_refundDigest(r, address(src), src.validatorSetVersion()), set[0], set[2]);
        bool refundable = ghostState[id] == 1 && block.timestamp > r.deadline;
        _switch(src);
        try src.refundBridge(r, sigs) {
            if (!refundable) _fail("refund accepted for a finished or live request");
            ghostState[id] = 3;
            ghostPending[_routeOf(r)] -= r.amount;
            calls["refund"]++;
        } catch {
            if (refundable) _fail("valid refund refused");
        }
    }

    /// @notice A forged completion bundle for a random request: 0 below threshold, 1 duplicate signer, 2 outsider,
    /// 3 old set (old version), 4 signed for another chain id, 5 signed for another bridge address. Never passes.
    function attack(uint256 idxSeed, uint256 kind) external {
        if (_requests.length == 0) return;
        ICrossChainBridge.Request memory r = _requests[bound(idxSeed, 0, _requests.length - 1)];
        kind = bound(kind, 0, 5);
        CrossChainBridge dst = _bridgeOn(r.dstChainId);
        uint256 version = dst.validatorSetVersion();
        uint256[3] memory set = sets[currentSet];
        uint256 t = set[2];
        bytes32 digest = _completionDigest(r, r.dstChainId, address(dst), version);
        bytes[] memory sigs;
        if (kind == 0) {
            sigs = _sign(digest, set[0], t - 1);
        } else if (kind == 1) {
            sigs = _sign(digest, set[0], t);
            sigs[t - 1] = sigs[t - 2]; // last two signers the same (still non-decreasing)
        } else if (kind == 2) {
            sigs = _sign(digest, set[0], t - 1);
            bytes[] memory withOutsider = new bytes[](t);
            bytes memory o = _sig(outsiderKey, digest);
            // place the outsider where its address keeps the bundle sorted
            address oAddr = vm.addr(outsiderKey);
            uint256 j;
            bool placed;
            for (uint256 i; i < t; ++i) {
                if (!placed && (j == t - 1 || oAddr < vm.addr(pool[set[0] + j]))) {
                    withOutsider[i] = o;
                    placed = true;
                } else {
                    withOutsider[i] = sigs[j++];
                }
            }
            sigs = withOutsider;
        } else if (kind == 3) {
            if (!rotated) return;
            uint256[3] memory old = sets[previousSet];
            sigs = _sign(_completionDigest(r, r.dstChainId, address(dst), version - 1), old[0], old[2]);
        } else if (kind == 4) {
            sigs = _sign(_completionDigest(r, r.srcChainId, address(dst), version), set[0], t);
        } else {
            sigs = _sign(_completionDigest(r, r.dstChainId, r.srcBridge, version), set[0], t);
        }
        _switch(dst);
        try dst.completeBridge(r, sigs) {
            _fail("forged signature bundle accepted");
        } catch {
            calls["attackRefused"]++;
        }
    }

    /// @notice Governance replaces the validator set on both chains.
    function rotate(uint256 setSeed) external {
        uint256 next = bound(setSeed, 0, 2);
        if (next == currentSet && rotated) next = (next + 1) % 3;
        uint256[3] memory set = sets[next];
        address[] memory validators = new address[](set[1]);
        for (uint256 i; i < set[1]; ++i) {
            validators[i] = vm.addr(pool[set[0] + i]);
        }
        _switch(bridgeA);
        bridgeA.setValidators(validators, set[2]);
        _switch(bridgeB);
        bridgeB.setValidators(validators, set[2]);
        previousSet = currentSet;
        currentSet = next;
        rotated = true;
        calls["rotate"]++;
    }

    /// @notice The guardian pauses or resumes one bridge.
    function togglePause(uint256 which) external {
        CrossChainBridge bridge = which % 2 == 0 ? bridgeA : bridgeB;
        _switch(bridge);
        if (bridge.paused()) bridge.unpause();
        else bridge.pause();
    }

    /// @notice Time passes (up to two request lifetimes).
    function warp(uint256 secondsLater) external {
        secondsLater = bound(secondsLater, 1, 2 days);
        vm.warp(block.timestamp + secondsLater);
        vm.roll(block.number + 1);
    }

    // ─── Internals ────────────────────────────────────────────────────────────────────────────

    function _fail(string memory why) internal {
        if (!broken) {
            broken = true;
            firstFailure = why;
        }
    }

    function _switch(CrossChainBridge bridge) internal {
        vm.chainId(bridge == bridgeA ? chainA : chainB);
    }

    function _bridgeOn(uint256 chainId) internal view returns (CrossChainBridge) {
        return chainId == chainA ? bridgeA : bridgeB;
    }

    function _routeOf(ICrossChainBridge.Request memory r) internal view returns (uint256) {
        return (r.srcToken == tokens[0][0] || r.srcToken == tokens[0][1]) ? 0 : 1;
    }

    function _sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev Signatures of pool keys [first, first + k), already sorted by address.
    function _sign(bytes32 digest, uint256 first, uint256 k) internal view returns (bytes[] memory sigs) {
        sigs = new bytes[](k);
        for (uint256 i; i < k; ++i) {
            sigs[i] = _sig(pool[first + i], digest);
        }
    }

    function _domain(uint256 chainId, address bridge) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("CrossChainBridge"),
                keccak256("1"),
                chainId,
                bridge
            )
        );
    }

    function _completionDigest(
        ICrossChainBridge.Request memory r,
        uint256 chainId,
        address bridge,
        uint256 version
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                bridgeA.COMPLETION_TYPEHASH(),
                r.srcChainId,
                r.dstChainId,
                r.srcBridge,
                r.dstBridge,
                keccak256(abi.encode(r)),
                r.dstToken,
                r.amount,
                r.recipient,
                r.deadline,
                version
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domain(chainId, bridge), structHash));
    }

    function _refundDigest(ICrossChainBridge.Request memory r, address bridge, uint256 version)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                bridgeA.REFUND_TYPEHASH(),
                r.srcChainId,
                r.dstChainId,
                r.srcBridge,
                r.dstBridge,
                keccak256(abi.encode(r)),
                r.srcToken,
                r.amount,
                r.sender,
                r.deadline,
                version
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domain(r.srcChainId, bridge), structHash));
    }
}
