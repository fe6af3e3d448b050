// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {FarmTestBase} from "./FarmTestBase.sol";

/// @notice Pool creation and funding.
contract AIPowerYieldFarmPoolsTest is FarmTestBase {
    // ─── createPool ───────────────────────────────────────────────────────────────────────────

    function test_createPool_storesPoolAndEmits() public {
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.PoolCreated(3, address(rewardToken), address(aitbc), defaultBounds(), false, 0);
        uint256 poolId = farm.createPool(address(rewardToken), address(aitbc), defaultBounds());
        assertEq(poolId, 3);
        assertEq(farm.poolCount(), 4);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        assertEq(pool.stakingToken, address(rewardToken));
        assertEq(pool.rewardToken, address(aitbc));
        assertEq(pool.rewardRate, 0);
        assertEq(pool.periodFinish, 0);
        assertEq(pool.rateBounds.maxRate, MAX_RATE);
        assertEq(pool.rateBounds.minInterval, MIN_INTERVAL);
        assertFalse(pool.lpShares);
        assertEq(pool.ammPoolId, 0);
    }

    function test_createPool_revertsWhenNotAdmin() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        farm.createPool(address(aitbc), address(aitbc), defaultBounds());
    }

    function test_createPool_revertsWhenZeroAddress() public {
        vm.expectRevert(IAIPowerYieldFarm.ZeroAddress.selector);
        farm.createPool(address(0), address(aitbc), defaultBounds());
        vm.expectRevert(IAIPowerYieldFarm.ZeroAddress.selector);
        farm.createPool(address(aitbc), address(0), defaultBounds());
    }

    function test_createPool_revertsWhenNotAContract() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.NotAContract.selector, alice));
        farm.createPool(alice, address(aitbc), defaultBounds());
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.NotAContract.selector, bob));
        farm.createPool(address(aitbc), bob, defaultBounds());
    }

    function test_createPool_revertsWhenBoundsInverted() public {
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        bounds.minRate = 5;
        bounds.maxRate = 4;
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.InvalidRateBounds.selector, 5, 4, MAX_STEP));
        farm.createPool(address(aitbc), address(aitbc), bounds);
    }

    // ─── createLpPool ─────────────────────────────────────────────────────────────────────────

    function test_createLpPool_storesPoolAndEmits() public {
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.PoolCreated(
            3, address(amm), address(stakeToken), defaultBounds(), true, ammLpId
        );
        uint256 poolId = farm.createLpPool(ammLpId, address(stakeToken), defaultBounds());
        assertEq(poolId, 3);
        assertEq(farm.poolCount(), 4);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        assertEq(pool.stakingToken, address(amm));
        assertEq(pool.rewardToken, address(stakeToken));
        assertTrue(pool.lpShares);
        assertEq(pool.ammPoolId, ammLpId);
        assertEq(pool.rateBounds.maxStep, MAX_STEP);
    }

    function test_createLpPool_revertsWhenNotAdmin() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        farm.createLpPool(ammLpId, address(aitbc), defaultBounds());
    }

    function test_createLpPool_revertsWhenUnknownAmmPool() public {
        uint256 count = amm.poolCount();
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownAmmPool.selector, count));
        farm.createLpPool(count, address(aitbc), defaultBounds());
    }

    function test_createLpPool_revertsWhenRewardZeroOrNotAContract() public {
        vm.expectRevert(IAIPowerYieldFarm.ZeroAddress.selector);
        farm.createLpPool(ammLpId, address(0), defaultBounds());
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.NotAContract.selector, alice));
        farm.createLpPool(ammLpId, alice, defaultBounds());
    }

    function test_createLpPool_revertsWhenBoundsInverted() public {
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        bounds.minRate = 5;
        bounds.maxRate = 4;
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.InvalidRateBounds.selector, 5, 4, MAX_STEP));
        farm.createLpPool(ammLpId, address(aitbc), bounds);
    }

    function test_fundPool_lpPool() public {
        _fund(lpPool, FUND, DURATION);
        assertEq(aitbc.balanceOf(address(farm)), FUND);
        assertEq(farm.getPool(lpPool).rewardRate, 1e18);
    }

    // ─── fundPool ─────────────────────────────────────────────────────────────────────────────

    function test_fundPool_pullsRewardsSetsRateAndEmits() public {
        uint256 before = rewardToken.balanceOf(admin);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.PoolFunded(pairPool, admin, FUND, DURATION, 1e18, block.timestamp + DURATION);
        _fund(pairPool, FUND, DURATION);
        assertEq(before - rewardToken.balanceOf(admin), FUND);
        assertEq(rewardToken.balanceOf(address(farm)), FUND);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(pairPool);
        assertEq(pool.rewardRate, 1e18);
        assertEq(pool.periodFinish, block.timestamp + DURATION);
        assertEq(pool.lastUpdateTime, block.timestamp);
        assertEq(pool.undistributed, FUND);
        assertEq(pool.rewardReserve, FUND);
        assertEq(pool.totalFunded, FUND);
    }

    function test_fundPool_roundsRateDown() public {
        _fund(pairPool, 1_000_000e18 + 999_999, DURATION);
        assertEq(farm.getPool(pairPool).rewardRate, 1e18);
    }

    function test_fundPool_rollsRemainingBudgetIntoNewPeriod() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 100e18, 0);
        _skip(DURATION / 2);
        _fund(pairPool, FUND, DURATION);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(pairPool);
        // half of the first budget was consumed; the other half joins the new one
        assertEq(pool.undistributed, FUND + FUND / 2);
        assertEq(pool.rewardRate, (FUND + FUND / 2) / DURATION);
        assertEq(pool.totalFunded, 2 * FUND);
        assertEq(farm.pendingRewards(pairPool, alice), FUND / 2);
    }

    function test_fundPool_keepsBudgetOfTimeWithNoStake() public {
        _fund(pairPool, FUND, DURATION);
        _skip(DURATION + 10);
        // nobody staked: nothing consumed, a new period re-spreads the whole budget
        _fund(pairPool, 1, DURATION);
        assertEq(farm.getPool(pairPool).undistributed, FUND + 1);
        assertEq(farm.getPool(pairPool).rewardRate, 1e18);
    }

    function test_fundPool_revertsWhenZeroAmount() public {
        vm.expectRevert(IAIPowerYieldFarm.ZeroAmount.selector);
        farm.fundPool(pairPool, 0, DURATION);
    }

    function test_fundPool_topUpMayNotJumpTheRateMoreThanMaxStep() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 100e18, 0);
        // Re-spreading over a fifth of the period would take the rate from 1e18 to ~5e18 a second.
        uint256 budget = FUND + 1e18;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.RateStepTooLarge.selector, 1e18, budget / (DURATION / 5), MAX_STEP
            )
        );
        farm.fundPool(pairPool, 1e18, DURATION / 5);
        // A top-up within one step goes through: the same rate over a longer period.
        _fund(pairPool, FUND, 2 * DURATION);
        assertEq(farm.getPool(pairPool).rewardRate, (2 * FUND) / (2 * DURATION));
    }

    function test_fundPool_revertsWhenNotAdmin() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        farm.fundPool(pairPool, FUND, DURATION);
    }

    function test_fundPool_revertsWhenUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 7));
        farm.fundPool(7, FUND, DURATION);
    }

    function test_fundPool_revertsWhenZeroDuration() public {
        vm.expectRevert(IAIPowerYieldFarm.ZeroDuration.selector);
        farm.fundPool(pairPool, FUND, 0);
    }

    function test_fundPool_revertsWhenDurationTooLong() public {
        uint256 tooLong = farm.MAX_DURATION() + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.DurationTooLong.selector, tooLong, farm.MAX_DURATION())
        );
        farm.fundPool(pairPool, FUND, tooLong);
    }

    function test_fundPool_revertsWhenRateAboveMax() public {
        uint256 amount = uint256(MAX_RATE + 1) * DURATION;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.RateOutOfBounds.selector, MAX_RATE + 1, MIN_RATE, MAX_RATE
            )
        );
        farm.fundPool(pairPool, amount, DURATION);
    }

    function test_fundPool_revertsWhenRateBelowMin() public {
        IAIPowerYieldFarm.RateBounds memory bounds = defaultBounds();
        bounds.minRate = 1e18;
        farm.setRateBounds(pairPool, bounds);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.RateOutOfBounds.selector, 0.5e18, 1e18, MAX_RATE)
        );
        farm.fundPool(pairPool, FUND / 2, DURATION);
    }

    function test_fundPool_revertsWhenFeeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100);
        uint256 poolId = farm.createPool(address(aitbc), address(fot), defaultBounds());
        fot.mint(admin, FUND);
        fot.approve(address(farm), FUND);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.TransferAmountMismatch.selector, address(fot), FUND, FUND - FUND / 100
            )
        );
        farm.fundPool(poolId, FUND, DURATION);
    }
}
