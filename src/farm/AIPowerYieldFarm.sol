// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IERC6909} from "@openzeppelin/contracts/interfaces/IERC6909.sol";

import {IAIPowerYieldFarm} from "../interfaces/IAIPowerYieldFarm.sol";
import {IAIServiceAMM} from "../interfaces/IAIServiceAMM.sol";

/// @title AIPowerYieldFarm
/// @notice Multi-pool staking farm with lock-boosted weights and funded-up-front reward budgets.
/// @dev Reward-per-weight accumulator (Synthetix StakingRewards / MasterChef): every call settles the pool, then
/// the caller, in constant gas. Rounding always goes down for stakers: the accumulator increment is rounded down,
/// the budget is charged the increment times the total weight rounded *up*, and each account's share of it is
/// rounded down, so the rewards owed never exceed the budget consumed, which never exceeds the funding. Time with
/// nothing staked consumes no budget: it stays in the pool for the next period.
/// LP pools hold the AMM's ERC-6909 shares (id = AMM pool id); OpenZeppelin's ERC-6909 calls no receiver hook, so
/// the farm implements none. Every token movement in or out (ERC-20 or ERC-6909) is checked by balance delta.
contract AIPowerYieldFarm is IAIPowerYieldFarm, AccessManaged, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Fixed-point scale of the reward-per-weight accumulator and of {currentApr}.
    uint256 public constant PRECISION = 1e18;
    /// @notice Longest reward period {fundPool} accepts.
    uint256 public constant MAX_DURATION = 5 * 365 days;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant YEAR = 365 days;

    struct Pool {
        address stakingToken;
        uint64 periodFinish;
        // staking token is the AMM, staked asset its ERC-6909 id `ammPoolId`
        bool lpShares;
        address rewardToken;
        uint64 lastUpdateTime;
        uint256 rewardRate;
        uint256 rewardPerWeightStored;
        uint256 totalStaked;
        uint256 totalWeight;
        // budget not yet accrued to stakers: rewardRate * (periodFinish - lastUpdateTime) never exceeds it
        uint256 undistributed;
        // reward tokens held for this pool: undistributed + accrued and not yet claimed (plus rounding dust)
        uint256 rewardReserve;
        uint256 totalFunded;
        RateBounds rateBounds;
        uint64 lastRateUpdate;
        // LP pools whose AMM pair holds the reward token: the pair's other token (zero otherwise)
        address lpPairToken;
        uint256 ammPoolId;
    }

    struct Account {
        uint256 staked;
        uint256 weight;
        uint256 rewardPerWeightPaid;
        uint256 rewards;
        Stake[] stakes;
    }

    mapping(uint256 poolId => Pool) internal _pools;
    mapping(uint256 poolId => mapping(address account => Account)) internal _accounts;
    uint256 internal _poolCount;

    /// @notice The AMM whose LP shares LP pools stake and through which rewards are swapped and priced.
    IAIServiceAMM public immutable amm;

    /// @param authority The protocol's AccessManager.
    /// @param amm_ The protocol's AMM.
    constructor(address authority, IAIServiceAMM amm_) AccessManaged(authority) {
        if (address(amm_) == address(0)) revert ZeroAddress();
        amm = amm_;
    }

    // ─── Pools ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerYieldFarm
    function createPool(address stakingToken, address rewardToken, RateBounds calldata rateBounds)
        external
        restricted
        returns (uint256 poolId)
    {
        if (stakingToken == address(0) || rewardToken == address(0)) revert ZeroAddress();
        if (stakingToken.code.length == 0) revert NotAContract(stakingToken);
        if (rewardToken.code.length == 0) revert NotAContract(rewardToken);
        _checkRateBounds(rateBounds);

        poolId = _newPool(stakingToken, rewardToken, rateBounds);
        emit PoolCreated(poolId, stakingToken, rewardToken, rateBounds, false, 0);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function createLpPool(uint256 ammPoolId, address rewardToken, RateBounds calldata rateBounds)
        external
        restricted
        returns (uint256 poolId)
    {
        if (rewardToken == address(0)) revert ZeroAddress();
        if (rewardToken.code.length == 0) revert NotAContract(rewardToken);
        if (ammPoolId >= amm.poolCount()) revert UnknownAmmPool(ammPoolId);
        _checkRateBounds(rateBounds);

        poolId = _newPool(address(amm), rewardToken, rateBounds);
        Pool storage pool = _pools[poolId];
        pool.lpShares = true;
        pool.ammPoolId = ammPoolId;
        // the pair never changes: remember the token the rewards swap into, if the pair holds the reward token
        IAIServiceAMM.PoolView memory pair = amm.getPool(ammPoolId);
        if (pair.token0 == rewardToken) pool.lpPairToken = pair.token1;
        else if (pair.token1 == rewardToken) pool.lpPairToken = pair.token0;
        emit PoolCreated(poolId, address(amm), rewardToken, rateBounds, true, ammPoolId);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function fundPool(uint256 poolId, uint256 amount, uint256 duration) external restricted nonReentrant {
        Pool storage pool = _existingPool(poolId);
        if (amount == 0) revert ZeroAmount();
        if (duration == 0) revert ZeroDuration();
        if (duration > MAX_DURATION) revert DurationTooLong(duration, MAX_DURATION);
        _updatePool(pool);
        uint256 budget = pool.undistributed + amount;
        // rounded down: rate * duration never exceeds the budget
        uint256 rate = budget / duration;
        RateBounds memory bounds = pool.rateBounds;
        if (rate < bounds.minRate || rate > bounds.maxRate) {
            revert RateOutOfBounds(rate, bounds.minRate, bounds.maxRate);
        }
        // A top-up during a period may not jump the rate further than the APY keeper could: the operator funds,
        // it does not steer.
        if (block.timestamp < pool.periodFinish) {
            uint256 oldRate = pool.rewardRate;
            uint256 step = rate > oldRate ? rate - oldRate : oldRate - rate;
            if (step > bounds.maxStep) revert RateStepTooLarge(oldRate, rate, bounds.maxStep);
        }

        pool.undistributed = budget;
        pool.rewardReserve += amount;
        pool.totalFunded += amount;
        pool.rewardRate = rate;
        pool.lastUpdateTime = uint64(block.timestamp);
        pool.periodFinish = uint64(block.timestamp + duration);
        emit PoolFunded(poolId, msg.sender, amount, duration, rate, block.timestamp + duration);

        _pullExact(pool.rewardToken, amount);
    }

    // ─── Staking ──────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerYieldFarm
    function stake(uint256 poolId, uint256 amount, uint256 lockDuration)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 stakeId)
    {
        if (amount == 0) revert ZeroAmount();
        uint16 multiplierBps = lockMultiplierBps(lockDuration);
        Pool storage pool = _existingPool(poolId);
        Account storage account = _accounts[poolId][msg.sender];
        _updatePool(pool);
        _updateAccount(pool, account);

        stakeId = _addStake(poolId, pool, account, amount, lockDuration, multiplierBps);

        if (pool.lpShares) _pullLpExact(pool.ammPoolId, amount);
        else _pullExact(pool.stakingToken, amount);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function unstake(uint256 poolId, uint256 stakeId, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Pool storage pool = _existingPool(poolId);
        Account storage account = _accounts[poolId][msg.sender];
        if (stakeId >= account.stakes.length) revert UnknownStake(poolId, msg.sender, stakeId);
        Stake storage position = account.stakes[stakeId];
        uint256 staked = position.amount;
        if (amount > staked) revert InsufficientStake(stakeId, staked, amount);
        if (block.timestamp < position.lockEnd) {
            revert LockNotExpired(stakeId, position.lockEnd, block.timestamp);
        }
        _updatePool(pool);
        _updateAccount(pool, account);

        uint256 remaining = staked - amount;
        uint256 multiplierBps = position.multiplierBps;
        // weights are kept per stake as floor(amount * multiplier), so the account's weight stays their exact sum
        uint256 weightRemoved = _weight(staked, multiplierBps) - _weight(remaining, multiplierBps);
        position.amount = uint128(remaining);
        account.staked -= amount;
        account.weight -= weightRemoved;
        pool.totalStaked -= amount;
        pool.totalWeight -= weightRemoved;
        emit Unstaked(poolId, msg.sender, stakeId, amount);

        if (pool.lpShares) _pushLp(pool.ammPoolId, amount);
        else IERC20(pool.stakingToken).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function claimRewards(uint256 poolId) external nonReentrant returns (uint256 amount) {
        Pool storage pool = _existingPool(poolId);
        Account storage account = _accounts[poolId][msg.sender];
        _updatePool(pool);
        _updateAccount(pool, account);
        amount = account.rewards;
        if (amount == 0) revert NothingToClaim();

        account.rewards = 0;
        pool.rewardReserve -= amount;
        emit RewardsClaimed(poolId, msg.sender, amount);

        IERC20(pool.rewardToken).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function compound(uint256 poolId, uint256 minStakeOut, uint256 deadline)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 stakeId, uint256 amount)
    {
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
        Pool storage pool = _existingPool(poolId);
        address rewardToken = pool.rewardToken;
        address stakingToken = pool.stakingToken;
        uint256 ammPoolId;
        if (pool.lpShares) {
            if (pool.lpPairToken == address(0)) revert CompoundRouteUnavailable(stakingToken, rewardToken);
            ammPoolId = pool.ammPoolId;
        } else if (rewardToken != stakingToken) {
            bool exists;
            (exists, ammPoolId) = amm.poolIdOf(rewardToken, stakingToken);
            if (!exists) revert CompoundRouteUnavailable(stakingToken, rewardToken);
        }
        Account storage account = _accounts[poolId][msg.sender];
        _updatePool(pool);
        _updateAccount(pool, account);
        uint256 rewards = account.rewards;
        if (rewards == 0) revert NothingToClaim();

        // the rewards leave the reserve: kept as principal (same token) or spent on the AMM
        account.rewards = 0;
        pool.rewardReserve -= rewards;
        emit Compounded(poolId, msg.sender, account.stakes.length, rewards);

        if (pool.lpShares) {
            amount = _depositAsLiquidity(ammPoolId, rewardToken, pool.lpPairToken, rewards, deadline);
        } else if (rewardToken != stakingToken) {
            // the AMM pulls exactly `rewards`: the allowance ends at zero
            IERC20(rewardToken).forceApprove(address(amm), rewards);
            amount = _swapExact(ammPoolId, rewardToken, stakingToken, rewards, minStakeOut, deadline);
        } else {
            amount = rewards;
        }
        if (amount < minStakeOut) revert StakeOutTooLow(amount, minStakeOut);
        stakeId = _addStake(poolId, pool, account, amount, 0, uint16(BPS));
    }

    // ─── Keeper and governance ────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerYieldFarm
    function setRewardRate(uint256 poolId, uint256 newRate) external restricted {
        Pool storage pool = _existingPool(poolId);
        RateBounds memory bounds = pool.rateBounds;
        if (newRate < bounds.minRate || newRate > bounds.maxRate) {
            revert RateOutOfBounds(newRate, bounds.minRate, bounds.maxRate);
        }
        uint256 oldRate = pool.rewardRate;
        uint256 step = newRate > oldRate ? newRate - oldRate : oldRate - newRate;
        if (step > bounds.maxStep) revert RateStepTooLarge(oldRate, newRate, bounds.maxStep);
        // At least one second apart even with minInterval 0, as the AMM's setFee.
        uint256 nextAllowedAt = uint256(pool.lastRateUpdate) + Math.max(bounds.minInterval, 1);
        if (pool.lastRateUpdate != 0 && block.timestamp < nextAllowedAt) {
            revert RateUpdateTooSoon(nextAllowedAt);
        }
        if (block.timestamp >= pool.periodFinish) revert PeriodNotActive(pool.periodFinish, block.timestamp);
        _updatePool(pool);
        // funded from the pool's own budget: the new rate must be payable until the period ends
        uint256 maxAffordableRate = pool.undistributed / (pool.periodFinish - block.timestamp);
        if (newRate > maxAffordableRate) revert RateExceedsBudget(newRate, maxAffordableRate);

        pool.rewardRate = newRate;
        pool.lastRateUpdate = uint64(block.timestamp);
        emit RewardRateUpdated(poolId, oldRate, newRate, msg.sender);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function setRateBounds(uint256 poolId, RateBounds calldata rateBounds) external restricted {
        _checkRateBounds(rateBounds);
        Pool storage pool = _existingPool(poolId);
        _updatePool(pool);
        pool.rateBounds = rateBounds;
        emit RateBoundsSet(poolId, rateBounds);

        // Governance's bounds apply at once: a rate above the new maximum comes down to it; one below the new
        // minimum goes up to it during a period, as far as the remaining budget can pay.
        uint256 oldRate = pool.rewardRate;
        uint256 newRate = oldRate;
        if (oldRate > rateBounds.maxRate) {
            newRate = rateBounds.maxRate;
        } else if (oldRate < rateBounds.minRate && block.timestamp < pool.periodFinish) {
            newRate = Math.min(rateBounds.minRate, pool.undistributed / (pool.periodFinish - block.timestamp));
        }
        if (newRate != oldRate) {
            pool.rewardRate = newRate;
            emit RewardRateUpdated(poolId, oldRate, newRate, msg.sender);
        }
    }

    /// @inheritdoc IAIPowerYieldFarm
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IAIPowerYieldFarm
    function unpause() external restricted {
        _unpause();
    }

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerYieldFarm
    function poolCount() external view returns (uint256) {
        return _poolCount;
    }

    /// @inheritdoc IAIPowerYieldFarm
    function getPool(uint256 poolId) external view returns (PoolView memory) {
        Pool storage pool = _existingPool(poolId);
        return PoolView({
            stakingToken: pool.stakingToken,
            rewardToken: pool.rewardToken,
            rewardRate: pool.rewardRate,
            periodFinish: pool.periodFinish,
            lastUpdateTime: pool.lastUpdateTime,
            lastRateUpdate: pool.lastRateUpdate,
            rewardPerWeightStored: pool.rewardPerWeightStored,
            totalStaked: pool.totalStaked,
            totalWeight: pool.totalWeight,
            undistributed: pool.undistributed,
            rewardReserve: pool.rewardReserve,
            totalFunded: pool.totalFunded,
            rateBounds: pool.rateBounds,
            lpShares: pool.lpShares,
            ammPoolId: pool.ammPoolId
        });
    }

    /// @inheritdoc IAIPowerYieldFarm
    function pendingRewards(uint256 poolId, address account) external view returns (uint256) {
        Pool storage pool = _existingPool(poolId);
        Account storage acc = _accounts[poolId][account];
        (uint256 rewardPerWeight,) = _accrued(pool);
        return acc.rewards + _earned(acc, rewardPerWeight);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function currentApr(uint256 poolId) external view returns (uint256) {
        return _currentApr(_existingPool(poolId));
    }

    /// @inheritdoc IAIPowerYieldFarm
    function currentApy(uint256 poolId) external view returns (uint256 aprValue) {
        Pool storage pool = _existingPool(poolId);
        address rewardToken = pool.rewardToken;
        if (pool.lpShares) {
            if (pool.lpPairToken == address(0)) revert NoPriceRoute(poolId);
            IAIServiceAMM.PoolView memory pair = amm.getPool(pool.ammPoolId);
            uint256 rewardSide = pair.token0 == rewardToken ? pair.reserve0 : pair.reserve1;
            if (rewardSide == 0 || pair.totalLiquidity == 0) revert NoPriceRoute(poolId);
            // one share is worth 2 * rewardSide / totalLiquidity reward tokens (both sides at the spot price)
            return Math.mulDiv(_currentApr(pool), pair.totalLiquidity, 2 * rewardSide);
        }
        address stakingToken = pool.stakingToken;
        if (rewardToken == stakingToken) return _currentApr(pool);
        (bool exists, uint256 ammPoolId) = amm.poolIdOf(rewardToken, stakingToken);
        if (!exists) revert NoPriceRoute(poolId);
        (uint112 reserve0, uint112 reserve1,) = amm.getReserves(ammPoolId);
        if (reserve0 == 0 || reserve1 == 0) revert NoPriceRoute(poolId);
        // the pool's tokens are sorted by address: reward is token0 iff its address is the lower one
        (uint256 rewardReserve, uint256 stakingReserve) =
            rewardToken < stakingToken ? (reserve0, reserve1) : (reserve1, reserve0);
        // staking tokens per reward token at the spot price
        return Math.mulDiv(_currentApr(pool), stakingReserve, rewardReserve);
    }

    function _currentApr(Pool storage pool) private view returns (uint256) {
        uint256 totalWeight = pool.totalWeight;
        if (totalWeight == 0 || block.timestamp >= pool.periodFinish) return 0;
        // weight is in staking-token units at 1×, so this is reward tokens per staked token per year
        return Math.mulDiv(pool.rewardRate * YEAR, PRECISION, totalWeight);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function stakeCount(uint256 poolId, address account) external view returns (uint256) {
        return _accounts[poolId][account].stakes.length;
    }

    /// @inheritdoc IAIPowerYieldFarm
    function getStake(uint256 poolId, address account, uint256 stakeId) external view returns (Stake memory) {
        Stake[] storage stakes = _accounts[poolId][account].stakes;
        if (stakeId >= stakes.length) revert UnknownStake(poolId, account, stakeId);
        return stakes[stakeId];
    }

    /// @inheritdoc IAIPowerYieldFarm
    function accountOf(uint256 poolId, address account)
        external
        view
        returns (uint256 staked, uint256 weight)
    {
        Account storage acc = _accounts[poolId][account];
        return (acc.staked, acc.weight);
    }

    /// @inheritdoc IAIPowerYieldFarm
    function lockMultiplierBps(uint256 lockDuration) public pure returns (uint16) {
        if (lockDuration == 0) return 10_000;
        if (lockDuration == 30 days) return 15_000;
        if (lockDuration == 90 days) return 20_000;
        if (lockDuration == 180 days) return 25_000;
        revert InvalidLockDuration(lockDuration);
    }

    // ─── Internal ─────────────────────────────────────────────────────────────────────────────

    function _newPool(address stakingToken, address rewardToken, RateBounds calldata rateBounds)
        private
        returns (uint256 poolId)
    {
        poolId = _poolCount++;
        Pool storage pool = _pools[poolId];
        pool.stakingToken = stakingToken;
        pool.rewardToken = rewardToken;
        pool.rateBounds = rateBounds;
        pool.lastUpdateTime = uint64(block.timestamp);
    }

    function _existingPool(uint256 poolId) private view returns (Pool storage) {
        if (poolId >= _poolCount) revert UnknownPool(poolId);
        return _pools[poolId];
    }

    function _checkRateBounds(RateBounds calldata b) private pure {
        if (b.minRate > b.maxRate) revert InvalidRateBounds(b.minRate, b.maxRate, b.maxStep);
    }

    /// @dev The pool's accumulator as of now and the budget that accrual consumes, without writing.
    function _accrued(Pool storage pool) private view returns (uint256 rewardPerWeight, uint256 consumed) {
        rewardPerWeight = pool.rewardPerWeightStored;
        uint256 until = Math.min(block.timestamp, pool.periodFinish);
        uint256 from = pool.lastUpdateTime;
        uint256 totalWeight = pool.totalWeight;
        if (until <= from || totalWeight == 0) return (rewardPerWeight, 0);
        uint256 reward = pool.rewardRate * (until - from);
        uint256 increment = Math.mulDiv(reward, PRECISION, totalWeight);
        // rounded up, and never above `reward`: what stakers can ever claim from this increment (each rounded
        // down) is covered; the rest of `reward` stays in the budget
        consumed = Math.mulDiv(increment, totalWeight, PRECISION, Math.Rounding.Ceil);
        rewardPerWeight += increment;
    }

    function _updatePool(Pool storage pool) private {
        (uint256 rewardPerWeight, uint256 consumed) = _accrued(pool);
        pool.rewardPerWeightStored = rewardPerWeight;
        if (consumed != 0) pool.undistributed -= consumed;
        uint256 until = Math.min(block.timestamp, pool.periodFinish);
        if (until > pool.lastUpdateTime) pool.lastUpdateTime = uint64(until);
    }

    function _updateAccount(Pool storage pool, Account storage account) private {
        uint256 rewardPerWeight = pool.rewardPerWeightStored;
        account.rewards += _earned(account, rewardPerWeight);
        account.rewardPerWeightPaid = rewardPerWeight;
    }

    function _earned(Account storage account, uint256 rewardPerWeight) private view returns (uint256) {
        return Math.mulDiv(account.weight, rewardPerWeight - account.rewardPerWeightPaid, PRECISION);
    }

    function _weight(uint256 amount, uint256 multiplierBps) private pure returns (uint256) {
        return amount * multiplierBps / BPS;
    }

    /// @dev Records a new stake on an account already settled at the pool's current accumulator.
    function _addStake(
        uint256 poolId,
        Pool storage pool,
        Account storage account,
        uint256 amount,
        uint256 lockDuration,
        uint16 multiplierBps
    ) private returns (uint256 stakeId) {
        if (amount > type(uint128).max) revert AmountTooLarge(amount);
        uint256 weight = _weight(amount, multiplierBps);
        uint256 lockEnd = block.timestamp + lockDuration;
        stakeId = account.stakes.length;
        account.stakes
            .push(Stake({amount: uint128(amount), lockEnd: uint64(lockEnd), multiplierBps: multiplierBps}));
        account.staked += amount;
        account.weight += weight;
        pool.totalStaked += amount;
        pool.totalWeight += weight;
        emit Staked(poolId, msg.sender, stakeId, amount, lockEnd, multiplierBps);
    }

    /// @dev Single-sided deposit of `rewards` into AMM pool `ammPoolId`: swaps the optimal part to `pairToken`,
    /// adds both as liquidity for the farm, sends what the deposit leaves back to the caller, and returns the LP
    /// shares that arrived. Allowances left unspent are reset to zero.
    function _depositAsLiquidity(
        uint256 ammPoolId,
        address rewardToken,
        address pairToken,
        uint256 rewards,
        uint256 deadline
    ) private returns (uint256 liquidity) {
        uint256 swapAmount = amm.optimalSingleSidedSwap(ammPoolId, rewardToken, rewards);
        // one approval covers the swap and the deposit: both pull from the farm, together at most `rewards`
        IERC20(rewardToken).forceApprove(address(amm), rewards);
        uint256 pairOut = _swapExact(ammPoolId, rewardToken, pairToken, swapAmount, 0, deadline);
        IERC20(pairToken).forceApprove(address(amm), pairOut);

        uint256 rewardLeft = rewards - swapAmount;
        bool rewardIsToken0 = rewardToken < pairToken;
        uint256 used0;
        uint256 used1;
        (used0, used1, liquidity) = rewardIsToken0
            ? _addLiquidityExact(ammPoolId, rewardLeft, pairOut, deadline)
            : _addLiquidityExact(ammPoolId, pairOut, rewardLeft, deadline);
        (uint256 rewardUsed, uint256 pairUsed) = rewardIsToken0 ? (used0, used1) : (used1, used0);
        _refundDust(rewardToken, rewardLeft - rewardUsed);
        _refundDust(pairToken, pairOut - pairUsed);
    }

    /// @dev Swaps exactly `amountIn` of `tokenIn` for `tokenOut` to the farm; returns what arrived, which must be the
    /// AMM's reported output. The caller has approved the AMM.
    function _swapExact(
        uint256 ammPoolId,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minAmountOut,
        uint256 deadline
    ) private returns (uint256 received) {
        uint256 balanceBefore = IERC20(tokenOut).balanceOf(address(this));
        uint256 out =
            amm.swapExactInputSingle(ammPoolId, tokenIn, amountIn, minAmountOut, address(this), deadline);
        received = IERC20(tokenOut).balanceOf(address(this)) - balanceBefore;
        if (received != out) revert TransferAmountMismatch(tokenOut, out, received);
    }

    /// @dev Adds liquidity for the farm; returns the amounts used and the shares that arrived (exactly as minted).
    function _addLiquidityExact(uint256 ammPoolId, uint256 desired0, uint256 desired1, uint256 deadline)
        private
        returns (uint256 used0, uint256 used1, uint256 liquidity)
    {
        IERC6909 shares = IERC6909(address(amm));
        uint256 sharesBefore = shares.balanceOf(address(this), ammPoolId);
        uint256 minted;
        (used0, used1, minted) =
            amm.addLiquidity(ammPoolId, desired0, desired1, 0, 0, address(this), deadline);
        liquidity = shares.balanceOf(address(this), ammPoolId) - sharesBefore;
        if (liquidity != minted) revert TransferAmountMismatch(address(shares), minted, liquidity);
    }

    /// @dev Sends a deposit's leftover to the caller and clears the allowance the AMM did not use.
    function _refundDust(address token, uint256 leftover) private {
        if (leftover == 0) return;
        IERC20(token).forceApprove(address(amm), 0);
        IERC20(token).safeTransfer(msg.sender, leftover);
    }

    /// @dev Pulls exactly `amount` LP shares of AMM pool `ammPoolId` from the caller, or reverts.
    function _pullLpExact(uint256 ammPoolId, uint256 amount) private {
        IERC6909 shares = IERC6909(address(amm));
        uint256 balanceBefore = shares.balanceOf(address(this), ammPoolId);
        shares.transferFrom(msg.sender, address(this), ammPoolId, amount);
        uint256 received = shares.balanceOf(address(this), ammPoolId) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(address(shares), amount, received);
    }

    /// @dev Pays `amount` LP shares of AMM pool `ammPoolId` to the caller. The AMM is the protocol's own ERC-6909
    /// (no hooks, no fees), and its `transfer` reverts rather than return false, so no balance check is needed.
    function _pushLp(uint256 ammPoolId, uint256 amount) private {
        IERC6909(address(amm)).transfer(msg.sender, ammPoolId, amount);
    }

    /// @dev Pulls exactly `amount` or reverts: fee-on-transfer tokens would leave the books short.
    function _pullExact(address token, uint256 amount) private {
        if (amount == 0) return;
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(token, amount, received);
    }
}
