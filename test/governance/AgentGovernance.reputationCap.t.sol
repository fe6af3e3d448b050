// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";

import {GovernanceTestBase} from "./GovernanceTestBase.sol";

/// @notice The reputation cap is measured against the token votes that can be cast (delegated AITBC), not against
/// AITBC's total supply: AITBC that nobody delegated (AMM reserves, farm stakes, bridge escrow) casts no vote, so it
/// must not raise what reputation may weigh.
contract AgentGovernanceReputationCapTest is GovernanceTestBase {
    string internal constant DESC = "Widen the fee bounds of pool 0";
    address internal dave = makeAddr("dave");
    address internal lp = makeAddr("lp");
    address internal escrow = makeAddr("bridge escrow"); // stands in for any holder that never delegates

    /// @dev The votes AITBC holders can cast at `t`, counted from the balances this test gave them: alice, bob,
    /// carol and dave delegated; the AMM and the escrow did not.
    function _delegatedAt(uint256 t) internal view returns (uint256) {
        return aitbc.getPastVotes(alice, t) + aitbc.getPastVotes(bob, t) + aitbc.getPastVotes(carol, t)
            + aitbc.getPastVotes(dave, t);
    }

    /// @dev A compromised (or careless) granter hands out far more reputation than the cap, while 1,794.4k AITBC sits
    /// undelegated: 1,000k in an AMM pool's reserves, 794.4k in escrow. Delegated capital is 1,000k, of which 62 %
    /// (alice and bob) votes against and the rest does not vote; reputation alone votes for.
    ///
    /// Measured against total supply (2,794.4k) the pool was min(R, 2,794.4k / 4) = 698.6k votes, which outvoted
    /// the 620k against (62 % of the delegated capital) and passed the proposal. Measured against the delegated
    /// 1,000k the pool is 250k: 20 % of the 1,250k votes that can be cast, and the proposal is defeated.
    function test_attack_undelegatedSupplyDoesNotRaiseReputationCap() public {
        // Delegated: alice 400k, bob 220k, carol 180k (from the base, bob → carol 80k), dave 200k = 1,000k.
        _mintAndDelegate(dave, 200_000e18);
        vm.prank(bob);
        aitbc.transfer(carol, 80_000e18);

        // Undelegated: an LP's AITBC in the AMM's reserves, and escrowed AITBC.
        vm.prank(minter);
        aitbc.mint(lp, 1_000_000e18);
        vm.prank(minter);
        aitbc.mint(escrow, 794_400e18);
        token0.mint(lp, 1_000_000e18);
        uint256 aitbcPool = amm.createPool(address(aitbc), address(token0));
        vm.startPrank(lp);
        aitbc.approve(address(amm), type(uint256).max);
        token0.approve(address(amm), type(uint256).max);
        amm.addLiquidity(aitbcPool, 1_000_000e18, 1_000_000e18, 0, 0, lp, deadline);
        vm.stopPrank();
        assertEq(aitbc.balanceOf(address(amm)), 1_000_000e18, "AMM reserves");

        // The granter hands out 800k more points: 1,000k in all, far above any cap.
        vm.prank(granter);
        reputation.grant(agent, 800_000e18);
        _nextBlock(1);

        uint256 id = _propose(agent, DESC); // reputation alone meets the threshold
        _nextBlock(VOTING_DELAY + 1);
        uint256 snapshot = governor.proposalSnapshot(id);
        assertEq(aitbc.getPastTotalSupply(snapshot), 2_794_400e18, "supply");
        uint256 delegated = _delegatedAt(snapshot);
        assertEq(delegated, 1_000_000e18, "delegated");

        vm.prank(agent);
        governor.castVote(id, 1);
        vm.prank(agent2);
        governor.castVote(id, 1);
        vm.prank(alice);
        governor.castVote(id, 0);
        vm.prank(bob);
        governor.castVote(id, 0);
        (uint256 against, uint256 forVotes,) = governor.proposalVotes(id);
        emit log_named_decimal_uint("reputation votes for", forVotes, 18);
        emit log_named_decimal_uint("token votes against (62 % of delegated)", against, 18);
        assertEq(against, 620_000e18);

        // Reputation never weighs more than 20 % of the votes that can be cast: the pool ≤ delegated / 4.
        uint256 pool = governor.reputationPool(snapshot);
        assertEq(forVotes, pool, "both agents' votes are the pool (rounded down)");
        assertLe(forVotes * 10_000, (forVotes + delegated) * governor.REPUTATION_SHARE_BPS(), "above 20 %");
        assertEq(pool, delegated / 4, "pool = delegated / 4");
        assertLt(forVotes, against, "reputation alone outvotes 62 % of the delegated capital");

        _nextBlock(VOTING_PERIOD);
        assertEq(uint8(governor.state(id)), uint8(IGovernor.ProposalState.Defeated));
    }

    /// @dev Minting to a holder who never delegates raises the supply and the quorum, not the reputation cap.
    function test_reputationPool_ignoresUndelegatedSupply() public {
        vm.prank(granter);
        reputation.grant(agent, 800_000e18); // 1,000k points, far above the cap
        vm.prank(minter);
        aitbc.mint(escrow, 1_000_000e18);
        _nextBlock(1);
        uint256 t = block.timestamp - 1;
        assertEq(aitbc.getPastTotalSupply(t), 1_800_000e18);
        assertEq(aitbc.getPastTotalDelegated(t), 800_000e18);
        assertEq(
            governor.reputationPool(t),
            200_000e18,
            "a quarter of the delegated 800k, not of the 1,800k supply"
        );
        assertEq(governor.castableVotes(t), 1_000_000e18);
        // Quorum stays a share of supply plus pool: the undelegated 1,000k make it harder to reach, not easier.
        assertEq(governor.quorum(t), (1_800_000e18 + 200_000e18) * QUORUM_PERCENT / 100);
    }

    /// @dev Delegated AITBC leaving for an undelegated holder (an AMM, a farm, escrow), or a holder undelegating,
    /// shrinks the cap with it; coming back restores it.
    function test_reputationPool_followsDelegatedSupply() public {
        vm.prank(alice);
        aitbc.transfer(escrow, 400_000e18); // e.g. into AMM reserves
        _nextBlock(1);
        assertEq(governor.reputationPool(block.timestamp - 1), 100_000e18, "400k delegated left");

        vm.prank(bob);
        aitbc.delegate(address(0));
        _nextBlock(1);
        assertEq(governor.reputationPool(block.timestamp - 1), 25_000e18, "100k delegated left");
        assertEq(governor.getVotes(agent, block.timestamp - 1), 18_750e18, "3/4 of the pool");

        vm.prank(escrow);
        aitbc.transfer(alice, 400_000e18);
        vm.prank(bob);
        aitbc.delegate(bob);
        _nextBlock(1);
        assertEq(governor.reputationPool(block.timestamp - 1), 200_000e18, "back to 800k delegated");
    }

    /// @dev With nothing delegated nobody can cast a token vote, and reputation casts none either.
    function test_reputationPool_isZeroWhenNothingIsDelegated() public {
        vm.prank(alice);
        aitbc.delegate(address(0));
        vm.prank(bob);
        aitbc.delegate(address(0));
        vm.prank(carol);
        aitbc.delegate(address(0));
        _nextBlock(1);
        uint256 t = block.timestamp - 1;
        assertEq(governor.reputationPool(t), 0);
        assertEq(governor.getVotes(agent, t), 0);
        assertEq(governor.castableVotes(t), 0);
    }

    /// @dev Delegating after the snapshot (say, borrowed AITBC, or an AMM's reserves withdrawn and delegated) raises
    /// neither the token votes nor the reputation cap of that proposal.
    function test_reputationPool_readAtTheSnapshot() public {
        vm.prank(granter);
        reputation.grant(agent, 800_000e18);
        vm.prank(minter);
        aitbc.mint(escrow, 2_000_000e18);
        _nextBlock(1);
        uint256 id = _propose(agent, DESC);
        _nextBlock(VOTING_DELAY + 1);
        uint256 snapshot = governor.proposalSnapshot(id);

        vm.prank(escrow);
        aitbc.delegate(escrow);
        _nextBlock(1);
        assertEq(governor.reputationPool(block.timestamp - 1), 700_000e18, "the cap now");
        assertEq(governor.reputationPool(snapshot), 200_000e18, "the cap at the snapshot");
        vm.prank(agent);
        governor.castVote(id, 1);
        (, uint256 forVotes,) = governor.proposalVotes(id);
        assertEq(forVotes, 190_000e18, "950 of 1,000 points of a 200k pool");
    }

    function _propose(address who, string memory d) internal returns (uint256 id) {
        (address[] memory t, uint256[] memory v, bytes[] memory c,) = _feeBoundsCall(_newBounds(), d);
        vm.prank(who);
        id = governor.propose(t, v, c, d);
    }
}
