// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title AITBC
/// @notice The protocol's staking and governance token: ERC-20 with EIP-2612 permits and checkpointed votes
/// (timestamp clock), minted only by the minter role up to a fixed cap.
contract AITBC is ERC20, ERC20Permit, ERC20Votes, AccessManaged {
    /// @notice Supply can never exceed this.
    uint256 public constant MAX_SUPPLY = 1_000_000_000e18;

    error SupplyCapExceeded(uint256 supplyAfterMint, uint256 cap);

    /// @param authority The protocol's AccessManager.
    constructor(address authority) ERC20("AITBC", "AITBC") ERC20Permit("AITBC") AccessManaged(authority) {}

    /// @notice Mints `amount` to `to`. Restricted: the minter role.
    function mint(address to, uint256 amount) external restricted {
        _mint(to, amount);
        if (totalSupply() > MAX_SUPPLY) revert SupplyCapExceeded(totalSupply(), MAX_SUPPLY);
    }

    /// @notice Votes are checkpointed by timestamp, which works the same on every chain the protocol runs on.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice Describes the clock for off-chain tools (EIP-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
