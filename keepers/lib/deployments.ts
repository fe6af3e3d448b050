import { readFileSync } from "node:fs";
import path from "node:path";
import { getAddress, isAddress, type Address } from "viem";
import { ConfigError } from "./errors.js";

/** `deployments/<chainId>.json` as `script/Deploy.s.sol` writes it: the only source of addresses. */
export type Deployment = {
  chainId: number;
  startBlock: number;
  contracts: {
    AccessManager: Address;
    AITBC: Address;
    AIServiceAMM: Address;
    GPUH: Address;
    LLMT: Address;
    STOR: Address;
    AIPowerYieldFarm: Address;
    AgentReputation: Address;
    TimelockController: Address;
    AgentGovernance: Address;
    CrossChainBridge: Address;
    ComputePriceOracle: Address;
    VolatilityFeed: Address;
    AgentPortfolioManager: Address;
    MultiAgentCoordinator: Address;
    OracleOptionPriceSource: Address;
    AIPowerDerivatives: Address;
  };
};

const contractNames = [
  "AccessManager",
  "AITBC",
  "AIServiceAMM",
  "GPUH",
  "LLMT",
  "STOR",
  "AIPowerYieldFarm",
  "AgentReputation",
  "TimelockController",
  "AgentGovernance",
  "CrossChainBridge",
  "ComputePriceOracle",
  "VolatilityFeed",
  "AgentPortfolioManager",
  "MultiAgentCoordinator",
  "OracleOptionPriceSource",
  "AIPowerDerivatives",
] as const;

/** Reads and checks the deployment of `chainId` under `dir`; a missing or wrong file is a config error. */
export function readDeployment(dir: string, chainId: number): Deployment {
  const file = path.resolve(dir, `${chainId}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "not JSON";
    throw new ConfigError(
      "DEPLOYMENTS_DIR",
      `cannot read the deployment of chain ${chainId} at ${file} (${reason})`,
    );
  }
  const d = raw as Partial<Deployment>;
  if (d.chainId !== chainId)
    throw new ConfigError(
      "DEPLOYMENTS_DIR",
      `${file} is for chain ${String(d.chainId)}, not CHAIN_ID ${chainId}`,
    );
  if (typeof d.startBlock !== "number")
    throw new ConfigError("DEPLOYMENTS_DIR", `${file}: startBlock missing or not a number`);
  const contracts = {} as Record<(typeof contractNames)[number], Address>;
  for (const name of contractNames) {
    const address = (d.contracts as Record<string, unknown> | undefined)?.[name];
    if (typeof address !== "string" || !isAddress(address))
      throw new ConfigError("DEPLOYMENTS_DIR", `${file}: contracts.${name} missing or not an address`);
    contracts[name] = getAddress(address);
  }
  return { chainId, startBlock: d.startBlock, contracts };
}
