// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAgentPortfolioManager
/// @notice Custody of agents' portfolios: one contract holds every portfolio's tokens and books them per
/// portfolio. A portfolio has a base token (its unit of account, asset 0) and up to 7 more assets, each valued and
/// traded through one AMM pool against the base token. The owner sets target weights (basis points summing to
/// 10,000), a drift band, a maximum loss per trade and a rolling loss budget; anyone may rebalance a portfolio
/// whose drift exceeds its band, and the contract — never the caller — sets each trade's minimum output, from the
/// time-weighted oracle price and the pools' spot prices before the block.
/// @dev A trade's reference output is the larger of what its input is worth at the ComputePriceOracle's
/// time-weighted prices and at the pools' pre-block spot prices (the reserves as no trade of the block has moved
/// them, noted at the manager's first trade of the pool in the block: a trade whose pool someone else has traded
/// earlier in the block is refused, {PoolTradedThisBlock}). The average resists
/// manipulation, the pre-block spot price carries a trend the average lags: a trade must fill within its loss limit
/// of both, so a sandwich inside the block is impossible and one across blocks is held to the average. Loss of a
/// trade = the larger of (value in − value out) at either set of prices. The rolling budget is a leaky bucket (as
/// Enzyme's cumulative slippage policy): each trade adds its loss in parts per million of the portfolio's value, the
/// bucket drains linearly by `lossBudgetPpm` per `lossWindow`, and a trade that would overflow it is refused.
interface IAgentPortfolioManager {
    struct RiskLimits {
        // largest |current − target| weight, in bps, before anyone may rebalance
        uint16 driftBandBps;
        // largest loss of one trade against the oracle, bps of the trade's value
        uint16 maxLossPerTradeBps;
        // the rolling loss budget, parts per million of the portfolio's value per lossWindow
        uint32 lossBudgetPpm;
        // seconds over which the budget refills
        uint32 lossWindow;
        // largest rebalance trade, bps of the portfolio's value (rebalancing goes in chunks)
        uint16 maxChunkBps;
    }

    /// @notice Stop-loss and take-profit of one asset, as prices of 1e18 raw units of the asset in raw units of
    /// the base token (what `oracle.consult(pool, asset, 1e18)` returns). Zero disables a side.
    struct StopOrder {
        uint128 stopLossPrice;
        uint128 takeProfitPrice;
    }

    struct PortfolioView {
        address owner;
        address[] assets;
        uint256[] pools;
        uint16[] targetWeightsBps;
        uint256[] holdings;
        RiskLimits limits;
        uint256 lossUsedPpm;
        uint64 lossUpdatedAt;
    }

    enum TradeKind {
        Owner,
        Rebalance,
        StopLoss,
        TakeProfit
    }

    error UnknownPortfolio(uint256 portfolioId);
    error NotPortfolioOwner(uint256 portfolioId, address caller);
    error ZeroAddress();
    error ZeroAmount();
    error TooManyAssets(uint256 count, uint256 max);
    error DuplicateAsset(address asset);
    error LengthMismatch();
    error WeightsDoNotSumTo10000(uint256 sum);
    error UnknownAsset(uint256 portfolioId, address asset);
    error PoolDoesNotPairAsset(uint256 poolId, address asset, address baseToken);
    error UnknownPool(uint256 poolId);
    error InvalidRiskLimits();
    error InsufficientHoldings(address token, uint256 held, uint256 requested);
    error WithinDriftBand(uint256 maxDriftBps, uint256 driftBandBps);
    error LossBudgetExceeded(uint256 lossUsedPpm, uint256 lossPpm, uint256 budgetPpm);
    error TradeLossTooHigh(uint256 lossBps, uint256 maxLossBps);
    error StopNotTriggered(uint256 price, uint256 stopLossPrice, uint256 takeProfitPrice);
    error TransferAmountMismatch(address token, uint256 expected, uint256 received);
    error PathNotAllowed();
    /// @notice Pool `poolId` of the trade has already traded (or changed liquidity) in this block, at `timestamp`,
    /// before any trade of the manager's: its spot price may be a sandwich's front-run and the price before the block
    /// can no longer be read, so the trade is refused. Retry in a later block (the manager's own trades of a pool in a
    /// block after its first are priced against the reserves it noted then, and are not refused).
    error PoolTradedThisBlock(uint256 poolId, uint256 timestamp);
    /// @notice A portfolio needs at least its base token.
    error NoAssets();
    /// @notice The base token is the unit of account: it has no price against itself, so no stop order.
    error StopOnBaseToken(uint256 portfolioId, address baseToken);
    /// @notice Both sides set, the stop-loss must lie below the take-profit (else the order always fires).
    error InvalidStopOrder(uint128 stopLossPrice, uint128 takeProfitPrice);

