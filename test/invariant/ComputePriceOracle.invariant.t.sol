// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";
import {ComputePriceOracleHandler, ComputePriceOracleHarness} from "./ComputePriceOracleHandler.sol";

/// @notice Invariants of the oracle over the real AMM under random swaps, deposits, keeper ticks at random moments,
/// stray records and idle gaps (ComputePriceOracleHandler). Window 20 min of 5-min periods (four slots, so that a
/// run of depth 50 often has a full window), band 10 %, pools idle for an hour fail closed. Runs × depth come
/// from foundry.toml ([invariant]).
contract ComputePriceOracleInvariantTest is AMMTestBase {
    uint32 internal constant WINDOW = 20 minutes;
    uint32 internal constant PERIOD = 5 minutes;

    ComputePriceOracleHarness internal oracle;
    ComputePriceOracleHandler internal handler;

    function setUp() public override {
        super.setUp();
        oracle = new ComputePriceOracleHarness(address(manager), amm, WINDOW, PERIOD, 1_000, 1 hours);
        uint256 pool01 = _createPool(token0, token1);
        _add(alice, pool01, 1_000_000e18, 2_500_000e18);
        uint256 pool12 = _createPool(token1, token2);
        _add(alice, pool12, 3_000_000e18, 1_200_000e18);
        handler = new ComputePriceOracleHandler(amm, oracle, [pool01, pool12], [token0, token1, token2]);

        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = handler.swap.selector;
        selectors[1] = handler.swap.selector;
        selectors[2] = handler.swap.selector;
        selectors[3] = handler.keeperTick.selector;
        selectors[4] = handler.keeperTick.selector;
        selectors[5] = handler.keeperTick.selector;
        selectors[6] = handler.record.selector;
        selectors[7] = handler.warp.selector;
        selectors[8] = handler.idleGap.selector;
        selectors[9] = handler.addLiquidity.selector;
        selectors[10] = handler.finalize.selector;
        selectors[11] = handler.finalize.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice Whenever the oracle prices a pool, both prices lie within the lowest and highest spot prices the pool
    /// held over the window the price averages (from the observation opening it until now).
    function invariant_twapWithinTheSpotRangeOfItsWindow() public view {
        for (uint256 p; p < 2; ++p) {
            uint256 poolId = handler.poolIdAt(p);
            try oracle.twapX112(poolId) returns (uint256 twap0, uint256 twap1) {
                (IComputePriceOracle.Observation memory oldest,) = oracle.observationsOf(poolId);
                assertLt(oldest.timestamp, block.timestamp);
                assertLe(block.timestamp - oldest.timestamp, WINDOW, "priced over more than the window");
                (uint256 min0, uint256 max0, uint256 min1, uint256 max1) =
                    handler.spotRange(poolId, oldest.timestamp, block.timestamp);
                assertGe(twap0, min0, "token0 TWAP below every spot of the window");
                assertLe(twap0, max0, "token0 TWAP above every spot of the window");
                assertGe(twap1, min1, "token1 TWAP below every spot of the window");
                assertLe(twap1, max1, "token1 TWAP above every spot of the window");
            } catch {}
        }
    }

    /// @notice The band-ignoring price is the same window's average: equal to {twapX112} whenever that prices, and
    /// within the window's spot range whenever it prices itself (band tripped or not).
    function invariant_twapIgnoringBandIsTheSameWindow() public view {
        for (uint256 p; p < 2; ++p) {
            uint256 poolId = handler.poolIdAt(p);
            try oracle.twapIgnoringBandX112(poolId) returns (uint256 twap0, uint256 twap1) {
                (IComputePriceOracle.Observation memory oldest,) = oracle.observationsOf(poolId);
                (uint256 min0, uint256 max0, uint256 min1, uint256 max1) =
                    handler.spotRange(poolId, oldest.timestamp, block.timestamp);
                assertGe(twap0, min0, "token0 band-ignoring TWAP below every spot of the window");
                assertLe(twap0, max0, "token0 band-ignoring TWAP above every spot of the window");
                assertGe(twap1, min1, "token1 band-ignoring TWAP below every spot of the window");
                assertLe(twap1, max1, "token1 band-ignoring TWAP above every spot of the window");
                try oracle.twapX112(poolId) returns (uint256 banded0, uint256 banded1) {
                    assertEq(twap0, banded0);
                    assertEq(twap1, banded1);
                } catch {}
            } catch {
                // whatever closes the band-ignoring price closes the banded one too
                try oracle.twapX112(poolId) {
                    revert("twapX112 priced where the band-ignoring price did not");
                } catch {}
            }
        }
    }

    /// @notice A slot's observation is only ever replaced by a later one, and always belongs to its slot.
    function invariant_slotTimestampsNeverDecrease() public view {
        assertFalse(handler.slotWentWrong(), handler.firstFailure());
        for (uint256 p; p < 2; ++p) {
            uint256 poolId = handler.poolIdAt(p);
            for (uint256 s; s < WINDOW / PERIOD; ++s) {
                assertGe(oracle.observationAt(poolId, s).timestamp, handler.slotTimestamp(poolId, s));
            }
        }
    }

    /// @notice A settlement price never changes once set (checked after every action and by every repeated
    /// finalize), and each lies within the spot range of the window it averages, which closes at or after its
    /// expiry and spans at most the oracle's window.
    function invariant_settlementNeverChangesOnceSet() public view {
        assertFalse(handler.settlementChanged(), handler.firstFailure());
        for (uint256 i; i < handler.settledCount(); ++i) {
            ComputePriceOracleHandler.Settled memory s = handler.settledAt(i);
            (uint256 price0X112, uint256 price1X112) = oracle.settlementPrice(s.poolId, s.expiry);
            assertEq(price0X112, s.price0X112, "settlement price changed");
            assertEq(price1X112, s.price1X112, "settlement price changed");
            IComputePriceOracle.Settlement memory settlement = oracle.settlementOf(s.poolId, s.expiry);
            assertGe(settlement.windowEnd, s.expiry, "settlement window closed before expiry");
            assertLe(
                settlement.windowEnd - settlement.windowStart, WINDOW, "settled over more than the window"
            );
            (uint256 min0, uint256 max0, uint256 min1, uint256 max1) =
                handler.spotRange(s.poolId, settlement.windowStart, settlement.windowEnd);
            assertGe(price0X112, min0, "token0 settlement below every spot of its window");
            assertLe(price0X112, max0, "token0 settlement above every spot of its window");
            assertGe(price1X112, min1, "token1 settlement below every spot of its window");
            assertLe(price1X112, max1, "token1 settlement above every spot of its window");
        }
    }

    /// @notice record never reverts for a pool the AMM has, whatever happened before.
    function invariant_recordNeverRevertsForAnExistingPool() public view {
        assertFalse(handler.recordReverted(), handler.firstFailure());
    }

    function afterInvariant() public view {
        handler.callSummary();
    }
}
