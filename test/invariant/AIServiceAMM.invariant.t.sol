// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test, console} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {AIServiceAMMHandler} from "./AIServiceAMMHandler.sol";

/// @notice Invariants of the AMM under random sequences of deposits, withdrawals, single and multi-hop swaps,
/// donations, keeper fee moves, governance changes (fee bounds, protocol fee share) and pauses, by several
/// providers and traders, with time moving between calls. Runs × depth come from foundry.toml ([invariant]).
contract AIServiceAMMInvariantTest is StdInvariant, Test {
    uint256 internal constant MINIMUM_LIQUIDITY = 1_000;

    AIServiceAMM internal amm;
    AIServiceAMMHandler internal handler;
    MockERC20[3] internal tokens;
    address internal treasury = makeAddr("treasury");

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(1);
        address guardian = makeAddr("guardian");
        address keeper = makeAddr("keeper");
        AccessManager manager = new AccessManager(address(this));
        amm = new AIServiceAMM(
            address(manager),
            treasury,
            3_000,
            IAIServiceAMM.FeeBounds({minFee: 500, maxFee: 10_000, maxStep: 1_000, minInterval: 3_600})
        );
        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = AIServiceAMM.pause.selector;
        pausing[1] = AIServiceAMM.unpause.selector;
        manager.setTargetFunctionRole(address(amm), pausing, Roles.GUARDIAN);
        bytes4[] memory feeSetter = new bytes4[](1);
        feeSetter[0] = AIServiceAMM.setFee.selector;
        manager.setTargetFunctionRole(address(amm), feeSetter, Roles.FEE_KEEPER);
        manager.grantRole(Roles.GUARDIAN, guardian, 0);
        manager.grantRole(Roles.FEE_KEEPER, keeper, 0);
        amm.setProtocolFeeShare(1_666); // on, as deployed

        for (uint256 i; i < 3; ++i) {
            tokens[i] = new MockERC20("T", "T");
        }
        // token order does not matter to the handler: it reads each pool's token0/token1
        uint256[3] memory poolIds = [
            amm.createPool(address(tokens[0]), address(tokens[1])),
            amm.createPool(address(tokens[1]), address(tokens[2])),
            amm.createPool(address(tokens[0]), address(tokens[2]))
        ];
        handler = new AIServiceAMMHandler(amm, tokens, poolIds, address(this), guardian, keeper, treasury);

        // Seed every pool through the handler, so that its ghosts know the first deposits.
        handler.addLiquidity(0, 0, 1_000e18, 2_000e18, 0);
        handler.addLiquidity(1, 1, 500e18, 500e18, 0);
        handler.addLiquidity(2, 2, 2_000e18, 700e18, 0);

        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = handler.addLiquidity.selector;
        selectors[1] = handler.removeLiquidity.selector;
        selectors[2] = handler.treasuryRemove.selector;
        selectors[3] = handler.swapExactInputSingle.selector;
        selectors[4] = handler.swapExactOutputSingle.selector;
        selectors[5] = handler.swapMultiHop.selector;
        selectors[6] = handler.donate.selector;
        selectors[7] = handler.setFee.selector;
        selectors[8] = handler.setFeeBounds.selector;
        selectors[9] = handler.setProtocolFeeShare.selector;
        selectors[10] = handler.togglePause.selector;
        selectors[11] = handler.warp.selector;
        selectors[12] = handler.swapExactInputSingle.selector; // swaps twice as likely
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice (a) No swap ever lowers reserve0 · reserve1 of any pool it touches.
    function invariant_kNeverDecreasesAcrossSwaps() public view {
        assertFalse(handler.kDecreased(), handler.firstFailure());
    }

    /// @notice (b) The AMM holds exactly the pools' reserves plus whatever was donated to it: never less.
    function invariant_balancesCoverReserves() public view {
        uint256[3] memory reserves;
        for (uint256 p; p < 3; ++p) {
            IAIServiceAMM.PoolView memory pool = amm.getPool(handler.poolIdAt(p));
            reserves[_index(pool.token0)] += pool.reserve0;
            reserves[_index(pool.token1)] += pool.reserve1;
        }
        for (uint256 i; i < 3; ++i) {
            uint256 balance = tokens[i].balanceOf(address(amm));
            assertGe(balance, reserves[i], "balance below reserves");
            assertEq(
                balance, reserves[i] + handler.donated(address(tokens[i])), "balance != reserves + donations"
            );
        }
    }

    /// @notice (b) Every share is accounted for: treasury + providers + traders + the locked minimum = total.
    function invariant_lpSharesAddUpToTotalLiquidity() public view {
        for (uint256 p; p < 3; ++p) {
            uint256 id = handler.poolIdAt(p);
            uint256 sum = amm.balanceOf(treasury, id);
            for (uint256 i; i < handler.lpCount(); ++i) {
                sum += amm.balanceOf(handler.lpAt(i), id) + amm.balanceOf(handler.traderAt(i), id);
            }
            uint256 total = amm.getPool(id).totalLiquidity;
            assertEq(sum + (total == 0 ? 0 : MINIMUM_LIQUIDITY), total, "shares do not add up");
        }
    }

    /// @notice (c) Nobody takes out more than they put in plus their share of fees: deposits are never over-issued
    /// shares, withdrawals never pay more than pro rata, √k per share never falls (so fees are the only growth and
    /// nothing leaks from remaining providers), the treasury never gets more than its share of the growth, and each
    /// provider's withdrawals stay within what its deposits are worth now.
    function invariant_noWithdrawalBeyondDepositsPlusFees() public view {
        assertFalse(handler.lpOverpaid(), handler.firstFailure());
        assertFalse(handler.lpEntitlementExceeded(), handler.firstFailure());
        assertFalse(handler.shareValueDecreased(), handler.firstFailure());
        assertFalse(handler.treasuryOverpaid(), handler.firstFailure());
    }

    /// @notice (d) Every pool's fee lies within its bounds, and the bounds within the cap.
    function invariant_feeWithinBounds() public view {
        for (uint256 p; p < 3; ++p) {
            IAIServiceAMM.PoolView memory pool = amm.getPool(handler.poolIdAt(p));
            assertGe(pool.fee, pool.feeBounds.minFee, "fee below min");
            assertLe(pool.fee, pool.feeBounds.maxFee, "fee above max");
            assertLe(pool.feeBounds.maxFee, amm.MAX_FEE(), "max above cap");
        }
    }

    /// @notice (e) Cumulative-price timestamps (and the cumulative prices themselves) never go backwards.
    function invariant_oracleMonotone() public view {
        assertFalse(handler.oracleWentBackwards(), handler.firstFailure());
        for (uint256 p; p < 3; ++p) {
            IAIServiceAMM.PoolView memory pool = amm.getPool(handler.poolIdAt(p));
            assertLe(pool.blockTimestampLast, block.timestamp, "timestamp in the future");
        }
    }

    /// @notice Pausing halts deposits and swaps and never traps withdrawals.
    function invariant_pauseHaltsTradingButNotWithdrawals() public view {
        assertFalse(handler.pauseMisbehaved(), handler.firstFailure());
    }

    /// @notice The run did something: the invariants above were checked against real state changes (the three
    /// seeding deposits in setUp count as successful calls too, hence more than three).
    function afterInvariant() public view {
        handler.callSummary();
        assertGt(handler.successfulCalls(), 3, "no successful call in this run");
    }

    function _index(address token) internal view returns (uint256) {
        for (uint256 i; i < 3; ++i) {
            if (address(tokens[i]) == token) return i;
        }
        revert("unknown token");
    }
}
