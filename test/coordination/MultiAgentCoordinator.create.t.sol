// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {MultiAgentCoordinator} from "../../src/coordination/MultiAgentCoordinator.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice Constructor, createConsortium, pause/unpause and the plain views.
contract MultiAgentCoordinatorCreateTest is CoordinatorTestBase {
    // ─── constructor ──────────────────────────────────────────────────────────────────────────

    function test_constructor_storesAuthorityAmmAndOracle() public view {
        assertEq(address(coordinator.amm()), address(amm));
        assertEq(address(coordinator.oracle()), address(oracle));
        assertEq(coordinator.authority(), address(manager));
        assertEq(coordinator.MAX_ASSETS(), 10);
        assertEq(coordinator.VIRTUAL_SHARES(), VIRTUAL_SHARES);
        assertEq(coordinator.PROPOSAL_TRADE_MAX_LOSS_BPS(), 1_000);
        assertEq(coordinator.EXIT_TRANSFER_GAS(), 100_000);
    }

    function test_constructor_revertsWhenAmmOrOracleZero() public {
        vm.expectRevert(IMultiAgentCoordinator.ZeroAddress.selector);
        new MultiAgentCoordinator(address(manager), IAIServiceAMM(address(0)), oracle);
        vm.expectRevert(IMultiAgentCoordinator.ZeroAddress.selector);
        new MultiAgentCoordinator(address(manager), amm, IComputePriceOracle(address(0)));
    }

    // ─── createConsortium ─────────────────────────────────────────────────────────────────────

    function test_createConsortium_storesEverythingAndEmits() public {
        address[] memory members = _members();
        uint256[] memory pools = _pools(llmPool, gpuPool);
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.ConsortiumCreated(1, leader, address(base), members, _governance());
        vm.expectEmit(address(coordinator));
        emit IMultiAgentCoordinator.MandateSet(1, _mandate(), pools);
        uint256 id = _create(members, pools);
        assertEq(id, 1);
        assertEq(coordinator.consortiumCount(), 2);

        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        assertEq(v.leader, leader);
        assertEq(v.baseToken, address(base));
        assertEq(v.governance.votingPeriod, VOTING_PERIOD);
        assertEq(v.governance.gracePeriod, GRACE_PERIOD);
        assertEq(v.governance.quorumBps, QUORUM_BPS);
        assertEq(v.governance.performanceFeeBps, FEE_BPS);
        assertEq(v.mandate.maxTradeBps, MAX_TRADE_BPS);
        assertEq(v.mandate.maxLossPerTradeBps, MAX_LOSS_PER_TRADE_BPS);
        assertEq(v.mandate.maxLossPerPeriodBps, MAX_LOSS_PER_PERIOD_BPS);
        assertEq(v.mandate.lossPeriod, LOSS_PERIOD);
        assertEq(v.allowedPools, pools);
        // base first, then the other token of each pool in the order given
        assertEq(v.assets.length, 3);
        assertEq(v.assets[0], address(base));
        assertEq(v.assets[1], address(llm));
        assertEq(v.assets[2], address(gpu));
        assertEq(v.holdings.length, 3);
        assertEq(v.holdings[0] + v.holdings[1] + v.holdings[2], 0);
        assertEq(v.totalShares, 0);
        // the price of the first share: one virtual base unit over the virtual shares, 1e18-scaled
        assertEq(v.highWaterMark, 1e18 / VIRTUAL_SHARES);
        assertEq(v.lossUsedBps, 0);
        assertEq(v.lossPeriodStart, block.timestamp);
        assertTrue(coordinator.isMember(id, alice));
        assertTrue(coordinator.isMember(id, carol));
        assertFalse(coordinator.isMember(id, dave));
        assertFalse(coordinator.isMember(id, leader));
    }

    function test_createConsortium_withoutPoolsHoldsOnlyTheBase() public {
        uint256 id = _create(_members(), new uint256[](0));
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        assertEq(v.assets.length, 1);
        assertEq(v.assets[0], address(base));
        assertEq(v.allowedPools.length, 0);
    }

    function test_createConsortium_acceptsTenAssets() public {
        uint256[] memory pools = _extraPools(7);
        uint256[] memory all = new uint256[](9);
        (all[0], all[1]) = (gpuPool, llmPool);
        for (uint256 i; i < 7; ++i) {
            all[i + 2] = pools[i];
        }
        uint256 id = _create(_members(), all);
        assertEq(coordinator.getConsortium(id).assets.length, 10);
    }

    function test_createConsortium_revertsWhenElevenAssets() public {
        uint256[] memory pools = _extraPools(8);
        uint256[] memory all = new uint256[](10);
        (all[0], all[1]) = (gpuPool, llmPool);
        for (uint256 i; i < 8; ++i) {
            all[i + 2] = pools[i];
        }
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.TooManyAssets.selector, 11, 10));
        _create(_members(), all);
    }

    function test_createConsortium_revertsWhenPoolDoesNotPairBase() public {
        uint256 pairPool = amm.createPool(address(gpu), address(llm));
        vm.expectRevert(
            abi.encodeWithSelector(
                IMultiAgentCoordinator.PoolDoesNotPairBase.selector, pairPool, address(base)
            )
        );
        _create(_members(), _pools(gpuPool, pairPool));
    }

    function test_createConsortium_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 99));
        _create(_members(), _pools(gpuPool, 99));
    }

    function test_createConsortium_revertsWhenPoolDuplicated() public {
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.DuplicatePool.selector, gpuPool));
        _create(_members(), _pools(gpuPool, gpuPool));
    }

    function test_createConsortium_revertsWhenZeroAddresses() public {
        address[] memory members = _members();
        vm.expectRevert(IMultiAgentCoordinator.ZeroAddress.selector);
        coordinator.createConsortium(
            members, address(0), address(base), _governance(), _mandate(), new uint256[](0)
        );
        vm.expectRevert(IMultiAgentCoordinator.ZeroAddress.selector);
        coordinator.createConsortium(members, leader, address(0), _governance(), _mandate(), new uint256[](0));
        members[1] = address(0);
        vm.expectRevert(IMultiAgentCoordinator.ZeroAddress.selector);
        coordinator.createConsortium(
            members, leader, address(base), _governance(), _mandate(), new uint256[](0)
        );
    }

    function test_createConsortium_revertsWhenNoMembers() public {
        vm.expectRevert(IMultiAgentCoordinator.NoMembers.selector);
        coordinator.createConsortium(
            new address[](0), leader, address(base), _governance(), _mandate(), new uint256[](0)
        );
    }

    function test_createConsortium_revertsWhenDuplicateMember() public {
        address[] memory members = _members();
        members[2] = alice;
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.DuplicateMember.selector, alice));
        _create(members, new uint256[](0));
    }

    function test_createConsortium_revertsWhenGovernanceInvalid() public {
        IMultiAgentCoordinator.Governance[5] memory bad;
        for (uint256 i; i < 5; ++i) {
            bad[i] = _governance();
        }
        bad[0].votingPeriod = 0;
        bad[1].gracePeriod = 0;
        bad[2].quorumBps = 0;
        bad[3].quorumBps = 10_001;
        bad[4].performanceFeeBps = 10_001;
        for (uint256 i; i < 5; ++i) {
            vm.expectRevert(IMultiAgentCoordinator.InvalidGovernance.selector);
            coordinator.createConsortium(
                _members(), leader, address(base), bad[i], _mandate(), new uint256[](0)
            );
        }
        // the bounds themselves are accepted
        IMultiAgentCoordinator.Governance memory edge = _governance();
        edge.quorumBps = 10_000;
        edge.performanceFeeBps = 10_000;
        coordinator.createConsortium(_members(), leader, address(base), edge, _mandate(), new uint256[](0));
    }

    function test_createConsortium_revertsWhenMandateInvalid() public {
        IMultiAgentCoordinator.Mandate[4] memory bad;
        for (uint256 i; i < 4; ++i) {
            bad[i] = _mandate();
        }
        bad[0].maxTradeBps = 10_001;
        bad[1].maxLossPerTradeBps = 10_000;
        bad[2].maxLossPerPeriodBps = 10_001;
        bad[3].lossPeriod = 0;
        for (uint256 i; i < 4; ++i) {
            vm.expectRevert(IMultiAgentCoordinator.InvalidMandate.selector);
            coordinator.createConsortium(
                _members(), leader, address(base), _governance(), bad[i], new uint256[](0)
            );
        }
        IMultiAgentCoordinator.Mandate memory edge = IMultiAgentCoordinator.Mandate({
            maxTradeBps: 10_000, maxLossPerTradeBps: 9_999, maxLossPerPeriodBps: 10_000, lossPeriod: 1
        });
        coordinator.createConsortium(_members(), leader, address(base), _governance(), edge, new uint256[](0));
    }

    // ─── pause / unpause ──────────────────────────────────────────────────────────────────────

    function test_pause_onlyGuardian() public {
        address[3] memory callers = [alice, leader, address(this)];
        for (uint256 i; i < 3; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            coordinator.pause();
        }
        vm.prank(guardian);
        coordinator.pause();
        assertTrue(coordinator.paused());
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        coordinator.unpause();
        vm.prank(guardian);
        coordinator.unpause();
        assertFalse(coordinator.paused());
    }

    function test_pause_haltsPricedOperationsOnly() public {
        _fundConsortium();
        _leaderTrade(cid, gpuPool, address(base), 1_000e18);
        _nextBlock();
        vm.prank(guardian);
        coordinator.pause();

        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        coordinator.contribute(cid, 1e18);
        vm.prank(leader);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        coordinator.leaderTrade(cid, _path(gpuPool), address(base), 1e18);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        coordinator.distributeProfits(cid);

        // what needs no price stays open
        uint256 aliceShares = coordinator.sharesOf(cid, alice);
        vm.prank(alice);
        coordinator.transferShares(cid, dave, 1e18);
        uint256 proposalId =
            _propose(bob, cid, IMultiAgentCoordinator.ProposalKind.SetLeader, abi.encode(dave));
        _vote(carol, proposalId, true);
        _ragequit(alice, cid, aliceShares - 1e18);
        assertEq(coordinator.sharesOf(cid, alice), 0);
    }

    // ─── views ────────────────────────────────────────────────────────────────────────────────

    function test_views_revertOnUnknownIds() public {
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 7));
        coordinator.getConsortium(7);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownConsortium.selector, 7));
        coordinator.netAssetValue(7);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownProposal.selector, 0));
        coordinator.getProposal(0);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownProposal.selector, 1));
        coordinator.getProposal(1);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownDistribution.selector, 0));
        coordinator.getDistribution(0);
        vm.expectRevert(abi.encodeWithSelector(IMultiAgentCoordinator.UnknownDistribution.selector, 1));
        coordinator.claimable(1, alice);
        assertEq(coordinator.sharesOf(7, alice), 0);
        assertFalse(coordinator.isMember(7, alice));
        assertEq(coordinator.proposalCount(), 0);
        assertEq(coordinator.distributionCount(), 0);
    }

    function test_netAssetValue_valuesEachAssetAtTheOracle() public {
        _fundConsortium();
        _leaderTrade(cid, gpuPool, address(base), 10_000e18);
        _leaderTrade(cid, llmPool, address(base), 5_000e18);
        (uint256 total, uint256[] memory values) = coordinator.netAssetValue(cid);
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(cid);
        assertEq(values.length, 3);
        assertEq(values[0], v.holdings[0]);
        (uint256 gpuValue,) = oracle.consult(gpuPool, address(gpu), v.holdings[1]);
        (uint256 llmValue,) = oracle.consult(llmPool, address(llm), v.holdings[2]);
        assertEq(values[1], gpuValue);
        assertEq(values[2], llmValue);
        assertEq(total, values[0] + values[1] + values[2]);
        // the oracle still prices the window before the trades: 1 gpu = 2 base, 1 llm = 0.5 base
        assertApproxEqRel(v.holdings[1] * 2, gpuValue, 0.01e18);
        assertApproxEqRel(v.holdings[2] / 2, llmValue, 0.01e18);
    }

    // ─── helpers ──────────────────────────────────────────────────────────────────────────────

    function _extraPools(uint256 n) internal returns (uint256[] memory pools) {
        pools = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            MockERC20 token = new MockERC20("X", "X");
            pools[i] = _listAsset(token, POOL_BASE_RESERVE);
        }
    }
}
