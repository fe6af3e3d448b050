// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC5805} from "@openzeppelin/contracts/interfaces/IERC5805.sol";

/// @title IDelegatedVotes
/// @notice Checkpointed votes (IERC5805) that also checkpoint the total of all delegated votes: the token votes that
/// can actually be cast at a timepoint. Balances nobody delegated (pool reserves, farm stakes, escrow) count in the
/// total supply but cast no vote, so a bound on other voting power must be measured against this total instead.
interface IDelegatedVotes is IERC5805 {
    /// @notice The sum of every delegate's votes now: the balances of all accounts that have a delegate.
    function getTotalDelegated() external view returns (uint256);

    /// @notice The sum of every delegate's votes at the end of `timepoint` (a past timepoint of `clock`), which equals
    /// the sum of `getPastVotes` over all delegates then. Reverts with ERC5805FutureLookup unless
    /// `timepoint < clock()`.
    function getPastTotalDelegated(uint256 timepoint) external view returns (uint256);
}
