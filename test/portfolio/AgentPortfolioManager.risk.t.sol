// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {MockERC20} from "../mocks/MockERC20.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice calculateRiskScore: √Σ(wᵢσᵢ)² in bps with σᵢ from `oracle.volatility(pool)`, and the Herfindahl index
/// Σwᵢ² in bps. The pools are made volatile by real trades, recorded by the real oracle every period.
contract AgentPortfolioManagerRiskTest is PortfolioTestBase {
    /// @dev Swings both pools' prices up and down by about `gpuSwingBps` / `llmSwingBps` every period for two
    /// windows, then leaves them where they started, so that the oracle has a full window of returns.
    function _makeVolatile(uint256 gpuSwingBps, uint256 llmSwingBps) internal {
        for (uint256 k; k < 2 * WINDOW / PERIOD; ++k) {
            _swing(gpuPool, gpu, gpuSwingBps, k % 2 == 0);
            _swing(llmPool, llm, llmSwingBps, k % 2 == 0);
            _advance(PERIOD);
        }
    }

    /// @dev Sells (or buys back) about `swingBps / 2` of the pool's asset reserve: the price moves ~`swingBps`.
    function _swing(uint256 poolId, MockERC20 asset, uint256 swingBps, bool down) internal {
        if (swingBps == 0) return;
        (uint256 reserveAsset,) = _poolReserves(poolId, asset);
        if (down) {
            _swap(carol, poolId, asset, reserveAsset * swingBps / 2 / BPS);
        } else {
            (, uint256 reserveBase) = _poolReserves(poolId, asset);
            _swap(carol, poolId, base, reserveBase * swingBps / 2 / BPS);
        }
    }

    function _portfolio(address owner, uint16 wBase, uint16 wGpu, uint16 wLlm, uint256 value)
        internal
        returns (uint256 id)
    {
        vm.prank(owner);
        id = pm.openPortfolio(_assets(), _pools(), _weights(wBase, wGpu, wLlm), _limits());
        if (wBase != 0) _deposit(owner, id, base, value * wBase / BPS);
        if (wGpu != 0) {
            _deposit(owner, id, gpu, Math.mulDiv(value * wGpu / BPS, Q112, _priceOf(gpu)));
        }
        if (wLlm != 0) {
            _deposit(owner, id, llm, Math.mulDiv(value * wLlm / BPS, Q112, _priceOf(llm)));
        }
    }

    function test_calculateRiskScore_matchesTheDocumentedFormula() public {
        _makeVolatile(400, 100);
        uint256 id = _openBalanced();
        (uint256 total, uint256[] memory values) = pm.portfolioValue(id);
        uint256 sigmaGpu = oracle.volatility(gpuPool);
        uint256 sigmaLlm = oracle.volatility(llmPool);
        assertGt(sigmaGpu, sigmaLlm);
        assertGt(sigmaLlm, 0);
        // wᵢσᵢ in bps: (value / total) × (σ / 1e18) × 10,000
        uint256 termGpu = Math.mulDiv(values[1] * BPS, sigmaGpu, total * 1e18);
        uint256 termLlm = Math.mulDiv(values[2] * BPS, sigmaLlm, total * 1e18);
        uint256 expectedScore = Math.sqrt(termGpu * termGpu + termLlm * termLlm);
        uint256 expectedHhi =
            (values[0] * values[0] + values[1] * values[1] + values[2] * values[2]) * BPS / (total * total);

        (uint256 score, uint256 hhi) = pm.calculateRiskScore(id);
        assertApproxEqAbs(score, expectedScore, 1);
        assertApproxEqAbs(hhi, expectedHhi, 1);
        // ~40/30/30: Σw² = 0.16 + 0.09 + 0.09
        assertApproxEqAbs(hhi, 3_400, 30);
    }

    /// @notice Which of two portfolios is riskier, and why: A holds 90 % of its value in the volatile gpu and 10 % in
    /// the base token; B spreads a third each over the base token, gpu and the calmer llm. A's score is ~0.9·σ_gpu
    /// — nearly all its value swings with gpu — while B's is √((σ_gpu/3)² + (σ_llm/3)²): a third of the exposure to
    /// gpu, the rest split between a calm asset and the base token, whose swings do not add up linearly. A is also
    /// the more concentrated (HHI 0.82 against 0.33).
    function test_calculateRiskScore_concentratedAndVolatileScoresAboveDiversified() public {
        _makeVolatile(400, 100);
        uint256 concentrated = _portfolio(alice, 1_000, 9_000, 0, 100_000e18);
        uint256 diversified = _portfolio(bob, 3_334, 3_333, 3_333, 100_000e18);
        uint256 sigmaGpu = oracle.volatility(gpuPool);
        uint256 sigmaLlm = oracle.volatility(llmPool);

        (uint256 scoreA, uint256 hhiA) = pm.calculateRiskScore(concentrated);
        (uint256 scoreB, uint256 hhiB) = pm.calculateRiskScore(diversified);
        assertGt(scoreA, scoreB, "concentrated in the volatile asset: riskier");
        assertGt(hhiA, hhiB, "and more concentrated");

        // why: each score is its weighted volatilities added in quadrature
        assertApproxEqRel(scoreA, sigmaGpu * 9_000 / 1e18, 0.001e18);
        uint256 third = sigmaGpu * 3_333 / 1e18;
        uint256 thirdLlm = sigmaLlm * 3_333 / 1e18;
        assertApproxEqRel(scoreB, Math.sqrt(third * third + thirdLlm * thirdLlm), 0.001e18);
        assertApproxEqAbs(hhiA, 8_200, 5); // 0.9² + 0.1²
        assertApproxEqAbs(hhiB, 3_333, 5); // 3 × (1/3)²
        // B is less than half as risky: more than the reduction of its gpu exposure alone (9/10 → 1/3) explains
        assertLt(scoreB * 2, scoreA);
    }

    /// @notice Spreading over independent assets lowers the score: two assets of equal volatility held 50/50 score
    /// σ/√2, not σ.
    function test_calculateRiskScore_diversificationBetweenEquallyVolatileAssets() public {
        _makeVolatile(300, 300);
        uint256 sigmaGpu = oracle.volatility(gpuPool);
        uint256 sigmaLlm = oracle.volatility(llmPool);
        assertApproxEqRel(sigmaGpu, sigmaLlm, 0.05e18);
        uint256 single = _portfolio(alice, 0, 10_000, 0, 100_000e18);
        uint256 pair = _portfolio(bob, 0, 5_000, 5_000, 100_000e18);
        (uint256 scoreSingle, uint256 hhiSingle) = pm.calculateRiskScore(single);
        (uint256 scorePair, uint256 hhiPair) = pm.calculateRiskScore(pair);
        assertApproxEqRel(scoreSingle, sigmaGpu * BPS / 1e18, 0.001e18);
        assertEq(hhiSingle, 10_000);
        assertApproxEqAbs(hhiPair, 5_000, 1);
        uint256 half = sigmaGpu * 5_000 / 1e18;
        uint256 halfLlm = sigmaLlm * 5_000 / 1e18;
        assertApproxEqRel(scorePair, Math.sqrt(half * half + halfLlm * halfLlm), 0.001e18);
        // ~1/√2 of the single asset's score
        assertApproxEqRel(scorePair * 1e18 / scoreSingle, 0.7071e18, 0.03e18);
    }

    function test_calculateRiskScore_baseTokenOnlyIsRisklessButConcentrated() public {
        _makeVolatile(400, 100);
        uint256 id = _portfolio(alice, 10_000, 0, 0, 100_000e18);
        (uint256 score, uint256 hhi) = pm.calculateRiskScore(id);
        assertEq(score, 0);
        assertEq(hhi, 10_000);
    }

    function test_calculateRiskScore_zeroForAnEmptyPortfolio() public {
        uint256 id = _open(alice);
        (uint256 score, uint256 hhi) = pm.calculateRiskScore(id);
        assertEq(score, 0);
        assertEq(hhi, 0);
    }

    function test_calculateRiskScore_zeroVolatilityWhenPricesStand() public {
        // setUp's pools never traded: the oracle's realized volatility is 0
        uint256 id = _openBalanced();
        assertEq(oracle.volatility(gpuPool), 0);
        (uint256 score, uint256 hhi) = pm.calculateRiskScore(id);
        assertEq(score, 0);
        assertEq(hhi, 3_400);
    }
}
