// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {AIPowerDerivatives} from "../../src/derivatives/AIPowerDerivatives.sol";
import {OracleOptionPriceSource} from "../../src/derivatives/OracleOptionPriceSource.sol";
import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {IVolatilityFeed} from "../../src/interfaces/IVolatilityFeed.sol";
import {VolatilityFeed} from "../../src/oracle/VolatilityFeed.sol";
import {MockERC20Decimals} from "../mocks/MockERC20Decimals.sol";
import {OracleTestBase} from "../oracle/OracleTestBase.sol";

/// @notice The options' price source over the real AMM, oracle and volatility feed: whole-unit wad prices whatever
/// the decimals, in both pool orientations; settlement prices as the oracle fixes them; series that could never
/// settle refused; and one option series written, expired, settled and exercised against the real oracle.
/// @dev The quote token is token1: pool01 (token0/token1) has its underlying as token0, pool12 (token1/token2) as
/// token1 of the pool, so both orientations are covered.
contract OracleOptionPriceSourceTest is OracleTestBase {
    uint256 internal constant WAD = 1e18;

    VolatilityFeed internal feed;
    OracleOptionPriceSource internal source;

    function setUp() public override {
        super.setUp();
        feed = new VolatilityFeed(
            address(manager),
            IVolatilityFeed.VolatilityBounds({
                minWad: 0.1e18, maxWad: 3e18, maxStepWad: 0.5e18, minInterval: 0, maxAge: 7 days
            })
        );
        source = new OracleOptionPriceSource(oracle, feed, amm, address(token1));
    }

    // ─── Listing ──────────────────────────────────────────────────────────────────────────────

    function test_listPool_findsTheUnderlyingInEitherOrientationOnce() public {
        OracleOptionPriceSource.ListedPool memory listed = source.listPool(pool01);
        assertEq(listed.underlying, address(token0));
        assertTrue(listed.underlyingIsToken0);
        listed = source.listPool(pool12);
        assertEq(listed.underlying, address(token2));
        assertFalse(listed.underlyingIsToken0);
        assertEq(listed.underlyingDecimals, 18);
        // idempotent: the stored listing, no second event
        vm.recordLogs();
        source.listPool(pool12);
        assertEq(vm.getRecordedLogs().length, 0);
    }

    function test_listPool_refusesAPoolWithoutTheQuoteToken() public {
        uint256 pool02 = _createPool(token0, token2);
        vm.expectRevert(
            abi.encodeWithSelector(
                OracleOptionPriceSource.PoolWithoutQuote.selector,
                pool02,
                amm.getPool(pool02).token0,
                amm.getPool(pool02).token1
            )
        );
        source.listPool(pool02);
    }

    function test_reads_refuseAnUnlistedPool() public {
        vm.expectRevert(abi.encodeWithSelector(OracleOptionPriceSource.PoolNotListed.selector, pool01));
        source.indexPriceWad(pool01);
        vm.expectRevert(abi.encodeWithSelector(OracleOptionPriceSource.PoolNotListed.selector, pool01));
        source.settlementPriceWad(pool01, 0);
    }

    // ─── Index ────────────────────────────────────────────────────────────────────────────────

    function test_indexPriceWad_isTheTwapOfOneWholeUnderlying() public {
        source.listPool(pool01);
        source.listPool(pool12);
        uint256[] memory both = new uint256[](2);
        (both[0], both[1]) = (pool01, pool12);
        _warmUp(both);
        (uint256 oneToken0,) = oracle.consult(pool01, address(token0), WAD);
        (uint256 oneToken2,) = oracle.consult(pool12, address(token2), WAD);
        assertEq(source.indexPriceWad(pool01), oneToken0);
        assertEq(source.indexPriceWad(pool12), oneToken2);
        // the seeded prices: 2.5 token1 per token0, 2.5 token1 per token2 (3,000,000 : 1,200,000)
        assertApproxEqRel(source.indexPriceWad(pool01), 2.5e18, 1e6);
        assertApproxEqRel(source.indexPriceWad(pool12), 2.5e18, 1e6);
    }

    function test_volatilityCeilingWad_isTheFeedsCeilingWhateverTheAge() public {
        assertEq(source.volatilityCeilingWad(pool01), 3e18);
        feed.setVolatility(pool01, 0.8e18);
        vm.warp(block.timestamp + 30 days);
        assertEq(source.volatilityCeilingWad(pool01), 3e18);
    }

    function test_liquidationIndexPriceWad_isTheIndexWhileTheBandHolds() public {
        source.listPool(pool01);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool01));
        source.liquidationIndexPriceWad(pool01);
        _warmUp(pool01);
        assertEq(source.liquidationIndexPriceWad(pool01), source.indexPriceWad(pool01));
    }

    function test_indexPriceWad_failsClosedWithTheOracle() public {
        source.listPool(pool01);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.InsufficientHistory.selector, pool01));
        source.indexPriceWad(pool01);
    }

    /// @param priceMilli The price of one whole underlying in whole quote, in thousandths.
    function testFuzz_indexPriceWad_wholeUnitsWhateverTheDecimals(
        uint256 underlyingSeed,
        uint256 quoteSeed,
        uint256 priceMilli
    ) public {
        uint8[3] memory choices = [6, 8, 18];
        uint8 underlyingDecimals = choices[underlyingSeed % 3];
        uint8 quoteDecimals = choices[quoteSeed % 3];
        priceMilli = bound(priceMilli, 1, 1e9);
        MockERC20Decimals underlying = new MockERC20Decimals("U", "U", underlyingDecimals);
        MockERC20Decimals quoteToken = new MockERC20Decimals("Q", "Q", quoteDecimals);
        uint256 reserveU = 1e6 * 10 ** underlyingDecimals;
        uint256 reserveQ = 1e3 * priceMilli * 10 ** quoteDecimals;
        underlying.mint(alice, reserveU);
        quoteToken.mint(alice, reserveQ);
        vm.startPrank(alice);
        underlying.approve(address(amm), reserveU);
        quoteToken.approve(address(amm), reserveQ);
        vm.stopPrank();
        uint256 poolId = amm.createPool(address(underlying), address(quoteToken));
        bool underlyingFirst = address(underlying) < address(quoteToken);
        _add(alice, poolId, underlyingFirst ? reserveU : reserveQ, underlyingFirst ? reserveQ : reserveU);
        _warmUp(poolId);

        OracleOptionPriceSource local = new OracleOptionPriceSource(oracle, feed, amm, address(quoteToken));
        local.listPool(poolId);
        // priceMilli / 1000 whole quote per whole underlying; the UQ112.112 ratio keeps 2^-112 of relative precision
        assertApproxEqRel(local.indexPriceWad(poolId), priceMilli * 1e15, 1e3, "wad price of one whole unit");
    }

    // ─── Settlement ───────────────────────────────────────────────────────────────────────────

    function test_settlement_isTheOraclesInWholeUnitsAndFinal() public {
        source.listPool(pool12);
        _warmUp(pool12);
        uint256 expiry = (block.timestamp / PERIOD + 2) * PERIOD;
        (uint256 price, bool finalized) = source.settlementPriceWad(pool12, expiry);
        assertEq(price, 0);
        assertFalse(finalized);
        vm.expectRevert(abi.encodeWithSelector(IComputePriceOracle.ExpiryNotReached.selector, expiry));
        source.finalizeSettlement(pool12, expiry);

        _keep(pool12, 2);
        assertEq(block.timestamp, expiry);
        uint256 fixedPrice = source.finalizeSettlement(pool12, expiry);
        // pool12's underlying (token2) is the pool's token1: the oracle's price1 direction
        (, uint256 price1X112) = oracle.settlementPrice(pool12, expiry);
        assertEq(fixedPrice, Math.mulDiv(price1X112, WAD, 1 << 112));
        (price, finalized) = source.settlementPriceWad(pool12, expiry);
        assertEq(price, fixedPrice);
        assertTrue(finalized);
        // a later move and a second call change nothing
        _trade(pool12, true, 100);
        _keep(pool12, 3);
        assertEq(source.finalizeSettlement(pool12, expiry), fixedPrice);
    }

    function test_checkSeries_refusesMismatchedTokensAndExpiriesOffTheGrid() public {
        source.listPool(pool01);
        uint256 expiry = (block.timestamp / PERIOD + 10) * PERIOD;
        source.checkSeries(pool01, address(token0), address(token1), expiry);
        vm.expectRevert(
            abi.encodeWithSelector(
                OracleOptionPriceSource.SeriesDoesNotMatchPool.selector,
                pool01,
                address(token2),
                address(token1)
            )
        );
        source.checkSeries(pool01, address(token2), address(token1), expiry);
        vm.expectRevert(
            abi.encodeWithSelector(
                OracleOptionPriceSource.SeriesDoesNotMatchPool.selector,
                pool01,
                address(token0),
                address(token2)
            )
        );
        source.checkSeries(pool01, address(token0), address(token2), expiry);
        vm.expectRevert(
            abi.encodeWithSelector(
                OracleOptionPriceSource.ExpiryNotOnSettlementGrid.selector, expiry + 1, PERIOD
            )
        );
        source.checkSeries(pool01, address(token0), address(token1), expiry + 1);
    }

    // ─── An option's life on the real oracle ──────────────────────────────────────────────────

    /// @notice A put on token0 struck at the money: written fully collateralized, sold to bob; the price falls;
    /// after expiry anyone settles the vault and bob exercises for (K − settlement) per option.
    function test_putWrittenExpiredSettledAndExercisedOnTheRealOracle() public {
        AIPowerDerivatives dv = new AIPowerDerivatives(address(manager), source);
        source.listPool(pool01);
        _warmUp(pool01);
        feed.setVolatility(pool01, 0.8e18);
        uint256 strike = source.indexPriceWad(pool01);
        uint40 expiry = uint40((block.timestamp / PERIOD + 12) * PERIOD);
        uint256 seriesId = dv.createSeries(
            IAIPowerDerivatives.SeriesParams({
                underlyingPoolId: uint64(pool01),
                underlying: address(token0),
                quote: address(token1),
                strikeWad: uint128(strike),
                expiry: expiry,
                isCall: false
            })
        );
        // Black–Scholes at the money with an hour left: worth something, less than the strike
        uint256 premium = dv.calculatePremium(seriesId);
        assertGt(premium, 0);
        assertLt(premium, strike);

        uint256 amount = 10e18;
        uint256 collateral = dv.requirement(seriesId, amount, false);
        assertEq(collateral, strike * 10);
        vm.startPrank(alice);
        token1.approve(address(dv), collateral);
        uint256 vaultId = dv.openVault(seriesId, false, collateral, amount);
        dv.transfer(bob, seriesId, amount);
        vm.stopPrank();

        // token0 falls about 2 % and stays there: the window before expiry holds the lower price
        _trade(pool01, true, 100);
        while (block.timestamp < expiry) _keep(pool01, 1);
        uint256 settlement = source.finalizeSettlement(pool01, expiry);
        assertLt(settlement, strike);

        uint256 bobBefore = token1.balanceOf(bob);
        dv.settleVault(vaultId);
        vm.prank(bob);
        uint256 payout = dv.exerciseOption(seriesId, amount, bob);
        // 18-decimal quote: (K − S) × 10 whole options, rounded down
        assertApproxEqAbs(payout, (strike - settlement) * 10, 10);
        assertLe(payout, (strike - settlement) * 10);
        assertEq(token1.balanceOf(bob) - bobBefore, payout);
    }

    /// @notice Liquidation is priced at the time-weighted index: a spot crash inside one block leaves a margined vault
    /// at its requirement healthy (nobody can liquidate it), a fall that lasts makes it liquidatable.
    function test_marginedVault_oneBlockSpotCrashCannotLiquidateIt_aLastingFallCan() public {
        AIPowerDerivatives dv = new AIPowerDerivatives(address(manager), source);
        source.listPool(pool01);
        _warmUp(pool01);
        feed.setVolatility(pool01, 0.8e18);
        uint256 seriesId = dv.createSeries(
            IAIPowerDerivatives.SeriesParams({
                underlyingPoolId: uint64(pool01),
                underlying: address(token0),
                quote: address(token1),
                strikeWad: uint128(source.indexPriceWad(pool01)),
                expiry: uint40((block.timestamp / PERIOD) * PERIOD + 30 days),
                isCall: false
            })
        );
        vm.startPrank(alice);
        token1.approve(address(dv), type(uint256).max);
        uint256 vaultId = dv.openVault(seriesId, true, dv.requirement(seriesId, 10e18, true), 10e18);
        dv.transfer(carol, seriesId, 10e18);
        vm.stopPrank();

        // token0's spot falls by a third in one block
        uint256 received = _trade(pool01, true, 2_000);
        (uint256 collateral, uint256 required, bool liquidatable) = dv.vaultHealth(vaultId);
        assertFalse(liquidatable, "a one-block spot crash made the vault liquidatable");
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IAIPowerDerivatives.VaultHealthy.selector, vaultId, collateral, required)
        );
        dv.liquidate(vaultId, 1e18);
        // the attacker unwinds in the same block
        _swapIn(bob, pool01, address(token1), received);
        _noteSpot(pool01);

        // ≈ 4 % down three times, two periods apart (each inside the band), then a window at the new price
        for (uint256 i; i < 3; ++i) {
            _trade(pool01, true, 200);
            _keep(pool01, 2);
        }
        _keep(pool01, SLOTS);
        (,, liquidatable) = dv.vaultHealth(vaultId);
        assertTrue(liquidatable, "a lasting fall left the vault healthy");
        vm.prank(carol);
        assertGt(dv.liquidate(vaultId, 1e18), 0);
    }
}
