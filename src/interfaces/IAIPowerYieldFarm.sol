// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIServiceAMM} from "./IAIServiceAMM.sol";

/// @title IAIPowerYieldFarm
/// @notice Staking farm for AI-compute tokens. One contract holds every pool; a pool pays one reward token, at a
/// rate per second until its period ends, to the stakers of one staking token (any ERC-20, AITBC first), in
/// proportion to their weighted stake. Rewards are funded up front: the rate can never promise more than the
/// pool's remaining budget, so the sum of all claims never exceeds what was deposited. A pool stakes either an
/// ERC-20 ({createPool}) or the AMM's ERC-6909 LP shares of one AMM pool ({createLpPool}).
/// @dev Lock tiers and their weight boosts (basis points of the staked amount):
/// - no lock (0 s): 1.0× (10_000)
/// - 30 days: 1.5× (15_000)
/// - 90 days: 2.0× (20_000)
/// - 180 days: 2.5× (25_000)
/// Any other lock duration is refused. Early exit: unstaking a stake before its lock ends is refused with
/// {LockNotExpired}; there is no penalty path. Rewards keep accruing to a locked stake and may be claimed at any
/// time.
/// LP pools: the staking token is the AMM contract and the staked asset its ERC-6909 id `ammPoolId`; the staker
/// approves the farm for that id (or makes it an operator) and the farm pulls with `transferFrom`. OpenZeppelin's
/// ERC-6909 has no receiver hook, so the farm needs none.
interface IAIPowerYieldFarm {
    /// @notice Governance-set limits within which the APY keeper may move a pool's reward rate.
    struct RateBounds {
        uint128 minRate;
        uint128 maxRate;
        uint128 maxStep;
        uint32 minInterval;
    }

    /// @notice One stake of an account in a pool.
    struct Stake {
        uint128 amount;
        uint64 lockEnd;
        uint16 multiplierBps;
    }

    /// @notice A pool's full state, as returned by {getPool}.
    struct PoolView {
        address stakingToken;
        address rewardToken;
        uint256 rewardRate;
        uint64 periodFinish;
        uint64 lastUpdateTime;
        uint64 lastRateUpdate;
        uint256 rewardPerWeightStored;
        uint256 totalStaked;
        uint256 totalWeight;
        uint256 undistributed;
        uint256 rewardReserve;
        uint256 totalFunded;
        RateBounds rateBounds;
        bool lpShares;
        uint256 ammPoolId;
    }

    // ─── Errors ───────────────────────────────────────────────────────────────────────────────

    error ZeroAddress();
    error NotAContract(address account);
    error UnknownPool(uint256 poolId);
    error ZeroAmount();
    error ZeroDuration();
    error DurationTooLong(uint256 duration, uint256 maxDuration);
    error InvalidLockDuration(uint256 lockDuration);
    error UnknownStake(uint256 poolId, address account, uint256 stakeId);
    error InsufficientStake(uint256 stakeId, uint256 staked, uint256 requested);
    error LockNotExpired(uint256 stakeId, uint256 lockEnd, uint256 timestamp);
    error NothingToClaim();
    error CompoundRouteUnavailable(address stakingToken, address rewardToken);
    error InvalidRateBounds(uint256 minRate, uint256 maxRate, uint256 maxStep);
    error RateOutOfBounds(uint256 rate, uint256 minRate, uint256 maxRate);
    error RateStepTooLarge(uint256 oldRate, uint256 newRate, uint256 maxStep);
    error RateUpdateTooSoon(uint256 nextAllowedAt);
    error RateExceedsBudget(uint256 rate, uint256 maxAffordableRate);
    error PeriodNotActive(uint256 periodFinish, uint256 timestamp);
    error TransferAmountMismatch(address token, uint256 expected, uint256 received);
    error AmountTooLarge(uint256 amount);
    error UnknownAmmPool(uint256 ammPoolId);
    error NoPriceRoute(uint256 poolId);
    error DeadlineExpired(uint256 deadline, uint256 timestamp);
    error StakeOutTooLow(uint256 stakeOut, uint256 minStakeOut);

    // ─── Events ───────────────────────────────────────────────────────────────────────────────

