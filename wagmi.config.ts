import { defineConfig } from "@wagmi/cli";
import { foundry } from "@wagmi/cli/plugins";

// The one generated ABI module. Only the project's own contracts (and the OpenZeppelin AccessManager it
// deploys) are included: forge-std and OpenZeppelin artifacts repeat contract names, which the plugin rejects.
export default defineConfig({
  out: "generated/abis.ts",
  plugins: [
    foundry({
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
        "AgentPortfolioManager.sol/**",
      ],
    }),
  ],
});
