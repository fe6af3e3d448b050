// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {
    GovernorCountingSimple
} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {
    GovernorVotesQuorumFraction
} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {
    GovernorTimelockControl
} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAgentReputation} from "../interfaces/IAgentReputation.sol";

/// @title AgentGovernance
/// @notice The protocol's Governor: AITBC holders (checkpointed votes) plus agents with reputation propose and vote;
/// passed proposals run through a TimelockController, which holds the AccessManager's admin role.
///
/// Voting power at a proposal's snapshot `t` (S = AITBC past total supply, R = past total reputation):
///
///     pool(t)      = R > 0 ? S × REPUTATION_SHARE_BPS / (10_000 − REPUTATION_SHARE_BPS) : 0
///     votes(a, t)  = aitbc.getPastVotes(a, t) + pool(t) × reputation.getPastVotes(a, t) / R
///     total(t)     = S + pool(t)
///     quorum(t)    = total(t) × quorumNumerator(t) / 100
///
/// Reputation points are thus a share of a reputation pool worth REPUTATION_SHARE_BPS (20 %) of the total voting
/// power: every agent's reputation votes together never exceed pool(t) = 20 % of total(t) (each term rounds down),
/// however many points are granted, so 80 % of the power always belongs to capital. 20 % rewards good agents with a
/// real voice (enough to tip a close vote, to help reach quorum, to pass a proposal threshold) but never lets them
/// outvote token holders: even every reputation vote plus 30 % of the token votes (together 44 % of the total)
/// loses to the other 70 % (56 %). Reputation is granted by a role, not bought, so capping it bounds what a
/// compromised or careless granter can do to 20 % of the vote; raising the cap needs a new Governor.
///
/// Both components are read at the snapshot: tokens bought, borrowed (flash loans) or minted afterwards, and
/// reputation granted afterwards, do not vote on that proposal. AITBC only counts delegated tokens (ERC20Votes).
contract AgentGovernance is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice The reputation pool's share of total voting power, in basis points (20 %).
    uint256 public constant REPUTATION_SHARE_BPS = 2_000;
    uint256 private constant BPS = 10_000;

    /// @notice The reputation registry whose scores carry the capped reputation votes.
    IAgentReputation public immutable reputation;

    /// @notice The token and the reputation registry run on different clocks, so one snapshot cannot serve both.
    error ClockMismatch();

    /// @param token_ AITBC (ERC20Votes, timestamp clock).
    /// @param reputation_ The AgentReputation registry, on the same clock as `token_`.
    /// @param timelock_ The TimelockController that executes passed proposals (this Governor its proposer).
    /// @param votingDelay_ Seconds between a proposal and its snapshot (when voting starts).
    /// @param votingPeriod_ Seconds voting lasts.
    /// @param proposalThreshold_ Voting power needed to propose.
    /// @param quorumPercent_ Percentage of total voting power (tokens + reputation pool) that must vote for or abstain.
    constructor(
        IVotes token_,
        IAgentReputation reputation_,
        TimelockController timelock_,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumPercent_
    )
        Governor("AgentGovernance")
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(token_)
        GovernorVotesQuorumFraction(quorumPercent_)
        GovernorTimelockControl(timelock_)
    {
        if (keccak256(bytes(reputation_.CLOCK_MODE())) != keccak256(bytes(token().CLOCK_MODE()))) {
            revert ClockMismatch();
        }
        if (reputation_.clock() != token().clock()) revert ClockMismatch();
        reputation = reputation_;
    }

    // ─── Voting power ─────────────────────────────────────────────────────────────────────────

    /// @notice The votes `account` holds through reputation at `timepoint` (a past timestamp).
    function reputationVotes(address account, uint256 timepoint) public view returns (uint256) {
        uint256 score = reputation.getPastVotes(account, timepoint);
        if (score == 0) return 0;
        return Math.mulDiv(reputationPool(timepoint), score, reputation.getPastTotalSupply(timepoint));
    }

    /// @notice Votes shared by all reputation at `timepoint`: REPUTATION_SHARE_BPS of the total, or 0 without any.
    function reputationPool(uint256 timepoint) public view returns (uint256) {
        if (reputation.getPastTotalSupply(timepoint) == 0) return 0;
        return
            Math.mulDiv(
                token().getPastTotalSupply(timepoint), REPUTATION_SHARE_BPS, BPS - REPUTATION_SHARE_BPS
            );
    }

    /// @notice All voting power at `timepoint`: AITBC supply plus the reputation pool. Quorum is a share of this.
    function totalVotingPower(uint256 timepoint) public view returns (uint256) {
        return token().getPastTotalSupply(timepoint) + reputationPool(timepoint);
    }

    /// @notice Quorum on the same total that votes are drawn from, so reputation can help reach it but not fake it.
    function quorum(uint256 timepoint)
        public
        view
        override(Governor, GovernorVotesQuorumFraction)
        returns (uint256)
    {
        return Math.mulDiv(totalVotingPower(timepoint), quorumNumerator(timepoint), quorumDenominator());
    }

    function _getVotes(address account, uint256 timepoint, bytes memory params)
        internal
        view
        override(Governor, GovernorVotes)
        returns (uint256)
    {
        return super._getVotes(account, timepoint, params) + reputationVotes(account, timepoint);
    }

    // ─── Overrides required by Solidity ───────────────────────────────────────────────────────

    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function state(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (ProposalState)
    {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
