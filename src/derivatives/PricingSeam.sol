// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PricingSeam
/// @notice TEMPORARY seam between AIPowerDerivatives and its option-pricing library: every premium and delta the
/// derivatives contract computes goes through these two functions, so that the Black–Scholes library replaces this
/// file on merge without touching the contract.
/// @dev PLACEHOLDER — NOT A PRICING MODEL. The bodies are intrinsic value and a step delta (time value and
/// volatility are ignored). All values are 18-decimal fixed point: prices in quote per whole underlying unit,
/// `timeSeconds` to expiry, `volWad` annualized (1e18 = 100 %), `rateWad` annual.
library PricingSeam {
    /// @notice Premium of one whole unit of the option, in quote (wad). PLACEHOLDER: intrinsic value.
    function premium(
        uint256 spotWad,
        uint256 strikeWad,
        uint256 timeSeconds,
        uint256 volWad,
        uint256 rateWad,
        bool isCall
    ) internal pure returns (uint256) {
        (timeSeconds, volWad, rateWad); // unused by the placeholder
        if (isCall) return spotWad > strikeWad ? spotWad - strikeWad : 0;
        return strikeWad > spotWad ? strikeWad - spotWad : 0;
    }

    /// @notice ∂premium/∂spot (wad; calls in [0, 1e18], puts in [−1e18, 0]). PLACEHOLDER: the expiry step function.
    function delta(
        uint256 spotWad,
        uint256 strikeWad,
        uint256 timeSeconds,
        uint256 volWad,
        uint256 rateWad,
        bool isCall
    ) internal pure returns (int256) {
        (timeSeconds, volWad, rateWad); // unused by the placeholder
        if (isCall) return spotWad > strikeWad ? int256(1e18) : int256(0);
        return strikeWad > spotWad ? -int256(1e18) : int256(0);
    }
}
