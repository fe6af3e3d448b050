// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";

import {GovernanceTestBase} from "./GovernanceTestBase.sol";
import {AgentGovernance} from "../../src/governance/AgentGovernance.sol";
import {AgentReputation} from "../../src/governance/AgentReputation.sol";
import {AITBC} from "../../src/tokens/AITBC.sol";
import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice AgentGovernance refuses, when proposed, a proposal with a call the timelock may not make: a custom error
/// naming the call, and nothing stored.
contract AgentGovernanceProposalCheckTest is GovernanceTestBase {
    address internal eoa = makeAddr("eoa");

    function _expectRefused(address target, bytes memory data, uint256 index, string memory d) internal {
        address[] memory t = new address[](index + 1);
        uint256[] memory v = new uint256[](index + 1);
        bytes[] memory c = new bytes[](index + 1);
        for (uint256 i; i < index; ++i) {
            // Permitted calls before the refused one.
            t[i] = address(amm);
            c[i] = abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, _newBounds()));
        }
        t[index] = target;
        c[index] = data;
        uint256 id = governor.hashProposal(t, v, c, keccak256(bytes(d)));
        assertFalse(governor.isCallPermitted(target, data), "isCallPermitted");

        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                AgentGovernance.ProposalCallNotPermitted.selector, index, target, bytes4(data)
            )
        );
        governor.propose(t, v, c, d);

        // Nothing stored.
        assertEq(governor.proposalSnapshot(id), 0);
        assertEq(governor.proposalProposer(id), address(0));
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorNonexistentProposal.selector, id));
        governor.state(id);
    }

    function _expectPermitted(address target, bytes memory data) internal {
        assertTrue(governor.isCallPermitted(target, data), "isCallPermitted");
        (address[] memory t, uint256[] memory v, bytes[] memory c) = _single(target, data);
        vm.prank(alice);
        uint256 id = governor.propose(t, v, c, "permitted");
        assertEq(uint8(governor.state(id)), uint8(IGovernor.ProposalState.Pending));
    }

    // ─── Protocol contracts (managed by the AccessManager) ────────────────────────────────────

    function test_propose_permitsAdminRestrictedCall() public {
        _expectPermitted(address(amm), abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, _newBounds())));
    }

    function test_propose_permitsUnrestrictedFunctionOfManagedContract() public {
        // Default role of an unmapped selector is ADMIN_ROLE, which the timelock holds.
        _expectPermitted(address(aitbc), abi.encodeCall(aitbc.transfer, (alice, 1)));
    }

    function test_propose_refusesCallRestrictedToAnotherRole() public {
        _expectRefused(address(amm), abi.encodeCall(AIServiceAMM.setFee, (poolId, 4_000)), 0, "fee");
        _expectRefused(address(amm), abi.encodeCall(AIServiceAMM.pause, ()), 0, "pause");
        _expectRefused(address(aitbc), abi.encodeCall(AITBC.mint, (alice, 1)), 0, "mint");
        _expectRefused(address(reputation), abi.encodeCall(AgentReputation.grant, (alice, 1)), 0, "grant");
    }

    function test_propose_refusesAtTheIndexOfTheFirstRefusedCall() public {
        _expectRefused(address(amm), abi.encodeCall(AIServiceAMM.setFee, (poolId, 4_000)), 2, "third");
    }

    function test_propose_refusesShortCalldataToManagedContract() public {
        _expectRefused(address(amm), hex"", 0, "empty");
        _expectRefused(address(amm), hex"abcd", 0, "short");
    }

    function test_propose_refusesClosedTarget() public {
        bytes memory close = abi.encodeCall(IAccessManager.setTargetClosed, (address(amm), true));
        (address[] memory t, uint256[] memory v, bytes[] memory c) = _single(address(manager), close);
        _enact(t, v, c, "close amm");
        _expectRefused(
            address(amm), abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, _newBounds())), 0, "x"
        );
    }

    function test_propose_permitsCallOnceTimelockHoldsRole_delayedToo() public {
        bytes memory setFee = abi.encodeCall(AIServiceAMM.setFee, (poolId, 4_000));
        assertFalse(governor.isCallPermitted(address(amm), setFee));
        (address[] memory t, uint256[] memory v, bytes[] memory c) = _single(
            address(manager),
            abi.encodeCall(IAccessManager.grantRole, (Roles.FEE_KEEPER, address(timelock), 1 days))
        );
        _enact(t, v, c, "timelock becomes a fee keeper, with an execution delay");
        // A member with an execution delay may still call (after scheduling with the manager): permitted.
        (bool immediate, uint32 delay) =
            manager.canCall(address(timelock), address(amm), AIServiceAMM.setFee.selector);
        assertFalse(immediate);
        assertEq(delay, 1 days);
        _expectPermitted(address(amm), setFee);
        // Through the manager: schedule needs the delay, which exists; execute too.
        _expectPermitted(address(manager), abi.encodeCall(IAccessManager.schedule, (address(amm), setFee, 0)));
        _expectPermitted(address(manager), abi.encodeCall(IAccessManager.execute, (address(amm), setFee)));
    }

    // ─── The AccessManager itself ─────────────────────────────────────────────────────────────

    function test_propose_permitsManagerAdminFunctions() public {
        bytes4[] memory sel = new bytes4[](1);
        sel[0] = AIServiceAMM.setFee.selector;
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.grantRole, (Roles.GUARDIAN, alice, 0))
        );
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.revokeRole, (Roles.FEE_KEEPER, keeper))
        );
        _expectPermitted(address(manager), abi.encodeCall(IAccessManager.labelRole, (Roles.GUARDIAN, "G")));
        _expectPermitted(address(manager), abi.encodeCall(IAccessManager.setRoleAdmin, (Roles.GUARDIAN, 0)));
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.setRoleGuardian, (Roles.GUARDIAN, 1))
        );
        _expectPermitted(address(manager), abi.encodeCall(IAccessManager.setGrantDelay, (Roles.GUARDIAN, 1)));
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.setTargetAdminDelay, (address(amm), 1))
        );
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.setTargetClosed, (address(amm), true))
        );
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.updateAuthority, (address(amm), eoa))
        );
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.setTargetFunctionRole, (address(amm), sel, 1))
        );
        _expectPermitted(
            address(manager),
            abi.encodeCall(
                IAccessManager.execute,
                (address(amm), abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, _newBounds())))
            )
        );
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.renounceRole, (0, address(timelock)))
        );
        _expectPermitted(
            address(manager),
            abi.encodeCall(IAccessManager.cancel, (address(timelock), address(amm), hex"12345678"))
        );
    }

    function test_propose_refusesGrantOfRoleWhoseAdminTimelockLacks() public {
        // Make GUARDIAN the admin of FEE_KEEPER: the timelock (not a guardian) can no longer grant it directly.
        (address[] memory t, uint256[] memory v, bytes[] memory c) = _single(
            address(manager), abi.encodeCall(IAccessManager.setRoleAdmin, (Roles.FEE_KEEPER, Roles.GUARDIAN))
        );
        _enact(t, v, c, "guardians administer fee keepers");
        _expectRefused(
            address(manager), abi.encodeCall(IAccessManager.grantRole, (Roles.FEE_KEEPER, alice, 0)), 0, "g"
        );
        _expectPermitted(
            address(manager), abi.encodeCall(IAccessManager.grantRole, (Roles.GUARDIAN, alice, 0))
        );
    }

    function test_propose_refusesManagerCallsTheTimelockCannotMake() public {
        // Views and functions that cannot succeed from the timelock.
        _expectRefused(address(manager), abi.encodeCall(IAccessManager.hasRole, (0, alice)), 0, "view");
        _expectRefused(
            address(manager), abi.encodeCall(IAccessManager.consumeScheduledOp, (alice, hex"")), 0, "consume"
        );
        _expectRefused(address(manager), hex"deadbeef", 0, "unknown");
        _expectRefused(address(manager), hex"", 0, "empty");
        // Renouncing for someone else, cancelling another's operation is allowed only to admins (handled below).
        _expectRefused(
            address(manager), abi.encodeCall(IAccessManager.renounceRole, (0, alice)), 0, "renounce"
        );
        // Calls wrapped in execute/schedule are checked as the manager checks them.
        bytes memory setFee = abi.encodeCall(AIServiceAMM.setFee, (poolId, 4_000));
        _expectRefused(
            address(manager), abi.encodeCall(IAccessManager.execute, (address(amm), setFee)), 0, "ex"
        );
        _expectRefused(
            address(manager),
            abi.encodeCall(IAccessManager.schedule, (address(amm), setFee, 0)),
            0,
            "schedule unpermitted"
        );
        // schedule needs a delay: an immediate permission cannot be scheduled.
        _expectRefused(
            address(manager),
            abi.encodeCall(
                IAccessManager.schedule,
                (address(amm), abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, _newBounds())), 0)
            ),
            0,
            "schedule immediate"
        );
        // Malformed: a role id that does not fit uint64, truncated arguments.
        _expectRefused(
            address(manager),
            abi.encodeWithSelector(IAccessManager.grantRole.selector, uint256(1) << 64, alice, 0),
            0,
            "wide role"
        );
        _expectRefused(address(manager), abi.encodePacked(IAccessManager.grantRole.selector), 0, "trunc");
        _expectRefused(
            address(manager),
            abi.encodeWithSelector(IAccessManager.execute.selector, address(amm), uint256(0x1000)),
            0,
            "bad offset"
        );
    }

    function test_propose_refusesCancelOfAnotherCallersOperationWithoutAdmin() public {
        bytes memory cancelOther = abi.encodeCall(IAccessManager.cancel, (alice, address(amm), hex"12345678"));
        assertTrue(governor.isCallPermitted(address(manager), cancelOther)); // admin may cancel anyone's
        (address[] memory t, uint256[] memory v, bytes[] memory c) = _single(
            address(manager), abi.encodeCall(IAccessManager.renounceRole, (Roles.ADMIN, address(timelock)))
        );
        _enact(t, v, c, "governance abdicates");
        _expectRefused(address(manager), cancelOther, 0, "cancel");
        _expectRefused(
            address(manager), abi.encodeCall(IAccessManager.grantRole, (Roles.GUARDIAN, alice, 0)), 0, "grant"
        );
        _expectRefused(
            address(amm), abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, _newBounds())), 0, "b"
        );
    }

    // ─── Accounts without code and outside contracts ──────────────────────────────────────────

    function test_propose_permitsPlainEthTransferToAccount() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c) = _single(eoa, hex"");
        v[0] = 1 ether;
        assertTrue(governor.isCallPermitted(eoa, hex""));
        vm.prank(alice);
        governor.propose(t, v, c, "pay");
    }

    function test_propose_refusesCalldataToAccountWithoutCode() public {
        _expectRefused(eoa, abi.encodeCall(AIServiceAMM.setFeeBounds, (poolId, _newBounds())), 0, "eoa");
        _expectRefused(eoa, hex"01", 0, "one byte");
    }

    function test_propose_permitsUnmanagedContracts() public {
        MockERC20 outside = new MockERC20("X", "X");
        _expectPermitted(address(outside), abi.encodeCall(outside.transfer, (alice, 1)));
        _expectPermitted(address(timelock), abi.encodeCall(timelock.updateDelay, (1 days)));
        _expectPermitted(address(governor), abi.encodeCall(governor.setVotingPeriod, (uint32(7 days))));
    }

    /// @dev Any selector on the AMM is permitted exactly when the manager would let the timelock call it.
    function testFuzz_isCallPermitted_matchesCanCallOnManagedTarget(bytes4 selector, bytes memory args)
        public
        view
    {
        bytes memory data = abi.encodePacked(selector, args);
        (bool immediate, uint32 delay) = manager.canCall(address(timelock), address(amm), selector);
        assertEq(governor.isCallPermitted(address(amm), data), immediate || delay != 0);
    }

    function test_propose_refusedThenPermittedCall_lifecycleStillWorks() public {
        _expectRefused(address(amm), abi.encodeCall(AIServiceAMM.setFee, (poolId, 4_000)), 0, "fee");
        (address[] memory t, uint256[] memory v, bytes[] memory c,) = _feeBoundsCall(_newBounds(), "ok");
        _enact(t, v, c, "ok");
        assertEq(amm.getPool(poolId).feeBounds.maxFee, _newBounds().maxFee);
    }
}
