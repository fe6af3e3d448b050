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
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {IAgentReputation} from "../interfaces/IAgentReputation.sol";
import {IDelegatedVotes} from "../interfaces/IDelegatedVotes.sol";

/// @title AgentGovernance
/// @notice The protocol's Governor: AITBC holders (checkpointed votes) plus agents with reputation propose and vote;
/// passed proposals run through a TimelockController, which holds the AccessManager's admin role.
///
/// Voting power at a proposal's snapshot `t` (D = AITBC past total delegated, S = AITBC past total supply, R = past
/// total reputation):
///
///     cap(t)       = D × REPUTATION_SHARE_BPS / (10_000 − REPUTATION_SHARE_BPS)
///     pool(t)      = min(R, cap(t))
///     votes(a, t)  = aitbc.getPastVotes(a, t) + pool(t) × reputation.getPastVotes(a, t) / R
///     castable(t)  = D + pool(t)                       (every vote that can be cast at t)
///     quorum(t)    = (S + pool(t)) × quorumNumerator(t) / 100
///
/// A reputation point (18 decimals, as AITBC) weighs one AITBC vote, until all reputation together would exceed
/// REPUTATION_SHARE_BPS (20 %) of the votes that can be cast: then the points share a pool capped at that 20 %. Every
/// agent's reputation votes together never exceed pool(t) ≤ 20 % of castable(t) (each term rounds down), however many
/// points are granted, so 80 % of the votes that can be cast always belong to capital; and a small grant is a small
/// voice (one point is one vote, not a share of the cap). 20 % rewards good agents with a
/// real voice (enough to tip a close vote, to help reach quorum, to pass a proposal threshold) but never lets them
/// outvote token holders: even every reputation vote plus 30 % of the token votes (together 44 % of castable) loses
/// to the other 70 % (56 %). Reputation is granted by a role, not bought, so capping it bounds what a compromised or
/// careless granter can do to 20 % of the vote; raising the cap needs a new Governor.
///
/// The cap is measured against delegated AITBC, not total supply: AITBC nobody delegated (AMM reserves, farm stakes,
/// bridge escrow) casts no vote, and measured against supply it would let reputation outweigh the delegated capital.
/// Quorum stays a share of supply (plus the pool): undelegated AITBC makes quorum harder to reach, never easier.
///
/// Both components are read at the snapshot: tokens bought, borrowed (flash loans), minted or delegated afterwards,
/// and reputation granted afterwards, do not vote on that proposal. AITBC only counts delegated tokens (ERC20Votes).
contract AgentGovernance is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice The reputation pool's largest share of the votes that can be cast, in basis points (20 %).
    uint256 public constant REPUTATION_SHARE_BPS = 2_000;
    uint256 private constant BPS = 10_000;
    /// @dev AccessManager's ADMIN_ROLE (not in IAccessManager).
    uint64 private constant ADMIN_ROLE = 0;

    /// @notice The reputation registry whose scores carry the capped reputation votes.
    IAgentReputation public immutable reputation;

    /// @notice The protocol's AccessManager, whose admin role the timelock holds; proposal calls are checked against it.
    IAccessManager public immutable manager;

    /// @notice The token and the reputation registry run on different clocks, so one snapshot cannot serve both.
    error ClockMismatch();
    /// @notice The AccessManager given to the constructor is not a contract.
    error InvalidManager(address manager);
    /// @notice Call number `index` of a proposal (to `target`, function `selector`; the first bytes of the calldata,
    /// zero-padded when shorter than 4) is one the timelock may not make. See {isCallPermitted}.
    error ProposalCallNotPermitted(uint256 index, address target, bytes4 selector);

    /// @param token_ AITBC (ERC20Votes with its total delegated checkpointed, timestamp clock).
    /// @param reputation_ The AgentReputation registry, on the same clock as `token_`.
    /// @param timelock_ The TimelockController that executes passed proposals (this Governor its proposer).
    /// @param manager_ The protocol's AccessManager (its admin role held by `timelock_`), against which proposal calls
    /// are checked.
    /// @param votingDelay_ Seconds between a proposal and its snapshot (when voting starts).
    /// @param votingPeriod_ Seconds voting lasts.
    /// @param proposalThreshold_ Voting power needed to propose.
    /// @param quorumPercent_ Percentage of AITBC supply plus reputation pool that must vote for or abstain.
    constructor(
        IDelegatedVotes token_,
        IAgentReputation reputation_,
        TimelockController timelock_,
        IAccessManager manager_,
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
        if (address(manager_).code.length == 0) revert InvalidManager(address(manager_));
        reputation = reputation_;
        manager = manager_;
    }

    // ─── Voting power ─────────────────────────────────────────────────────────────────────────

    /// @notice The votes `account` holds through reputation at `timepoint` (a past timestamp): its share of the pool.
    function reputationVotes(address account, uint256 timepoint) public view returns (uint256) {
        uint256 score = reputation.getPastVotes(account, timepoint);
        if (score == 0) return 0;
        (, uint256 pool, uint256 points) = _castable(timepoint);
        return Math.mulDiv(pool, score, points);
    }

    /// @notice Votes shared by all reputation at `timepoint`: the points granted, capped at REPUTATION_SHARE_BPS of
    /// the votes that can be cast (delegated AITBC plus this pool), i.e. at a quarter of the delegated AITBC.
    function reputationPool(uint256 timepoint) public view returns (uint256 pool) {
        (, pool,) = _castable(timepoint);
    }

    /// @notice Every vote that can be cast at `timepoint`: delegated AITBC plus the reputation pool. Reputation
    /// votes together are at most REPUTATION_SHARE_BPS of this.
    function castableVotes(uint256 timepoint) external view returns (uint256) {
        (uint256 delegated, uint256 pool,) = _castable(timepoint);
        return delegated + pool;
    }

    /// @notice Quorum: a share of AITBC supply (delegated or not) plus the reputation pool, so undelegated AITBC makes
    /// it harder to reach, never easier, and reputation can help reach it but not fake it.
    function quorum(uint256 timepoint)
        public
        view
        override(Governor, GovernorVotesQuorumFraction)
        returns (uint256)
    {
        return Math.mulDiv(
            token().getPastTotalSupply(timepoint) + reputationPool(timepoint),
            quorumNumerator(timepoint),
            quorumDenominator()
        );
    }

    function _getVotes(address account, uint256 timepoint, bytes memory params)
        internal
        view
        override(Governor, GovernorVotes)
        returns (uint256)
    {
        return super._getVotes(account, timepoint, params) + reputationVotes(account, timepoint);
    }

    /// @dev Delegated AITBC, the reputation pool and all reputation points at `timepoint`. The delegated total is
    /// at most the supply (< 2^208), so the product cannot overflow.
    function _castable(uint256 timepoint)
        private
        view
        returns (uint256 delegated, uint256 pool, uint256 points)
    {
        delegated = IDelegatedVotes(address(token())).getPastTotalDelegated(timepoint);
        points = reputation.getPastTotalSupply(timepoint);
        pool = Math.min(points, delegated * REPUTATION_SHARE_BPS / (BPS - REPUTATION_SHARE_BPS));
    }

    // ─── Proposal call check ──────────────────────────────────────────────────────────────────

    /// @notice Whether the timelock may make the call (`target`, `data`) as things stand now. {propose} refuses a
    /// proposal with any call for which this is false. Rules, by target:
    ///
    /// - The AccessManager itself: its admin functions (labelRole, setRoleAdmin, setRoleGuardian, setGrantDelay,
    ///   setTargetAdminDelay, updateAuthority, setTargetClosed, setTargetFunctionRole) need the timelock to hold
    ///   ADMIN_ROLE; grantRole/revokeRole need it to hold the admin role of the role in the calldata (as the manager's
    ///   own `_getAdminRestrictions`). `schedule` and `execute` are checked on the call they carry (the manager's
    ///   `canCall` rules; `schedule` needs a delay, as the manager demands); `cancel` needs the operation to be the
    ///   timelock's own or the timelock to be admin; `renounceRole` needs the timelock as caller confirmation. Every
    ///   other manager function (views, `consumeScheduledOp`, unknown selectors) is refused: it changes nothing or
    ///   cannot succeed from the timelock.
    /// - A contract whose `authority()` is this manager (every protocol contract): `manager.canCall(timelock, target,
    ///   selector)` must grant the call, at once or after an execution delay (a delayed call succeeds only if the
    ///   timelock scheduled it with the manager first, e.g. in an earlier proposal). Calldata under 4 bytes is refused.
    ///   Functions without the `restricted` modifier count too: their default role is ADMIN_ROLE, which the
    ///   timelock holds; a closed target is refused entirely.
    /// - An address without code: only an empty call (a plain ETH transfer of the proposal's value) is permitted;
    ///   calldata to an account without code would do nothing but look like a function call, so it is refused.
    /// - Any other contract (the timelock itself, this Governor, an outside token): permitted. Its access rules are
    ///   not this manager's and cannot be read generically.
    ///
    /// Permissions are read when proposing: a call that only an earlier call of the same proposal would permit (e.g.
    /// grant the timelock a role, then use it) is refused; make the grant its own proposal first.
    function isCallPermitted(address target, bytes memory data) public view returns (bool) {
        address tl = timelock();
        if (target == address(manager)) return _managerCallPermitted(tl, data);
        if (target.code.length == 0) return data.length == 0;
        if (!_isManaged(target)) return true;
        if (data.length < 4) return false;
        (bool immediate, uint32 delay) = manager.canCall(tl, target, bytes4(data));
        return immediate || delay != 0;
    }

    /// @dev The call check runs after the proposer and threshold checks of {propose} and before anything is stored.
    /// Malformed lengths are left to `super._propose`, which reverts with GovernorInvalidProposalLength.
    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal override returns (uint256) {
        if (targets.length == values.length && targets.length == calldatas.length) {
            for (uint256 i; i < targets.length; ++i) {
                if (!isCallPermitted(targets[i], calldatas[i])) {
                    revert ProposalCallNotPermitted(i, targets[i], bytes4(calldatas[i]));
                }
            }
        }
        return super._propose(targets, values, calldatas, description, proposer);
    }

    /// @dev A call from the timelock straight to the manager.
    function _managerCallPermitted(address tl, bytes memory data) private view returns (bool) {
        if (data.length < 4) return false;
        bytes4 selector = bytes4(data);
        if (selector == IAccessManager.execute.selector || selector == IAccessManager.schedule.selector) {
            (bool ok, address target, bytes memory inner) = _decodeTargetAndData(data);
            if (!ok) return false;
            (bool immediate, uint32 delay) = _canCallViaManager(tl, target, inner);
            return selector == IAccessManager.schedule.selector ? delay != 0 : (immediate || delay != 0);
        }
        if (selector == IAccessManager.cancel.selector) {
            if (data.length < 4 + 32) return false;
            return _word(data, 4) == uint256(uint160(tl)) || _holds(ADMIN_ROLE, tl);
        }
        if (selector == IAccessManager.renounceRole.selector) {
            return data.length >= 4 + 64 && _word(data, 4) <= type(uint64).max
                && _word(data, 4 + 32) == uint256(uint160(tl));
        }
        (bool imm, uint32 d) = _canCallManagerAdmin(tl, data);
        return imm || d != 0;
    }

    /// @dev Mirrors AccessManager's `_canCallExtended` for a call the manager makes on the timelock's behalf
    /// (`execute`, `schedule`).
    function _canCallViaManager(address tl, address target, bytes memory data)
        private
        view
        returns (bool immediate, uint32 delay)
    {
        if (target == address(manager)) return _canCallManagerAdmin(tl, data);
        if (data.length < 4) return (false, 0);
        return manager.canCall(tl, target, bytes4(data));
    }

    /// @dev Mirrors AccessManager's `_canCallSelf`/`_getAdminRestrictions` for its admin functions; any other
    /// selector is refused.
    function _canCallManagerAdmin(address tl, bytes memory data)
        private
        view
        returns (bool immediate, uint32 delay)
    {
        if (data.length < 4) return (false, 0);
        bytes4 selector = bytes4(data);
        uint64 roleId = ADMIN_ROLE;
        uint32 operationDelay;
        if (
            selector == IAccessManager.labelRole.selector || selector == IAccessManager.setRoleAdmin.selector
                || selector == IAccessManager.setRoleGuardian.selector
                || selector == IAccessManager.setGrantDelay.selector
                || selector == IAccessManager.setTargetAdminDelay.selector
        ) {
            // ADMIN_ROLE, no delay beyond the caller's execution delay.
        } else if (
            selector == IAccessManager.updateAuthority.selector
                || selector == IAccessManager.setTargetClosed.selector
                || selector == IAccessManager.setTargetFunctionRole.selector
        ) {
            if (data.length < 4 + 32 || _word(data, 4) > type(uint160).max) return (false, 0);
            operationDelay = manager.getTargetAdminDelay(address(uint160(_word(data, 4))));
        } else if (
            selector == IAccessManager.grantRole.selector || selector == IAccessManager.revokeRole.selector
        ) {
            if (data.length < 4 + 32 || _word(data, 4) > type(uint64).max) return (false, 0);
            roleId = manager.getRoleAdmin(uint64(_word(data, 4)));
        } else {
            return (false, 0);
        }
        (bool inRole, uint32 executionDelay) = manager.hasRole(roleId, tl);
        if (!inRole) return (false, 0);
        delay = uint32(Math.max(operationDelay, executionDelay));
        return (delay == 0, delay);
    }

    function _holds(uint64 roleId, address account) private view returns (bool isMember) {
        (isMember,) = manager.hasRole(roleId, account);
    }

    /// @dev Whether `target` reports this manager as its authority (IAccessManaged).
    function _isManaged(address target) private view returns (bool) {
        (bool ok, bytes memory ret) = target.staticcall(abi.encodeCall(IAccessManaged.authority, ()));
        return ok && ret.length >= 32 && abi.decode(ret, (uint256)) == uint256(uint160(address(manager)));
    }

    /// @dev Reads (address target, bytes data, ...) from the ABI-encoded arguments after the selector of `data`.
    function _decodeTargetAndData(bytes memory data)
        private
        pure
        returns (bool ok, address target, bytes memory inner)
    {
        uint256 argsLength = data.length - 4; // data.length >= 4 checked by the caller
        if (argsLength < 64 || _word(data, 4) > type(uint160).max) return (false, address(0), inner);
        uint256 offset = _word(data, 4 + 32);
        if (offset > argsLength - 32) return (false, address(0), inner);
        uint256 length = _word(data, 4 + offset);
        if (length > argsLength - 32 - offset) return (false, address(0), inner);
        target = address(uint160(_word(data, 4)));
        inner = new bytes(length);
        assembly ("memory-safe") {
            mcopy(add(inner, 32), add(add(data, 68), offset), length)
        }
        return (true, target, inner);
    }

    /// @dev The 32-byte word of `data` at byte `position`; the caller ensures `position + 32 <= data.length`.
    function _word(bytes memory data, uint256 position) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(data, 32), position))
        }
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
