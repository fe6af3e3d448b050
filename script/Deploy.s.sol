// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Script} from "forge-std/Script.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {AITBC} from "../src/tokens/AITBC.sol";
import {AIServiceToken} from "../src/tokens/AIServiceToken.sol";
import {AIServiceAMM} from "../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../src/interfaces/IAIServiceAMM.sol";
import {AIPowerYieldFarm} from "../src/farm/AIPowerYieldFarm.sol";
import {AgentGovernance} from "../src/governance/AgentGovernance.sol";
import {AgentReputation} from "../src/governance/AgentReputation.sol";
import {CrossChainBridge} from "../src/bridge/CrossChainBridge.sol";
import {ComputePriceOracle} from "../src/oracle/ComputePriceOracle.sol";
import {VolatilityFeed} from "../src/oracle/VolatilityFeed.sol";
import {IVolatilityFeed} from "../src/interfaces/IVolatilityFeed.sol";
import {AgentPortfolioManager} from "../src/portfolio/AgentPortfolioManager.sol";
import {MultiAgentCoordinator} from "../src/coordination/MultiAgentCoordinator.sol";
import {AIPowerDerivatives} from "../src/derivatives/AIPowerDerivatives.sol";
import {OracleOptionPriceSource} from "../src/derivatives/OracleOptionPriceSource.sol";
import {Roles} from "../src/libraries/Roles.sol";

