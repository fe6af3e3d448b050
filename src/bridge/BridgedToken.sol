// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BridgedToken
/// @notice Representation, on a remote chain, of a canonical token locked in the bridge of its home chain. Only
/// this chain's bridge mints (on a completed inbound transfer or a refunded outbound one) and burns (on an outbound
/// transfer, from its own balance after pulling the tokens).
contract BridgedToken is ERC20 {
    /// @notice The only address that may mint and burn.
    address public immutable bridge;
    /// @notice Chain id of the canonical token's home chain.
    uint256 public immutable homeChainId;
    /// @notice Address of the canonical token on its home chain.
    address public immutable homeToken;
    uint8 private immutable _decimals;

    error OnlyBridge(address caller);
    error ZeroAddress();

    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ The canonical token's decimals (amounts cross 1:1).
    /// @param bridge_ This chain's bridge.
    /// @param homeChainId_ The canonical token's chain.
    /// @param homeToken_ The canonical token.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address bridge_,
        uint256 homeChainId_,
        address homeToken_
    ) ERC20(name_, symbol_) {
        if (bridge_ == address(0) || homeToken_ == address(0)) revert ZeroAddress();
        bridge = bridge_;
        homeChainId = homeChainId_;
        homeToken = homeToken_;
        _decimals = decimals_;
    }

    modifier onlyBridge() {
        if (msg.sender != bridge) revert OnlyBridge(msg.sender);
        _;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` to `to` (bridge only).
    /// @param to Receiver.
    /// @param amount Amount minted.
    function mint(address to, uint256 amount) external onlyBridge {
        _mint(to, amount);
    }

    /// @notice Burns `amount` from the bridge's own balance (bridge only).
    /// @param amount Amount burned.
    function burn(uint256 amount) external onlyBridge {
        _burn(msg.sender, amount);
    }
}
