// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {OracleTestBase} from "../oracle/OracleTestBase.sol";

/// @notice One test per oracle operation, for `.gas-snapshot`: each makes exactly one call to the oracle, as its own
/// transaction (isolation mode, so storage is cold as on chain), after a setUp in which keepers have recorded both
/// pools every period for two windows with trades in between (a full ring buffer, prices and volatility defined), and
/// pool12 has been recorded in the current period already.
/// `-vv` prints the transaction's own total (`vm.lastCallGas`, 21,000 and calldata included, refunds applied).
contract ComputePriceOracleGasTest is OracleTestBase {
    uint256 internal freshPool;

    function setUp() public override {
        super.setUp();
        freshPool = _createPool(token0, token2);
        _add(alice, freshPool, 1_000e18, 1_000e18);
        _warmUp(_path(pool01, pool12));
        for (uint256 i; i < SLOTS; ++i) {
            _trade(pool01, i % 2 == 0, 50);
            _trade(pool12, i % 2 == 1, 50);
            _keep(_path(pool01, pool12), 1);
        }
        _trade(pool01, true, 30);
        _nextPeriod(); // pool01 due, its oldest slot a cycle old
        oracle.record(pool12); // pool12 already recorded in this period
    }

    function _report(string memory name) internal view {
        console.log(name, vm.lastCallGas().gasTotalUsed);
    }

    /// forge-config: default.isolate = true
    function test_gas_record_first() public {
        oracle.record(freshPool);
        _report("record (pool's first observation)");
    }

    /// forge-config: default.isolate = true
    function test_gas_record_steadyState() public {
        oracle.record(pool01);
        _report("record (full ring: overwrites the oldest slot, variance and band updated)");
    }

    /// forge-config: default.isolate = true
    function test_gas_record_notDue() public {
        oracle.record(pool12);
        _report("record (already recorded this period: no-op)");
    }

    /// forge-config: default.isolate = true
    function test_gas_recordMany_twoPools() public {
        _nextPeriod(); // both due
        oracle.recordMany(_path(pool01, pool12));
        _report("recordMany (two pools, steady state)");
    }

    /// forge-config: default.isolate = true
    function test_gas_recordDue() public {
        oracle.recordDue(pool01);
        _report("recordDue");
    }

    /// forge-config: default.isolate = true
    function test_gas_twapX112() public {
        oracle.twapX112(pool01);
        _report("twapX112");
    }

    /// forge-config: default.isolate = true
    function test_gas_consult() public {
        oracle.consult(pool01, address(token1), 1e18);
        _report("consult (token1 -> token0)");
    }

    /// forge-config: default.isolate = true
    function test_gas_consultPath_twoHops() public {
        oracle.consultPath(_path(pool01, pool12), address(token0), 1e18);
        _report("consultPath (two hops)");
    }

    /// forge-config: default.isolate = true
    function test_gas_volatility() public {
        oracle.volatility(pool01);
        _report("volatility");
    }

    /// forge-config: default.isolate = true
    function test_gas_finalizeSettlement_recordsAndSettles() public {
        oracle.finalizeSettlement(pool01, block.timestamp); // expiry now: records pool01's closing observation
        _report("finalizeSettlement (on time, records the closing observation)");
    }

    /// forge-config: default.isolate = true
    function test_gas_finalizeSettlement_alreadyRecorded() public {
        oracle.finalizeSettlement(pool12, block.timestamp); // a keeper recorded at expiry already
        _report("finalizeSettlement (on time, keeper recorded at expiry)");
    }

    /// forge-config: default.isolate = true
    function test_gas_finalizeSettlement_alreadyFinal() public {
        uint256 expiry = block.timestamp;
        oracle.finalizeSettlement(pool12, expiry);
        oracle.finalizeSettlement(pool12, expiry);
        _report("finalizeSettlement (already final: returns the fixed price)");
    }

    /// forge-config: default.isolate = true
    function test_gas_settlementPrice() public {
        uint256 expiry = block.timestamp;
        oracle.finalizeSettlement(pool12, expiry);
        oracle.settlementPrice(pool12, expiry);
        _report("settlementPrice");
    }
}
