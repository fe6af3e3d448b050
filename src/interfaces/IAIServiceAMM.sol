// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAIServiceAMM
/// @notice A constant-product AMM for AI-service tokens. One contract holds every pool; pools are keyed by a
/// sequential id that is also the ERC-6909 id of the pool's LP shares.
/// @dev Fees are in pips: 1 pip = 1e-6, so 3_000 pips = 0.30 %.
interface IAIServiceAMM {
    /// @notice Governance-set limits within which the fee keeper may move a pool's fee.
    struct FeeBounds {
        uint24 minFee;
        uint24 maxFee;
        uint24 maxStep;
        uint32 minInterval;
    }

    /// @notice A pool's full state, as returned by {getPool}.
    struct PoolView {
        address token0;
        address token1;
        uint112 reserve0;
        uint112 reserve1;
        uint32 blockTimestampLast;
        uint256 price0CumulativeLast;
        uint256 price1CumulativeLast;
        uint256 totalLiquidity;
        uint256 kLast;
        uint24 fee;
        uint40 lastFeeUpdate;
        FeeBounds feeBounds;
    }

    // ─── Errors ───────────────────────────────────────────────────────────────────────────────

    error ZeroAddress();
    error NotAContract(address account);
    error IdenticalTokens(address token);
    error PoolAlreadyExists(address token0, address token1, uint256 poolId);
    error UnknownPool(uint256 poolId);
    error TokenNotInPool(uint256 poolId, address token);
    error ZeroAmount();
    error DeadlineExpired(uint256 deadline, uint256 timestamp);
    error SlippageExceeded(uint256 amount, uint256 limit);
    error InsufficientLiquidity(uint256 poolId);
    error InsufficientLiquidityMinted();
    error InsufficientLiquidityBurned();
    error InsufficientOutputAmount();
    error ZeroTwapWindow();
    error ReserveOverflow(uint256 poolId);
    error TransferAmountMismatch(address token, uint256 expected, uint256 received);
    error EmptyPath();
    error InvalidFeeBounds(uint24 minFee, uint24 maxFee, uint24 maxStep);
    error FeeOutOfBounds(uint24 fee, uint24 minFee, uint24 maxFee);
    error FeeStepTooLarge(uint24 oldFee, uint24 newFee, uint24 maxStep);
    error FeeUpdateTooSoon(uint256 nextAllowedAt);
    error ProtocolFeeShareTooHigh(uint16 shareBps, uint16 maxShareBps);

    // ─── Events ───────────────────────────────────────────────────────────────────────────────

    event PoolCreated(
        uint256 indexed poolId,
        address indexed token0,
        address indexed token1,
        uint24 fee,
        FeeBounds feeBounds
    );
    event LiquidityAdded(
        uint256 indexed poolId,
        address indexed provider,
        address indexed recipient,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity,
        uint112 reserve0,
        uint112 reserve1
    );
    event LiquidityRemoved(
        uint256 indexed poolId,
        address indexed provider,
        address indexed recipient,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity,
        uint112 reserve0,
        uint112 reserve1
    );
    /// @dev One event per hop; reserves are the pool's reserves after the hop.
    event Swapped(
        uint256 indexed poolId,
        address indexed sender,
        address indexed recipient,
        bool zeroForOne,
        uint256 amountIn,
        uint256 amountOut,
        uint112 reserve0,
        uint112 reserve1
    );
    event FeeUpdated(uint256 indexed poolId, uint24 oldFee, uint24 newFee, address indexed updatedBy);
    event FeeBoundsSet(uint256 indexed poolId, FeeBounds feeBounds);
    event DefaultFeeSet(uint24 fee, FeeBounds feeBounds);
    event ProtocolFeeMinted(uint256 indexed poolId, address indexed treasury, uint256 liquidity);
    event TreasurySet(address indexed treasury);
    event ProtocolFeeShareSet(uint16 shareBps);

    // ─── Pools and liquidity ──────────────────────────────────────────────────────────────────

    /// @notice Creates the pool for a token pair with the default fee and bounds. Anyone may call it.
    /// @param tokenA One token of the pair (order does not matter).
    /// @param tokenB The other token of the pair.
    /// @return poolId The new pool's id, also the ERC-6909 id of its LP shares.
    function createPool(address tokenA, address tokenB) external returns (uint256 poolId);

