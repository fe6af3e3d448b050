// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {Deploy} from "../../script/Deploy.s.sol";
import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {AITBC} from "../../src/tokens/AITBC.sol";
import {Roles} from "../../src/libraries/Roles.sol";

/// @notice Runs the real deploy script (`run()`, broadcasting as PRIVATE_KEY) and checks who can do what.
contract DeployTest is Test {
    uint256 internal constant DEPLOYER_KEY = 0xA11CE;
    address internal deployer = vm.addr(DEPLOYER_KEY);
    address internal admin = makeAddr("timelock");
    address internal guardian = makeAddr("guardian");
    address internal feeKeeper = makeAddr("feeKeeper");
    uint256 internal constant CHAIN_ID = 4_242_424;

    Deploy internal script;

    function setUp() public {
        // A chain id of its own, so the deployments file this writes touches nobody else's.
        vm.chainId(CHAIN_ID);
        vm.deal(deployer, 100 ether);
        vm.setEnv("PRIVATE_KEY", vm.toString(DEPLOYER_KEY));
        script = new Deploy();
    }

    function _has(AccessManager manager, uint64 role, address account) internal view returns (bool isMember) {
        (isMember,) = manager.hasRole(role, account);
    }

    /// @dev One test on purpose: vm.setEnv changes the whole process's environment and forge runs tests in
    /// parallel, so every step that reads ADMIN/GUARDIAN/FEE_KEEPER lives here, in order.
    function test_run_handsEveryRoleOverWhenAdminIsNotTheDeployer() public {
        vm.setEnv("ADMIN", vm.toString(admin));
        vm.setEnv("GUARDIAN", vm.toString(address(0)));
        vm.setEnv("FEE_KEEPER", vm.toString(feeKeeper));
        vm.expectRevert(abi.encodeWithSelector(Deploy.RoleHolderRequired.selector, "GUARDIAN"));
        script.roleHolders(deployer);

        vm.setEnv("GUARDIAN", vm.toString(guardian));
        vm.setEnv("FEE_KEEPER", vm.toString(address(0)));
        vm.expectRevert(abi.encodeWithSelector(Deploy.RoleHolderRequired.selector, "FEE_KEEPER"));
        script.roleHolders(deployer);

        vm.setEnv("FEE_KEEPER", vm.toString(feeKeeper));
        Deploy.Deployment memory d = script.run();
        AccessManager manager = d.accessManager;

        assertTrue(_has(manager, Roles.ADMIN, admin), "admin");
        assertTrue(_has(manager, Roles.GUARDIAN, guardian), "guardian");
        assertTrue(_has(manager, Roles.FEE_KEEPER, feeKeeper), "fee keeper");
        assertTrue(_has(manager, Roles.MINTER, admin), "minter defaults to the admin");
        for (uint64 role; role <= Roles.MINTER; ++role) {
            assertFalse(_has(manager, role, deployer), "the deployer keeps no role");
        }
        assertEq(d.amm.treasury(), admin, "treasury defaults to the admin");

        // Each setter is reachable by its role only.
        assertEq(
            manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.setFee.selector), Roles.FEE_KEEPER
        );
        assertEq(manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.pause.selector), Roles.GUARDIAN);
        assertEq(manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.unpause.selector), Roles.GUARDIAN);
        assertEq(manager.getTargetFunctionRole(address(d.aitbc), AITBC.mint.selector), Roles.MINTER);
        assertEq(manager.getTargetFunctionRole(address(d.gpuHours), AITBC.mint.selector), Roles.MINTER);
        assertEq(
            manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.setProtocolFeeShare.selector),
            Roles.ADMIN
        );

        vm.prank(deployer);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        d.aitbc.mint(deployer, 1);
        vm.prank(deployer);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        d.amm.pause();
        vm.prank(guardian);
        d.amm.pause();
        assertTrue(d.amm.paused());

        // The deployments file names every contract.
        string memory file = string.concat("deployments/", vm.toString(CHAIN_ID), ".json");
        string memory json = vm.readFile(file);
        assertEq(vm.parseJsonAddress(json, ".contracts.AIServiceAMM"), address(d.amm));
        assertEq(vm.parseJsonUint(json, ".chainId"), CHAIN_ID);
        vm.removeFile(file);
    }

    function test_envUint_revertsOnASettingOutOfRange() public {
        DeployHarness harness = new DeployHarness();
        vm.setEnv("DEPLOY_TEST_ONLY_RANGE", "16777216");
        vm.expectRevert(
            abi.encodeWithSelector(
                Deploy.SettingOutOfRange.selector, "DEPLOY_TEST_ONLY_RANGE", 16_777_216, type(uint24).max
            )
        );
        harness.envUint("DEPLOY_TEST_ONLY_RANGE", 3_000, type(uint24).max);
        assertEq(harness.envUint("DEPLOY_TEST_ONLY_UNSET", 3_000, type(uint24).max), 3_000);
    }
}

contract DeployHarness is Deploy {
    function envUint(string memory variable, uint256 defaultValue, uint256 max)
        external
        view
        returns (uint256)
    {
        return _envUint(variable, defaultValue, max);
    }
}
