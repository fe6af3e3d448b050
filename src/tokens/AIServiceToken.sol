// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

/// @title AIServiceToken
/// @notice A claim on a unit of AI service (e.g. one GPU-hour, one million LLM tokens), traded on the AMM.
/// Minted only by the minter role (the service provider's issuance process); holders may burn to redeem.
contract AIServiceToken is ERC20, ERC20Permit, AccessManaged {
    /// @notice What one whole token is a claim on, e.g. "GPU-hour (A100)".
    string public serviceUnit;

    error EmptyServiceUnit();

    /// @param authority The protocol's AccessManager.
    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param serviceUnit_ What one whole token is a claim on.
    constructor(address authority, string memory name_, string memory symbol_, string memory serviceUnit_)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        AccessManaged(authority)
    {
        if (bytes(serviceUnit_).length == 0) revert EmptyServiceUnit();
        serviceUnit = serviceUnit_;
    }

    /// @notice Mints `amount` to `to`. Restricted: the minter role.
    function mint(address to, uint256 amount) external restricted {
        _mint(to, amount);
    }

    /// @notice Burns `amount` of the caller's tokens, redeeming the service off-chain.
    function burn(uint256 amount) external {
        _burn(msg.sender, amount);
    }
}
