// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {AgentReputation} from "../../src/governance/AgentReputation.sol";
import {IAgentReputation} from "../../src/interfaces/IAgentReputation.sol";
import {AITBC} from "../../src/tokens/AITBC.sol";
import {Roles} from "../../src/libraries/Roles.sol";

contract AgentReputationTest is Test {
    AccessManager internal manager;
    AgentReputation internal reputation;
    address internal granter = makeAddr("granter");
    address internal agent = makeAddr("agent");
    address internal other = makeAddr("other");

    function setUp() public {
        vm.warp(1_700_000_000);
        manager = new AccessManager(address(this));
        reputation = new AgentReputation(address(manager));
        bytes4[] memory sel = new bytes4[](2);
        sel[0] = AgentReputation.grant.selector;
        sel[1] = AgentReputation.revoke.selector;
        manager.setTargetFunctionRole(address(reputation), sel, Roles.REPUTATION_GRANTER);
        manager.grantRole(Roles.REPUTATION_GRANTER, granter, 0);
    }

    function _grant(address who, uint256 amount) internal {
        vm.prank(granter);
        reputation.grant(who, amount);
    }

    function _revoke(address who, uint256 amount) internal {
        vm.prank(granter);
        reputation.revoke(who, amount);
    }

    function test_constructor_setsAuthority() public view {
        assertEq(reputation.authority(), address(manager));
        assertEq(reputation.totalSupply(), 0);
    }

    function test_clock_matchesAITBC() public {
        AITBC aitbc = new AITBC(address(manager));
        assertEq(reputation.clock(), aitbc.clock());
        assertEq(reputation.CLOCK_MODE(), aitbc.CLOCK_MODE());
        assertEq(reputation.clock(), uint48(block.timestamp));
    }

    function test_grant_addsToScoreAndTotal() public {
        vm.expectEmit(address(reputation));
        emit IAgentReputation.ReputationGranted(agent, 100, 100, 100);
        _grant(agent, 100);
        vm.expectEmit(address(reputation));
        emit IAgentReputation.ReputationGranted(agent, 50, 150, 150);
        _grant(agent, 50);
        _grant(other, 10);
        assertEq(reputation.getVotes(agent), 150);
        assertEq(reputation.getVotes(other), 10);
        assertEq(reputation.totalSupply(), 160);
    }

    function test_grant_revertsWhenCallerLacksRole() public {
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, other));
        reputation.grant(agent, 1);
    }

    function test_grant_revertsWhenZeroAccount() public {
        vm.prank(granter);
        vm.expectRevert(IAgentReputation.ZeroAccount.selector);
        reputation.grant(address(0), 1);
    }

    function test_grant_revertsWhenZeroAmount() public {
        vm.prank(granter);
        vm.expectRevert(IAgentReputation.ZeroAmount.selector);
        reputation.grant(agent, 0);
    }

    function test_grant_revertsWhenTotalOverflows() public {
        _grant(agent, type(uint208).max);
        vm.prank(granter);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentReputation.ScoreOverflow.selector, uint256(type(uint208).max) + 1, type(uint208).max
            )
        );
        reputation.grant(other, 1);
    }

    function test_revoke_subtractsFromScoreAndTotal() public {
        _grant(agent, 100);
        vm.expectEmit(address(reputation));
        emit IAgentReputation.ReputationRevoked(agent, 40, 60, 60);
        _revoke(agent, 40);
        assertEq(reputation.getVotes(agent), 60);
        assertEq(reputation.totalSupply(), 60);
    }

    function test_revoke_revertsWhenCallerLacksRole() public {
        _grant(agent, 100);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, agent));
        reputation.revoke(agent, 1);
    }

    function test_revoke_revertsWhenZeroAmount() public {
        vm.prank(granter);
        vm.expectRevert(IAgentReputation.ZeroAmount.selector);
        reputation.revoke(agent, 0);
    }

    function test_revoke_revertsWhenInsufficient() public {
        _grant(agent, 10);
        vm.prank(granter);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentReputation.InsufficientReputation.selector, agent, 10, 11)
        );
        reputation.revoke(agent, 11);
    }

    function test_getPastVotes_readsCheckpoints() public {
        uint256 t0 = block.timestamp;
        _grant(agent, 100);
        vm.warp(t0 + 10);
        _grant(agent, 50);
        vm.warp(t0 + 20);
        _revoke(agent, 120);
        vm.warp(t0 + 30);
        assertEq(reputation.getPastVotes(agent, t0 - 1), 0);
        assertEq(reputation.getPastVotes(agent, t0), 100);
        assertEq(reputation.getPastVotes(agent, t0 + 9), 100);
        assertEq(reputation.getPastVotes(agent, t0 + 10), 150);
        assertEq(reputation.getPastVotes(agent, t0 + 20), 30);
        assertEq(reputation.getPastTotalSupply(t0 + 15), 150);
        assertEq(reputation.getPastTotalSupply(t0 + 29), 30);
    }

    function test_getPastVotes_revertsWhenFutureLookup() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentReputation.FutureLookup.selector, block.timestamp, uint48(block.timestamp)
            )
        );
        reputation.getPastVotes(agent, block.timestamp);
    }

    function test_getPastTotalSupply_revertsWhenFutureLookup() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentReputation.FutureLookup.selector, block.timestamp + 1, uint48(block.timestamp)
            )
        );
        reputation.getPastTotalSupply(block.timestamp + 1);
    }

    function test_reputation_isNotTransferable() public {
        _grant(agent, 100);
        // No transfer, approve, delegate or transferFrom exists: a low-level call to any of them reverts.
        vm.startPrank(agent);
        (bool ok,) = address(reputation).call(abi.encodeWithSignature("transfer(address,uint256)", other, 1));
        assertFalse(ok);
        (ok,) = address(reputation).call(abi.encodeWithSignature("delegate(address)", other));
        assertFalse(ok);
        (ok,) = address(reputation).call(abi.encodeWithSignature("approve(address,uint256)", other, 1));
        assertFalse(ok);
        vm.stopPrank();
        assertEq(reputation.getVotes(agent), 100);
    }

    function testFuzz_grantRevoke_totalIsSumOfScores(uint96 a, uint96 b, uint96 r) public {
        a = uint96(bound(a, 1, type(uint96).max));
        b = uint96(bound(b, 1, type(uint96).max));
        _grant(agent, a);
        _grant(other, b);
        r = uint96(bound(r, 1, a));
        _revoke(agent, r);
        assertEq(reputation.totalSupply(), reputation.getVotes(agent) + reputation.getVotes(other));
        assertEq(reputation.getVotes(agent), uint256(a) - r);
    }
}
