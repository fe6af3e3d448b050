import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getAddress, type Address } from "viem";

/** Repository root (the indexer lives in `<root>/indexer`). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** One chain the indexer follows: where to reach it and where the AMM lives on it. */
export type IndexedChain = {
  chainId: number;
  /** Ponder's name for the chain (`chain<id>`), as shown by `/status`. */
  name: string;
  rpcUrl: string;
  amm: Address;
  startBlock: number;
  deploymentFile: string;
};

export type IndexerDatabase =
  { kind: "pglite"; directory: string } | { kind: "postgres"; connectionString: string };

export type IndexerSettings = { chains: IndexedChain[]; database: IndexerDatabase };

/** A setting is missing or wrong; the message names the variable or file. */
export class IndexerConfigError extends Error {
  override name = "IndexerConfigError";
}

/** Ponder's chain name for a chain id. */
export const chainName = (chainId: number) => `chain${chainId}`;

/**
 * Reads the indexer's settings from the environment, once, at config load:
 * - `PONDER_CHAIN_IDS`: comma-separated chain ids (default `31337`);
 * - `PONDER_RPC_URL_<chainId>`: each chain's JSON-RPC URL (required);
 * - `DEPLOYMENTS_DIR`: where `<chainId>.json` files are (default `<repo>/deployments`; relative to the repo root);
 * - `DATABASE_URL`: PostgreSQL if set, else PGlite in `PONDER_PGLITE_DIR` (default `indexer/.ponder/pglite`).
 * Addresses and start blocks come only from the deploy script's `deployments/<chainId>.json`.
 */
export function readIndexerSettings(env: NodeJS.ProcessEnv = process.env): IndexerSettings {
  const idsText = (env.PONDER_CHAIN_IDS ?? "31337").trim();
  const ids = idsText.split(",").map((part) => part.trim());
  if (ids.length === 0 || ids.some((id) => !/^[1-9][0-9]{0,15}$/.test(id))) {
    throw new IndexerConfigError(`PONDER_CHAIN_IDS must be comma-separated chain ids, got "${idsText}"`);
  }
  const chainIds = ids.map(Number);
  if (new Set(chainIds).size !== chainIds.length) {
    throw new IndexerConfigError(`PONDER_CHAIN_IDS lists a chain twice: "${idsText}"`);
  }

  const deploymentsDir = path.resolve(repoRoot, env.DEPLOYMENTS_DIR ?? "deployments");
  const chains = chainIds.map((chainId): IndexedChain => {
    const rpcVar = `PONDER_RPC_URL_${chainId}`;
    const rpcUrl = env[rpcVar]?.trim();
    if (!rpcUrl) throw new IndexerConfigError(`${rpcVar} is not set (the JSON-RPC URL of chain ${chainId})`);
    if (!/^(https?|wss?):\/\//.test(rpcUrl)) {
      throw new IndexerConfigError(`${rpcVar} must be an http(s) or ws(s) URL, got "${rpcUrl}"`);
    }
    const deploymentFile = path.join(deploymentsDir, `${chainId}.json`);
    const { amm, startBlock } = readDeployment(deploymentFile, chainId);
    return { chainId, name: chainName(chainId), rpcUrl, amm, startBlock, deploymentFile };
  });

  const databaseUrl = env.DATABASE_URL?.trim();
  const database: IndexerDatabase = databaseUrl
    ? { kind: "postgres", connectionString: databaseUrl }
    : {
        kind: "pglite",
        directory: path.resolve(repoRoot, env.PONDER_PGLITE_DIR ?? path.join("indexer", ".ponder", "pglite")),
      };
  return { chains, database };
}

function readDeployment(file: string, chainId: number): { amm: Address; startBlock: number } {
  if (!existsSync(file)) {
    throw new IndexerConfigError(
      `deployments file ${file} is missing for chain ${chainId}: run script/Deploy.s.sol against that chain ` +
        `(or set DEPLOYMENTS_DIR)`,
    );
  }
  let json: { chainId?: unknown; startBlock?: unknown; contracts?: { AIServiceAMM?: unknown } };
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new IndexerConfigError(`deployments file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (json.chainId !== undefined && Number(json.chainId) !== chainId) {
    throw new IndexerConfigError(
      `deployments file ${file} says chainId ${json.chainId}, expected ${chainId}`,
    );
  }
  const startBlock = Number(json.startBlock);
  if (!Number.isSafeInteger(startBlock) || startBlock < 0) {
    throw new IndexerConfigError(`deployments file ${file} has no valid startBlock`);
  }
  const amm = json.contracts?.AIServiceAMM;
  if (typeof amm !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(amm)) {
    throw new IndexerConfigError(`deployments file ${file} has no valid contracts.AIServiceAMM address`);
  }
  return { amm: getAddress(amm), startBlock };
}
