// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC6909} from "@openzeppelin/contracts/interfaces/IERC6909.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice Deployment: constants, initial configuration and its checks.
contract AIServiceAMMConstructorTest is AMMTestBase {
    function test_constructor_setsConfiguration() public view {
        assertEq(amm.authority(), address(manager));
        assertEq(amm.treasury(), treasury);
        assertEq(amm.protocolFeeShareBps(), 0);
        assertEq(amm.poolCount(), 0);
        assertFalse(amm.paused());
        assertEq(amm.MINIMUM_LIQUIDITY(), 1_000);
        assertEq(amm.MAX_FEE(), 100_000);
        assertEq(amm.MAX_PROTOCOL_FEE_SHARE_BPS(), 5_000);
    }

    function test_constructor_emitsDefaultFeeSetAndTreasurySet() public {
        vm.expectEmit();
        emit IAIServiceAMM.DefaultFeeSet(DEFAULT_FEE, defaultBounds());
        vm.expectEmit();
        emit IAIServiceAMM.TreasurySet(treasury);
        new AIServiceAMM(address(manager), treasury, DEFAULT_FEE, defaultBounds());
    }

    function test_constructor_revertsWhenTreasuryIsZero() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        new AIServiceAMM(address(manager), address(0), DEFAULT_FEE, defaultBounds());
    }

    function test_constructor_revertsWhenBoundsInvalid() public {
        IAIServiceAMM.FeeBounds memory bounds =
            IAIServiceAMM.FeeBounds({minFee: 2_000, maxFee: 1_000, maxStep: 100, minInterval: 0});
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.InvalidFeeBounds.selector, 2_000, 1_000, 100));
        new AIServiceAMM(address(manager), treasury, 1_500, bounds);
    }

    function test_constructor_revertsWhenFeeOutsideBounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAIServiceAMM.FeeOutOfBounds.selector, 20_000, MIN_FEE, MAX_FEE)
        );
        new AIServiceAMM(address(manager), treasury, 20_000, defaultBounds());
    }

    function test_supportsInterface_erc6909AndErc165() public view {
        assertTrue(amm.supportsInterface(type(IERC6909).interfaceId));
        assertTrue(amm.supportsInterface(type(IERC165).interfaceId));
        assertFalse(amm.supportsInterface(0xdeadbeef));
    }

    function test_lpShares_approveAndTransferFrom() public {
        uint256 poolId = _seededPool(10e18, 10e18);
        uint256 shares = amm.balanceOf(alice, poolId);
        vm.prank(alice);
        amm.approve(bob, poolId, shares);
        vm.prank(bob);
        amm.transferFrom(alice, carol, poolId, shares);
        assertEq(amm.balanceOf(carol, poolId), shares);
        assertEq(amm.allowance(alice, bob, poolId), 0);
    }
}
