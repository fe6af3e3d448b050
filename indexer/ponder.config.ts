import { readFileSync } from "node:fs";
import { createConfig } from "ponder";
import { getAddress, type Address } from "viem";
import {
  agentGovernanceAbi,
  agentPortfolioManagerAbi,
  agentReputationAbi,
  aiPowerDerivativesAbi,
  aiPowerYieldFarmAbi,
  aiServiceAmmAbi,
  computePriceOracleAbi,
  crossChainBridgeAbi,
  multiAgentCoordinatorAbi,
} from "../generated/abis";
import { IndexerConfigError, readIndexerSettings, type IndexedChain } from "./lib/settings";

// Chains, RPC URLs and the database come from the environment (see lib/settings.ts); every contract's address
// and the start block per chain come only from the deploy script's deployments/<chainId>.json.
const settings = readIndexerSettings();

/** The contracts of a chain besides the AMM, from its deployments file (which settings.ts has checked). */
function protocolAddresses(chain: IndexedChain) {
  const json = JSON.parse(readFileSync(chain.deploymentFile, "utf8")) as {
    contracts?: Record<string, unknown>;
  };
  const address = (name: string): Address => {
    const value = json.contracts?.[name];
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
      throw new IndexerConfigError(
        `deployments file ${chain.deploymentFile} has no valid contracts.${name} address`,
      );
    }
    return getAddress(value);
  };
  return {
    farm: address("AIPowerYieldFarm"),
    governance: address("AgentGovernance"),
    reputation: address("AgentReputation"),
    bridge: address("CrossChainBridge"),
    oracle: address("ComputePriceOracle"),
    portfolioManager: address("AgentPortfolioManager"),
    coordinator: address("MultiAgentCoordinator"),
    derivatives: address("AIPowerDerivatives"),
  };
}

const chains = settings.chains.map((chain) => ({ ...chain, ...protocolAddresses(chain) }));

/** One contract on every indexed chain, from the deployment's start block. */
const onEveryChain = (address: (chain: (typeof chains)[number]) => Address) =>
  Object.fromEntries(
    chains.map((chain) => [chain.name, { address: address(chain), startBlock: chain.startBlock }]),
  );

export default createConfig({
  // Each chain's protocol is independent of the others', so chains index side by side rather than in one
  // global order: a slow or idle chain never holds back another. The bridge links chains, but "omnichain" would
  // not order a transfer's two halves either (it orders by block timestamp, and two chains' clocks differ), so
  // its handlers merge a request's halves in whichever order they come (src/CrossChainBridge.ts).
  ordering: "multichain",
  database:
    settings.database.kind === "postgres"
      ? { kind: "postgres", connectionString: settings.database.connectionString }
      : { kind: "pglite", directory: settings.database.directory },
  chains: Object.fromEntries(chains.map((chain) => [chain.name, { id: chain.chainId, rpc: chain.rpcUrl }])),
  contracts: {
    AIServiceAMM: { abi: aiServiceAmmAbi, chain: onEveryChain((chain) => chain.amm) },
    AIPowerYieldFarm: { abi: aiPowerYieldFarmAbi, chain: onEveryChain((chain) => chain.farm) },
    AgentGovernance: { abi: agentGovernanceAbi, chain: onEveryChain((chain) => chain.governance) },
    AgentReputation: { abi: agentReputationAbi, chain: onEveryChain((chain) => chain.reputation) },
    CrossChainBridge: { abi: crossChainBridgeAbi, chain: onEveryChain((chain) => chain.bridge) },
    ComputePriceOracle: { abi: computePriceOracleAbi, chain: onEveryChain((chain) => chain.oracle) },
    AgentPortfolioManager: {
      abi: agentPortfolioManagerAbi,
      chain: onEveryChain((chain) => chain.portfolioManager),
    },
    MultiAgentCoordinator: {
      abi: multiAgentCoordinatorAbi,
      chain: onEveryChain((chain) => chain.coordinator),
    },
    AIPowerDerivatives: {
      abi: aiPowerDerivativesAbi,
      chain: onEveryChain((chain) => chain.derivatives),
    },
  },
});
