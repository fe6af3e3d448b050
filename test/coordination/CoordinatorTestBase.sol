// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {MultiAgentCoordinator} from "../../src/coordination/MultiAgentCoordinator.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice The coordinator next to the AMM and the real ComputePriceOracle (30-minute window of 5-minute periods,
/// 20 % band, no idle limit), wired as the deploy script wires it (the guardian pauses). Base token: `base`
/// (AMMTestBase's token1); assets `gpu` (token0, 1 gpu = 2 base) and `llm` (token2, 1 llm = 0.5 base), each in a
/// deep pool with the base token (10 M base a side) seeded by `lp`. The oracle has a full window of observations.
/// Consortium `cid`: members alice, bob and carol (every approval given), leader `leader`, both pools allowed;
/// nothing contributed yet. `dave` is a non-member with tokens and approvals.
/// @dev Time only moves through {_advance}, which records every pool each period so that the oracle never goes
/// stale; a test that wants a stale oracle warps by itself.
abstract contract CoordinatorTestBase is AMMTestBase {
    uint32 internal constant WINDOW = 30 minutes;
    uint32 internal constant PERIOD = 5 minutes;
    uint16 internal constant MAX_MOVE_BPS = 2_000;
    uint256 internal constant POOL_BASE_RESERVE = 10_000_000e18;

    uint32 internal constant VOTING_PERIOD = 1 hours;
    uint32 internal constant GRACE_PERIOD = 1 hours;
    uint16 internal constant QUORUM_BPS = 5_000;
    uint16 internal constant FEE_BPS = 1_000;

    uint16 internal constant MAX_TRADE_BPS = 2_000;
    uint16 internal constant MAX_LOSS_PER_TRADE_BPS = 100;
    uint16 internal constant MAX_LOSS_PER_PERIOD_BPS = 200;
    uint32 internal constant LOSS_PERIOD = 1 days;

    uint256 internal constant VIRTUAL_SHARES = 1e6;

    ComputePriceOracle internal oracle;
    MultiAgentCoordinator internal coordinator;
    MockERC20 internal base;
    MockERC20 internal gpu;
    MockERC20 internal llm;
    uint256 internal gpuPool;
    uint256 internal llmPool;
    uint256[] internal recordedPools;
    uint256 internal cid;

    address internal leader = makeAddr("leader");
    address internal dave = makeAddr("dave");
    address internal lp = makeAddr("lp");

    function setUp() public virtual override {
        super.setUp();
        (gpu, base, llm) = (token0, token1, token2);
        vm.label(address(base), "base");
        vm.label(address(gpu), "gpu");
        vm.label(address(llm), "llm");
        oracle = new ComputePriceOracle(address(manager), amm, WINDOW, PERIOD, MAX_MOVE_BPS, 0);
        coordinator = new MultiAgentCoordinator(address(manager), amm, oracle);
        vm.label(address(oracle), "oracle");
        vm.label(address(coordinator), "coordinator");
        _wireCoordinator();

        gpuPool = _listAsset(gpu, POOL_BASE_RESERVE / 2);
        llmPool = _listAsset(llm, POOL_BASE_RESERVE * 2);

        address[5] memory actors = [alice, bob, carol, dave, leader];
        for (uint256 i; i < actors.length; ++i) {
            _fund(actors[i], base);
            _fund(actors[i], gpu);
            _fund(actors[i], llm);
        }
        _warmOracle();
        cid = _create(_members(), _pools(gpuPool, llmPool));
    }

    function _wireCoordinator() internal {
        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = MultiAgentCoordinator.pause.selector;
        pausing[1] = MultiAgentCoordinator.unpause.selector;
        manager.setTargetFunctionRole(address(coordinator), pausing, Roles.GUARDIAN);
    }

    // ─── Setup helpers ────────────────────────────────────────────────────────────────────────

    /// @dev Creates the pool `asset`/base seeded with POOL_BASE_RESERVE base and `assetReserve` of the asset, and
    /// adds it to the pools every {_advance} records.
    function _listAsset(MockERC20 asset, uint256 assetReserve) internal returns (uint256 poolId) {
        poolId = amm.createPool(address(asset), address(base));
        _fund(lp, asset);
        _fund(lp, base);
        (uint256 amount0, uint256 amount1) = address(asset) < address(base)
            ? (assetReserve, POOL_BASE_RESERVE)
            : (POOL_BASE_RESERVE, assetReserve);
        vm.prank(lp);
        amm.addLiquidity(poolId, amount0, amount1, 0, 0, lp, block.timestamp);
        recordedPools.push(poolId);
        oracle.record(poolId);
    }

    /// @dev Mints plenty of `token` to `who` and approves the AMM and the coordinator.
    function _fund(address who, MockERC20 token) internal {
        token.mint(who, 1e30);
        vm.startPrank(who);
        token.approve(address(amm), type(uint256).max);
        token.approve(address(coordinator), type(uint256).max);
        vm.stopPrank();
    }

    /// @dev A window and one period of observations of every pool.
    function _warmOracle() internal {
        _advance(WINDOW + PERIOD);
    }

    /// @dev Moves time forward in steps of at most one period (and one block per step), recording every pool at
    /// each step, as the keepers would.
    function _advance(uint256 secondsLater) internal {
        while (secondsLater != 0) {
            uint256 step = secondsLater < PERIOD ? secondsLater : PERIOD;
            secondsLater -= step;
            vm.warp(block.timestamp + step);
            vm.roll(block.number + 1);
            oracle.recordMany(recordedPools);
        }
    }

    function _nextBlock() internal {
        vm.roll(block.number + 1);
    }

    /// @dev The next block, a second later: a contribution refuses a spot set in its own block (its timestamp),
    /// `PoolTradedThisBlock`, so one that follows a trade of a held asset's pool goes here first.
    function _nextSecond() internal {
        vm.roll(block.number + 1);
        vm.warp(block.timestamp + 1);
    }

    function _governance() internal pure returns (IMultiAgentCoordinator.Governance memory) {
        return IMultiAgentCoordinator.Governance({
            votingPeriod: VOTING_PERIOD,
            gracePeriod: GRACE_PERIOD,
            quorumBps: QUORUM_BPS,
            performanceFeeBps: FEE_BPS
        });
    }

    function _mandate() internal pure returns (IMultiAgentCoordinator.Mandate memory) {
        return IMultiAgentCoordinator.Mandate({
            maxTradeBps: MAX_TRADE_BPS,
            maxLossPerTradeBps: MAX_LOSS_PER_TRADE_BPS,
            maxLossPerPeriodBps: MAX_LOSS_PER_PERIOD_BPS,
            lossPeriod: LOSS_PERIOD
        });
    }

    function _members() internal view returns (address[] memory m) {
        m = new address[](3);
        (m[0], m[1], m[2]) = (alice, bob, carol);
    }

    function _pools(uint256 a, uint256 b) internal pure returns (uint256[] memory p) {
        p = new uint256[](2);
        (p[0], p[1]) = (a, b);
    }

    function _create(address[] memory members, uint256[] memory pools) internal returns (uint256 id) {
        id = coordinator.createConsortium(members, leader, address(base), _governance(), _mandate(), pools);
    }

    // ─── Action helpers ───────────────────────────────────────────────────────────────────────

    function _contribute(address who, uint256 id, uint256 amount) internal returns (uint256 shares) {
        vm.prank(who);
        shares = coordinator.contribute(id, amount);
    }

    function _ragequit(address who, uint256 id, uint256 shares) internal returns (uint256[] memory amounts) {
        vm.prank(who);
        amounts = coordinator.ragequit(id, shares);
    }

    function _leaderTrade(uint256 id, uint256 poolId, address tokenIn, uint256 amountIn)
        internal
        returns (uint256 out)
    {
        vm.prank(leader);
        out = coordinator.leaderTrade(id, _path(poolId), tokenIn, amountIn);
    }

    function _propose(address who, uint256 id, IMultiAgentCoordinator.ProposalKind kind, bytes memory data)
        internal
        returns (uint256 proposalId)
    {
        vm.prank(who);
        proposalId = coordinator.propose(id, kind, data);
    }

    function _vote(address who, uint256 proposalId, bool support) internal {
        vm.prank(who);
        coordinator.vote(proposalId, support);
    }

    /// @dev alice, bob and carol contribute 10 000, 20 000 and 30 000 base, then a block passes (so they vote).
    function _fundConsortium() internal {
        _contribute(alice, cid, 10_000e18);
        _contribute(bob, cid, 20_000e18);
        _contribute(carol, cid, 30_000e18);
        _nextBlock();
    }

    /// @dev Proposes as `who`, everyone who holds shares votes yes, and time moves past the grace period.
    function _passToReady(address who, IMultiAgentCoordinator.ProposalKind kind, bytes memory data)
        internal
        returns (uint256 proposalId)
    {
        proposalId = _propose(who, cid, kind, data);
        address[3] memory voters = [alice, bob, carol];
        for (uint256 i; i < 3; ++i) {
            if (coordinator.sharesAt(cid, voters[i], block.number - 1) != 0) {
                _vote(voters[i], proposalId, true);
            }
        }
        _advance(VOTING_PERIOD + GRACE_PERIOD);
    }

    /// @dev An outsider (`lp`) buys `asset` with `baseIn` base, and the window passes so that the oracle prices the
    /// new level: the asset's time-weighted price rises.
    function _pumpAsset(uint256 poolId, uint256 baseIn) internal {
        vm.prank(lp);
        amm.swapExactInputSingle(poolId, address(base), baseIn, 0, lp, block.timestamp);
        _advance(WINDOW + PERIOD);
    }

    function _holding(uint256 id, address token) internal view returns (uint256) {
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        for (uint256 i; i < v.assets.length; ++i) {
            if (v.assets[i] == token) return v.holdings[i];
        }
        return 0;
    }

    function _nav(uint256 id) internal view returns (uint256 total) {
        (total,) = coordinator.netAssetValue(id);
    }

    /// @dev The net asset value a contribution is priced at, computed here from the oracle and the reserves: each
    /// asset at the higher of its time-weighted value and its spot value (rounded up). `lower`: the smaller of the
    /// two (spot rounded down), the value a profit distribution counts.
    function _boundedNav(uint256 id, bool lower) internal view returns (uint256 total) {
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        total = v.holdings[0];
        for (uint256 i = 1; i < v.assets.length; ++i) {
            uint256 held = v.holdings[i];
            if (held == 0) continue;
            (, uint256 poolId) = amm.poolIdOf(v.assets[i], address(base));
            (uint256 twapValue,) = oracle.consult(poolId, v.assets[i], held);
            (uint112 r0, uint112 r1,) = amm.getReserves(poolId);
            (uint256 assetReserve, uint256 baseReserve) = v.assets[i] < address(base) ? (r0, r1) : (r1, r0);
            uint256 spotValue = Math.mulDiv(
                held, baseReserve, assetReserve, lower ? Math.Rounding.Floor : Math.Rounding.Ceil
            );
            total += lower ? Math.min(twapValue, spotValue) : Math.max(twapValue, spotValue);
        }
    }

    function _totalShares(uint256 id) internal view returns (uint256) {
        return coordinator.getConsortium(id).totalShares;
    }

    function _balance(IERC20 token, address who) internal view returns (uint256) {
        return token.balanceOf(who);
    }

    function _tradeData(uint256 poolId, address tokenIn, uint256 amountIn, uint256 minOut)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(_path(poolId), tokenIn, amountIn, minOut);
    }
}
