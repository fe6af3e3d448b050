// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {RevertingToken} from "../mocks/RevertingToken.sol";
import {CoordinatorTestBase} from "../coordination/CoordinatorTestBase.sol";
import {MultiAgentCoordinatorHandler} from "./MultiAgentCoordinatorHandler.sol";

/// @notice Invariants of the coordinator under random sequences of contributions, share transfers, ragequits
/// (partial, full, above the balance, while paused), leader trades (single and two hops, sandwiched either way,
/// and attempts outside the mandate), Trade proposals beyond the mandate voted and executed, profit distributions
/// and claims, a token that starts and stops refusing transfers, stuck withdrawals, price moves and time, and
/// contribute→ragequit round trips after a spot move the oracle has not followed (their assets sold at once). Runs ×
/// depth come from foundry.toml ([invariant]: 256 × 50).
contract MultiAgentCoordinatorInvariantTest is StdInvariant, CoordinatorTestBase {
    MultiAgentCoordinatorHandler internal handler;
    RevertingToken internal rev;
    uint256 internal revPool;
    uint256 internal revId;

    function setUp() public override {
        super.setUp();
        rev = new RevertingToken();
        revPool = _listAsset(MockERC20(address(rev)), POOL_BASE_RESERVE);
        _advance(WINDOW + PERIOD);
        revId = _create(_members(), _pools(gpuPool, revPool));

        handler = new MultiAgentCoordinatorHandler(
            MultiAgentCoordinatorHandler.Setup({
                coordinator: coordinator,
                amm: amm,
                oracle: oracle,
                rev: rev,
                base: address(base),
                gpu: address(gpu),
                llm: address(llm),
                gpuPool: gpuPool,
                llmPool: llmPool,
                revPool: revPool,
                plainId: cid,
                revId: revId,
                leader: leader,
                guardian: guardian,
                lp: lp,
                period: PERIOD,
                window: WINDOW,
                actors: [alice, bob, carol, dave]
            })
        );
        // everyone starts in both consortia, through the handler so that its ghosts know it
        for (uint256 i; i < 3; ++i) {
            handler.contribute(i, 0, 10_000e18 * (i + 1));
            handler.contribute(i, 1, 5_000e18 * (i + 1));
        }

        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = handler.contribute.selector;
        selectors[1] = handler.transferShares.selector;
        selectors[2] = handler.ragequit.selector;
        selectors[3] = handler.ragequitTooMuch.selector;
        selectors[4] = handler.withdrawStuck.selector;
        selectors[5] = handler.leaderTrade.selector;
        selectors[6] = handler.leaderTrade.selector; // trades twice as often as the rest
        selectors[7] = handler.proposeTrade.selector;
        selectors[8] = handler.execute.selector;
        selectors[9] = handler.distributeProfits.selector;
        selectors[10] = handler.claim.selector;
        selectors[11] = handler.movePrice.selector;
        selectors[12] = handler.setRevMode.selector;
        selectors[13] = handler.pausedExit.selector;
        selectors[14] = handler.warp.selector;
        selectors[15] = handler.roundTrip.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice Every property below, after every call of one campaign (one invariant function: forge runs each
    /// as its own campaign).
    function invariant_coordinator() public view {
        assertFalse(handler.broken(), handler.firstFailure());
        _checkBooksCoverBalances();
        _checkHoldingsFollowTheModel();
        _checkSharesAddUpAndCoverTheAssets();
        _checkLeaderWithinTheMandate();
        _checkClaimsWithinDistributions();
        _checkRoundTripsNeverProfit();
        _checkExecutionsCarriedByHeldShares();
    }

    /// @dev Issue 12 item 2: no contribute→ragequit round trip returned more base than it put in, the assets it took
    /// out sold through the AMM at once (spot, after its own sale), whatever the spot did against the oracle.
    function _checkRoundTripsNeverProfit() internal view {
        assertEq(handler.ghostProfitableRoundTrips(), 0, "a round trip profited at spot");
    }

    /// @dev Issue 12 item 3: every executed proposal passed on yes votes whose shares their voters still held at
    /// execution (their sum is its yes count, above its no count).
    function _checkExecutionsCarriedByHeldShares() internal view {
        assertEq(handler.ghostExecutedUnbacked(), 0, "a proposal executed on shares that had left");
    }

    /// @dev The coordinator's balance of each token is at least — and, nothing being donated here, exactly — the
    /// consortia's holdings plus what distributions still owe plus what failed exits left stuck.
    function _checkBooksCoverBalances() internal view {
        address[4] memory tokens = handler.allTokens();
        uint256[2] memory ids = handler.consortiumIds();
        address[4] memory actors = handler.allActors();
        for (uint256 t; t < 4; ++t) {
            uint256 books;
            for (uint256 c; c < 2; ++c) {
                books += _holding(ids[c], tokens[t]);
            }
            for (uint256 d = 1; d <= coordinator.distributionCount(); ++d) {
                IMultiAgentCoordinator.DistributionView memory dist = coordinator.getDistribution(d);
                if (dist.token == tokens[t]) books += dist.amount - dist.claimed;
            }
            uint256 stuck;
            for (uint256 a; a < 4; ++a) {
                stuck += coordinator.stuckOf(actors[a], tokens[t]);
            }
            assertEq(stuck, handler.ghostStuck(tokens[t]), "stuck credits");
            uint256 balance = IERC20(tokens[t]).balanceOf(address(coordinator));
            assertGe(balance, books + stuck, "books exceed the balance");
            assertEq(balance, books + stuck, "books != balance");
            assertEq(IERC20(tokens[t]).allowance(address(coordinator), address(amm)), 0, "stray allowance");
        }
    }

    /// @dev Each holding is what the actions moved: contributions in, ragequits (paid or stuck) and distributions
    /// out, trades' inputs out and outputs in.
    function _checkHoldingsFollowTheModel() internal view {
        uint256[2] memory ids = handler.consortiumIds();
        for (uint256 c; c < 2; ++c) {
            IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(ids[c]);
            for (uint256 i; i < v.assets.length; ++i) {
                assertEq(v.holdings[i], handler.ghostHolding(ids[c], v.assets[i]), "holding != model");
            }
        }
    }

    /// @dev Shares add up to the supply, and what they can take out never exceeds what is held: Σ over holders of
    /// ⌊shares·holding/(supply + 10^6)⌋ ≤ holding for every asset, and supply·NAV/(supply + 10^6) ≤ NAV (rounding
    /// and the virtual shares' part stay in the vault).
    function _checkSharesAddUpAndCoverTheAssets() internal view {
        uint256[2] memory ids = handler.consortiumIds();
        address[4] memory actors = handler.allActors();
        for (uint256 c; c < 2; ++c) {
            IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(ids[c]);
            uint256 sum;
            for (uint256 a; a < 4; ++a) {
                sum += coordinator.sharesOf(ids[c], actors[a]);
            }
            assertEq(sum, v.totalShares, "shares != supply");
            for (uint256 i; i < v.assets.length; ++i) {
                uint256 claims;
                for (uint256 a; a < 4; ++a) {
                    claims += Math.mulDiv(
                        coordinator.sharesOf(ids[c], actors[a]), v.holdings[i], v.totalShares + VIRTUAL_SHARES
                    );
                }
                assertLe(claims, v.holdings[i], "exits would exceed the holding");
            }
            // the oracle may fail closed (a price moved beyond its band): then there is no value to compare
            try coordinator.netAssetValue(ids[c]) returns (uint256 nav, uint256[] memory) {
                assertLe(
                    Math.mulDiv(v.totalShares, nav, v.totalShares + VIRTUAL_SHARES),
                    nav,
                    "shares x NAV > assets"
                );
            } catch {}
        }
    }

    /// @dev The leader's losses against the oracle in the current period, as the handler recomputed them from each
    /// trade, are within the budget, and the contract books the same.
    function _checkLeaderWithinTheMandate() internal view {
        uint256[2] memory ids = handler.consortiumIds();
        for (uint256 c; c < 2; ++c) {
            IMultiAgentCoordinator.ConsortiumView memory v = coordinator.getConsortium(ids[c]);
            uint256 ghost = handler.ghostLossWad(ids[c]);
            assertLe(ghost, uint256(v.mandate.maxLossPerPeriodBps) * 1e14, "period loss beyond the mandate");
            assertEq(v.lossUsedBps, Math.ceilDiv(ghost, 1e14), "loss used != recomputed");
            assertEq(v.lossPeriodStart, handler.ghostLossStart(ids[c]), "loss period start");
            assertGe(v.highWaterMark, 1e18 / VIRTUAL_SHARES, "mark below its start");
        }
    }

    /// @dev What was claimed from each distribution is what the handler saw paid, and never more than it holds.
    function _checkClaimsWithinDistributions() internal view {
        for (uint256 d = 1; d <= coordinator.distributionCount(); ++d) {
            IMultiAgentCoordinator.DistributionView memory dist = coordinator.getDistribution(d);
            assertEq(dist.claimed, handler.ghostClaimed(d), "claimed != paid");
            assertLe(dist.claimed, dist.amount, "claims exceed the distribution");
        }
    }

    /// @notice Not an invariant: which actions ran (forge test -vv prints it when an invariant fails).
    function afterInvariant() external view {
        handler.calls("contribute");
    }
}
