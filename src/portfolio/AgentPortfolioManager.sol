// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IAgentPortfolioManager} from "../interfaces/IAgentPortfolioManager.sol";
import {IAIServiceAMM} from "../interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../interfaces/IComputePriceOracle.sol";
import {PortfolioMath} from "../libraries/PortfolioMath.sol";

/// @title AgentPortfolioManager
/// @notice Custody of agents' portfolios, rebalanced by anyone within owner-set risk limits against the
/// time-weighted oracle.
/// @dev Every operation that prices a portfolio reads the oracle once per asset into a memory `Book` and derives
/// everything from it (weights, drift, trade size, minimum output, loss), so one call sees one set of prices.
/// An asset's price is its time-weighted price in base-token units (UQ112.112): its value, a trade's oracle output
/// and the trade's loss all use this one direction of the pool's TWAP, so they agree with each other.
/// A trade's minimum output is set here, never by the caller, against a reference that resists a sandwich and sees
/// a trend: the better of the output at the time-weighted price and the output at the pools' spot prices as they
/// stood before the block (noted at the manager's first trade of a pool in a block; a trade refuses to run after
/// someone else's trade of its pools earlier in the same block, so that spot price cannot be a front-run's). The
/// time-weighted price cannot be moved inside a block and the pre-block spot price carries the trend the average
/// lags: a same-block sandwich is refused outright, and a trade fills at most its loss limit below both. Its loss —
/// against whichever reference it fell further short of — goes to a leaky-bucket budget, so repeated small losses
/// are bounded too.
contract AgentPortfolioManager is IAgentPortfolioManager, AccessManaged, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Most assets of one portfolio, the base token included.
    uint256 public constant MAX_ASSETS = 8;
    uint256 internal constant BPS = PortfolioMath.BPS;
    uint256 internal constant PPM = PortfolioMath.PPM;
    uint256 internal constant Q112 = PortfolioMath.Q112;

    /// @dev One storage slot: the token and the pool pairing it with the base token (0 for the base itself).
    struct Asset {
        address token;
        uint96 poolId;
    }

    struct Portfolio {
        // slot 0: read by every operation, written when a trade is charged to the loss budget
        address owner;
        uint8 assetCount;
        uint32 lossUsedPpm;
        uint40 lossUpdatedAt;
        // slot 1: the risk limits (flat, so that they share the slot) and the packed targets
        uint16 driftBandBps;
        uint16 maxLossPerTradeBps;
        uint32 lossBudgetPpm;
        uint32 lossWindow;
        uint16 maxChunkBps;
        uint128 targets;
        Asset[MAX_ASSETS] assets;
        // two to a slot (the base token's shares asset 1's: a trade between them writes one slot); a holding above
        // 2^128 − 1 raw units is refused (SafeCast)
        uint128[MAX_ASSETS] holdings;
        StopOrder[MAX_ASSETS] stops;
    }

    /// @dev A portfolio loaded and priced once per call.
    struct Book {
        uint256 count;
        address[MAX_ASSETS] tokens;
        uint256[MAX_ASSETS] pools;
        uint256[MAX_ASSETS] holdings;
        // base-token units per asset unit, UQ112.112 (the base token: 1)
        uint256[MAX_ASSETS] pricesX112;
        uint256[MAX_ASSETS] values;
        uint256 total;
    }

    /// @dev One trade in memory (it has more values than the stack holds). `valueIn` is at the time-weighted
    /// prices, `spotValueIn` at the pre-block spot prices (`spotInX112`, `spotOutX112`); `referenceOut` the larger of
    /// the outputs at the two.
    struct Fill {
        uint256 indexIn;
        uint256 indexOut;
        uint256 amountIn;
        uint256 valueIn;
        uint256 spotInX112;
        uint256 spotOutX112;
        uint256 spotValueIn;
        uint256 referenceOut;
        uint256 minOut;
        uint256 amountOut;
        uint256 lossPpm;
    }

    /// @dev A pool's reserves before the block `timestamp`, noted by the manager's first trade of the pool in that
    /// block (when no trade of the block had moved them yet), so that its later trades in the block — other
    /// portfolios', after whatever trades came between — are priced against them too. One slot.
    struct PreBlockReserves {
        uint112 reserve0;
        uint112 reserve1;
        uint32 timestamp;
    }

    /// @notice The AMM every portfolio trades on.
    IAIServiceAMM public immutable amm;
    /// @notice The time-weighted prices every valuation is computed from (and, with the pre-block spot prices, every
    /// minimum output and loss).
    IComputePriceOracle public immutable oracle;

    mapping(uint256 portfolioId => Portfolio) internal _portfolios;
    mapping(uint256 portfolioId => mapping(address token => uint256)) internal _indexPlusOne;
    uint256 internal _portfolioCount;
    mapping(uint256 poolId => PreBlockReserves) internal _preBlock;

    /// @param authority The protocol's AccessManager (the guardian may pause).
    /// @param amm_ The AMM.
    /// @param oracle_ The time-weighted oracle of the AMM's pools.
    constructor(address authority, IAIServiceAMM amm_, IComputePriceOracle oracle_) AccessManaged(authority) {
        if (address(amm_) == address(0) || address(oracle_) == address(0)) revert ZeroAddress();
        amm = amm_;
        oracle = oracle_;
    }

    // ─── Portfolio set-up ─────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAgentPortfolioManager
    function openPortfolio(
        address[] calldata assets,
        uint256[] calldata pools,
        uint16[] calldata targetWeightsBps,
        RiskLimits calldata limits
    ) external returns (uint256 portfolioId) {
        uint256 count = assets.length;
        if (count == 0) revert NoAssets();
        if (count > MAX_ASSETS) revert TooManyAssets(count, MAX_ASSETS);
        if (pools.length != count || targetWeightsBps.length != count) revert LengthMismatch();
        uint128 targets = PortfolioMath.packTargets(targetWeightsBps);
        _checkLimits(limits);

        portfolioId = _portfolioCount++;
        Portfolio storage p = _portfolios[portfolioId];
        uint256[] memory poolIds = _registerAssets(portfolioId, p, assets, pools);
        p.owner = msg.sender;
        p.assetCount = uint8(count);
        p.lossUpdatedAt = uint40(block.timestamp);
        p.targets = targets;
        _writeLimits(p, limits);

        emit PortfolioOpened(portfolioId, msg.sender, assets, poolIds, targetWeightsBps, limits);
    }

    /// @inheritdoc IAgentPortfolioManager
    function setTargets(uint256 portfolioId, uint16[] calldata targetWeightsBps) external nonReentrant {
        Portfolio storage p = _ownedPortfolio(portfolioId);
        if (targetWeightsBps.length != p.assetCount) revert LengthMismatch();
        p.targets = PortfolioMath.packTargets(targetWeightsBps);
        emit TargetsSet(portfolioId, targetWeightsBps);
    }

    /// @inheritdoc IAgentPortfolioManager
    function setRiskLimits(uint256 portfolioId, RiskLimits calldata limits) external nonReentrant {
        Portfolio storage p = _ownedPortfolio(portfolioId);
        _checkLimits(limits);
        // Settle the bucket at the old drain rate first (a new rate must not apply to time already passed), and
        // hold it to the new budget: a lowered budget starts full, never above its own size.
        p.lossUsedPpm = uint32(Math.min(_lossUsed(p), limits.lossBudgetPpm));
        p.lossUpdatedAt = uint40(block.timestamp);
        _writeLimits(p, limits);
        emit RiskLimitsSet(portfolioId, limits);
    }

    /// @inheritdoc IAgentPortfolioManager
    function setStopOrder(uint256 portfolioId, address asset, uint128 stopLossPrice, uint128 takeProfitPrice)
        external
        nonReentrant
    {
        Portfolio storage p = _ownedPortfolio(portfolioId);
        uint256 index = _assetIndex(portfolioId, asset);
        if (index == 0) revert StopOnBaseToken(portfolioId, asset);
        if (stopLossPrice != 0 && takeProfitPrice != 0 && stopLossPrice >= takeProfitPrice) {
            revert InvalidStopOrder(stopLossPrice, takeProfitPrice);
        }
        p.stops[index] = StopOrder(stopLossPrice, takeProfitPrice);
        emit StopOrderSet(portfolioId, asset, stopLossPrice, takeProfitPrice);
    }

    // ─── Custody ──────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAgentPortfolioManager
    function deposit(uint256 portfolioId, address token, uint256 amount) external nonReentrant whenNotPaused {
        Portfolio storage p = _existingPortfolio(portfolioId);
        if (amount == 0) revert ZeroAmount();
        uint256 index = _assetIndex(portfolioId, token);
        p.holdings[index] = SafeCast.toUint128(p.holdings[index] + amount);
        emit Deposited(portfolioId, token, msg.sender, amount);

        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(token, amount, received);
    }

    /// @inheritdoc IAgentPortfolioManager
    /// @dev Deliberately not `whenNotPaused`: pausing never traps an owner's funds.
    function withdraw(uint256 portfolioId, address token, uint256 amount, address to) external nonReentrant {
        Portfolio storage p = _ownedPortfolio(portfolioId);
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 index = _assetIndex(portfolioId, token);
        uint256 held = p.holdings[index];
        if (amount > held) revert InsufficientHoldings(token, held, amount);
        p.holdings[index] = uint128(held - amount);
        emit Withdrawn(portfolioId, token, to, amount);

        IERC20(token).safeTransfer(to, amount);
    }

    // ─── Trading ──────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAgentPortfolioManager
    function rebalancePortfolio(uint256 portfolioId)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 amountIn, uint256 amountOut)
    {
        Portfolio storage p = _existingPortfolio(portfolioId);
        Book memory book = _load(p);
        _price(book, false);
        (uint256 maxDriftBps, uint256 over, uint256 under, uint256 chunk) = _plan(p, book);
        uint256 band = p.driftBandBps;
        if (maxDriftBps <= band) revert WithinDriftBand(maxDriftBps, band);
        if (chunk == 0) revert ZeroAmount();
        emit Rebalanced(portfolioId, msg.sender, maxDriftBps, book.total);

        amountIn = chunk;
        amountOut = _trade(portfolioId, p, book, over, under, chunk, TradeKind.Rebalance);
    }

    /// @inheritdoc IAgentPortfolioManager
    function executeTrade(uint256 portfolioId, uint256[] calldata poolIds, address tokenIn, uint256 amountIn)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 amountOut)
    {
        Portfolio storage p = _ownedPortfolio(portfolioId);
        if (amountIn == 0) revert ZeroAmount();
        uint256 indexIn = _assetIndex(portfolioId, tokenIn);
        Book memory book = _load(p);
        uint256 indexOut = _walkPath(book, poolIds, indexIn);
        uint256 held = book.holdings[indexIn];
        if (amountIn > held) revert InsufficientHoldings(tokenIn, held, amountIn);
        _price(book, false);

        amountOut = _trade(portfolioId, p, book, indexIn, indexOut, amountIn, TradeKind.Owner);
    }

    /// @inheritdoc IAgentPortfolioManager
    function triggerStop(uint256 portfolioId, address asset)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 amountOut)
    {
        Portfolio storage p = _existingPortfolio(portfolioId);
        uint256 index = _assetIndex(portfolioId, asset);
        if (index == 0) revert StopOnBaseToken(portfolioId, asset);
        StopOrder memory order = p.stops[index];
        Book memory book = _load(p);
        _price(book, false);
        uint256 price = _unitPrice(book, index);
        (bool stopLoss, bool takeProfit) = _stopHits(order, price);
        if (!stopLoss && !takeProfit) {
            revert StopNotTriggered(price, order.stopLossPrice, order.takeProfitPrice);
        }

        // The asset's weight goes to the base token, or the next rebalance would buy back what the stop sold.
        uint128 targets = PortfolioMath.moveTargetToBase(p.targets, index);
        p.targets = targets;
        delete p.stops[index];
        emit StopOrderSet(portfolioId, asset, 0, 0);
        emit TargetsSet(portfolioId, PortfolioMath.unpackTargets(targets, book.count));
        emit StopTriggered(portfolioId, asset, price, stopLoss);

        uint256 held = book.holdings[index];
        if (held != 0) {
            TradeKind kind = stopLoss ? TradeKind.StopLoss : TradeKind.TakeProfit;
            amountOut = _trade(portfolioId, p, book, index, 0, held, kind);
        }
    }

    /// @inheritdoc IAgentPortfolioManager
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IAgentPortfolioManager
    function unpause() external restricted {
        _unpause();
    }

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAgentPortfolioManager
    function portfolioCount() external view returns (uint256) {
        return _portfolioCount;
    }

    /// @inheritdoc IAgentPortfolioManager
    function getPortfolio(uint256 portfolioId)
        external
        view
        nonReentrantView
        returns (PortfolioView memory v)
    {
        Portfolio storage p = _existingPortfolio(portfolioId);
        uint256 count = p.assetCount;
        v.owner = p.owner;
        v.assets = new address[](count);
        v.pools = new uint256[](count);
        v.holdings = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            Asset memory asset = p.assets[i];
            v.assets[i] = asset.token;
            v.pools[i] = asset.poolId;
            v.holdings[i] = p.holdings[i];
        }
        v.targetWeightsBps = PortfolioMath.unpackTargets(p.targets, count);
        v.limits = RiskLimits({
            driftBandBps: p.driftBandBps,
            maxLossPerTradeBps: p.maxLossPerTradeBps,
            lossBudgetPpm: p.lossBudgetPpm,
            lossWindow: p.lossWindow,
            maxChunkBps: p.maxChunkBps
        });
        v.lossUsedPpm = p.lossUsedPpm;
        v.lossUpdatedAt = p.lossUpdatedAt;
    }

    /// @inheritdoc IAgentPortfolioManager
    function holdingOf(uint256 portfolioId, address token) external view nonReentrantView returns (uint256) {
        Portfolio storage p = _existingPortfolio(portfolioId);
        uint256 indexPlusOne = _indexPlusOne[portfolioId][token];
        return indexPlusOne == 0 ? 0 : p.holdings[indexPlusOne - 1];
    }

    /// @inheritdoc IAgentPortfolioManager
    function stopOrderOf(uint256 portfolioId, address asset) external view returns (StopOrder memory) {
        Portfolio storage p = _existingPortfolio(portfolioId);
        uint256 indexPlusOne = _indexPlusOne[portfolioId][asset];
        return indexPlusOne == 0 ? StopOrder(0, 0) : p.stops[indexPlusOne - 1];
    }

    /// @inheritdoc IAgentPortfolioManager
    function lossUsedNow(uint256 portfolioId) external view returns (uint256) {
        return _lossUsed(_existingPortfolio(portfolioId));
    }

    /// @inheritdoc IAgentPortfolioManager
    function portfolioValue(uint256 portfolioId)
        external
        view
        nonReentrantView
        returns (uint256 total, uint256[] memory values)
    {
        Book memory book = _load(_existingPortfolio(portfolioId));
        _price(book, false);
        values = new uint256[](book.count);
        for (uint256 i; i < book.count; ++i) {
            values[i] = book.values[i];
        }
        total = book.total;
    }

    /// @inheritdoc IAgentPortfolioManager
    function currentWeights(uint256 portfolioId)
        external
        view
        nonReentrantView
        returns (uint16[] memory weightsBps)
    {
        Book memory book = _load(_existingPortfolio(portfolioId));
        _price(book, false);
        weightsBps = new uint16[](book.count);
        if (book.total == 0) return weightsBps;
        for (uint256 i; i < book.count; ++i) {
            weightsBps[i] = uint16(book.values[i] * BPS / book.total);
        }
    }

    /// @inheritdoc IAgentPortfolioManager
    function needsRebalance(uint256 portfolioId)
        external
        view
        nonReentrantView
        returns (bool due, uint256 maxDriftBps)
    {
        Portfolio storage p = _existingPortfolio(portfolioId);
        Book memory book = _load(p);
        // A keeper polls this: an oracle that cannot price means "not now", not an error.
        if (!_price(book, true)) return (false, 0);
        uint256 over;
        uint256 under;
        uint256 chunk;
        (maxDriftBps, over, under, chunk) = _plan(p, book);
        if (paused() || maxDriftBps <= p.driftBandBps || chunk == 0) return (false, maxDriftBps);
        due = _wouldTrade(p, book, over, under, chunk);
    }

    /// @inheritdoc IAgentPortfolioManager
    function stopTriggerable(uint256 portfolioId, address asset)
        external
        view
        nonReentrantView
        returns (bool)
    {
        Portfolio storage p = _existingPortfolio(portfolioId);
        uint256 index = _assetIndex(portfolioId, asset);
        if (index == 0 || paused()) return false;
        StopOrder memory order = p.stops[index];
        if (order.stopLossPrice == 0 && order.takeProfitPrice == 0) return false;
        // {triggerStop} prices every asset (the sale's loss is charged against the whole value): all must price.
        Book memory book = _load(p);
        if (!_price(book, true)) return false;
        (bool stopLoss, bool takeProfit) = _stopHits(order, _unitPrice(book, index));
        if (!stopLoss && !takeProfit) return false;
        uint256 held = book.holdings[index];
        return held == 0 || _wouldTrade(p, book, index, 0, held);
    }

    /// @inheritdoc IAgentPortfolioManager
    function calculateRiskScore(uint256 portfolioId)
        external
        view
        nonReentrantView
        returns (uint256 scoreBps, uint256 hhiBps)
    {
        Book memory book = _load(_existingPortfolio(portfolioId));
        _price(book, false);
        uint256 total = book.total;
        if (total == 0) return (0, 0);
        uint256 sumSquaredTerms;
        uint256 sumSquaredWeights;
        for (uint256 i; i < book.count; ++i) {
            if (book.values[i] == 0) continue;
            uint256 weight = PortfolioMath.weightWad(book.values[i], total);
            sumSquaredWeights += weight * weight;
            // the base token's σ is 0
            if (i == 0) continue;
            uint256 term = PortfolioMath.riskTerm(weight, oracle.volatility(book.pools[i]));
            sumSquaredTerms += term * term;
        }
        scoreBps = PortfolioMath.score(sumSquaredTerms);
        hhiBps = PortfolioMath.hhi(sumSquaredWeights);
    }

    // ─── Internals: trading ───────────────────────────────────────────────────────────────────

    /// @dev The rebalance a portfolio needs now: the largest drift, and one trade from the most overweight asset to
    /// the most underweight of no more than the seller's excess, the buyer's deficit, or maxChunkBps of the value
    /// (so that a trade never overshoots a target and its price impact stays small), as an amount of the seller.
    function _plan(Portfolio storage p, Book memory book)
        internal
        view
        returns (uint256 maxDriftBps, uint256 over, uint256 under, uint256 amountIn)
    {
        uint256 excess;
        uint256 deficit;
        (maxDriftBps, over, under, excess, deficit) =
            PortfolioMath.drift(book.values, book.count, book.total, p.targets);
        uint256 tradeValue = Math.min(Math.min(excess, deficit), Math.mulDiv(book.total, p.maxChunkBps, BPS));
        amountIn = over == 0 ? tradeValue : PortfolioMath.amountOf(tradeValue, book.pricesX112[over]);
        amountIn = Math.min(amountIn, book.holdings[over]);
    }

    /// @dev What a trade is worth at the oracle and at the pre-block spot prices, and the least it may return: its
    /// loss limit below the better of the two. `tolerant` (the keepers' polling views) turns a pool without liquidity
    /// into `ok == false` instead of a revert, and prices a pool traded in this block at its reserves now (the next
    /// block's pre-block reserves, unless someone trades first).
    function _fill(
        Portfolio storage p,
        Book memory book,
        uint256 indexIn,
        uint256 indexOut,
        uint256 amountIn,
        bool tolerant
    ) internal view returns (Fill memory fill, bool ok) {
        fill.indexIn = indexIn;
        fill.indexOut = indexOut;
        fill.amountIn = amountIn;
        fill.valueIn = PortfolioMath.valueOf(amountIn, book.pricesX112[indexIn]);
        (fill.spotInX112, ok) = _preBlockSpot(book, indexIn, tolerant);
        if (!ok) return (fill, false);
        (fill.spotOutX112, ok) = _preBlockSpot(book, indexOut, tolerant);
        if (!ok) return (fill, false);
        fill.spotValueIn = PortfolioMath.valueOf(amountIn, fill.spotInX112);
        fill.referenceOut = Math.max(
            PortfolioMath.amountOf(fill.valueIn, book.pricesX112[indexOut]),
            PortfolioMath.amountOf(fill.spotValueIn, fill.spotOutX112)
        );
        fill.minOut = PortfolioMath.minOut(fill.referenceOut, p.maxLossPerTradeBps);
    }

    /// @dev The loss a filled trade charges to the budget: the larger of its losses against the time-weighted and
    /// the pre-block spot prices, in ppm of the portfolio's (time-weighted) value.
    function _chargeOf(Book memory book, Fill memory fill) internal pure returns (uint256) {
        uint256 valueOut = PortfolioMath.valueOf(fill.amountOut, book.pricesX112[fill.indexOut]);
        uint256 spotValueOut = PortfolioMath.valueOf(fill.amountOut, fill.spotOutX112);
        return Math.max(
            PortfolioMath.lossPpm(fill.valueIn, valueOut, book.total),
            PortfolioMath.lossPpm(fill.spotValueIn, spotValueOut, book.total)
        );
    }

    /// @dev An asset's spot price in base units (UQ112.112, as the AMM accumulates it) before this block: from the
    /// reserves the manager noted at its first trade of the pool in this block, else from the pool's reserves, which
    /// must not have changed in this block (then no trade of this block — a sandwich's front-run — moved them). A
    /// pool that has traded in the block before the manager did has lost its pre-block price, so the trade is
    /// refused ({PoolTradedThisBlock}) rather than priced against a spot price a front-run may have set.
    function _preBlockSpot(Book memory book, uint256 index, bool tolerant)
        internal
        view
        returns (uint256 priceX112, bool ok)
    {
        if (index == 0) return (Q112, true);
        uint256 poolId = book.pools[index];
        PreBlockReserves memory noted = _preBlock[poolId];
        uint256 reserve0 = noted.reserve0;
        uint256 reserve1 = noted.reserve1;
        // (a polling view answers for the next block, whose pre-block reserves these are unless someone trades first)
        if (noted.timestamp != uint32(block.timestamp)) {
            (reserve0, reserve1,) = _reservesIfUntouched(poolId, tolerant);
        }
        // the asset is token0 when its address sorts below the base token's
        (uint256 reserveAsset, uint256 reserveBase) =
            book.tokens[index] < book.tokens[0] ? (reserve0, reserve1) : (reserve1, reserve0);
        if (reserveAsset == 0 || reserveBase == 0) {
            if (tolerant) return (0, false);
            revert IAIServiceAMM.InsufficientLiquidity(poolId);
        }
        return ((reserveBase << 112) / reserveAsset, true);
    }

    /// @dev A pool's reserves, refused ({PoolTradedThisBlock}) when they have changed in this block, unless
    /// `tolerant` (the polling views, which answer for the next block).
    function _reservesIfUntouched(uint256 poolId, bool tolerant)
        internal
        view
        returns (uint112 reserve0, uint112 reserve1, uint32 updatedAt)
    {
        (reserve0, reserve1, updatedAt) = amm.getReserves(poolId);
        if (updatedAt == uint32(block.timestamp) && !tolerant) {
            revert PoolTradedThisBlock(poolId, block.timestamp);
        }
    }

    /// @dev Notes the pre-block reserves of the pool of asset `index` at the manager's first trade of it in this
    /// block (refused, as {_preBlockSpot} says, when the pool has traded in the block already).
    function _notePreBlock(Book memory book, uint256 index) internal {
        if (index == 0) return;
        uint256 poolId = book.pools[index];
        if (_preBlock[poolId].timestamp == uint32(block.timestamp)) return;
        (uint112 reserve0, uint112 reserve1,) = _reservesIfUntouched(poolId, false);
        _preBlock[poolId] = PreBlockReserves(reserve0, reserve1, uint32(block.timestamp));
    }

    /// @dev Sells `amountIn` of asset `indexIn` for asset `indexOut` (through the base token when neither is it),
    /// with the minimum output from the reference (time-weighted and pre-block spot), and charges the loss against it
    /// to the budget.
    function _trade(
        uint256 portfolioId,
        Portfolio storage p,
        Book memory book,
        uint256 indexIn,
        uint256 indexOut,
        uint256 amountIn,
        TradeKind kind
    ) internal returns (uint256) {
        _notePreBlock(book, indexIn);
        _notePreBlock(book, indexOut);
        (Fill memory fill,) = _fill(p, book, indexIn, indexOut, amountIn, false);
        if (fill.referenceOut == 0) revert ZeroAmount();

        p.holdings[indexIn] = uint128(book.holdings[indexIn] - amountIn);
        _swap(book, fill, p.maxLossPerTradeBps);
        p.holdings[indexOut] = SafeCast.toUint128(book.holdings[indexOut] + fill.amountOut);

        // The loss is known only once the swap ran; the whole call reverts if it overflows the budget.
        fill.lossPpm = _chargeOf(book, fill);
        if (fill.lossPpm != 0) _chargeLoss(p, fill.lossPpm);
        emit Traded(
            portfolioId,
            kind,
            msg.sender,
            book.tokens[indexIn],
            book.tokens[indexOut],
            amountIn,
            fill.amountOut,
            fill.referenceOut,
            fill.lossPpm
        );
        return fill.amountOut;
    }

    /// @dev Approves the AMM for exactly the input (its pull consumes it all, leaving no allowance), swaps with the
    /// reference's minimum output, and checks by balance that the output arrived in full.
    function _swap(Book memory book, Fill memory fill, uint256 maxLossBps) internal {
        address tokenIn = book.tokens[fill.indexIn];
        address tokenOut = book.tokens[fill.indexOut];
        IERC20(tokenIn).forceApprove(address(amm), fill.amountIn);
        uint256 balanceBefore = IERC20(tokenOut).balanceOf(address(this));
        if (fill.indexIn != 0 && fill.indexOut != 0) {
            try amm.swapExactInput(
                _route(book, fill.indexIn, fill.indexOut),
                tokenIn,
                fill.amountIn,
                fill.minOut,
                address(this),
                block.timestamp
            ) returns (
                uint256 out
            ) {
                fill.amountOut = out;
            } catch (bytes memory reason) {
                _revertSwap(reason, fill.referenceOut, maxLossBps);
            }
        } else {
            uint256 poolId = book.pools[fill.indexIn == 0 ? fill.indexOut : fill.indexIn];
            try amm.swapExactInputSingle(
                poolId, tokenIn, fill.amountIn, fill.minOut, address(this), block.timestamp
            ) returns (
                uint256 out
            ) {
                fill.amountOut = out;
            } catch (bytes memory reason) {
                _revertSwap(reason, fill.referenceOut, maxLossBps);
            }
        }
        uint256 received = IERC20(tokenOut).balanceOf(address(this)) - balanceBefore;
        if (received != fill.amountOut) revert TransferAmountMismatch(tokenOut, fill.amountOut, received);
    }

    /// @dev The AMM refusing our minimum output means the trade would lose more than the limit: say so, with the
    /// loss it would have taken (all of it when the AMM would pay nothing). Any other failure is passed on as is.
    function _revertSwap(bytes memory reason, uint256 referenceOut, uint256 maxLossBps) internal pure {
        if (reason.length == 68 && bytes4(reason) == IAIServiceAMM.SlippageExceeded.selector) {
            uint256 deliverable;
            assembly ("memory-safe") {
                deliverable := mload(add(reason, 0x24))
            }
            revert TradeLossTooHigh(PortfolioMath.lossBps(referenceOut, deliverable), maxLossBps);
        }
        if (reason.length == 4 && bytes4(reason) == IAIServiceAMM.InsufficientOutputAmount.selector) {
            revert TradeLossTooHigh(BPS, maxLossBps);
        }
        assembly ("memory-safe") {
            revert(add(reason, 0x20), mload(reason))
        }
    }

    /// @dev Whether {_trade} would go through first in the next block: the AMM's quote meets the reference's minimum
    /// output and its loss fits the budget. For the keepers' polling views; any failure to quote is a no.
    function _wouldTrade(
        Portfolio storage p,
        Book memory book,
        uint256 indexIn,
        uint256 indexOut,
        uint256 amountIn
    ) internal view returns (bool) {
        (Fill memory fill, bool ok) = _fill(p, book, indexIn, indexOut, amountIn, true);
        if (!ok || fill.referenceOut == 0) return false;
        uint256[] memory route = _route(book, indexIn, indexOut);
        try amm.calculateOptimalSwap(route, book.tokens[indexIn], amountIn, true) returns (
            uint256[] memory amounts
        ) {
            fill.amountOut = amounts[route.length];
        } catch {
            return false;
        }
        if (fill.amountOut < fill.minOut) return false;
        return _lossUsed(p) + _chargeOf(book, fill) <= p.lossBudgetPpm;
    }

    /// @dev The AMM route between two assets: their pools, the base token's own left out.
    function _route(Book memory book, uint256 indexIn, uint256 indexOut)
        internal
        pure
        returns (uint256[] memory route)
    {
        if (indexIn == 0 || indexOut == 0) {
            route = new uint256[](1);
            route[0] = book.pools[indexIn == 0 ? indexOut : indexIn];
        } else {
            route = new uint256[](2);
            (route[0], route[1]) = (book.pools[indexIn], book.pools[indexOut]);
        }
    }

    /// @dev Adds a loss to the leaky bucket, refusing it if the bucket would overflow.
    function _chargeLoss(Portfolio storage p, uint256 lossPpm) internal {
        uint256 used = _lossUsed(p);
        uint256 budget = p.lossBudgetPpm;
        if (used + lossPpm > budget) revert LossBudgetExceeded(used, lossPpm, budget);
        p.lossUsedPpm = uint32(used + lossPpm);
        p.lossUpdatedAt = uint40(block.timestamp);
    }

    function _lossUsed(Portfolio storage p) internal view returns (uint256) {
        return PortfolioMath.drained(
            p.lossUsedPpm, p.lossBudgetPpm, p.lossWindow, block.timestamp - p.lossUpdatedAt
        );
    }

    /// @dev Checks an owner's path: 1 or 2 of the portfolio's own pools, each hop between the base token and the
    /// pool's asset, ending in another asset of the portfolio. Returns the index of the asset bought.
    function _walkPath(Book memory book, uint256[] calldata poolIds, uint256 indexIn)
        internal
        pure
        returns (uint256 index)
    {
        uint256 hops = poolIds.length;
        if (hops == 0 || hops > 2) revert PathNotAllowed();
        index = indexIn;
        for (uint256 h; h < hops; ++h) {
            uint256 hopAsset = _assetOfPool(book, poolIds[h]);
            if (index == 0) index = hopAsset;
            else if (index == hopAsset) index = 0;
            else revert PathNotAllowed();
        }
        if (index == indexIn) revert PathNotAllowed();
    }

    function _assetOfPool(Book memory book, uint256 poolId) internal pure returns (uint256) {
        for (uint256 i = 1; i < book.count; ++i) {
            if (book.pools[i] == poolId) return i;
        }
        revert PathNotAllowed();
    }

    // ─── Internals: valuation ─────────────────────────────────────────────────────────────────

    function _load(Portfolio storage p) internal view returns (Book memory book) {
        uint256 count = p.assetCount;
        book.count = count;
        for (uint256 i; i < count; ++i) {
            Asset memory asset = p.assets[i];
            book.tokens[i] = asset.token;
            book.pools[i] = asset.poolId;
            book.holdings[i] = p.holdings[i];
        }
    }

    /// @dev Prices every asset at the oracle's time-weighted price, once. `tolerant` (for the keepers' polling
    /// views) turns an oracle that cannot price into `false` instead of its revert.
    function _price(Book memory book, bool tolerant) internal view returns (bool priced) {
        address base = book.tokens[0];
        uint256 total = book.holdings[0];
        book.pricesX112[0] = Q112;
        book.values[0] = total;
        for (uint256 i = 1; i < book.count; ++i) {
            uint256 price0X112;
            uint256 price1X112;
            if (tolerant) {
                try oracle.twapX112(book.pools[i]) returns (uint256 p0, uint256 p1) {
                    (price0X112, price1X112) = (p0, p1);
                } catch {
                    return false;
                }
            } else {
                (price0X112, price1X112) = oracle.twapX112(book.pools[i]);
            }
            // The pool's token0 is the lower address: the asset's price in the base token is price0 when the asset
            // is token0, else price1.
            uint256 priceX112 = book.tokens[i] < base ? price0X112 : price1X112;
            // Only a pool that never held liquidity averages to 0: no price, as the oracle would say.
            if (priceX112 == 0) {
                if (tolerant) return false;
                revert IComputePriceOracle.InsufficientHistory(book.pools[i]);
            }
            book.pricesX112[i] = priceX112;
            uint256 value = PortfolioMath.valueOf(book.holdings[i], priceX112);
            book.values[i] = value;
            total += value;
        }
        book.total = total;
        return true;
    }

    /// @dev What 1e18 raw units of an asset are worth in raw base units: the unit of stop orders
    /// (`oracle.consult(pool, asset, 1e18)`).
    function _unitPrice(Book memory book, uint256 index) internal pure returns (uint256) {
        return PortfolioMath.valueOf(1e18, book.pricesX112[index]);
    }

    function _stopHits(StopOrder memory order, uint256 price)
        internal
        pure
        returns (bool stopLoss, bool takeProfit)
    {
        stopLoss = order.stopLossPrice != 0 && price <= order.stopLossPrice;
        takeProfit = order.takeProfitPrice != 0 && price >= order.takeProfitPrice;
    }

    // ─── Internals: storage ───────────────────────────────────────────────────────────────────

    function _existingPortfolio(uint256 portfolioId) internal view returns (Portfolio storage p) {
        p = _portfolios[portfolioId];
        if (p.owner == address(0)) revert UnknownPortfolio(portfolioId);
    }

    function _ownedPortfolio(uint256 portfolioId) internal view returns (Portfolio storage p) {
        p = _existingPortfolio(portfolioId);
        if (p.owner != msg.sender) revert NotPortfolioOwner(portfolioId, msg.sender);
    }

    function _assetIndex(uint256 portfolioId, address token) internal view returns (uint256) {
        uint256 indexPlusOne = _indexPlusOne[portfolioId][token];
        if (indexPlusOne == 0) revert UnknownAsset(portfolioId, token);
        return indexPlusOne - 1;
    }

    /// @dev Stores the assets and their pools, checking that each pool pairs its asset with the base token.
    function _registerAssets(
        uint256 portfolioId,
        Portfolio storage p,
        address[] calldata assets,
        uint256[] calldata pools
    ) internal returns (uint256[] memory poolIds) {
        uint256 count = assets.length;
        address base = assets[0];
        uint256 poolCount = amm.poolCount();
        poolIds = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            address asset = assets[i];
            if (asset == address(0)) revert ZeroAddress();
            if (_indexPlusOne[portfolioId][asset] != 0) revert DuplicateAsset(asset);
            _indexPlusOne[portfolioId][asset] = i + 1;
            if (i == 0) {
                p.assets[0] = Asset(asset, 0);
                continue;
            }
            uint256 poolId = pools[i];
            if (poolId >= poolCount) revert UnknownPool(poolId);
            IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
            bool pairs = (pool.token0 == asset && pool.token1 == base)
                || (pool.token0 == base && pool.token1 == asset);
            if (!pairs) revert PoolDoesNotPairAsset(poolId, asset, base);
            // pool ids are sequential, far below 2^96
            p.assets[i] = Asset(asset, uint96(poolId));
            poolIds[i] = poolId;
        }
    }

    function _checkLimits(RiskLimits calldata limits) internal pure {
        if (
            limits.driftBandBps >= BPS || limits.maxLossPerTradeBps == 0 || limits.maxLossPerTradeBps >= BPS
                || limits.lossBudgetPpm == 0 || limits.lossBudgetPpm > PPM || limits.lossWindow == 0
                || limits.maxChunkBps == 0 || limits.maxChunkBps > BPS
        ) revert InvalidRiskLimits();
    }

    function _writeLimits(Portfolio storage p, RiskLimits calldata limits) internal {
        p.driftBandBps = limits.driftBandBps;
        p.maxLossPerTradeBps = limits.maxLossPerTradeBps;
        p.lossBudgetPpm = limits.lossBudgetPpm;
        p.lossWindow = limits.lossWindow;
        p.maxChunkBps = limits.maxChunkBps;
    }
}
