import { createConfig } from "ponder";
import { aiServiceAmmAbi } from "../generated/abis";
import { readIndexerSettings } from "./lib/settings";

// Chains, RPC URLs and the database come from the environment (see lib/settings.ts); the AMM's address and
// start block per chain come only from the deploy script's deployments/<chainId>.json.
const settings = readIndexerSettings();

export default createConfig({
  // Each chain's AMM is independent of the others', so chains index side by side rather than in one global
  // order: a slow or idle chain never holds back another (the bridge, when it comes, may revisit this).
  ordering: "multichain",
  database:
    settings.database.kind === "postgres"
      ? { kind: "postgres", connectionString: settings.database.connectionString }
      : { kind: "pglite", directory: settings.database.directory },
  chains: Object.fromEntries(
    settings.chains.map((chain) => [chain.name, { id: chain.chainId, rpc: chain.rpcUrl }]),
  ),
  contracts: {
    AIServiceAMM: {
      abi: aiServiceAmmAbi,
      chain: Object.fromEntries(
        settings.chains.map((chain) => [chain.name, { address: chain.amm, startBlock: chain.startBlock }]),
      ),
    },
  },
});