    event PortfolioOpened(
        uint256 indexed portfolioId,
        address indexed owner,
        address[] assets,
        uint256[] pools,
        uint16[] targetWeightsBps,
        RiskLimits limits
    );
    event TargetsSet(uint256 indexed portfolioId, uint16[] targetWeightsBps);
    event RiskLimitsSet(uint256 indexed portfolioId, RiskLimits limits);
    event StopOrderSet(
        uint256 indexed portfolioId, address indexed asset, uint128 stopLossPrice, uint128 takeProfitPrice
    );
    event Deposited(uint256 indexed portfolioId, address indexed token, address indexed from, uint256 amount);
    event Withdrawn(uint256 indexed portfolioId, address indexed token, address indexed to, uint256 amount);
    /// @notice Every trade of a portfolio. `oracleAmountOut` is the trade's reference output: the larger of what the
    /// input was worth at the time-weighted prices and at the pre-block spot prices; `lossPpm` the portfolio-budget
    /// charge, the larger of its losses against the two (0 for a trade that beat both).
    event Traded(
        uint256 indexed portfolioId,
        TradeKind indexed kind,
        address indexed caller,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut,
        uint256 oracleAmountOut,
        uint256 lossPpm
    );
    /// @notice A rebalance trade ran; drift before it, and the portfolio's value (base token) before it.
    event Rebalanced(
        uint256 indexed portfolioId, address indexed caller, uint256 maxDriftBps, uint256 valueBefore
    );
    event StopTriggered(uint256 indexed portfolioId, address indexed asset, uint256 price, bool stopLoss);

    /// @notice Opens a portfolio owned by the caller. `assets[0]` is the base token (its `pools[0]` is ignored);
    /// `pools[i]` is an AMM pool pairing `assets[i]` with the base token, used to value and trade it.
    function openPortfolio(
        address[] calldata assets,
        uint256[] calldata pools,
        uint16[] calldata targetWeightsBps,
        RiskLimits calldata limits
    ) external returns (uint256 portfolioId);

    /// @notice Owner only: new target weights, one per asset in the portfolio's order, summing to 10,000.
    function setTargets(uint256 portfolioId, uint16[] calldata targetWeightsBps) external;

    /// @notice Owner only: new risk limits. Valid limits: driftBandBps < 10,000; 0 < maxLossPerTradeBps < 10,000;
    /// 0 < lossBudgetPpm ≤ 1,000,000; lossWindow > 0; 0 < maxChunkBps ≤ 10,000 (else {InvalidRiskLimits}).
    /// The loss bucket is first drained at the old rate up to now, then held to the new budget (a lowered budget
    /// starts full).
    function setRiskLimits(uint256 portfolioId, RiskLimits calldata limits) external;

    /// @notice Owner only: the stop order of a non-base asset; zero on both sides clears it. With both sides set
    /// the stop-loss must lie below the take-profit.
    function setStopOrder(uint256 portfolioId, address asset, uint128 stopLossPrice, uint128 takeProfitPrice)
        external;

    /// @notice Moves `amount` of one of the portfolio's assets from the caller into the portfolio. Anyone may fund a
    /// portfolio (only its owner can take anything out); a token that delivers less than `amount` is refused.
    function deposit(uint256 portfolioId, address token, uint256 amount) external;

    /// @notice Owner only; open even while paused.
    function withdraw(uint256 portfolioId, address token, uint256 amount, address to) external;

    /// @notice Anyone: one trade, of at most `maxChunkBps` of the value, from the most overweight asset to the
    /// most underweight, when some weight is outside the drift band. Minimum output from the reference (the better of
    /// the time-weighted and the pre-block spot price); refused with {PoolTradedThisBlock} after another trade of
    /// its pools in the same block.
    /// @dev The trade is the smallest of the seller's excess, the buyer's deficit and the chunk, so it never
    /// overshoots a target. Between two non-base assets it goes through the base token in one multi-hop swap and so
    /// pays two pool fees: the per-trade loss limit must leave room for both (on 0.3 % pools, more than 60 bps).
    /// Emits {Rebalanced} then {Traded}.
    function rebalancePortfolio(uint256 portfolioId) external returns (uint256 amountIn, uint256 amountOut);

