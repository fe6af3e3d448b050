// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {FarmTestBase} from "./FarmTestBase.sol";

/// @notice Property tests over random amounts, tiers and times (runs from foundry.toml).
contract AIPowerYieldFarmFuzzTest is FarmTestBase {
    uint256[4] internal LOCKS = [uint256(0), 30 days, 90 days, 180 days];

    /// @notice After its lock, a stake comes back in full, whatever the amount, tier and waiting time.
    function testFuzz_unstakeAfterLockReturnsPrincipal(uint256 amount, uint256 tier, uint256 extra, bool lp)
        public
    {
        uint256 poolId = lp ? lpPool : pairPool;
        amount = bound(amount, 1, lp ? _lpBalance(alice) : 1e27);
        uint256 lock = LOCKS[tier % 4];
        _fund(poolId, FUND, DURATION);
        uint256 before = lp ? _lpBalance(alice) : stakeToken.balanceOf(alice);
        _stake(alice, poolId, amount, lock);
        _skip(lock + bound(extra, 0, 2 * DURATION));
        _unstake(alice, poolId, 0, amount);
        assertEq(lp ? _lpBalance(alice) : stakeToken.balanceOf(alice), before);
        (uint256 staked, uint256 weight) = farm.accountOf(poolId, alice);
        assertEq(staked + weight, 0);
    }

    /// @notice Any time before the lock ends, unstaking any amount is refused and nothing moves.
    function testFuzz_unstakeBeforeLockReverts(uint256 amount, uint256 tier, uint256 elapsed, uint256 part)
        public
    {
        amount = bound(amount, 1, 1e27);
        uint256 lock = LOCKS[1 + tier % 3];
        _stake(alice, pairPool, amount, lock);
        uint256 lockEnd = block.timestamp + lock;
        _skip(bound(elapsed, 0, lock - 1));
        part = bound(part, 1, amount);
        uint256 before = stakeToken.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.LockNotExpired.selector, 0, lockEnd, block.timestamp)
        );
        farm.unstake(pairPool, 0, part);
        assertEq(stakeToken.balanceOf(alice), before);
    }

    /// @notice Two stakers split the emission by weight; together they never get more than was emitted, and lose at
    /// most a few wei to rounding.
    function testFuzz_rewardsSplitByWeight(
        uint256 a,
        uint256 b,
        uint256 tierA,
        uint256 tierB,
        uint256 elapsed
    ) public {
        a = bound(a, 1e6, 1e27);
        b = bound(b, 1e6, 1e27);
        elapsed = bound(elapsed, 1, DURATION);
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, a, LOCKS[tierA % 4]);
        _stake(bob, pairPool, b, LOCKS[tierB % 4]);
        _skip(elapsed);
        (, uint256 wa) = farm.accountOf(pairPool, alice);
        (, uint256 wb) = farm.accountOf(pairPool, bob);
        uint256 emitted = 1e18 * elapsed;
        uint256 pa = farm.pendingRewards(pairPool, alice);
        uint256 pb = farm.pendingRewards(pairPool, bob);
        assertLe(pa + pb, emitted);
        // one accumulator increment: each loses < weight / 1e18 + 1 wei
        assertApproxEqAbs(pa, emitted * wa / (wa + wb), wa / 1e18 + 2);
        assertApproxEqAbs(pb, emitted * wb / (wa + wb), wb / 1e18 + 2);
    }

    /// @notice The keeper can only move the rate within its bounds and step; whatever it asks, the budget holds.
    function testFuzz_setRewardRateBounded(uint256 newRate, uint256 elapsed) public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 1e18, 0);
        _skip(bound(elapsed, 1, DURATION - 1));
        newRate = bound(newRate, 0, 3e18);
        vm.prank(keeper);
        try farm.setRewardRate(pairPool, newRate) {
            IAIPowerYieldFarm.PoolView memory pool = farm.getPool(pairPool);
            assertEq(pool.rewardRate, newRate);
            assertLe(newRate > 1e18 ? newRate - 1e18 : 1e18 - newRate, MAX_STEP);
            assertLe(newRate * (pool.periodFinish - block.timestamp), pool.undistributed);
        } catch {
            assertEq(farm.getPool(pairPool).rewardRate, 1e18);
        }
        _skip(DURATION);
        vm.prank(alice);
        uint256 paid = farm.claimRewards(pairPool);
        assertLe(paid, FUND);
    }

    /// @notice Compounding through the AMM stakes exactly the swap's output and leaves no allowance.
    function testFuzz_compoundSwapStakesOutput(uint256 elapsed) public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 1_000e18, 0);
        _skip(bound(elapsed, 1, DURATION));
        uint256 rewards = farm.pendingRewards(pairPool, alice);
        uint256 expected = amm.getAmountOut(ammPairId, address(rewardToken), rewards);
        (, uint256 amount) = _compound(alice, pairPool);
        assertEq(amount, expected);
        assertEq(stakeToken.balanceOf(address(farm)), 1_000e18 + amount);
        assertEq(rewardToken.allowance(address(farm), address(amm)), 0);
    }

    /// @notice A single-sided LP compound keeps the farm's books exact: it holds its reward reserve and the staked
    /// shares, nothing else; the dust goes back to the caller and no allowance remains.
    function testFuzz_compoundLpKeepsBooksExact(uint256 elapsed) public {
        _fund(lpPool, FUND, DURATION);
        _stake(alice, lpPool, 1_000e18, 0);
        _skip(bound(elapsed, 100, DURATION));
        _compound(alice, lpPool);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(lpPool);
        assertEq(aitbc.balanceOf(address(farm)), pool.rewardReserve);
        assertEq(stakeToken.balanceOf(address(farm)), 0);
        assertEq(amm.balanceOf(address(farm), ammLpId), pool.totalStaked);
        assertEq(aitbc.allowance(address(farm), address(amm)), 0);
        assertEq(stakeToken.allowance(address(farm), address(amm)), 0);
    }
}
