// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {FarmTestBase} from "./FarmTestBase.sol";

/// @notice The keeper's bounded setRewardRate, governance's setRateBounds, pause, and the APR/APY views.
contract AIPowerYieldFarmRatesTest is FarmTestBase {
    uint256 internal constant YEAR = 365 days;

    // ─── setRewardRate ────────────────────────────────────────────────────────────────────────

    function test_setRewardRate_movesRateAndEmits() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 1e18, 0);
        _skip(100);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.RewardRateUpdated(pairPool, 1e18, 0.5e18, keeper);
        vm.prank(keeper);
        farm.setRewardRate(pairPool, 0.5e18);
        assertEq(farm.getPool(pairPool).rewardRate, 0.5e18);
        assertEq(farm.getPool(pairPool).lastRateUpdate, block.timestamp);
        _skip(100);
        // 100 s at the old rate, then 100 s at the new one
        assertEq(farm.pendingRewards(pairPool, alice), 150e18);
    }

    function test_setRewardRate_revertsWhenNotKeeper() public {
        _fund(pairPool, FUND, DURATION);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        farm.setRewardRate(pairPool, 0.5e18);
    }

    function test_setRewardRate_revertsWhenOutOfBounds() public {
        _fund(pairPool, FUND, DURATION);
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.RateOutOfBounds.selector, MAX_RATE + 1, MIN_RATE, MAX_RATE
            )
        );
        farm.setRewardRate(pairPool, MAX_RATE + 1);
    }

    function test_setRewardRate_revertsWhenStepTooLarge() public {
        _fund(pairPool, 10 * FUND, DURATION); // rate 10e18
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.RateStepTooLarge.selector, 10e18, 8e18, MAX_STEP)
        );
        farm.setRewardRate(pairPool, 8e18);
    }

    function test_setRewardRate_revertsWhenTooSoon() public {
        _fund(pairPool, FUND, DURATION);
        vm.prank(keeper);
        farm.setRewardRate(pairPool, 0.9e18);
        _skip(MIN_INTERVAL - 1);
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.RateUpdateTooSoon.selector, block.timestamp + 1)
        );
        farm.setRewardRate(pairPool, 0.8e18);
        _skip(1);
        vm.prank(keeper);
        farm.setRewardRate(pairPool, 0.8e18);
    }

    function test_setRewardRate_revertsWhenPeriodNotActive() public {
        uint64 finish = uint64(block.timestamp + DURATION);
        _fund(pairPool, FUND, DURATION);
        _skip(DURATION);
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.PeriodNotActive.selector, finish, block.timestamp)
        );
        farm.setRewardRate(pairPool, 0.5e18);
    }

    function test_setRewardRate_revertsWhenAboveBudget() public {
        _fund(pairPool, FUND, DURATION);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.RateExceedsBudget.selector, 1.5e18, 1e18));
        farm.setRewardRate(pairPool, 1.5e18);
    }

    function test_setRewardRate_revertsWhenUnknownPool() public {
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.setRewardRate(3, 1);
    }

    // ─── setRateBounds ────────────────────────────────────────────────────────────────────────

    function test_setRateBounds_setsAndClampsRate() public {
        _fund(pairPool, FUND, DURATION);
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        bounds.maxRate = 0.25e18;
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.RateBoundsSet(pairPool, bounds);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.RewardRateUpdated(pairPool, 1e18, 0.25e18, admin);
        farm.setRateBounds(pairPool, bounds);
        assertEq(farm.getPool(pairPool).rewardRate, 0.25e18);
        assertEq(farm.getPool(pairPool).rateBounds.maxRate, 0.25e18);
    }

    function test_setRateBounds_raisesRateToNewMinAsFarAsTheBudgetPays() public {
        _fund(pairPool, FUND, DURATION);
        // Half the period with nobody staked: the whole budget is left for the other half, 2e18 a second.
        _skip(DURATION / 2);
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        bounds.maxRate = 4e18;
        bounds.minRate = 1.5e18;
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.RewardRateUpdated(pairPool, 1e18, 1.5e18, admin);
        farm.setRateBounds(pairPool, bounds);
        assertEq(farm.getPool(pairPool).rewardRate, 1.5e18);
        assertEq(farm.getPool(pairPool).lastRateUpdate, 0, "a bounds change is not a keeper move");

        bounds.minRate = 3e18;
        farm.setRateBounds(pairPool, bounds);
        assertEq(farm.getPool(pairPool).rewardRate, 2e18, "capped by the budget");
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(pairPool);
        assertLe(pool.rewardRate * (pool.periodFinish - block.timestamp), pool.undistributed);
    }

    function test_setRateBounds_leavesRateBelowNewMinAfterThePeriod() public {
        _fund(pairPool, FUND, DURATION);
        _skip(DURATION + 1);
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        bounds.minRate = 2e18;
        farm.setRateBounds(pairPool, bounds);
        assertEq(farm.getPool(pairPool).rewardRate, 1e18);
    }

    function test_setRateBounds_revertsWhenNotAdmin() public {
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, keeper));
        farm.setRateBounds(pairPool, bounds);
    }

    function test_setRateBounds_revertsWhenInverted() public {
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        bounds.minRate = 2;
        bounds.maxRate = 1;
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.InvalidRateBounds.selector, 2, 1, MAX_STEP));
        farm.setRateBounds(pairPool, bounds);
    }

    function test_setRateBounds_revertsWhenUnknownPool() public {
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.setRateBounds(3, bounds);
    }

    // ─── pause / unpause ──────────────────────────────────────────────────────────────────────

    function test_pause_guardianPausesAndUnpauses() public {
        vm.expectEmit(address(farm));
        emit Pausable.Paused(guardian);
        vm.prank(guardian);
        farm.pause();
        assertTrue(farm.paused());
        vm.expectEmit(address(farm));
        emit Pausable.Unpaused(guardian);
        vm.prank(guardian);
        farm.unpause();
        assertFalse(farm.paused());
        _stake(alice, pairPool, 1e18, 0);
    }

    function test_pause_revertsWhenNotGuardian() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        farm.pause();
        vm.prank(guardian);
        farm.pause();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        farm.unpause();
    }

    // ─── currentApr / currentApy ──────────────────────────────────────────────────────────────

    function test_currentApr_rewardPerStakedTokenPerYear() public {
        _fund(pairPool, FUND, DURATION);
        assertEq(farm.currentApr(pairPool), 0); // nothing staked
        _stake(alice, pairPool, 1_000e18, 90 days); // weight 2_000e18
        assertEq(farm.currentApr(pairPool), 1e18 * YEAR * 1e18 / 2_000e18);
        _skip(DURATION);
        assertEq(farm.currentApr(pairPool), 0); // period over
    }

    function test_currentApr_revertsWhenUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.currentApr(3);
    }

    function test_currentApy_sameTokenEqualsApr() public {
        _fund(samePool, FUND, DURATION);
        _stake(alice, samePool, 1_000e18, 0);
        assertEq(farm.currentApy(samePool), farm.currentApr(samePool));
        assertEq(farm.currentApy(samePool), 1e18 * YEAR * 1e18 / 1_000e18);
    }

    function test_currentApy_erc20ValuesRewardsAtAmmPrice() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 1_000e18, 0);
        // one reward token is worth 2 staking tokens in the AMM
        assertEq(farm.currentApy(pairPool), 2 * farm.currentApr(pairPool));
    }

    function test_currentApy_lpValuesSharesFromRewardReserve() public {
        _fund(lpPool, FUND, DURATION);
        _stake(alice, lpPool, 1_000e18, 0);
        uint256 apr = farm.currentApr(lpPool);
        (uint112 r0, uint112 r1,) = amm.getReserves(ammLpId);
        uint256 aitbcReserve = address(aitbc) < address(stakeToken) ? r0 : r1;
        uint256 totalShares = amm.getPool(ammLpId).totalLiquidity;
        assertEq(farm.currentApy(lpPool), apr * totalShares / (2 * aitbcReserve));
        // a 1:1 pool: one share holds about one AITBC and one stakeToken, worth 2 AITBC
        assertApproxEqRel(farm.currentApy(lpPool), apr / 2, 1e12);
    }

    function test_currentApy_zeroWithNothingStaked() public {
        _fund(pairPool, FUND, DURATION);
        assertEq(farm.currentApy(pairPool), 0);
    }

    function test_currentApy_revertsWhenNoAmmPool() public {
        MockERC20 other = new MockERC20("Other", "OTH");
        uint256 poolId = farm.createPool(address(other), address(rewardToken), defaultBounds());
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.NoPriceRoute.selector, poolId));
        farm.currentApy(poolId);
    }

    function test_currentApy_revertsWhenAmmPoolEmpty() public {
        MockERC20 other = new MockERC20("Other", "OTH");
        uint256 emptyAmmPool = amm.createPool(address(other), address(rewardToken));
        uint256 poolId = farm.createPool(address(other), address(rewardToken), defaultBounds());
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.NoPriceRoute.selector, poolId));
        farm.currentApy(poolId);
        uint256 lpPoolId = farm.createLpPool(emptyAmmPool, address(rewardToken), defaultBounds());
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.NoPriceRoute.selector, lpPoolId));
        farm.currentApy(lpPoolId);
    }

    function test_currentApy_revertsWhenLpPairLacksRewardToken() public {
        uint256 poolId = farm.createLpPool(ammLpId, address(rewardToken), defaultBounds());
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.NoPriceRoute.selector, poolId));
        farm.currentApy(poolId);
    }

    function test_currentApy_revertsWhenUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.currentApy(3);
    }
}
