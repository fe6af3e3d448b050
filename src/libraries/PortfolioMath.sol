// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAgentPortfolioManager} from "../interfaces/IAgentPortfolioManager.sol";

/// @title PortfolioMath
/// @notice The arithmetic of AgentPortfolioManager: packed target weights, drift, minimum outputs and losses against
/// the oracle, the leaky loss bucket, and the risk score's terms.
/// @dev Prices are base-token units per asset unit in UQ112.112 (the oracle's format); values are base-token units.
library PortfolioMath {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant PPM = 1_000_000;
    uint256 internal constant Q112 = 1 << 112;
    uint256 internal constant WAD = 1e18;
    /// @dev Risk-score terms are kept in bps × 1e9: precise enough, and their squares cannot overflow even at the
    /// largest volatility the oracle can report (its per-period variance increment is capped).
    uint256 internal constant SCORE_SCALE = 1e9;

    // ─── Target weights: 16 bits per asset, asset i at bits [16i, 16i + 16) ────────────────────────

    function packTargets(uint16[] calldata weights) internal pure returns (uint128 packed) {
        uint256 sum;
        for (uint256 i; i < weights.length; ++i) {
            sum += weights[i];
            packed |= uint128(uint256(weights[i]) << (16 * i));
        }
        if (sum != BPS) revert IAgentPortfolioManager.WeightsDoNotSumTo10000(sum);
    }

    function unpackTargets(uint128 packed, uint256 count) internal pure returns (uint16[] memory weights) {
        weights = new uint16[](count);
        for (uint256 i; i < count; ++i) {
            weights[i] = uint16(target(packed, i));
        }
    }

    function target(uint128 packed, uint256 index) internal pure returns (uint256) {
        return uint16(packed >> (16 * index));
    }

    /// @dev Moves asset `index`'s weight onto asset 0 (the base token); the sum stays 10,000.
    function moveTargetToBase(uint128 packed, uint256 index) internal pure returns (uint128) {
        uint256 moved = target(packed, index);
        uint256 shift = 16 * index;
        uint256 cleared = uint256(packed) & ~(uint256(0xffff) << shift);
        // the base token's weight is the low 16 bits; it cannot carry into asset 1's: the sum is 10,000
        return uint128(cleared + moved);
    }

    // ─── Drift ────────────────────────────────────────────────────────────────────────────────

    /// @dev The most overweight and most underweight assets, their distance from target in value, and the
    /// largest drift in bps. Distances are exact (value·10,000 − target·total), not rounded weights; ties go to
    /// the lower index.
    function drift(uint256[8] memory values, uint256 count, uint256 total, uint128 targets)
        internal
        pure
        returns (uint256 maxDriftBps, uint256 over, uint256 under, uint256 excess, uint256 deficit)
    {
        if (total == 0) return (0, 0, 0, 0, 0);
        uint256 mostOver;
        uint256 mostUnder;
        for (uint256 i; i < count; ++i) {
            uint256 scaled = values[i] * BPS;
            uint256 goal = target(targets, i) * total;
            if (scaled > goal) {
                if (scaled - goal > mostOver) (mostOver, over) = (scaled - goal, i);
            } else if (goal - scaled > mostUnder) {
                (mostUnder, under) = (goal - scaled, i);
            }
        }
        maxDriftBps = Math.max(mostOver, mostUnder) / total;
        excess = mostOver / BPS;
        deficit = mostUnder / BPS;
    }

    // ─── Trades against the oracle ────────────────────────────────────────────────────────────

    /// @dev Value in base units of `amount` at `priceX112`.
    function valueOf(uint256 amount, uint256 priceX112) internal pure returns (uint256) {
        return Math.mulDiv(amount, priceX112, Q112);
    }

    /// @dev Amount of an asset worth `value` base units at `priceX112`.
    function amountOf(uint256 value, uint256 priceX112) internal pure returns (uint256) {
        return Math.mulDiv(value, Q112, priceX112);
    }

    /// @dev The least output of a trade whose oracle output is `oracleOut`: rounded up, so the output falls short of
    /// the oracle by at most `maxLossBps`, never a wei more.
    function minOut(uint256 oracleOut, uint256 maxLossBps) internal pure returns (uint256) {
        return Math.mulDiv(oracleOut, BPS - maxLossBps, BPS, Math.Rounding.Ceil);
    }

    /// @dev How far short of the oracle an output falls, in bps of the oracle output, rounded up.
    function lossBps(uint256 oracleOut, uint256 amountOut) internal pure returns (uint256) {
        if (amountOut >= oracleOut) return 0;
        return Math.mulDiv(oracleOut - amountOut, BPS, oracleOut, Math.Rounding.Ceil);
    }

    /// @dev The budget charge of a trade: value lost against the oracle in ppm of the portfolio's value, rounded up
    /// (0 for a trade that beat the oracle).
    function lossPpm(uint256 valueIn, uint256 valueOut, uint256 total) internal pure returns (uint256) {
        if (valueOut >= valueIn) return 0;
        return Math.mulDiv(valueIn - valueOut, PPM, total, Math.Rounding.Ceil);
    }

    /// @dev The leaky bucket's level `elapsed` seconds after it held `used`: drained linearly by `budget` per
    /// `window`, never below empty. The drain rounds down (the bucket never empties faster than the budget).
    function drained(uint256 used, uint256 budget, uint256 window, uint256 elapsed)
        internal
        pure
        returns (uint256)
    {
        if (used == 0) return 0;
        uint256 drain = budget * elapsed / window;
        return used > drain ? used - drain : 0;
    }

    // ─── Risk ─────────────────────────────────────────────────────────────────────────────────

    /// @dev wᵢ as a 1e18 fraction of the total.
    function weightWad(uint256 value, uint256 total) internal pure returns (uint256) {
        return Math.mulDiv(value, WAD, total);
    }

    /// @dev wᵢ·σᵢ in bps × SCORE_SCALE: (w/1e18)·(σ/1e18)·10,000·1e9.
    function riskTerm(uint256 weight, uint256 sigmaWad) internal pure returns (uint256) {
        return Math.mulDiv(weight, sigmaWad * BPS, WAD * WAD / SCORE_SCALE);
    }

    /// @dev √Σ(wᵢσᵢ)² in bps, from the sum of the squared terms.
    function score(uint256 sumSquaredTerms) internal pure returns (uint256) {
        return Math.sqrt(sumSquaredTerms) / SCORE_SCALE;
    }

    /// @dev Σwᵢ² in bps, from the sum of the squared 1e18 weights.
    function hhi(uint256 sumSquaredWeights) internal pure returns (uint256) {
        return Math.mulDiv(sumSquaredWeights, BPS, WAD * WAD);
    }
}
