// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/Test.sol";

import {MultiAgentCoordinator} from "../../src/coordination/MultiAgentCoordinator.sol";
import {IMultiAgentCoordinator} from "../../src/interfaces/IMultiAgentCoordinator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {CoordinatorTestBase} from "../coordination/CoordinatorTestBase.sol";

/// @notice Gas of each coordinator operation. setUp builds the state, so the measured call finds every slot and
/// account cold, as a transaction would; each test then makes the one call, gas metering paused around it. Its
/// figure in `forge snapshot`, like the one logged (`-vv`), is what the call cost its caller: the coordinator's execution plus the CALL and its cold access to the
/// coordinator (2 600), without a transaction's 21 000 and calldata. The `test_gas_tx_*` tests run isolated (a
/// transaction of their own): their logged figure is the whole transaction's, 21 000 and calldata included.
/// State: consortium `plain` (assets base, gpu, llm) funded by alice and bob and holding only base; `mixed` (same
/// assets) holding all three; `wide` holding ten assets, whose member bob already holds every one of the tokens and
/// `fresh` (given half of bob's shares) none; `profitable` (base and gpu, gpu up ~10 %) to distribute from; a
/// distribution of `cid` (base and gpu) for its members to claim; proposals of `cid` to vote on and to execute.
contract MultiAgentCoordinatorGasTest is CoordinatorTestBase {
    uint256 internal plain;
    uint256 internal mixed;
    uint256 internal wide;
    uint256 internal distributionId;
    uint256 internal activeProposal;
    uint256 internal readySetLeader;
    uint256 internal readyTrade;
    uint256 internal profitable;
    uint256 internal bobWideShares;
    uint256 internal freshWideShares;
    address internal fresh = makeAddr("fresh");

    function setUp() public override {
        super.setUp();
        _fundConsortium();

        // a consortium holding only base (its pools allowed, nothing bought)
        plain = _create(_members(), _pools(gpuPool, llmPool));
        _contribute(alice, plain, 10_000e18);
        _contribute(bob, plain, 20_000e18);

        // a consortium holding all three assets
        mixed = _create(_members(), _pools(gpuPool, llmPool));
        _contribute(alice, mixed, 10_000e18);
        _contribute(bob, mixed, 50_000e18);
        _leaderTrade(mixed, gpuPool, address(base), 10_000e18);
        _leaderTrade(mixed, llmPool, address(base), 10_000e18);

        // ten assets, all held; bob already holds every token, `fresh` (who gets bob's shares) none
        uint256[] memory pools = new uint256[](9);
        (pools[0], pools[1]) = (gpuPool, llmPool);
        for (uint256 i = 2; i < 9; ++i) {
            MockERC20 token = new MockERC20("X", "X");
            pools[i] = _listAsset(token, POOL_BASE_RESERVE);
            _fund(bob, token);
        }
        IMultiAgentCoordinator.Mandate memory m = _mandate();
        m.maxLossPerPeriodBps = 10_000;
        wide = coordinator.createConsortium(_members(), leader, address(base), _governance(), m, pools);
        _contribute(bob, wide, 100_000e18);
        _contribute(carol, wide, 100_000e18);

        // a profitable consortium to distribute from, and a distribution of `cid` to claim
        profitable = _create(_members(), _pools(gpuPool, llmPool));
        _contribute(alice, profitable, 10_000e18);
        _contribute(bob, profitable, 20_000e18);
        _leaderTrade(profitable, gpuPool, address(base), 6_000e18);
        _leaderTrade(cid, gpuPool, address(base), 10_000e18);
        _advance(WINDOW + PERIOD); // the oracle now knows the new pool
        for (uint256 i = 2; i < 9; ++i) {
            _leaderTrade(wide, pools[i], address(base), 5_000e18);
        }
        _leaderTrade(wide, gpuPool, address(base), 5_000e18);
        _leaderTrade(wide, llmPool, address(base), 5_000e18);
        freshWideShares = coordinator.sharesOf(wide, bob) / 2;
        bobWideShares = coordinator.sharesOf(wide, bob) - freshWideShares;
        vm.prank(bob);
        coordinator.transferShares(wide, fresh, freshWideShares);
        _pumpAsset(gpuPool, 500_000e18);
        distributionId = coordinator.distributeProfits(cid);

        // proposals: one to vote on, one ready to run of each kind
        readySetLeader = _propose(alice, cid, IMultiAgentCoordinator.ProposalKind.SetLeader, abi.encode(dave));
        readyTrade = _propose(
            alice,
            cid,
            IMultiAgentCoordinator.ProposalKind.Trade,
            _tradeData(llmPool, address(base), 20_000e18, 1)
        );
        _vote(bob, readySetLeader, true);
        _vote(carol, readySetLeader, true);
        _vote(bob, readyTrade, true);
        _vote(carol, readyTrade, true);
        _advance(VOTING_PERIOD + GRACE_PERIOD);
        activeProposal = _propose(alice, cid, IMultiAgentCoordinator.ProposalKind.SetLeader, abi.encode(dave));
        _nextBlock();
    }

    /// @dev Logs a measured call's gas, metering paused: the test's figure stops at the call.
    function _log(string memory name, uint256 gasUsed) internal {
        vm.pauseGasMetering();
        console.log(name, gasUsed);
    }

    function _logTx(string memory name) internal {
        vm.pauseGasMetering();
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    // ─── contribute ───────────────────────────────────────────────────────────────────────────

    function test_gas_contribute_baseOnly() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, plain);
        vm.prank(alice);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.contribute(id, 1_000e18);
        _log("contribute (holding 1 asset: base; returning member)", g - gasleft());
    }

    function test_gas_contribute_threeAssets() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, mixed);
        vm.prank(alice);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.contribute(id, 1_000e18);
        _log("contribute (holding 3 assets: 2 oracle prices; returning member)", g - gasleft());
    }

    function test_gas_contribute_firstOfTheMember() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, mixed);
        vm.prank(carol);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.contribute(id, 1_000e18);
        _log("contribute (holding 3 assets; member's first contribution)", g - gasleft());
    }

    /// forge-config: default.isolate = true
    function test_gas_tx_contribute_baseOnly() public {
        vm.prank(alice);
        coordinator.contribute(plain, 1_000e18);
        _logTx("tx contribute (holding 1 asset: base; returning member)");
    }

    // ─── shares ───────────────────────────────────────────────────────────────────────────────

    function test_gas_transferShares() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, cid);
        vm.prank(alice);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.transferShares(id, bob, 1e18);
        _log("transferShares (recipient already holds)", g - gasleft());
    }

    // ─── ragequit ─────────────────────────────────────────────────────────────────────────────

    function test_gas_ragequit_threeAssets() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, mixed);
        vm.prank(bob);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.ragequit(id, 1e24);
        _log("ragequit (3 assets, member holds each token)", g - gasleft());
    }

    function test_gas_ragequit_tenAssets() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id, uint256 shares) = (coordinator, wide, bobWideShares);
        vm.prank(bob);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.ragequit(id, shares);
        _log("ragequit (10 assets, member holds each token)", g - gasleft());
    }

    function test_gas_ragequit_tenAssetsFreshRecipient() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id, uint256 shares) = (coordinator, wide, freshWideShares);
        vm.prank(fresh);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.ragequit(id, shares);
        _log("ragequit (10 assets, member holds none of the tokens)", g - gasleft());
    }

    /// forge-config: default.isolate = true
    function test_gas_tx_ragequit_tenAssets() public {
        vm.prank(bob);
        coordinator.ragequit(wide, bobWideShares);
        _logTx("tx ragequit (10 assets, member holds each token)");
    }

    // ─── trading ──────────────────────────────────────────────────────────────────────────────

    function test_gas_leaderTrade() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id, address tokenIn) = (coordinator, mixed, address(base));
        uint256[] memory path = _path(gpuPool);
        vm.prank(leader);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.leaderTrade(id, path, tokenIn, 1_000e18);
        _log("leaderTrade (3 assets held, one hop)", g - gasleft());
    }

    // ─── proposals ────────────────────────────────────────────────────────────────────────────

    function test_gas_propose_setLeader() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, cid);
        bytes memory data = abi.encode(dave);
        vm.prank(bob);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.propose(id, IMultiAgentCoordinator.ProposalKind.SetLeader, data);
        _log("propose (SetLeader)", g - gasleft());
    }

    function test_gas_propose_trade() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, cid);
        bytes memory data = _tradeData(gpuPool, address(base), 1_000e18, 1);
        vm.prank(bob);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.propose(id, IMultiAgentCoordinator.ProposalKind.Trade, data);
        _log("propose (Trade)", g - gasleft());
    }

    function test_gas_vote() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, activeProposal);
        vm.prank(bob);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.vote(id, true);
        _log("vote", g - gasleft());
    }

    function test_gas_execute_setLeader() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, readySetLeader);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.execute(id);
        _log("execute (SetLeader)", g - gasleft());
    }

    function test_gas_execute_trade() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, readyTrade);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.execute(id);
        _log("execute (Trade, 2 assets held)", g - gasleft());
    }

    // ─── profits ──────────────────────────────────────────────────────────────────────────────

    function test_gas_distributeProfits() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, profitable);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.distributeProfits(id);
        _log("distributeProfits (2 assets held)", g - gasleft());
    }

    function test_gas_claim() public {
        vm.pauseGasMetering();
        (MultiAgentCoordinator c, uint256 id) = (coordinator, distributionId);
        vm.prank(carol);
        vm.resumeGasMetering();
        uint256 g = gasleft();
        c.claim(id);
        _log("claim (first claim of the account)", g - gasleft());
    }

    /// forge-config: default.isolate = true
    function test_gas_tx_claim() public {
        vm.prank(carol);
        coordinator.claim(distributionId);
        _logTx("tx claim (first claim of the account)");
    }
}