    /// @notice Adds liquidity at the pool's current ratio; the first deposit sets the price and locks
    /// `MINIMUM_LIQUIDITY` shares forever against share-inflation attacks.
    /// @param poolId The pool.
    /// @param amount0Desired Most of token0 to deposit.
    /// @param amount1Desired Most of token1 to deposit.
    /// @param amount0Min Least of token0 to deposit, or the call reverts.
    /// @param amount1Min Least of token1 to deposit, or the call reverts.
    /// @param recipient Receives the LP shares.
    /// @param deadline Latest block timestamp at which the call may execute.
    /// @return amount0 Token0 actually deposited.
    /// @return amount1 Token1 actually deposited.
    /// @return liquidity LP shares minted to `recipient`.
    function addLiquidity(
        uint256 poolId,
        uint256 amount0Desired,
        uint256 amount1Desired,
        uint256 amount0Min,
        uint256 amount1Min,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amount0, uint256 amount1, uint256 liquidity);

    /// @notice Burns the caller's LP shares for their pro-rata part of both reserves. Stays open while paused.
    /// @param poolId The pool.
    /// @param liquidity LP shares to burn.
    /// @param amount0Min Least token0 to receive.
    /// @param amount1Min Least token1 to receive.
    /// @param recipient Receives the tokens.
    /// @param deadline Latest block timestamp at which the call may execute.
    /// @return amount0 Token0 paid out.
    /// @return amount1 Token1 paid out.
    function removeLiquidity(
        uint256 poolId,
        uint256 liquidity,
        uint256 amount0Min,
        uint256 amount1Min,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amount0, uint256 amount1);

    // ─── Swaps ────────────────────────────────────────────────────────────────────────────────

    /// @notice Swaps an exact amount of `tokenIn` in one pool.
    /// @param poolId The pool.
    /// @param tokenIn The token paid in; the other token of the pool is paid out.
    /// @param amountIn Exact amount paid in.
    /// @param minAmountOut Least amount out, or the call reverts.
    /// @param recipient Receives the output.
    /// @param deadline Latest block timestamp at which the call may execute.
    /// @return amountOut Amount paid out.
    function swapExactInputSingle(
        uint256 poolId,
        address tokenIn,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amountOut);

    /// @notice Swaps for an exact amount out in one pool.
    /// @param poolId The pool.
    /// @param tokenIn The token paid in.
    /// @param amountOut Exact amount of the other token paid out.
    /// @param maxAmountIn Most of `tokenIn` to pay, or the call reverts.
    /// @param recipient Receives the output.
    /// @param deadline Latest block timestamp at which the call may execute.
    /// @return amountIn Amount paid in.
    function swapExactOutputSingle(
        uint256 poolId,
        address tokenIn,
        uint256 amountOut,
        uint256 maxAmountIn,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amountIn);

    /// @notice Swaps an exact amount in through several pools in one call; intermediate tokens never leave the AMM.
    /// @param poolIds The pools, in hop order.
    /// @param tokenIn The token paid into the first pool.
    /// @param amountIn Exact amount paid in.
    /// @param minAmountOut Least amount out of the last pool.
    /// @param recipient Receives the final output.
    /// @param deadline Latest block timestamp at which the call may execute.
    /// @return amountOut Amount paid out of the last pool.
    function swapExactInput(
        uint256[] calldata poolIds,
        address tokenIn,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amountOut);

    /// @notice Swaps through several pools for an exact amount out of the last one.
    /// @dev The amounts are quoted backwards against the reserves before the swap, then each hop is re-checked
    /// against the live reserves: a path that uses a pool twice in the same direction reverts with
    /// `SlippageExceeded` rather than deliver less; used in opposite directions, the pool keeps the small surplus.
    /// @param poolIds The pools, in hop order.
    /// @param tokenIn The token paid into the first pool.
    /// @param amountOut Exact amount paid out of the last pool.
    /// @param maxAmountIn Most of `tokenIn` to pay.
    /// @param recipient Receives the final output.
    /// @param deadline Latest block timestamp at which the call may execute.
    /// @return amountIn Amount paid into the first pool.
    function swapExactOutput(
        uint256[] calldata poolIds,
        address tokenIn,
        uint256 amountOut,
        uint256 maxAmountIn,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amountIn);

    // ─── Fees and administration ──────────────────────────────────────────────────────────────

    /// @notice Moves a pool's fee within its bounds, by at most `maxStep`, at most once per `minInterval`.
    /// @dev Restricted: the fee keeper role.
    function setFee(uint256 poolId, uint24 newFee) external;

