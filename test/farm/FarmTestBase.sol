// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {AIPowerYieldFarm} from "../../src/farm/AIPowerYieldFarm.sol";
import {IAIPowerYieldFarm} from "../../src/interfaces/IAIPowerYieldFarm.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Deploys the farm behind an AccessManager (guardian may pause, APY keeper may setRewardRate, everything
/// else admin-only) next to the AMM, with a same-token pool (AITBC-like stake and reward), a two-token pool (its
/// tokens have an AMM pool, reward priced at 2 staking tokens), an LP pool (shares of the AMM's AITBC/stakeToken
/// pool, rewards in AITBC), and funded actors holding LP shares, every approval given.
abstract contract FarmTestBase is Test {
    uint128 internal constant MIN_RATE = 0;
    uint128 internal constant MAX_RATE = 10e18;
    uint128 internal constant MAX_STEP = 1e18;
    uint32 internal constant MIN_INTERVAL = 1 hours;
    uint256 internal constant FUND = 1_000_000e18;
    uint256 internal constant DURATION = 1_000_000; // seconds: rate 1e18 / s
    uint24 internal constant AMM_FEE = 3_000;
    uint256 internal constant AMM_RESERVE = 1_000_000e18;

    AccessManager internal manager;
    AIPowerYieldFarm internal farm;
    AIServiceAMM internal amm;
    MockERC20 internal aitbc;
    MockERC20 internal stakeToken;
    MockERC20 internal rewardToken;
    uint256 internal samePool; // stake AITBC, earn AITBC
    uint256 internal pairPool; // stake stakeToken, earn rewardToken
    uint256 internal lpPool; // stake LP shares of ammLpId, earn AITBC
    uint256 internal ammPairId; // AMM pool rewardToken/stakeToken: 1 rewardToken = 2 stakeToken
    uint256 internal ammLpId; // AMM pool AITBC/stakeToken, 1:1
    uint256 internal deadline;

    address internal admin;
    address internal guardian = makeAddr("guardian");
    address internal keeper = makeAddr("keeper");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        vm.roll(100);
        admin = address(this);
        deadline = block.timestamp + 3650 days;
        manager = new AccessManager(admin);
        IAIServiceAMM.FeeBounds memory feeBounds =
            IAIServiceAMM.FeeBounds({minFee: 500, maxFee: 10_000, maxStep: 1_000, minInterval: 3_600});
        amm = new AIServiceAMM(address(manager), makeAddr("treasury"), AMM_FEE, feeBounds);
        farm = new AIPowerYieldFarm(address(manager), amm);
        _wireRoles();

        aitbc = new MockERC20("AITBC", "AITBC");
        stakeToken = new MockERC20("Stake", "STK");
        rewardToken = new MockERC20("Reward", "RWD");
        vm.label(address(farm), "farm");
        vm.label(address(amm), "amm");
        vm.label(address(aitbc), "aitbc");
        vm.label(address(stakeToken), "stakeToken");
        vm.label(address(rewardToken), "rewardToken");

        MockERC20[3] memory tokens = [aitbc, stakeToken, rewardToken];
        address[4] memory actors = [alice, bob, carol, admin];
        for (uint256 i; i < actors.length; ++i) {
            for (uint256 j; j < tokens.length; ++j) {
                tokens[j].mint(actors[i], 1e30);
                vm.prank(actors[i]);
                tokens[j].approve(address(farm), type(uint256).max);
                vm.prank(actors[i]);
                tokens[j].approve(address(amm), type(uint256).max);
            }
        }

        ammPairId = amm.createPool(address(rewardToken), address(stakeToken));
        _addLiquidity(admin, ammPairId, address(rewardToken), AMM_RESERVE, 2 * AMM_RESERVE);
        ammLpId = amm.createPool(address(aitbc), address(stakeToken));
        _addLiquidity(admin, ammLpId, address(aitbc), AMM_RESERVE, AMM_RESERVE);
        for (uint256 i; i < 3; ++i) {
            _addLiquidity(actors[i], ammLpId, address(aitbc), 10_000e18, 10_000e18);
            vm.prank(actors[i]);
            amm.approve(address(farm), ammLpId, type(uint256).max);
        }

        samePool = farm.createPool(address(aitbc), address(aitbc), defaultBounds());
        pairPool = farm.createPool(address(stakeToken), address(rewardToken), defaultBounds());
        lpPool = farm.createLpPool(ammLpId, address(aitbc), defaultBounds());
    }

    function defaultBounds() internal pure returns (IAIPowerYieldFarm.RateBounds memory) {
        return IAIPowerYieldFarm.RateBounds({
            minRate: MIN_RATE, maxRate: MAX_RATE, maxStep: MAX_STEP, minInterval: MIN_INTERVAL
        });
    }

    function _wireRoles() internal {
        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = AIPowerYieldFarm.pause.selector;
        pausing[1] = AIPowerYieldFarm.unpause.selector;
        manager.setTargetFunctionRole(address(farm), pausing, Roles.GUARDIAN);
        bytes4[] memory rateSetter = new bytes4[](1);
        rateSetter[0] = AIPowerYieldFarm.setRewardRate.selector;
        manager.setTargetFunctionRole(address(farm), rateSetter, Roles.APY_KEEPER);
        manager.grantRole(Roles.GUARDIAN, guardian, 0);
        manager.grantRole(Roles.APY_KEEPER, keeper, 0);
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    /// @dev Adds `amountA` of `tokenA` and `amountB` of the pool's other token, shares to `who`.
    function _addLiquidity(address who, uint256 ammPoolId, address tokenA, uint256 amountA, uint256 amountB)
        internal
        returns (uint256 liquidity)
    {
        IAIServiceAMM.PoolView memory p = amm.getPool(ammPoolId);
        (uint256 a0, uint256 a1) = p.token0 == tokenA ? (amountA, amountB) : (amountB, amountA);
        vm.prank(who);
        (,, liquidity) = amm.addLiquidity(ammPoolId, a0, a1, 0, 0, who, deadline);
    }

    function _compound(address who, uint256 poolId) internal returns (uint256 stakeId, uint256 amount) {
        vm.prank(who);
        (stakeId, amount) = farm.compound(poolId, 0, deadline);
    }

    function _lpBalance(address who) internal view returns (uint256) {
        return amm.balanceOf(who, ammLpId);
    }

    function _fund(uint256 poolId, uint256 amount, uint256 duration) internal {
        farm.fundPool(poolId, amount, duration);
    }

    function _stake(address who, uint256 poolId, uint256 amount, uint256 lockDuration)
        internal
        returns (uint256 stakeId)
    {
        vm.prank(who);
        stakeId = farm.stake(poolId, amount, lockDuration);
    }

    function _unstake(address who, uint256 poolId, uint256 stakeId, uint256 amount) internal {
        vm.prank(who);
        farm.unstake(poolId, stakeId, amount);
    }

    function _claim(address who, uint256 poolId) internal returns (uint256 amount) {
        vm.prank(who);
        amount = farm.claimRewards(poolId);
    }

    function _skip(uint256 secondsLater) internal {
        vm.warp(block.timestamp + secondsLater);
        vm.roll(block.number + 1);
    }
}
