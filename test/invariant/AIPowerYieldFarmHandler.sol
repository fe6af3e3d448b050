// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {AIPowerYieldFarm} from "../../src/farm/AIPowerYieldFarm.sol";
import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Drives the farm for the invariant suite: three pools (same token, ERC-20 with an AMM route, AMM LP
/// shares), three stakers who stake at every lock tier, unstake, claim, compound and exit, an admin who funds and
/// re-bounds, a keeper who moves rates, and time. Inputs are bounded so that most calls succeed; a call that
/// reverts rolls its ghost updates back with it.
/// @dev The reward ghost: before every action, and after every warp, each pool's emission since the previous
/// action, rate × (min(now, periodFinish) − last), is split among the actors by their weight share at that time
/// (weights and rates only change inside actions, so each window is exact), kept scaled by 1e18. The farm's
/// accumulator rounds each increment down (an actor loses < weight / 1e18 wei per increment) and each
/// settlement down (< 1 wei), so per actor:
///     ghost − (weight_now / 1e18 + 2) − bound ≤ claimed + pending ≤ ghost + 1,
/// where `bound` sums weight / 1e18 + 1 over every ghost window with emission (each farm increment spans at least
/// one) plus 1 per action the actor took in the pool.
contract AIPowerYieldFarmHandler is Test {
    uint256 public constant POOLS = 3;
    uint256 public constant ACTORS = 3;

    AIPowerYieldFarm public immutable farm;
    AIServiceAMM public immutable amm;
    uint256[POOLS] internal poolIds;
    address[ACTORS] internal actors;

    // ─── Ghosts ───────────────────────────────────────────────────────────────────────────────
    mapping(uint256 poolId => uint256) public ghostLast;
    mapping(uint256 poolId => uint256) public ghostFunded;
    mapping(uint256 poolId => mapping(address => uint256)) public ghostEarnedScaled;
    mapping(uint256 poolId => mapping(address => uint256)) public ghostRoundingBound;
    mapping(uint256 poolId => mapping(address => uint256)) public ghostClaimed;
    mapping(uint256 poolId => mapping(address => uint256)) public ghostStaked;
    mapping(uint256 poolId => mapping(address => uint256)) public ghostUnstaked;
    /// @notice False after setRateBounds raised the minimum above the current rate (allowed: the keeper raises it).
    mapping(uint256 poolId => bool) public ghostMinRateApplies;
    /// @notice Set when an action saw what must never happen: a payout other than asked, a keeper step above
    /// maxStep, an exit that did not return the principal.
    bool public broken;
    string public firstFailure;
    mapping(bytes32 => uint256) public calls;

    constructor(
        AIPowerYieldFarm farm_,
        AIServiceAMM amm_,
        uint256[POOLS] memory poolIds_,
        address[ACTORS] memory actors_
    ) {
        farm = farm_;
        amm = amm_;
        poolIds = poolIds_;
        actors = actors_;
        for (uint256 i; i < POOLS; ++i) {
            ghostLast[poolIds_[i]] = block.timestamp;
            ghostMinRateApplies[poolIds_[i]] = true;
            // the admin (this handler) funds every pool
            MockERC20 reward = MockERC20(farm_.getPool(poolIds_[i]).rewardToken);
            reward.mint(address(this), 1e36);
            reward.approve(address(farm_), type(uint256).max);
        }
    }

    /// @dev Every action first lets up to an hour pass (from the high bits of a seed), so that rewards accrue
    /// between calls without a warp action in between.
    modifier tick(uint256 seed) {
        uint256 elapsed = (seed >> 128) % 1 hours;
        if (elapsed != 0) _warp(elapsed);
        _;
    }

    // ─── Actions ──────────────────────────────────────────────────────────────────────────────

    function stake(uint256 actorSeed, uint256 poolSeed, uint256 amount, uint256 lockSeed)
        external
        tick(actorSeed)
    {
        (uint256 poolId, address actor) = _pick(poolSeed, actorSeed);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        uint256 balance = _stakingBalance(pool, actor);
        if (balance == 0) return;
        amount = _bound(amount, 1, Math.min(balance, 1e24));
        uint256[4] memory locks = [uint256(0), 30 days, 90 days, 180 days];
        _accrue();
        _settled(poolId, actor);
        vm.prank(actor);
        farm.stake(poolId, amount, locks[lockSeed % 4]);
        _check(balance - _stakingBalance(pool, actor) == amount, "stake: pulled other than amount");
        ghostStaked[poolId][actor] += amount;
        ++calls["stake"];
    }

    function unstake(uint256 actorSeed, uint256 poolSeed, uint256 stakeSeed, uint256 amount)
        external
        tick(actorSeed)
    {
        (uint256 poolId, address actor) = _pickStaker(poolSeed, actorSeed);
        uint256 count = farm.stakeCount(poolId, actor);
        if (count == 0) return;
        uint256 stakeId = stakeSeed % count;
        IAIPowerYieldFarm.Stake memory position = farm.getStake(poolId, actor, stakeId);
        if (position.amount == 0 || block.timestamp < position.lockEnd) return;
        amount = _bound(amount, 1, position.amount);
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        uint256 balance = _stakingBalance(pool, actor);
        _accrue();
        _settled(poolId, actor);
        vm.prank(actor);
        farm.unstake(poolId, stakeId, amount);
        _check(_stakingBalance(pool, actor) - balance == amount, "unstake: paid other than amount");
        ghostUnstaked[poolId][actor] += amount;
        ++calls["unstake"];
    }

    function unstakeLocked(uint256 actorSeed, uint256 poolSeed, uint256 stakeSeed) external {
        (uint256 poolId, address actor) = _pickStaker(poolSeed, actorSeed);
        uint256 count = farm.stakeCount(poolId, actor);
        if (count == 0) return;
        uint256 stakeId = stakeSeed % count;
        IAIPowerYieldFarm.Stake memory position = farm.getStake(poolId, actor, stakeId);
        if (position.amount == 0 || block.timestamp >= position.lockEnd) return;
        vm.prank(actor);
        try farm.unstake(poolId, stakeId, 1) {
            _check(false, "unstake before lock end succeeded");
        } catch (bytes memory reason) {
            _check(bytes4(reason) == IAIPowerYieldFarm.LockNotExpired.selector, "early unstake: wrong error");
        }
        ++calls["unstakeLocked"];
    }

    function claim(uint256 actorSeed, uint256 poolSeed) external tick(actorSeed) {
        (uint256 poolId, address actor) = _pickEarner(poolSeed, actorSeed);
        uint256 pending = farm.pendingRewards(poolId, actor);
        if (pending == 0) return;
        IERC20 reward = IERC20(farm.getPool(poolId).rewardToken);
        uint256 balance = reward.balanceOf(actor);
        _accrue();
        _settled(poolId, actor);
        vm.prank(actor);
        uint256 amount = farm.claimRewards(poolId);
        _check(amount == pending, "claim: paid other than pending");
        _check(reward.balanceOf(actor) - balance == amount, "claim: transferred other than returned");
        ghostClaimed[poolId][actor] += amount;
        ++calls["claim"];
    }

    function compound(uint256 actorSeed, uint256 poolSeed) external tick(actorSeed) {
        (uint256 poolId, address actor) = _pickEarner(poolSeed, actorSeed);
        uint256 pending = farm.pendingRewards(poolId, actor);
        if (pending == 0) return;
        (uint256 stakedBefore,) = farm.accountOf(poolId, actor);
        _accrue();
        _settled(poolId, actor);
        vm.prank(actor);
        (, uint256 amount) = farm.compound(poolId, 1, block.timestamp);
        (uint256 stakedAfter,) = farm.accountOf(poolId, actor);
        _check(stakedAfter - stakedBefore == amount, "compound: staked other than returned");
        ghostClaimed[poolId][actor] += pending;
        ghostStaked[poolId][actor] += amount;
        ++calls["compound"];
        ++calls[
            poolId == poolIds[0]
                ? bytes32("compoundSame")
                : poolId == poolIds[1] ? bytes32("compoundSwap") : bytes32("compoundLp")
        ];
    }

    /// @notice Warps to the end of every lock and withdraws all of an actor's stakes in a pool: must return exactly the
    /// principal put in (stakes + compounded stakes − earlier withdrawals).
    function exitAll(uint256 actorSeed, uint256 poolSeed) external {
        (uint256 poolId, address actor) = _pickStaker(poolSeed, actorSeed);
        uint256 count = farm.stakeCount(poolId, actor);
        if (count == 0) return;
        // to the end of the actor's longest lock in this pool (a full 180 days would end most periods at once)
        uint256 lastLockEnd;
        for (uint256 i; i < count; ++i) {
            lastLockEnd = Math.max(lastLockEnd, farm.getStake(poolId, actor, i).lockEnd);
        }
        if (lastLockEnd > block.timestamp) _warp(lastLockEnd - block.timestamp);
        // a warp inside an earlier call that reverted stays (cheatcodes are not rolled back) while that call's
        // ghost updates do not: every action accrues before it changes weights, never relying on a warp of its own
        _accrue();
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        uint256 balance = _stakingBalance(pool, actor);
        uint256 principal = ghostStaked[poolId][actor] - ghostUnstaked[poolId][actor];
        _settled(poolId, actor);
        for (uint256 i; i < count; ++i) {
            uint256 amount = farm.getStake(poolId, actor, i).amount;
            if (amount == 0) continue;
            _settled(poolId, actor);
            vm.prank(actor);
            farm.unstake(poolId, i, amount);
        }
        uint256 returned = _stakingBalance(pool, actor) - balance;
        _check(returned == principal, "exit: returned other than the principal");
        (uint256 staked, uint256 weight) = farm.accountOf(poolId, actor);
        _check(staked == 0 && weight == 0, "exit: account not empty");
        ghostUnstaked[poolId][actor] += returned;
        ++calls["exitAll"];
    }

    function fund(uint256 poolSeed, uint256 amount, uint256 duration) external tick(poolSeed) {
        uint256 poolId = poolIds[poolSeed % POOLS];
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        duration = _bound(duration, 1 days, 400 days);
        uint256 cap = uint256(pool.rateBounds.maxRate) * duration;
        if (cap <= pool.undistributed) return;
        amount = _bound(amount, 0, cap - pool.undistributed);
        _accrue();
        farm.fundPool(poolId, amount, duration);
        ghostFunded[poolId] += amount;
        ghostMinRateApplies[poolId] = true;
        ++calls["fund"];
    }

    function setRewardRate(uint256 poolSeed, uint256 newRate) external {
        uint256 poolId = poolIds[poolSeed % POOLS];
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        if (block.timestamp >= pool.periodFinish) return;
        IAIPowerYieldFarm.RateBounds memory b = pool.rateBounds;
        uint256 old = pool.rewardRate;
        uint256 lo = Math.max(b.minRate, old > b.maxStep ? old - b.maxStep : 0);
        uint256 hi = Math.min(
            Math.min(b.maxRate, old + b.maxStep), pool.undistributed / (pool.periodFinish - block.timestamp)
        );
        if (lo > hi) return;
        newRate = _bound(newRate, lo, hi);
        _accrue();
        farm.setRewardRate(poolId, newRate);
        uint256 rate = farm.getPool(poolId).rewardRate;
        _check((rate > old ? rate - old : old - rate) <= b.maxStep, "keeper moved the rate more than maxStep");
        ghostMinRateApplies[poolId] = true;
        ++calls["setRewardRate"];
    }

    function setRateBounds(uint256 poolSeed, uint256 minRate, uint256 maxRate, uint256 maxStep)
        external
        tick(poolSeed)
    {
        uint256 poolId = poolIds[poolSeed % POOLS];
        maxRate = _bound(maxRate, 1e15, 10e18);
        minRate = _bound(minRate, 0, maxRate / 2);
        maxStep = _bound(maxStep, 0, 2e18);
        _accrue();
        farm.setRateBounds(
            poolId,
            IAIPowerYieldFarm.RateBounds({
                minRate: uint128(minRate),
                maxRate: uint128(maxRate),
                maxStep: uint128(maxStep),
                minInterval: 1 hours
            })
        );
        if (farm.getPool(poolId).rewardRate < minRate) ghostMinRateApplies[poolId] = false;
        ++calls["setRateBounds"];
    }

    function warp(uint256 secondsLater) external {
        _warp(_bound(secondsLater, 1, 7 days));
        ++calls["warp"];
    }

    // ─── Views for the invariants ─────────────────────────────────────────────────────────────

    /// @notice The reward ghost of `who` in `poolId` as of now, scaled by 1e18, and its rounding bound: the stored
    /// ghost plus the window since the last action. That window is not always empty at check time: a call that
    /// reverts rolls its ghost updates back but keeps its warp (cheatcodes are not rolled back), and the invariants
    /// are checked after it too. Nothing changed in the farm since, so the window is exact with today's weights.
    function ghostEarnedNow(uint256 poolId, address who)
        external
        view
        returns (uint256 scaled, uint256 bound_)
    {
        scaled = ghostEarnedScaled[poolId][who];
        bound_ = ghostRoundingBound[poolId][who];
        IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
        uint256 until = Math.min(block.timestamp, pool.periodFinish);
        uint256 from = ghostLast[poolId];
        (, uint256 weight) = farm.accountOf(poolId, who);
        if (until <= from || pool.totalWeight == 0 || weight == 0) return (scaled, bound_);
        scaled += Math.mulDiv(pool.rewardRate * (until - from), weight * 1e18, pool.totalWeight);
        bound_ += weight / 1e18 + 1;
    }

    function poolIdAt(uint256 i) external view returns (uint256) {
        return poolIds[i];
    }

    function actorAt(uint256 i) external view returns (address) {
        return actors[i];
    }

    // ─── Internal ─────────────────────────────────────────────────────────────────────────────

    function _warp(uint256 secondsLater) internal {
        _accrue();
        vm.warp(block.timestamp + secondsLater);
        vm.roll(block.number + 1);
        _accrue();
    }

    /// @dev Splits each pool's emission since the last action among the actors by weight share (see the contract
    /// NatSpec). Weights, rates and the period only change inside actions, which call this first.
    function _accrue() internal {
        for (uint256 i; i < POOLS; ++i) {
            uint256 poolId = poolIds[i];
            IAIPowerYieldFarm.PoolView memory pool = farm.getPool(poolId);
            uint256 until = Math.min(block.timestamp, pool.periodFinish);
            uint256 from = ghostLast[poolId];
            ghostLast[poolId] = block.timestamp;
            if (until <= from || pool.totalWeight == 0) continue;
            uint256 reward = pool.rewardRate * (until - from);
            for (uint256 j; j < ACTORS; ++j) {
                (, uint256 weight) = farm.accountOf(poolId, actors[j]);
                if (weight == 0) continue;
                ghostEarnedScaled[poolId][actors[j]] += Math.mulDiv(reward, weight * 1e18, pool.totalWeight);
                ghostRoundingBound[poolId][actors[j]] += weight / 1e18 + 1;
            }
        }
    }

    /// @dev The action settles `actor`'s account in `poolId`: one more floor.
    function _settled(uint256 poolId, address actor) internal {
        ghostRoundingBound[poolId][actor] += 1;
    }

    function _pick(uint256 poolSeed, uint256 actorSeed)
        internal
        view
        returns (uint256 poolId, address actor)
    {
        poolId = poolIds[poolSeed % POOLS];
        actor = actors[actorSeed % ACTORS];
    }

    /// @dev The first (pool, actor) from the seeds on with something staked, so that few calls are wasted.
    function _pickStaker(uint256 poolSeed, uint256 actorSeed)
        internal
        view
        returns (uint256 poolId, address actor)
    {
        for (uint256 k; k < POOLS * ACTORS; ++k) {
            (poolId, actor) = _pick(poolSeed + k / ACTORS, actorSeed + k);
            (uint256 staked,) = farm.accountOf(poolId, actor);
            if (staked != 0) return (poolId, actor);
        }
    }

    /// @dev The first (pool, actor) from the seeds on with rewards pending.
    function _pickEarner(uint256 poolSeed, uint256 actorSeed)
        internal
        view
        returns (uint256 poolId, address actor)
    {
        for (uint256 k; k < POOLS * ACTORS; ++k) {
            (poolId, actor) = _pick(poolSeed + k / ACTORS, actorSeed + k);
            if (farm.pendingRewards(poolId, actor) != 0) return (poolId, actor);
        }
    }

    function _stakingBalance(IAIPowerYieldFarm.PoolView memory pool, address who)
        internal
        view
        returns (uint256)
    {
        if (pool.lpShares) return amm.balanceOf(who, pool.ammPoolId);
        return IERC20(pool.stakingToken).balanceOf(who);
    }

    function _check(bool ok, string memory what) internal {
        if (!ok && !broken) {
            broken = true;
            firstFailure = what;
        }
    }
}
