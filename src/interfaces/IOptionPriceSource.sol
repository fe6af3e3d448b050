// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IOptionPriceSource
/// @notice The prices AIPowerDerivatives reads: a time-weighted index price of an underlying (never spot), its
/// settlement price at an expiry (immutable once finalized) and its volatility. Every price is of one whole unit of
/// the underlying in whole units of the quote (collateral) token, with 18 decimals, whatever the tokens' decimals.
interface IOptionPriceSource {
    /// @notice The time-weighted price of the underlying of `underlyingPoolId` in the quote token (wad). Reverts
    /// when it cannot price (fails closed).
    function indexPriceWad(uint256 underlyingPoolId) external view returns (uint256);

    /// @notice The settlement price of the underlying at `expiry` (wad) and whether it is final. A finalized price
    /// never changes.
    function settlementPriceWad(uint256 underlyingPoolId, uint256 expiry)
        external
        view
        returns (uint256 priceWad, bool finalized);

    /// @notice Anyone, once `expiry` has passed: fixes the settlement price at `expiry` (returns the existing one
    /// when already fixed; immutable once set). Reverts when it cannot be fixed yet.
    function finalizeSettlement(uint256 underlyingPoolId, uint256 expiry) external returns (uint256 priceWad);

    /// @notice The index price liquidations use (wad): {indexPriceWad}, and still a time-weighted price while a
    /// protection that closes the index for a while (a move beyond the oracle's band) holds, so that a writer cannot
    /// freeze the liquidation of an under-water vault by tripping it. Reverts when no time-weighted price exists.
    function liquidationIndexPriceWad(uint256 underlyingPoolId) external view returns (uint256);

    /// @notice Annualized volatility of the underlying (wad, 1e18 = 100 %). Reverts when it has none or it is stale
    /// (fails closed).
    function volatilityWad(uint256 underlyingPoolId) external view returns (uint256);

    /// @notice The highest volatility {volatilityWad} could serve for the underlying (wad); never reverts. An
    /// option's value grows with volatility: a valuation at this ceiling is conservative for whoever takes the
    /// option's obligation over (a liquidator) while the volatility is stale.
    function volatilityCeilingWad(uint256 underlyingPoolId) external view returns (uint256);

    /// @notice Reverts unless a series on `underlying` in `quote` expiring at `expiry` can be priced and settled
    /// from `underlyingPoolId`: the pool pairs exactly these tokens, and a settlement price at `expiry` can be
    /// fixed (a series whose expiry could never settle would lock its collateral for good).
    function checkSeries(uint256 underlyingPoolId, address underlying, address quote, uint256 expiry)
        external
        view;
}
