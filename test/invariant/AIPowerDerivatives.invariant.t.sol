// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {console} from "forge-std/console.sol";

import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {DerivativesTestBase} from "../derivatives/DerivativesTestBase.sol";
import {AIPowerDerivativesHandler} from "./AIPowerDerivativesHandler.sol";

/// @notice Invariants of the derivatives contract under random writing, trading, price moves, liquidations,
/// settlement and batched exercise (runs × depth from foundry.toml: 256 × 50).
contract AIPowerDerivativesInvariantTest is StdInvariant, DerivativesTestBase {
    AIPowerDerivativesHandler internal handler;
    uint256[4] internal ids;
    address internal dave = makeAddr("dave");

    function setUp() public override {
        super.setUp();
        // a week to expiry, so that most campaigns reach it; full-only: a put and a call; margined-only: the same
        uint40 week = uint40(block.timestamp + 7 days);
        ids = [
            _createSeries(2e18, week, false),
            _createSeries(2.5e18, week, true),
            _createSeries(2.2e18, week, false),
            _createSeries(2.4e18, week, true)
        ];
        handler = new AIPowerDerivativesHandler(dv, source, POOL, ids, [alice, bob], carol, dave);
        for (uint256 i; i < 2; ++i) {
            address w = i == 0 ? alice : bob;
            gpu.mint(w, 1e30);
            usdc.mint(w, 1e30);
        }
        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = handler.openVault.selector;
        selectors[1] = handler.mint.selector;
        selectors[2] = handler.deposit.selector;
        selectors[3] = handler.withdraw.selector;
        selectors[4] = handler.burn.selector;
        selectors[5] = handler.movePrice.selector;
        selectors[6] = handler.warp.selector;
        selectors[7] = handler.liquidate.selector;
        selectors[8] = handler.settle.selector;
        selectors[9] = handler.exerciseBatch.selector;
        selectors[10] = handler.setVolatilityStale.selector;
        selectors[11] = handler.setOracleClosed.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    function invariant_derivatives() public view {
        uint256 usdcHeld;
        uint256 gpuHeld;
        for (uint256 i; i < 4; ++i) {
            uint256 id = ids[i];
            IAIPowerDerivatives.Series memory s = dv.getSeries(id);
            // the contract holds every series' locked collateral and unpaid pot
            if (s.collateral == address(usdc)) usdcHeld += uint256(s.collateralLocked) + s.pot;
            else gpuHeld += uint256(s.collateralLocked) + s.pot;
            // payouts never exceed the collateral vaults moved into the pot at settlement: paid + pot = moved in
            assertEq(handler.ghostPaid(id) + s.pot, handler.ghostOwed(id));
            // no option is paid twice: payouts are at most the exercised amount's payoff
            if (s.settled) {
                uint256 payoffWad = s.isCall
                    ? (s.settlementWad > s.strikeWad
                            ? (uint256(s.settlementWad) - s.strikeWad) * 1e18 / s.settlementWad
                            : 0)
                    : (s.strikeWad > s.settlementWad ? uint256(s.strikeWad) - s.settlementWad : 0);
                assertLe(
                    handler.ghostPaid(id),
                    handler.ghostExercised(id) * payoffWad * 10 ** s.collateralDecimals / 10
                        ** (18 + uint256(s.underlyingDecimals))
                );
                // the settlement price never changes once set
                assertEq(handler.ghostSettlement(id), uint256(s.settlementWad) + 1);
            } else {
                assertEq(handler.ghostPaid(id), 0);
            }
            // fully collateralized series never produce bad debt
            if (i < 2) assertEq(s.badDebt, 0);
        }
        assertEq(usdc.balanceOf(address(dv)), usdcHeld);
        assertEq(gpu.balanceOf(address(dv)), gpuHeld);
        assertEq(handler.ghostHealthyLiquidated(), 0);
    }

    /// @notice An under-water margined vault is always liquidatable: `liquidate` never reverts for a liquidator who
    /// holds the options (and leaves no dust), whatever the volatility's age and whether the oracle's band is
    /// tripped; and no margined option is written while the volatility is stale.
    function invariant_underWaterVaultAlwaysLiquidatable() public view {
        assertEq(handler.ghostUnhealthyRefused(), 0, "an under-water vault refused its liquidation");
        assertEq(
            handler.ghostMarginedWrittenWhileStale(), 0, "margined options written on a stale volatility"
        );
    }

    function afterInvariant() external view {
        console.log("vaults", handler.vaultCount());
        console.log("liquidations", handler.ghostLiquidations());
        console.log("liquidations with an input missing", handler.ghostInputMissingLiquidations());
        console.log("exercises", handler.ghostExercises());
        console.log("settlements", handler.ghostSettles());
    }
}
