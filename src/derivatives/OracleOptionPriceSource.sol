// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../interfaces/IComputePriceOracle.sol";
import {IOptionPriceSource} from "../interfaces/IOptionPriceSource.sol";
import {IVolatilityFeed} from "../interfaces/IVolatilityFeed.sol";

/// @title OracleOptionPriceSource
/// @notice The prices AIPowerDerivatives reads, from the protocol's own sources: the index is the
/// ComputePriceOracle's time-weighted price of an AMM pool's underlying in its quote token, the settlement price is
/// the oracle's immutable settlement at an expiry, and the volatility is the VolatilityFeed's governed value. The
/// liquidation index is the same time-weighted price, served while the oracle's band is tripped; the volatility
/// ceiling is the feed's upper bound for the pool.
/// @dev The oracle's prices are ratios of raw token units (UQ112.112); options price whole units with 18 decimals.
/// This contract is the one place where the two meet ({_toWad}). A pool is listed once (anyone may list it: it only
/// copies facts from the AMM and the tokens) so that every later read costs no AMM call.
contract OracleOptionPriceSource is IOptionPriceSource {
    /// @notice A pool's underlying (the token that is not the quote token), and the factors that turn its raw price
    /// into a wad price of whole units.
    struct ListedPool {
        address underlying;
        bool underlyingIsToken0;
        uint8 underlyingDecimals;
        uint8 quoteDecimals;
    }

    error PoolNotListed(uint256 poolId);
    error PoolWithoutQuote(uint256 poolId, address token0, address token1);
    error DecimalsUnsupported(address token, uint8 decimals);
    error SeriesDoesNotMatchPool(uint256 poolId, address underlying, address quote);
    error ExpiryNotOnSettlementGrid(uint256 expiry, uint256 period);

    event PoolListed(uint256 indexed poolId, address indexed underlying, uint8 underlyingDecimals);

    uint256 internal constant Q112 = 1 << 112;
    uint256 internal constant WAD = 1e18;

    /// @notice The oracle every index and settlement price comes from.
    IComputePriceOracle public immutable oracle;
    /// @notice The governed volatility of each underlying.
    IVolatilityFeed public immutable volatilityFeed;
    /// @notice The AMM whose pools the oracle observes.
    IAIServiceAMM public immutable amm;
    /// @notice The token every index is priced in (the protocol's AITBC).
    address public immutable quote;

    mapping(uint256 poolId => ListedPool) internal _pools;

    constructor(
        IComputePriceOracle oracle_,
        IVolatilityFeed volatilityFeed_,
        IAIServiceAMM amm_,
        address quote_
    ) {
        oracle = oracle_;
        volatilityFeed = volatilityFeed_;
        amm = amm_;
        quote = quote_;
    }

    /// @notice Lists `poolId` (idempotent): the pool must pair the quote token with an underlying of at most 18
    /// decimals.
    function listPool(uint256 poolId) public returns (ListedPool memory listed) {
        listed = _pools[poolId];
        if (listed.underlying != address(0)) return listed;
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId); // reverts for an unknown pool
        if (pool.token1 == quote) listed = ListedPool(pool.token0, true, 0, 0);
        else if (pool.token0 == quote) listed = ListedPool(pool.token1, false, 0, 0);
        else revert PoolWithoutQuote(poolId, pool.token0, pool.token1);
        listed.underlyingDecimals = _decimals(listed.underlying);
        listed.quoteDecimals = _decimals(quote);
        _pools[poolId] = listed;
        emit PoolListed(poolId, listed.underlying, listed.underlyingDecimals);
    }

    /// @notice The listing of `poolId` (underlying zero when unlisted).
    function listedPool(uint256 poolId) external view returns (ListedPool memory) {
        return _pools[poolId];
    }

    /// @inheritdoc IOptionPriceSource
    function indexPriceWad(uint256 underlyingPoolId) external view returns (uint256) {
        ListedPool memory listed = _listed(underlyingPoolId);
        (uint256 price0X112, uint256 price1X112) = oracle.twapX112(underlyingPoolId);
        return _toWad(listed, listed.underlyingIsToken0 ? price0X112 : price1X112);
    }

    /// @inheritdoc IOptionPriceSource
    function liquidationIndexPriceWad(uint256 underlyingPoolId) external view returns (uint256) {
        ListedPool memory listed = _listed(underlyingPoolId);
        (uint256 price0X112, uint256 price1X112) = oracle.twapIgnoringBandX112(underlyingPoolId);
        return _toWad(listed, listed.underlyingIsToken0 ? price0X112 : price1X112);
    }

    /// @inheritdoc IOptionPriceSource
    function settlementPriceWad(uint256 underlyingPoolId, uint256 expiry)
        external
        view
        returns (uint256 priceWad, bool finalized)
    {
        ListedPool memory listed = _listed(underlyingPoolId);
        IComputePriceOracle.Settlement memory settlement = oracle.settlementOf(underlyingPoolId, expiry);
        if (settlement.windowEnd == 0) return (0, false);
        return
            (_toWad(listed, listed.underlyingIsToken0 ? settlement.price0X112 : settlement.price1X112), true);
    }

    /// @inheritdoc IOptionPriceSource
    function finalizeSettlement(uint256 underlyingPoolId, uint256 expiry)
        external
        returns (uint256 priceWad)
    {
        ListedPool memory listed = _listed(underlyingPoolId);
        (uint256 price0X112, uint256 price1X112) = oracle.finalizeSettlement(underlyingPoolId, expiry);
        return _toWad(listed, listed.underlyingIsToken0 ? price0X112 : price1X112);
    }

    /// @inheritdoc IOptionPriceSource
    function volatilityWad(uint256 underlyingPoolId) external view returns (uint256) {
        return volatilityFeed.volatilityOf(underlyingPoolId);
    }

    /// @inheritdoc IOptionPriceSource
    function volatilityCeilingWad(uint256 underlyingPoolId) external view returns (uint256) {
        return volatilityFeed.volatilityCeilingOf(underlyingPoolId);
    }

    /// @inheritdoc IOptionPriceSource
    function checkSeries(uint256 underlyingPoolId, address underlying, address quote_, uint256 expiry)
        external
        view
    {
        ListedPool memory listed = _listed(underlyingPoolId);
        if (listed.underlying != underlying || quote_ != quote) {
            revert SeriesDoesNotMatchPool(underlyingPoolId, underlying, quote_);
        }
        // The oracle settles only expiries on its period grid: a series off it could never be settled.
        uint256 period = oracle.period();
        if (expiry % period != 0) revert ExpiryNotOnSettlementGrid(expiry, period);
    }

    function _listed(uint256 poolId) internal view returns (ListedPool memory listed) {
        listed = _pools[poolId];
        if (listed.underlying == address(0)) revert PoolNotListed(poolId);
    }

    /// @dev Raw quote units per raw underlying unit (UQ112.112) → whole quote per whole underlying (wad):
    /// × 10^underlyingDecimals / 10^quoteDecimals, in one rounding (down).
    function _toWad(ListedPool memory listed, uint256 priceX112) internal pure returns (uint256) {
        return
            Math.mulDiv(priceX112, WAD * 10 ** listed.underlyingDecimals, Q112 * 10 ** listed.quoteDecimals);
    }

    function _decimals(address token) internal view returns (uint8 decimals) {
        decimals = IERC20Metadata(token).decimals();
        if (decimals > 18) revert DecimalsUnsupported(token, decimals);
    }
}
