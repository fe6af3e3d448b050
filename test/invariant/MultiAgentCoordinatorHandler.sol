// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {MultiAgentCoordinator} from "../../src/coordination/MultiAgentCoordinator.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {RevertingToken} from "../mocks/RevertingToken.sol";

/// @notice Drives the coordinator for the invariant suite: two consortia (base, gpu, llm; base, gpu and a token that
/// can be made to refuse transfers), three members and an outsider who may be given shares, a leader, a
/// sandwicher moving spot prices, the guardian, and time (the oracle recorded every period, as keepers do). Every
/// action checks on the spot what it must (a ragequit pays the model's amounts, a trade stays in the mandate, a
/// claim pays the claimable) and keeps ghosts the invariants compare with the contract: each consortium's holdings
/// modelled action by action, the leader's loss per period recomputed, claims and stuck credits summed.
/// @dev Reverts are expected (the mandate, the oracle floor, a token refusing): each action lists the errors it
/// accepts and flags any other, so that a revert hiding a bug is not silently absorbed.
contract MultiAgentCoordinatorHandler is Test {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    uint256 public constant ACTORS = 4;

    struct Setup {
        MultiAgentCoordinator coordinator;
        AIServiceAMM amm;
        ComputePriceOracle oracle;
        RevertingToken rev;
        address base;
        address gpu;
        address llm;
        uint256 gpuPool;
        uint256 llmPool;
        uint256 revPool;
        uint256 plainId; // base, gpu, llm
        uint256 revId; // base, gpu, rev
        address leader;
        address guardian;
        address lp;
        uint32 period;
        uint32 window;
        address[ACTORS] actors; // the first three are members
    }

    /// @dev One leader trade in flight (a struct: the stack cannot hold it as locals).
    struct TradeCase {
        uint256 id;
        uint256[] path;
        address tokenIn;
        address tokenOut;
        uint256 amount;
        uint256 nav;
        uint256 value;
        uint256 oracleOut;
        IMultiAgentCoordinator.Mandate mandate;
    }

    MultiAgentCoordinator public immutable coordinator;
    AIServiceAMM public immutable amm;
    ComputePriceOracle public immutable oracle;
    RevertingToken public immutable rev;
    address public immutable base;
    address internal immutable leader;
    address internal immutable guardian;
    address internal immutable lp;
    uint32 internal immutable period;
    uint32 internal immutable window;
    uint256[2] internal ids;
    uint256[3] internal pools;
    address[ACTORS] internal actors;
    address[4] internal tokens;

    // ─── Ghosts ───────────────────────────────────────────────────────────────────────────────
    /// @notice Each consortium's holding of each token, from the amounts every action moved.
    mapping(uint256 id => mapping(address token => uint256)) public ghostHolding;
    /// @notice The leader's losses in the current period (WAD of the net asset value), recomputed at each trade.
    mapping(uint256 id => uint256) public ghostLossWad;
    mapping(uint256 id => uint256) public ghostLossStart;
    mapping(uint256 id => uint256) public ghostHighWaterMark;
    mapping(uint256 distributionId => uint256) public ghostClaimed;
    mapping(address token => uint256) public ghostStuck;
    uint256[] public distributionIds;
    uint256[] internal proposalIds;
    /// @notice Each member's yes votes per consortium (proposal ids), and each yes vote's weight.
    mapping(uint256 id => mapping(address actor => uint256[])) internal yesVoted;
    mapping(uint256 proposalId => address[]) internal yesVoters;
    mapping(uint256 proposalId => mapping(address voter => uint256)) internal yesWeight;
    /// @notice Contribute→ragequit round trips made, and those that returned more than they cost (base, the assets
    /// taken out sold through the AMM at once: spot, after the sale).
    uint256 public ghostRoundTrips;
    uint256 public ghostProfitableRoundTrips;
    /// @notice Proposals executed, and those executed on yes votes whose shares had left their voters.
    uint256 public ghostExecuted;
    uint256 public ghostExecutedUnbacked;
    mapping(address token => uint256) internal balanceBefore;

    bool public broken;
    string public firstFailure;
    mapping(bytes32 => uint256) public calls;

    constructor(Setup memory s) {
        coordinator = s.coordinator;
        amm = s.amm;
        oracle = s.oracle;
        rev = s.rev;
        base = s.base;
        leader = s.leader;
        guardian = s.guardian;
        lp = s.lp;
        period = s.period;
        window = s.window;
        ids = [s.plainId, s.revId];
        pools = [s.gpuPool, s.llmPool, s.revPool];
        actors = s.actors;
        tokens = [s.base, s.gpu, s.llm, address(s.rev)];
        for (uint256 i; i < 2; ++i) {
            IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(ids[i]);
            ghostLossStart[ids[i]] = v.lossPeriodStart;
            ghostHighWaterMark[ids[i]] = v.highWaterMark;
        }
    }

    /// @dev Every other action starts a new block (same timestamp); time only moves in {warp}, which records every
    /// pool each period as keepers do. (A warp inside an action that then reverts would stay, cheatcodes are not
    /// rolled back, while its observations would not: the oracle would go stale.)
    modifier tick(uint256 seed) {
        if ((seed >> 128) % 2 == 1) vm.roll(block.number + 1);
        _;
    }

    // ─── Members ──────────────────────────────────────────────────────────────────────────────

    function contribute(uint256 actorSeed, uint256 idSeed, uint256 amount) external tick(actorSeed) {
        uint256 id = ids[idSeed % 2];
        address actor = actors[actorSeed % 3];
        amount = _bound(amount, 1e12, 50_000e18);
        (uint256 nav,) = coordinator.netAssetValue(id);
        uint256 supply = _supply(id);
        uint256 priceBefore = _price(nav, supply);
        uint256 entryNav = _entryNav(id);

        vm.prank(actor);
        try coordinator.contribute(id, amount) returns (uint256 shares) {
            // each asset at the higher of the oracle and the spot
            _check(
                shares == Math.mulDiv(amount, supply + VIRTUAL_SHARES, entryNav + 1),
                "contribute: shares off the entry NAV"
            );
            ghostHolding[id][base] += amount;
            (uint256 navAfter,) = coordinator.netAssetValue(id);
            _check(_price(navAfter, _supply(id)) >= priceBefore, "contribute diluted the members");
            ++calls["contribute"];
        } catch (bytes memory reason) {
            // a trade of a held asset's pool earlier at this timestamp (a leader trade, a round trip's undo)
            if (bytes4(reason) == IMultiAgentCoordinator.PoolTradedThisBlock.selector) {
                _checkTradedThisBlock(reason);
            } else {
                _expect(reason, IMultiAgentCoordinator.ZeroShares.selector, "contribute");
            }
        }
    }

    function transferShares(uint256 fromSeed, uint256 toSeed, uint256 idSeed, uint256 amount)
        external
        tick(fromSeed)
    {
        uint256 id = ids[idSeed % 2];
        address from = _holder(id, fromSeed);
        if (from == address(0)) return;
        address to = actors[toSeed % ACTORS];
        uint256 held = coordinator.sharesOf(id, from);
        amount = _bound(amount, 1, held);
        uint256 toBefore = coordinator.sharesOf(id, to);
        vm.prank(from);
        try coordinator.transferShares(id, to, amount) {
            _check(!_mustBeLocked(id, from), "transfer: a yes-voter moved shares its proposal still counts");
        } catch (bytes memory reason) {
            _expect(reason, IMultiAgentCoordinator.SharesLockedByVote.selector, "transferShares");
            _check(!_mustBeFree(id, from), "transfer: a member with no pending yes vote was locked");
            return;
        }
        if (to != from) {
            _check(coordinator.sharesOf(id, from) == held - amount, "transfer: from");
            _check(coordinator.sharesOf(id, to) == toBefore + amount, "transfer: to");
        }
        ++calls["transferShares"];
    }

    /// @dev The model: ⌊holding·shares/(supply + 10^6)⌋ of each asset, paid or credited as stuck, nothing else.
    function ragequit(uint256 actorSeed, uint256 idSeed, uint256 amount) external tick(actorSeed) {
        uint256 id = ids[idSeed % 2];
        address actor = _holder(id, actorSeed);
        if (actor == address(0)) return;
        uint256 held = coordinator.sharesOf(id, actor);
        // a third of the time, everything
        uint256 shares = amount % 3 == 0 ? held : _bound(amount, 1, held);
        _ragequitAndCheck(id, actor, shares);
        ++calls["ragequit"];
    }

    function ragequitTooMuch(uint256 actorSeed, uint256 idSeed) external {
        uint256 id = ids[idSeed % 2];
        address actor = actors[actorSeed % ACTORS];
        uint256 held = coordinator.sharesOf(id, actor);
        uint256 balance = IERC20(base).balanceOf(actor);
        vm.prank(actor);
        try coordinator.ragequit(id, held + 1) {
            _check(false, "ragequit above the balance succeeded");
        } catch (bytes memory reason) {
            // a yes-voter's lock is checked first
            bool locked = bytes4(reason) == IMultiAgentCoordinator.SharesLockedByVote.selector;
            _check(!locked || !_mustBeFree(id, actor), "ragequit above the balance: a free member was locked");
            _check(
                locked
                    || keccak256(reason)
                        == keccak256(
                            abi.encodeWithSelector(
                                IMultiAgentCoordinator.InsufficientShares.selector, held, held + 1
                            )
                        ),
                "ragequit above the balance: wrong error"
            );
        }
        _check(IERC20(base).balanceOf(actor) == balance, "ragequit above the balance moved tokens");
        ++calls["ragequitTooMuch"];
    }

    /// @dev The first (actor, token) from the seed on with a stuck credit.
    function withdrawStuck(uint256 actorSeed) external tick(actorSeed) {
        address actor;
        address token;
        uint256 stuck;
        for (uint256 k; k < ACTORS * 4 && stuck == 0; ++k) {
            actor = actors[(actorSeed % ACTORS + k) % ACTORS];
            token = tokens[(actorSeed / ACTORS % 4 + k / ACTORS) % 4];
            stuck = coordinator.stuckOf(actor, token);
        }
        if (stuck == 0) return;
        uint256 balance = IERC20(token).balanceOf(actor);
        vm.prank(actor);
        try coordinator.withdrawStuck(token) returns (uint256 amount) {
            _check(amount == stuck, "withdrawStuck: amount");
            _check(IERC20(token).balanceOf(actor) - balance == stuck, "withdrawStuck: paid");
            ghostStuck[token] -= stuck;
            ++calls["withdrawStuck"];
        } catch {
            // only the refusing token can fail, and then the credit stays
            _check(token == address(rev) && _revRefuses(), "withdrawStuck failed");
            _check(coordinator.stuckOf(actor, token) == stuck, "withdrawStuck: credit lost");
        }
    }

    // ─── The leader ───────────────────────────────────────────────────────────────────────────

    /// @dev A leader trade along an allowed path, after a sandwicher perhaps moved the spot (up to ~2 %) either
    /// way. Success: the trade was in the mandate; the loss is recomputed into the ghost period sum. Also tries a
    /// pool the consortium never allowed, which must revert.
    function leaderTrade(uint256 idSeed, uint256 pathSeed, uint256 amount, uint256 skew)
        external
        tick(pathSeed)
    {
        TradeCase memory t;
        t.id = ids[idSeed % 2];
        (t.path, t.tokenIn) = _tradePath(t.id, pathSeed);
        uint256 holding = ghostHolding[t.id][t.tokenIn];
        if (holding == 0) return;
        t.amount = _bound(amount, 1, holding);
        _skewSpot(t.path[0], skew);
        _tryOutsideTheMandate(t.id);

        t.mandate = coordinator.getConsortium(t.id).mandate;
        (t.nav,) = coordinator.netAssetValue(t.id);
        t.value = _valueOf(t.tokenIn, t.amount);
        (t.oracleOut, t.tokenOut) = oracle.consultPath(t.path, t.tokenIn, t.amount);
        vm.prank(leader);
        try coordinator.leaderTrade(t.id, t.path, t.tokenIn, t.amount) returns (uint256 out) {
            _leaderTraded(t, out);
        } catch (bytes memory reason) {
            _leaderRefused(t, reason);
        }
    }

    function _leaderTraded(TradeCase memory t, uint256 out) internal {
        IMultiAgentCoordinator.Mandate memory m = t.mandate;
        _check(t.value <= t.nav * m.maxTradeBps / BPS, "leader traded above maxTradeBps");
        _check(
            out >= Math.mulDiv(t.oracleOut, BPS - m.maxLossPerTradeBps, BPS, Math.Rounding.Ceil),
            "leader traded below the oracle floor"
        );
        _chargeGhostLoss(t.id, m, t.nav, t.value, t.oracleOut, out);
        ghostHolding[t.id][t.tokenIn] -= t.amount;
        ghostHolding[t.id][t.tokenOut] += out;
        ++calls["leaderTrade"];
    }

    function _leaderRefused(TradeCase memory t, bytes memory reason) internal {
        bytes4 selector = bytes4(reason);
        if (selector == IMultiAgentCoordinator.TradeTooLarge.selector) {
            _check(t.value > t.nav * t.mandate.maxTradeBps / BPS, "TradeTooLarge within the limit");
        } else if (t.tokenOut == address(rev) && _revRefuses()) {
            // the AMM cannot pay out a token refusing transfers
        } else {
            _expect(
                reason,
                IAIServiceAMM.SlippageExceeded.selector,
                IMultiAgentCoordinator.LossLimitExceeded.selector,
                IAIServiceAMM.InsufficientOutputAmount.selector,
                "leaderTrade"
            );
        }
        ++calls["leaderTradeReverted"];
    }

    // ─── Proposals ────────────────────────────────────────────────────────────────────────────

    /// @dev A member proposes a Trade (base into gpu, up to 30 % of the net asset value: beyond the leader's
    /// mandate); everyone with shares at the snapshot votes yes, no or not at all (two bits of the seed each).
    function proposeTrade(uint256 actorSeed, uint256 idSeed, uint256 amount) external tick(actorSeed) {
        uint256 id = ids[idSeed % 2];
        address proposer = _snapshotHolder(id, actorSeed);
        if (proposer == address(0)) return;
        uint256 holding = ghostHolding[id][base];
        if (holding < 1e18) return;
        amount = _bound(amount, 1e18, holding * 3 / 10);
        bytes memory data = abi.encode(_one(pools[0]), base, amount, uint256(0));
        vm.prank(proposer);
        uint256 proposalId = coordinator.propose(id, IMultiAgentCoordinator.ProposalKind.Trade, data);
        for (uint256 i; i < ACTORS; ++i) {
            address voter = actors[i];
            uint256 choice = (actorSeed >> (8 + 2 * i)) % 4;
            if (choice == 3) continue;
            // yes weighs what the voter still holds, at most its snapshot balance
            uint256 weight = coordinator.sharesAt(id, voter, block.number - 1);
            if (choice != 2) weight = Math.min(weight, coordinator.sharesOf(id, voter));
            vm.prank(voter);
            try coordinator.vote(proposalId, choice != 2) {
                _check(weight != 0, "vote: counted without voting power");
                if (choice != 2) {
                    yesVoted[id][voter].push(proposalId);
                    yesVoters[proposalId].push(voter);
                    yesWeight[proposalId][voter] = weight;
                }
            } catch (bytes memory reason) {
                _check(weight == 0, "vote refused with voting power");
                _expect(reason, IMultiAgentCoordinator.NoVotingPower.selector, "vote");
            }
        }
        proposalIds.push(proposalId);
        ++calls["proposeTrade"];
    }

    /// @dev Executes a Ready proposal: its output at least the oracle floor (and its minimum), its loss not
    /// charged to the leader.
    function execute(uint256 seed) external tick(seed) {
        uint256 n = proposalIds.length;
        if (n == 0) return;
        uint256 proposalId = proposalIds[seed % n];
        IMultiAgentCoordinator.ProposalView memory p = coordinator.getProposal(proposalId);
        if (p.state != IMultiAgentCoordinator.ProposalState.Ready) return;
        (uint256[] memory path, address tokenIn, uint256 amountIn,) =
            abi.decode(p.data, (uint256[], address, uint256, uint256));
        uint256 id = p.consortiumId;
        (uint256 oracleOut, address tokenOut) = oracle.consultPath(path, tokenIn, amountIn);
        uint256 outBefore = _holdingOf(id, tokenOut);
        uint256 lossBefore = coordinator.getConsortium(id).lossUsedBps;
        try coordinator.execute(proposalId) {
            _checkYesVotesStillHeld(id, proposalId, p);
            uint256 out = _holdingOf(id, tokenOut) - outBefore;
            _check(
                out >= Math.mulDiv(oracleOut, 9_000, BPS, Math.Rounding.Ceil),
                "proposal traded below the floor"
            );
            _check(coordinator.getConsortium(id).lossUsedBps == lossBefore, "proposal charged to the leader");
            ghostHolding[id][tokenIn] -= amountIn;
            ghostHolding[id][tokenOut] += out;
            ++calls["execute"];
        } catch (bytes memory reason) {
            _expect(
                reason,
                IMultiAgentCoordinator.InsufficientHoldings.selector,
                IAIServiceAMM.SlippageExceeded.selector,
                "execute"
            );
        }
    }

    // ─── Profits ──────────────────────────────────────────────────────────────────────────────

    /// @dev Half the time the market first lifts every asset (~4 %) and a window passes, so that the oracle prices
    /// the gain and there is a profit to distribute.
    function distributeProfits(uint256 idSeed, bool rally) external tick(idSeed) {
        uint256 id = ids[idSeed % 2];
        if (rally) {
            for (uint256 i; i < 3; ++i) {
                _move(pools[i], 200_000e18, true);
            }
            _advance(window + period);
        }
        uint256 baseBefore = _holdingOf(id, base);
        uint256 leaderBefore = IERC20(base).balanceOf(leader);
        uint256 supply = _supply(id);
        try coordinator.distributeProfits(id) returns (uint256 distributionId) {
            IMultiAgentCoordinator.DistributionView memory d = coordinator.getDistribution(distributionId);
            uint256 profit = baseBefore - _holdingOf(id, base);
            uint256 fee = IERC20(base).balanceOf(leader) - leaderBefore;
            _check(d.amount + fee == profit, "distribution: amount + fee != profit");
            _check(d.snapshotBlock == block.number - 1, "distribution: snapshot");
            _check(d.totalSharesAtSnapshot == supply, "distribution: supply");
            uint256 mark = coordinator.getConsortium(id).highWaterMark;
            _check(mark >= ghostHighWaterMark[id], "high-water mark moved down");
            ghostHighWaterMark[id] = mark;
            ghostHolding[id][base] -= profit;
            distributionIds.push(distributionId);
            ++calls["distributeProfits"];
        } catch (bytes memory reason) {
            _expect(
                reason,
                IMultiAgentCoordinator.NoProfit.selector,
                IMultiAgentCoordinator.SharesChangedThisBlock.selector,
                "distributeProfits"
            );
        }
    }

    function claim(uint256 actorSeed, uint256 seed) external tick(actorSeed) {
        uint256 n = distributionIds.length;
        if (n == 0) return;
        uint256 distributionId = distributionIds[seed % n];
        address actor = actors[actorSeed % ACTORS];
        uint256 claimable = coordinator.claimable(distributionId, actor);
        uint256 balance = IERC20(base).balanceOf(actor);
        vm.prank(actor);
        try coordinator.claim(distributionId) returns (uint256 amount) {
            _check(amount == claimable && amount != 0, "claim: other than claimable");
            _check(IERC20(base).balanceOf(actor) - balance == amount, "claim: paid");
            ghostClaimed[distributionId] += amount;
            ++calls["claim"];
        } catch (bytes memory reason) {
            _check(claimable == 0, "claim of a claimable amount failed");
            _expect(
                reason,
                IMultiAgentCoordinator.NothingToClaim.selector,
                IMultiAgentCoordinator.AlreadyClaimed.selector,
                "claim"
            );
        }
    }

    // ─── The world ────────────────────────────────────────────────────────────────────────────

    /// @dev The sandwicher (or the market) moves a pool's spot by up to ~1 %; the window carries it into the
    /// oracle's price over time, so net asset values move both ways.
    function movePrice(uint256 poolSeed, uint256 amount, bool up) external tick(poolSeed) {
        _move(pools[poolSeed % 3], _bound(amount, 1e18, 50_000e18), up);
        ++calls["movePrice"];
    }

    /// @dev Normal, reverting, returning false, or returning nothing. (Burning all the gas is left to the unit tests:
    /// every AMM payout of it would spin through the whole block gas limit.)
    function setRevMode(uint256 seed) external {
        RevertingToken.Mode[4] memory modes = [
            RevertingToken.Mode.Normal,
            RevertingToken.Mode.Revert,
            RevertingToken.Mode.ReturnFalse,
            RevertingToken.Mode.NoReturn
        ];
        rev.setMode(modes[seed % 4]);
        ++calls["setRevMode"];
    }

    /// @dev The guardian pauses; an exit and a claim still work; it unpauses.
    function pausedExit(uint256 actorSeed, uint256 idSeed, uint256 amount) external tick(actorSeed) {
        uint256 id = ids[idSeed % 2];
        vm.prank(guardian);
        coordinator.pause();
        address actor = _holder(id, actorSeed);
        if (actor != address(0)) {
            uint256 held = coordinator.sharesOf(id, actor);
            _ragequitAndCheck(id, actor, _bound(amount, 1, held));
        }
        vm.prank(leader);
        try coordinator.leaderTrade(id, _one(pools[0]), base, 1) {
            _check(false, "leader traded while paused");
        } catch (bytes memory reason) {
            _check(bytes4(reason) == Pausable.EnforcedPause.selector, "paused trade: wrong error");
        }
        vm.prank(guardian);
        coordinator.unpause();
        ++calls["pausedExit"];
    }

    function warp(uint256 secondsLater) external {
        _advance(_bound(secondsLater, 1, 6 hours));
        ++calls["warp"];
    }

    /// @dev A real move of a pool's spot (up to ~10 %, either way) that the oracle has not followed yet; a member
    /// then contributes (up to 2 M base, borrowed), ragequits the new shares at once and sells every asset taken out
    /// through the AMM: it must end with at most the base it put in. Then lp takes its move back, so that the
    /// oracle's band is never crossed by accumulated moves.
    function roundTrip(uint256 actorSeed, uint256 poolSeed, uint256 amount, uint256 moveBps, bool up)
        external
        tick(actorSeed)
    {
        uint256 id = ids[poolSeed % 2];
        // the refusing token's exit would be a stuck credit, not something sold: no round trip while it refuses
        if (id == ids[1] && _revRefuses()) return;
        uint256 poolId = id == ids[0] ? pools[poolSeed / 2 % 2] : pools[(poolSeed / 2 % 2) * 2];
        address asset = _otherToken(poolId);
        (uint112 r0, uint112 r1,) = amm.getReserves(poolId);
        // the spot moves by about (1 + in/reserve)^2
        uint256 moveIn = (asset < base ? r1 : r0) * _bound(moveBps, 0, 1_000) / 20_000;
        balanceBefore[address(0)] = IERC20(base).balanceOf(lp);
        balanceBefore[address(1)] = IERC20(asset).balanceOf(lp);
        if (moveIn != 0) _move(poolId, moveIn, up);
        // the next block, a second later: a contribution refuses a spot set at its own timestamp
        vm.roll(block.number + 1);
        vm.warp(block.timestamp + 1);
        _roundTrip(id, actors[actorSeed % 3], _bound(amount, 1e12, 2_000_000e18));
        _undoMove(poolId, asset, balanceBefore[address(0)], balanceBefore[address(1)]);
    }

    function _roundTrip(uint256 id, address actor, uint256 amount) internal {
        uint256 before = IERC20(base).balanceOf(actor);
        uint256 supply = _supply(id);
        uint256 entryNav = _entryNav(id);
        vm.prank(actor);
        try coordinator.contribute(id, amount) returns (uint256 shares) {
            _check(shares == Math.mulDiv(amount, supply + VIRTUAL_SHARES, entryNav + 1), "round trip: shares");
            ghostHolding[id][base] += amount;
            uint256 held = coordinator.sharesOf(id, actor);
            _rememberBalances(id, actor);
            _ragequitAndCheck(id, actor, shares);
            // locked by a yes vote, the contribution simply stays; else everything taken out is sold at once
            if (coordinator.sharesOf(id, actor) == held) return;
            _sellReceived(id, actor);
            ++ghostRoundTrips;
            if (IERC20(base).balanceOf(actor) > before) {
                ++ghostProfitableRoundTrips;
                _check(false, "round trip: returned more than was put in, sold at spot");
            }
            ++calls["roundTrip"];
        } catch (bytes memory reason) {
            _expect(reason, IMultiAgentCoordinator.ZeroShares.selector, "round trip: contribute");
        }
    }

    // ─── Views for the invariants ─────────────────────────────────────────────────────────────

    function consortiumIds() external view returns (uint256[2] memory) {
        return ids;
    }

    function allTokens() external view returns (address[4] memory) {
        return tokens;
    }

    function allActors() external view returns (address[ACTORS] memory) {
        return actors;
    }

    function distributionCount() external view returns (uint256) {
        return distributionIds.length;
    }

    // ─── Internal ─────────────────────────────────────────────────────────────────────────────

    /// @dev The net asset value a contribution pays, computed from the oracle and the reserves: each held asset at
    /// the higher of its time-weighted and its spot value (rounded up).
    function _entryNav(uint256 id) internal view returns (uint256 total) {
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        total = v.holdings[0];
        for (uint256 i = 1; i < v.assets.length; ++i) {
            uint256 held = v.holdings[i];
            if (held == 0) continue;
            (, uint256 poolId) = amm.poolIdOf(v.assets[i], base);
            (uint256 twapValue,) = oracle.consult(poolId, v.assets[i], held);
            (uint112 r0, uint112 r1,) = amm.getReserves(poolId);
            (uint256 assetReserve, uint256 baseReserve) = v.assets[i] < base ? (r0, r1) : (r1, r0);
            total += Math.max(twapValue, Math.mulDiv(held, baseReserve, assetReserve, Math.Rounding.Ceil));
        }
    }

    /// @dev Remembers the actor's balance of each of the consortium's non-base assets, for {_sellReceived}.
    function _rememberBalances(uint256 id, address actor) internal {
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        for (uint256 i = 1; i < v.assets.length; ++i) {
            balanceBefore[v.assets[i]] = IERC20(v.assets[i]).balanceOf(actor);
        }
    }

    /// @dev Sells, through each asset's pool with base, whatever the actor received of it since {_rememberBalances}.
    function _sellReceived(uint256 id, address actor) internal {
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        for (uint256 i = 1; i < v.assets.length; ++i) {
            address token = v.assets[i];
            uint256 received = IERC20(token).balanceOf(actor) - balanceBefore[token];
            if (received == 0) continue;
            (, uint256 poolId) = amm.poolIdOf(token, base);
            if (amm.getAmountOut(poolId, token, received) == 0) continue;
            vm.prank(actor);
            amm.swapExactInputSingle(poolId, token, received, 0, actor, block.timestamp);
        }
    }

    /// @dev lp trades back what its move took in (base for the asset, or the asset for base), so that the spot
    /// returns near where it was.
    function _undoMove(uint256 poolId, address asset, uint256 lpBase, uint256 lpAsset) internal {
        uint256 baseNow = IERC20(base).balanceOf(lp);
        uint256 assetNow = IERC20(asset).balanceOf(lp);
        vm.startPrank(lp);
        if (assetNow > lpAsset && baseNow < lpBase) {
            try amm.swapExactInputSingle(poolId, asset, assetNow - lpAsset, 0, lp, block.timestamp) {}
                catch {}
        } else if (baseNow > lpBase && assetNow < lpAsset) {
            try amm.swapExactInputSingle(poolId, base, baseNow - lpBase, 0, lp, block.timestamp) {} catch {}
        }
        vm.stopPrank();
    }

    /// @dev An executed proposal's yes votes are all still held by their voters, and they alone carry it.
    function _checkYesVotesStillHeld(
        uint256 id,
        uint256 proposalId,
        IMultiAgentCoordinator.ProposalView memory p
    ) internal {
        address[] storage voters = yesVoters[proposalId];
        uint256 held;
        for (uint256 i; i < voters.length; ++i) {
            held += Math.min(yesWeight[proposalId][voters[i]], coordinator.sharesOf(id, voters[i]));
        }
        ++ghostExecuted;
        if (held != p.yesVotes || held <= p.noVotes) {
            ++ghostExecutedUnbacked;
            _check(false, "executed on yes votes whose shares had left");
        }
    }

    /// @dev Whether one of the actor's yes votes in this consortium is on a proposal that can still execute.
    function _mustBeLocked(uint256 id, address actor) internal view returns (bool) {
        uint256[] storage voted = yesVoted[id][actor];
        for (uint256 i; i < voted.length; ++i) {
            IMultiAgentCoordinator.ProposalState state = coordinator.getProposal(voted[i]).state;
            if (
                state == IMultiAgentCoordinator.ProposalState.Active
                    || state == IMultiAgentCoordinator.ProposalState.Grace
                    || state == IMultiAgentCoordinator.ProposalState.Ready
            ) return true;
        }
        return false;
    }

    /// @dev Whether the actor must be free: none of its yes votes pending, and past every one's expiry but the
    /// newest's (earlier ones lock until their expiry once a newer yes vote replaced them while pending).
    function _mustBeFree(uint256 id, address actor) internal view returns (bool) {
        if (_mustBeLocked(id, actor)) return false;
        uint256[] storage voted = yesVoted[id][actor];
        uint256 n = voted.length;
        if (n < 2) return true;
        uint256 expiryPeriod = coordinator.EXECUTION_PERIOD();
        for (uint256 i; i + 1 < n; ++i) {
            if (block.timestamp < coordinator.getProposal(voted[i]).graceEnd + expiryPeriod) return false;
        }
        return true;
    }

    function _ragequitAndCheck(uint256 id, address actor, uint256 shares) internal {
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        uint256 n = v.assets.length;
        uint256[] memory balances = new uint256[](n);
        uint256[] memory stuck = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            balances[i] = IERC20(v.assets[i]).balanceOf(actor);
            stuck[i] = coordinator.stuckOf(actor, v.assets[i]);
        }
        vm.prank(actor);
        uint256[] memory amounts;
        try coordinator.ragequit(id, shares) returns (uint256[] memory paid) {
            amounts = paid;
            _check(!_mustBeLocked(id, actor), "ragequit: a yes-voter left while its proposal could execute");
        } catch (bytes memory reason) {
            _expect(reason, IMultiAgentCoordinator.SharesLockedByVote.selector, "ragequit");
            _check(!_mustBeFree(id, actor), "ragequit: a member with no pending yes vote was locked");
            ++calls["ragequitLocked"];
            return;
        }

        IMultiAgentCoordinator.ConsortiumView memory after_ = coordinator.getConsortium(id);
        for (uint256 i; i < n; ++i) {
            uint256 expected = Math.mulDiv(v.holdings[i], shares, v.totalShares + VIRTUAL_SHARES);
            _check(amounts[i] == expected, "ragequit: amount off the model");
            _check(after_.holdings[i] == v.holdings[i] - expected, "ragequit: holding");
            // every rounding stays in: what is left per share of each asset does not fall
            _check(
                after_.holdings[i] * (v.totalShares + VIRTUAL_SHARES)
                    >= v.holdings[i] * (v.totalShares - shares + VIRTUAL_SHARES),
                "ragequit diluted the members"
            );
            _checkExitPaid(actor, v.assets[i], expected, balances[i], stuck[i]);
            ghostHolding[id][v.assets[i]] -= expected;
        }
        _check(after_.totalShares == v.totalShares - shares, "ragequit: supply");
    }

    /// @dev What a leaver got of a token: paid or credited as stuck, together exactly its part.
    function _checkExitPaid(address actor, address token, uint256 expected, uint256 balance, uint256 stuck)
        internal
    {
        uint256 paid = IERC20(token).balanceOf(actor) - balance;
        uint256 credited = coordinator.stuckOf(actor, token) - stuck;
        _check(paid + credited == expected, "ragequit: paid + stuck != pro rata");
        ghostStuck[token] += credited;
        if (credited != 0) ++calls["exitStuck"];
    }

    function _chargeGhostLoss(
        uint256 id,
        IMultiAgentCoordinator.Mandate memory m,
        uint256 nav,
        uint256 value,
        uint256 oracleOut,
        uint256 out
    ) internal {
        if (block.timestamp >= ghostLossStart[id] + m.lossPeriod) {
            ghostLossStart[id] = block.timestamp;
            ghostLossWad[id] = 0;
        }
        if (out < oracleOut) {
            uint256 lossValue = Math.mulDiv(value, oracleOut - out, oracleOut, Math.Rounding.Ceil);
            if (lossValue != 0) ghostLossWad[id] += Math.mulDiv(lossValue, 1e18, nav, Math.Rounding.Ceil);
        }
        _check(
            ghostLossWad[id] <= uint256(m.maxLossPerPeriodBps) * 1e14, "leader lost beyond the period budget"
        );
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        _check(v.lossPeriodStart == ghostLossStart[id], "loss period start");
        _check(v.lossUsedBps == Math.ceilDiv(ghostLossWad[id], 1e14), "loss used");
    }

    /// @dev A pool the consortium never allowed: a path through it must revert, whatever the amount.
    function _tryOutsideTheMandate(uint256 id) internal {
        uint256 outside = id == ids[0] ? pools[2] : pools[1];
        vm.prank(leader);
        try coordinator.leaderTrade(id, _one(outside), base, 1e18) {
            _check(false, "leader traded through a pool not allowed");
        } catch (bytes memory reason) {
            _check(
                keccak256(reason)
                    == keccak256(
                        abi.encodeWithSelector(IMultiAgentCoordinator.PoolNotAllowed.selector, id, outside)
                    ),
                "outside the mandate: wrong error"
            );
        }
    }

    /// @dev base → asset, asset → base, or asset → base → other asset.
    function _tradePath(uint256 id, uint256 seed)
        internal
        view
        returns (uint256[] memory path, address tokenIn)
    {
        uint256 assetPool = id == ids[0] ? pools[seed / 3 % 2] : pools[seed / 3 % 2 == 0 ? 0 : 2];
        uint256 otherPool = id == ids[0] ? pools[(seed / 3 + 1) % 2] : pools[seed / 3 % 2 == 0 ? 2 : 0];
        address asset = _otherToken(assetPool);
        uint256 kind = seed % 3;
        if (kind == 0) return (_one(assetPool), base);
        if (kind == 1) return (_one(assetPool), asset);
        path = new uint256[](2);
        (path[0], path[1]) = (assetPool, otherPool);
        return (path, asset);
    }

    function _skewSpot(uint256 poolId, uint256 skew) internal {
        if (skew % 3 == 0) return;
        _move(poolId, _bound(skew, 1e18, 200_000e18), skew % 3 == 1);
    }

    /// @dev lp buys the pool's asset with `amount` base (up), or sells the asset worth about `amount` (down). The
    /// AMM cannot pay out the refusing token while it refuses: then nothing moves.
    function _move(uint256 poolId, uint256 amount, bool up) internal {
        address asset = _otherToken(poolId);
        (address tokenIn, uint256 amountIn) =
            up ? (base, amount) : (asset, amm.getAmountOut(poolId, base, amount));
        if (amountIn == 0) return;
        vm.prank(lp);
        try amm.swapExactInputSingle(poolId, tokenIn, amountIn, 0, lp, block.timestamp) {}
        catch {
            _check(up && asset == address(rev) && _revRefuses(), "price move failed");
        }
    }

    function _advance(uint256 secondsLater) internal {
        uint256[] memory all = new uint256[](3);
        (all[0], all[1], all[2]) = (pools[0], pools[1], pools[2]);
        while (secondsLater != 0) {
            uint256 step = secondsLater < period ? secondsLater : period;
            secondsLater -= step;
            vm.warp(block.timestamp + step);
            vm.roll(block.number + 1);
            oracle.recordMany(all);
        }
    }

    function _otherToken(uint256 poolId) internal view returns (address) {
        IAIServiceAMM.PoolView memory p = amm.getPool(poolId);
        return p.token0 == base ? p.token1 : p.token0;
    }

    /// @dev What `amount` of a token is worth in base at the oracle, through the pool pairing it with base.
    function _valueOf(address token, uint256 amount) internal view returns (uint256 value) {
        if (token == base) return amount;
        for (uint256 i; i < 3; ++i) {
            if (tokens[i + 1] == token) (value,) = oracle.consult(pools[i], token, amount);
        }
    }

    function _revRefuses() internal view returns (bool) {
        RevertingToken.Mode mode = rev.mode();
        return mode == RevertingToken.Mode.Revert || mode == RevertingToken.Mode.ReturnFalse;
    }

    function _holdingOf(uint256 id, address token) internal view returns (uint256) {
        IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(id);
        for (uint256 i; i < v.assets.length; ++i) {
            if (v.assets[i] == token) return v.holdings[i];
        }
        return 0;
    }

    function _supply(uint256 id) internal view returns (uint256) {
        return coordinator.getConsortium(id).totalShares;
    }

    function _price(uint256 nav, uint256 supply) internal pure returns (uint256) {
        return Math.mulDiv(nav + 1, 1e36, supply + VIRTUAL_SHARES);
    }

    /// @dev The first actor from the seed on holding shares now (zero address if none).
    function _holder(uint256 id, uint256 seed) internal view returns (address) {
        for (uint256 k; k < ACTORS; ++k) {
            address a = actors[(seed % ACTORS + k) % ACTORS];
            if (coordinator.sharesOf(id, a) != 0) return a;
        }
        return address(0);
    }

    /// @dev The first actor from the seed on holding shares at the previous block.
    function _snapshotHolder(uint256 id, uint256 seed) internal view returns (address) {
        for (uint256 k; k < ACTORS; ++k) {
            address a = actors[(seed % ACTORS + k) % ACTORS];
            if (coordinator.sharesAt(id, a, block.number - 1) != 0) return a;
        }
        return address(0);
    }

    function _one(uint256 poolId) internal pure returns (uint256[] memory p) {
        p = new uint256[](1);
        p[0] = poolId;
    }

    /// @dev A `PoolTradedThisBlock(poolId, timestamp)` revert is true: it names this timestamp, and the pool's
    /// reserves were last updated at it.
    function _checkTradedThisBlock(bytes memory reason) internal {
        uint256 poolId;
        uint256 at;
        assembly ("memory-safe") {
            poolId := mload(add(reason, 36))
            at := mload(add(reason, 68))
        }
        (,, uint32 updatedAt) = amm.getReserves(poolId);
        _check(
            reason.length == 68 && at == block.timestamp && updatedAt == uint32(block.timestamp),
            "contribute: PoolTradedThisBlock without a trade at this timestamp"
        );
        ++calls["contributeAfterTrade"];
    }

    function _expect(bytes memory reason, bytes4 a, string memory what) internal {
        if (bytes4(reason) != a) _fail(what, reason);
    }

    function _expect(bytes memory reason, bytes4 a, bytes4 b, string memory what) internal {
        bytes4 s = bytes4(reason);
        if (s != a && s != b) _fail(what, reason);
    }

    function _expect(bytes memory reason, bytes4 a, bytes4 b, bytes4 c, string memory what) internal {
        bytes4 s = bytes4(reason);
        if (s != a && s != b && s != c) _fail(what, reason);
    }

    function _fail(string memory what, bytes memory reason) internal {
        _check(false, string.concat(what, ": unexpected revert ", vm.toString(reason)));
    }

    function _check(bool ok, string memory what) internal {
        if (!ok && !broken) {
            broken = true;
            firstFailure = what;
        }
    }
}
