// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {MockERC20Decimals} from "../mocks/MockERC20Decimals.sol";
import {DerivativesTestBase} from "./DerivativesTestBase.sol";

/// @notice Fuzz: underlying and quote tokens of 6, 8 or 18 decimals. The full requirement, the settlement owed by a
/// vault and the holders' payouts agree with the whole-unit arithmetic (to a raw unit), and the payouts never exceed
/// what the vault put in the pot.
contract AIPowerDerivativesDecimalsTest is DerivativesTestBase {
    struct Case {
        uint8 uDec;
        uint8 qDec;
        uint256 strike;
        uint256 settlement;
        uint256 amount;
        bool isCall;
        uint40 exp;
        uint256 seriesId;
        MockERC20Decimals collateralToken;
        uint256 collateral;
        uint256 vaultId;
    }

    function _decimals(uint256 seed) internal pure returns (uint8) {
        uint8[3] memory options = [6, 8, 18];
        return options[seed % 3];
    }

    function testFuzz_putAndCall_acrossDecimals(
        uint256 uSeed,
        uint256 qSeed,
        uint256 strike,
        uint256 settlement,
        uint256 wholeUnits,
        bool isCall
    ) public {
        Case memory c;
        c.uDec = _decimals(uSeed);
        c.qDec = _decimals(qSeed);
        c.strike = bound(strike, 1e15, 1e24);
        c.settlement = bound(settlement, 1e12, 1e24);
        c.amount = bound(wholeUnits, 1, 1e6) * 10 ** c.uDec / 3 + 1; // not a round number of units
        c.isCall = isCall;
        _list(c);
        _write(c);
        _settleAndExercise(c);
    }

    function _list(Case memory c) internal {
        MockERC20Decimals u = new MockERC20Decimals("U", "U", c.uDec);
        MockERC20Decimals q = new MockERC20Decimals("Q", "Q", c.qDec);
        c.exp = uint40(block.timestamp + 7 days);
        c.seriesId = dv.createSeries(
            IAIPowerDerivatives.SeriesParams({
                underlyingPoolId: POOL,
                underlying: address(u),
                quote: address(q),
                strikeWad: uint128(c.strike),
                expiry: c.exp,
                isCall: c.isCall
            })
        );
        c.collateralToken = c.isCall ? u : q;
    }

    function _write(Case memory c) internal {
        c.collateral = dv.requirement(c.seriesId, c.amount, false);
        // full: one underlying per option (call), the strike per whole unit in quote (put), rounded up
        uint256 expectedFull = c.isCall
            ? c.amount
            : Math.mulDiv(c.amount * c.strike, 10 ** c.qDec, 10 ** (uint256(c.uDec) + 18), Math.Rounding.Ceil);
        assertEq(c.collateral, expectedFull);
        c.collateralToken.mint(alice, c.collateral);
        vm.startPrank(alice);
        c.collateralToken.approve(address(dv), c.collateral);
        c.vaultId = dv.openVault(c.seriesId, false, c.collateral, c.amount);
        dv.transfer(bob, c.seriesId, c.amount / 2);
        vm.stopPrank();
    }

    function _settleAndExercise(Case memory c) internal {
        source.presetSettlement(POOL, c.exp, c.settlement);
        vm.warp(c.exp);
        (uint256 owed, uint256 returned) = dv.settleVault(c.vaultId);
        assertEq(owed + returned, c.collateral);
        assertEq(dv.getSeries(c.seriesId).badDebt, 0);

        vm.prank(bob);
        uint256 paid = dv.exerciseOption(c.seriesId, c.amount / 2, bob);
        vm.prank(alice);
        paid += dv.exerciseOption(c.seriesId, c.amount - c.amount / 2, alice);
        assertLe(paid, owed);
        assertLe(owed - paid, 2);

        // the whole-unit value of the claim, computed in another order
        uint256 payoffWad = c.isCall
            ? (c.settlement > c.strike ? Math.mulDiv(c.settlement - c.strike, 1e18, c.settlement) : 0)
            : (c.strike > c.settlement ? c.strike - c.settlement : 0);
        uint256 expectedOwed = c.isCall
            ? Math.mulDiv(c.amount, payoffWad, 1e18, Math.Rounding.Ceil)
            : Math.mulDiv(Math.mulDiv(c.amount, payoffWad, 10 ** c.uDec), 10 ** c.qDec, 1e18);
        assertApproxEqAbs(owed, expectedOwed, 1);
        assertEq(c.collateralToken.balanceOf(address(dv)), owed - paid);
    }
}
