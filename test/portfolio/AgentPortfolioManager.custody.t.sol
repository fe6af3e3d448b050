// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {ReentrantToken} from "../mocks/ReentrantToken.sol";
import {PortfolioTestBase} from "./PortfolioTestBase.sol";

/// @notice deposit and withdraw: the contract holds the tokens and books them per portfolio.
contract AgentPortfolioManagerCustodyTest is PortfolioTestBase {
    // ─── deposit ──────────────────────────────────────────────────────────────────────────────

    function test_deposit_pullsTokensBooksHoldingAndEmits() public {
        uint256 id = _open(alice);
        uint256 before = gpu.balanceOf(alice);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Deposited(id, address(gpu), alice, 1_234e18);
        _deposit(alice, id, gpu, 1_234e18);
        assertEq(before - gpu.balanceOf(alice), 1_234e18);
        assertEq(gpu.balanceOf(address(pm)), 1_234e18);
        assertEq(_holding(id, gpu), 1_234e18);
        assertEq(pm.getPortfolio(id).holdings[1], 1_234e18);
        _deposit(alice, id, gpu, 1e18);
        assertEq(_holding(id, gpu), 1_235e18);
    }

    function test_deposit_anyoneMayFundAPortfolioOnlyTheOwnerMayTakeOut() public {
        uint256 id = _open(alice);
        _deposit(bob, id, base, 500e18);
        assertEq(_holding(id, base), 500e18);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.NotPortfolioOwner.selector, id, bob));
        pm.withdraw(id, address(base), 500e18, bob);
    }

    function test_deposit_booksEachPortfolioSeparately() public {
        uint256 a = _open(alice);
        uint256 b = _open(bob);
        _deposit(alice, a, llm, 100e18);
        _deposit(bob, b, llm, 300e18);
        assertEq(_holding(a, llm), 100e18);
        assertEq(_holding(b, llm), 300e18);
        assertEq(llm.balanceOf(address(pm)), 400e18);
    }

    function test_deposit_revertsWhenZero() public {
        uint256 id = _open(alice);
        vm.prank(alice);
        vm.expectRevert(IAgentPortfolioManager.ZeroAmount.selector);
        pm.deposit(id, address(gpu), 0);
    }

    function test_deposit_revertsWhenTokenNotAnAsset() public {
        uint256 id = _open(alice);
        address other = address(0xD00D);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownAsset.selector, id, other));
        pm.deposit(id, other, 1e18);
    }

    function test_deposit_revertsWhenPortfolioUnknown() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 3));
        pm.deposit(3, address(base), 1e18);
    }

    function test_deposit_refusesFeeOnTransferTokens() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(0);
        fot.mint(alice, 1e30);
        vm.startPrank(alice);
        fot.approve(address(amm), type(uint256).max);
        fot.approve(address(pm), type(uint256).max);
        vm.stopPrank();
        uint256 pool = amm.createPool(address(fot), address(base));
        _add(alice, pool, 1_000e18, 1_000e18);

        address[] memory assets = new address[](2);
        (assets[0], assets[1]) = (address(base), address(fot));
        uint256[] memory pools = new uint256[](2);
        pools[1] = pool;
        uint16[] memory weights = new uint16[](2);
        (weights[0], weights[1]) = (5_000, 5_000);
        vm.prank(alice);
        uint256 id = pm.openPortfolio(assets, pools, weights, _limits());

        // the token starts charging 1 % on transfers after the portfolio was opened
        fot.setFeeBps(100);
        uint256 before = fot.balanceOf(alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.TransferAmountMismatch.selector, address(fot), 100e18, 99e18
            )
        );
        pm.deposit(id, address(fot), 100e18);
        assertEq(fot.balanceOf(alice), before, "nothing moved");
        assertEq(fot.balanceOf(address(pm)), 0);
        assertEq(_holding(id, address(fot)), 0);
    }

    function test_deposit_cannotReenter() public {
        (ReentrantToken ree, uint256 id) = _reentrantPortfolio();
        _deposit(alice, id, base, 10e18);
        ree.arm(address(pm), abi.encodeCall(pm.withdraw, (id, address(base), 10e18, alice)));
        vm.prank(alice);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        pm.deposit(id, address(ree), 1e18);
        assertEq(_holding(id, base), 10e18);
    }

    /// @notice A trade's output is booked only if it arrived in full: a token that starts charging a fee on
    /// transfers after the portfolio opened cannot make the books claim more than the contract holds.
    function test_trade_refusesAnOutputThatArrivesShort() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(0);
        fot.mint(alice, 1e30);
        vm.prank(alice);
        fot.approve(address(amm), type(uint256).max);
        uint256 pool = amm.createPool(address(fot), address(base));
        _add(alice, pool, 10_000_000e18, 10_000_000e18);
        oracle.record(pool);
        for (uint256 k; k < WINDOW / PERIOD; ++k) {
            _nextBlock(PERIOD);
            oracle.record(pool);
        }
        address[] memory assets = new address[](2);
        (assets[0], assets[1]) = (address(base), address(fot));
        uint256[] memory pools = new uint256[](2);
        pools[1] = pool;
        uint16[] memory weights = new uint16[](2);
        (weights[0], weights[1]) = (5_000, 5_000);
        vm.prank(alice);
        uint256 id = pm.openPortfolio(assets, pools, weights, _limits());
        _deposit(alice, id, address(base), 10_000e18);

        fot.setFeeBps(100);
        uint256 expectedOut = amm.getAmountOut(pool, address(base), 1_000e18);
        vm.prank(keeperBot);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.TransferAmountMismatch.selector,
                address(fot),
                expectedOut,
                expectedOut - expectedOut / 100
            )
        );
        pm.rebalancePortfolio(id);
        assertEq(_holding(id, address(fot)), 0);
        assertEq(_holding(id, base), 10_000e18);
    }

    // ─── withdraw ─────────────────────────────────────────────────────────────────────────────

    function test_withdraw_paysTheRecipientAndEmits() public {
        uint256 id = _openBalanced();
        uint256 before = llm.balanceOf(carol);
        vm.expectEmit(address(pm));
        emit IAgentPortfolioManager.Withdrawn(id, address(llm), carol, 25_000e18);
        vm.prank(alice);
        pm.withdraw(id, address(llm), 25_000e18, carol);
        assertEq(llm.balanceOf(carol) - before, 25_000e18);
        assertEq(_holding(id, llm), 35_000e18);
        assertEq(llm.balanceOf(address(pm)), 35_000e18);
    }

    function test_withdraw_everything() public {
        uint256 id = _openBalanced();
        vm.startPrank(alice);
        pm.withdraw(id, address(base), 40_000e18, alice);
        pm.withdraw(id, address(gpu), 15_000e18, alice);
        pm.withdraw(id, address(llm), 60_000e18, alice);
        vm.stopPrank();
        (uint256 total,) = pm.portfolioValue(id);
        assertEq(total, 0);
        assertEq(base.balanceOf(address(pm)), 0);
        assertEq(gpu.balanceOf(address(pm)), 0);
        assertEq(llm.balanceOf(address(pm)), 0);
    }

    function test_withdraw_worksWhilePaused() public {
        uint256 id = _openBalanced();
        vm.prank(guardian);
        pm.pause();
        vm.prank(alice);
        pm.withdraw(id, address(gpu), 15_000e18, alice);
        assertEq(_holding(id, gpu), 0);
    }

    function test_withdraw_revertsWhenNotOwner() public {
        uint256 id = _openBalanced();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.NotPortfolioOwner.selector, id, bob));
        pm.withdraw(id, address(base), 1e18, bob);
        assertEq(_holding(id, base), 40_000e18);
    }

    function test_withdraw_revertsWhenMoreThanHeld() public {
        uint256 id = _openBalanced();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.InsufficientHoldings.selector, address(gpu), 15_000e18, 15_000e18 + 1
            )
        );
        pm.withdraw(id, address(gpu), 15_000e18 + 1, alice);
    }

    function test_withdraw_cannotTakeAnotherPortfoliosTokens() public {
        uint256 mine = _open(alice);
        uint256 theirs = _open(bob);
        _deposit(alice, mine, base, 10e18);
        _deposit(bob, theirs, base, 1_000e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentPortfolioManager.InsufficientHoldings.selector, address(base), 10e18, 11e18
            )
        );
        pm.withdraw(mine, address(base), 11e18, alice);
        assertEq(base.balanceOf(address(pm)), 1_010e18);
    }

    function test_withdraw_revertsWhenZeroAmountOrRecipient() public {
        uint256 id = _openBalanced();
        vm.startPrank(alice);
        vm.expectRevert(IAgentPortfolioManager.ZeroAmount.selector);
        pm.withdraw(id, address(base), 0, alice);
        vm.expectRevert(IAgentPortfolioManager.ZeroAddress.selector);
        pm.withdraw(id, address(base), 1, address(0));
        vm.stopPrank();
    }

    function test_withdraw_revertsWhenTokenNotAnAsset() public {
        uint256 id = _openBalanced();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentPortfolioManager.UnknownAsset.selector, id, address(0xD00D))
        );
        pm.withdraw(id, address(0xD00D), 1, alice);
    }

    function test_withdraw_revertsWhenPortfolioUnknown() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAgentPortfolioManager.UnknownPortfolio.selector, 0));
        pm.withdraw(0, address(base), 1, alice);
    }

    function test_withdraw_cannotReenter() public {
        (ReentrantToken ree, uint256 id) = _reentrantPortfolio();
        _deposit(alice, id, address(ree), 10e18);
        _deposit(alice, id, base, 10e18);
        // the token's transfer hook tries to withdraw again before the first withdrawal completes
        ree.arm(address(pm), abi.encodeCall(pm.withdraw, (id, address(base), 10e18, alice)));
        vm.prank(alice);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        pm.withdraw(id, address(ree), 10e18, alice);
        assertEq(_holding(id, address(ree)), 10e18);
        assertEq(_holding(id, base), 10e18);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _holding(uint256 id, address token) internal view returns (uint256) {
        return pm.holdingOf(id, token);
    }

    function _deposit(address who, uint256 id, address token, uint256 amount) internal {
        vm.prank(who);
        pm.deposit(id, token, amount);
    }

    /// @dev Alice's base + ReentrantToken portfolio (the token has a pool against the base token).
    function _reentrantPortfolio() internal returns (ReentrantToken ree, uint256 id) {
        ree = new ReentrantToken();
        ree.mint(alice, 1e30);
        vm.startPrank(alice);
        ree.approve(address(amm), type(uint256).max);
        ree.approve(address(pm), type(uint256).max);
        vm.stopPrank();
        uint256 pool = amm.createPool(address(ree), address(base));
        _add(alice, pool, 1_000e18, 1_000e18);
        address[] memory assets = new address[](2);
        (assets[0], assets[1]) = (address(base), address(ree));
        uint256[] memory pools = new uint256[](2);
        pools[1] = pool;
        uint16[] memory weights = new uint16[](2);
        (weights[0], weights[1]) = (5_000, 5_000);
        vm.prank(alice);
        id = pm.openPortfolio(assets, pools, weights, _limits());
    }
}
