// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {IDelegatedVotes} from "../interfaces/IDelegatedVotes.sol";

/// @title AITBC
/// @notice The protocol's staking and governance token: ERC-20 with EIP-2612 permits and checkpointed votes
/// (timestamp clock), minted only by the minter role up to a fixed cap. Besides each delegate's votes and the total
/// supply, it checkpoints the total delegated (IDelegatedVotes): the token votes that can actually be cast.
contract AITBC is ERC20, ERC20Permit, ERC20Votes, IDelegatedVotes, AccessManaged {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Supply can never exceed this.
    uint256 public constant MAX_SUPPLY = 1_000_000_000e18;

    /// @dev The balances of all accounts with a delegate (= the sum of every delegate's votes), by timestamp.
    Checkpoints.Trace208 private _totalDelegated;

    error SupplyCapExceeded(uint256 supplyAfterMint, uint256 cap);

    /// @param authority The protocol's AccessManager.
    constructor(address authority) ERC20("AITBC", "AITBC") ERC20Permit("AITBC") AccessManaged(authority) {}

    /// @notice Mints `amount` to `to`. Restricted: the minter role.
    function mint(address to, uint256 amount) external restricted {
        _mint(to, amount);
        if (totalSupply() > MAX_SUPPLY) revert SupplyCapExceeded(totalSupply(), MAX_SUPPLY);
    }

    /// @inheritdoc IDelegatedVotes
    function getTotalDelegated() external view returns (uint256) {
        return _totalDelegated.latest();
    }

    /// @inheritdoc IDelegatedVotes
    function getPastTotalDelegated(uint256 timepoint) external view returns (uint256) {
        return _totalDelegated.upperLookupRecent(_validateTimepoint(timepoint));
    }

    /// @notice Votes are checkpointed by timestamp, which works the same on every chain the protocol runs on.
    function clock() public view override(Votes, IERC6372) returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice Describes the clock for off-chain tools (EIP-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override(Votes, IERC6372) returns (string memory) {
        return "mode=timestamp";
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @dev Delegating an undelegated balance adds it to the total delegated; delegating to zero removes it;
    /// moving it from one delegate to another leaves the total as it is.
    function _delegate(address account, address delegatee) internal override {
        bool wasDelegated = delegates(account) != address(0);
        super._delegate(account, delegatee);
        if (wasDelegated != (delegatee != address(0))) _moveTotalDelegated(wasDelegated, balanceOf(account));
    }

    /// @dev Called by ERC20Votes on every transfer, mint and burn, after the balances changed (the delegates did
    /// not). Value moving between two delegated, or two undelegated, holders leaves the total as it is; the zero
    /// address (mint and burn) never has a delegate.
    function _transferVotingUnits(address from, address to, uint256 amount) internal override {
        super._transferVotingUnits(from, to, amount);
        bool fromDelegated = delegates(from) != address(0);
        if (fromDelegated != (delegates(to) != address(0))) _moveTotalDelegated(fromDelegated, amount);
    }

    /// @dev The total cannot overflow: it is at most the total supply, which ERC20Votes keeps within uint208.
    function _moveTotalDelegated(bool decrease, uint256 amount) private {
        if (amount == 0) return;
        uint256 latest = _totalDelegated.latest();
        _totalDelegated.push(clock(), uint208(decrease ? latest - amount : latest + amount));
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
