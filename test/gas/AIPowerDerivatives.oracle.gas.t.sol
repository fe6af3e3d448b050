// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {AIPowerDerivatives} from "../../src/derivatives/AIPowerDerivatives.sol";
import {OracleOptionPriceSource} from "../../src/derivatives/OracleOptionPriceSource.sol";
import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {IVolatilityFeed} from "../../src/interfaces/IVolatilityFeed.sol";
import {VolatilityFeed} from "../../src/oracle/VolatilityFeed.sol";
import {OracleTestBase} from "../oracle/OracleTestBase.sol";

/// @notice The option flows of AIPowerDerivativesGasTest again, priced by the protocol's own sources as deployed
/// (OracleOptionPriceSource over the real AMM, ComputePriceOracle and VolatilityFeed) instead of a test double:
/// every index read is a time-weighted price from the oracle. One call per test, as its own transaction
/// (isolation mode, storage cold as on chain); `-vv` prints the whole transaction's gas (`vm.lastCallGas`, 21,000
/// and calldata included, refunds applied) to set against Opyn Gamma's (open + deposit + mint 395,554; redeem
/// 180,510; settle vault 174,091; liquidate 227,696; goal ≤ 0.65× each).
/// @dev setUp: token0 priced in token1 over a warm oracle; a 30-day put series and a 3-hour one struck at the money;
/// alice has written both (two vaults on the short one, bob holds 5 of its options) and a margined vault on the
/// long one (carol holds 5 of its options); the price then falls ≈ 12 % in steps the oracle's band allows and
/// stays there, so the margined vault is under water at the time-weighted price; the short series expires, its
/// settlement price is finalized and alice's first vault settled.
contract AIPowerDerivativesOracleGasTest is OracleTestBase {
    uint256 internal constant ONE = 1e18;

    VolatilityFeed internal feed;
    OracleOptionPriceSource internal source;
    AIPowerDerivatives internal dv;
    uint256 internal longPut;
    uint256 internal shortPut;
    uint256 internal settleMe;
    uint256 internal underWater;

    function setUp() public override {
        super.setUp();
        feed = new VolatilityFeed(
            address(manager),
            IVolatilityFeed.VolatilityBounds({
                minWad: 0.1e18, maxWad: 3e18, maxStepWad: 0.5e18, minInterval: 0, maxAge: 30 days
            })
        );
        source = new OracleOptionPriceSource(oracle, feed, amm, address(token1));
        dv = new AIPowerDerivatives(address(manager), source);
        source.listPool(pool01);
        _warmUp(pool01);
        feed.setVolatility(pool01, 0.8e18);
        uint256 strike = source.indexPriceWad(pool01);
        longPut = dv.createSeries(_params(strike, uint40((block.timestamp / PERIOD) * PERIOD + 30 days)));
        uint40 shortExpiry = uint40((block.timestamp / PERIOD) * PERIOD + 3 hours);
        shortPut = dv.createSeries(_params(strike, shortExpiry));

        address[3] memory actors = [alice, bob, carol];
        for (uint256 i; i < actors.length; ++i) {
            vm.prank(actors[i]);
            token1.approve(address(dv), type(uint256).max);
        }
        vm.startPrank(alice);
        uint256 first = dv.openVault(shortPut, false, dv.requirement(shortPut, 10 * ONE, false), 10 * ONE);
        settleMe = dv.openVault(shortPut, false, dv.requirement(shortPut, 10 * ONE, false), 10 * ONE);
        dv.transfer(bob, shortPut, 5 * ONE);
        underWater = dv.openVault(longPut, true, dv.requirement(longPut, 10 * ONE, true), 10 * ONE);
        dv.transfer(carol, longPut, 5 * ONE);
        vm.stopPrank();

        // ≈ 4 % down three times, two periods apart (each inside the 5 % band), then a window at the new price
        for (uint256 i; i < 3; ++i) {
            _trade(pool01, true, 200);
            _keep(pool01, 2);
        }
        while (block.timestamp < shortExpiry) _keep(pool01, 1);
        (,, bool liquidatable) = dv.vaultHealth(underWater);
        assertTrue(liquidatable, "the margined vault is under water");
        dv.settleVault(first); // finalizes the settlement price too
        _nextPeriod();
        oracle.record(pool01);
    }

    function _params(uint256 strike, uint40 expiry)
        internal
        view
        returns (IAIPowerDerivatives.SeriesParams memory)
    {
        return IAIPowerDerivatives.SeriesParams({
            underlyingPoolId: uint64(pool01),
            underlying: address(token0),
            quote: address(token1),
            strikeWad: uint128(strike),
            expiry: expiry,
            isCall: false
        });
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    /// forge-config: default.isolate = true
    function test_gas_oracle_openDepositMint_full() public {
        vm.prank(bob);
        dv.openVault(longPut, false, 30e18, 10 * ONE);
        _report("real oracle: openVault + deposit + mint (fully collateralized put)");
    }

    /// forge-config: default.isolate = true
    function test_gas_oracle_openDepositMint_margined() public {
        vm.prank(bob);
        dv.openVault(longPut, true, 20e18, 10 * ONE);
        _report("real oracle: openVault + deposit + mint (margined put)");
    }

    /// forge-config: default.isolate = true
    function test_gas_oracle_redeem() public {
        vm.prank(bob);
        dv.exerciseOption(shortPut, 5 * ONE, bob);
        _report("real oracle: exerciseOption (redeem)");
    }

    /// forge-config: default.isolate = true
    function test_gas_oracle_settleVault() public {
        vm.prank(alice);
        dv.settleVault(settleMe);
        _report("real oracle: settleVault");
    }

    /// forge-config: default.isolate = true
    function test_gas_oracle_liquidate() public {
        vm.prank(carol);
        dv.liquidate(underWater, 2 * ONE);
        _report("real oracle: liquidate (partial, margined put)");
    }
}
