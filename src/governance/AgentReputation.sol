// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {IAgentReputation} from "../interfaces/IAgentReputation.sol";

/// @title AgentReputation
/// @notice Non-transferable, checkpointed reputation scores: no transfer, no delegation, no approval; only the
/// reputation granter role (through the protocol's AccessManager) moves a score, and every move is an event.
contract AgentReputation is IAgentReputation, AccessManaged {
    using Checkpoints for Checkpoints.Trace208;

    mapping(address account => Checkpoints.Trace208) private _scores;
    Checkpoints.Trace208 private _total;

    /// @param authority The protocol's AccessManager.
    constructor(address authority) AccessManaged(authority) {}

    // ─── Grants ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAgentReputation
    function grant(address account, uint256 amount) external restricted {
        if (account == address(0)) revert ZeroAccount();
        if (amount == 0) revert ZeroAmount();
        uint256 newTotal = _total.latest() + amount;
        if (newTotal > type(uint208).max) revert ScoreOverflow(newTotal, type(uint208).max);
        // The total bounds every score, so the score cannot overflow once the total does not.
        uint256 newScore = _scores[account].latest() + amount;

        _scores[account].push(clock(), uint208(newScore));
        _total.push(clock(), uint208(newTotal));
        emit ReputationGranted(account, amount, newScore, newTotal);
    }

    /// @inheritdoc IAgentReputation
    function revoke(address account, uint256 amount) external restricted {
        if (amount == 0) revert ZeroAmount();
        uint256 score = _scores[account].latest();
        if (amount > score) revert InsufficientReputation(account, score, amount);
        uint256 newScore = score - amount;
        uint256 newTotal = _total.latest() - amount;

        _scores[account].push(clock(), uint208(newScore));
        _total.push(clock(), uint208(newTotal));
        emit ReputationRevoked(account, amount, newScore, newTotal);
    }

    // ─── Reads ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAgentReputation
    function getVotes(address account) external view returns (uint256) {
        return _scores[account].latest();
    }

    /// @inheritdoc IAgentReputation
    function getPastVotes(address account, uint256 timepoint) external view returns (uint256) {
        return _scores[account].upperLookupRecent(_past(timepoint));
    }

    /// @inheritdoc IAgentReputation
    function totalSupply() external view returns (uint256) {
        return _total.latest();
    }

    /// @inheritdoc IAgentReputation
    function getPastTotalSupply(uint256 timepoint) external view returns (uint256) {
        return _total.upperLookupRecent(_past(timepoint));
    }

    /// @notice Timestamps, as AITBC's votes, so both are read at the same proposal snapshot.
    function clock() public view returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice Describes the clock for off-chain tools (EIP-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=timestamp";
    }

    /// @dev A score at the current timepoint can still change within this block, so only the past is final.
    function _past(uint256 timepoint) private view returns (uint48) {
        uint48 current = clock();
        if (timepoint >= current) revert FutureLookup(timepoint, current);
        return uint48(timepoint);
    }
}
