// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ConsortiumMath
/// @notice The share and limit arithmetic of MultiAgentCoordinator. Every rounding favours the members who stay
/// (conversions) or the members against the leader (limits).
/// @dev Shares use OpenZeppelin ERC-4626's decimals offset, on both sides of every conversion: `VIRTUAL_SHARES`
/// shares and `VIRTUAL_ASSETS` base unit that nobody holds. A first depositor who makes one share worth a lot
/// shares that value with the virtual shares, so a later deposit can no longer be rounded away.
library ConsortiumMath {
    /// @dev 10^6: the decimals offset 6.
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    uint256 internal constant VIRTUAL_ASSETS = 1;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;
    /// @dev {pricePerShare} of an empty consortium: the virtual asset over the virtual shares.
    uint256 internal constant FIRST_PRICE_PER_SHARE = WAD * VIRTUAL_ASSETS / VIRTUAL_SHARES;

    /// @dev Shares for a contribution of `amount` at net asset value `nav` with `supply` shares, rounded down.
    function sharesFor(uint256 amount, uint256 supply, uint256 nav) internal pure returns (uint256) {
        return Math.mulDiv(amount, supply + VIRTUAL_SHARES, nav + VIRTUAL_ASSETS);
    }

    /// @dev The part of `holding` that `shares` of `supply` take out, rounded down.
    function proRata(uint256 holding, uint256 shares, uint256 supply) internal pure returns (uint256) {
        return Math.mulDiv(holding, shares, supply + VIRTUAL_SHARES);
    }

    /// @dev Net asset value per share, 1e18-scaled, at the price a contribution pays; an empty consortium's is the
    /// virtual asset over the virtual shares (1e12).
    function pricePerShare(uint256 nav, uint256 supply) internal pure returns (uint256) {
        return Math.mulDiv(nav + VIRTUAL_ASSETS, WAD, supply + VIRTUAL_SHARES);
    }

    /// @dev What `supply` shares gained above `mark` at `price` (1e18-scaled), rounded down, at most `available`.
    function profit(uint256 price, uint256 mark, uint256 supply, uint256 available)
        internal
        pure
        returns (uint256)
    {
        return Math.min(Math.mulDiv(price - mark, supply, WAD), available);
    }

    /// @dev An asset's value between its oracle value `oracleValue` and its spot value (`amount` at the pool's
    /// reserves `reserveBase` / `reserveAsset`, no fee): the larger of the two with `higher` (the spot rounded up),
    /// else the smaller (the spot rounded down). Both roundings favour the members against the caller.
    function bound(
        uint256 oracleValue,
        uint256 amount,
        uint256 reserveBase,
        uint256 reserveAsset,
        bool higher
    ) internal pure returns (uint256) {
        if (higher) {
            return Math.max(oracleValue, Math.mulDiv(amount, reserveBase, reserveAsset, Math.Rounding.Ceil));
        }
        return Math.min(oracleValue, Math.mulDiv(amount, reserveBase, reserveAsset));
    }

    /// @dev `oracleOut` less `lossBps`, rounded up: the least a trade may deliver.
    function minOutput(uint256 oracleOut, uint256 lossBps) internal pure returns (uint256) {
        return Math.mulDiv(oracleOut, BPS - lossBps, BPS, Math.Rounding.Ceil);
    }

    /// @dev A trade's loss against the oracle, as a WAD fraction of the net asset value `nav`: the shortfall of
    /// `amountOut` under `oracleOut`, valued in base as that fraction of the input's value `tradeValue`. Each step
    /// rounds up (against the leader); no shortfall, no loss.
    function lossWad(uint256 tradeValue, uint256 oracleOut, uint256 amountOut, uint256 nav)
        internal
        pure
        returns (uint256)
    {
        if (amountOut >= oracleOut) return 0;
        uint256 lossValue = Math.mulDiv(tradeValue, oracleOut - amountOut, oracleOut, Math.Rounding.Ceil);
        // a loss needs a trade of some value, and a trade of some value needs a net asset value above zero
        return lossValue == 0 ? 0 : Math.mulDiv(lossValue, WAD, nav, Math.Rounding.Ceil);
    }
}
