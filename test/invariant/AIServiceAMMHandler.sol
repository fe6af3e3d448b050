// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test, console} from "forge-std/Test.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Drives the AMM for the invariant suite: three pools over three tokens (so that multi-hop paths, cycles
/// and a pool used twice are possible), liquidity providers who only add and remove, traders who only swap, the
/// fee keeper, the guardian, governance and the treasury. Inputs are bounded so that most calls succeed; time moves
/// between calls. Ghost variables record what must never happen, checked per call against the state before it.
contract AIServiceAMMHandler is Test {
    struct PoolState {
        uint256 reserve0;
        uint256 reserve1;
        uint256 total;
        uint256 kLast;
        uint256 treasuryShares;
        uint32 timestamp;
        uint256 cumulative0;
        uint256 cumulative1;
    }

    uint256 internal constant POOLS = 3;

    AIServiceAMM public immutable amm;
    address public immutable admin;
    address public immutable guardian;
    address public immutable keeper;
    address public immutable treasury;
    MockERC20[3] internal tokens;
    uint256[3] internal poolIds; // token0/token1, token1/token2, token0/token2
    address[] internal lps;
    address[] internal traders;

    // ─── Ghosts: what must never happen ───────────────────────────────────────────────────────
    /// @notice Some swap left a pool's reserve0·reserve1 lower than before it.
    bool public kDecreased;
    /// @notice Some call lowered a pool's value per share (√k / shares), the protocol fee's own shares aside.
    bool public shareValueDecreased;
    /// @notice The treasury was minted more than the protocol's share of the √k growth since kLast.
    bool public treasuryOverpaid;
    /// @notice A deposit got more shares, or a withdrawal more of a token, than its pro-rata part.
    bool public lpOverpaid;
    /// @notice A liquidity provider withdrew more (in √k units) than its deposits were worth, fees included.
    bool public lpEntitlementExceeded;
    /// @notice A pool's blockTimestampLast or a cumulative price went backwards.
    bool public oracleWentBackwards;
    /// @notice A deposit or swap got through while paused, or a withdrawal was refused because of the pause.
    bool public pauseMisbehaved;
    string public firstFailure;

    // ─── Ghosts: what was done ────────────────────────────────────────────────────────────────
    mapping(bytes32 action => uint256) public calls;
    uint256 public successfulCalls;
    mapping(address token => uint256) public donated;
    /// @dev Shares each provider would hold had every deposit been priced exactly at the pool's value per share;
    /// burnt pro rata on withdrawal. Real shares never exceed it if minting never over-issues.
    mapping(address lp => mapping(uint256 poolId => uint256)) public fairShares;
    PoolState[3] internal lastSeen;

    constructor(
        AIServiceAMM amm_,
        MockERC20[3] memory tokens_,
        uint256[3] memory poolIds_,
        address admin_,
        address guardian_,
        address keeper_,
        address treasury_
    ) {
        amm = amm_;
        tokens = tokens_;
        poolIds = poolIds_;
        admin = admin_;
        guardian = guardian_;
        keeper = keeper_;
        treasury = treasury_;
        for (uint256 i; i < 3; ++i) {
            lps.push(makeAddr(string.concat("lp", vm.toString(i))));
            traders.push(makeAddr(string.concat("trader", vm.toString(i))));
        }
        address[] memory everyone = new address[](7);
        for (uint256 i; i < 3; ++i) {
            everyone[i] = lps[i];
            everyone[3 + i] = traders[i];
        }
        everyone[6] = treasury;
        for (uint256 i; i < everyone.length; ++i) {
            for (uint256 j; j < 3; ++j) {
                tokens[j].mint(everyone[i], 1e30);
                vm.prank(everyone[i]);
                tokens[j].approve(address(amm), type(uint256).max);
            }
        }
        for (uint256 p; p < POOLS; ++p) {
            lastSeen[p] = _state(p);
        }
    }

    // ─── Liquidity (providers only) ───────────────────────────────────────────────────────────

    function addLiquidity(
        uint256 lpSeed,
        uint256 poolSeed,
        uint256 amountSeed,
        uint256 skewSeed,
        uint256 timeSeed
    ) external {
        _advance(timeSeed);
        address lp = lps[lpSeed % lps.length];
        uint256 p = poolSeed % POOLS;
        PoolState memory before = _state(p);
        uint256 amount0 = bound(amountSeed, 1e12, 1e24);
        uint256 amount1 = before.total == 0
            ? bound(skewSeed, 1e12, 1e24)
            // At the pool's ratio, with up to 1 % too much of token1 so either side may bind.
            : (amount0 * before.reserve1) / before.reserve0 + 1
                + ((amount0 * before.reserve1) / before.reserve0) * (skewSeed % 100) / 10_000;
        if (amm.paused()) {
            vm.prank(lp);
            try amm.addLiquidity(poolIds[p], amount0, amount1, 0, 0, lp, type(uint256).max) {
                _fail(pauseMisbehaved = true, "add while paused");
            } catch (bytes memory reason) {
                if (bytes4(reason) != Pausable.EnforcedPause.selector) {
                    _fail(pauseMisbehaved = true, "add: wrong error");
                }
            }
            _count("addLiquidity (paused)");
            return;
        }
        vm.prank(lp);
        (uint256 in0, uint256 in1, uint256 shares) =
            amm.addLiquidity(poolIds[p], amount0, amount1, 0, 0, lp, type(uint256).max);

        PoolState memory afterwards = _state(p);
        uint256 minted = afterwards.treasuryShares - before.treasuryShares;
        _checkProtocolFee(before, minted);
        _checkShareValue(before, afterwards, minted);
        uint256 totalPriced = before.total + minted; // the supply the deposit was priced against
        if (before.total == 0) {
            fairShares[lp][p] += Math.sqrt(in0 * in1, Math.Rounding.Ceil);
        } else {
            // Pro rata: shares/total ≤ in0/reserve0 and ≤ in1/reserve1.
            if (shares * before.reserve0 > in0 * totalPriced || shares * before.reserve1 > in1 * totalPriced)
            {
                _fail(lpOverpaid = true, "deposit over-issued shares");
            }
            // √(in0·in1)·T/√k, rounded up: an upper bound on what the deposit is worth in shares.
            fairShares[
                lp
            ][
                p
            ] += Math.mulDiv(
                Math.sqrt(in0 * in1, Math.Rounding.Ceil),
                totalPriced,
                Math.sqrt(before.reserve0 * before.reserve1),
                Math.Rounding.Ceil
            );
        }
        if (amm.balanceOf(lp, poolIds[p]) > fairShares[lp][p]) {
            _fail(lpEntitlementExceeded = true, "shares > fair");
        }
        _after(p, afterwards);
        _count("addLiquidity");
    }

    function removeLiquidity(uint256 lpSeed, uint256 poolSeed, uint256 sharesSeed, uint256 timeSeed)
        external
    {
        _advance(timeSeed);
        address lp = lps[lpSeed % lps.length];
        uint256 p = poolSeed % POOLS;
        uint256 held = amm.balanceOf(lp, poolIds[p]);
        if (held == 0) return;
        // Half the time everything: providers who leave entirely are the case (c) is about.
        uint256 shares = sharesSeed % 2 == 0 ? held : bound(sharesSeed, 1, held);
        PoolState memory before = _state(p);

        vm.prank(lp);
        try amm.removeLiquidity(poolIds[p], shares, 0, 0, lp, type(uint256).max) returns (
            uint256 out0, uint256 out1
        ) {
            PoolState memory afterwards = _state(p);
            uint256 minted = afterwards.treasuryShares - before.treasuryShares;
            _checkProtocolFee(before, minted);
            _checkShareValue(before, afterwards, minted);
            _checkWithdrawal(lp, p, before, minted, shares, held, out0, out1);
            _after(p, afterwards);
            _count(amm.paused() ? bytes32("removeLiquidity (paused)") : bytes32("removeLiquidity"));
        } catch (bytes memory reason) {
            if (bytes4(reason) == Pausable.EnforcedPause.selector) {
                _fail(pauseMisbehaved = true, "remove refused");
            }
        }
    }

    /// @notice The treasury cashes in part of its protocol-fee shares.
    function treasuryRemove(uint256 poolSeed, uint256 sharesSeed, uint256 timeSeed) external {
        _advance(timeSeed);
        uint256 p = poolSeed % POOLS;
        uint256 held = amm.balanceOf(treasury, poolIds[p]);
        if (held == 0) return;
        uint256 shares = bound(sharesSeed, 1, held);
        PoolState memory before = _state(p);
        vm.prank(treasury);
        try amm.removeLiquidity(poolIds[p], shares, 0, 0, treasury, type(uint256).max) {
            PoolState memory afterwards = _state(p);
            // The treasury's balance fell by `shares` less anything minted to it in the same call.
            uint256 minted = afterwards.treasuryShares + shares - before.treasuryShares;
            _checkProtocolFee(before, minted);
            _checkShareValue(before, afterwards, minted);
            _after(p, afterwards);
            _count("treasuryRemove");
        } catch {}
    }

    // ─── Swaps (traders only) ─────────────────────────────────────────────────────────────────

    function swapExactInputSingle(
        uint256 traderSeed,
        uint256 poolSeed,
        bool zeroForOne,
        uint256 amountSeed,
        uint256 timeSeed
    ) external {
        _advance(timeSeed);
        uint256 p = poolSeed % POOLS;
        PoolState[3] memory before = _states();
        if (before[p].total == 0) return;
        uint256 reserveIn = zeroForOne ? before[p].reserve0 : before[p].reserve1;
        uint256 amountIn = bound(amountSeed, reserveIn / 1e6 + 1, reserveIn / 2 + 1);
        address tokenIn = _tokenIn(p, zeroForOne);
        address trader = traders[traderSeed % traders.length];
        if (_rejectedWhilePaused(
                trader,
                abi.encodeCall(
                    amm.swapExactInputSingle, (poolIds[p], tokenIn, amountIn, 0, trader, type(uint256).max)
                )
            )) return;
        vm.prank(trader);
        amm.swapExactInputSingle(poolIds[p], tokenIn, amountIn, 0, trader, type(uint256).max);
        _afterSwaps(before);
        _count("swapExactInputSingle");
    }

    function swapExactOutputSingle(
        uint256 traderSeed,
        uint256 poolSeed,
        bool zeroForOne,
        uint256 amountSeed,
        uint256 timeSeed
    ) external {
        _advance(timeSeed);
        uint256 p = poolSeed % POOLS;
        PoolState[3] memory before = _states();
        if (before[p].total == 0) return;
        uint256 reserveOut = zeroForOne ? before[p].reserve1 : before[p].reserve0;
        uint256 amountOut = bound(amountSeed, 1, reserveOut / 3 + 1);
        address tokenIn = _tokenIn(p, zeroForOne);
        address trader = traders[traderSeed % traders.length];
        if (_rejectedWhilePaused(
                trader,
                abi.encodeCall(
                    amm.swapExactOutputSingle,
                    (poolIds[p], tokenIn, amountOut, type(uint256).max, trader, type(uint256).max)
                )
            )) return;
        vm.prank(trader);
        amm.swapExactOutputSingle(
            poolIds[p], tokenIn, amountOut, type(uint256).max, trader, type(uint256).max
        );
        _afterSwaps(before);
        _count("swapExactOutputSingle");
    }

    /// @notice Multi-hop, exact in or out, over one of five paths: two hops, a three-hop cycle, and the same pool
    /// used twice in a row.
    function swapMultiHop(
        uint256 traderSeed,
        uint256 pathSeed,
        bool exactIn,
        uint256 amountSeed,
        uint256 timeSeed
    ) external {
        _advance(timeSeed);
        PoolState[3] memory before = _states();
        for (uint256 p; p < POOLS; ++p) {
            if (before[p].total == 0) return;
        }
        (uint256[] memory path, address tokenIn) = _pathFor(pathSeed % 5);
        address trader = traders[traderSeed % traders.length];
        bytes memory data;
        if (exactIn) {
            uint256[] memory probe = amm.calculateOptimalSwap(path, tokenIn, 1, false); // amount in for 1 unit out
            uint256 firstReserveIn = _reserveOf(path[0], tokenIn);
            uint256 amountIn = bound(amountSeed, probe[0] + 1e6, firstReserveIn / 10 + probe[0] + 1e6);
            data = abi.encodeCall(amm.swapExactInput, (path, tokenIn, amountIn, 0, trader, type(uint256).max));
        } else {
            address tokenOut = _tokenOutOf(path, tokenIn);
            uint256 lastReserveOut = _reserveOf(path[path.length - 1], tokenOut);
            uint256 amountOut = bound(amountSeed, 1, lastReserveOut / 20 + 1);
            data = abi.encodeCall(
                amm.swapExactOutput, (path, tokenIn, amountOut, type(uint256).max, trader, type(uint256).max)
            );
        }
        if (_rejectedWhilePaused(trader, data)) return;
        vm.prank(trader);
        (bool ok,) = address(amm).call(data);
        if (!ok) return; // e.g. an output that rounds to zero somewhere along the path
        _afterSwaps(before);
        _count(exactIn ? bytes32("swapExactInput") : bytes32("swapExactOutput"));
    }

    /// @notice A gift straight to the AMM: it must not become anyone's reserves.
    function donate(uint256 traderSeed, uint256 tokenSeed, uint256 amountSeed) external {
        MockERC20 token = tokens[tokenSeed % 3];
        uint256 amount = bound(amountSeed, 1, 1e21);
        vm.prank(traders[traderSeed % traders.length]);
        token.transfer(address(amm), amount);
        donated[address(token)] += amount;
        _count("donate");
    }

    // ─── Roles ────────────────────────────────────────────────────────────────────────────────

    /// @notice The keeper moves a fee by a legal step; if the interval has not passed it either waits or checks
    /// that the AMM refuses.
    function setFee(uint256 poolSeed, uint256 feeSeed, bool wait, uint256 timeSeed) external {
        _advance(timeSeed);
        uint256 p = poolSeed % POOLS;
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolIds[p]);
        IAIServiceAMM.FeeBounds memory b = pool.feeBounds;
        uint256 low = Math.max(b.minFee, pool.fee > b.maxStep ? pool.fee - b.maxStep : 0);
        uint256 high = Math.min(b.maxFee, uint256(pool.fee) + b.maxStep);
        uint24 newFee = uint24(bound(feeSeed, low, high));
        uint256 nextAllowedAt = uint256(pool.lastFeeUpdate) + b.minInterval;
        if (pool.lastFeeUpdate != 0 && block.timestamp < nextAllowedAt) {
            if (!wait) {
                vm.expectRevert(
                    abi.encodeWithSelector(IAIServiceAMM.FeeUpdateTooSoon.selector, nextAllowedAt)
                );
                vm.prank(keeper);
                amm.setFee(poolIds[p], newFee);
                _count("setFee (too soon)");
                return;
            }
            vm.warp(nextAllowedAt);
        }
        vm.prank(keeper);
        amm.setFee(poolIds[p], newFee);
        _after(p, _state(p));
        _count("setFee");
    }

    /// @notice Governance sets new (valid) bounds; the fee is clamped into them.
    function setFeeBounds(
        uint256 poolSeed,
        uint256 minSeed,
        uint256 maxSeed,
        uint256 stepSeed,
        uint256 intervalSeed
    ) external {
        uint256 p = poolSeed % POOLS;
        uint24 minFee = uint24(bound(minSeed, 0, 20_000));
        uint24 maxFee = uint24(bound(maxSeed, minFee, amm.MAX_FEE()));
        uint24 maxStep = uint24(bound(stepSeed, 0, maxFee));
        uint32 minInterval = uint32(bound(intervalSeed, 0, 2 hours));
        vm.prank(admin);
        amm.setFeeBounds(
            poolIds[p],
            IAIServiceAMM.FeeBounds({
                minFee: minFee, maxFee: maxFee, maxStep: maxStep, minInterval: minInterval
            })
        );
        _count("setFeeBounds");
    }

    /// @notice Governance turns the protocol fee on, off, or changes its share.
    function setProtocolFeeShare(uint256 shareSeed) external {
        uint16 share = shareSeed % 3 == 0 ? 0 : uint16(bound(shareSeed, 1, amm.MAX_PROTOCOL_FEE_SHARE_BPS()));
        vm.prank(admin);
        amm.setProtocolFeeShare(share);
        _count("setProtocolFeeShare");
    }

    /// @notice The guardian unpauses a paused AMM, or pauses a running one one time in four.
    function togglePause(uint256 seed) external {
        vm.startPrank(guardian);
        if (amm.paused()) {
            amm.unpause();
            _count("unpause");
        } else if (seed % 4 == 0) {
            amm.pause();
            _count("pause");
        }
        vm.stopPrank();
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 1 days));
        vm.roll(block.number + 1);
    }

    // ─── Views for the invariants ─────────────────────────────────────────────────────────────

    function lpCount() external view returns (uint256) {
        return lps.length;
    }

    function lpAt(uint256 i) external view returns (address) {
        return lps[i];
    }

    function traderAt(uint256 i) external view returns (address) {
        return traders[i];
    }

    function poolIdAt(uint256 p) external view returns (uint256) {
        return poolIds[p];
    }

    function tokenAt(uint256 i) external view returns (MockERC20) {
        return tokens[i];
    }

    function callSummary() external view {
        bytes32[16] memory names = [
            bytes32("addLiquidity"),
            "addLiquidity (paused)",
            "removeLiquidity",
            "removeLiquidity (paused)",
            "treasuryRemove",
            "swapExactInputSingle",
            "swapExactOutputSingle",
            "swapExactInput",
            "swapExactOutput",
            "swapRejected (paused)",
            "donate",
            "setFee",
            "setFee (too soon)",
            "setFeeBounds",
            "setProtocolFeeShare",
            "pause"
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
    }

    // ─── Checks ───────────────────────────────────────────────────────────────────────────────

    /// @dev The treasury gets at most φ of the growth of √k since kLast: s/(T + s) ≤ φ(√k − √kLast)/√k, with one
    /// unit of slack for the floors of the square roots.
    function _checkProtocolFee(PoolState memory before, uint256 minted) internal {
        if (minted == 0) return;
        uint256 share = amm.protocolFeeShareBps();
        uint256 rootK = Math.sqrt(before.reserve0 * before.reserve1);
        uint256 rootKLast = Math.sqrt(before.kLast);
        if (before.kLast == 0 || share == 0 || rootK <= rootKLast) {
            _fail(treasuryOverpaid = true, "fee minted without growth");
            return;
        }
        if (minted * rootK * 10_000 > share * (rootK - rootKLast + 1) * (before.total + minted)) {
            _fail(treasuryOverpaid = true, "fee above share");
        }
    }

    /// @dev √k per share never falls once the protocol fee is settled: the value per share after the call is at
    /// least the value per share right after the treasury's mint (which {_checkProtocolFee} bounds). Deposits and
    /// withdrawals are priced against that post-mint supply.
    function _checkShareValue(PoolState memory before, PoolState memory afterwards, uint256 minted) internal {
        if (before.total == 0 || afterwards.total == 0) return;
        uint256 rootBefore = Math.sqrt(before.reserve0 * before.reserve1);
        uint256 rootAfter = Math.sqrt(afterwards.reserve0 * afterwards.reserve1);
        // rootAfter / totalAfter ≥ rootBefore / (totalBefore + minted), floors of √ allowed for.
        if ((rootAfter + 1) * (before.total + minted) < rootBefore * afterwards.total) {
            _fail(shareValueDecreased = true, "value per share fell");
        }
    }

    /// @dev Pro rata per token, and within the provider's entitlement in √k units: what its fair shares are worth
    /// now, i.e. what it deposited plus its part of every fee since.
    function _checkWithdrawal(
        address lp,
        uint256 p,
        PoolState memory before,
        uint256 minted,
        uint256 shares,
        uint256 held,
        uint256 out0,
        uint256 out1
    ) internal {
        uint256 totalPriced = before.total + minted;
        if (out0 * totalPriced > shares * before.reserve0 || out1 * totalPriced > shares * before.reserve1) {
            _fail(lpOverpaid = true, "withdrawal above pro rata");
        }
        uint256 entitled = Math.mulDiv(fairShares[lp][p], shares, held);
        fairShares[lp][p] -= entitled;
        uint256 entitledRootK =
            Math.mulDiv(entitled, Math.sqrt(before.reserve0 * before.reserve1), totalPriced);
        if (Math.sqrt(out0 * out1) > entitledRootK + 2) {
            _fail(lpEntitlementExceeded = true, "withdrew > entitled");
        }
    }

    function _afterSwaps(PoolState[3] memory before) internal {
        for (uint256 p; p < POOLS; ++p) {
            PoolState memory afterwards = _state(p);
            if (afterwards.reserve0 * afterwards.reserve1 < before[p].reserve0 * before[p].reserve1) {
                _fail(kDecreased = true, "k fell in a swap");
            }
            _checkShareValue(before[p], afterwards, 0);
            _after(p, afterwards);
        }
    }

    /// @dev Oracle monotonicity against the last state seen by any call.
    function _after(uint256 p, PoolState memory current) internal {
        PoolState memory last = lastSeen[p];
        if (current.timestamp < last.timestamp) _fail(oracleWentBackwards = true, "timestamp went back");
        if (current.cumulative0 < last.cumulative0 || current.cumulative1 < last.cumulative1) {
            _fail(oracleWentBackwards = true, "cumulative price went back");
        }
        lastSeen[p] = current;
        ++successfulCalls;
    }

    /// @dev While paused, a deposit or swap must revert with EnforcedPause; returns whether the AMM was paused.
    function _rejectedWhilePaused(address trader, bytes memory data) internal returns (bool) {
        if (!amm.paused()) return false;
        vm.prank(trader);
        (bool ok, bytes memory reason) = address(amm).call(data);
        if (ok || bytes4(reason) != Pausable.EnforcedPause.selector) {
            _fail(pauseMisbehaved = true, "swap while paused");
        }
        _count("swapRejected (paused)");
        return true;
    }

    // ─── Internals ────────────────────────────────────────────────────────────────────────────

    function _fail(bool, string memory what) internal {
        if (bytes(firstFailure).length == 0) firstFailure = what;
    }

    function _count(bytes32 action) internal {
        ++calls[action];
    }

    /// @dev Half the calls stay in the same block (so per-block oracle logic is exercised), half move on.
    function _advance(uint256 timeSeed) internal {
        if (timeSeed % 2 == 0) return;
        vm.warp(block.timestamp + bound(timeSeed, 1, 1 hours));
        vm.roll(block.number + 1);
    }

    function _state(uint256 p) internal view returns (PoolState memory s) {
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolIds[p]);
        s.reserve0 = pool.reserve0;
        s.reserve1 = pool.reserve1;
        s.total = pool.totalLiquidity;
        s.kLast = pool.kLast;
        s.treasuryShares = amm.balanceOf(treasury, poolIds[p]);
        s.timestamp = pool.blockTimestampLast;
        s.cumulative0 = pool.price0CumulativeLast;
        s.cumulative1 = pool.price1CumulativeLast;
    }

    function _states() internal view returns (PoolState[3] memory s) {
        for (uint256 p; p < POOLS; ++p) {
            s[p] = _state(p);
        }
    }

    /// @dev The input token of pool p in the given direction.
    function _tokenIn(uint256 p, bool zeroForOne) internal view returns (address) {
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolIds[p]);
        return zeroForOne ? pool.token0 : pool.token1;
    }

    function _reserveOf(uint256 poolId, address token) internal view returns (uint256) {
        IAIServiceAMM.PoolView memory pool = amm.getPool(poolId);
        return token == pool.token0 ? pool.reserve0 : pool.reserve1;
    }

    function _tokenOutOf(uint256[] memory path, address tokenIn) internal view returns (address token) {
        token = tokenIn;
        for (uint256 i; i < path.length; ++i) {
            IAIServiceAMM.PoolView memory pool = amm.getPool(path[i]);
            token = token == pool.token0 ? pool.token1 : pool.token0;
        }
    }

    function _pathFor(uint256 which) internal view returns (uint256[] memory path, address tokenIn) {
        (uint256 p01, uint256 p12, uint256 p02) = (poolIds[0], poolIds[1], poolIds[2]);
        if (which == 0) {
            path = new uint256[](2);
            (path[0], path[1]) = (p01, p12); // token0 → token1 → token2
            tokenIn = address(tokens[0]);
        } else if (which == 1) {
            path = new uint256[](2);
            (path[0], path[1]) = (p12, p02); // token1 → token2 → token0
            tokenIn = address(tokens[1]);
        } else if (which == 2) {
            path = new uint256[](2);
            (path[0], path[1]) = (p01, p01); // token0 → token1 → token0, same pool twice
            tokenIn = address(tokens[0]);
        } else if (which == 3) {
            path = new uint256[](3);
            (path[0], path[1], path[2]) = (p02, p12, p01); // token0 → token2 → token1 → token0
            tokenIn = address(tokens[0]);
        } else {
            path = new uint256[](2);
            (path[0], path[1]) = (p12, p12); // token2 → token1 → token2, same pool twice
            tokenIn = address(tokens[2]);
        }
    }
}
