// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice Fuzz tests: custody round trips, weight validation, and rebalances, trades and stops over random
/// holdings, targets, limits and prices — each checked against what the contract promises (direction, size, loss
/// against the oracle, the budget, custody) and against what its keeper-facing views predicted.
contract AgentPortfolioManagerFuzzTest is PortfolioTestBase {
    MockERC20[3] internal tokens;

    function setUp() public override {
        super.setUp();
        tokens = [base, gpu, llm];
    }

    // ─── Custody ──────────────────────────────────────────────────────────────────────────────

    function testFuzz_depositWithdraw_booksExactly(uint256 tokenSeed, uint256 deposited, uint256 withdrawn)
        public
    {
        MockERC20 token = tokens[tokenSeed % 3];
        deposited = bound(deposited, 1, 1e27);
        withdrawn = bound(withdrawn, 1, deposited);
        uint256 id = _open(alice);
        uint256 other = _open(bob);
        _deposit(bob, other, token, 7e18);
        uint256 before = token.balanceOf(alice);

        _deposit(alice, id, token, deposited);
        vm.prank(alice);
        pm.withdraw(id, address(token), withdrawn, alice);

        assertEq(_holding(id, token), deposited - withdrawn);
        assertEq(before - token.balanceOf(alice), deposited - withdrawn);
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (id, other);
        _assertCustody(ids);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.InsufficientHoldings.selector,
                address(token),
                deposited - withdrawn,
                deposited - withdrawn + 1
            )
        );
        pm.withdraw(id, address(token), deposited - withdrawn + 1, alice);
    }

    function testFuzz_openPortfolio_acceptsWeightsIffTheySumTo10000(uint16 w0, uint16 w1, uint16 w2) public {
        uint256 sum = uint256(w0) + w1 + w2;
        vm.prank(alice);
        if (sum != 10_000) {
            vm.expectRevert(
                abi.encodeWithSelector(IAgentPortfolioManager.WeightsDoNotSumTo10000.selector, sum)
            );
        }
        pm.openPortfolio(_assets(), _pools(), _weights(w0, w1, w2), _limits());
        if (sum == 10_000) {
            uint16[] memory stored = pm.getPortfolio(0).targetWeightsBps;
            assertEq(stored[0], w0);
            assertEq(stored[1], w1);
            assertEq(stored[2], w2);
        }
    }

    // ─── Rebalance ────────────────────────────────────────────────────────────────────────────

    struct RebalanceCase {
        uint256 id;
        uint16[3] targets;
        uint256[3] valuesBefore;
        uint256 totalBefore;
        bool predicted;
        uint256 driftBefore;
        uint16 maxLossBps;
        uint16 chunkBps;
        uint256[3] spots;
    }

    /// @dev Random holdings (0 to 200 k base of value each), targets, band, loss limit, chunk and budget, and a
    /// random spot move in one pool; one rebalance.
    function testFuzz_rebalance_tradesAsPromisedOrRefusesAsPredicted(
        uint256[3] memory amounts,
        uint16[2] memory targetSeeds,
        uint16 bandSeed,
        uint16 lossSeed,
        uint16 chunkSeed,
        uint32 budgetSeed,
        uint256 spotMove
    ) public {
        RebalanceCase memory c;
        c.targets[0] = uint16(bound(targetSeeds[0], 0, 10_000));
        c.targets[1] = uint16(bound(targetSeeds[1], 0, 10_000 - c.targets[0]));
        c.targets[2] = 10_000 - c.targets[0] - c.targets[1];
        c.maxLossBps = uint16(bound(lossSeed, 1, 300));
        c.chunkBps = uint16(bound(chunkSeed, 1, 10_000));
        IAgentPortfolioManager.RiskLimits memory limits = IAgentPortfolioManager.RiskLimits({
            driftBandBps: uint16(bound(bandSeed, 0, 3_000)),
            maxLossPerTradeBps: c.maxLossBps,
            lossBudgetPpm: uint32(bound(budgetSeed, 1, 1_000_000)),
            lossWindow: 7 days,
            maxChunkBps: c.chunkBps
        });
        vm.prank(alice);
        c.id =
            pm.openPortfolio(_assets(), _pools(), _weights(c.targets[0], c.targets[1], c.targets[2]), limits);
        _deposit(alice, c.id, base, bound(amounts[0], 0, 200_000e18), true);
        _deposit(alice, c.id, gpu, bound(amounts[1], 0, 100_000e18), true);
        _deposit(alice, c.id, llm, bound(amounts[2], 0, 400_000e18), true);
        // someone moved a pool's spot price (up to ±5 %), in this block or the one before: the oracle has not seen
        // it; after a move in this block, a trade through that pool is refused
        spotMove = bound(spotMove, 0, 500_000e18);
        uint256 movedPool = _moveSpot(spotMove);
        if (spotMove % 3 != 0) {
            _nextBlock(12);
            movedPool = type(uint256).max;
        }

        (c.totalBefore,) = pm.portfolioValue(c.id);
        (, uint256[] memory values) = pm.portfolioValue(c.id);
        (c.valuesBefore[0], c.valuesBefore[1], c.valuesBefore[2]) = (values[0], values[1], values[2]);
        (c.predicted, c.driftBefore) = pm.needsRebalance(c.id);
        (c.spots[0], c.spots[1], c.spots[2]) = (_spotOf(base), _spotOf(gpu), _spotOf(llm));

        vm.prank(keeperBot);
        try pm.rebalancePortfolio(c.id) returns (uint256 amountIn, uint256 amountOut) {
            assertTrue(c.predicted, "needsRebalance said no, the rebalance traded");
            assertGt(c.driftBefore, limits.driftBandBps);
            _checkRebalance(c, amountIn, amountOut);
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            // the view answers for the next block: a pool moved in this block refuses the trade now, not then
            if (selector != IAgentPortfolioManager.PoolTradedThisBlock.selector) {
                assertFalse(c.predicted, "needsRebalance said yes, the rebalance reverted");
            }
            if (selector == IAgentPortfolioManager.WithinDriftBand.selector) {
                assertLe(c.driftBefore, limits.driftBandBps);
            } else {
                if (selector == IAgentPortfolioManager.PoolTradedThisBlock.selector) {
                    (uint256 poolId,) = abi.decode(_args(reason), (uint256, uint256));
                    assertEq(poolId, movedPool, "refused only for the pool moved in this block");
                } else {
                    assertTrue(
                        selector == IAgentPortfolioManager.TradeLossTooHigh.selector
                            || selector == IAgentPortfolioManager.LossBudgetExceeded.selector
                            || selector == IAgentPortfolioManager.ZeroAmount.selector,
                        "refused for a reason other than the band, the loss limits or a dust chunk"
                    );
                }
            }
        }
        _assertCustody(_ids(c.id));
        assertLe(pm.lossUsedNow(c.id), limits.lossBudgetPpm);
    }

    function _checkRebalance(RebalanceCase memory c, uint256 amountIn, uint256 amountOut) internal view {
        // which assets moved: the seller lost amountIn, the buyer gained amountOut
        uint256 seller = 3;
        uint256 buyer = 3;
        (, uint256[] memory valuesAfter) = pm.portfolioValue(c.id);
        for (uint256 i; i < 3; ++i) {
            if (valuesAfter[i] < c.valuesBefore[i]) seller = i;
            if (valuesAfter[i] > c.valuesBefore[i]) buyer = i;
        }
        assertTrue(seller < 3 && buyer < 3 && seller != buyer, "one asset sold, another bought");
        // the seller was the most overweight and the buyer the most underweight, by exact value distance
        int256 sellerDistance = _distance(c, seller);
        int256 buyerDistance = _distance(c, buyer);
        assertGt(sellerDistance, 0);
        assertLt(buyerDistance, 0);
        for (uint256 i; i < 3; ++i) {
            assertLe(_distance(c, i), sellerDistance, "sold the most overweight");
            assertGe(_distance(c, i), buyerDistance, "bought the most underweight");
        }
        // no more than the chunk, the excess or the deficit (in value at the oracle, rounding down)
        uint256 valueIn = Math.mulDiv(amountIn, _priceOf(tokens[seller]), Q112);
        assertLe(valueIn, c.totalBefore * c.chunkBps / BPS + 1);
        assertLe(valueIn, uint256(sellerDistance) / BPS + 1);
        assertLe(valueIn, uint256(-buyerDistance) / BPS + 1);
        // the output is at most maxLossBps short of the oracle's, and of the output at the spot prices before the
        // block (the pools it traded had not traded in the block; their reserves then were c.spots')
        uint256 oracleOut = Math.mulDiv(valueIn, Q112, _priceOf(tokens[buyer]));
        assertGe(amountOut * BPS, oracleOut * (BPS - c.maxLossBps), "lost more than the limit");
        uint256 spotOut = Math.mulDiv(Math.mulDiv(amountIn, c.spots[seller], Q112), Q112, c.spots[buyer]);
        assertGe(amountOut * BPS, spotOut * (BPS - c.maxLossBps), "lost more than the limit against spot");
    }

    function _distance(RebalanceCase memory c, uint256 i) internal pure returns (int256) {
        return int256(c.valuesBefore[i] * BPS) - int256(uint256(c.targets[i]) * c.totalBefore);
    }

    // ─── executeTrade ─────────────────────────────────────────────────────────────────────────

    function testFuzz_executeTrade_neverLosesMoreThanTheLimit(
        uint256 inSeed,
        uint256 outSeed,
        uint256 amount,
        uint16 lossSeed,
        uint256 spotMove
    ) public {
        uint256 id = _openBalanced();
        uint16 maxLoss = uint16(bound(lossSeed, 1, 200));
        _setLimits(id, maxLoss, 1_000_000, 1_000);
        MockERC20 tokenIn = tokens[inSeed % 3];
        MockERC20 tokenOut = tokens[(inSeed % 3 + 1 + outSeed % 2) % 3];
        amount = bound(amount, 1e15, _holding(id, tokenIn));
        spotMove = bound(spotMove, 0, 300_000e18);
        uint256 movedPool = _moveSpot(spotMove);
        // a move in the block before: the trade's reference includes the moved spot price
        if (spotMove % 3 != 0) {
            _nextBlock(12);
            movedPool = type(uint256).max;
        }
        Expected memory e = _expected(id, tokenIn, tokenOut, amount, maxLoss);
        uint256[] memory route = _route(tokenIn, tokenOut);

        vm.prank(alice);
        try pm.executeTrade(id, route, address(tokenIn), amount) returns (uint256 out) {
            assertEq(out, e.amountOut);
            assertLe(e.lossBps, maxLoss);
            assertGe(out, e.minOut);
            assertEq(pm.lossUsedNow(id), e.lossPpm);
            assertTrue(
                route[0] != movedPool && route[route.length - 1] != movedPool, "not after a move in-block"
            );
        } catch (bytes memory reason) {
            if (bytes4(reason) == IAgentPortfolioManager.PoolTradedThisBlock.selector) {
                assertTrue(
                    route[0] == movedPool || route[route.length - 1] == movedPool, "refused for its pool"
                );
                return;
            }
            assertEq(
                reason,
                abi.encodeWithSelector(IAgentPortfolioManager.TradeLossTooHigh.selector, e.lossBps, maxLoss)
            );
            assertGt(e.lossBps, maxLoss);
        }
        _assertCustody(_ids(id));
    }

    // ─── Stops ────────────────────────────────────────────────────────────────────────────────

    function testFuzz_triggerStop_firesExactlyWhenTheViewSaysSo(
        uint128 stopLoss,
        uint128 takeProfit,
        uint256 sustainedMove,
        bool down
    ) public {
        uint256 id = _openSmall();
        stopLoss = uint128(bound(stopLoss, 0, 4e18));
        takeProfit = uint128(bound(takeProfit, 0, 4e18));
        if (stopLoss != 0 && takeProfit != 0 && stopLoss >= takeProfit) {
            (stopLoss, takeProfit) = (takeProfit / 2, stopLoss);
        }
        vm.prank(alice);
        pm.setStopOrder(id, address(gpu), stopLoss, takeProfit);
        // a move of up to ~15 % held for a window
        sustainedMove = bound(sustainedMove, 0, 380_000e18);
        if (sustainedMove >= 1e15) _swap(carol, gpuPool, down ? gpu : base, sustainedMove);
        _advance(WINDOW);

        uint256 price = _unitPrice(gpuPool, gpu);
        bool hit = (stopLoss != 0 && price <= stopLoss) || (takeProfit != 0 && price >= takeProfit);
        bool predicted = pm.stopTriggerable(id, address(gpu));
        if (predicted) assertTrue(hit);
        vm.prank(keeperBot);
        try pm.triggerStop(id, address(gpu)) {
            assertTrue(predicted, "stopTriggerable said no, the stop fired");
            assertEq(_holding(id, gpu), 0);
            assertEq(pm.getPortfolio(id).targetWeightsBps[1], 0);
            assertEq(pm.stopOrderOf(id, address(gpu)).stopLossPrice, 0);
        } catch (bytes memory reason) {
            assertFalse(predicted, "stopTriggerable said yes, the stop reverted");
            if (!hit) {
                assertEq(
                    reason,
                    abi.encodeWithSelector(
                        IAgentPortfolioManager.StopNotTriggered.selector, price, stopLoss, takeProfit
                    )
                );
            } else {
                assertEq(bytes4(reason), IAgentPortfolioManager.TradeLossTooHigh.selector);
            }
            assertEq(_holding(id, gpu), 5_000e18);
        }
        _assertCustody(_ids(id));
    }

    // ─── Loss budget ──────────────────────────────────────────────────────────────────────────

    function testFuzz_lossUsedNow_drainsLinearly(uint32 budgetSeed, uint32 windowSeed, uint256 elapsed)
        public
    {
        uint256 id = _openBalanced();
        IAgentPortfolioManager.RiskLimits memory limits = _limits();
        limits.lossBudgetPpm = uint32(bound(budgetSeed, 500, 1_000_000));
        limits.lossWindow = uint32(bound(windowSeed, 1, 365 days));
        vm.prank(alice);
        pm.setRiskLimits(id, limits);
        vm.prank(alice);
        pm.executeTrade(id, _path(gpuPool), address(base), 10_000e18);
        uint256 used = pm.lossUsedNow(id);
        assertGt(used, 0);
        elapsed = bound(elapsed, 0, 400 days);
        vm.warp(block.timestamp + elapsed);
        uint256 drain = uint256(limits.lossBudgetPpm) * elapsed / limits.lossWindow;
        assertEq(pm.lossUsedNow(id), used > drain ? used - drain : 0);
        assertLe(pm.lossUsedNow(id), limits.lossBudgetPpm);
    }

    // ─── Risk score ───────────────────────────────────────────────────────────────────────────

    function testFuzz_calculateRiskScore_boundedAndConcentrationInRange(uint256[3] memory amounts) public {
        // volatile pools: gpu swings ~4 %, llm ~1 % a period for two windows
        for (uint256 k; k < 2 * WINDOW / PERIOD; ++k) {
            (uint256 rGpu, uint256 rBaseG) = _poolReserves(gpuPool, gpu);
            (uint256 rLlm, uint256 rBaseL) = _poolReserves(llmPool, llm);
            if (k % 2 == 0) {
                _swap(carol, gpuPool, gpu, rGpu / 50);
                _swap(carol, llmPool, llm, rLlm / 200);
            } else {
                _swap(carol, gpuPool, base, rBaseG / 50);
                _swap(carol, llmPool, base, rBaseL / 200);
            }
            _advance(PERIOD);
        }
        uint256 id = _open(alice);
        _deposit(alice, id, base, bound(amounts[0], 0, 1e24), true);
        _deposit(alice, id, gpu, bound(amounts[1], 0, 1e24), true);
        _deposit(alice, id, llm, bound(amounts[2], 0, 1e24), true);
        (uint256 total,) = pm.portfolioValue(id);
        (uint256 score, uint256 hhi) = pm.calculateRiskScore(id);
        if (total == 0) {
            assertEq(score, 0);
            assertEq(hhi, 0);
            return;
        }
        uint256 maxSigmaBps = Math.max(oracle.volatility(gpuPool), oracle.volatility(llmPool)) * BPS / 1e18;
        assertLe(score, maxSigmaBps + 1, "never above the most volatile asset held alone");
        assertGe(hhi, 3_333 - 1, "at least 1/n");
        assertLe(hhi, 10_000);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    /// @dev A spot move in this block, unseen by the oracle: `seed` base or asset units into one of the pools.
    /// @dev Moves a pool's spot price (none for a seed under 1e15); returns the pool moved (max: none).
    function _moveSpot(uint256 seed) internal returns (uint256 poolId) {
        if (seed < 1e15) return type(uint256).max;
        MockERC20 asset = seed % 2 == 0 ? gpu : llm;
        poolId = _poolOf(asset);
        _swap(carol, poolId, seed % 4 < 2 ? asset : base, seed);
    }

    /// @dev An error's arguments, its selector cut off.
    function _args(bytes memory reason) internal pure returns (bytes memory args) {
        args = new bytes(reason.length - 4);
        for (uint256 i; i < args.length; ++i) {
            args[i] = reason[i + 4];
        }
    }

    /// @dev Deposits unless `amount` is dust (under 1e12 raw units), which the fuzz treats as nothing held.
    function _deposit(address who, uint256 id, MockERC20 token, uint256 amount, bool skipDust) internal {
        if (skipDust && amount < 1e12) return;
        _deposit(who, id, token, amount);
    }
}