    event PoolCreated(
        uint256 indexed poolId,
        address indexed stakingToken,
        address indexed rewardToken,
        RateBounds rateBounds,
        bool lpShares,
        uint256 ammPoolId
    );
    event PoolFunded(
        uint256 indexed poolId,
        address indexed funder,
        uint256 amount,
        uint256 duration,
        uint256 rewardRate,
        uint256 periodFinish
    );
    event Staked(
        uint256 indexed poolId,
        address indexed account,
        uint256 indexed stakeId,
        uint256 amount,
        uint256 lockEnd,
        uint256 multiplierBps
    );
    event Unstaked(uint256 indexed poolId, address indexed account, uint256 indexed stakeId, uint256 amount);
    event RewardsClaimed(uint256 indexed poolId, address indexed account, uint256 amount);
    /// @dev `amount` is the rewards taken from the reserve; the new stake's amount is in the {Staked} event emitted
    /// with it (they differ when the rewards were swapped or deposited through the AMM).
    event Compounded(
        uint256 indexed poolId, address indexed account, uint256 indexed stakeId, uint256 amount
    );
    event RewardRateUpdated(
        uint256 indexed poolId, uint256 oldRate, uint256 newRate, address indexed updatedBy
    );
    event RateBoundsSet(uint256 indexed poolId, RateBounds rateBounds);

    // ─── Pools ────────────────────────────────────────────────────────────────────────────────

    /// @notice Creates a pool staking an ERC-20. Farm operator only (the initial bounds; afterwards only governance moves them). A pool pays nothing until funded.
    /// @param stakingToken The ERC-20 stakers deposit.
    /// @param rewardToken The ERC-20 the pool pays (may equal `stakingToken`; otherwise {compound} and {currentApy}
    /// route through the AMM pool of the two tokens).
    /// @param rateBounds Limits for {setRewardRate} and {fundPool}.
    /// @return poolId The new pool's sequential id.
    function createPool(address stakingToken, address rewardToken, RateBounds calldata rateBounds)
        external
        returns (uint256 poolId);

    /// @notice Creates a pool staking the AMM's ERC-6909 LP shares of AMM pool `ammPoolId`. Farm operator only. Its staking
    /// token is reported as the AMM's address. {compound} and {currentApy} work when `rewardToken` is one of the
    /// AMM pool's two tokens.
    /// @param ammPoolId The AMM pool (reverts with {UnknownAmmPool} if it does not exist).
    /// @param rewardToken The ERC-20 the pool pays.
    /// @param rateBounds Limits for {setRewardRate} and {fundPool}.
    /// @return poolId The new pool's sequential id.
    function createLpPool(uint256 ammPoolId, address rewardToken, RateBounds calldata rateBounds)
        external
        returns (uint256 poolId);

    /// @notice Pulls `amount` reward tokens from the caller into the pool's budget and starts a new period of
    /// `duration` seconds at rate (remaining budget + amount) / duration, rounded down. Farm operator only (it can
    /// add rewards, never take any out). The resulting rate must lie within the pool's bounds and, while a period
    /// is running, differ from the current rate by at most maxStep (a top-up cannot steer the rate).
    /// @param poolId The pool.
    /// @param amount Reward tokens to add (not zero).
    /// @param duration Length of the new period, in seconds.
    function fundPool(uint256 poolId, uint256 amount, uint256 duration) external;

    // ─── Staking ──────────────────────────────────────────────────────────────────────────────

    /// @notice Stakes `amount` staking tokens as a new stake, locked for `lockDuration` (one of the lock tiers).
    /// Refused while paused.
    /// @param poolId The pool.
    /// @param amount Staking tokens to deposit.
    /// @param lockDuration 0, 30 days, 90 days or 180 days.
    /// @return stakeId The new stake's index in the caller's stakes of this pool.
    function stake(uint256 poolId, uint256 amount, uint256 lockDuration) external returns (uint256 stakeId);

    /// @notice Withdraws `amount` from one of the caller's stakes once its lock has ended. Open while paused.
    /// @param poolId The pool.
    /// @param stakeId The stake, as returned by {stake}.
    /// @param amount Staking tokens to withdraw (at most the stake's amount).
    function unstake(uint256 poolId, uint256 stakeId, uint256 amount) external;

    /// @notice Pays the caller all rewards earned in the pool. Open while paused.
    /// @param poolId The pool.
    /// @return amount Reward tokens paid.
    function claimRewards(uint256 poolId) external returns (uint256 amount);

