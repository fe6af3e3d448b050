import { defineConfig, type Plugin } from "@wagmi/cli";
import { foundry } from "@wagmi/cli/plugins";

// The one generated ABI module. Only the project's own contracts (and the OpenZeppelin AccessManager it
// deploys) are included: forge-std and OpenZeppelin artifacts repeat contract names, which the plugin rejects.
const artifacts = foundry({
  project: ".",
  forge: {
    path: "node_modules/@foundry-rs/forge-linux-amd64/bin/forge",
    build: false,
  },
  include: [
    "AccessManager.sol/**",
    "AITBC.sol/**",
    "AIServiceToken.sol/**",
    "AIServiceAMM.sol/**",
    "AIPowerYieldFarm.sol/**",
    "AgentReputation.sol/**",
    "AgentGovernance.sol/**",
    "TimelockController.sol/**",
    "CrossChainBridge.sol/**",
    "BridgedToken.sol/**",
    "ComputePriceOracle.sol/**",
    "VolatilityFeed.sol/**",
    "AgentPortfolioManager.sol/**",
    "MultiAgentCoordinator.sol/**",
    "OracleOptionPriceSource.sol/**",
    "AIPowerDerivatives.sol/**",
  ],
  // foundry.toml compiles MultiAgentCoordinator and AIPowerDerivatives, and everything compiled with it, a second time under the "size"
  // profile (`X.size.json` beside `X.json`, or `X.default.json` when both exist): one ABI per contract is enough.
  exclude: ["**/*.size.json"],
});

/** The same contracts, with a `.default` profile suffix taken off their names (the ABIs are identical). */
const withoutProfileSuffix: Plugin = {
  ...artifacts,
  async contracts() {
    const contracts = (await artifacts.contracts?.()) ?? [];
    return contracts.map((contract) => ({ ...contract, name: contract.name.replace(/\.default$/, "") }));
  },
};

export default defineConfig({ out: "generated/abis.ts", plugins: [withoutProfileSuffix] });
