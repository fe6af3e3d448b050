// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {AgentPortfolioManager} from "../../src/portfolio/AgentPortfolioManager.sol";
import {IAgentPortfolioManager} from "../../src/interfaces/IAgentPortfolioManager.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Drives the portfolio manager for the invariant suite: two portfolios (alice's and bob's) over the base
/// token and two assets; deposits by anyone, withdrawals by the owners (to themselves or a third party),
/// withdrawal attempts by strangers, owner trades, keeper rebalances, stop orders and their triggers, target
/// changes, external AMM trades by a trader (small ones, and one-block crashes swapped back), sandwiches of a
/// rebalance by an attacker (in its block or across a block boundary), new blocks, and time passing with the oracle
/// recorded every period. Inputs are bounded so that most calls can succeed; calls the contract refuses
/// revert and roll back with their ghost updates.
/// @dev Ghosts, filled from the logs of every call:
/// - a per-portfolio ledger of each token: deposited − withdrawn − sold + bought (from Deposited, Withdrawn, Traded);
/// - every token transfer out of the manager: to the AMM (a trade's input) or to the recipient of the owner's own
///   withdrawal; anything else is counted in `ghostLeakedToNonOwners`;
/// - every trade's output against the reference output the handler computes itself — the larger of the outputs at
///   `oracle.twapX112` and at the pools' spot prices at the start of the block (the reserves the handler notes at
///   every new block) — counted in `ghostTradesOverLimit` when it differs from the event's or the output is more
///   than the portfolio's maxLossPerTradeBps short of it (rebalances counted apart);
/// - every trade's budget charge against its loss measured at the spot prices at the start of the block and at the
///   TWAP, in ppm of the portfolio's value before it (rounded down): `ghostChargesBelowSpotLoss` /
///   `ghostChargesBelowTwapLoss` count charges under either;
/// - sandwiches: a rebalance that traded the attacked pool after the attacker's front-run in the same block (before
///   any trade of the manager's of that pool in the block) is counted in `ghostInBlockSandwichesExecuted`, and an
///   attacker's in-block round trip that paid (he sells back through the AMM all he bought: his gain is in the
///   token he paid) in `ghostInBlockSandwichProfits`;
/// - the leaky bucket replayed from the Traded events' charges (`ghostBucket`), and the largest level it reached.
contract AgentPortfolioManagerHandler is Test {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant Q112 = 1 << 112;
    bytes32 internal constant TRANSFER = keccak256("Transfer(address,address,uint256)");

    AgentPortfolioManager public immutable pm;
    AIServiceAMM public immutable amm;
    ComputePriceOracle public immutable oracle;
    MockERC20[3] internal tokens;
    uint256[3] internal pools; // pools[0] unused (the base token)
    uint256[2] public ids;
    address[2] internal owners;
    address[3] internal others;
    address public immutable keeper;
    address public immutable trader;

    // ─── Ghosts ───────────────────────────────────────────────────────────────────────────────
    mapping(uint256 id => mapping(address token => int256)) public ghostLedger;
    mapping(address token => uint256) public ghostLeakedToNonOwners;
    uint256 public ghostStrangerWithdrawals;
    uint256 public ghostTradesOverLimit;
    uint256 public ghostRebalancesOverLimit;
    uint256 public ghostRebalances;
    uint256 public ghostTrades;
    uint256 public ghostStops;
    mapping(uint256 id => uint256) public ghostBucket;
    mapping(uint256 id => uint256) public ghostBucketAt;
    mapping(uint256 id => uint256) public ghostBucketPeak;
    mapping(uint256 id => uint256) public ghostBudgetRefusals;
    mapping(bytes32 => uint256) public calls;
    uint256 public ghostChargesBelowSpotLoss;
    uint256 public ghostChargesBelowTwapLoss;
    uint256 public ghostInBlockSandwichesExecuted;
    uint256 public ghostInBlockSandwichProfits;
    uint256 public ghostSandwiches;

    /// @dev Each pool's reserves (asset, base) at the start of the current block, noted when a block begins.
    uint256[2][3] internal _startReserves;
    /// @dev The portfolio's value (TWAP) before the trading call under way: the unit of its charge.
    uint256 internal _totalBefore;
    /// @dev When the manager last traded each pool (its pre-block reserves are noted from then to the block's end).
    uint256[3] internal _managerTradedAt;
    /// @dev Which assets the trading call under way traded.
    bool[3] internal _touched;

    /// @dev The recipient of the owner withdrawal under way (the one transfer out allowed besides the AMM's pulls).
    address internal _allowedRecipient;
    uint256 internal _allowedAmount;

    constructor(
        AgentPortfolioManager pm_,
        AIServiceAMM amm_,
        ComputePriceOracle oracle_,
        MockERC20[3] memory tokens_,
        uint256[3] memory pools_,
        uint256[2] memory ids_,
        address[2] memory owners_,
        address[3] memory others_,
        address keeper_,
        address trader_
    ) {
        pm = pm_;
        amm = amm_;
        oracle = oracle_;
        tokens = tokens_;
        pools = pools_;
        ids = ids_;
        owners = owners_;
        others = others_;
        keeper = keeper_;
        trader = trader_;
        _noteBlockStart();
        for (uint256 i; i < 2; ++i) {
            ghostBucketAt[ids_[i]] = block.timestamp;
            for (uint256 t; t < 3; ++t) {
                ghostLedger[ids_[i]][address(tokens_[t])] =
                    int256(pm_.holdingOf(ids_[i], address(tokens_[t])));
            }
        }
    }

    // ─── Actions ──────────────────────────────────────────────────────────────────────────────

    function deposit(uint256 actorSeed, uint256 idSeed, uint256 tokenSeed, uint256 amount) external {
        uint256 id = ids[idSeed % 2];
        MockERC20 token = tokens[tokenSeed % 3];
        address who = actorSeed % 2 == 0 ? owners[idSeed % 2] : others[actorSeed % 3];
        amount = _bound(amount, 1e12, 20_000e18);
        vm.recordLogs();
        vm.prank(who);
        pm.deposit(id, address(token), amount);
        _scan(address(0));
        ++calls["deposit"];
    }

    function withdraw(uint256 idSeed, uint256 tokenSeed, uint256 amount, uint256 toSeed) external {
        uint256 which = idSeed % 2;
        uint256 id = ids[which];
        MockERC20 token = tokens[tokenSeed % 3];
        uint256 held = pm.holdingOf(id, address(token));
        if (held == 0) return;
        amount = _bound(amount, 1, held);
        // the owner may send its funds anywhere: to itself or to someone else
        address to = toSeed % 2 == 0 ? owners[which] : others[toSeed % 3];
        (_allowedRecipient, _allowedAmount) = (to, amount);
        vm.recordLogs();
        vm.prank(owners[which]);
        pm.withdraw(id, address(token), amount, to);
        _scan(owners[which]);
        (_allowedRecipient, _allowedAmount) = (address(0), 0);
        ++calls["withdraw"];
    }

    /// @dev Someone other than the owner (the keeper, the trader, the other owner) tries to take a portfolio's
    /// tokens: it must be refused.
    function strangerWithdraw(uint256 actorSeed, uint256 idSeed, uint256 tokenSeed, uint256 amount) external {
        uint256 which = idSeed % 2;
        uint256 id = ids[which];
        address stranger = [keeper, trader, owners[1 - which]][actorSeed % 3];
        MockERC20 token = tokens[tokenSeed % 3];
        uint256 held = pm.holdingOf(id, address(token));
        amount = _bound(amount, 1, held == 0 ? 1 : held);
        vm.prank(stranger);
        try pm.withdraw(id, address(token), amount, stranger) {
            ++ghostStrangerWithdrawals;
        } catch {}
        ++calls["strangerWithdraw"];
    }

    function trade(uint256 idSeed, uint256 inSeed, uint256 outSeed, uint256 amount) external {
        uint256 which = idSeed % 2;
        uint256 id = ids[which];
        uint256 indexIn = inSeed % 3;
        uint256 indexOut = (indexIn + 1 + outSeed % 2) % 3;
        uint256 held = pm.holdingOf(id, address(tokens[indexIn]));
        if (held < 1e15) return;
        amount = _bound(amount, 1e15, held);
        _beforeTrade(id);
        vm.recordLogs();
        vm.prank(owners[which]);
        pm.executeTrade(id, _route(indexIn, indexOut), address(tokens[indexIn]), amount);
        _scan(address(0));
        ++calls["trade"];
    }

    function rebalance(uint256 idSeed) external {
        uint256 id = ids[idSeed % 2];
        _beforeTrade(id);
        vm.recordLogs();
        vm.prank(keeper);
        try pm.rebalancePortfolio(id) {
            _scan(address(0));
            ++calls["rebalance"];
        } catch (bytes memory reason) {
            if (bytes4(reason) == IAgentPortfolioManager.LossBudgetExceeded.selector) {
                ++ghostBudgetRefusals[id];
            }
            ++calls["rebalance refused"];
        }
    }

    /// @dev A stop order around the current time-weighted price: stop-loss from 2 % over it (fires at once) to 6 %
    /// under it, take-profit as far over it.
    function setStop(uint256 idSeed, uint256 assetSeed, uint256 distanceSeed, bool hasTakeProfit) external {
        uint256 which = idSeed % 2;
        uint256 index = 1 + assetSeed % 2;
        uint256 price = _unitPrice(index);
        uint256 distance = _bound(distanceSeed, 0, 800);
        // distance 0..200: the stop-loss lies above the price; 200..800: 0–6 % under it
        uint128 stopLoss = uint128(price * (BPS + 200 - distance) / BPS);
        uint128 takeProfit = hasTakeProfit ? uint128(price * (BPS + 200 + distance) / BPS) : 0;
        vm.prank(owners[which]);
        pm.setStopOrder(ids[which], address(tokens[index]), stopLoss, takeProfit);
        ++calls["setStop"];
    }

    function triggerStop(uint256 idSeed, uint256 assetSeed, uint256 callerSeed) external {
        uint256 id = ids[idSeed % 2];
        address caller = [keeper, trader, others[0]][callerSeed % 3];
        _beforeTrade(id);
        vm.recordLogs();
        vm.prank(caller);
        pm.triggerStop(id, address(tokens[1 + assetSeed % 2]));
        _scan(address(0));
        ++ghostStops;
        ++calls["triggerStop"];
    }

    function setTargets(uint256 idSeed, uint16 w0, uint16 w1) external {
        uint256 which = idSeed % 2;
        w0 = uint16(_bound(w0, 0, 10_000));
        w1 = uint16(_bound(w1, 0, 10_000 - w0));
        uint16[] memory weights = new uint16[](3);
        (weights[0], weights[1], weights[2]) = (w0, w1, 10_000 - w0 - w1);
        vm.prank(owners[which]);
        pm.setTargets(ids[which], weights);
        ++calls["setTargets"];
    }

    /// @dev Time passes, one to three periods, the oracle recorded at each (as its keeper does).
    function warpAndRecord(uint256 periodsSeed) external {
        uint256 periods = 1 + periodsSeed % 3;
        uint256 period = oracle.period();
        for (uint256 k; k < periods; ++k) {
            vm.warp(block.timestamp + period);
            vm.roll(block.number + 1);
            oracle.record(pools[1]);
            oracle.record(pools[2]);
        }
        _noteBlockStart();
        ++calls["warpAndRecord"];
    }

    /// @dev The next block, 12 s later, the oracle not recorded.
    function nextBlock() external {
        _nextBlock();
        ++calls["nextBlock"];
    }

    /// @dev The attacker (`others[1]`) swaps up to 5 % of a pool's reserve one way, the keeper rebalances a portfolio
    /// — in the same block, or (`crossBlock`) in the next, the attacker's price held across the boundary — and the
    /// attacker sells back all he bought.
    function sandwich(uint256 idSeed, uint256 poolSeed, bool assetIn, uint256 amountSeed, bool crossBlock)
        external
    {
        uint256 id = ids[idSeed % 2];
        uint256 index = 1 + poolSeed % 2;
        address attacker = others[1];
        (uint256 reserveAsset, uint256 reserveBase) = _reserves(index);
        (address tokenIn, address tokenOut) = assetIn
            ? (address(tokens[index]), address(tokens[0]))
            : (address(tokens[0]), address(tokens[index]));
        uint256 amount = _bound(
            amountSeed,
            (assetIn ? reserveAsset : reserveBase) / 10_000,
            (assetIn ? reserveAsset : reserveBase) / 20
        );
        vm.prank(attacker);
        uint256 bought = amm.swapExactInputSingle(pools[index], tokenIn, amount, 0, attacker, block.timestamp);
        if (crossBlock) _nextBlock();
        // in the same block and before any trade of the manager's of this pool in it: the pre-block price is gone
        bool inBlock = !crossBlock && _managerTradedAt[index] != block.timestamp;
        _beforeTrade(id);
        vm.recordLogs();
        vm.prank(keeper);
        try pm.rebalancePortfolio(id) {
            _scan(address(0));
            if (inBlock && _touched[index]) ++ghostInBlockSandwichesExecuted;
        } catch {}
        vm.prank(attacker);
        uint256 back = amm.swapExactInputSingle(pools[index], tokenOut, bought, 0, attacker, block.timestamp);
        if (inBlock && back > amount) ++ghostInBlockSandwichProfits;
        ++ghostSandwiches;
        ++calls[crossBlock ? bytes32("sandwich across blocks") : bytes32("sandwich in block")];
    }

    /// @dev A trader moves a pool's price by up to ~2 % (what the oracle sees from the next period on).
    function externalSwap(uint256 poolSeed, bool assetIn, uint256 amountSeed) external {
        uint256 index = 1 + poolSeed % 2;
        (uint256 reserveAsset, uint256 reserveBase) = _reserves(index);
        address tokenIn = assetIn ? address(tokens[index]) : address(tokens[0]);
        uint256 reserveIn = assetIn ? reserveAsset : reserveBase;
        uint256 amount = _bound(amountSeed, reserveIn / 100_000, reserveIn / 100);
        vm.prank(trader);
        amm.swapExactInputSingle(pools[index], tokenIn, amount, 0, trader, block.timestamp);
        ++calls["externalSwap"];
    }

    /// @dev A one-block crash: the trader halves a pool's price, the keeper tries every stop and a rebalance of both
    /// portfolios in that block, and the trader swaps back.
    function crashAndRevert(uint256 poolSeed) external {
        uint256 index = 1 + poolSeed % 2;
        (uint256 reserveAsset,) = _reserves(index);
        vm.prank(trader);
        uint256 out = amm.swapExactInputSingle(
            pools[index], address(tokens[index]), reserveAsset * 42 / 100, 0, trader, block.timestamp
        );
        for (uint256 i; i < 2; ++i) {
            _beforeTrade(ids[i]);
            vm.recordLogs();
            vm.prank(keeper);
            try pm.triggerStop(ids[i], address(tokens[index])) {
                _scan(address(0));
                ++ghostStops;
            } catch {}
            _beforeTrade(ids[i]);
            vm.recordLogs();
            vm.prank(keeper);
            try pm.rebalancePortfolio(ids[i]) {
                _scan(address(0));
            } catch {}
        }
        vm.prank(trader);
        amm.swapExactInputSingle(pools[index], address(tokens[0]), out, 0, trader, block.timestamp);
        ++calls["crashAndRevert"];
    }

    // ─── Ghost bookkeeping ────────────────────────────────────────────────────────────────────

    /// @dev Reads the call's logs: the manager's events into the ledger, the bucket and the loss checks; the tokens'
    /// transfers out of the manager into the leak counter. `owner` is set for an owner's withdrawal.
    function _scan(address owner) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            bytes32 topic = log.topics[0];
            if (log.emitter == address(pm)) {
                if (topic == IAgentPortfolioManager.Deposited.selector) {
                    ghostLedger[
                        uint256(log.topics[1])
                    ][_address(log.topics[2])] += int256(abi.decode(log.data, (uint256)));
                } else if (topic == IAgentPortfolioManager.Withdrawn.selector) {
                    ghostLedger[
                        uint256(log.topics[1])
                    ][_address(log.topics[2])] -= int256(abi.decode(log.data, (uint256)));
                } else if (topic == IAgentPortfolioManager.Traded.selector) {
                    _traded(log);
                }
            } else if (topic == TRANSFER && _address(log.topics[1]) == address(pm)) {
                address to = _address(log.topics[2]);
                uint256 value = abi.decode(log.data, (uint256));
                bool toAmm = to == address(amm);
                bool ownWithdrawal = owner != address(0) && to == _allowedRecipient && value == _allowedAmount;
                if (!toAmm && !ownWithdrawal) ghostLeakedToNonOwners[log.emitter] += value;
            }
        }
    }

    function _traded(Vm.Log memory log) internal {
        uint256 id = uint256(log.topics[1]);
        IAgentPortfolioManager.TradeKind kind = IAgentPortfolioManager.TradeKind(uint256(log.topics[2]));
        (
            address tokenIn,
            address tokenOut,
            uint256 amountIn,
            uint256 amountOut,
            uint256 oracleOut,
            uint256 lossPpm
        ) = abi.decode(log.data, (address, address, uint256, uint256, uint256, uint256));
        ghostLedger[id][tokenIn] -= int256(amountIn);
        ghostLedger[id][tokenOut] += int256(amountOut);

        // the reference output, computed here from the oracle (the TWAP does not change within the block) and the
        // reserves at the start of the block
        uint256 valueIn = Math.mulDiv(amountIn, _priceX112(tokenIn), Q112);
        uint256 spotValueIn = Math.mulDiv(amountIn, _startSpotX112(tokenIn), Q112);
        uint256 ownReference = Math.max(
            Math.mulDiv(valueIn, Q112, _priceX112(tokenOut)),
            Math.mulDiv(spotValueIn, Q112, _startSpotX112(tokenOut))
        );
        uint256 maxLoss = pm.getPortfolio(id).limits.maxLossPerTradeBps;
        bool overLimit = ownReference != oracleOut || amountOut * BPS < ownReference * (BPS - maxLoss);
        // the charge against the losses at the start-of-block spot prices and at the TWAP (rounded down)
        uint256 spotValueOut = Math.mulDiv(amountOut, _startSpotX112(tokenOut), Q112);
        if (spotValueIn > spotValueOut && lossPpm < (spotValueIn - spotValueOut) * 1e6 / _totalBefore) {
            ++ghostChargesBelowSpotLoss;
        }
        uint256 valueOut = Math.mulDiv(amountOut, _priceX112(tokenOut), Q112);
        if (valueIn > valueOut && lossPpm < (valueIn - valueOut) * 1e6 / _totalBefore) {
            ++ghostChargesBelowTwapLoss;
        }
        for (uint256 t = 1; t < 3; ++t) {
            if (tokenIn == address(tokens[t]) || tokenOut == address(tokens[t])) {
                _touched[t] = true;
                _managerTradedAt[t] = block.timestamp;
            }
        }
        if (overLimit) ++ghostTradesOverLimit;
        if (kind == IAgentPortfolioManager.TradeKind.Rebalance) {
            ++ghostRebalances;
            if (overLimit) ++ghostRebalancesOverLimit;
        }
        ++ghostTrades;

        // the bucket, replayed: it settles only when a trade charges it, as the contract's does
        if (lossPpm != 0) _replayCharge(id, lossPpm);
    }

    function _replayCharge(uint256 id, uint256 lossPpm) internal {
        IAgentPortfolioManager.RiskLimits memory limits = pm.getPortfolio(id).limits;
        uint256 drain =
            uint256(limits.lossBudgetPpm) * (block.timestamp - ghostBucketAt[id]) / limits.lossWindow;
        uint256 level = ghostBucket[id] > drain ? ghostBucket[id] - drain : 0;
        ghostBucket[id] = level + lossPpm;
        ghostBucketAt[id] = block.timestamp;
        if (ghostBucket[id] > ghostBucketPeak[id]) ghostBucketPeak[id] = ghostBucket[id];
    }

    // ─── Helpers ──────────────────────────────────────────────────────────────────────────────

    function _nextBlock() internal {
        vm.warp(block.timestamp + 12);
        vm.roll(block.number + 1);
        _noteBlockStart();
    }

    function _noteBlockStart() internal {
        for (uint256 i = 1; i < 3; ++i) {
            (uint256 reserveAsset, uint256 reserveBase) = _reserves(i);
            _startReserves[i] = [reserveAsset, reserveBase];
        }
    }

    /// @dev Before a trading call: the portfolio's value (the unit of its charge), and no asset traded yet.
    function _beforeTrade(uint256 id) internal {
        try pm.portfolioValue(id) returns (uint256 total, uint256[] memory) {
            _totalBefore = total;
        } catch {
            _totalBefore = type(uint256).max;
        }
        delete _touched;
    }

    /// @dev A token's spot price in base units, UQ112.112, at the start of the block (1 for the base token).
    function _startSpotX112(address token) internal view returns (uint256) {
        if (token == address(tokens[0])) return Q112;
        uint256 index = token == address(tokens[1]) ? 1 : 2;
        return (_startReserves[index][1] << 112) / _startReserves[index][0];
    }

    function _route(uint256 indexIn, uint256 indexOut) internal view returns (uint256[] memory route) {
        if (indexIn == 0 || indexOut == 0) {
            route = new uint256[](1);
            route[0] = pools[indexIn == 0 ? indexOut : indexIn];
        } else {
            route = new uint256[](2);
            (route[0], route[1]) = (pools[indexIn], pools[indexOut]);
        }
    }

    function _priceX112(address token) internal view returns (uint256) {
        if (token == address(tokens[0])) return Q112;
        uint256 index = token == address(tokens[1]) ? 1 : 2;
        (uint256 p0, uint256 p1) = oracle.twapX112(pools[index]);
        return token < address(tokens[0]) ? p0 : p1;
    }

    function _unitPrice(uint256 index) internal view returns (uint256) {
        return Math.mulDiv(1e18, _priceX112(address(tokens[index])), Q112);
    }

    function _reserves(uint256 index) internal view returns (uint256 reserveAsset, uint256 reserveBase) {
        (uint112 r0, uint112 r1,) = amm.getReserves(pools[index]);
        return address(tokens[index]) < address(tokens[0]) ? (r0, r1) : (r1, r0);
    }

    function _address(bytes32 topic) internal pure returns (address) {
        return address(uint160(uint256(topic)));
    }

    function tokenAt(uint256 i) external view returns (MockERC20) {
        return tokens[i];
    }
}