    /// @notice Restakes the caller's earned rewards as a new unlocked (1×) stake. Same token: the rewards are staked
    /// as they are. ERC-20 staking token: the rewards are swapped through the AMM pool of (reward, staking) token.
    /// LP pool whose pair holds the reward token: the optimal part is swapped to the other token and both are
    /// deposited as liquidity for the farm; the minted shares are staked and what the deposit leaves of either
    /// token is sent to the caller. Without such a route, reverts with {CompoundRouteUnavailable}. Refused while
    /// paused. The farm approves the AMM for exactly what it spends and leaves no allowance behind.
    /// @param poolId The pool.
    /// @param minStakeOut Least amount of staking token (or LP shares) to stake, or the call reverts (with
    /// {StakeOutTooLow}, or the AMM's slippage error on the swap route).
    /// @param deadline Latest block timestamp at which the call may execute.
    /// @return stakeId The new stake's index.
    /// @return amount Staking tokens (or LP shares) staked.
    function compound(uint256 poolId, uint256 minStakeOut, uint256 deadline)
        external
        returns (uint256 stakeId, uint256 amount);

    // ─── Keeper and governance ────────────────────────────────────────────────────────────────

    /// @notice Moves a pool's reward rate (APY keeper only): within [minRate, maxRate], by at most maxStep, at least
    /// minInterval (and one second) after the previous move, only during an active period, and never above what the
    /// remaining budget can pay until the period ends.
    /// @param poolId The pool.
    /// @param newRate Reward tokens per second for the whole pool.
    function setRewardRate(uint256 poolId, uint256 newRate) external;

    /// @notice Sets a pool's rate bounds (admin only: the governance timelock). A current rate above the new maximum
    /// is lowered to it; during a period, a rate below the new minimum is raised to it, or to the highest rate the
    /// remaining budget can pay until the period ends if that is lower.
    /// @param poolId The pool.
    /// @param rateBounds The new bounds.
    function setRateBounds(uint256 poolId, RateBounds calldata rateBounds) external;

    /// @notice Halts {stake} and {compound} (guardian only). Unstaking after the lock and claims stay open.
    function pause() external;

    /// @notice Lifts the pause (guardian only).
    function unpause() external;

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @notice The AMM whose LP shares LP pools stake and through which {compound} and {currentApy} route.
    function amm() external view returns (IAIServiceAMM);

    /// @notice Number of pools created.
    function poolCount() external view returns (uint256);

    /// @notice A pool's full state.
    function getPool(uint256 poolId) external view returns (PoolView memory);

    /// @notice Rewards `account` could claim now.
    function pendingRewards(uint256 poolId, address account) external view returns (uint256);

    /// @notice Yearly reward per unit of 1× weighted stake, 1e18 fixed point, in reward-token-per-staking-token
    /// units (no price conversion, see {currentApy}). Zero outside an active period or with nothing staked. A locked
    /// stake earns this times its multiplier.
    function currentApr(uint256 poolId) external view returns (uint256);

    /// @notice Yearly reward value over staked value, both in the staking token's terms, 1e18 = 100 %, for a 1×
    /// stake (a locked stake earns this times its multiplier). Despite the name it is an APR: simple interest at the
    /// current rate, not compounded. Same token: {currentApr}. ERC-20 staking token: the reward rate valued at the
    /// AMM spot price of the (reward, staking) pool. LP pool holding the reward token: one LP share valued as
    /// 2 × reserve(reward token) / total shares, in reward tokens. Spot prices can be moved within a block: this is
    /// a display value, not an oracle. Reverts with {NoPriceRoute} when there is no such AMM pool or it is empty.
    /// @param poolId The pool.
    /// @return aprValue The yearly rate, 1e18 fixed point.
    function currentApy(uint256 poolId) external view returns (uint256 aprValue);

    /// @notice Number of stakes `account` has made in the pool (withdrawn ones keep their id, at amount zero).
    function stakeCount(uint256 poolId, address account) external view returns (uint256);

    /// @notice One stake.
    function getStake(uint256 poolId, address account, uint256 stakeId) external view returns (Stake memory);

    /// @notice An account's total staked amount and weight in the pool.
    function accountOf(uint256 poolId, address account) external view returns (uint256 staked, uint256 weight);

    /// @notice Weight multiplier of a lock duration, in basis points; reverts with {InvalidLockDuration} for
    /// durations that are not a tier.
    function lockMultiplierBps(uint256 lockDuration) external pure returns (uint16);
}
