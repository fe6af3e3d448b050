// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {FarmTestBase} from "./FarmTestBase.sol";

/// @notice compound on its three routes (same token, ERC-20 swap, single-sided LP deposit) and every refusal.
contract AIPowerYieldFarmCompoundTest is FarmTestBase {
    function test_compound_sameTokenRestakesUnlocked() public {
        _fund(samePool, FUND, DURATION);
        _stake(alice, samePool, 100e18, 180 days);
        _skip(100);
        uint256 farmBalance = aitbc.balanceOf(address(farm));
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.Compounded(samePool, alice, 1, 100e18);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.Staked(samePool, alice, 1, 100e18, block.timestamp, 10_000);
        (uint256 stakeId, uint256 amount) = _compound(alice, samePool);
        assertEq(stakeId, 1);
        assertEq(amount, 100e18);
        // nothing moved: the tokens went from the reward reserve to the principal
        assertEq(aitbc.balanceOf(address(farm)), farmBalance);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(samePool);
        assertEq(pool.rewardReserve, FUND - 100e18);
        assertEq(pool.totalStaked, 200e18);
        assertEq(farm.getStake(samePool, alice, 1).lockEnd, block.timestamp);
        // the compounded stake can leave at once, the locked one cannot
        _unstake(alice, samePool, 1, 100e18);
    }

    function test_compound_erc20SwapsThroughAmm() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 100e18, 0);
        _skip(100);
        uint256 expectedOut = amm.getAmountOut(ammPairId, address(rewardToken), 100e18);
        vm.prank(alice);
        (uint256 stakeId, uint256 amount) = farm.compound(pairPool, expectedOut, deadline);
        assertEq(stakeId, 1);
        assertEq(amount, expectedOut);
        assertEq(farm.getStake(pairPool, alice, 1).amount, expectedOut);
        assertEq(farm.getStake(pairPool, alice, 1).multiplierBps, 10_000);
        assertEq(stakeToken.balanceOf(address(farm)), 100e18 + expectedOut);
        assertEq(rewardToken.balanceOf(address(farm)), FUND - 100e18);
        assertEq(farm.getPool(pairPool).rewardReserve, FUND - 100e18);
        assertEq(rewardToken.allowance(address(farm), address(amm)), 0);
    }

    function test_compound_erc20RevertsBelowMinStakeOut() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 100e18, 0);
        _skip(100);
        uint256 expectedOut = amm.getAmountOut(ammPairId, address(rewardToken), 100e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.SlippageExceeded.selector, expectedOut, expectedOut + 1)
        );
        farm.compound(pairPool, expectedOut + 1, deadline);
        assertEq(farm.pendingRewards(pairPool, alice), 100e18);
    }

    function test_compound_lpDepositsSingleSidedAndRefundsDust() public {
        _fund(lpPool, FUND, DURATION);
        _stake(alice, lpPool, 1_000e18, 30 days);
        _skip(1_000);
        uint256 aitbcBefore = aitbc.balanceOf(alice);
        uint256 stakeBefore = stakeToken.balanceOf(alice);
        uint256 reserve = farm.getPool(lpPool).rewardReserve;
        uint256 rewards = farm.pendingRewards(lpPool, alice);
        assertApproxEqAbs(rewards, 1_000e18, 1e4);
        (uint256 stakeId, uint256 shares) = _compound(alice, lpPool);
        assertEq(stakeId, 1);
        assertGt(shares, 0);
        // about half of 1_000 AITBC of value, at ~1 share per AITBC and per stakeToken: ~ 500 shares less fees
        assertApproxEqRel(shares, 498.5e18, 0.01e18);
        assertEq(farm.getStake(lpPool, alice, 1).amount, shares);
        assertEq(amm.balanceOf(address(farm), ammLpId), 1_000e18 + shares);
        assertEq(farm.getPool(lpPool).totalStaked, 1_000e18 + shares);
        assertEq(farm.getPool(lpPool).rewardReserve, reserve - rewards);
        // the farm keeps exactly its reward reserve; dust went back to alice
        assertEq(aitbc.balanceOf(address(farm)), reserve - rewards);
        assertEq(stakeToken.balanceOf(address(farm)), 0);
        assertLe(aitbc.balanceOf(alice) - aitbcBefore, 1e15);
        assertLe(stakeToken.balanceOf(alice) - stakeBefore, 1e15);
        assertEq(aitbc.allowance(address(farm), address(amm)), 0);
        assertEq(stakeToken.allowance(address(farm), address(amm)), 0);
    }

    function test_compound_lpRevertsBelowMinStakeOut() public {
        _fund(lpPool, FUND, DURATION);
        _stake(alice, lpPool, 1_000e18, 0);
        _skip(1_000);
        uint256 snapshot = vm.snapshotState();
        (, uint256 shares) = _compound(alice, lpPool);
        vm.revertToState(snapshot);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.StakeOutTooLow.selector, shares, shares + 1));
        farm.compound(lpPool, shares + 1, deadline);
    }

    function test_compound_sameTokenRevertsBelowMinStakeOut() public {
        _fund(samePool, FUND, DURATION);
        _stake(alice, samePool, 1e18, 0);
        _skip(10);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.StakeOutTooLow.selector, 10e18, 10e18 + 1));
        farm.compound(samePool, 10e18 + 1, deadline);
    }

    function test_compound_revertsWhenNoAmmPool() public {
        MockERC20 other = new MockERC20("Other", "OTH");
        uint256 poolId = farm.createPool(address(other), address(rewardToken), defaultBounds());
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.CompoundRouteUnavailable.selector, address(other), address(rewardToken)
            )
        );
        farm.compound(poolId, 0, deadline);
    }

    function test_compound_revertsWhenLpPairLacksRewardToken() public {
        uint256 poolId = farm.createLpPool(ammLpId, address(rewardToken), defaultBounds());
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.CompoundRouteUnavailable.selector, address(amm), address(rewardToken)
            )
        );
        farm.compound(poolId, 0, deadline);
    }

    function test_compound_revertsWhenNothingToClaim() public {
        _stake(alice, samePool, 1e18, 0);
        vm.prank(alice);
        vm.expectRevert(IAIPowerYieldFarm.NothingToClaim.selector);
        farm.compound(samePool, 0, deadline);
    }

    function test_compound_revertsWhenDeadlinePassed() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.DeadlineExpired.selector, block.timestamp - 1, block.timestamp
            )
        );
        farm.compound(samePool, 0, block.timestamp - 1);
    }

    function test_compound_revertsWhenUnknownPool() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.compound(3, 0, deadline);
    }

    function test_compound_revertsWhenPaused() public {
        _fund(samePool, FUND, DURATION);
        _stake(alice, samePool, 1e18, 0);
        _skip(10);
        vm.prank(guardian);
        farm.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        farm.compound(samePool, 0, deadline);
        assertEq(farm.pendingRewards(samePool, alice), 10e18);
    }
}
