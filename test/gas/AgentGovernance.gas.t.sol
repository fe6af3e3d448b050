// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/Test.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";

import {GovernanceTestBase} from "../governance/GovernanceTestBase.sol";

/// @notice Gas of each governance step on a one-call proposal (AIServiceAMM.setFeeBounds through the timelock), with
/// the deployment wiring of GovernanceTestBase. Setup runs with gas metering paused, so each test's figure in
/// `forge snapshot` is the measured step alone (plus the cheatcode calls around it); the step's own gas is also
/// logged (`-vv`).
contract AgentGovernanceGasTest is GovernanceTestBase {
    string internal constant DESC = "gas: widen the fee bounds";

    address[] internal targets;
    uint256[] internal values;
    bytes[] internal calldatas;
    bytes32 internal descHash;

    function setUp() public override {
        super.setUp();
        (targets, values, calldatas, descHash) = _feeBoundsCall(_newBounds(), DESC);
    }

    function _proposeAndStart() internal returns (uint256 id) {
        vm.prank(alice);
        id = governor.propose(targets, values, calldatas, DESC);
        _nextBlock(VOTING_DELAY + 1);
    }

    function _passAndQueue() internal returns (uint256 id) {
        id = _passProposal(targets, values, calldatas, DESC);
        governor.queue(targets, values, calldatas, descHash);
        _nextBlock(TIMELOCK_DELAY);
    }

    function test_gas_propose() public {
        vm.prank(alice);
        uint256 g = gasleft();
        governor.propose(targets, values, calldatas, DESC);
        console.log("propose", g - gasleft());
    }

    function test_gas_castVote() public {
        vm.pauseGasMetering();
        uint256 id = _proposeAndStart();
        vm.resumeGasMetering();
        vm.prank(agent); // tokens and reputation both read at the snapshot
        uint256 g = gasleft();
        governor.castVote(id, 1);
        console.log("castVote", g - gasleft());
    }

    function test_gas_queue() public {
        vm.pauseGasMetering();
        uint256 id = _passProposal(targets, values, calldatas, DESC);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        governor.queue(targets, values, calldatas, descHash);
        console.log("queue", g - gasleft());
        vm.pauseGasMetering();
        assertEq(uint8(governor.state(id)), uint8(IGovernor.ProposalState.Queued));
        vm.resumeGasMetering();
    }

    function test_gas_execute() public {
        vm.pauseGasMetering();
        uint256 id = _passAndQueue();
        vm.resumeGasMetering();
        uint256 g = gasleft();
        governor.execute(targets, values, calldatas, descHash);
        console.log("execute", g - gasleft());
        vm.pauseGasMetering();
        assertEq(uint8(governor.state(id)), uint8(IGovernor.ProposalState.Executed));
        vm.resumeGasMetering();
    }
}
