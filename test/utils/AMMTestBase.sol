// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Deploys the AMM behind an AccessManager wired as `script/Deploy.s.sol` wires it (guardian may pause,
/// fee keeper may setFee, everything else admin-only), with three sorted mock tokens and funded actors.
/// @dev `Deploy.deploy` cannot be reused from a test: it runs inside its own contract, which is then the caller
/// of the admin-only setters, and it reads the environment. The wiring below mirrors it one for one.
abstract contract AMMTestBase is Test {
    uint24 internal constant DEFAULT_FEE = 3_000;
    uint24 internal constant MIN_FEE = 500;
    uint24 internal constant MAX_FEE = 10_000;
    uint24 internal constant MAX_STEP = 1_000;
    uint32 internal constant MIN_INTERVAL = 3_600;
    uint16 internal constant PROTOCOL_SHARE_BPS = 1_666;
    uint256 internal constant MINIMUM_LIQUIDITY = 1_000;

    AccessManager internal manager;
    AIServiceAMM internal amm;
    MockERC20 internal token0;
    MockERC20 internal token1;
    MockERC20 internal token2;

    address internal admin;
    address internal guardian = makeAddr("guardian");
    address internal keeper = makeAddr("keeper");
    address internal treasury = makeAddr("treasury");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    uint256 internal deadline;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        vm.roll(100);
        deadline = block.timestamp + 1 days;
        admin = address(this);
        manager = new AccessManager(admin);
        amm = new AIServiceAMM(address(manager), treasury, DEFAULT_FEE, defaultBounds());
        _wireRoles();

        MockERC20[3] memory tokens =
            [new MockERC20("A", "A"), new MockERC20("B", "B"), new MockERC20("C", "C")];
        _sort(tokens);
        (token0, token1, token2) = (tokens[0], tokens[1], tokens[2]);
        vm.label(address(token0), "token0");
        vm.label(address(token1), "token1");
        vm.label(address(token2), "token2");
        vm.label(address(amm), "amm");

        address[3] memory actors = [alice, bob, carol];
        for (uint256 i; i < actors.length; ++i) {
            for (uint256 j; j < tokens.length; ++j) {
                tokens[j].mint(actors[i], 1e30);
                vm.prank(actors[i]);
                tokens[j].approve(address(amm), type(uint256).max);
            }
        }
    }

    function defaultBounds() internal pure returns (IAIServiceAMM.FeeBounds memory) {
        return IAIServiceAMM.FeeBounds({
            minFee: MIN_FEE, maxFee: MAX_FEE, maxStep: MAX_STEP, minInterval: MIN_INTERVAL
        });
    }

    function _wireRoles() internal {
        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = AIServiceAMM.pause.selector;
        pausing[1] = AIServiceAMM.unpause.selector;
        manager.setTargetFunctionRole(address(amm), pausing, Roles.GUARDIAN);
        bytes4[] memory feeSetter = new bytes4[](1);
        feeSetter[0] = AIServiceAMM.setFee.selector;
        manager.setTargetFunctionRole(address(amm), feeSetter, Roles.FEE_KEEPER);
        manager.grantRole(Roles.GUARDIAN, guardian, 0);
        manager.grantRole(Roles.FEE_KEEPER, keeper, 0);
    }

    function _sort(MockERC20[3] memory tokens) internal pure {
        for (uint256 i; i < 3; ++i) {
            for (uint256 j = i + 1; j < 3; ++j) {
                if (address(tokens[j]) < address(tokens[i])) (tokens[i], tokens[j]) = (tokens[j], tokens[i]);
            }
        }
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _createPool(MockERC20 a, MockERC20 b) internal returns (uint256 poolId) {
        poolId = amm.createPool(address(a), address(b));
    }

    function _add(address who, uint256 poolId, uint256 amount0, uint256 amount1)
        internal
        returns (uint256 liquidity)
    {
        vm.prank(who);
        (,, liquidity) = amm.addLiquidity(poolId, amount0, amount1, 0, 0, who, deadline);
    }

    function _remove(address who, uint256 poolId, uint256 liquidity)
        internal
        returns (uint256 amount0, uint256 amount1)
    {
        vm.prank(who);
        (amount0, amount1) = amm.removeLiquidity(poolId, liquidity, 0, 0, who, deadline);
    }

    function _swapIn(address who, uint256 poolId, address tokenIn, uint256 amountIn)
        internal
        returns (uint256 out)
    {
        vm.prank(who);
        out = amm.swapExactInputSingle(poolId, tokenIn, amountIn, 0, who, deadline);
    }

    /// @dev A pool of token0/token1 seeded by alice.
    function _seededPool(uint256 amount0, uint256 amount1) internal returns (uint256 poolId) {
        poolId = _createPool(token0, token1);
        _add(alice, poolId, amount0, amount1);
    }

    function _enableProtocolFee() internal {
        amm.setProtocolFeeShare(PROTOCOL_SHARE_BPS);
    }

    function _reserves(uint256 poolId) internal view returns (uint256 r0, uint256 r1) {
        (r0, r1,) = amm.getReserves(poolId);
    }

    function _nextBlock(uint256 secondsLater) internal {
        vm.warp(block.timestamp + secondsLater);
        vm.roll(block.number + 1);
    }

    /// @dev Reference getAmountOut (Uniswap V2 formula generalised to pips), written independently of the library.
    function _refAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        internal
        pure
        returns (uint256)
    {
        uint256 inAfterFee = amountIn * (1e6 - fee);
        return (inAfterFee * reserveOut) / (reserveIn * 1e6 + inAfterFee);
    }

    function _path(uint256 a) internal pure returns (uint256[] memory p) {
        p = new uint256[](1);
        p[0] = a;
    }

    function _path(uint256 a, uint256 b) internal pure returns (uint256[] memory p) {
        p = new uint256[](2);
        (p[0], p[1]) = (a, b);
    }

    function _path(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory p) {
        p = new uint256[](3);
        (p[0], p[1], p[2]) = (a, b, c);
    }
}
