// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {AIPowerDerivatives} from "../../src/derivatives/AIPowerDerivatives.sol";
import {OracleOptionPriceSource} from "../../src/derivatives/OracleOptionPriceSource.sol";
import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {IVolatilityFeed} from "../../src/interfaces/IVolatilityFeed.sol";
import {VolatilityFeed} from "../../src/oracle/VolatilityFeed.sol";
import {BlackScholes} from "../../src/libraries/BlackScholes.sol";
import {OracleTestBase} from "../oracle/OracleTestBase.sol";

/// @notice Liquidation when an input of the option price goes missing, on the real AMM, oracle and volatility feed
/// with the deploy's defaults (band 20 %, volatility stale after a day, at most 500 %): a stale volatility (security
/// review, item 1) and an oracle closed by a band trip (item 5a).
contract AIPowerDerivativesStaleInputsTest is OracleTestBase {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant AMOUNT = 10e18;

    VolatilityFeed internal feed;
    OracleOptionPriceSource internal source;
    AIPowerDerivatives internal dv;
    uint256 internal seriesId;
    uint256 internal vaultId;
    uint256 internal strike;
    uint40 internal expiry;

    function setUp() public override {
        super.setUp();
        oracle.setMaxMove(2_000);
        feed = new VolatilityFeed(
            address(manager),
            IVolatilityFeed.VolatilityBounds({
                minWad: 0.1e18, maxWad: 5e18, maxStepWad: 0.1e18, minInterval: 1 hours, maxAge: 1 days
            })
        );
        source = new OracleOptionPriceSource(oracle, feed, amm, address(token1));
        dv = new AIPowerDerivatives(address(manager), source);
        source.listPool(pool01);
        _warmUp(pool01);
        feed.setVolatility(pool01, 0.8e18);
        strike = source.indexPriceWad(pool01);
        expiry = uint40((block.timestamp / PERIOD) * PERIOD + 3 days);
        seriesId = dv.createSeries(
            IAIPowerDerivatives.SeriesParams({
                underlyingPoolId: uint64(pool01),
                underlying: address(token0),
                quote: address(token1),
                strikeWad: uint128(strike),
                expiry: expiry,
                isCall: false
            })
        );
        address[3] memory writers = [alice, bob, carol];
        for (uint256 i; i < 3; ++i) {
            vm.prank(writers[i]);
            token1.approve(address(dv), type(uint256).max);
        }
        // alice writes 10 margined puts at the money at exactly her requirement and sells them to carol
        vm.startPrank(alice);
        vaultId = dv.openVault(seriesId, true, dv.requirement(seriesId, AMOUNT, true), AMOUNT);
        dv.transfer(carol, seriesId, AMOUNT);
        vm.stopPrank();
    }

    /// @dev token0 falls by ≈ 40 % in four steps two periods apart (each within the band), then a window at the new
    /// price, the oracle recorded every period.
    function _lastingFall() internal {
        for (uint256 i; i < 4; ++i) {
            _trade(pool01, true, 650);
            _keep(pool01, 2);
        }
        _keep(pool01, SLOTS);
    }

    /// @dev The oracle recorded every period for `seconds_`, nobody refreshing the volatility.
    function _keepFor(uint256 seconds_) internal {
        uint256 end = block.timestamp + seconds_;
        while (block.timestamp < end) _keep(pool01, 1);
    }

    // ─── Item 1: a stale volatility ───────────────────────────────────────────────────────────

    /// @notice The volatility goes stale (a day and ten minutes without an update) while token0 falls ≈ 40 % (2.50 →
    /// 1.51): the vault (8.04 against 14.65 required) is under water. The old code refused its liquidation
    /// (VolatilityStale) while it let bob open a new margined vault, and at expiry alice's vault left 1.85 of bad debt.
    /// Now carol liquidates it, paid at the value at the feed's ceiling (capped at the collateral); bob's new margined
    /// vault is refused until the keeper refreshes the volatility; no bad debt.
    function test_staleVolatility_underWaterVaultStaysLiquidatable_noNewMarginedExposure() public {
        _keepFor(1 days - 1 hours);
        _lastingFall();
        uint256 updatedAt = feed.poolVolatility(pool01).updatedAt;
        assertGt(block.timestamp - updatedAt, 1 days, "the volatility is stale");
        bytes memory stale =
            abi.encodeWithSelector(IVolatilityFeed.VolatilityStale.selector, pool01, updatedAt, 1 days);
        vm.expectRevert(stale);
        feed.volatilityOf(pool01);
        (uint256 collateral, uint256 required, bool liquidatable) = dv.vaultHealth(vaultId);
        assertTrue(liquidatable, "under water");
        assertLt(collateral, required);

        // no new margined exposure while the volatility is stale (a fully collateralized vault still opens)
        uint256 bobCollateral = dv.requirement(seriesId, AMOUNT, true);
        vm.prank(bob);
        vm.expectRevert(stale);
        dv.openVault(seriesId, true, bobCollateral, AMOUNT);
        uint256 fullCollateral = dv.requirement(seriesId, 1e18, false);
        vm.prank(bob);
        dv.openVault(seriesId, false, fullCollateral, 1e18);

        // one option liquidated at the value at the ceiling (500 %), grossed up by the 5 % start discount, capped at
        // the vault's collateral per option; then the rest
        uint256 spot = source.liquidationIndexPriceWad(pool01);
        uint256 valueAtCeiling = BlackScholes.premium(spot, strike, expiry - block.timestamp, 5e18, 0, false);
        assertGt(valueAtCeiling, strike - spot, "worth more than its intrinsic value");
        uint256 expected = Math.min(valueAtCeiling * 1e18 / 0.95e18, collateral / 10);
        uint256 carolBefore = token1.balanceOf(carol);
        vm.prank(carol);
        uint256 paid = dv.liquidate(vaultId, 1e18);
        assertApproxEqAbs(paid, expected, 1);
        vm.prank(carol);
        paid += dv.liquidate(vaultId, AMOUNT - 1e18);
        assertEq(token1.balanceOf(carol) - carolBefore, paid);
        assertEq(paid, collateral, "the whole collateral for options worth more");
        assertEq(dv.getVault(vaultId).short, 0);

        // the keeper refreshes the volatility: margined writing opens again
        feed.setVolatility(pool01, 0.9e18);
        bobCollateral = dv.requirement(seriesId, AMOUNT, true);
        vm.prank(bob);
        dv.openVault(seriesId, true, bobCollateral, AMOUNT);

        _keepFor(expiry - block.timestamp);
        dv.settleVault(vaultId);
        assertEq(dv.getSeries(seriesId).badDebt, 0, "no bad debt");
    }

    // ─── Item 5a: the band trip ───────────────────────────────────────────────────────────────

    /// @notice The writer of an under-water vault pushes token0's spot up by ≈ 25 % for one period (she buys with
    /// 12 % of the quote reserve at a period start and sells back right after the keeper's next record): the period
    /// average moves beyond the 20 % band and the oracle closes for a window. Her cost, in the quote token she spends
    /// and gets back (the AMM's fees only, no arbitrageur in between): 1,249.1 of a 1,944,732 quote reserve
    /// (0.064 %), per window. The old code refused every liquidation for that window (PriceMovedBeyondBand), so she
    /// could freeze hers for 1,249 a window; now the liquidation reads the same window ignoring the band (what her
    /// one period moves it by costs her as against a plain time-weighted price) and goes through, while the oracle
    /// stays closed for everything else.
    function test_bandTrip_writerCannotFreezeHerLiquidation() public {
        _lastingFall();
        feed.setVolatility(pool01, 0.8e18); // kept fresh: only the oracle is in question here
        (,, bool liquidatable) = dv.vaultHealth(vaultId);
        assertTrue(liquidatable, "under water");

        uint256 quoteBefore = token1.balanceOf(alice);
        uint256 token0Before = token0.balanceOf(alice);
        (, uint256 reserve1) = _reserves(pool01);
        uint256 bought = _swapIn(alice, pool01, address(token1), reserve1 * 1_200 / BPS);
        _noteSpot(pool01);
        _keep(pool01, 1);
        _swapIn(alice, pool01, address(token0), bought);
        _noteSpot(pool01);
        uint256 cost = quoteBefore - token1.balanceOf(alice);
        assertEq(token0.balanceOf(alice), token0Before, "she holds what she held");
        assertLt(cost, reserve1 / 1_000, "the trip costs her under 0.1 % of the quote reserve");

        // closed for a window: every other reader fails closed, a liquidation goes through at each period
        for (uint256 i; i < SLOTS - 1; ++i) {
            _keep(pool01, 1);
            vm.expectPartialRevert(IComputePriceOracle.PriceMovedBeyondBand.selector);
            source.indexPriceWad(pool01);
            (uint256 price0X112,) = oracle.twapIgnoringBandX112(pool01);
            assertEq(source.liquidationIndexPriceWad(pool01), Math.mulDiv(price0X112, WAD, Q112));
            (,, liquidatable) = dv.vaultHealth(vaultId);
            if (!liquidatable) break;
            vm.prank(carol);
            assertGt(dv.liquidate(vaultId, 1e18), 0, "liquidated while the band is tripped");
        }
        assertLt(dv.getVault(vaultId).short, AMOUNT, "liquidated during the closure");
    }
}
