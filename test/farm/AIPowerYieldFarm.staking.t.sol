// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC6909} from "@openzeppelin/contracts/token/ERC6909/ERC6909.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {AIPowerYieldFarm} from "../../src/farm/AIPowerYieldFarm.sol";
import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {ReentrantToken} from "../mocks/ReentrantToken.sol";
import {FarmTestBase} from "./FarmTestBase.sol";

/// @notice Constructor, stake, unstake, claimRewards and the per-account views, ERC-20 and LP pools.
contract AIPowerYieldFarmStakingTest is FarmTestBase {
    // ─── constructor ──────────────────────────────────────────────────────────────────────────

    function test_constructor_storesAuthorityAndAmm() public view {
        assertEq(address(farm.amm()), address(amm));
        assertEq(farm.authority(), address(manager));
        assertEq(farm.poolCount(), 3);
    }

    function test_constructor_revertsWhenAmmZero() public {
        vm.expectRevert(IAIPowerYieldFarm.ZeroAddress.selector);
        new AIPowerYieldFarm(address(manager), IAIServiceAMM(address(0)));
    }

    // ─── stake ────────────────────────────────────────────────────────────────────────────────

    function test_stake_pullsTokensRecordsStakeAndEmits() public {
        uint256 before = stakeToken.balanceOf(alice);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.Staked(pairPool, alice, 0, 100e18, block.timestamp + 30 days, 15_000);
        uint256 stakeId = _stake(alice, pairPool, 100e18, 30 days);
        assertEq(stakeId, 0);
        assertEq(before - stakeToken.balanceOf(alice), 100e18);
        assertEq(stakeToken.balanceOf(address(farm)), 100e18);
        IAIPowerYieldFarm.Stake memory s = farm.getStake(pairPool, alice, 0);
        assertEq(s.amount, 100e18);
        assertEq(s.lockEnd, block.timestamp + 30 days);
        assertEq(s.multiplierBps, 15_000);
        (uint256 staked, uint256 weight) = farm.accountOf(pairPool, alice);
        assertEq(staked, 100e18);
        assertEq(weight, 150e18);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(pairPool);
        assertEq(pool.totalStaked, 100e18);
        assertEq(pool.totalWeight, 150e18);
        assertEq(farm.stakeCount(pairPool, alice), 1);
    }

    function test_stake_weightsEveryLockTier() public {
        uint256[4] memory locks = [uint256(0), 30 days, 90 days, 180 days];
        uint256[4] memory bps = [uint256(10_000), 15_000, 20_000, 25_000];
        for (uint256 i; i < 4; ++i) {
            uint256 stakeId = _stake(alice, samePool, 10e18, locks[i]);
            assertEq(stakeId, i);
            assertEq(farm.getStake(samePool, alice, i).multiplierBps, bps[i]);
        }
        (uint256 staked, uint256 weight) = farm.accountOf(samePool, alice);
        assertEq(staked, 40e18);
        assertEq(weight, 70e18);
    }

    function test_stake_lpSharesWithApproval() public {
        uint256 before = _lpBalance(alice);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.Staked(lpPool, alice, 0, 1_000e18, block.timestamp + 90 days, 20_000);
        _stake(alice, lpPool, 1_000e18, 90 days);
        assertEq(before - _lpBalance(alice), 1_000e18);
        assertEq(amm.balanceOf(address(farm), ammLpId), 1_000e18);
        assertEq(amm.allowance(alice, address(farm), ammLpId), type(uint256).max);
        assertEq(farm.getPool(lpPool).totalStaked, 1_000e18);
    }

    function test_stake_lpSharesWithOperator() public {
        vm.startPrank(bob);
        amm.approve(address(farm), ammLpId, 0);
        amm.setOperator(address(farm), true);
        farm.stake(lpPool, 500e18, 0);
        vm.stopPrank();
        assertEq(amm.balanceOf(address(farm), ammLpId), 500e18);
    }

    function test_stake_lpRevertsWithoutApproval() public {
        vm.prank(bob);
        amm.approve(address(farm), ammLpId, 0);
        uint256 before = _lpBalance(bob);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                ERC6909.ERC6909InsufficientAllowance.selector, address(farm), 0, 1e18, ammLpId
            )
        );
        farm.stake(lpPool, 1e18, 0);
        assertEq(_lpBalance(bob), before);
    }

    function test_stake_revertsWhenZeroAmount() public {
        uint256 before = stakeToken.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(IAIPowerYieldFarm.ZeroAmount.selector);
        farm.stake(pairPool, 0, 0);
        assertEq(stakeToken.balanceOf(alice), before);
        assertEq(farm.stakeCount(pairPool, alice), 0);
    }

    function test_stake_revertsWhenBadLock() public {
        uint256 before = stakeToken.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.InvalidLockDuration.selector, 31 days));
        farm.stake(pairPool, 1e18, 31 days);
        assertEq(stakeToken.balanceOf(alice), before);
    }

    function test_stake_revertsWhenUnknownPool() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 9));
        farm.stake(9, 1e18, 0);
    }

    function test_stake_revertsWhenPaused() public {
        vm.prank(guardian);
        farm.pause();
        uint256 before = stakeToken.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        farm.stake(pairPool, 1e18, 0);
        assertEq(stakeToken.balanceOf(alice), before);
    }

    function test_stake_revertsWhenAmountTooLarge() public {
        uint256 tooLarge = uint256(type(uint128).max) + 1;
        aitbc.mint(alice, tooLarge);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.AmountTooLarge.selector, tooLarge));
        farm.stake(samePool, tooLarge, 0);
    }

    function test_stake_revertsWhenFeeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100);
        uint256 poolId = farm.createPool(address(fot), address(aitbc), defaultBounds());
        fot.mint(alice, 100e18);
        vm.startPrank(alice);
        fot.approve(address(farm), 100e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIPowerYieldFarm.TransferAmountMismatch.selector, address(fot), 100e18, 99e18
            )
        );
        farm.stake(poolId, 100e18, 0);
        vm.stopPrank();
        assertEq(fot.balanceOf(alice), 100e18);
    }

    function test_stake_revertsOnReentry() public {
        ReentrantToken ree = new ReentrantToken();
        uint256 poolId = farm.createPool(address(ree), address(aitbc), defaultBounds());
        ree.mint(alice, 10e18);
        vm.prank(alice);
        ree.approve(address(farm), type(uint256).max);
        ree.arm(address(farm), abi.encodeCall(farm.claimRewards, (poolId)));
        vm.prank(alice);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        farm.stake(poolId, 1e18, 0);
    }

    // ─── unstake ──────────────────────────────────────────────────────────────────────────────

    function test_unstake_returnsPrincipalAfterLockAndEmits() public {
        uint256 before = stakeToken.balanceOf(alice);
        _stake(alice, pairPool, 100e18, 90 days);
        _skip(90 days);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.Unstaked(pairPool, alice, 0, 100e18);
        _unstake(alice, pairPool, 0, 100e18);
        assertEq(stakeToken.balanceOf(alice), before);
        assertEq(farm.getStake(pairPool, alice, 0).amount, 0);
        (uint256 staked, uint256 weight) = farm.accountOf(pairPool, alice);
        assertEq(staked, 0);
        assertEq(weight, 0);
        assertEq(farm.getPool(pairPool).totalWeight, 0);
    }

    function test_unstake_partialKeepsWeightConsistent() public {
        _stake(alice, pairPool, 3, 30 days); // weight floor(4.5) = 4
        _skip(30 days);
        _unstake(alice, pairPool, 0, 1); // remaining 2, weight 3
        (uint256 staked, uint256 weight) = farm.accountOf(pairPool, alice);
        assertEq(staked, 2);
        assertEq(weight, 3);
        assertEq(farm.getPool(pairPool).totalWeight, 3);
    }

    function test_unstake_lpSharesReturned() public {
        uint256 before = _lpBalance(alice);
        _stake(alice, lpPool, 1_000e18, 30 days);
        _skip(30 days);
        _unstake(alice, lpPool, 0, 1_000e18);
        assertEq(_lpBalance(alice), before);
        assertEq(amm.balanceOf(address(farm), ammLpId), 0);
    }

    function test_unstake_openWhilePaused() public {
        _stake(alice, pairPool, 1e18, 0);
        vm.prank(guardian);
        farm.pause();
        _unstake(alice, pairPool, 0, 1e18);
        assertEq(stakeToken.balanceOf(address(farm)), 0);
    }

    function test_unstake_revertsWhenLockNotExpired() public {
        _stake(alice, pairPool, 100e18, 180 days);
        uint256 lockEnd = block.timestamp + 180 days;
        _skip(180 days - 1);
        uint256 before = stakeToken.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.LockNotExpired.selector, 0, lockEnd, block.timestamp)
        );
        farm.unstake(pairPool, 0, 1);
        assertEq(stakeToken.balanceOf(alice), before);
        assertEq(farm.getStake(pairPool, alice, 0).amount, 100e18);
    }

    function test_unstake_revertsWhenMoreThanStaked() public {
        _stake(alice, pairPool, 100e18, 0);
        uint256 before = stakeToken.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerYieldFarm.InsufficientStake.selector, 0, 100e18, 100e18 + 1)
        );
        farm.unstake(pairPool, 0, 100e18 + 1);
        assertEq(stakeToken.balanceOf(alice), before);
    }

    function test_unstake_revertsWhenZeroAmount() public {
        _stake(alice, pairPool, 100e18, 0);
        vm.prank(alice);
        vm.expectRevert(IAIPowerYieldFarm.ZeroAmount.selector);
        farm.unstake(pairPool, 0, 0);
    }

    function test_unstake_revertsWhenUnknownStake() public {
        _stake(alice, pairPool, 100e18, 0);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownStake.selector, pairPool, bob, 0));
        farm.unstake(pairPool, 0, 1);
        assertEq(stakeToken.balanceOf(address(farm)), 100e18);
    }

    function test_unstake_revertsWhenUnknownPool() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 5));
        farm.unstake(5, 0, 1);
    }

    // ─── claimRewards ─────────────────────────────────────────────────────────────────────────

    function test_claimRewards_paysEarnedAndEmits() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 100e18, 0);
        _skip(1_000);
        uint256 pending = farm.pendingRewards(pairPool, alice);
        assertEq(pending, 1_000e18);
        vm.expectEmit(address(farm));
        emit IAIPowerYieldFarm.RewardsClaimed(pairPool, alice, 1_000e18);
        assertEq(_claim(alice, pairPool), 1_000e18);
        assertEq(rewardToken.balanceOf(address(farm)), FUND - 1_000e18);
        assertEq(farm.getPool(pairPool).rewardReserve, FUND - 1_000e18);
        assertEq(farm.pendingRewards(pairPool, alice), 0);
    }

    function test_claimRewards_splitsByLockWeight() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 100e18, 0); // weight 100
        _stake(bob, pairPool, 100e18, 180 days); // weight 250
        _skip(3_500);
        // 3_500e18 emitted, split 100 : 250
        assertApproxEqAbs(_claim(alice, pairPool), 1_000e18, 1);
        assertApproxEqAbs(_claim(bob, pairPool), 2_500e18, 1);
    }

    function test_claimRewards_lpPool() public {
        _fund(lpPool, FUND, DURATION);
        _stake(alice, lpPool, 1_000e18, 0);
        _skip(10);
        uint256 before = aitbc.balanceOf(alice);
        assertEq(_claim(alice, lpPool), 10e18);
        assertEq(aitbc.balanceOf(alice) - before, 10e18);
    }

    function test_claimRewards_stopsAtPeriodEnd() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 1e18, 0);
        _skip(DURATION * 2);
        assertEq(_claim(alice, pairPool), FUND);
        assertEq(farm.getPool(pairPool).undistributed, 0);
    }

    function test_claimRewards_openWhilePaused() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 1e18, 0);
        _skip(1);
        vm.prank(guardian);
        farm.pause();
        assertEq(_claim(alice, pairPool), 1e18);
    }

    function test_claimRewards_revertsWhenNothingToClaim() public {
        _stake(alice, pairPool, 1e18, 0);
        _skip(100);
        uint256 before = rewardToken.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(IAIPowerYieldFarm.NothingToClaim.selector);
        farm.claimRewards(pairPool);
        assertEq(rewardToken.balanceOf(alice), before);
    }

    function test_claimRewards_revertsWhenUnknownPool() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.claimRewards(3);
    }

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    function test_pendingRewards_zeroForStranger() public {
        _fund(pairPool, FUND, DURATION);
        _stake(alice, pairPool, 1e18, 0);
        _skip(100);
        assertEq(farm.pendingRewards(pairPool, carol), 0);
        assertEq(farm.pendingRewards(pairPool, alice), 100e18);
    }

    function test_pendingRewards_revertsWhenUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.pendingRewards(3, alice);
    }

    function test_getStake_revertsWhenUnknownStake() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownStake.selector, pairPool, alice, 0));
        farm.getStake(pairPool, alice, 0);
    }

    function test_stakeCountAndAccountOf_emptyAccount() public view {
        assertEq(farm.stakeCount(pairPool, carol), 0);
        (uint256 staked, uint256 weight) = farm.accountOf(pairPool, carol);
        assertEq(staked + weight, 0);
    }

    function test_getPool_lpPool() public view {
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(lpPool);
        assertEq(pool.stakingToken, address(amm));
        assertEq(pool.rewardToken, address(aitbc));
        assertTrue(pool.lpShares);
        assertEq(pool.ammPoolId, ammLpId);
    }

    function test_getPool_revertsWhenUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.UnknownPool.selector, 3));
        farm.getPool(3);
    }

    function test_lockMultiplierBps_tiersAndRevert() public {
        assertEq(farm.lockMultiplierBps(0), 10_000);
        assertEq(farm.lockMultiplierBps(30 days), 15_000);
        assertEq(farm.lockMultiplierBps(90 days), 20_000);
        assertEq(farm.lockMultiplierBps(180 days), 25_000);
        vm.expectRevert(abi.encodeWithSelector(IAIPowerYieldFarm.InvalidLockDuration.selector, 1));
        farm.lockMultiplierBps(1);
    }
}