/// @title Deploy
/// @notice Deploys the whole protocol and writes `deployments/<chainId>.json` (addresses and start block),
/// the only place any other layer reads addresses from.
/// @dev The governance timelock becomes the AccessManager's admin and the deployer renounces everything, so after
/// this script no key but the operational roles named below can do anything, and those only inside their bounds.
/// Environment:
///   PRIVATE_KEY        deployer key (required: there is no default key, on any chain)
///   GUARDIAN           may pause the AMM, the farm, the bridge, portfolios, consortia and new option positions
///                      (required; withdrawals, ragequits, exits, settlement, exercise and liquidation stay open)
///   FEE_KEEPER         may move AMM fees inside governance-set bounds (required)
///   APY_KEEPER         may move farm reward rates inside governance-set bounds (required)
///   FARM_OPERATOR      may list farm pools and fund their reward periods (required)
///   ADMIN              replaces the timelock as AccessManager admin. Honoured only on local test chains (chain ids
///                      31337–31999), which exercise admin setters without a vote; refused anywhere else.
///   GENESIS_HOLDER, GENESIS_SUPPLY  AITBC minted once at deployment (wei; default 0). Required when MINTER is left
///                      to the timelock: with no supply, no proposal could ever pass and nothing could change.
///   MINTER             may mint protocol tokens (default: the timelock)
///   REPUTATION_GRANTER may grant and revoke agent reputation (default: the timelock). Outside the local test chains
///                      (31337–31999) it must be a contract (a multisig, a module): one leaked key must not be able
///                      to hand out a fifth of every vote.
///   VOLATILITY_KEEPER  may move option-pricing volatility inside governance-set bounds (required, and never the
///                      timelock: a value goes stale after VOLATILITY_MAX_AGE, far sooner than a vote could refresh it)
///   OPTIONS_LISTER     may list option series (default: the timelock)
///   TREASURY           receives the protocol's fee share (default: the timelock)
///   PROTOCOL_FEE_BPS   protocol share of swap fees in bps (default: 1666, a sixth)
///   VALIDATORS         the bridge's validator set, comma-separated addresses (required), and
///   VALIDATOR_THRESHOLD signatures needed (required; a strict majority of the set). Routes to other chains are
///                      wired afterwards by script/ConnectBridge.s.sol.
///   DEFAULT_FEE, MIN_FEE, MAX_FEE, MAX_FEE_STEP (pips), MIN_FEE_INTERVAL (seconds)
///   VOTING_DELAY (s, default 1 day), VOTING_PERIOD (s, default 5 days), TIMELOCK_DELAY (s, default 2 days),
///   PROPOSAL_THRESHOLD (votes, default 10 000 AITBC), QUORUM_PERCENT (default 4)
///   ORACLE_WINDOW (s, default 30 min), ORACLE_PERIOD (s between observations, default 5 min),
///   ORACLE_MAX_MOVE_BPS (largest move between period averages before prices fail closed, default 2000),
///   ORACLE_MAX_POOL_IDLE (s without a trade before prices fail closed, default 1 day; 0 = no limit)
///   VOLATILITY_MIN, VOLATILITY_MAX, VOLATILITY_MAX_STEP (wad, 1e18 = 100 % a year; defaults 10 %, 500 %, 10 %),
///   VOLATILITY_MIN_INTERVAL (s between updates, default 1 hour), VOLATILITY_MAX_AGE (s before a value is stale,
///   default 1 day): the bounds pools take at their first volatility update
contract Deploy is Script {
    /// @notice Who holds which operational role after deployment (the admin is always the timelock).
    struct RoleHolders {
        address guardian;
        address feeKeeper;
        address apyKeeper;
        address farmOperator;
        address minter;
        address reputationGranter;
        address volatilityKeeper;
        address optionsLister;
        // zero: the timelock
        address admin;
        address genesisHolder;
        uint256 genesisSupply;
    }

    error RoleHolderRequired(string variable);
    /// @notice A keeper role that must act within hours was named for the timelock, which acts only after a vote.
    error KeeperCannotBeTimelock(string variable, address timelock);
    /// @notice AITBC would start with no supply while only the timelock may mint: governance could never act.
    error GovernanceCannotStart();
    /// @notice ADMIN may replace the timelock only on a local test chain.
    error LocalAdminOnly(uint256 chainId);
    /// @notice REPUTATION_GRANTER names `granter`, an account without code, on `chainId`, which is not a local test
    /// chain: there the granter must be a contract (a multisig or a module), never a single key.
    error ReputationGranterNotContract(address granter, uint256 chainId);
    error SettingOutOfRange(string variable, uint256 value, uint256 max);

    struct Deployment {
        AccessManager accessManager;
        AITBC aitbc;
        AIServiceAMM amm;
        AIServiceToken gpuHours;
        AIServiceToken llmTokens;
        AIServiceToken storageMonths;
        AIPowerYieldFarm farm;
        AgentReputation reputation;
        TimelockController timelock;
        AgentGovernance governor;
        CrossChainBridge bridge;
        ComputePriceOracle oracle;
        VolatilityFeed volatilityFeed;
        AgentPortfolioManager portfolioManager;
        MultiAgentCoordinator coordinator;
        OracleOptionPriceSource optionPriceSource;
        AIPowerDerivatives derivatives;
    }

    function run() external returns (Deployment memory d) {
        uint256 deployerKey = vm.envUint("PRIVATE_KEY");
        address deployer = vm.addr(deployerKey);
        uint256 startBlock = block.number;

        vm.startBroadcast(deployerKey);
        d = deploy(deployer);
        vm.stopBroadcast();

        _write(d, startBlock);
    }

    /// @notice Deploys and wires every contract; `deployer` must be the broadcasting account.
    function deploy(address deployer) public returns (Deployment memory d) {
        // Read first: a missing role holder fails before anything is deployed.
        RoleHolders memory holders = roleHolders();

        d.accessManager = new AccessManager(deployer);
        d.timelock = new TimelockController(
            _envUint("TIMELOCK_DELAY", 2 days, type(uint32).max), new address[](0), new address[](0), deployer
        );
        if (holders.volatilityKeeper == address(d.timelock)) {
            revert KeeperCannotBeTimelock("VOLATILITY_KEEPER", address(d.timelock));
        }
        d.aitbc = new AITBC(address(d.accessManager));
        d.amm = new AIServiceAMM(
            address(d.accessManager),
            vm.envOr("TREASURY", address(d.timelock)),
            uint24(_envUint("DEFAULT_FEE", 3_000, type(uint24).max)),
            IAIServiceAMM.FeeBounds({
                minFee: uint24(_envUint("MIN_FEE", 500, type(uint24).max)),
                maxFee: uint24(_envUint("MAX_FEE", 10_000, type(uint24).max)),
                maxStep: uint24(_envUint("MAX_FEE_STEP", 1_000, type(uint24).max)),
                minInterval: uint32(_envUint("MIN_FEE_INTERVAL", 3_600, type(uint32).max))
            })
        );
        d.amm.setProtocolFeeShare(uint16(_envUint("PROTOCOL_FEE_BPS", 1_666, type(uint16).max)));
        d.gpuHours =
            new AIServiceToken(address(d.accessManager), "GPU-hour credits", "GPUH", "GPU-hour (A100 80GB)");
        d.llmTokens = new AIServiceToken(
            address(d.accessManager), "LLM inference credits", "LLMT", "1M LLM output tokens"
        );
        d.storageMonths = new AIServiceToken(
            address(d.accessManager), "Model storage credits", "STOR", "TB-month of model storage"
        );
        d.farm = new AIPowerYieldFarm(address(d.accessManager), d.amm);
        d.reputation = new AgentReputation(address(d.accessManager));
        d.governor = new AgentGovernance(
            d.aitbc,
            d.reputation,
            d.timelock,
            d.accessManager,
            uint48(_envUint("VOTING_DELAY", 1 days, type(uint48).max)),
            uint32(_envUint("VOTING_PERIOD", 5 days, type(uint32).max)),
            vm.envOr("PROPOSAL_THRESHOLD", uint256(10_000 ether)),
            _envUint("QUORUM_PERCENT", 4, 100)
        );

        d.bridge = new CrossChainBridge(
            address(d.accessManager),
            vm.envOr("TREASURY", address(d.timelock)),
            vm.envAddress("VALIDATORS", ","),
            vm.envUint("VALIDATOR_THRESHOLD")
        );

        d.oracle = new ComputePriceOracle(
            address(d.accessManager),
            d.amm,
            uint32(_envUint("ORACLE_WINDOW", 30 minutes, type(uint32).max)),
            uint32(_envUint("ORACLE_PERIOD", 5 minutes, type(uint32).max)),
            uint16(_envUint("ORACLE_MAX_MOVE_BPS", 2_000, type(uint16).max)),
            uint32(_envUint("ORACLE_MAX_POOL_IDLE", 1 days, type(uint32).max))
        );

        d.volatilityFeed = new VolatilityFeed(
            address(d.accessManager),
            IVolatilityFeed.VolatilityBounds({
                minWad: uint64(_envUint("VOLATILITY_MIN", 0.1e18, type(uint64).max)),
                maxWad: uint64(_envUint("VOLATILITY_MAX", 5e18, type(uint64).max)),
                maxStepWad: uint64(_envUint("VOLATILITY_MAX_STEP", 0.1e18, type(uint64).max)),
                minInterval: uint32(_envUint("VOLATILITY_MIN_INTERVAL", 1 hours, type(uint32).max)),
                maxAge: uint32(_envUint("VOLATILITY_MAX_AGE", 1 days, type(uint32).max))
            })
        );

        d.portfolioManager = new AgentPortfolioManager(address(d.accessManager), d.amm, d.oracle);
        d.coordinator = new MultiAgentCoordinator(address(d.accessManager), d.amm, d.oracle);
        d.optionPriceSource = new OracleOptionPriceSource(d.oracle, d.volatilityFeed, d.amm, address(d.aitbc));
        d.derivatives = new AIPowerDerivatives(address(d.accessManager), d.optionPriceSource);

        _wireRoles(d, holders, deployer);
        _handOver(d, deployer, holders.admin);
    }

    function _wireRoles(Deployment memory d, RoleHolders memory holders, address deployer) internal {
        AccessManager manager = d.accessManager;
        manager.labelRole(Roles.GUARDIAN, "GUARDIAN");
        manager.labelRole(Roles.FEE_KEEPER, "FEE_KEEPER");
        manager.labelRole(Roles.MINTER, "MINTER");
        manager.labelRole(Roles.APY_KEEPER, "APY_KEEPER");
        manager.labelRole(Roles.REPUTATION_GRANTER, "REPUTATION_GRANTER");
        manager.labelRole(Roles.FARM_OPERATOR, "FARM_OPERATOR");
        manager.labelRole(Roles.VOLATILITY_KEEPER, "VOLATILITY_KEEPER");
        manager.labelRole(Roles.OPTIONS_LISTER, "OPTIONS_LISTER");

        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = AIServiceAMM.pause.selector;
        pausing[1] = AIServiceAMM.unpause.selector;
        manager.setTargetFunctionRole(address(d.amm), pausing, Roles.GUARDIAN);
        pausing[0] = AIPowerYieldFarm.pause.selector;
        pausing[1] = AIPowerYieldFarm.unpause.selector;
        manager.setTargetFunctionRole(address(d.farm), pausing, Roles.GUARDIAN);
        pausing[0] = CrossChainBridge.pause.selector;
        pausing[1] = CrossChainBridge.unpause.selector;
        manager.setTargetFunctionRole(address(d.bridge), pausing, Roles.GUARDIAN);
        pausing[0] = AgentPortfolioManager.pause.selector;
        pausing[1] = AgentPortfolioManager.unpause.selector;
        manager.setTargetFunctionRole(address(d.portfolioManager), pausing, Roles.GUARDIAN);
        pausing[0] = MultiAgentCoordinator.pause.selector;
        pausing[1] = MultiAgentCoordinator.unpause.selector;
        manager.setTargetFunctionRole(address(d.coordinator), pausing, Roles.GUARDIAN);
        pausing[0] = AIPowerDerivatives.pause.selector;
        pausing[1] = AIPowerDerivatives.unpause.selector;
        manager.setTargetFunctionRole(address(d.derivatives), pausing, Roles.GUARDIAN);

        bytes4[] memory single = new bytes4[](1);
        single[0] = AIServiceAMM.setFee.selector;
        manager.setTargetFunctionRole(address(d.amm), single, Roles.FEE_KEEPER);
        single[0] = AIPowerYieldFarm.setRewardRate.selector;
        manager.setTargetFunctionRole(address(d.farm), single, Roles.APY_KEEPER);
        single[0] = VolatilityFeed.setVolatility.selector;
        manager.setTargetFunctionRole(address(d.volatilityFeed), single, Roles.VOLATILITY_KEEPER);
        single[0] = AIPowerDerivatives.createSeries.selector;
        manager.setTargetFunctionRole(address(d.derivatives), single, Roles.OPTIONS_LISTER);

        bytes4[] memory farmOperations = new bytes4[](3);
        farmOperations[0] = AIPowerYieldFarm.createPool.selector;
        farmOperations[1] = AIPowerYieldFarm.createLpPool.selector;
        farmOperations[2] = AIPowerYieldFarm.fundPool.selector;
        manager.setTargetFunctionRole(address(d.farm), farmOperations, Roles.FARM_OPERATOR);

        bytes4[] memory reputationMoves = new bytes4[](2);
        reputationMoves[0] = AgentReputation.grant.selector;
        reputationMoves[1] = AgentReputation.revoke.selector;
        manager.setTargetFunctionRole(address(d.reputation), reputationMoves, Roles.REPUTATION_GRANTER);

        single[0] = AITBC.mint.selector;
        manager.setTargetFunctionRole(address(d.aitbc), single, Roles.MINTER);
        manager.setTargetFunctionRole(address(d.gpuHours), single, Roles.MINTER);
        manager.setTargetFunctionRole(address(d.llmTokens), single, Roles.MINTER);
        manager.setTargetFunctionRole(address(d.storageMonths), single, Roles.MINTER);

        manager.grantRole(Roles.GUARDIAN, holders.guardian, 0);
        manager.grantRole(Roles.FEE_KEEPER, holders.feeKeeper, 0);
        manager.grantRole(Roles.APY_KEEPER, holders.apyKeeper, 0);
        manager.grantRole(Roles.FARM_OPERATOR, holders.farmOperator, 0);
        // Genesis supply: the deployer mints it under a minter role it gives up in the same breath.
        if (holders.genesisSupply > 0) {
            manager.grantRole(Roles.MINTER, deployer, 0);
            d.aitbc.mint(holders.genesisHolder, holders.genesisSupply);
            manager.revokeRole(Roles.MINTER, deployer);
        }
        manager.grantRole(
            Roles.MINTER, holders.minter == address(0) ? address(d.timelock) : holders.minter, 0
        );
        manager.grantRole(
            Roles.REPUTATION_GRANTER,
            holders.reputationGranter == address(0) ? address(d.timelock) : holders.reputationGranter,
            0
        );
        manager.grantRole(Roles.VOLATILITY_KEEPER, holders.volatilityKeeper, 0);
        manager.grantRole(
            Roles.OPTIONS_LISTER,
            holders.optionsLister == address(0) ? address(d.timelock) : holders.optionsLister,
            0
        );
    }

    /// @dev The Governor alone proposes and cancels; anyone may execute what is ready (the timelock's delay is
    /// the protection, not who sends the transaction). The timelock administers itself and the AccessManager
    /// (unless ADMIN names another account).
    function _handOver(Deployment memory d, address deployer, address adminOverride) internal {
        TimelockController timelock = d.timelock;
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(d.governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(d.governor));
        timelock.grantRole(timelock.EXECUTOR_ROLE(), address(0));
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer);

        address admin = adminOverride == address(0) ? address(timelock) : adminOverride;
        d.accessManager.grantRole(Roles.ADMIN, admin, 0);
        if (admin != deployer) d.accessManager.renounceRole(Roles.ADMIN, deployer);
    }

    /// @notice The operational role holders the environment names. None falls back to the deployer, which keeps
    /// no power after deployment; MINTER and REPUTATION_GRANTER are the timelock unless named (zero here).
    /// @dev Anvil's default chain id 31337 and the ids the tests and the demo give their own chains (31338–31999).
    function _isLocalTestChain() internal view returns (bool) {
        return block.chainid >= 31_337 && block.chainid < 32_000;
    }

    function roleHolders() public view returns (RoleHolders memory holders) {
        holders.guardian = _requiredAddress("GUARDIAN");
        holders.feeKeeper = _requiredAddress("FEE_KEEPER");
        holders.apyKeeper = _requiredAddress("APY_KEEPER");
        holders.farmOperator = _requiredAddress("FARM_OPERATOR");
        holders.minter = vm.envOr("MINTER", address(0));
        holders.reputationGranter = vm.envOr("REPUTATION_GRANTER", address(0));
        bool localChain = _isLocalTestChain();
        if (
            holders.reputationGranter != address(0) && holders.reputationGranter.code.length == 0
                && !localChain
        ) {
            revert ReputationGranterNotContract(holders.reputationGranter, block.chainid);
        }
        holders.volatilityKeeper = _requiredAddress("VOLATILITY_KEEPER");
        holders.optionsLister = vm.envOr("OPTIONS_LISTER", address(0));
        holders.admin = vm.envOr("ADMIN", address(0));
        if (holders.admin != address(0) && !localChain) {
            revert LocalAdminOnly(block.chainid);
        }
        holders.genesisSupply = vm.envOr("GENESIS_SUPPLY", uint256(0)); // AITBC.mint refuses more than its cap
        if (holders.genesisSupply > 0) holders.genesisHolder = _requiredAddress("GENESIS_HOLDER");
        else if (holders.minter == address(0)) revert GovernanceCannotStart();
    }

    function _requiredAddress(string memory variable) internal view returns (address holder) {
        holder = vm.envOr(variable, address(0));
        if (holder == address(0)) revert RoleHolderRequired(variable);
    }

    function _envUint(string memory variable, uint256 defaultValue, uint256 max)
        internal
        view
        returns (uint256 value)
    {
        value = vm.envOr(variable, defaultValue);
        if (value > max) revert SettingOutOfRange(variable, value, max);
    }

    function _write(Deployment memory d, uint256 startBlock) internal {
        string memory contracts = "contracts";
        vm.serializeAddress(contracts, "AccessManager", address(d.accessManager));
        vm.serializeAddress(contracts, "AITBC", address(d.aitbc));
        vm.serializeAddress(contracts, "AIServiceAMM", address(d.amm));
        vm.serializeAddress(contracts, "GPUH", address(d.gpuHours));
        vm.serializeAddress(contracts, "LLMT", address(d.llmTokens));
        vm.serializeAddress(contracts, "STOR", address(d.storageMonths));
        vm.serializeAddress(contracts, "AIPowerYieldFarm", address(d.farm));
        vm.serializeAddress(contracts, "AgentReputation", address(d.reputation));
        vm.serializeAddress(contracts, "TimelockController", address(d.timelock));
        vm.serializeAddress(contracts, "AgentGovernance", address(d.governor));
        vm.serializeAddress(contracts, "CrossChainBridge", address(d.bridge));
        vm.serializeAddress(contracts, "ComputePriceOracle", address(d.oracle));
        vm.serializeAddress(contracts, "VolatilityFeed", address(d.volatilityFeed));
        vm.serializeAddress(contracts, "AgentPortfolioManager", address(d.portfolioManager));
        vm.serializeAddress(contracts, "MultiAgentCoordinator", address(d.coordinator));
        vm.serializeAddress(contracts, "OracleOptionPriceSource", address(d.optionPriceSource));
        string memory contractsJson =
            vm.serializeAddress(contracts, "AIPowerDerivatives", address(d.derivatives));

        string memory root = "root";
        vm.serializeUint(root, "chainId", block.chainid);
        vm.serializeUint(root, "startBlock", startBlock);
        string memory json = vm.serializeString(root, "contracts", contractsJson);
        vm.writeJson(json, string.concat("deployments/", vm.toString(block.chainid), ".json"));
    }
}
