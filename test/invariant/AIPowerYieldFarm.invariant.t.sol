// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {FarmTestBase} from "../farm/FarmTestBase.sol";
import {AIPowerYieldFarmHandler} from "./AIPowerYieldFarmHandler.sol";

/// @notice Invariants of the farm under random sequences of stakes (every lock tier), withdrawals, early-withdrawal
/// attempts, claims, compounds (same token, AMM swap, single-sided LP deposit), full exits after the lock, funding,
/// keeper rate moves and governance re-bounding, by three stakers over a same-token pool, an ERC-20 pool and an LP
/// pool, with time moving between calls. Runs × depth come from foundry.toml ([invariant]: 256 × 50).
contract AIPowerYieldFarmInvariantTest is StdInvariant, FarmTestBase {
    AIPowerYieldFarmHandler internal handler;
    uint256[3] internal pools;
    address[3] internal stakers;

    function setUp() public override {
        super.setUp();
        pools = [samePool, pairPool, lpPool];
        stakers = [alice, bob, carol];
        handler = new AIPowerYieldFarmHandler(farm, amm, pools, stakers);
        manager.grantRole(Roles.ADMIN, address(handler), 0);
        manager.grantRole(Roles.APY_KEEPER, address(handler), 0);
        // every pool starts funded, through the handler so that its ghosts know it
        for (uint256 i; i < 3; ++i) {
            handler.fund(i, FUND * 10, 400 days);
        }
        // and staked by everyone, at varied tiers
        for (uint256 i; i < 3; ++i) {
            for (uint256 j; j < 3; ++j) {
                handler.stake(j, i, 1_000e18 * (i + j + 1), i + j);
            }
        }

        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = handler.stake.selector;
        selectors[1] = handler.unstake.selector;
        selectors[2] = handler.unstakeLocked.selector;
        selectors[3] = handler.claim.selector;
        selectors[4] = handler.compound.selector;
        selectors[5] = handler.exitAll.selector;
        selectors[6] = handler.fund.selector;
        selectors[7] = handler.setRewardRate.selector;
        selectors[8] = handler.setRateBounds.selector;
        selectors[9] = handler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice Every property below, checked after every call of one campaign (forge runs each invariant function
    /// as its own campaign of runs × depth calls: one function keeps the suite at a sixth of the time).
    function invariant_farm() public view {
        _checkActionsBehaved();
        _checkRewardsNeverExceedFunding();
        _checkBooksMatchBalances();
        _checkRewardsMatchTimeWeightedShare();
        _checkPrincipalAccounted();
        _checkRateWithinBounds();
    }

    /// @dev Nothing an action checked on the spot went wrong (payouts equal to what was asked, keeper steps within
    /// maxStep, early unstake refused with LockNotExpired, exits return the principal in full).
    function _checkActionsBehaved() internal view {
        assertFalse(handler.broken(), handler.firstFailure());
    }

    /// @dev (a) Per pool: claimed + pending over all stakers ≤ budget emitted so far ≤ total funded.
    function _checkRewardsNeverExceedFunding() internal view {
        for (uint256 i; i < 3; ++i) {
            uint256 poolId = pools[i];
            IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
            uint256 owed;
            uint256 pending;
            for (uint256 j; j < 3; ++j) {
                uint256 p = farm.pendingRewards(poolId, stakers[j]);
                pending += p;
                owed += handler.ghostClaimed(poolId, stakers[j]) + p;
            }
            assertEq(pool.totalFunded, handler.ghostFunded(poolId), "totalFunded");
            assertLe(owed, pool.totalFunded, "owed > funded");
            // what is owed is held: the reserve covers every pending reward
            assertLe(pending, pool.rewardReserve, "pending > reserve");
            // and what was ever paid or is owed is at most what was funded minus what is still to be emitted
            uint256 emittable = pool.undistributed;
            uint256 until = block.timestamp < pool.periodFinish ? block.timestamp : pool.periodFinish;
            if (until > pool.lastUpdateTime && pool.totalWeight != 0) {
                emittable -= pool.rewardRate * (until - pool.lastUpdateTime);
            }
            assertLe(owed, pool.totalFunded - emittable, "owed > consumed");
        }
    }

    /// @dev (a) Per token: the reward reserves plus the staked principal of every pool using it are exactly the
    /// farm's balance (nothing is donated in this suite; ≤ is the safety property, = shows nothing leaks).
    function _checkBooksMatchBalances() internal view {
        address[3] memory tokens = [address(aitbc), address(stakeToken), address(rewardToken)];
        for (uint256 t; t < 3; ++t) {
            uint256 books;
            for (uint256 i; i < 3; ++i) {
                IAIPowerYieldFarm.PoolView memory pool = farm.getPool(pools[i]);
                if (pool.rewardToken == tokens[t]) books += pool.rewardReserve;
                if (!pool.lpShares && pool.stakingToken == tokens[t]) books += pool.totalStaked;
            }
            uint256 balance = IERC20(tokens[t]).balanceOf(address(farm));
            assertLe(books, balance, "books > balance");
            assertEq(books, balance, "books != balance");
            assertEq(IERC20(tokens[t]).allowance(address(farm), address(amm)), 0, "stray allowance");
        }
        assertEq(farm.getPool(lpPool).totalStaked, amm.balanceOf(address(farm), ammLpId), "LP shares");
    }

    /// @dev (b) Each staker's claimed + pending equals its time-weighted share of the emission (the handler's
    /// ghost integral), within the rounding bound stated in {AIPowerYieldFarmHandler}, never above it.
    function _checkRewardsMatchTimeWeightedShare() internal view {
        for (uint256 i; i < 3; ++i) {
            uint256 poolId = pools[i];
            for (uint256 j; j < 3; ++j) {
                address who = stakers[j];
                uint256 actual = handler.ghostClaimed(poolId, who) + farm.pendingRewards(poolId, who);
                (uint256 ghostScaled, uint256 roundingBound) = handler.ghostEarnedNow(poolId, who);
                uint256 ghost = ghostScaled / 1e18;
                (, uint256 weight) = farm.accountOf(poolId, who);
                // + the view's own increment and floor
                uint256 bound = roundingBound + weight / 1e18 + 2;
                assertLe(actual, ghost + 1, "paid more than the time-weighted share");
                assertGe(actual + bound, ghost, "paid less than the time-weighted share - bound");
            }
        }
    }

    /// @dev (c) Each staker's recorded principal is what it put in minus what it took out, and the accounts add
    /// up to the pool totals.
    function _checkPrincipalAccounted() internal view {
        for (uint256 i; i < 3; ++i) {
            uint256 poolId = pools[i];
            IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
            uint256 sumStaked;
            uint256 sumWeight;
            for (uint256 j; j < 3; ++j) {
                address who = stakers[j];
                (uint256 staked, uint256 weight) = farm.accountOf(poolId, who);
                assertEq(
                    handler.ghostStaked(poolId, who) - handler.ghostUnstaked(poolId, who), staked, "principal"
                );
                sumStaked += staked;
                sumWeight += weight;
            }
            assertEq(sumStaked, pool.totalStaked, "totalStaked");
            assertEq(sumWeight, pool.totalWeight, "totalWeight");
        }
    }

    /// @dev (d) The reward rate never exceeds the pool's maximum, and is at least its minimum unless governance
    /// raised the minimum above it since the last rate change (documented: the keeper then raises it).
    function _checkRateWithinBounds() internal view {
        for (uint256 i; i < 3; ++i) {
            IAIPowerYieldFarm.PoolView memory pool = farm.getPool(pools[i]);
            assertLe(pool.rewardRate, pool.rateBounds.maxRate, "rate > maxRate");
            if (handler.ghostMinRateApplies(pools[i])) {
                assertGe(pool.rewardRate, pool.rateBounds.minRate, "rate < minRate");
            }
            // the rate never promises more than the remaining budget
            if (block.timestamp < pool.periodFinish) {
                assertLe(
                    pool.rewardRate * (pool.periodFinish - pool.lastUpdateTime), pool.undistributed, "budget"
                );
            }
        }
    }
}
