// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test, console} from "forge-std/Test.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../../src/interfaces/IComputePriceOracle.sol";
import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice The real oracle with one extra view, so that the invariants can read every slot of the ring buffer.
contract ComputePriceOracleHarness is ComputePriceOracle {
    constructor(
        address authority,
        IAIServiceAMM amm_,
        uint32 window_,
        uint32 period_,
        uint16 maxMoveBps_,
        uint32 maxPoolIdle_
    ) ComputePriceOracle(authority, amm_, window_, period_, maxMoveBps_, maxPoolIdle_) {}

    function observationAt(uint256 poolId, uint256 slot) external view returns (Observation memory) {
        return _observations[poolId][slot];
    }
}

/// @notice Drives the oracle for the invariant suite: traders swap at random sizes and directions in two pools,
/// providers add liquidity, keepers tick once per period at a random moment (and sometimes stop, for an idle gap of
/// up to several windows), anyone records at any time, and time moves between calls. Ghosts: every spot price each
/// pool held and since when (to bound the TWAP), the newest timestamp seen in each slot, and whether a record ever
/// reverted.
contract ComputePriceOracleHandler is Test {
    struct Segment {
        uint256 start;
        uint256 spot0X112;
        uint256 spot1X112;
    }

    uint256 internal constant POOLS = 2;

    AIServiceAMM public immutable amm;
    ComputePriceOracleHarness public immutable oracle;
    uint256 public immutable period;
    uint256 public immutable window;
    uint256 public immutable slots;
    uint256[2] internal poolIds;
    address[3] internal traders;

    // ─── Ghosts ───────────────────────────────────────────────────────────────────────────────
    mapping(uint256 poolId => Segment[]) internal history;
    mapping(uint256 poolId => mapping(uint256 slot => uint256)) public slotTimestamp;
    /// @notice A record of an existing pool reverted.
    bool public recordReverted;
    /// @notice A slot's observation was replaced by an older one, or a slot held an observation of another slot.
    bool public slotWentWrong;
    string public firstFailure;
    mapping(bytes32 action => uint256) public calls;
    /// @notice How often a probe after an action found the oracle pricing, per pool (coverage, not a property).
    uint256 public pricedProbes;
    uint256 public closedProbes;

    /// @notice Every settlement fixed so far, and its prices when first seen.
    struct Settled {
        uint256 poolId;
        uint256 expiry;
        uint256 price0X112;
        uint256 price1X112;
    }

    Settled[] internal settled;
    mapping(uint256 poolId => mapping(uint256 expiry => bool)) internal isSettled;
    /// @notice A fixed settlement price changed, or a finalize returned another price than the one fixed.
    bool public settlementChanged;

    constructor(
        AIServiceAMM amm_,
        ComputePriceOracleHarness oracle_,
        uint256[2] memory poolIds_,
        MockERC20[3] memory tokens
    ) {
        amm = amm_;
        oracle = oracle_;
        period = oracle_.period();
        window = oracle_.window();
        slots = window / period;
        poolIds = poolIds_;
        for (uint256 i; i < 3; ++i) {
            traders[i] = makeAddr(string.concat("oracleTrader", vm.toString(i)));
            for (uint256 j; j < 3; ++j) {
                tokens[j].mint(traders[i], 1e30);
                vm.prank(traders[i]);
                tokens[j].approve(address(amm_), type(uint256).max);
            }
        }
        for (uint256 p; p < POOLS; ++p) {
            _noteSpot(poolIds[p]);
        }
    }

    // ─── Actions ──────────────────────────────────────────────────────────────────────────────

    /// @notice A trader swaps up to 2 % of the input reserve, a block or a few later.
    function swap(
        uint256 traderSeed,
        uint256 poolSeed,
        bool zeroForOne,
        uint256 amountSeed,
        uint256 blocksSeed
    ) external {
        _blocks(blocksSeed);
        uint256 poolId = poolIds[poolSeed % POOLS];
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        uint256 amountIn = bound(amountSeed, 1e6, (zeroForOne ? pool.reserve0 : pool.reserve1) / 50);
        vm.prank(traders[traderSeed % 3]);
        amm.swapExactInputSingle(
            poolId, zeroForOne ? pool.token0 : pool.token1, amountIn, 0, traders[0], type(uint256).max
        );
        _noteSpot(poolId);
        _count("swap");
        _afterAction();
    }

    /// @notice A provider deposits at the pool's ratio (rounding moves the spot by a hair, and resets idleness).
    function addLiquidity(uint256 traderSeed, uint256 poolSeed, uint256 amountSeed, uint256 blocksSeed)
        external
    {
        _blocks(blocksSeed);
        uint256 poolId = poolIds[poolSeed % POOLS];
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        uint256 amount0 = bound(amountSeed, 1e15, pool.reserve0 / 10);
        uint256 amount1 = amount0 * pool.reserve1 / pool.reserve0 + 1;
        vm.prank(traders[traderSeed % 3]);
        amm.addLiquidity(poolId, amount0, amount1, 0, 0, traders[0], type(uint256).max);
        _noteSpot(poolId);
        _count("addLiquidity");
        _afterAction();
    }

    /// @notice The keeper's tick: at a random moment of the next period, every pool is recorded.
    function keeperTick(uint256 offsetSeed) external {
        vm.warp((block.timestamp / period + 1) * period + offsetSeed % period);
        vm.roll(block.number + 1);
        for (uint256 p; p < POOLS; ++p) {
            _record(poolIds[p]);
        }
        _count("keeperTick");
        _afterAction();
    }

    /// @notice Anyone records one pool at any moment (often a no-op: already recorded in this period).
    function record(uint256 poolSeed, uint256 secondsSeed) external {
        if (secondsSeed % 2 == 0) _warp(bound(secondsSeed, 1, period));
        _record(poolIds[poolSeed % POOLS]);
        _count("record");
        _afterAction();
    }

    /// @notice Time passes, up to a period.
    function warp(uint256 secondsSeed) external {
        _warp(bound(secondsSeed, 1, period));
        _count("warp");
        _afterAction();
    }

    /// @notice Keepers stop and nobody trades, for up to four windows.
    function idleGap(uint256 secondsSeed) external {
        _warp(bound(secondsSeed, window / 2, 4 * window));
        _count("idleGap");
        _afterAction();
    }

    /// @notice Anyone finalizes a pool's settlement for an expiry on the grid, from the current period back two
    /// windows (often refused: history missing, a band trip, or already final, which returns the fixed price).
    function finalize(uint256 poolSeed, uint256 expirySeed) external {
        uint256 poolId = poolIds[poolSeed % POOLS];
        uint256 periodsBack = bound(expirySeed, 0, 2 * slots);
        if (block.timestamp / period <= periodsBack) return;
        uint256 expiry = (block.timestamp / period - periodsBack) * period;
        try oracle.finalizeSettlement(poolId, expiry) returns (uint256 price0X112, uint256 price1X112) {
            if (!isSettled[poolId][expiry]) {
                isSettled[poolId][expiry] = true;
                settled.push(Settled(poolId, expiry, price0X112, price1X112));
                _count("finalized");
            } else {
                (uint256 fixed0, uint256 fixed1) = oracle.settlementPrice(poolId, expiry);
                if (fixed0 != price0X112 || fixed1 != price1X112) {
                    _fail(settlementChanged = true, "finalize returned another price");
                }
            }
        } catch {}
        _count("finalize");
        _afterAction();
    }

    // ─── Views for the invariants ─────────────────────────────────────────────────────────────

    function settledCount() external view returns (uint256) {
        return settled.length;
    }

    function settledAt(uint256 i) external view returns (Settled memory) {
        return settled[i];
    }

    function poolIdAt(uint256 p) external view returns (uint256) {
        return poolIds[p];
    }

    /// @notice The lowest and highest spot prices a pool held at any second of [from, to].
    function spotRange(uint256 poolId, uint256 from, uint256 to)
        external
        view
        returns (uint256 min0, uint256 max0, uint256 min1, uint256 max1)
    {
        (min0, min1) = (type(uint256).max, type(uint256).max);
        Segment[] storage segments = history[poolId];
        for (uint256 i; i < segments.length; ++i) {
            uint256 end = i + 1 < segments.length ? segments[i + 1].start : type(uint256).max;
            // Held over [start, end): counts if it held for some second of [from, to).
            if (end <= from || segments[i].start >= to) continue;
            if (segments[i].spot0X112 < min0) min0 = segments[i].spot0X112;
            if (segments[i].spot0X112 > max0) max0 = segments[i].spot0X112;
            if (segments[i].spot1X112 < min1) min1 = segments[i].spot1X112;
            if (segments[i].spot1X112 > max1) max1 = segments[i].spot1X112;
        }
    }

    function callSummary() external view {
        bytes32[8] memory names = [
            bytes32("swap"),
            "addLiquidity",
            "keeperTick",
            "record",
            "warp",
            "idleGap",
            "finalize",
            "finalized"
        ];
        for (uint256 i; i < names.length; ++i) {
            uint256 n;
            while (n < 32 && names[i][n] != 0) ++n;
            bytes memory name = new bytes(n);
            for (uint256 j; j < n; ++j) {
                name[j] = names[i][j];
            }
            console.log(string(name), calls[names[i]]);
        }
        console.log("probes priced", pricedProbes);
        console.log("probes closed", closedProbes);
    }

    // ─── Internals ────────────────────────────────────────────────────────────────────────────

    function _record(uint256 poolId) internal {
        try oracle.record(poolId) returns (bool recorded) {
            if (recorded) {
                (, IComputePriceOracle.Observation memory newest) = oracle.observationsOf(poolId);
                if (newest.timestamp != block.timestamp) _fail(slotWentWrong = true, "newest is not now");
            }
        } catch {
            _fail(recordReverted = true, "record reverted");
        }
    }

    /// @dev After every action: each slot's timestamp may only grow, and must belong to its slot; no fixed
    /// settlement has changed; then a probe of the price, for coverage.
    function _afterAction() internal {
        for (uint256 i; i < settled.length; ++i) {
            Settled storage s = settled[i];
            (uint256 price0X112, uint256 price1X112) = oracle.settlementPrice(s.poolId, s.expiry);
            if (price0X112 != s.price0X112 || price1X112 != s.price1X112) {
                _fail(settlementChanged = true, "a settlement price changed");
            }
        }
        for (uint256 p; p < POOLS; ++p) {
            uint256 poolId = poolIds[p];
            for (uint256 s; s < slots; ++s) {
                uint256 timestamp = oracle.observationAt(poolId, s).timestamp;
                if (timestamp < slotTimestamp[poolId][s]) _fail(slotWentWrong = true, "slot went backwards");
                if (timestamp != 0 && (timestamp / period) % slots != s) {
                    _fail(slotWentWrong = true, "wrong slot");
                }
                slotTimestamp[poolId][s] = timestamp;
            }
            try oracle.twapX112(poolId) {
                ++pricedProbes;
            } catch {
                ++closedProbes;
            }
        }
    }

    function _noteSpot(uint256 poolId) internal {
        (uint112 r0, uint112 r1,) = amm.getReserves(poolId);
        Segment memory segment =
            Segment(block.timestamp, (uint256(r1) << 112) / r0, (uint256(r0) << 112) / r1);
        Segment[] storage segments = history[poolId];
        if (segments.length != 0 && segments[segments.length - 1].start == block.timestamp) {
            segments[segments.length - 1] = segment; // only a block's last state stands for any time
        } else {
            segments.push(segment);
        }
    }

    /// @dev 0 to 3 blocks of 12 s.
    function _blocks(uint256 seed) internal {
        uint256 n = seed % 4;
        if (n != 0) _warp(n * 12);
    }

    function _warp(uint256 seconds_) internal {
        vm.warp(block.timestamp + seconds_);
        vm.roll(block.number + 1);
    }

    function _fail(bool, string memory what) internal {
        if (bytes(firstFailure).length == 0) firstFailure = what;
    }

    function _count(bytes32 action) internal {
        ++calls[action];
    }
}
