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
/// @dev Environment (all optional but the key on a real chain):
///   PRIVATE_KEY        deployer key (defaults to anvil's first account)
///   ADMIN              AccessManager admin after deployment (default: deployer; later the governance timelock)
///   GUARDIAN           may pause (default: deployer)
///   FEE_KEEPER         the fee keeper's address (default: deployer)
///   TREASURY           receives the protocol's fee share (default: deployer)
///   PROTOCOL_FEE_BPS   protocol share of swap fees in bps (default: 1666, a sixth)
///   DEFAULT_FEE, MIN_FEE, MAX_FEE, MAX_FEE_STEP (pips), MIN_FEE_INTERVAL (seconds)
contract Deploy is Script {
    uint256 internal constant ANVIL_FIRST_KEY =
        0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;

    struct Deployment {
        AccessManager accessManager;
        AITBC aitbc;
        AIServiceAMM amm;
        AIServiceToken gpuHours;
        AIServiceToken llmTokens;
        AIServiceToken storageMonths;
    }

    function run() external returns (Deployment memory d) {
        uint256 deployerKey = vm.envOr("PRIVATE_KEY", ANVIL_FIRST_KEY);
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
            vm.envOr("TREASURY", deployer),
            uint24(vm.envOr("DEFAULT_FEE", uint256(3_000))),
            IAIServiceAMM.FeeBounds({
                minFee: uint24(vm.envOr("MIN_FEE", uint256(500))),
                maxFee: uint24(vm.envOr("MAX_FEE", uint256(10_000))),
                maxStep: uint24(vm.envOr("MAX_FEE_STEP", uint256(1_000))),
                minInterval: uint32(vm.envOr("MIN_FEE_INTERVAL", uint256(3_600)))
            })
        );
        d.amm.setProtocolFeeShare(uint16(vm.envOr("PROTOCOL_FEE_BPS", uint256(1_666))));
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

        manager.grantRole(Roles.GUARDIAN, vm.envOr("GUARDIAN", deployer), 0);
        manager.grantRole(Roles.FEE_KEEPER, vm.envOr("FEE_KEEPER", deployer), 0);
        manager.grantRole(Roles.MINTER, deployer, 0);

        address admin = vm.envOr("ADMIN", deployer);
        if (admin != deployer) {
            manager.grantRole(Roles.ADMIN, admin, 0);
            manager.renounceRole(Roles.ADMIN, deployer);
        }
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