    /// @notice The owner trades `amountIn` of `tokenIn` along `poolIds` (the portfolio's pools only) within the
    /// same loss limits; the minimum output comes from the reference, as for a rebalance ({PoolTradedThisBlock} too).
    function executeTrade(uint256 portfolioId, uint256[] calldata poolIds, address tokenIn, uint256 amountIn)
        external
        returns (uint256 amountOut);

    /// @notice Anyone: sells the whole holding of `asset` into the base token when its time-weighted price is at or
    /// below its stop-loss or at or above its take-profit; the asset's target weight moves to the base token.
    /// @dev The sale has the minimum output and loss limits of any trade. After a real fall the time-weighted price
    /// lags the spot price, so the sale can be refused ({TradeLossTooHigh}) until the average has caught up (at most
    /// a window after the price settles): the cost of not selling on a one-block spot move. The order is cleared and
    /// the weight moved only when the sale goes through. Emits {StopOrderSet} (cleared), {TargetsSet},
    /// {StopTriggered}, then {Traded} (none when nothing is held).
    function triggerStop(uint256 portfolioId, address asset) external returns (uint256 amountOut);

    /// @notice Halts deposits, trades, rebalances and stop triggers; withdrawals stay open. Restricted: the guardian.
    function pause() external;

    /// @notice Resumes them. Restricted: the guardian.
    function unpause() external;

    function portfolioCount() external view returns (uint256);

    function getPortfolio(uint256 portfolioId) external view returns (PortfolioView memory);

    /// @notice The portfolio's holding of `token` (0 for a token outside the portfolio).
    function holdingOf(uint256 portfolioId, address token) external view returns (uint256);

    /// @notice The stop order of `asset` (zeros when none, or for a token outside the portfolio).
    function stopOrderOf(uint256 portfolioId, address asset) external view returns (StopOrder memory);

    /// @notice The loss budget in use now, parts per million of the portfolio's value: `lossUsedPpm` drained by
    /// `lossBudgetPpm` per `lossWindow` since `lossUpdatedAt` (what the next trade's loss is added to).
    function lossUsedNow(uint256 portfolioId) external view returns (uint256 lossUsedPpm);

    /// @notice Value of each asset and in total, in base-token units, at the time-weighted prices. Reverts with the
    /// oracle's error when it cannot price (fails closed).
    function portfolioValue(uint256 portfolioId)
        external
        view
        returns (uint256 total, uint256[] memory values);

    /// @notice Current weights in bps of the value (0s for an empty portfolio).
    function currentWeights(uint256 portfolioId) external view returns (uint16[] memory weightsBps);

    /// @notice Whether {rebalancePortfolio} would trade now, and the largest drift: the drift is beyond the band, the
    /// contract is not paused, and the AMM's quote of the chunk meets the reference minimum and fits the loss budget.
    /// Answered for the next block (a keeper's transaction lands there): a pool traded in this block is priced at its
    /// reserves now, that block's pre-block reserves unless someone trades first ({PoolTradedThisBlock} then).
    /// Never reverts on an oracle that cannot price (returns `(false, 0)`): keepers poll it.
    function needsRebalance(uint256 portfolioId) external view returns (bool due, uint256 maxDriftBps);

    /// @notice Whether {triggerStop} would fire for `asset` now: an order is set, its condition holds on the
    /// time-weighted price, the contract is not paused, and the sale (quoted on the AMM) meets the reference minimum
    /// and fits the loss budget, answered for the next block as {needsRebalance} is. False, not a revert, when the
    /// oracle cannot price, and for the base token.
    function stopTriggerable(uint256 portfolioId, address asset) external view returns (bool);

    /// @notice Risk score: the portfolio's annualized volatility, in bps, if its assets moved independently —
    /// √(Σ (wᵢ·σᵢ)²) with wᵢ the current weights and σᵢ each asset's realized volatility against the base token
    /// (the base token's σ is 0) — and the Herfindahl concentration index Σ wᵢ² in bps (10,000 = one asset).
    /// Concentration in volatile assets raises the score; spreading over independent assets lowers it.
    function calculateRiskScore(uint256 portfolioId) external view returns (uint256 scoreBps, uint256 hhiBps);
}
