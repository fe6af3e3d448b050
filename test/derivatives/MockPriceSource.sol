// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOptionPriceSource} from "../../src/interfaces/IOptionPriceSource.sol";

/// @notice Test-only {IOptionPriceSource}: a settable index price and volatility per pool, and settlement prices
/// that are finalized once (after expiry, at the index price of that moment unless one was preset) and never change.
contract MockPriceSource is IOptionPriceSource {
    error CannotPrice(uint256 poolId);
    error NotExpired(uint256 expiry);
    error AlreadyFinalized(uint256 poolId, uint256 expiry);
    error SeriesRefused(uint256 poolId);
    error VolatilityStale(uint256 poolId);

    mapping(uint256 poolId => uint256) public index;
    mapping(uint256 poolId => uint256) public vol;
    /// @notice When non-zero, the liquidation index (else the index): an oracle closed for everything but liquidation.
    mapping(uint256 poolId => uint256) public liquidationIndex;
    /// @notice When set, {volatilityWad} reverts (a stale feed) and liquidations value at {volCeiling}.
    mapping(uint256 poolId => bool) public volStale;
    mapping(uint256 poolId => uint256) public volCeiling;
    mapping(uint256 poolId => mapping(uint256 expiry => uint256)) internal _settlement;
    mapping(uint256 poolId => mapping(uint256 expiry => bool)) internal _finalized;
    mapping(uint256 poolId => mapping(uint256 expiry => uint256)) internal _preset;
    /// @notice When set, {checkSeries} refuses every series (as the real source does for a mismatched pool).
    bool public refuseSeries;

    function setRefuseSeries(bool refuse) external {
        refuseSeries = refuse;
    }

    function setIndexPrice(uint256 poolId, uint256 priceWad) external {
        index[poolId] = priceWad;
    }

    function setVolatility(uint256 poolId, uint256 volWad) external {
        vol[poolId] = volWad;
    }

    function setLiquidationIndexPrice(uint256 poolId, uint256 priceWad) external {
        liquidationIndex[poolId] = priceWad;
    }

    function setVolatilityStale(uint256 poolId, bool stale) external {
        volStale[poolId] = stale;
    }

    function setVolatilityCeiling(uint256 poolId, uint256 ceilingWad) external {
        volCeiling[poolId] = ceilingWad;
    }

    /// @notice Presets the price a later finalization fixes (refused once finalized).
    function presetSettlement(uint256 poolId, uint256 expiry, uint256 priceWad) external {
        if (_finalized[poolId][expiry]) revert AlreadyFinalized(poolId, expiry);
        _preset[poolId][expiry] = priceWad;
    }

    function indexPriceWad(uint256 poolId) external view returns (uint256) {
        uint256 price = index[poolId];
        if (price == 0) revert CannotPrice(poolId);
        return price;
    }

    function settlementPriceWad(uint256 poolId, uint256 expiry) external view returns (uint256, bool) {
        return (_settlement[poolId][expiry], _finalized[poolId][expiry]);
    }

    function finalizeSettlement(uint256 poolId, uint256 expiry) external returns (uint256 priceWad) {
        if (_finalized[poolId][expiry]) return _settlement[poolId][expiry];
        if (block.timestamp < expiry) revert NotExpired(expiry);
        priceWad = _preset[poolId][expiry];
        if (priceWad == 0) priceWad = index[poolId];
        if (priceWad == 0) revert CannotPrice(poolId);
        _settlement[poolId][expiry] = priceWad;
        _finalized[poolId][expiry] = true;
    }

    function liquidationIndexPriceWad(uint256 poolId) external view returns (uint256) {
        uint256 price = liquidationIndex[poolId];
        if (price == 0) price = index[poolId];
        if (price == 0) revert CannotPrice(poolId);
        return price;
    }

    function volatilityWad(uint256 poolId) external view returns (uint256) {
        if (volStale[poolId]) revert VolatilityStale(poolId);
        return vol[poolId];
    }

    /// @dev 500 % unless set, the deploy's default ceiling.
    function volatilityCeilingWad(uint256 poolId) external view returns (uint256) {
        uint256 ceiling = volCeiling[poolId];
        return ceiling == 0 ? 5e18 : ceiling;
    }

    function checkSeries(uint256 poolId, address, address, uint256) external view {
        if (refuseSeries) revert SeriesRefused(poolId);
    }
}
