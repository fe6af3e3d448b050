// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {ReentrantToken} from "../mocks/ReentrantToken.sol";

/// @notice Hostile tokens: fee on transfer and re-entering callbacks.
contract AIServiceAMMSecurityTest is AMMTestBase {
    function test_addLiquidity_revertsWhenTokenTakesFeeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100); // 1 %
        fot.mint(alice, 1e24);
        vm.prank(alice);
        fot.approve(address(amm), type(uint256).max);
        uint256 poolId = amm.createPool(address(fot), address(token0));

        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.TransferAmountMismatch.selector, address(fot), 100e18, 99e18)
        );
        vm.prank(alice);
        amm.addLiquidity(
            poolId,
            address(fot) < address(token0) ? 100e18 : 50e18,
            address(fot) < address(token0) ? 50e18 : 100e18,
            0,
            0,
            alice,
            deadline
        );
    }

    function test_swap_revertsWhenTokenStartsTakingFeeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(0);
        fot.mint(alice, 1e24);
        fot.mint(bob, 1e24);
        vm.prank(alice);
        fot.approve(address(amm), type(uint256).max);
        vm.prank(bob);
        fot.approve(address(amm), type(uint256).max);
        uint256 poolId = amm.createPool(address(fot), address(token0));
        _add(alice, poolId, 100e18, 100e18);

        fot.setFeeBps(50); // the token turns on a 0.5 % fee later
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIServiceAMM.TransferAmountMismatch.selector, address(fot), 10e18, 9.95e18
            )
        );
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(fot), 10e18, 0, bob, deadline);
        // The other direction only pays the token out: the AMM's books stay right, the recipient gets less.
        uint256 out = _swapIn(bob, poolId, address(token0), 1e18);
        assertGt(out, 0);
        (uint256 r0, uint256 r1) = _reserves(poolId);
        (uint256 rFot, uint256 rOther) = address(fot) < address(token0) ? (r0, r1) : (r1, r0);
        assertGe(fot.balanceOf(address(amm)), rFot);
        assertGe(token0.balanceOf(address(amm)), rOther);
    }

    function test_swap_revertsWhenTokenReentersDuringPull() public {
        (ReentrantToken evil, uint256 poolId) = _evilPool();
        // While the AMM pulls evil from bob, the token calls back into a swap.
        evil.arm(
            address(amm),
            abi.encodeCall(amm.swapExactInputSingle, (poolId, address(token0), 1e18, 0, bob, deadline))
        );
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(evil), 1e18, 0, bob, deadline);
    }

    function test_swap_revertsWhenTokenReentersDuringPayout() public {
        (ReentrantToken evil, uint256 poolId) = _evilPool();
        // While the AMM pays evil out, the token tries to take liquidity out of the half-updated pool.
        evil.arm(address(amm), abi.encodeCall(amm.removeLiquidity, (poolId, 1e18, 0, 0, alice, deadline)));
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vm.prank(bob);
        amm.swapExactInputSingle(poolId, address(token0), 1e18, 0, bob, deadline);
    }

    function test_priceViews_revertWhenReadFromInsideAStateChange() public {
        (ReentrantToken evil, uint256 poolId) = _evilPool();
        // A token hook reading prices mid-swap would see reserves already updated but tokens not yet moved.
        bytes[4] memory reads = [
            abi.encodeCall(amm.getReserves, (poolId)),
            abi.encodeCall(amm.spotPrice, (poolId)),
            abi.encodeCall(amm.currentCumulativePrices, (poolId)),
            abi.encodeCall(amm.getAmountOut, (poolId, address(token0), 1e18))
        ];
        for (uint256 i; i < reads.length; ++i) {
            evil.arm(address(amm), reads[i]);
            vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
            vm.prank(bob);
            amm.swapExactInputSingle(poolId, address(evil), 1e18, 0, bob, deadline);
        }
        // Outside a state change the same views answer.
        (uint112 reserve0,,) = amm.getReserves(poolId);
        assertGt(reserve0, 0);
    }

    function test_addLiquidity_revertsWhenTokenReenters() public {
        (ReentrantToken evil, uint256 poolId) = _evilPool();
        evil.arm(address(amm), abi.encodeCall(amm.addLiquidity, (poolId, 1e18, 1e18, 0, 0, bob, deadline)));
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        _add(bob, poolId, 1e18, 1e18);
    }

    function test_removeLiquidity_revertsWhenTokenReenters() public {
        (ReentrantToken evil, uint256 poolId) = _evilPool();
        uint256 shares = amm.balanceOf(alice, poolId);
        evil.arm(
            address(amm),
            abi.encodeCall(
                amm.swapExactOutputSingle, (poolId, address(token0), 1e18, type(uint256).max, alice, deadline)
            )
        );
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        _remove(alice, poolId, shares / 2);
    }

    function test_multihop_revertsWhenTokenReenters() public {
        (ReentrantToken evil, uint256 poolId) = _evilPool();
        evil.arm(
            address(amm),
            abi.encodeCall(amm.swapExactInput, (_path(poolId), address(token0), 1e18, 0, bob, deadline))
        );
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vm.prank(bob);
        amm.swapExactOutput(_path(poolId), address(evil), 1e18, type(uint256).max, bob, deadline);
    }

    function test_donation_isNotCountedInReserves() public {
        uint256 poolId = _seededPool(10e18, 10e18);
        vm.prank(bob);
        token0.transfer(address(amm), 5e18);
        (uint256 r0,) = _reserves(poolId);
        assertEq(r0, 10e18);
        // Nobody can take the donation out through the pool: the next swap prices off reserves only.
        assertEq(
            _swapIn(carol, poolId, address(token1), 1e18), _refAmountOut(1e18, 10e18, 10e18, DEFAULT_FEE)
        );
    }

    function _evilPool() internal returns (ReentrantToken evil, uint256 poolId) {
        evil = new ReentrantToken();
        address[2] memory actors = [alice, bob];
        for (uint256 i; i < actors.length; ++i) {
            evil.mint(actors[i], 1e24);
            vm.prank(actors[i]);
            evil.approve(address(amm), type(uint256).max);
        }
        poolId = amm.createPool(address(evil), address(token0));
        _add(alice, poolId, 100e18, 100e18);
    }
}
