// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {AgentPortfolioManager} from "../../src/portfolio/AgentPortfolioManager.sol";
import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {AMMTestBase} from "../utils/AMMTestBase.sol";

/// @notice The portfolio manager next to the AMM and the REAL ComputePriceOracle (the deploy script's defaults: a
/// 30-minute window of 5-minute periods, a 20 % band, a 1-day idle limit), wired as the deploy script wires it
/// (the guardian may pause). Three tokens from AMMTestBase: the base token is `token1` (`base`), so that one asset
/// sorts below it (`gpu` = token0: the asset is its pool's token0) and one above (`llm` = token2: the asset is
/// token1), and both price directions of the oracle are exercised. Pools are deep (10 M base a side) next to the
/// portfolios (100 k base), so that a 10 % chunk moves its pool by ~0.1 % and loses ~0.4 % with the 0.3 % fee.
/// 1 gpu = 2 base, 1 llm = 0.5 base. The oracle has a full window of history after setUp.
abstract contract PortfolioTestBase is AMMTestBase {
    /// @notice What a trade should do, computed here from the AMM's quote and the oracle's price.
    struct Expected {
        uint256 valueIn;
        uint256 amountOut;
        uint256 oracleOut; // the reference output: the better of the oracle's and the pre-block spot's
        uint256 minOut;
        uint256 lossPpm;
        uint256 lossBps;
    }

    uint32 internal constant WINDOW = 30 minutes;
    uint32 internal constant PERIOD = 5 minutes;
    uint16 internal constant MAX_MOVE_BPS = 2_000;
    uint32 internal constant MAX_POOL_IDLE = 1 days;
    uint256 internal constant POOL_BASE = 10_000_000e18;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant PPM = 1_000_000;
    uint256 internal constant Q112 = 1 << 112;

    ComputePriceOracle internal oracle;
    AgentPortfolioManager internal pm;
    MockERC20 internal base;
    MockERC20 internal gpu;
    MockERC20 internal llm;
    uint256 internal gpuPool;
    uint256 internal llmPool;
    address internal keeperBot = makeAddr("keeperBot");
    address internal dave = makeAddr("dave");

    function setUp() public virtual override {
        super.setUp();
        (gpu, base, llm) = (token0, token1, token2);
        vm.label(address(base), "base");
        vm.label(address(gpu), "gpu");
        vm.label(address(llm), "llm");

        oracle = new ComputePriceOracle(address(manager), amm, WINDOW, PERIOD, MAX_MOVE_BPS, MAX_POOL_IDLE);
        pm = new AgentPortfolioManager(address(manager), amm, oracle);
        vm.label(address(oracle), "oracle");
        vm.label(address(pm), "portfolioManager");
        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = AgentPortfolioManager.pause.selector;
        pausing[1] = AgentPortfolioManager.unpause.selector;
        manager.setTargetFunctionRole(address(pm), pausing, Roles.GUARDIAN);

        // gpu/base: 5 M gpu against 10 M base (1 gpu = 2 base); base/llm: 10 M base against 20 M llm
        gpuPool = amm.createPool(address(gpu), address(base));
        _add(alice, gpuPool, POOL_BASE / 2, POOL_BASE);
        llmPool = amm.createPool(address(base), address(llm));
        _add(alice, llmPool, POOL_BASE, 2 * POOL_BASE);

        address[4] memory actors = [alice, bob, carol, dave];
        MockERC20[3] memory tokens = [base, gpu, llm];
        for (uint256 i; i < actors.length; ++i) {
            for (uint256 j; j < tokens.length; ++j) {
                if (tokens[j].balanceOf(actors[i]) == 0) tokens[j].mint(actors[i], 1e30);
                vm.startPrank(actors[i]);
                tokens[j].approve(address(pm), type(uint256).max);
                tokens[j].approve(address(amm), type(uint256).max);
                vm.stopPrank();
            }
        }
        _warmOracle();
    }

    // ─── Oracle and time ──────────────────────────────────────────────────────────────────────

    /// @dev Records both pools over one full window, so that the oracle prices them.
    function _warmOracle() internal {
        _record();
        _advance(WINDOW);
    }

    function _record() internal {
        oracle.record(gpuPool);
        oracle.record(llmPool);
    }

    /// @dev Lets `seconds_` pass one period at a time, recording both pools at each step as the keepers do.
    function _advance(uint256 seconds_) internal {
        while (seconds_ != 0) {
            uint256 step = seconds_ < PERIOD ? seconds_ : PERIOD;
            _nextBlock(step);
            seconds_ -= step;
            _record();
        }
    }

    // ─── Portfolios ───────────────────────────────────────────────────────────────────────────

    function _limits() internal pure returns (IAgentPortfolioManager.RiskLimits memory) {
        // 2 % band, 50 bps a trade, 2 % of the value per 7 days, 10 % chunks
        return IAgentPortfolioManager.RiskLimits({
            driftBandBps: 200,
            maxLossPerTradeBps: 50,
            lossBudgetPpm: 20_000,
            lossWindow: 7 days,
            maxChunkBps: 1_000
        });
    }

    function _assets() internal view returns (address[] memory assets) {
        assets = new address[](3);
        (assets[0], assets[1], assets[2]) = (address(base), address(gpu), address(llm));
    }

    function _pools() internal view returns (uint256[] memory pools) {
        pools = new uint256[](3);
        (pools[0], pools[1], pools[2]) = (0, gpuPool, llmPool);
    }

    function _weights(uint16 w0, uint16 w1, uint16 w2) internal pure returns (uint16[] memory weights) {
        weights = new uint16[](3);
        (weights[0], weights[1], weights[2]) = (w0, w1, w2);
    }

    /// @dev A base + gpu + llm portfolio owned by `who`, targets 40/30/30, the default limits.
    function _open(address who) internal returns (uint256 id) {
        vm.prank(who);
        id = pm.openPortfolio(_assets(), _pools(), _weights(4_000, 3_000, 3_000), _limits());
    }

    function _deposit(address who, uint256 id, MockERC20 token, uint256 amount) internal {
        vm.prank(who);
        pm.deposit(id, address(token), amount);
    }

    /// @dev Alice's portfolio holding 100 k base worth: 40 k base, 15 k gpu (30 k base), 60 k llm (30 k base) —
    /// on target.
    function _openBalanced() internal returns (uint256 id) {
        id = _open(alice);
        _deposit(alice, id, base, 40_000e18);
        _deposit(alice, id, gpu, 15_000e18);
        _deposit(alice, id, llm, 60_000e18);
    }

    /// @dev Alice's portfolio with small positions (40 k base, 5 k gpu, 20 k llm: 10 k base each), so that selling a
    /// whole position (a stop) stays within 50 bps of the oracle.
    function _openSmall() internal returns (uint256 id) {
        id = _open(alice);
        _deposit(alice, id, base, 40_000e18);
        _deposit(alice, id, gpu, 5_000e18);
        _deposit(alice, id, llm, 20_000e18);
    }

    /// @dev Alice's portfolio holding only 100 k base: far off its 40/30/30 targets.
    function _openAllBase() internal returns (uint256 id) {
        id = _open(alice);
        _deposit(alice, id, base, 100_000e18);
    }

    function _holding(uint256 id, MockERC20 token) internal view returns (uint256) {
        return pm.holdingOf(id, address(token));
    }

    /// @dev The asset's price in base units per asset unit, UQ112.112, as the manager reads it from the oracle.
    function _priceX112(uint256 poolId, MockERC20 asset) internal view returns (uint256) {
        (uint256 p0, uint256 p1) = oracle.twapX112(poolId);
        return address(asset) < address(base) ? p0 : p1;
    }

    /// @dev What 1e18 units of `asset` are worth in base units at the oracle's price (the unit of stop orders).
    function _unitPrice(uint256 poolId, MockERC20 asset) internal view returns (uint256 price) {
        (price,) = oracle.consult(poolId, address(asset), 1e18);
    }

    /// @dev Moves a pool's spot price by a swap from `who`.
    function _swap(address who, uint256 poolId, MockERC20 tokenIn, uint256 amountIn)
        internal
        returns (uint256)
    {
        return _swapIn(who, poolId, address(tokenIn), amountIn);
    }

    function _poolReserves(uint256 poolId, MockERC20 token)
        internal
        view
        returns (uint256 reserveToken, uint256 reserveOther)
    {
        IAIServiceAMM.PoolView memory p = amm.getPool(poolId);
        return p.token0 == address(token) ? (p.reserve0, p.reserve1) : (p.reserve1, p.reserve0);
    }

    // ─── Expected trades ──────────────────────────────────────────────────────────────────────

    function _poolOf(MockERC20 asset) internal view returns (uint256) {
        return address(asset) == address(gpu) ? gpuPool : llmPool;
    }

    /// @dev Base units per asset unit, UQ112.112 (1 for the base token).
    function _priceOf(MockERC20 token) internal view returns (uint256) {
        return address(token) == address(base) ? Q112 : _priceX112(_poolOf(token), token);
    }

    /// @dev The route the manager takes: one hop when either side is the base token, else through it.
    function _route(MockERC20 tokenIn, MockERC20 tokenOut) internal view returns (uint256[] memory) {
        if (address(tokenIn) == address(base)) return _path(_poolOf(tokenOut));
        if (address(tokenOut) == address(base)) return _path(_poolOf(tokenIn));
        return _path(_poolOf(tokenIn), _poolOf(tokenOut));
    }

    /// @dev A token's spot price in base units per unit, UQ112.112, from its pool's reserves now (1 for the base
    /// token): before the block, when its pool has not traded in this block.
    function _spotOf(MockERC20 token) internal view returns (uint256) {
        if (address(token) == address(base)) return Q112;
        (uint256 reserveToken, uint256 reserveBase) = _poolReserves(_poolOf(token), token);
        return (reserveBase << 112) / reserveToken;
    }

    /// @dev The trade `amountIn` of `tokenIn` for `tokenOut` should make now: the AMM's output, the reference output
    /// (the larger of the outputs at the oracle's prices and at the spot prices before the block — the pools must
    /// not have traded in this block), the minimum at `maxLossBps` below it, and the loss — the larger against the
    /// two — in ppm of portfolio `id`'s value, and in bps of the reference.
    function _expected(
        uint256 id,
        MockERC20 tokenIn,
        MockERC20 tokenOut,
        uint256 amountIn,
        uint256 maxLossBps
    ) internal view returns (Expected memory e) {
        e.valueIn = Math.mulDiv(amountIn, _priceOf(tokenIn), Q112);
        uint256 spotValueIn = Math.mulDiv(amountIn, _spotOf(tokenIn), Q112);
        e.oracleOut = Math.max(
            Math.mulDiv(e.valueIn, Q112, _priceOf(tokenOut)),
            Math.mulDiv(spotValueIn, Q112, _spotOf(tokenOut))
        );
        e.minOut = Math.mulDiv(e.oracleOut, BPS - maxLossBps, BPS, Math.Rounding.Ceil);
        uint256[] memory route = _route(tokenIn, tokenOut);
        e.amountOut = amm.calculateOptimalSwap(route, address(tokenIn), amountIn, true)[route.length];
        (uint256 total,) = pm.portfolioValue(id);
        uint256 valueOut = Math.mulDiv(e.amountOut, _priceOf(tokenOut), Q112);
        if (valueOut < e.valueIn) {
            e.lossPpm = Math.mulDiv(e.valueIn - valueOut, PPM, total, Math.Rounding.Ceil);
        }
        uint256 spotValueOut = Math.mulDiv(e.amountOut, _spotOf(tokenOut), Q112);
        if (spotValueOut < spotValueIn) {
            e.lossPpm =
                Math.max(e.lossPpm, Math.mulDiv(spotValueIn - spotValueOut, PPM, total, Math.Rounding.Ceil));
        }
        if (e.amountOut < e.oracleOut) {
            e.lossBps = Math.mulDiv(e.oracleOut - e.amountOut, BPS, e.oracleOut, Math.Rounding.Ceil);
        }
    }

    /// @dev The manager's balance of each token equals the sum of the given portfolios' holdings of it.
    function _assertCustody(uint256[] memory ids) internal view {
        MockERC20[3] memory tokens = [base, gpu, llm];
        for (uint256 t; t < 3; ++t) {
            uint256 sum;
            for (uint256 i; i < ids.length; ++i) {
                sum += pm.holdingOf(ids[i], address(tokens[t]));
            }
            assertEq(tokens[t].balanceOf(address(pm)), sum, "balance != sum of holdings");
            assertEq(tokens[t].allowance(address(pm), address(amm)), 0, "allowance left to the AMM");
        }
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = a;
    }

    function _setLimits(uint256 id, uint16 maxLossBps, uint32 budgetPpm, uint16 chunkBps) internal {
        IAgentPortfolioManager.RiskLimits memory limits = _limits();
        limits.maxLossPerTradeBps = maxLossBps;
        limits.lossBudgetPpm = budgetPpm;
        limits.maxChunkBps = chunkBps;
        vm.prank(pm.getPortfolio(id).owner);
        pm.setRiskLimits(id, limits);
    }
}
