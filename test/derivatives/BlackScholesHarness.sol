// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlackScholes} from "../../src/libraries/BlackScholes.sol";

/// @notice Exposes BlackScholes' internal functions for tests, the gas benchmark and the TypeScript differential
/// test (which deploys this contract's compiled bytecode to anvil and reads `out/` for its ABI).
contract BlackScholesHarness {
    struct Option {
        uint256 spot;
        uint256 strike;
        uint256 timeSeconds;
        uint256 volatilityWad;
        uint256 rateWad;
    }

    function normalCdf(int256 x) external pure returns (uint256) {
        return BlackScholes.normalCdf(x);
    }

    function premium(uint256 spot, uint256 strike, uint256 time, uint256 vol, uint256 rate, bool isCall)
        external
        pure
        returns (uint256)
    {
        return BlackScholes.premium(spot, strike, time, vol, rate, isCall);
    }

    function prices(uint256 spot, uint256 strike, uint256 time, uint256 vol, uint256 rate)
        external
        pure
        returns (uint256 call, uint256 put)
    {
        return BlackScholes.prices(spot, strike, time, vol, rate);
    }

    function delta(uint256 spot, uint256 strike, uint256 time, uint256 vol, uint256 rate, bool isCall)
        external
        pure
        returns (int256)
    {
        return BlackScholes.delta(spot, strike, time, vol, rate, isCall);
    }

    /// @notice Many options in one call (the differential test's batch): calls, puts and call deltas.
    function batchPrices(Option[] calldata options)
        external
        pure
        returns (uint256[] memory calls, uint256[] memory puts, int256[] memory deltas)
    {
        calls = new uint256[](options.length);
        puts = new uint256[](options.length);
        deltas = new int256[](options.length);
        for (uint256 i; i < options.length; ++i) {
            Option calldata o = options[i];
            (calls[i], puts[i]) =
                BlackScholes.prices(o.spot, o.strike, o.timeSeconds, o.volatilityWad, o.rateWad);
            deltas[i] = BlackScholes.delta(o.spot, o.strike, o.timeSeconds, o.volatilityWad, o.rateWad, true);
        }
    }

    function batchNormalCdf(int256[] calldata xs) external pure returns (uint256[] memory ns) {
        ns = new uint256[](xs.length);
        for (uint256 i; i < xs.length; ++i) {
            ns[i] = BlackScholes.normalCdf(xs[i]);
        }
    }

    /// @notice Gas of one internal `premium` evaluation, measured with `gasleft()` around it (the call's own
    /// overhead — two GAS opcodes and a subtraction — is a handful of gas and is included).
    function premiumGas(uint256 spot, uint256 strike, uint256 time, uint256 vol, uint256 rate, bool isCall)
        external
        view
        returns (uint256 price, uint256 gasUsed)
    {
        gasUsed = gasleft();
        price = BlackScholes.premium(spot, strike, time, vol, rate, isCall);
        gasUsed -= gasleft();
    }

    /// @notice Gas of one internal `normalCdf` evaluation, as in `premiumGas`.
    function normalCdfGas(int256 x) external view returns (uint256 n, uint256 gasUsed) {
        gasUsed = gasleft();
        n = BlackScholes.normalCdf(x);
        gasUsed -= gasleft();
    }

    /// @notice Gas of one internal `delta` evaluation, as in `premiumGas`.
    function deltaGas(uint256 spot, uint256 strike, uint256 time, uint256 vol, uint256 rate, bool isCall)
        external
        view
        returns (int256 d, uint256 gasUsed)
    {
        gasUsed = gasleft();
        d = BlackScholes.delta(spot, strike, time, vol, rate, isCall);
        gasUsed -= gasleft();
    }
}
