// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {Deploy} from "../../script/Deploy.s.sol";
import {AIServiceAMM} from "../../src/amm/AIServiceAMM.sol";
import {AITBC} from "../../src/tokens/AITBC.sol";
import {AIPowerYieldFarm} from "../../src/farm/AIPowerYieldFarm.sol";
import {AgentReputation} from "../../src/governance/AgentReputation.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {ComputePriceOracle} from "../../src/oracle/ComputePriceOracle.sol";
import {VolatilityFeed} from "../../src/oracle/VolatilityFeed.sol";
import {AgentPortfolioManager} from "../../src/portfolio/AgentPortfolioManager.sol";
import {MultiAgentCoordinator} from "../../src/coordination/MultiAgentCoordinator.sol";
import {AIPowerDerivatives} from "../../src/derivatives/AIPowerDerivatives.sol";

/// @notice Runs the real deploy script (`run()`, broadcasting as PRIVATE_KEY) and checks who can do what.
contract DeployTest is Test {
    uint256 internal constant DEPLOYER_KEY = 0xA11CE;
    address internal deployer = vm.addr(DEPLOYER_KEY);
    address internal guardian = makeAddr("guardian");
    address internal feeKeeper = makeAddr("feeKeeper");
    address internal apyKeeper = makeAddr("apyKeeper");
    address internal farmOperator = makeAddr("farmOperator");
    address internal volatilityKeeper = makeAddr("volatilityKeeper");
    address internal genesisHolder = makeAddr("genesisHolder");
    uint256 internal constant GENESIS_SUPPLY = 100_000_000e18;
    uint256 internal constant CHAIN_ID = 4_242_424;

    Deploy internal script;

    function setUp() public {
        // A chain id of its own, so the deployments file this writes touches nobody else's.
        vm.chainId(CHAIN_ID);
        vm.deal(deployer, 100 ether);
        vm.setEnv("PRIVATE_KEY", vm.toString(DEPLOYER_KEY));
        vm.setEnv(
            "VALIDATORS",
            string.concat(
                vm.toString(makeAddr("v1")),
                ",",
                vm.toString(makeAddr("v2")),
                ",",
                vm.toString(makeAddr("v3"))
            )
        );
        vm.setEnv("VALIDATOR_THRESHOLD", "2");
        script = new Deploy();
    }

    function _has(AccessManager manager, uint64 role, address account) internal view returns (bool isMember) {
        (isMember,) = manager.hasRole(role, account);
    }

    /// @dev One test on purpose: vm.setEnv changes the whole process's environment and forge runs tests in
    /// parallel, so every step that reads the role-holder variables lives here, in order.
    function test_run_handsEverythingToTheTimelockAndKeepsNothingForTheDeployer() public {
        vm.setEnv("GUARDIAN", vm.toString(address(0)));
        vm.setEnv("FEE_KEEPER", vm.toString(feeKeeper));
        vm.setEnv("APY_KEEPER", vm.toString(apyKeeper));
        vm.setEnv("FARM_OPERATOR", vm.toString(farmOperator));
        vm.expectRevert(abi.encodeWithSelector(Deploy.RoleHolderRequired.selector, "GUARDIAN"));
        script.roleHolders();

        vm.setEnv("GUARDIAN", vm.toString(guardian));
        vm.setEnv("APY_KEEPER", vm.toString(address(0)));
        vm.expectRevert(abi.encodeWithSelector(Deploy.RoleHolderRequired.selector, "APY_KEEPER"));
        script.roleHolders();

        vm.setEnv("APY_KEEPER", vm.toString(apyKeeper));
        // The volatility keeper must be named: a value goes stale in a day, and liquidations and margined writing
        // price from it.
        vm.setEnv("VOLATILITY_KEEPER", vm.toString(address(0)));
        vm.expectRevert(abi.encodeWithSelector(Deploy.RoleHolderRequired.selector, "VOLATILITY_KEEPER"));
        script.roleHolders();
        vm.setEnv("VOLATILITY_KEEPER", vm.toString(volatilityKeeper));
        // Nothing minted and only the timelock may mint: no proposal could ever pass, so the script refuses.
        vm.expectRevert(Deploy.GovernanceCannotStart.selector);
        script.roleHolders();

        // ADMIN may replace the timelock on a local test chain only.
        vm.setEnv("GENESIS_HOLDER", vm.toString(genesisHolder));
        vm.setEnv("GENESIS_SUPPLY", vm.toString(GENESIS_SUPPLY));
        vm.setEnv("ADMIN", vm.toString(deployer));
        vm.expectRevert(abi.encodeWithSelector(Deploy.LocalAdminOnly.selector, CHAIN_ID));
        script.roleHolders();
        vm.setEnv("ADMIN", vm.toString(address(0)));

        // ... and never the timelock, which could refresh it only after a vote (the deployer's second creation)
        address timelockToBe = vm.computeCreateAddress(address(script), vm.getNonce(address(script)) + 1);
        vm.setEnv("VOLATILITY_KEEPER", vm.toString(timelockToBe));
        vm.expectRevert(
            abi.encodeWithSelector(Deploy.KeeperCannotBeTimelock.selector, "VOLATILITY_KEEPER", timelockToBe)
        );
        script.deploy(deployer);
        vm.setEnv("VOLATILITY_KEEPER", vm.toString(volatilityKeeper));
        // Off the local test chains the reputation granter must be a contract (a multisig), never a single key.
        address granterKey = makeAddr("granterKey");
        vm.setEnv("REPUTATION_GRANTER", vm.toString(granterKey));
        vm.expectRevert(
            abi.encodeWithSelector(Deploy.ReputationGranterNotContract.selector, granterKey, CHAIN_ID)
        );
        script.roleHolders();
        address granterMultisig = address(new AccessManager(address(this))); // any contract
        vm.setEnv("REPUTATION_GRANTER", vm.toString(granterMultisig));
        assertEq(script.roleHolders().reputationGranter, granterMultisig, "a contract granter is accepted");
        vm.chainId(31_337); // a local test chain: an account without code is accepted
        vm.setEnv("REPUTATION_GRANTER", vm.toString(granterKey));
        assertEq(script.roleHolders().reputationGranter, granterKey, "a key is accepted on a local chain");
        vm.chainId(31_999);
        assertEq(script.roleHolders().reputationGranter, granterKey, "the local range's last id");
        vm.chainId(32_000);
        vm.expectRevert(
            abi.encodeWithSelector(Deploy.ReputationGranterNotContract.selector, granterKey, 32_000)
        );
        script.roleHolders();
        vm.chainId(CHAIN_ID);
        vm.setEnv("REPUTATION_GRANTER", vm.toString(address(0)));

        Deploy.Deployment memory d = script.run();
        AccessManager manager = d.accessManager;
        address timelock = address(d.timelock);

        assertTrue(_has(manager, Roles.ADMIN, timelock), "the timelock is the admin");
        assertTrue(_has(manager, Roles.GUARDIAN, guardian), "guardian");
        assertTrue(_has(manager, Roles.FEE_KEEPER, feeKeeper), "fee keeper");
        assertTrue(_has(manager, Roles.APY_KEEPER, apyKeeper), "apy keeper");
        assertTrue(_has(manager, Roles.FARM_OPERATOR, farmOperator), "farm operator");
        assertTrue(_has(manager, Roles.MINTER, timelock), "minter defaults to the timelock");
        assertTrue(
            _has(manager, Roles.REPUTATION_GRANTER, timelock), "reputation granter defaults to the timelock"
        );
        assertTrue(_has(manager, Roles.VOLATILITY_KEEPER, volatilityKeeper), "volatility keeper");
        assertFalse(_has(manager, Roles.VOLATILITY_KEEPER, timelock), "the timelock is no volatility keeper");
        assertTrue(_has(manager, Roles.OPTIONS_LISTER, timelock), "options lister defaults to the timelock");
        for (uint64 role; role <= Roles.OPTIONS_LISTER; ++role) {
            assertFalse(_has(manager, role, deployer), "the deployer keeps no role");
        }
        assertEq(d.amm.treasury(), timelock, "treasury defaults to the timelock");
        assertEq(d.aitbc.balanceOf(genesisHolder), GENESIS_SUPPLY, "genesis supply");
        assertEq(d.aitbc.totalSupply(), GENESIS_SUPPLY, "nothing else minted");

        // The timelock: only the Governor proposes and cancels, anyone executes, nobody administers it but itself.
        TimelockController tl = d.timelock;
        assertTrue(tl.hasRole(tl.PROPOSER_ROLE(), address(d.governor)), "governor proposes");
        assertTrue(tl.hasRole(tl.CANCELLER_ROLE(), address(d.governor)), "governor cancels");
        assertTrue(tl.hasRole(tl.EXECUTOR_ROLE(), address(0)), "open execution");
        assertFalse(tl.hasRole(tl.DEFAULT_ADMIN_ROLE(), deployer), "deployer is not the timelock admin");
        assertFalse(tl.hasRole(tl.PROPOSER_ROLE(), deployer), "deployer cannot propose to the timelock");
        assertTrue(tl.hasRole(tl.DEFAULT_ADMIN_ROLE(), timelock), "the timelock administers itself");
        assertEq(address(d.governor.timelock()), timelock);
        assertEq(address(d.governor.token()), address(d.aitbc));

        // Each setter is reachable by its role only.
        assertEq(
            manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.setFee.selector), Roles.FEE_KEEPER
        );
        assertEq(manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.pause.selector), Roles.GUARDIAN);
        assertEq(manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.unpause.selector), Roles.GUARDIAN);
        assertEq(
            manager.getTargetFunctionRole(address(d.farm), AIPowerYieldFarm.pause.selector), Roles.GUARDIAN
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.farm), AIPowerYieldFarm.setRewardRate.selector),
            Roles.APY_KEEPER
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.farm), AIPowerYieldFarm.fundPool.selector),
            Roles.FARM_OPERATOR
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.farm), AIPowerYieldFarm.setRateBounds.selector),
            Roles.ADMIN
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.reputation), AgentReputation.grant.selector),
            Roles.REPUTATION_GRANTER
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.volatilityFeed), VolatilityFeed.setVolatility.selector),
            Roles.VOLATILITY_KEEPER
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.volatilityFeed), VolatilityFeed.setBounds.selector),
            Roles.ADMIN
        );
        assertEq(d.volatilityFeed.defaultBounds().maxWad, 5e18, "volatility bounds default");
        assertEq(d.volatilityFeed.authority(), address(manager));
        assertEq(manager.getTargetFunctionRole(address(d.aitbc), AITBC.mint.selector), Roles.MINTER);
        assertEq(manager.getTargetFunctionRole(address(d.gpuHours), AITBC.mint.selector), Roles.MINTER);
        assertEq(
            manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.setProtocolFeeShare.selector),
            Roles.ADMIN
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.amm), AIServiceAMM.setFeeBounds.selector), Roles.ADMIN
        );

        // The deployer can do nothing any more.
        vm.startPrank(deployer);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        d.aitbc.mint(deployer, 1);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        d.amm.pause();
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        d.amm.setProtocolFeeShare(0);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        d.reputation.grant(deployer, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessManager.AccessManagerUnauthorizedAccount.selector, deployer, Roles.ADMIN
            )
        );
        manager.grantRole(Roles.ADMIN, deployer, 0);
        vm.stopPrank();

        vm.prank(guardian);
        d.amm.pause();
        assertTrue(d.amm.paused());

        // The deployments file names every contract.
        string memory file = string.concat("deployments/", vm.toString(CHAIN_ID), ".json");
        string memory json = vm.readFile(file);
        assertEq(vm.parseJsonAddress(json, ".contracts.AIServiceAMM"), address(d.amm));
        assertEq(vm.parseJsonAddress(json, ".contracts.AIPowerYieldFarm"), address(d.farm));
        assertEq(vm.parseJsonAddress(json, ".contracts.AgentGovernance"), address(d.governor));
        assertEq(vm.parseJsonAddress(json, ".contracts.TimelockController"), timelock);
        assertEq(vm.parseJsonAddress(json, ".contracts.AgentReputation"), address(d.reputation));
        assertEq(vm.parseJsonAddress(json, ".contracts.CrossChainBridge"), address(d.bridge));
        assertEq(d.bridge.threshold(), 2);
        assertEq(d.bridge.getValidators().length, 3);
        assertEq(manager.getTargetFunctionRole(address(d.bridge), d.bridge.pause.selector), Roles.GUARDIAN);
        assertEq(
            manager.getTargetFunctionRole(address(d.bridge), d.bridge.setValidators.selector), Roles.ADMIN
        );
        // Oracle, portfolios and consortia: governance sets the oracle's band; the guardian pauses the others.
        assertEq(vm.parseJsonAddress(json, ".contracts.ComputePriceOracle"), address(d.oracle));
        assertEq(vm.parseJsonAddress(json, ".contracts.VolatilityFeed"), address(d.volatilityFeed));
        assertEq(vm.parseJsonAddress(json, ".contracts.AgentPortfolioManager"), address(d.portfolioManager));
        assertEq(vm.parseJsonAddress(json, ".contracts.MultiAgentCoordinator"), address(d.coordinator));
        // Options: priced from the oracle and the feed in AITBC; the guardian pauses new positions, the lister lists.
        assertEq(
            vm.parseJsonAddress(json, ".contracts.OracleOptionPriceSource"), address(d.optionPriceSource)
        );
        assertEq(vm.parseJsonAddress(json, ".contracts.AIPowerDerivatives"), address(d.derivatives));
        assertEq(address(d.derivatives.priceSource()), address(d.optionPriceSource));
        assertEq(address(d.optionPriceSource.oracle()), address(d.oracle));
        assertEq(address(d.optionPriceSource.volatilityFeed()), address(d.volatilityFeed));
        assertEq(d.optionPriceSource.quote(), address(d.aitbc));
        assertEq(
            manager.getTargetFunctionRole(address(d.derivatives), AIPowerDerivatives.pause.selector),
            Roles.GUARDIAN
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.derivatives), AIPowerDerivatives.createSeries.selector),
            Roles.OPTIONS_LISTER
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.coordinator), MultiAgentCoordinator.pause.selector),
            Roles.GUARDIAN
        );
        assertEq(address(d.oracle.amm()), address(d.amm));
        assertEq(d.oracle.window(), 30 minutes);
        assertEq(
            manager.getTargetFunctionRole(address(d.oracle), ComputePriceOracle.setMaxMove.selector),
            Roles.ADMIN
        );
        assertEq(
            manager.getTargetFunctionRole(address(d.portfolioManager), AgentPortfolioManager.pause.selector),
            Roles.GUARDIAN
        );
        vm.prank(deployer);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, deployer));
        d.oracle.setMaxMove(1);
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
