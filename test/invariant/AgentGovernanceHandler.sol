// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test, console} from "forge-std/Test.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";

import {AgentGovernance} from "../../src/governance/AgentGovernance.sol";
import {AgentReputation} from "../../src/governance/AgentReputation.sol";
import {AITBC} from "../../src/tokens/AITBC.sol";
import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";

/// @notice Drives governance for the invariant suite: random actors (the ex-deployer, the keeper, the guardian,
/// token holders, agents, an outsider, even the Governor's own address) try the governed setters directly, on the
/// AMM, the AccessManager and the timelock; token holders and agents run proposals through their lifecycle (propose,
/// vote, queue, execute early or on time, or execute the ready timelock operation directly); AITBC moves between
/// delegated and undelegated holders (the AMM, an escrow), holders delegate, redelegate and undelegate, AITBC is
/// minted, reputation is granted far above its cap and revoked; time moves.
/// Ghosts: the fee bounds and role memberships that executed proposals set (the only legitimate writers), counts
/// of what must never happen, and the history of the delegated AITBC (the sum of the balances of the holders the
/// handler has seen delegate, by timestamp): the token votes that can be cast at each timepoint.
contract AgentGovernanceHandler is Test {
    enum Kind {
        FeeBounds,
        GrantRole,
        RevokeRole
    }

    struct Proposal {
        address[] targets;
        uint256[] values;
        bytes[] calldatas;
        bytes32 descriptionHash;
        uint256 id;
        Kind kind;
        IAIServiceAMM.FeeBounds bounds;
        uint64 role;
        address account;
    }

    uint256 internal constant ROLES = 6; // ADMIN .. REPUTATION_GRANTER: direct grant/revoke attempts
    uint256 internal constant TRACKED_ROLES = 3; // ADMIN, GUARDIAN, FEE_KEEPER: what proposals change

    AgentGovernance public immutable governor;
    TimelockController public immutable timelock;
    AccessManager public immutable manager;
    AIServiceAMM public immutable amm;
    AgentReputation public immutable reputation;
    AITBC public immutable aitbc;
    uint256 public immutable poolId;
    address public immutable deployer;
    address public immutable minter;
    address public immutable granter;

    address internal immutable _eoa = makeAddr("an account without code"); // calldata to it is forbidden
    address[] internal actors; // who tries direct calls
    address[] internal voters; // who proposes and votes
    address[] internal accounts; // whose role memberships are tracked (actors + the timelock)
    address[] internal holders; // every AITBC holder: the voters plus undelegated ones (the AMM, an escrow)
    Proposal[] internal proposals;

    // ─── Ghosts ───────────────────────────────────────────────────────────────────────────────
    IAIServiceAMM.FeeBounds internal ghostBounds;
    mapping(uint64 role => mapping(address account => bool)) public ghostMember;
    /// @notice Direct (non-governance) calls to a governed setter that succeeded. Must stay 0.
    uint256 public ghostDirectSuccesses;
    /// @notice Executions of a proposal that had not passed, was not queued or had not waited the delay. Must stay 0.
    uint256 public ghostBadExecutions;
    /// @notice Proposals with a forbidden call that were accepted. Must stay 0.
    uint256 public ghostForbiddenAccepted;
    uint256 public ghostExecutions;
    /// @notice Whether the handler has seen `holder` delegate (to anyone) and not undelegate since.
    mapping(address holder => bool) public ghostDelegated;
    /// @notice Timestamps at which AITBC balances, delegations or reputation changed, ascending, one entry per
    /// timestamp, and the delegated AITBC at the end of each: Σ balanceOf(h) over holders h with ghostDelegated[h].
    uint256[] public ghostTimes;
    uint256[] public ghostDelegatedAt;

    mapping(bytes32 => uint256) public calls;

    constructor(
        AgentGovernance governor_,
        AIServiceAMM amm_,
        AgentReputation reputation_,
        uint256 poolId_,
        address deployer_,
        address minter_,
        address granter_,
        address[] memory actors_,
        address[] memory voters_
    ) {
        governor = governor_;
        timelock = TimelockController(payable(governor_.timelock()));
        manager = AccessManager(address(governor_.manager()));
        amm = amm_;
        reputation = reputation_;
        aitbc = AITBC(address(governor_.token()));
        poolId = poolId_;
        deployer = deployer_;
        minter = minter_;
        granter = granter_;
        actors = actors_;
        voters = voters_;
        accounts = actors_;
        accounts.push(address(timelock));
        holders = voters_;
        holders.push(address(amm_));
        holders.push(makeAddr("escrow"));
        // The delegations made before the handler existed (the test base's setUp).
        for (uint256 i; i < holders.length; ++i) {
            ghostDelegated[holders[i]] = aitbc.delegates(holders[i]) != address(0);
        }
        _recordDelegated();
        ghostBounds = amm_.getPool(poolId_).feeBounds;
        for (uint64 r; r < TRACKED_ROLES; ++r) {
            for (uint256 i; i < accounts.length; ++i) {
                (bool member,) = manager.hasRole(r, accounts[i]);
                ghostMember[r][accounts[i]] = member;
            }
        }
    }

    // ─── Direct attempts on governed setters: must all fail ───────────────────────────────────

    function directSetFeeBounds(uint256 actorSeed, uint24 minFee, uint24 maxFee) external {
        ++calls["directSetFeeBounds"];
        address actor = _actor(actorSeed);
        IAIServiceAMM.FeeBounds memory b = _validBounds(minFee, maxFee);
        vm.prank(actor);
        try amm.setFeeBounds(poolId, b) {
            ++ghostDirectSuccesses;
        } catch {}
    }

    function directGrantRole(uint256 actorSeed, uint256 roleSeed, uint256 accountSeed) external {
        ++calls["directGrantRole"];
        address actor = _actor(actorSeed);
        uint64 role = uint64(roleSeed % ROLES);
        vm.prank(actor);
        try manager.grantRole(role, _account(accountSeed), 0) {
            ++ghostDirectSuccesses;
        } catch {}
    }

    function directRevokeRole(uint256 actorSeed, uint256 roleSeed, uint256 accountSeed) external {
        ++calls["directRevokeRole"];
        address actor = _actor(actorSeed);
        uint64 role = uint64(roleSeed % ROLES);
        address account = _account(accountSeed);
        vm.prank(actor);
        try manager.revokeRole(role, account) {
            ++ghostDirectSuccesses;
        } catch {}
    }

    function directManagerAdmin(uint256 actorSeed, uint256 which) external {
        ++calls["directManagerAdmin"];
        address actor = _actor(actorSeed);
        bytes4[] memory sel = new bytes4[](1);
        sel[0] = AIServiceAMM.setFeeBounds.selector;
        bytes memory data;
        which %= 4;
        if (which == 0) {
            data = abi.encodeCall(IAccessManager.setTargetFunctionRole, (address(amm), sel, 2));
        } else if (which == 1) {
            data = abi.encodeCall(IAccessManager.setRoleAdmin, (Roles.FEE_KEEPER, Roles.FEE_KEEPER));
        } else if (which == 2) {
            data = abi.encodeCall(IAccessManager.updateAuthority, (address(amm), actor));
        } else {
            data =
                abi.encodeCall(IAccessManager.execute, (address(amm), _boundsCall(_validBounds(0, 50_000))));
        }
        vm.prank(actor);
        (bool ok,) = address(manager).call(data);
        if (ok) ++ghostDirectSuccesses;
    }

    function directTimelockSchedule(uint256 actorSeed, uint24 minFee, uint24 maxFee) external {
        ++calls["directTimelockSchedule"];
        address actor = _actor(actorSeed);
        bytes memory data = _boundsCall(_validBounds(minFee, maxFee));
        uint256 delay = timelock.getMinDelay();
        vm.prank(actor);
        try timelock.schedule(address(amm), 0, data, 0, bytes32(actorSeed), delay) {
            ++ghostDirectSuccesses;
        } catch {}
    }

    /// @dev The keeper's legitimate job: moves the fee inside the bounds, never the bounds.
    function keeperSetFee(uint24 fee) external {
        ++calls["keeperSetFee"];
        IAIServiceAMM.FeeBounds memory b = amm.getPool(poolId).feeBounds;
        fee = uint24(_clamp(fee, b.minFee, b.maxFee));
        vm.prank(actors[1]); // keeper
        try amm.setFee(poolId, fee) {} catch {}
    }

    // ─── Proposal lifecycle ───────────────────────────────────────────────────────────────────

    function propose(
        uint256 proposerSeed,
        uint256 kindSeed,
        uint24 minFee,
        uint24 maxFee,
        uint256 accountSeed
    ) external {
        ++calls["propose"];
        Proposal storage p = proposals.push();
        p.kind = Kind(kindSeed % 3);
        p.targets = new address[](1);
        p.values = new uint256[](1);
        p.calldatas = new bytes[](1);
        if (p.kind == Kind.FeeBounds) {
            p.bounds = _validBounds(minFee, maxFee);
            p.targets[0] = address(amm);
            p.calldatas[0] = _boundsCall(p.bounds);
        } else {
            p.role = kindSeed % 2 == 0 ? Roles.GUARDIAN : Roles.FEE_KEEPER;
            p.account = _actor(accountSeed);
            p.targets[0] = address(manager);
            p.calldatas[0] = p.kind == Kind.GrantRole
                ? abi.encodeCall(IAccessManager.grantRole, (p.role, p.account, 0))
                : abi.encodeCall(IAccessManager.revokeRole, (p.role, p.account));
        }
        string memory description = string.concat("proposal ", vm.toString(proposals.length));
        p.descriptionHash = keccak256(bytes(description));
        vm.prank(_voter(proposerSeed));
        try governor.propose(p.targets, p.values, p.calldatas, description) returns (uint256 id) {
            p.id = id;
        } catch {
            proposals.pop();
        }
    }

    /// @dev Proposals with a call the timelock may not make: always refused.
    function proposeForbidden(uint256 proposerSeed, uint256 which) external {
        ++calls["proposeForbidden"];
        address[] memory t = new address[](1);
        uint256[] memory v = new uint256[](1);
        bytes[] memory c = new bytes[](1);
        which %= 3;
        if (which == 0) {
            (t[0], c[0]) = (address(amm), abi.encodeCall(AIServiceAMM.setFee, (poolId, 4_000)));
        } else if (which == 1) {
            (t[0], c[0]) = (address(reputation), abi.encodeCall(AgentReputation.grant, (deployer, 1)));
        } else {
            (t[0], c[0]) = (_eoa, abi.encodeCall(IAccessManager.grantRole, (0, deployer, 0)));
        }
        vm.prank(_voter(proposerSeed));
        try governor.propose(t, v, c, "forbidden") {
            ++ghostForbiddenAccepted;
        } catch {}
    }

    /// @dev Each voter, by two bits of `supportSeed`, votes against, for (twice as likely) or not at all.
    function vote(uint256 proposalSeed, uint256 supportSeed) external {
        ++calls["vote"];
        if (proposals.length == 0) return;
        Proposal storage p = proposals[proposalSeed % proposals.length];
        if (governor.state(p.id) == IGovernor.ProposalState.Pending) {
            vm.warp(governor.proposalSnapshot(p.id) + 1);
        }
        if (governor.state(p.id) != IGovernor.ProposalState.Active) return;
        for (uint256 i; i < voters.length; ++i) {
            uint256 choice = (supportSeed >> (2 * i)) % 4; // 0 against, 1-2 for, 3 none
            if (choice == 3 || governor.hasVoted(p.id, voters[i])) continue;
            vm.prank(voters[i]);
            governor.castVote(p.id, choice == 0 ? 0 : 1);
        }
    }

    function queue(uint256 proposalSeed) external {
        ++calls["queue"];
        if (proposals.length == 0) return;
        Proposal storage p = proposals[proposalSeed % proposals.length];
        if (governor.state(p.id) == IGovernor.ProposalState.Active) {
            vm.warp(governor.proposalDeadline(p.id) + 1);
        }
        if (governor.state(p.id) != IGovernor.ProposalState.Succeeded) return;
        governor.queue(p.targets, p.values, p.calldatas, p.descriptionHash);
    }

    /// @dev Executes through the Governor, or (open executor role) straight on the timelock; sometimes too early.
    function execute(uint256 proposalSeed, uint256 callerSeed, bool early, bool viaTimelock) external {
        ++calls["execute"];
        if (proposals.length == 0) return;
        Proposal storage p = proposals[proposalSeed % proposals.length];
        if (!early && governor.state(p.id) == IGovernor.ProposalState.Queued) {
            uint256 eta = governor.proposalEta(p.id);
            if (block.timestamp < eta) vm.warp(eta);
        }
        IGovernor.ProposalState before = governor.state(p.id);
        bool passed = _passed(p.id);
        uint256 eta_ = governor.proposalEta(p.id);

        bool ok;
        vm.prank(_actor(callerSeed));
        if (viaTimelock) {
            try timelock.executeBatch(
                p.targets, p.values, p.calldatas, 0, bytes20(address(governor)) ^ p.descriptionHash
            ) {
                ok = true;
            } catch {}
        } else {
            try governor.execute(p.targets, p.values, p.calldatas, p.descriptionHash) {
                ok = true;
            } catch {}
        }
        if (!ok) return;

        ++ghostExecutions;
        if (before != IGovernor.ProposalState.Queued || !passed || eta_ == 0 || block.timestamp < eta_) {
            ++ghostBadExecutions;
        }
        if (p.kind == Kind.FeeBounds) ghostBounds = p.bounds;
        else ghostMember[p.role][p.account] = p.kind == Kind.GrantRole;
    }

    function warp(uint256 secondsSeed) external {
        ++calls["warp"];
        vm.warp(block.timestamp + _clamp(secondsSeed, 1 hours, 3 days));
    }

    // ─── AITBC and reputation moves: the votes that can be cast change ────────────────────────

    /// @dev Between any two holders: delegated → undelegated (into the AMM, escrow), back, or alike.
    function transferAITBC(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        ++calls["transferAITBC"];
        address from = _holder(fromSeed);
        address to = _holder(toSeed);
        uint256 balance = aitbc.balanceOf(from);
        if (balance == 0) return;
        amount = _clamp(amount, 1, balance);
        vm.prank(from);
        aitbc.transfer(to, amount);
        _recordDelegated();
    }

    /// @dev Delegates to a voter, or (one time in three) to nobody: undelegates.
    function delegateAITBC(uint256 holderSeed, uint256 delegateeSeed) external {
        ++calls["delegateAITBC"];
        address holder = _holder(holderSeed);
        address delegatee = delegateeSeed % 3 == 0 ? address(0) : _voter(delegateeSeed / 3);
        vm.prank(holder);
        aitbc.delegate(delegatee);
        ghostDelegated[holder] = delegatee != address(0);
        _recordDelegated();
    }

    /// @dev Up to 1M AITBC to any holder, often to one that never votes (the AMM, escrow).
    function mintAITBC(uint256 holderSeed, uint256 amount) external {
        ++calls["mintAITBC"];
        uint256 room = aitbc.MAX_SUPPLY() - aitbc.totalSupply();
        amount = _clamp(amount, 0, room < 1_000_000e18 ? room : 1_000_000e18);
        vm.prank(minter);
        aitbc.mint(_holder(holderSeed), amount);
        _recordDelegated();
    }

    /// @dev Up to 2M points at once: reputation is often far above its cap.
    function grantReputation(uint256 voterSeed, uint256 amount) external {
        ++calls["grantReputation"];
        amount = _clamp(amount, 1, 2_000_000e18);
        vm.prank(granter);
        reputation.grant(_voter(voterSeed), amount);
        _recordDelegated();
    }

    function revokeReputation(uint256 voterSeed, uint256 amount) external {
        ++calls["revokeReputation"];
        address voter = _voter(voterSeed);
        uint256 score = reputation.getVotes(voter);
        if (score == 0) return;
        vm.prank(granter);
        reputation.revoke(voter, _clamp(amount, 1, score));
        _recordDelegated();
    }

    // ─── Views for the invariants ─────────────────────────────────────────────────────────────

    function expectedBounds() external view returns (IAIServiceAMM.FeeBounds memory) {
        return ghostBounds;
    }

    /// @notice Whether every tracked role membership (ADMIN, GUARDIAN, FEE_KEEPER × tracked accounts) matches the
    /// ghost; the first mismatch's role and account otherwise.
    function membershipMatches() external view returns (bool, uint64, address) {
        for (uint64 r; r < TRACKED_ROLES; ++r) {
            for (uint256 i; i < accounts.length; ++i) {
                (bool member,) = manager.hasRole(r, accounts[i]);
                if (member != ghostMember[r][accounts[i]]) return (false, r, accounts[i]);
            }
        }
        return (true, 0, address(0));
    }

    /// @notice The delegated AITBC at the end of `timepoint`, by the ghost history (the last entry at or before it).
    function ghostDelegatedAtTime(uint256 timepoint) public view returns (uint256) {
        uint256 i = ghostTimes.length;
        while (i > 0 && ghostTimes[i - 1] > timepoint) --i;
        require(i > 0, "timepoint before the handler's history");
        return ghostDelegatedAt[i - 1];
    }

    function ghostHistoryLength() external view returns (uint256) {
        return ghostTimes.length;
    }

    function voterList() external view returns (address[] memory) {
        return voters;
    }

    function holderList() external view returns (address[] memory) {
        return holders;
    }

    /// @notice The snapshot of proposal number `index` (in the order they were made).
    function proposalSnapshotAt(uint256 index) external view returns (uint256 id, uint256 snapshot) {
        id = proposals[index].id;
        snapshot = governor.proposalSnapshot(id);
    }

    function trackedAccounts() external view returns (address[] memory) {
        return accounts;
    }

    function proposalCount() external view returns (uint256) {
        return proposals.length;
    }

    function callSummary() external view {
        console.log("proposals", proposals.length, "executions", ghostExecutions);
        console.log("propose", calls["propose"], "vote", calls["vote"]);
        console.log("queue", calls["queue"], "execute", calls["execute"]);
        console.log("direct bounds", calls["directSetFeeBounds"], "direct grant", calls["directGrantRole"]);
        console.log("transfer", calls["transferAITBC"], "delegate", calls["delegateAITBC"]);
        console.log("mint", calls["mintAITBC"], "grant", calls["grantReputation"]);
        console.log("history entries", ghostTimes.length);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _passed(uint256 id) internal view returns (bool) {
        if (governor.proposalSnapshot(id) == 0) return false;
        (uint256 against, uint256 forVotes, uint256 abstain) = governor.proposalVotes(id);
        return forVotes > against && forVotes + abstain >= governor.quorum(governor.proposalSnapshot(id));
    }

    function _validBounds(uint24 minFee, uint24 maxFee)
        internal
        pure
        returns (IAIServiceAMM.FeeBounds memory b)
    {
        b.maxFee = uint24(_clamp(maxFee, 100, 100_000));
        b.minFee = uint24(_clamp(minFee, 0, b.maxFee));
        b.maxStep = b.maxFee / 10;
        b.minInterval = 3_600;
    }

    function _boundsCall(IAIServiceAMM.FeeBounds memory b) internal view returns (bytes memory) {
        return abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, b));
    }

    /// @dev forge-std's `bound` without its console log (cheaper over the thousands of calls of a campaign).
    function _clamp(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + x % (max - min + 1);
    }

    /// @dev Appends (or, within one timestamp, overwrites) the delegated AITBC as the handler's own model counts it.
    function _recordDelegated() internal {
        uint256 delegated;
        for (uint256 i; i < holders.length; ++i) {
            if (ghostDelegated[holders[i]]) delegated += aitbc.balanceOf(holders[i]);
        }
        uint256 n = ghostTimes.length;
        if (n > 0 && ghostTimes[n - 1] == block.timestamp) {
            ghostDelegatedAt[n - 1] = delegated;
        } else {
            ghostTimes.push(block.timestamp);
            ghostDelegatedAt.push(delegated);
        }
    }

    function _holder(uint256 seed) internal view returns (address) {
        return holders[seed % holders.length];
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function _voter(uint256 seed) internal view returns (address) {
        return voters[seed % voters.length];
    }

    function _account(uint256 seed) internal view returns (address) {
        return accounts[seed % accounts.length];
    }
}
