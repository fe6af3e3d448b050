// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";

/// @title IAgentReputation
/// @notice A non-transferable, checkpointed reputation score for AI agents. Scores are granted and revoked by a
/// restricted role (`Roles.REPUTATION_GRANTER`) and read at past timepoints like IVotes, on the same timestamp
/// clock as AITBC, so that governance can weigh them at a proposal's snapshot.
interface IAgentReputation is IERC6372 {
    /// @notice `account`'s score rose by `amount` to `newScore`; the total became `newTotal`.
    event ReputationGranted(address indexed account, uint256 amount, uint256 newScore, uint256 newTotal);
    /// @notice `account`'s score fell by `amount` to `newScore`; the total became `newTotal`.
    event ReputationRevoked(address indexed account, uint256 amount, uint256 newScore, uint256 newTotal);

    /// @notice Reputation cannot be granted to the zero address.
    error ZeroAccount();
    /// @notice A grant or revocation of zero points changes nothing and is refused.
    error ZeroAmount();
    /// @notice `account` holds `score` points, fewer than the `amount` being revoked.
    error InsufficientReputation(address account, uint256 score, uint256 amount);
    /// @notice A score above `maxScore` (the checkpoint width) was requested.
    error ScoreOverflow(uint256 requested, uint256 maxScore);
    /// @notice Past lookups need a timepoint strictly before the current clock (`clock`).
    error FutureLookup(uint256 timepoint, uint48 clock);

    /// @notice Adds `amount` points to `account`. Restricted: the reputation granter role.
    function grant(address account, uint256 amount) external;

    /// @notice Removes `amount` points from `account`. Restricted: the reputation granter role.
    function revoke(address account, uint256 amount) external;

    /// @notice `account`'s current score.
    function getVotes(address account) external view returns (uint256);

    /// @notice `account`'s score at the end of `timepoint` (a past timestamp).
    function getPastVotes(address account, uint256 timepoint) external view returns (uint256);

    /// @notice The sum of all scores now.
    function totalSupply() external view returns (uint256);

    /// @notice The sum of all scores at the end of `timepoint` (a past timestamp).
    function getPastTotalSupply(uint256 timepoint) external view returns (uint256);
}
