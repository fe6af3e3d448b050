// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Script} from "forge-std/Script.sol";

import {CrossChainBridge} from "../src/bridge/CrossChainBridge.sol";
import {BridgedToken} from "../src/bridge/BridgedToken.sol";
import {ICrossChainBridge} from "../src/interfaces/ICrossChainBridge.sol";

/// @title ConnectBridge
/// @notice Connects this chain's bridge to the bridge of PEER_CHAIN_ID, both deployed by `Deploy.s.sol`: registers
/// the peer bridge, deploys a {BridgedToken} here for each of the peer's canonical tokens (and routes it home), and
/// routes this chain's own tokens to their representations on the peer once the peer has deployed them.
/// Writes `deployments/bridge/<chainId>-<peerChainId>.json` (the representations deployed here).
/// @dev Run it on A, then on B, then on A again: the third run adds A's outbound routes, which need B's
/// representations. Every step is idempotent (an existing representation with code is reused; settings are set to
/// the same values again). The broadcaster must hold the AccessManager's admin role on this chain: on a local test
/// chain, the deployer with ADMIN set; on a real chain, these calls are a governance proposal's.
/// Environment: PRIVATE_KEY, PEER_CHAIN_ID; BRIDGE_FEE_BPS (default 0) for this chain's tokens and representations;
/// BRIDGE_RATE_CAPACITY and BRIDGE_RATE_REFILL (per second, both in token units of 18 decimals; unset: no limit).
contract ConnectBridge is Script {
    string[4] internal symbols = ["AITBC", "GPUH", "LLMT", "STOR"];

    /// @notice The peer has no deployments file, or it names no bridge.
    error PeerNotDeployed(uint256 peerChainId);

    // The run's context, kept in storage: the steps below would not fit the stack otherwise.
    CrossChainBridge internal bridge;
    uint256 internal peer;
    string internal localJson;
    string internal remoteJson;

    function run() external {
        uint256 key = vm.envUint("PRIVATE_KEY");
        peer = vm.envUint("PEER_CHAIN_ID");
        localJson = vm.readFile(_deploymentFile(block.chainid));
        remoteJson = _readPeer(peer);
        bridge = CrossChainBridge(vm.parseJsonAddress(localJson, ".contracts.CrossChainBridge"));
        address peerBridge = vm.parseJsonAddress(remoteJson, ".contracts.CrossChainBridge");

        vm.startBroadcast(key);
        if (bridge.remoteBridge(peer) != peerBridge) bridge.setRemoteBridge(peer, peerBridge);
        string memory linksJson = _linkPeerTokens();
        _routeOwnTokens();
        vm.stopBroadcast();

        vm.createDir("deployments/bridge", true);
        vm.writeJson(linksJson, _bridgeFile(block.chainid, peer));
    }

    /// @dev A representation here for each of the peer's tokens (reused when already deployed), routed home.
    function _linkPeerTokens() internal returns (string memory linksJson) {
        string memory existing = _bridgeFile(block.chainid, peer);
        string memory existingJson = vm.exists(existing) ? vm.readFile(existing) : "";
        for (uint256 i; i < symbols.length; ++i) {
            address peerToken = vm.parseJsonAddress(remoteJson, string.concat(".contracts.", symbols[i]));
            address representation;
            if (bytes(existingJson).length > 0) {
                representation = vm.parseJsonAddress(existingJson, string.concat(".", symbols[i]));
            }
            if (representation == address(0) || representation.code.length == 0) {
                representation = _newRepresentation(symbols[i], peerToken);
            }
            bridge.setRoute(
                representation,
                peer,
                ICrossChainBridge.Route({
                    homeChainId: peer, counterpart: peerToken, decimals: 18, enabled: true
                })
            );
            _limits(representation);
            linksJson = vm.serializeAddress("links", symbols[i], representation);
        }
    }

    /// @dev This chain's own tokens go to the representations the peer deployed, once it has.
    function _routeOwnTokens() internal {
        string memory peerLinks = _bridgeFile(peer, block.chainid);
        if (!vm.exists(peerLinks)) return;
        string memory peerJson = vm.readFile(peerLinks);
        for (uint256 i; i < symbols.length; ++i) {
            address token = vm.parseJsonAddress(localJson, string.concat(".contracts.", symbols[i]));
            bridge.setRoute(
                token,
                peer,
                ICrossChainBridge.Route({
                    homeChainId: block.chainid,
                    counterpart: vm.parseJsonAddress(peerJson, string.concat(".", symbols[i])),
                    decimals: 18,
                    enabled: true
                })
            );
            _limits(token);
        }
    }

    function _newRepresentation(string memory symbol, address peerToken) internal returns (address) {
        string memory peerName = vm.toString(peer);
        return address(
            new BridgedToken(
                string.concat(symbol, " (bridged from chain ", peerName, ")"),
                string.concat(symbol, ".", peerName),
                18,
                address(bridge),
                peer,
                peerToken
            )
        );
    }

    function _limits(address token) internal {
        uint256 feeBps = vm.envOr("BRIDGE_FEE_BPS", uint256(0));
        if (bridge.feeBps(token) != feeBps) bridge.setFee(token, feeBps);
        uint256 capacity = vm.envOr("BRIDGE_RATE_CAPACITY", uint256(0));
        if (capacity == 0) return;
        ICrossChainBridge.RateLimitConfig memory config = ICrossChainBridge.RateLimitConfig({
            enabled: true,
            capacity: SafeCast.toUint128(capacity * 1e18),
            refillPerSecond: uint128(vm.envUint("BRIDGE_RATE_REFILL") * 1e18)
        });
        bridge.setRateLimit(token, false, config);
        bridge.setRateLimit(token, true, config);
    }

    function _readPeer(uint256 peerChainId) internal view returns (string memory json) {
        string memory file = _deploymentFile(peerChainId);
        if (!vm.exists(file)) revert PeerNotDeployed(peerChainId);
        json = vm.readFile(file);
    }

    function _deploymentFile(uint256 chainId) internal pure returns (string memory) {
        return string.concat("deployments/", vm.toString(chainId), ".json");
    }

    function _bridgeFile(uint256 chainId, uint256 peerChainId) internal pure returns (string memory) {
        return
            string.concat("deployments/bridge/", vm.toString(chainId), "-", vm.toString(peerChainId), ".json");
    }
}
