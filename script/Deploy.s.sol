// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Script} from "forge-std/Script.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {AITBC} from "../src/tokens/AITBC.sol";
import {AIServiceToken} from "../src/tokens/AIServiceToken.sol";
import {AIServiceAMM} from "../src/amm/AIServiceAMM.sol";
import {IAIServiceAMM} from "../src/interfaces/IAIServiceAMM.sol";
import {Roles} from "../src/libraries/Roles.sol";

/// @title Deploy
/// @notice Deploys the whole protocol and writes `deployments/<chainId>.json` (addresses and start block),
/// the only place any other layer reads addresses from.
/// @dev Environment:
///   PRIVATE_KEY        deployer key (required: there is no default key, on any chain)
///   ADMIN              AccessManager admin after deployment (default: the deployer; later the governance
///                      timelock). When ADMIN is not the deployer, the deployer hands over everything: GUARDIAN
///                      and FEE_KEEPER must then be given, MINTER defaults to ADMIN, and the deployer keeps no
///                      role at all.
///   GUARDIAN           may pause (default: the deployer, only when it stays admin)
///   FEE_KEEPER         the fee keeper's address (default: the deployer, only when it stays admin)
///   MINTER             may mint protocol tokens (default: ADMIN)
///   TREASURY           receives the protocol's fee share (default: ADMIN)
///   PROTOCOL_FEE_BPS   protocol share of swap fees in bps (default: 1666, a sixth)
///   DEFAULT_FEE, MIN_FEE, MAX_FEE, MAX_FEE_STEP (pips), MIN_FEE_INTERVAL (seconds)
contract Deploy is Script {
    /// @notice Who holds which role after deployment.
    struct RoleHolders {
        address admin;
        address guardian;
        address feeKeeper;
        address minter;
    }

    error RoleHolderRequired(string variable);
    error SettingOutOfRange(string variable, uint256 value, uint256 max);

    struct Deployment {
        AccessManager accessManager;
        AITBC aitbc;
        AIServiceAMM amm;
        AIServiceToken gpuHours;
        AIServiceToken llmTokens;
        AIServiceToken storageMonths;
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
        d.accessManager = new AccessManager(deployer);
        d.aitbc = new AITBC(address(d.accessManager));
        d.amm = new AIServiceAMM(
            address(d.accessManager),
            vm.envOr("TREASURY", vm.envOr("ADMIN", deployer)),
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

        _wireRoles(d, deployer);
    }

    function _wireRoles(Deployment memory d, address deployer) internal {
        AccessManager manager = d.accessManager;
        manager.labelRole(Roles.GUARDIAN, "GUARDIAN");
        manager.labelRole(Roles.FEE_KEEPER, "FEE_KEEPER");
        manager.labelRole(Roles.MINTER, "MINTER");

        bytes4[] memory pausing = new bytes4[](2);
        pausing[0] = AIServiceAMM.pause.selector;
        pausing[1] = AIServiceAMM.unpause.selector;
        manager.setTargetFunctionRole(address(d.amm), pausing, Roles.GUARDIAN);

        bytes4[] memory feeSetter = new bytes4[](1);
        feeSetter[0] = AIServiceAMM.setFee.selector;
        manager.setTargetFunctionRole(address(d.amm), feeSetter, Roles.FEE_KEEPER);

        bytes4[] memory minting = new bytes4[](1);
        minting[0] = AITBC.mint.selector;
        manager.setTargetFunctionRole(address(d.aitbc), minting, Roles.MINTER);
        manager.setTargetFunctionRole(address(d.gpuHours), minting, Roles.MINTER);
        manager.setTargetFunctionRole(address(d.llmTokens), minting, Roles.MINTER);
        manager.setTargetFunctionRole(address(d.storageMonths), minting, Roles.MINTER);

        RoleHolders memory holders = roleHolders(deployer);
        manager.grantRole(Roles.GUARDIAN, holders.guardian, 0);
        manager.grantRole(Roles.FEE_KEEPER, holders.feeKeeper, 0);
        manager.grantRole(Roles.MINTER, holders.minter, 0);
        if (holders.admin != deployer) {
            manager.grantRole(Roles.ADMIN, holders.admin, 0);
            manager.renounceRole(Roles.ADMIN, deployer);
        }
    }

    /// @notice The role holders the environment asks for. A deployer that hands the admin role over keeps
    /// nothing, so the operational roles must be named explicitly rather than fall back to it.
    function roleHolders(address deployer) public view returns (RoleHolders memory holders) {
        holders.admin = vm.envOr("ADMIN", deployer);
        bool handsOver = holders.admin != deployer;
        holders.guardian = vm.envOr("GUARDIAN", handsOver ? address(0) : deployer);
        holders.feeKeeper = vm.envOr("FEE_KEEPER", handsOver ? address(0) : deployer);
        holders.minter = vm.envOr("MINTER", holders.admin);
        if (holders.guardian == address(0)) revert RoleHolderRequired("GUARDIAN");
        if (holders.feeKeeper == address(0)) revert RoleHolderRequired("FEE_KEEPER");
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
        string memory contractsJson = vm.serializeAddress(contracts, "STOR", address(d.storageMonths));

        string memory root = "root";
        vm.serializeUint(root, "chainId", block.chainid);
        vm.serializeUint(root, "startBlock", startBlock);
        string memory json = vm.serializeString(root, "contracts", contractsJson);
        vm.writeJson(json, string.concat("deployments/", vm.toString(block.chainid), ".json"));
    }
}
