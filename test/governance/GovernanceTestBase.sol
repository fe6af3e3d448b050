// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";

import {AMMTestBase} from "../utils/AMMTestBase.sol";
import {AgentGovernance} from "../../src/governance/AgentGovernance.sol";
import {AgentReputation} from "../../src/governance/AgentReputation.sol";
import {AITBC} from "../../src/tokens/AITBC.sol";
import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";

/// @notice The AMM of AMMTestBase plus AITBC, AgentReputation, a TimelockController and AgentGovernance, wired as
/// deployment will wire them: the Governor is the timelock's only proposer and canceller, anyone may execute, the
/// timelock's external admin (this contract) is renounced, and finally the AccessManager admin role is handed to the
/// timelock and renounced by the deployer (this contract).
abstract contract GovernanceTestBase is AMMTestBase {
    uint48 internal constant VOTING_DELAY = 1 days;
    uint32 internal constant VOTING_PERIOD = 5 days;
    uint256 internal constant PROPOSAL_THRESHOLD = 10_000e18;
    uint256 internal constant QUORUM_PERCENT = 4;
    uint256 internal constant TIMELOCK_DELAY = 2 days;

    AITBC internal aitbc;
    AgentReputation internal reputation;
    TimelockController internal timelock;
    AgentGovernance internal governor;
    uint256 internal poolId;

    address internal deployer;
    address internal minter = makeAddr("minter");
    address internal granter = makeAddr("granter");
    address internal agent = makeAddr("agent");
    address internal agent2 = makeAddr("agent2");

    function setUp() public virtual override {
        super.setUp();
        deployer = address(this);
        poolId = _createPool(token0, token1);

        aitbc = new AITBC(address(manager));
        reputation = new AgentReputation(address(manager));
        bytes4[] memory mintSel = new bytes4[](1);
        mintSel[0] = AITBC.mint.selector;
        manager.setTargetFunctionRole(address(aitbc), mintSel, Roles.MINTER);
        bytes4[] memory repSel = new bytes4[](2);
        repSel[0] = AgentReputation.grant.selector;
        repSel[1] = AgentReputation.revoke.selector;
        manager.setTargetFunctionRole(address(reputation), repSel, Roles.REPUTATION_GRANTER);
        manager.grantRole(Roles.MINTER, minter, 0);
        manager.grantRole(Roles.REPUTATION_GRANTER, granter, 0);

        (timelock, governor) = _deployGovernance();
        manager.grantRole(Roles.ADMIN, address(timelock), 0);
        manager.renounceRole(Roles.ADMIN, deployer);

        // 800k AITBC, delegated to themselves; reputation for two agents that hold no tokens, 200k points in all:
        // exactly the cap (20 % of the 1M votes that can be cast), so the agents vote with 150k and 50k.
        _mintAndDelegate(alice, 400_000e18);
        _mintAndDelegate(bob, 300_000e18);
        _mintAndDelegate(carol, 100_000e18);
        vm.startPrank(granter);
        reputation.grant(agent, 150_000e18);
        reputation.grant(agent2, 50_000e18);
        vm.stopPrank();
        _nextBlock(1);
    }

    /// @dev The timelock cannot name the Governor before it exists, so it starts with this contract as its admin,
    /// which grants the Governor its roles and then renounces.
    function _deployGovernance() internal returns (TimelockController tl, AgentGovernance gov) {
        address[] memory none = new address[](0);
        address[] memory anyone = new address[](1); // address(0): open executor role
        tl = new TimelockController(TIMELOCK_DELAY, none, anyone, address(this));
        gov = new AgentGovernance(
            aitbc, reputation, tl, manager, VOTING_DELAY, VOTING_PERIOD, PROPOSAL_THRESHOLD, QUORUM_PERCENT
        );
        tl.grantRole(tl.PROPOSER_ROLE(), address(gov));
        tl.grantRole(tl.CANCELLER_ROLE(), address(gov));
        tl.renounceRole(tl.DEFAULT_ADMIN_ROLE(), address(this));
    }

    function _mintAndDelegate(address who, uint256 amount) internal {
        vm.prank(minter);
        aitbc.mint(who, amount);
        vm.prank(who);
        aitbc.delegate(who);
    }

    function _newBounds() internal pure returns (IAIServiceAMM.FeeBounds memory) {
        return IAIServiceAMM.FeeBounds({minFee: 1_000, maxFee: 20_000, maxStep: 2_000, minInterval: 7_200});
    }

    function _feeBoundsCall(IAIServiceAMM.FeeBounds memory bounds, string memory description)
        internal
        view
        returns (
            address[] memory targets,
            uint256[] memory values,
            bytes[] memory calldatas,
            bytes32 descHash
        )
    {
        targets = new address[](1);
        values = new uint256[](1);
        calldatas = new bytes[](1);
        targets[0] = address(amm);
        calldatas[0] = abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, bounds));
        descHash = keccak256(bytes(description));
    }

    function _single(address target, bytes memory data)
        internal
        pure
        returns (address[] memory targets, uint256[] memory values, bytes[] memory calldatas)
    {
        targets = new address[](1);
        values = new uint256[](1);
        calldatas = new bytes[](1);
        targets[0] = target;
        calldatas[0] = data;
    }

    /// @dev Proposes as alice, waits out the delay, votes for with alice and bob, waits out the period.
    function _passProposal(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory d
    ) internal returns (uint256 proposalId) {
        vm.prank(alice);
        proposalId = governor.propose(targets, values, calldatas, d);
        _nextBlock(VOTING_DELAY + 1);
        vm.prank(alice);
        governor.castVote(proposalId, 1);
        vm.prank(bob);
        governor.castVote(proposalId, 1);
        _nextBlock(VOTING_PERIOD);
        assertEq(uint8(governor.state(proposalId)), uint8(IGovernor.ProposalState.Succeeded));
    }

    /// @dev Passes, queues, waits out the timelock delay and executes.
    function _enact(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory d
    ) internal returns (uint256 proposalId) {
        proposalId = _passProposal(targets, values, calldatas, d);
        governor.queue(targets, values, calldatas, keccak256(bytes(d)));
        _nextBlock(TIMELOCK_DELAY);
        governor.execute(targets, values, calldatas, keccak256(bytes(d)));
    }
}