    /// @notice Sets the bounds within which the fee keeper may move a pool's fee; clamps the fee into them.
    /// @dev Restricted: the admin (governance).
    function setFeeBounds(uint256 poolId, FeeBounds calldata feeBounds) external;

    /// @notice Sets the fee and bounds that new pools start with.
    /// @dev Restricted: the admin (governance).
    function setDefaultFee(uint24 fee, FeeBounds calldata feeBounds) external;

    /// @notice Sets the treasury that receives the protocol's share of fees as LP shares.
    /// @dev Restricted: the admin (governance). Fee growth not yet settled (settlement happens at each pool's
    /// next liquidity change) goes to the new treasury.
    function setTreasury(address treasury) external;

    /// @notice Sets the protocol's share of swap fees, in basis points of the fee (at most `MAX_PROTOCOL_FEE_SHARE_BPS`).
    /// @dev Restricted: the admin (governance). As in Uniswap V2, the share is applied when a pool's liquidity
    /// next changes, to all fee growth since its previous liquidity change: a new share applies to growth
    /// earned under the old one, and switching the fee off and on again between two liquidity changes
    /// charges the whole period.
    function setProtocolFeeShare(uint16 shareBps) external;

    /// @notice Halts pool creation, deposits and swaps; removals stay open. Restricted: the guardian.
    function pause() external;

    /// @notice Resumes deposits and swaps. Restricted: the guardian.
    function unpause() external;

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @notice Number of pools created; pool ids run from 0 to `poolCount() - 1`.
    function poolCount() external view returns (uint256);

    /// @notice The id of the pool for a pair, in either order, and whether it exists.
    function poolIdOf(address tokenA, address tokenB) external view returns (bool exists, uint256 poolId);

    /// @notice A pool's full state. The price and quote views below revert with `ReentrancyGuardReentrantCall`
    /// while a state-changing call is under way (a token's transfer hook cannot read half-updated state).
    /// @dev Also: the fee keeper may move a fee at most once per block even when `minInterval` is 0.
    function getPool(uint256 poolId) external view returns (PoolView memory);

    /// @notice A pool's reserves and the timestamp of their last update.
    function getReserves(uint256 poolId)
        external
        view
        returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);

    /// @notice Amount out for an exact amount in, at the pool's current fee.
    function getAmountOut(uint256 poolId, address tokenIn, uint256 amountIn) external view returns (uint256);

    /// @notice Amount in needed for an exact amount out, at the pool's current fee.
    function getAmountIn(uint256 poolId, address tokenIn, uint256 amountOut) external view returns (uint256);

    /// @notice Quotes a swap through a path, exact in (amounts[0] = amount in) or exact out (last = amount out).
    /// @dev Exact in, a pool that appears twice is quoted against the reserves its earlier hop leaves, exactly as
    /// {swapExactInput} executes. Exact out is quoted against the reserves before the swap (see {swapExactOutput}).
    /// @return amounts The amount entering each hop, then the final output: `poolIds.length + 1` entries.
    function calculateOptimalSwap(
        uint256[] calldata poolIds,
        address tokenIn,
        uint256 amount,
        bool exactInput
    ) external view returns (uint256[] memory amounts);

    /// @notice How much of `amountIn` to swap first so that the rest and the swap output deposit at the
    /// pool's ratio with nothing left over (a single-sided deposit).
    function optimalSingleSidedSwap(uint256 poolId, address tokenIn, uint256 amountIn)
        external
        view
        returns (uint256 swapAmount);

    /// @notice Spot prices as 1e18 fixed point: token1 per token0 and token0 per token1 (raw units).
    function spotPrice(uint256 poolId) external view returns (uint256 price0, uint256 price1);

    /// @notice Cumulative prices (UQ112x112 × seconds, wrapping) as of the current block, for TWAP oracles.
    function currentCumulativePrices(uint256 poolId)
        external
        view
        returns (uint256 price0Cumulative, uint256 price1Cumulative, uint32 blockTimestamp);

    /// @notice Time-weighted average price of token0 in token1 (1e18 fixed point) since an earlier observation.
    /// @param poolId The pool.
    /// @param price0CumulativeThen `price0Cumulative` from {currentCumulativePrices} at the earlier time.
    /// @param timestampThen `blockTimestamp` from the same call.
    function twapSince(uint256 poolId, uint256 price0CumulativeThen, uint32 timestampThen)
        external
        view
        returns (uint256 price0);
}
