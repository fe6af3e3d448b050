// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice pause / unpause by the guardian, and what stays open while paused.
contract AIServiceAMMPauseTest is AMMTestBase {
    uint256 internal poolId;
    uint256 internal aliceShares;

    function setUp() public override {
        super.setUp();
        poolId = _createPool(token0, token1);
        aliceShares = _add(alice, poolId, 100e18, 100e18);
    }

    function test_pause_byGuardianEmitsPaused() public {
        vm.expectEmit(address(amm));
        emit Pausable.Paused(guardian);
        vm.prank(guardian);
        amm.pause();
        assertTrue(amm.paused());
    }

    function test_unpause_byGuardianResumesTrading() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectEmit(address(amm));
        emit Pausable.Unpaused(guardian);
        vm.prank(guardian);
        amm.unpause();
        assertFalse(amm.paused());
        _swapIn(bob, poolId, address(token0), 1e18);
    }

    function test_pause_revertsWhenCallerNotGuardian() public {
        address[3] memory callers = [alice, keeper, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            vm.prank(callers[i]);
            amm.pause();
        }
    }

    function test_unpause_revertsWhenCallerNotGuardian() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, keeper));
        vm.prank(keeper);
        amm.unpause();
    }

    function test_pause_revertsWhenAlreadyPaused() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(guardian);
        amm.pause();
    }

    function test_unpause_revertsWhenNotPaused() public {
        vm.expectRevert(Pausable.ExpectedPause.selector);
        vm.prank(guardian);
        amm.unpause();
    }

    function test_paused_haltsCreateAddAndEverySwap() public {
        vm.prank(guardian);
        amm.pause();
        vm.startPrank(bob);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        amm.createPool(address(token1), address(token2));
        vm.expectRevert(Pausable.EnforcedPause.selector);
        amm.addLiquidity(poolId, 1e18, 1e18, 0, 0, bob, deadline);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, bob, deadline);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        amm.swapExactOutputSingle(poolId, address(token0), 1e18, type(uint256).max, bob, deadline);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        amm.swapExactInput(_path(poolId), address(token0), 1e18, 0, bob, deadline);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        amm.swapExactOutput(_path(poolId), address(token0), 1e18, type(uint256).max, bob, deadline);
        vm.stopPrank();
    }

    function test_paused_removalsQuotesAndAdminStayOpen() public {
        vm.prank(guardian);
        amm.pause();
        // Funds are never trapped.
        (uint256 amount0, uint256 amount1) = _remove(alice, poolId, aliceShares);
        assertEq(amount0, 100e18 - 1_000);
        assertEq(amount1, 100e18 - 1_000);
        // Reads and bounded administration keep working.
        amm.getAmountOut(poolId, address(token0), 1e18);
        vm.prank(keeper);
        amm.setFee(poolId, DEFAULT_FEE + 100);
        amm.setFeeBounds(poolId, defaultBounds());
        // LP shares can still move.
        vm.prank(alice);
        amm.transfer(bob, poolId, 0);
    }
}
