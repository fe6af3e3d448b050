// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC6909} from "@openzeppelin/contracts/token/ERC6909/ERC6909.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../interfaces/IAIServiceAMM.sol";
import {ConstantProductMath} from "../libraries/ConstantProductMath.sol";

/// @title AIServiceAMM
/// @notice Constant-product AMM for AI-service tokens: every pool in one contract, LP shares as ERC-6909
/// balances (id = pool id), a dynamic per-pool fee that a keeper moves inside governance-set bounds, and
/// Uniswap-V2-style cumulative prices for time-weighted oracles.
/// @dev LP shares live in this singleton (ERC-6909) rather than one ERC-20 per pool: creating a pool deploys
/// nothing, a multi-hop swap keeps intermediate tokens inside one contract's accounting instead of moving them
/// between pair contracts, and the indexer follows one address. The protocol's share of fees is minted to the
/// treasury as LP shares when liquidity changes (Uniswap V2's `kLast` method), so swaps pay nothing for it.
contract AIServiceAMM is IAIServiceAMM, ERC6909, AccessManaged, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Shares locked forever by the first deposit, so that one share can never be made worth a fortune.
    uint256 public constant MINIMUM_LIQUIDITY = 1_000;
    /// @notice Highest fee governance may allow: 10 %.
    uint24 public constant MAX_FEE = 100_000;
    /// @notice Highest protocol share of fees: half.
    uint16 public constant MAX_PROTOCOL_FEE_SHARE_BPS = 5_000;

    /// @dev The part of a pool written on every swap, kept to one storage slot.
    struct Slot0 {
        uint112 reserve0;
        uint112 reserve1;
        uint32 blockTimestampLast;
    }

    struct Pool {
        Slot0 slot0;
        uint256 price0CumulativeLast;
        uint256 price1CumulativeLast;
        // read on every swap: one slot
        address token0;
        uint24 fee;
        uint40 lastFeeUpdate;
        uint32 minFeeInterval;
        // read on every swap: one slot
        address token1;
        uint24 minFee;
        uint24 maxFee;
        uint24 maxFeeStep;
        // shares in existence, MINIMUM_LIQUIDITY (owned by no one) included
        uint256 totalLiquidity;
        // reserve0 * reserve1 after the last liquidity change, while the protocol fee is on
        uint256 kLast;
    }

    struct DefaultFee {
        uint24 fee;
        FeeBounds bounds;
    }

    mapping(uint256 poolId => Pool) internal _pools;
    mapping(address token0 => mapping(address token1 => uint256)) internal _poolIdPlusOne;
    uint256 internal _poolCount;

    DefaultFee internal _defaultFee;
    /// @notice Receives the protocol's share of fees as LP shares.
    address public treasury;
    /// @notice The protocol's share of swap fees, in basis points of the fee.
    uint16 public protocolFeeShareBps;

    /// @param authority The protocol's AccessManager.
    /// @param initialTreasury Receives the protocol's share of fees.
    /// @param initialFee Fee of new pools, in pips.
    /// @param initialBounds Fee bounds of new pools.
    constructor(address authority, address initialTreasury, uint24 initialFee, FeeBounds memory initialBounds)
        AccessManaged(authority)
    {
        _setDefaultFee(initialFee, initialBounds);
        _setTreasury(initialTreasury);
    }

    // ─── Pools and liquidity ──────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIServiceAMM
    function createPool(address tokenA, address tokenB) external whenNotPaused returns (uint256 poolId) {
        if (tokenA == tokenB) revert IdenticalTokens(tokenA);
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        if (token0 == address(0)) revert ZeroAddress();
        if (token0.code.length == 0) revert NotAContract(token0);
        if (token1.code.length == 0) revert NotAContract(token1);
        uint256 existing = _poolIdPlusOne[token0][token1];
        if (existing != 0) revert PoolAlreadyExists(token0, token1, existing - 1);

        poolId = _poolCount++;
        _poolIdPlusOne[token0][token1] = poolId + 1;
        DefaultFee memory defaults = _defaultFee;
        Pool storage pool = _pools[poolId];
        pool.token0 = token0;
        pool.token1 = token1;
        pool.fee = defaults.fee;
        pool.minFeeInterval = defaults.bounds.minInterval;
        pool.minFee = defaults.bounds.minFee;
        pool.maxFee = defaults.bounds.maxFee;
        pool.maxFeeStep = defaults.bounds.maxStep;

        emit PoolCreated(poolId, token0, token1, defaults.fee, defaults.bounds);
    }

    /// @inheritdoc IAIServiceAMM
    function addLiquidity(
        uint256 poolId,
        uint256 amount0Desired,
        uint256 amount1Desired,
        uint256 amount0Min,
        uint256 amount1Min,
        address recipient,
        uint256 deadline
    ) external nonReentrant whenNotPaused returns (uint256 amount0, uint256 amount1, uint256 liquidity) {
        _checkDeadline(deadline);
        if (recipient == address(0)) revert ZeroAddress();
        Pool storage pool = _existingPool(poolId);
        Slot0 memory slot0 = pool.slot0;
        (amount0, amount1) = _depositAmounts(pool.totalLiquidity, slot0, amount0Desired, amount1Desired);
        if (amount0 < amount0Min) revert SlippageExceeded(amount0, amount0Min);
        if (amount1 < amount1Min) revert SlippageExceeded(amount1, amount1Min);
        liquidity = _mintLiquidity(poolId, pool, slot0, amount0, amount1, recipient);

        _pullExact(pool.token0, amount0);
        _pullExact(pool.token1, amount1);
    }

    /// @inheritdoc IAIServiceAMM
    function removeLiquidity(
        uint256 poolId,
        uint256 liquidity,
        uint256 amount0Min,
        uint256 amount1Min,
        address recipient,
        uint256 deadline
    ) external nonReentrant returns (uint256 amount0, uint256 amount1) {
        _checkDeadline(deadline);
        if (recipient == address(0)) revert ZeroAddress();
        if (liquidity == 0) revert ZeroAmount();
        Pool storage pool = _existingPool(poolId);
        (amount0, amount1) = _burnLiquidity(poolId, pool, liquidity, recipient);
        if (amount0 < amount0Min) revert SlippageExceeded(amount0, amount0Min);
        if (amount1 < amount1Min) revert SlippageExceeded(amount1, amount1Min);

        IERC20(pool.token0).safeTransfer(recipient, amount0);
        IERC20(pool.token1).safeTransfer(recipient, amount1);
    }

    // ─── Swaps ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIServiceAMM
    function swapExactInputSingle(
        uint256 poolId,
        address tokenIn,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        uint256 deadline
    ) external nonReentrant whenNotPaused returns (uint256 amountOut) {
        _checkSwapArgs(amountIn, recipient, deadline);
        Pool storage pool = _pools[poolId];
        (bool zeroForOne, address tokenOut) = _direction(poolId, pool, tokenIn);
        amountOut = _swapExactIn(poolId, pool, zeroForOne, amountIn, recipient);
        if (amountOut < minAmountOut) revert SlippageExceeded(amountOut, minAmountOut);

        _pullExact(tokenIn, amountIn);
        IERC20(tokenOut).safeTransfer(recipient, amountOut);
    }

    /// @inheritdoc IAIServiceAMM
    function swapExactOutputSingle(
        uint256 poolId,
        address tokenIn,
        uint256 amountOut,
        uint256 maxAmountIn,
        address recipient,
        uint256 deadline
    ) external nonReentrant whenNotPaused returns (uint256 amountIn) {
        _checkSwapArgs(amountOut, recipient, deadline);
        Pool storage pool = _pools[poolId];
        (bool zeroForOne, address tokenOut) = _direction(poolId, pool, tokenIn);
        amountIn = _swapExactOut(poolId, pool, zeroForOne, amountOut, recipient);
        if (amountIn > maxAmountIn) revert SlippageExceeded(amountIn, maxAmountIn);

        _pullExact(tokenIn, amountIn);
        IERC20(tokenOut).safeTransfer(recipient, amountOut);
    }

    /// @inheritdoc IAIServiceAMM
    function swapExactInput(
        uint256[] calldata poolIds,
        address tokenIn,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        uint256 deadline
    ) external nonReentrant whenNotPaused returns (uint256 amountOut) {
        _checkSwapArgs(amountIn, recipient, deadline);
        if (poolIds.length == 0) revert EmptyPath();
        address token = tokenIn;
        amountOut = amountIn;
        for (uint256 i; i < poolIds.length; ++i) {
            Pool storage pool = _pools[poolIds[i]];
            (bool zeroForOne, address tokenOut) = _direction(poolIds[i], pool, token);
            address hopRecipient = i + 1 == poolIds.length ? recipient : address(this);
            amountOut = _swapExactIn(poolIds[i], pool, zeroForOne, amountOut, hopRecipient);
            token = tokenOut;
        }
        if (amountOut < minAmountOut) revert SlippageExceeded(amountOut, minAmountOut);

        _pullExact(tokenIn, amountIn);
        IERC20(token).safeTransfer(recipient, amountOut);
    }

    /// @inheritdoc IAIServiceAMM
    function swapExactOutput(
        uint256[] calldata poolIds,
        address tokenIn,
        uint256 amountOut,
        uint256 maxAmountIn,
        address recipient,
        uint256 deadline
    ) external nonReentrant whenNotPaused returns (uint256 amountIn) {
        _checkSwapArgs(amountOut, recipient, deadline);
        uint256[] memory amounts = _quote(poolIds, tokenIn, amountOut, false);
        amountIn = amounts[0];
        if (amountIn > maxAmountIn) revert SlippageExceeded(amountIn, maxAmountIn);

        // Apply the hops forward with the quoted amounts; a pool that appears twice in the path sees the
        // reserves its earlier hop left, so each hop re-checks that its input still buys its output.
        address token = tokenIn;
        uint256 lastHop = poolIds.length - 1;
        for (uint256 i; i <= lastHop; ++i) {
            address hopRecipient = i == lastHop ? recipient : address(this);
            token = _applyQuotedHop(poolIds[i], token, amounts[i], amounts[i + 1], hopRecipient);
        }

        _pullExact(tokenIn, amountIn);
        IERC20(token).safeTransfer(recipient, amountOut);
    }

    // ─── Fees and administration ──────────────────────────────────────────────────────────────

    /// @inheritdoc IAIServiceAMM
    function setFee(uint256 poolId, uint24 newFee) external restricted {
        Pool storage pool = _existingPool(poolId);
        uint24 oldFee = pool.fee;
        if (newFee < pool.minFee || newFee > pool.maxFee) {
            revert FeeOutOfBounds(newFee, pool.minFee, pool.maxFee);
        }
        uint24 step = newFee > oldFee ? newFee - oldFee : oldFee - newFee;
        if (step > pool.maxFeeStep) revert FeeStepTooLarge(oldFee, newFee, pool.maxFeeStep);
        // At least one second apart even with minInterval 0: a keeper may move the fee by one step per block,
        // never by several steps in a single block.
        uint256 nextAllowedAt = uint256(pool.lastFeeUpdate) + Math.max(pool.minFeeInterval, 1);
        if (pool.lastFeeUpdate != 0 && block.timestamp < nextAllowedAt) {
            revert FeeUpdateTooSoon(nextAllowedAt);
        }

        pool.fee = newFee;
        pool.lastFeeUpdate = uint40(block.timestamp);
        emit FeeUpdated(poolId, oldFee, newFee, msg.sender);
    }

    /// @inheritdoc IAIServiceAMM
    function setFeeBounds(uint256 poolId, FeeBounds calldata feeBounds) external restricted {
        _checkFeeBounds(feeBounds);
        Pool storage pool = _existingPool(poolId);
        pool.minFee = feeBounds.minFee;
        pool.maxFee = feeBounds.maxFee;
        pool.maxFeeStep = feeBounds.maxStep;
        pool.minFeeInterval = feeBounds.minInterval;
        emit FeeBoundsSet(poolId, feeBounds);

        uint24 oldFee = pool.fee;
        uint24 clamped = uint24(Math.min(Math.max(oldFee, feeBounds.minFee), feeBounds.maxFee));
        if (clamped != oldFee) {
            pool.fee = clamped;
            emit FeeUpdated(poolId, oldFee, clamped, msg.sender);
        }
    }

    /// @inheritdoc IAIServiceAMM
    function setDefaultFee(uint24 fee, FeeBounds calldata feeBounds) external restricted {
        _setDefaultFee(fee, feeBounds);
    }

    /// @inheritdoc IAIServiceAMM
    function setTreasury(address newTreasury) external restricted {
        _setTreasury(newTreasury);
    }

    /// @inheritdoc IAIServiceAMM
    function setProtocolFeeShare(uint16 shareBps) external restricted {
        if (shareBps > MAX_PROTOCOL_FEE_SHARE_BPS) {
            revert ProtocolFeeShareTooHigh(shareBps, MAX_PROTOCOL_FEE_SHARE_BPS);
        }
        protocolFeeShareBps = shareBps;
        emit ProtocolFeeShareSet(shareBps);
    }

    /// @inheritdoc IAIServiceAMM
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IAIServiceAMM
    function unpause() external restricted {
        _unpause();
    }

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIServiceAMM
    function poolCount() external view returns (uint256) {
        return _poolCount;
    }

    /// @inheritdoc IAIServiceAMM
    function poolIdOf(address tokenA, address tokenB) external view returns (bool exists, uint256 poolId) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        uint256 idPlusOne = _poolIdPlusOne[token0][token1];
        return idPlusOne == 0 ? (false, 0) : (true, idPlusOne - 1);
    }

    /// @inheritdoc IAIServiceAMM
    function getPool(uint256 poolId) external view nonReentrantView returns (PoolView memory) {
        Pool storage pool = _existingPool(poolId);
        return PoolView({
            token0: pool.token0,
            token1: pool.token1,
            reserve0: pool.slot0.reserve0,
            reserve1: pool.slot0.reserve1,
            blockTimestampLast: pool.slot0.blockTimestampLast,
            price0CumulativeLast: pool.price0CumulativeLast,
            price1CumulativeLast: pool.price1CumulativeLast,
            totalLiquidity: pool.totalLiquidity,
            kLast: pool.kLast,
            fee: pool.fee,
            lastFeeUpdate: pool.lastFeeUpdate,
            feeBounds: FeeBounds({
                minFee: pool.minFee,
                maxFee: pool.maxFee,
                maxStep: pool.maxFeeStep,
                minInterval: pool.minFeeInterval
            })
        });
    }

    /// @inheritdoc IAIServiceAMM
    function getReserves(uint256 poolId)
        external
        view
        nonReentrantView
        returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)
    {
        Slot0 memory slot0 = _existingPool(poolId).slot0;
        return (slot0.reserve0, slot0.reserve1, slot0.blockTimestampLast);
    }

    /// @inheritdoc IAIServiceAMM
    function getAmountOut(uint256 poolId, address tokenIn, uint256 amountIn)
        external
        view
        nonReentrantView
        returns (uint256)
    {
        uint256[] memory poolIds = new uint256[](1);
        poolIds[0] = poolId;
        return _quote(poolIds, tokenIn, amountIn, true)[1];
    }

    /// @inheritdoc IAIServiceAMM
    function getAmountIn(uint256 poolId, address tokenIn, uint256 amountOut)
        external
        view
        nonReentrantView
        returns (uint256)
    {
        uint256[] memory poolIds = new uint256[](1);
        poolIds[0] = poolId;
        return _quote(poolIds, tokenIn, amountOut, false)[0];
    }

    /// @inheritdoc IAIServiceAMM
    function calculateOptimalSwap(
        uint256[] calldata poolIds,
        address tokenIn,
        uint256 amount,
        bool exactInput
    ) external view nonReentrantView returns (uint256[] memory amounts) {
        return _quote(poolIds, tokenIn, amount, exactInput);
    }

    /// @inheritdoc IAIServiceAMM
    function optimalSingleSidedSwap(uint256 poolId, address tokenIn, uint256 amountIn)
        external
        view
        nonReentrantView
        returns (uint256 swapAmount)
    {
        Pool storage pool = _existingPool(poolId);
        (bool zeroForOne,) = _direction(poolId, pool, tokenIn);
        uint256 reserveIn = zeroForOne ? pool.slot0.reserve0 : pool.slot0.reserve1;
        if (reserveIn == 0) revert InsufficientLiquidity(poolId);
        return ConstantProductMath.singleSidedSwapAmount(amountIn, reserveIn, pool.fee);
    }

    /// @inheritdoc IAIServiceAMM
    function spotPrice(uint256 poolId)
        external
        view
        nonReentrantView
        returns (uint256 price0, uint256 price1)
    {
        Slot0 memory slot0 = _existingPool(poolId).slot0;
        if (slot0.reserve0 == 0 || slot0.reserve1 == 0) revert InsufficientLiquidity(poolId);
        price0 = Math.mulDiv(slot0.reserve1, 1e18, slot0.reserve0);
        price1 = Math.mulDiv(slot0.reserve0, 1e18, slot0.reserve1);
    }

    /// @inheritdoc IAIServiceAMM
    function currentCumulativePrices(uint256 poolId)
        public
        view
        nonReentrantView
        returns (uint256 price0Cumulative, uint256 price1Cumulative, uint32 blockTimestamp)
    {
        Pool storage pool = _existingPool(poolId);
        Slot0 memory slot0 = pool.slot0;
        blockTimestamp = uint32(block.timestamp);
        price0Cumulative = pool.price0CumulativeLast;
        price1Cumulative = pool.price1CumulativeLast;
        // Counterfactual: as if the pool had been touched in this block. Overflow is intended (wrapping).
        unchecked {
            uint32 elapsed = blockTimestamp - slot0.blockTimestampLast;
            if (elapsed > 0 && slot0.reserve0 != 0 && slot0.reserve1 != 0) {
                price0Cumulative += ((uint256(slot0.reserve1) << 112) / slot0.reserve0) * elapsed;
                price1Cumulative += ((uint256(slot0.reserve0) << 112) / slot0.reserve1) * elapsed;
            }
        }
    }

    /// @inheritdoc IAIServiceAMM
    function twapSince(uint256 poolId, uint256 price0CumulativeThen, uint32 timestampThen)
        external
        view
        returns (uint256 price0)
    {
        (uint256 price0CumulativeNow,, uint32 now_) = currentCumulativePrices(poolId);
        unchecked {
            uint32 window = now_ - timestampThen;
            if (window == 0) revert ZeroTwapWindow();
            uint256 averageX112 = (price0CumulativeNow - price0CumulativeThen) / window;
            return Math.mulDiv(averageX112, 1e18, 1 << 112);
        }
    }

    // ─── Internals ────────────────────────────────────────────────────────────────────────────

    /// @dev The amounts to deposit: all of both desired amounts for the first deposit, else the most of
    /// them that keeps the pool's ratio.
    function _depositAmounts(
        uint256 totalLiquidity,
        Slot0 memory slot0,
        uint256 amount0Desired,
        uint256 amount1Desired
    ) private pure returns (uint256 amount0, uint256 amount1) {
        if (totalLiquidity == 0) {
            (amount0, amount1) = (amount0Desired, amount1Desired);
        } else {
            uint256 amount1Optimal = ConstantProductMath.quote(amount0Desired, slot0.reserve0, slot0.reserve1);
            if (amount1Optimal <= amount1Desired) {
                (amount0, amount1) = (amount0Desired, amount1Optimal);
            } else {
                uint256 amount0Optimal =
                    ConstantProductMath.quote(amount1Desired, slot0.reserve1, slot0.reserve0);
                (amount0, amount1) = (amount0Optimal, amount1Desired);
            }
        }
        if (amount0 == 0 || amount1 == 0) revert ZeroAmount();
    }

    /// @dev Books a deposit: protocol fee, shares, reserves, event. The caller pulls the tokens afterwards.
    function _mintLiquidity(
        uint256 poolId,
        Pool storage pool,
        Slot0 memory slot0,
        uint256 amount0,
        uint256 amount1,
        address recipient
    ) private returns (uint256 liquidity) {
        uint256 newReserve0 = slot0.reserve0 + amount0;
        uint256 newReserve1 = slot0.reserve1 + amount1;
        if (newReserve0 > type(uint112).max || newReserve1 > type(uint112).max) {
            revert ReserveOverflow(poolId);
        }

        bool feeOn = _mintProtocolFee(poolId, pool, slot0.reserve0, slot0.reserve1);
        uint256 total = pool.totalLiquidity;
        if (total == 0) {
            uint256 root = Math.sqrt(amount0 * amount1);
            if (root <= MINIMUM_LIQUIDITY) revert InsufficientLiquidityMinted();
            liquidity = root - MINIMUM_LIQUIDITY;
            total = MINIMUM_LIQUIDITY;
        } else {
            liquidity = Math.min((amount0 * total) / slot0.reserve0, (amount1 * total) / slot0.reserve1);
            if (liquidity == 0) revert InsufficientLiquidityMinted();
        }
        pool.totalLiquidity = total + liquidity;
        _writeReserves(pool, slot0, newReserve0, newReserve1);
        if (feeOn) pool.kLast = newReserve0 * newReserve1;
        _mint(recipient, poolId, liquidity);

        emit LiquidityAdded(
            poolId,
            msg.sender,
            recipient,
            amount0,
            amount1,
            liquidity,
            uint112(newReserve0),
            uint112(newReserve1)
        );
    }

    /// @dev Books a withdrawal: protocol fee, burn, reserves, event. The caller pays the tokens out.
    function _burnLiquidity(uint256 poolId, Pool storage pool, uint256 liquidity, address recipient)
        private
        returns (uint256 amount0, uint256 amount1)
    {
        Slot0 memory slot0 = pool.slot0;
        bool feeOn = _mintProtocolFee(poolId, pool, slot0.reserve0, slot0.reserve1);
        uint256 total = pool.totalLiquidity;
        amount0 = (liquidity * slot0.reserve0) / total;
        amount1 = (liquidity * slot0.reserve1) / total;
        if (amount0 == 0 || amount1 == 0) revert InsufficientLiquidityBurned();

        _burn(msg.sender, poolId, liquidity);
        pool.totalLiquidity = total - liquidity;
        uint256 newReserve0 = slot0.reserve0 - amount0;
        uint256 newReserve1 = slot0.reserve1 - amount1;
        _writeReserves(pool, slot0, newReserve0, newReserve1);
        if (feeOn) pool.kLast = newReserve0 * newReserve1;

        emit LiquidityRemoved(
            poolId,
            msg.sender,
            recipient,
            amount0,
            amount1,
            liquidity,
            uint112(newReserve0),
            uint112(newReserve1)
        );
    }

    function _swapExactIn(
        uint256 poolId,
        Pool storage pool,
        bool zeroForOne,
        uint256 amountIn,
        address recipient
    ) private returns (uint256 amountOut) {
        Slot0 memory slot0 = pool.slot0;
        (uint256 reserveIn, uint256 reserveOut) =
            zeroForOne ? (slot0.reserve0, slot0.reserve1) : (slot0.reserve1, slot0.reserve0);
        amountOut = ConstantProductMath.getAmountOut(amountIn, reserveIn, reserveOut, pool.fee);
        if (amountOut == 0) revert InsufficientOutputAmount();
        _applySwap(poolId, pool, slot0, zeroForOne, amountIn, amountOut, recipient);
    }

    function _swapExactOut(
        uint256 poolId,
        Pool storage pool,
        bool zeroForOne,
        uint256 amountOut,
        address recipient
    ) private returns (uint256 amountIn) {
        Slot0 memory slot0 = pool.slot0;
        (uint256 reserveIn, uint256 reserveOut) =
            zeroForOne ? (slot0.reserve0, slot0.reserve1) : (slot0.reserve1, slot0.reserve0);
        if (amountOut >= reserveOut) revert InsufficientLiquidity(poolId);
        amountIn = ConstantProductMath.getAmountIn(amountOut, reserveIn, reserveOut, pool.fee);
        _applySwap(poolId, pool, slot0, zeroForOne, amountIn, amountOut, recipient);
    }

    /// @dev Books a hop whose amounts were quoted before any hop ran, re-checking them against the current
    /// reserves (a pool may appear twice in a path).
    function _applyQuotedHop(
        uint256 poolId,
        address tokenIn,
        uint256 amountIn,
        uint256 amountOut,
        address recipient
    ) private returns (address tokenOut) {
        Pool storage pool = _pools[poolId];
        bool zeroForOne;
        (zeroForOne, tokenOut) = _direction(poolId, pool, tokenIn);
        Slot0 memory slot0 = pool.slot0;
        (uint256 reserveIn, uint256 reserveOut) =
            zeroForOne ? (slot0.reserve0, slot0.reserve1) : (slot0.reserve1, slot0.reserve0);
        uint256 deliverable = ConstantProductMath.getAmountOut(amountIn, reserveIn, reserveOut, pool.fee);
        if (deliverable < amountOut) revert SlippageExceeded(deliverable, amountOut);
        _applySwap(poolId, pool, slot0, zeroForOne, amountIn, amountOut, recipient);
    }

    /// @dev Books one hop: new reserves, cumulative prices, event. Tokens move in the caller, after all hops.
    function _applySwap(
        uint256 poolId,
        Pool storage pool,
        Slot0 memory slot0,
        bool zeroForOne,
        uint256 amountIn,
        uint256 amountOut,
        address recipient
    ) private {
        (uint256 newReserve0, uint256 newReserve1) = zeroForOne
            ? (slot0.reserve0 + amountIn, slot0.reserve1 - amountOut)
            : (slot0.reserve0 - amountOut, slot0.reserve1 + amountIn);
        if (newReserve0 > type(uint112).max || newReserve1 > type(uint112).max) {
            revert ReserveOverflow(poolId);
        }
        _writeReserves(pool, slot0, newReserve0, newReserve1);
        emit Swapped(
            poolId,
            msg.sender,
            recipient,
            zeroForOne,
            amountIn,
            amountOut,
            uint112(newReserve0),
            uint112(newReserve1)
        );
    }

    /// @dev Writes new reserves in one SSTORE, first adding the time the old reserves stood to the
    /// cumulative prices (once per block, as Uniswap V2 does). Callers check the uint112 range.
    function _writeReserves(Pool storage pool, Slot0 memory slot0, uint256 newReserve0, uint256 newReserve1)
        private
    {
        uint32 blockTimestamp = uint32(block.timestamp);
        unchecked {
            uint32 elapsed = blockTimestamp - slot0.blockTimestampLast;
            if (elapsed > 0 && slot0.reserve0 != 0 && slot0.reserve1 != 0) {
                pool.price0CumulativeLast += ((uint256(slot0.reserve1) << 112) / slot0.reserve0) * elapsed;
                pool.price1CumulativeLast += ((uint256(slot0.reserve0) << 112) / slot0.reserve1) * elapsed;
            }
        }
        pool.slot0 = Slot0(uint112(newReserve0), uint112(newReserve1), blockTimestamp);
    }

    /// @dev Mints the protocol's share of the fee growth since the last liquidity change to the treasury.
    /// With share φ of the growth of √k from √kLast, the treasury gets s shares such that
    /// s / (T + s) = φ(√k − √kLast) / √k, i.e. s = T·φ(√k − √kLast) / (√k(1 − φ) + φ√kLast).
    function _mintProtocolFee(uint256 poolId, Pool storage pool, uint256 reserve0, uint256 reserve1)
        private
        returns (bool feeOn)
    {
        address to = treasury;
        uint256 shareBps = protocolFeeShareBps;
        feeOn = shareBps != 0 && to != address(0);
        uint256 kLast = pool.kLast;
        if (feeOn) {
            if (kLast == 0) return feeOn;
            uint256 rootK = Math.sqrt(reserve0 * reserve1);
            uint256 rootKLast = Math.sqrt(kLast);
            if (rootK <= rootKLast) return feeOn;
            uint256 numerator = pool.totalLiquidity * (rootK - rootKLast) * shareBps;
            uint256 denominator = rootK * (10_000 - shareBps) + rootKLast * shareBps;
            uint256 liquidity = numerator / denominator;
            if (liquidity == 0) return feeOn;
            pool.totalLiquidity += liquidity;
            _mint(to, poolId, liquidity);
            emit ProtocolFeeMinted(poolId, to, liquidity);
        } else if (kLast != 0) {
            pool.kLast = 0;
        }
    }

    /// @dev Pulls exactly `amount` from the caller; a token that delivers less (fee on transfer) is rejected.
    function _pullExact(address token, uint256 amount) private {
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(token, amount, received);
    }

    function _quote(uint256[] memory poolIds, address tokenIn, uint256 amount, bool exactInput)
        private
        view
        returns (uint256[] memory amounts)
    {
        uint256 hops = poolIds.length;
        if (hops == 0) revert EmptyPath();
        if (amount == 0) revert ZeroAmount();
        amounts = new uint256[](hops + 1);
        // Walk forward once to learn each hop's direction and reserves.
        uint256[] memory reserveIn = new uint256[](hops);
        uint256[] memory reserveOut = new uint256[](hops);
        uint256[] memory fees = new uint256[](hops);
        bool[] memory zeroForOnes = new bool[](hops);
        address token = tokenIn;
        for (uint256 i; i < hops; ++i) {
            Pool storage pool = _pools[poolIds[i]];
            (bool zeroForOne, address tokenOut) = _direction(poolIds[i], pool, token);
            Slot0 memory slot0 = pool.slot0;
            (reserveIn[i], reserveOut[i]) =
                zeroForOne ? (slot0.reserve0, slot0.reserve1) : (slot0.reserve1, slot0.reserve0);
            if (reserveIn[i] == 0 || reserveOut[i] == 0) revert InsufficientLiquidity(poolIds[i]);
            fees[i] = pool.fee;
            zeroForOnes[i] = zeroForOne;
            token = tokenOut;
        }
        if (exactInput) {
            amounts[0] = amount;
            for (uint256 i; i < hops; ++i) {
                uint256 out =
                    ConstantProductMath.getAmountOut(amounts[i], reserveIn[i], reserveOut[i], fees[i]);
                if (out == 0) revert InsufficientOutputAmount();
                amounts[i + 1] = out;
                // A later hop through the same pool trades against the reserves this hop leaves, as
                // swapExactInput executes it.
                for (uint256 j = i + 1; j < hops; ++j) {
                    if (poolIds[j] != poolIds[i]) continue;
                    if (zeroForOnes[j] == zeroForOnes[i]) {
                        reserveIn[j] += amounts[i];
                        reserveOut[j] -= out;
                    } else {
                        reserveIn[j] -= out;
                        reserveOut[j] += amounts[i];
                    }
                }
            }
        } else {
            // Exact output is quoted backwards against the reserves before the swap; swapExactOutput re-checks
            // each hop against the live reserves, so a path that uses a pool twice in the same direction may
            // revert there (SlippageExceeded) rather than overpay.
            amounts[hops] = amount;
            for (uint256 i = hops; i > 0; --i) {
                if (amounts[i] >= reserveOut[i - 1]) revert InsufficientLiquidity(poolIds[i - 1]);
                amounts[i - 1] = ConstantProductMath.getAmountIn(
                    amounts[i], reserveIn[i - 1], reserveOut[i - 1], fees[i - 1]
                );
            }
        }
    }

    function _direction(uint256 poolId, Pool storage pool, address tokenIn)
        private
        view
        returns (bool zeroForOne, address tokenOut)
    {
        address token0 = pool.token0;
        if (token0 == address(0)) revert UnknownPool(poolId);
        address token1 = pool.token1;
        if (tokenIn == token0) return (true, token1);
        if (tokenIn == token1) return (false, token0);
        revert TokenNotInPool(poolId, tokenIn);
    }

    function _existingPool(uint256 poolId) private view returns (Pool storage pool) {
        pool = _pools[poolId];
        if (pool.token0 == address(0)) revert UnknownPool(poolId);
    }

    function _checkSwapArgs(uint256 amount, address recipient, uint256 deadline) private view {
        _checkDeadline(deadline);
        if (amount == 0) revert ZeroAmount();
        if (recipient == address(0)) revert ZeroAddress();
    }

    function _checkDeadline(uint256 deadline) private view {
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
    }

    function _checkFeeBounds(FeeBounds memory bounds) private pure {
        if (bounds.minFee > bounds.maxFee || bounds.maxFee > MAX_FEE || bounds.maxStep > bounds.maxFee) {
            revert InvalidFeeBounds(bounds.minFee, bounds.maxFee, bounds.maxStep);
        }
    }

    function _setDefaultFee(uint24 fee, FeeBounds memory bounds) private {
        _checkFeeBounds(bounds);
        if (fee < bounds.minFee || fee > bounds.maxFee) {
            revert FeeOutOfBounds(fee, bounds.minFee, bounds.maxFee);
        }
        _defaultFee = DefaultFee(fee, bounds);
        emit DefaultFeeSet(fee, bounds);
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0)) revert ZeroAddress();
        treasury = newTreasury;
        emit TreasurySet(newTreasury);
    }
}
