// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {CrossChainBridge} from "../../src/bridge/CrossChainBridge.sol";
import {BridgedToken} from "../../src/bridge/BridgedToken.sol";
import {ICrossChainBridge} from "../../src/interfaces/ICrossChainBridge.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Two chains in one EVM: bridge A (chain id CHAIN_A) and bridge B (CHAIN_B), each called only after
/// `vm.chainId` switched to its chain (OpenZeppelin's EIP712 rebuilds the domain separator when the chain id
/// differs from the cached one). Token `tokenA` lives on A and is `wTokenA` on B; `tokenB` lives on B and is
/// `wTokenB` on A. Both bridges start with the same 2-of-3 validator set, no fee, no rate limit, a 1-day TTL; the
/// guardian may pause. Digests are rebuilt here independently of the contract (type strings written out again).
abstract contract BridgeTestBase is Test {
    uint256 internal constant CHAIN_A = 31_337;
    uint256 internal constant CHAIN_B = 4_242;
    uint256 internal constant TTL = 1 days;
    uint256 internal constant MINT = 1_000_000e18;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant COMPLETION_TYPEHASH = keccak256(
        "Completion(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,bytes32 requestId,"
        "address token,uint256 amount,address recipient,uint256 deadline,uint256 validatorSetVersion)"
    );
    bytes32 internal constant REFUND_TYPEHASH = keccak256(
        "Refund(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,bytes32 requestId,"
        "address token,uint256 amount,address sender,uint256 deadline,uint256 validatorSetVersion)"
    );

    AccessManager internal manager;
    CrossChainBridge internal bridgeA;
    CrossChainBridge internal bridgeB;
    MockERC20 internal tokenA;
    MockERC20 internal tokenB;
    BridgedToken internal wTokenA; // on B
    BridgedToken internal wTokenB; // on A

    address internal admin;
    address internal guardian = makeAddr("guardian");
    address internal treasury = makeAddr("treasury");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal relayer = makeAddr("relayer");

    uint256[] internal validatorKeys; // the current set's keys, sorted by address
    address[] internal validatorAddrs;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        vm.roll(100);
        admin = address(this);
        manager = new AccessManager(admin);
        _makeValidators("v", 3);

        vm.chainId(CHAIN_A);
        bridgeA = new CrossChainBridge(address(manager), treasury, validatorAddrs, 2);
        vm.chainId(CHAIN_B);
        bridgeB = new CrossChainBridge(address(manager), treasury, validatorAddrs, 2);
        vm.label(address(bridgeA), "bridgeA");
        vm.label(address(bridgeB), "bridgeB");
        _wireRoles(address(bridgeA));
        _wireRoles(address(bridgeB));

        tokenA = new MockERC20("Token A", "TKA");
        tokenB = new MockERC20("Token B", "TKB");
        wTokenA = new BridgedToken("Bridged A", "bTKA", 18, address(bridgeB), CHAIN_A, address(tokenA));
        wTokenB = new BridgedToken("Bridged B", "bTKB", 18, address(bridgeA), CHAIN_B, address(tokenB));
        vm.label(address(tokenA), "tokenA");
        vm.label(address(tokenB), "tokenB");
        vm.label(address(wTokenA), "wTokenA");
        vm.label(address(wTokenB), "wTokenB");

        _onA();
        bridgeA.setRemoteBridge(CHAIN_B, address(bridgeB));
        bridgeA.setRoute(address(tokenA), CHAIN_B, _route(CHAIN_A, address(wTokenA)));
        bridgeA.setRoute(address(wTokenB), CHAIN_B, _route(CHAIN_B, address(tokenB)));
        _onB();
        bridgeB.setRemoteBridge(CHAIN_A, address(bridgeA));
        bridgeB.setRoute(address(wTokenA), CHAIN_A, _route(CHAIN_A, address(tokenA)));
        bridgeB.setRoute(address(tokenB), CHAIN_A, _route(CHAIN_B, address(wTokenB)));

        address[2] memory users = [alice, bob];
        for (uint256 i; i < 2; ++i) {
            tokenA.mint(users[i], MINT);
            tokenB.mint(users[i], MINT);
            vm.startPrank(users[i]);
            tokenA.approve(address(bridgeA), type(uint256).max);
            tokenB.approve(address(bridgeB), type(uint256).max);
            wTokenA.approve(address(bridgeB), type(uint256).max);
            wTokenB.approve(address(bridgeA), type(uint256).max);
            vm.stopPrank();
        }
        _onA();
    }

    function _wireRoles(address bridge) internal {
        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = CrossChainBridge.pause.selector;
        pausing[1] = CrossChainBridge.unpause.selector;
        manager.setTargetFunctionRole(bridge, pausing, Roles.GUARDIAN);
        manager.grantRole(Roles.GUARDIAN, guardian, 0);
    }

    function _route(uint256 home, address counterpart)
        internal
        pure
        returns (ICrossChainBridge.Route memory)
    {
        return ICrossChainBridge.Route({
            homeChainId: home, counterpart: counterpart, decimals: 18, enabled: true
        });
    }

    function _onA() internal {
        vm.chainId(CHAIN_A);
    }

    function _onB() internal {
        vm.chainId(CHAIN_B);
    }

    function _on(CrossChainBridge bridge) internal {
        vm.chainId(bridge == bridgeA ? CHAIN_A : CHAIN_B);
    }

    // ─── Validators ───────────────────────────────────────────────────────────────────────────

    /// @dev Creates `n` validator keys labelled `prefix`+i, sorted by address, as the current key set.
    function _makeValidators(string memory prefix, uint256 n) internal {
        delete validatorKeys;
        delete validatorAddrs;
        uint256[] memory keys = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            (, keys[i]) = makeAddrAndKey(string.concat(prefix, vm.toString(i)));
        }
        keys = _sortKeys(keys);
        for (uint256 i; i < n; ++i) {
            validatorKeys.push(keys[i]);
            validatorAddrs.push(vm.addr(keys[i]));
        }
    }

    function _sortKeys(uint256[] memory keys) internal pure returns (uint256[] memory) {
        for (uint256 i = 1; i < keys.length; ++i) {
            uint256 k = keys[i];
            uint256 j = i;
            while (j > 0 && vm.addr(keys[j - 1]) > vm.addr(k)) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = k;
        }
        return keys;
    }

    /// @dev The first `n` current validator keys (sorted).
    function _keys(uint256 n) internal view returns (uint256[] memory keys) {
        keys = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            keys[i] = validatorKeys[i];
        }
    }

    /// @dev Signs `digest` with each key, in the order given.
    function _signAll(bytes32 digest, uint256[] memory keys) internal pure returns (bytes[] memory sigs) {
        sigs = new bytes[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], digest);
            sigs[i] = abi.encodePacked(r, s, v);
        }
    }

    // ─── Digests (independent of the contract) ────────────────────────────────────────────────

    function _domain(uint256 chainId, address bridge) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("CrossChainBridge"), keccak256("1"), chainId, bridge)
        );
    }

    function _id(ICrossChainBridge.Request memory r) internal pure returns (bytes32) {
        return keccak256(abi.encode(r));
    }

    function _completionDigest(
        ICrossChainBridge.Request memory r,
        uint256 domainChainId,
        address domainBridge,
        uint256 version
    ) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                COMPLETION_TYPEHASH,
                r.srcChainId,
                r.dstChainId,
                r.srcBridge,
                r.dstBridge,
                _id(r),
                r.dstToken,
                r.amount,
                r.recipient,
                r.deadline,
                version
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domain(domainChainId, domainBridge), structHash));
    }

    function _refundDigest(
        ICrossChainBridge.Request memory r,
        uint256 domainChainId,
        address domainBridge,
        uint256 version
    ) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                REFUND_TYPEHASH,
                r.srcChainId,
                r.dstChainId,
                r.srcBridge,
                r.dstBridge,
                _id(r),
                r.srcToken,
                r.amount,
                r.sender,
                r.deadline,
                version
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domain(domainChainId, domainBridge), structHash));
    }

    /// @dev Completion signatures of the first `n` current validators, for `r`'s destination bridge.
    function _completionSigs(ICrossChainBridge.Request memory r, uint256 n)
        internal
        view
        returns (bytes[] memory)
    {
        CrossChainBridge dst = r.dstChainId == CHAIN_A ? bridgeA : bridgeB;
        return _signAll(_completionDigest(r, r.dstChainId, r.dstBridge, dst.validatorSetVersion()), _keys(n));
    }

    /// @dev Refund signatures of the first `n` current validators, for `r`'s source bridge.
    function _refundSigs(ICrossChainBridge.Request memory r, uint256 n)
        internal
        view
        returns (bytes[] memory)
    {
        CrossChainBridge src = r.srcChainId == CHAIN_A ? bridgeA : bridgeB;
        return _signAll(_refundDigest(r, r.srcChainId, r.srcBridge, src.validatorSetVersion()), _keys(n));
    }

    // ─── Actions ──────────────────────────────────────────────────────────────────────────────

    /// @dev `who` bridges `amount` of `token` from `src` to `recipient` on the other chain; returns the request
    /// rebuilt from the bridge's state (and checks its id).
    function _initiate(CrossChainBridge src, address who, address token, uint256 amount, address recipient)
        internal
        returns (ICrossChainBridge.Request memory r)
    {
        _on(src);
        CrossChainBridge dst = src == bridgeA ? bridgeB : bridgeA;
        uint256 dstChainId = src == bridgeA ? CHAIN_B : CHAIN_A;
        uint256 fee = (amount * src.feeBps(token)) / 10_000;
        r = ICrossChainBridge.Request({
            srcChainId: block.chainid,
            dstChainId: dstChainId,
            srcBridge: address(src),
            dstBridge: address(dst),
            srcToken: token,
            dstToken: src.getRoute(token, dstChainId).counterpart,
            sender: who,
            recipient: recipient,
            amount: amount - fee,
            deadline: block.timestamp + src.requestTtl(),
            nonce: src.outboundNonce()
        });
        vm.prank(who);
        bytes32 id = src.initiateBridge(token, amount, dstChainId, recipient);
        assertEq(id, _id(r), "request id");
    }

    function _complete(ICrossChainBridge.Request memory r, bytes[] memory sigs) internal {
        CrossChainBridge dst = r.dstChainId == CHAIN_A ? bridgeA : bridgeB;
        _on(dst);
        vm.prank(relayer);
        dst.completeBridge(r, sigs);
    }

    function _refund(ICrossChainBridge.Request memory r, bytes[] memory sigs) internal {
        CrossChainBridge src = r.srcChainId == CHAIN_A ? bridgeA : bridgeB;
        _on(src);
        vm.prank(relayer);
        src.refundBridge(r, sigs);
    }

    /// @dev Replaces the set on both bridges with `n` fresh validators (threshold `t`), keys labelled `prefix`.
    function _rotate(string memory prefix, uint256 n, uint256 t) internal {
        _makeValidators(prefix, n);
        _onA();
        bridgeA.setValidators(validatorAddrs, t);
        _onB();
        bridgeB.setValidators(validatorAddrs, t);
    }
}
