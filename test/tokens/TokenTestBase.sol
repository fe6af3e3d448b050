// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {Roles} from "../../src/libraries/Roles.sol";

/// @notice AccessManager with a minter, and an EIP-2612 permit signer.
abstract contract TokenTestBase is Test {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    AccessManager internal manager;
    address internal minter = makeAddr("minter");
    address internal alice;
    uint256 internal aliceKey;
    address internal bob = makeAddr("bob");

    function _setUpManager() internal {
        vm.warp(1_700_000_000);
        manager = new AccessManager(address(this));
        manager.grantRole(Roles.MINTER, minter, 0);
        (alice, aliceKey) = makeAddrAndKey("alice");
    }

    function _restrictMint(address token, bytes4 selector) internal {
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = selector;
        manager.setTargetFunctionRole(token, selectors, Roles.MINTER);
    }

    function _signPermit(
        bytes32 domainSeparator,
        uint256 key,
        address owner,
        address spender,
        uint256 value,
        uint256 nonce,
        uint256 deadline
    ) internal pure returns (uint8 v, bytes32 r, bytes32 s) {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline));
        return vm.sign(key, keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash)));
    }
}
