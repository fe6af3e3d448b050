// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

contract AIServiceAMMCreatePoolTest is AMMTestBase {
    function test_createPool_storesSortedTokensAndDefaults() public {
        uint256 poolId = amm.createPool(address(token1), address(token0));

        assertEq(poolId, 0);
        assertEq(amm.poolCount(), 1);
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        assertEq(pool.token0, address(token0));
        assertEq(pool.token1, address(token1));
        assertEq(pool.reserve0, 0);
        assertEq(pool.reserve1, 0);
        assertEq(pool.blockTimestampLast, 0);
        assertEq(pool.price0CumulativeLast, 0);
        assertEq(pool.price1CumulativeLast, 0);
        assertEq(pool.totalLiquidity, 0);
        assertEq(pool.kLast, 0);
        assertEq(pool.fee, DEFAULT_FEE);
        assertEq(pool.lastFeeUpdate, 0);
        assertEq(pool.feeBounds.minFee, MIN_FEE);
        assertEq(pool.feeBounds.maxFee, MAX_FEE);
        assertEq(pool.feeBounds.maxStep, MAX_STEP);
        assertEq(pool.feeBounds.minInterval, MIN_INTERVAL);
    }

    function test_createPool_assignsSequentialIdsFoundInEitherOrder() public {
        uint256 a = amm.createPool(address(token0), address(token1));
        uint256 b = amm.createPool(address(token2), address(token0));
        uint256 c = amm.createPool(address(token1), address(token2));
        assertEq(a, 0);
        assertEq(b, 1);
        assertEq(c, 2);
        assertEq(amm.poolCount(), 3);

        (bool exists, uint256 id) = amm.poolIdOf(address(token0), address(token2));
        assertTrue(exists);
        assertEq(id, 1);
        (exists, id) = amm.poolIdOf(address(token2), address(token0));
        assertTrue(exists);
        assertEq(id, 1);
        (exists, id) = amm.poolIdOf(address(token2), address(token1));
        assertTrue(exists);
        assertEq(id, 2);
    }

    function test_poolIdOf_returnsFalseForUnknownPair() public view {
        (bool exists, uint256 id) = amm.poolIdOf(address(token0), address(token1));
        assertFalse(exists);
        assertEq(id, 0);
    }

    function test_createPool_emitsPoolCreated() public {
        vm.expectEmit(address(amm));
        emit IAIServiceAMM.PoolCreated(0, address(token0), address(token1), DEFAULT_FEE, defaultBounds());
        amm.createPool(address(token1), address(token0));
    }

    function test_createPool_isPermissionless() public {
        vm.prank(alice);
        assertEq(amm.createPool(address(token0), address(token1)), 0);
    }

    function test_createPool_usesDefaultsSetLater() public {
        IAIServiceAMM.FeeBounds memory bounds =
            IAIServiceAMM.FeeBounds({minFee: 100, maxFee: 50_000, maxStep: 5_000, minInterval: 60});
        amm.setDefaultFee(10_000, bounds);
        uint256 poolId = amm.createPool(address(token0), address(token1));
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        assertEq(pool.fee, 10_000);
        assertEq(pool.feeBounds.minFee, 100);
        assertEq(pool.feeBounds.maxFee, 50_000);
        assertEq(pool.feeBounds.maxStep, 5_000);
        assertEq(pool.feeBounds.minInterval, 60);
    }

    function test_createPool_revertsWhenTokensIdentical() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.IdenticalTokens.selector, address(token0)));
        amm.createPool(address(token0), address(token0));
    }

    function test_createPool_revertsWhenBothTokensZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.IdenticalTokens.selector, address(0)));
        amm.createPool(address(0), address(0));
    }

    function test_createPool_revertsWhenTokenIsZeroAddress() public {
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        amm.createPool(address(token0), address(0));
        vm.expectRevert(IAIServiceAMM.ZeroAddress.selector);
        amm.createPool(address(0), address(token0));
    }

    function test_createPool_revertsWhenTokenIsNotAContract() public {
        address eoaLow = address(1);
        address eoaHigh = address(type(uint160).max);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.NotAContract.selector, eoaLow));
        amm.createPool(address(token0), eoaLow);
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.NotAContract.selector, eoaHigh));
        amm.createPool(eoaHigh, address(token0));
    }

    function test_createPool_revertsWhenPoolExists() public {
        amm.createPool(address(token0), address(token1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIServiceAMM.PoolAlreadyExists.selector, address(token0), address(token1), 0
            )
        );
        amm.createPool(address(token1), address(token0));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAIServiceAMM.PoolAlreadyExists.selector, address(token0), address(token1), 0
            )
        );
        amm.createPool(address(token0), address(token1));
    }

    function test_createPool_revertsWhenPaused() public {
        vm.prank(guardian);
        amm.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        amm.createPool(address(token0), address(token1));
    }

    function test_getPool_revertsWhenPoolUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAIServiceAMM.UnknownPool.selector, 7));
        amm.getPool(7);
    }
}
