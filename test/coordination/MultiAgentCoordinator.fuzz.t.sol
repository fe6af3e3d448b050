// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {CoordinatorTestBase} from "./CoordinatorTestBase.sol";

/// @notice Properties of the share math, the mandate and distributions over random amounts.
contract MultiAgentCoordinatorFuzzTest is CoordinatorTestBase {
    /// @dev A contribution followed at once by a full exit never returns more than was paid, whatever the
    /// consortium holds, the gpu taken out sold through the AMM (spot, after the sale: the oracle's price would hide
    /// a spot above it, issue 12 item 2), and the others' price per share never falls.
    function testFuzz_contributeThenRagequitNeverProfits(uint256 seed, uint256 amount, uint256 gpuBuy)
        public
    {
        // up to 100 000 base: a fifth of it trades within 1 % of the oracle in the 10 M pools
        _contribute(alice, cid, _bound(seed, 1, 1e23));
        gpuBuy = _bound(gpuBuy, 0, _holding(cid, address(base)) / 5);
        if (gpuBuy > 1e6) _leaderTrade(cid, gpuPool, address(base), gpuBuy);
        _nextSecond();
        amount = _bound(amount, 1, 1e24);
        uint256 priceBefore = _price(cid);

        uint256 shares = _contribute(bob, cid, amount);
        assertGe(_price(cid), priceBefore, "contribution diluted the others");
        uint256 priceMid = _price(cid);
        uint256[] memory out = _ragequit(bob, cid, shares);
        // up to one wei of the net asset value: the oracle rounds the value of the gpu left down, and a second after
        // the leader's trade its price (with that second of the new spot) is no longer a round ratio
        assertGe(
            _price(cid) + Math.ceilDiv(1e36, _totalShares(cid) + VIRTUAL_SHARES),
            priceMid,
            "exit diluted the others"
        );
        uint256 gpuSold;
        if (out[1] != 0 && amm.getAmountOut(gpuPool, address(gpu), out[1]) != 0) {
            vm.prank(bob);
            gpuSold = amm.swapExactInputSingle(gpuPool, address(gpu), out[1], 0, bob, block.timestamp);
        }
        assertLe(out[0] + gpuSold, amount, "round trip paid more than it cost");
    }

    /// @dev A ragequit pays exactly ⌊holding·shares/(supply + 10^6)⌋ of each asset and burns exactly `shares`.
    function testFuzz_ragequitPaysExactlyProRata(uint256 a, uint256 b, uint256 buy, uint256 fraction) public {
        _contribute(alice, cid, _bound(a, 1e18, 1e23));
        _contribute(bob, cid, _bound(b, 1e18, 1e23));
        buy = _bound(buy, 1e6, _holding(cid, address(base)) / 10);
        _leaderTrade(cid, llmPool, address(base), buy);
        _nextBlock();
        uint256 held = coordinator.sharesOf(cid, bob);
        uint256 shares = _bound(fraction, 1, held);
        IMultiAgentCoordinator.ConsortiumView memory before = coordinator.getConsortium(cid);

        uint256[] memory out = _ragequit(bob, cid, shares);
        IMultiAgentCoordinator.ConsortiumView memory after_ = coordinator.getConsortium(cid);
        for (uint256 i; i < out.length; ++i) {
            uint256 expected = Math.mulDiv(before.holdings[i], shares, before.totalShares + VIRTUAL_SHARES);
            assertEq(out[i], expected);
            assertEq(after_.holdings[i], before.holdings[i] - expected);
        }
        assertEq(after_.totalShares, before.totalShares - shares);
        assertEq(coordinator.sharesOf(cid, bob), held - shares);
    }

    /// @dev Claims of a distribution never sum above it, whoever held what at the snapshot, and each claim is
    /// the rounded-down share of the holder's snapshot balance.
    function testFuzz_claimsNeverExceedTheDistribution(uint256 a, uint256 b, uint256 c, uint256 moved)
        public
    {
        _contribute(alice, cid, _bound(a, 1e18, 1e23));
        _contribute(bob, cid, _bound(b, 1e18, 1e23));
        _contribute(carol, cid, _bound(c, 1e18, 1e23));
        _nextBlock();
        moved = _bound(moved, 0, coordinator.sharesOf(cid, carol));
        if (moved != 0) {
            vm.prank(carol);
            coordinator.transferShares(cid, dave, moved);
        }
        _leaderTrade(cid, gpuPool, address(base), _nav(cid) / 5);
        _pumpAsset(gpuPool, 500_000e18);
        uint256 id = coordinator.distributeProfits(cid);
        IMultiAgentCoordinator.DistributionView memory d = coordinator.getDistribution(id);

        address[4] memory holders = [alice, bob, carol, dave];
        uint256 total;
        for (uint256 i; i < 4; ++i) {
            uint256 snapshotShares = coordinator.sharesAt(cid, holders[i], d.snapshotBlock);
            uint256 expected = Math.mulDiv(d.amount, snapshotShares, d.totalSharesAtSnapshot);
            assertEq(coordinator.claimable(id, holders[i]), expected);
            if (expected == 0) continue;
            vm.prank(holders[i]);
            total += coordinator.claim(id);
        }
        assertLe(total, d.amount);
        assertGe(total + 4, d.amount);
        assertEq(coordinator.getDistribution(id).claimed, total);
    }

    /// @dev Any leader trade either reverts or stays inside the mandate: an allowed pool, at most maxTradeBps of
    /// the net asset value, at least the oracle's output less maxLossPerTradeBps.
    function testFuzz_leaderTradeStaysInsideTheMandate(uint256 amountIn, bool sellLlm, uint256 skew) public {
        _fundConsortium();
        _leaderTrade(cid, llmPool, address(base), 10_000e18);
        _advance(WINDOW + PERIOD);
        // someone moves the llm spot either way, up to ~4 %
        skew = _bound(skew, 0, 400_000e18);
        if (skew >= 1e18) {
            vm.prank(lp);
            if (skew % 2 == 0) {
                amm.swapExactInputSingle(llmPool, address(base), skew, 0, lp, block.timestamp);
            } else {
                amm.swapExactInputSingle(llmPool, address(llm), skew * 2, 0, lp, block.timestamp);
            }
        }
        address tokenIn = sellLlm ? address(llm) : address(base);
        amountIn = _bound(amountIn, 1, _holding(cid, tokenIn));
        uint256 nav = _nav(cid);
        (uint256 value,) = sellLlm ? oracle.consult(llmPool, address(llm), amountIn) : (amountIn, address(0));
        (uint256 oracleOut,) = oracle.consult(llmPool, tokenIn, amountIn);

        vm.prank(leader);
        try coordinator.leaderTrade(cid, _path(llmPool), tokenIn, amountIn) returns (uint256 out) {
            assertLe(value, nav * MAX_TRADE_BPS / 10_000, "too large");
            assertGe(out, Math.mulDiv(oracleOut, 10_000 - MAX_LOSS_PER_TRADE_BPS, 10_000, Math.Rounding.Ceil));
            assertLe(coordinator.getConsortium(cid).lossUsedBps, MAX_LOSS_PER_PERIOD_BPS);
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            assertTrue(
                selector == IMultiAgentCoordinator.TradeTooLarge.selector
                    || selector == IAIServiceAMM.SlippageExceeded.selector
                    // dust the AMM cannot pay out
                    || selector == IAIServiceAMM.InsufficientOutputAmount.selector
                    || selector == IMultiAgentCoordinator.LossLimitExceeded.selector,
                "unexpected revert"
            );
            if (selector == IMultiAgentCoordinator.TradeTooLarge.selector) {
                assertGt(value, nav * MAX_TRADE_BPS / 10_000);
            }
        }
    }

    /// @dev sharesAt returns, for every past block, what the account held at its end.
    function testFuzz_sharesAtFollowsTheHistory(uint256[6] memory moves) public {
        _contribute(alice, cid, 1_000e18);
        _nextBlock();
        uint256[] memory blocks = new uint256[](6);
        uint256[] memory aliceAt = new uint256[](6);
        for (uint256 i; i < 6; ++i) {
            uint256 held = coordinator.sharesOf(cid, alice);
            uint256 amount = _bound(moves[i], 0, held);
            if (amount != 0 && moves[i] % 3 != 0) {
                vm.prank(alice);
                coordinator.transferShares(cid, bob, amount);
            } else if (amount != 0) {
                _ragequit(alice, cid, amount);
            }
            if (moves[i] % 5 == 0) _contribute(alice, cid, 1e18 + moves[i] % 1e18);
            blocks[i] = block.number;
            aliceAt[i] = coordinator.sharesOf(cid, alice);
            _nextBlock();
        }
        for (uint256 i; i < 6; ++i) {
            assertEq(coordinator.sharesAt(cid, alice, blocks[i]), aliceAt[i]);
        }
    }

    function _price(uint256 id) internal view returns (uint256) {
        return Math.mulDiv(_nav(id) + 1, 1e36, _totalShares(id) + VIRTUAL_SHARES);
    }
}
