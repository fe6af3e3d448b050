// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {PortfolioTestBase} from "../portfolio/PortfolioTestBase.sol";
import {AgentPortfolioManagerHandler} from "./AgentPortfolioManagerHandler.sol";

/// @notice Invariants of the portfolio manager under random sequences of deposits (by anyone), owners'
/// withdrawals, strangers' withdrawal attempts, owner trades, keeper rebalances, stop orders and triggers, target
/// changes, external AMM trades (and one-block crashes swapped back) and time passing with the real oracle recorded
/// every period. Runs × depth come from foundry.toml ([invariant]: 256 × 50).
contract AgentPortfolioManagerInvariantTest is StdInvariant, PortfolioTestBase {
    AgentPortfolioManagerHandler internal handler;
    uint256[2] internal ids;

    function setUp() public override {
        super.setUp();
        // alice: on target, 50 bps a trade, 2 % a week; bob: all in base against 40/30/30, 100 bps a trade (so that
        // two-hop trades can pass) and a tight 0.3 % a day, so that the budget refuses trades
        ids[0] = _openSmall();
        vm.prank(alice);
        pm.setTargets(ids[0], _weights(6_666, 1_667, 1_667));
        vm.prank(bob);
        ids[1] = pm.openPortfolio(
            _assets(),
            _pools(),
            _weights(4_000, 3_000, 3_000),
            IAgentPortfolioManager.RiskLimits({
                driftBandBps: 200,
                maxLossPerTradeBps: 100,
                lossBudgetPpm: 3_000,
                lossWindow: 1 days,
                maxChunkBps: 2_000
            })
        );
        _deposit(bob, ids[1], base, 60_000e18);

        handler = new AgentPortfolioManagerHandler(
            pm,
            amm,
            oracle,
            [base, gpu, llm],
            [uint256(0), gpuPool, llmPool],
            ids,
            [alice, bob],
            [carol, dave, makeAddr("erin")],
            keeperBot,
            carol
        );
        MockERC20[3] memory tokens = [base, gpu, llm];
        address erin = makeAddr("erin");
        for (uint256 t; t < 3; ++t) {
            tokens[t].mint(erin, 1e30);
            vm.prank(erin);
            tokens[t].approve(address(pm), type(uint256).max);
        }

        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = handler.deposit.selector;
        selectors[1] = handler.withdraw.selector;
        selectors[2] = handler.strangerWithdraw.selector;
        selectors[3] = handler.trade.selector;
        selectors[4] = handler.rebalance.selector;
        selectors[5] = handler.setStop.selector;
        selectors[6] = handler.triggerStop.selector;
        selectors[7] = handler.setTargets.selector;
        selectors[8] = handler.warpAndRecord.selector;
        selectors[9] = handler.externalSwap.selector;
        selectors[10] = handler.crashAndRevert.selector;
        selectors[11] = handler.sandwich.selector;
        selectors[12] = handler.nextBlock.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice Every property, checked after every call of one campaign.
    function invariant_portfolioManager() public view {
        _checkBalancesEqualHoldings();
        _checkLedger();
        _checkOnlyOwnersTakeFundsOut();
        _checkEveryTradeWithinItsLossLimit();
        _checkEveryChargeCoversItsLoss();
        _checkNoInBlockSandwich();
        _checkLossBucket();
    }

    /// @dev Item 5b: the loss the budget records for each trade is at least its loss measured against the spot prices
    /// at the start of its block (what the assets sold could be sold for before anyone's trade in the block) and
    /// against the TWAP, within rounding.
    function _checkEveryChargeCoversItsLoss() internal view {
        assertEq(handler.ghostChargesBelowSpotLoss(), 0, "a charge below the loss against the pre-block spot");
        assertEq(handler.ghostChargesBelowTwapLoss(), 0, "a charge below the loss against the TWAP");
    }

    /// @dev Item 5b: a rebalance never trades a pool after an attacker's front-run in the same block (before the
    /// manager's own first trade of it in the block), and no in-block sandwich paid its attacker (valued by selling
    /// back through the AMM all he bought).
    function _checkNoInBlockSandwich() internal view {
        assertEq(
            handler.ghostInBlockSandwichesExecuted(), 0, "a rebalance traded after a same-block front-run"
        );
        assertEq(handler.ghostInBlockSandwichProfits(), 0, "an in-block sandwich paid");
    }

    /// @dev Per token: the manager's balance is exactly the sum of the portfolios' holdings, and it leaves the AMM
    /// no allowance.
    function _checkBalancesEqualHoldings() internal view {
        for (uint256 t; t < 3; ++t) {
            MockERC20 token = handler.tokenAt(t);
            uint256 sum = pm.holdingOf(ids[0], address(token)) + pm.holdingOf(ids[1], address(token));
            assertEq(token.balanceOf(address(pm)), sum, "balance != sum of holdings");
            assertEq(token.allowance(address(pm), address(amm)), 0, "allowance left to the AMM");
        }
    }

    /// @dev Per portfolio and token: holding = deposited − withdrawn − sold + bought, from the events.
    function _checkLedger() internal view {
        for (uint256 i; i < 2; ++i) {
            for (uint256 t; t < 3; ++t) {
                address token = address(handler.tokenAt(t));
                assertEq(int256(pm.holdingOf(ids[i], token)), handler.ghostLedger(ids[i], token), "ledger");
            }
        }
    }

    /// @dev Tokens left the manager only to the AMM (trades) or to the recipient of an owner's own withdrawal; no
    /// stranger's withdrawal went through.
    function _checkOnlyOwnersTakeFundsOut() internal view {
        for (uint256 t; t < 3; ++t) {
            assertEq(
                handler.ghostLeakedToNonOwners(address(handler.tokenAt(t))), 0, "tokens left to a non-owner"
            );
        }
        assertEq(handler.ghostStrangerWithdrawals(), 0, "a stranger withdrew");
    }

    /// @dev Every trade (every rebalance in particular) returned at least (1 − maxLossPerTradeBps) of its reference
    /// output (the larger of its outputs at the TWAP and at the pre-block spot prices), as computed by the handler.
    function _checkEveryTradeWithinItsLossLimit() internal view {
        assertEq(handler.ghostRebalancesOverLimit(), 0, "a rebalance lost more than its limit");
        assertEq(handler.ghostTradesOverLimit(), 0, "a trade lost more than its limit");
    }

    /// @dev The bucket never holds more than the budget: neither now, nor at any point of the sequence (the
    /// handler's replay of it from the charges), and the contract's level is the replay's.
    function _checkLossBucket() internal view {
        for (uint256 i; i < 2; ++i) {
            IAgentPortfolioManager.PortfolioView memory v = pm.getPortfolio(ids[i]);
            assertLe(pm.lossUsedNow(ids[i]), v.limits.lossBudgetPpm, "bucket over budget now");
            assertLe(v.lossUsedPpm, v.limits.lossBudgetPpm, "stored level over budget");
            assertLe(
                handler.ghostBucketPeak(ids[i]), v.limits.lossBudgetPpm, "bucket over budget at some point"
            );
            assertEq(v.lossUsedPpm, handler.ghostBucket(ids[i]), "bucket differs from its replay");
        }
    }

    /// @notice What the campaign exercised (printed with -vv).
    function afterInvariant() external view {
        console.log("rebalances", handler.ghostRebalances(), "trades", handler.ghostTrades());
        console.log(
            "stops fired", handler.ghostStops(), "budget refusals", handler.ghostBudgetRefusals(ids[1])
        );
        console.log("withdrawals", handler.calls("withdraw"), "deposits", handler.calls("deposit"));
        console.log(
            "crashes",
            handler.calls("crashAndRevert"),
            "rebalances refused",
            handler.calls("rebalance refused")
        );
        console.log(
            "sandwiches in block",
            handler.calls("sandwich in block"),
            "across blocks",
            handler.calls("sandwich across blocks")
        );
    }
}
