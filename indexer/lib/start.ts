import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { repoRoot } from "./settings";

export type StartIndexerOptions = {
  /** Chains to index; each needs `deployments/<chainId>.json` (or in `deploymentsDir`). */
  chainIds: readonly number[];
  /** JSON-RPC URL per chain id. */
  rpcUrls: Readonly<Record<number, string>>;
  /** Database schema for Ponder's tables (`ponder start --schema`); use a unique one per run. */
  schema: string;
  /** HTTP port; a free one if omitted. */
  port?: number;
  /** PGlite directory. If neither this nor `databaseUrl` is given, a temporary one is made and removed on stop. */
  pgliteDir?: string;
  /** PostgreSQL connection string; takes precedence over PGlite. */
  databaseUrl?: string;
  /** Where the deployments files are (absolute, or relative to the repo root). */
  deploymentsDir?: string;
  /**
   * With PostgreSQL: first delete these chains' rows from Ponder's shared RPC cache (schema `ponder_sync`).
   * Default true, because this harness serves throwaway anvil chains: a new anvil with the same chain id and
   * the same deterministic addresses would otherwise be indexed from the previous chain's cached logs (Ponder
   * 0.16 keeps them even with `disableCache`). Set false only for a long-lived chain.
   */
  resetSyncCache?: boolean;
  /** How long to wait for `/ready` (ms). Default 120 000. */
  readyTimeoutMs?: number;
  /** Extra environment for the Ponder process (PONDER_LOG_LEVEL, …). */
  env?: Record<string, string>;
};

export type Indexer = {
  /** Base URL of the indexer's HTTP server, e.g. `http://127.0.0.1:42069`. */
  url: string;
  port: number;
  schema: string;
  process: ChildProcess;
  /** The last ~64 KB of Ponder's stdout and stderr, for diagnostics. */
  logs: () => string;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 10 s); removes the temporary PGlite directory. */
  stop: (timeoutMs?: number) => Promise<void>;
};

/** Ponder exits 75 for a retryable error and 1 for a fatal one. */
export class IndexerStartError extends Error {
  override name = "IndexerStartError";
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly logs: string,
  ) {
    super(`${message}\n--- ponder output (tail) ---\n${logs.slice(-8_000)}`);
  }
}

const ponderBin = path.join(repoRoot, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
const indexerRoot = path.join(repoRoot, "indexer");
const LOG_LIMIT = 64 * 1024;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Tables of Ponder's RPC cache keyed by chain id (Ponder 0.16's `ponder_sync` schema). */
const SYNC_TABLES = [
  "logs",
  "blocks",
  "transactions",
  "transaction_receipts",
  "traces",
  "factory_addresses",
  "rpc_request_results",
  "intervals",
];

/** Deletes the chains' rows from Ponder's RPC cache in PostgreSQL, if the cache exists yet. */
export async function clearSyncCache(databaseUrl: string, chainIds: readonly number[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'ponder_sync'",
    );
    const present = new Set(rows.map((row) => row.table_name));
    await client.query("begin");
    for (const table of SYNC_TABLES.filter((t) => present.has(t))) {
      await client.query(`delete from ponder_sync.${table} where chain_id = any($1::bigint[])`, [chainIds]);
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * Starts `ponder start` for the AMM indexer as a child process and resolves once `/ready` answers 200
 * (historical indexing done). Rejects, after stopping the process, if Ponder exits or is not ready in time.
 */
export async function startIndexer(options: StartIndexerOptions): Promise<Indexer> {
  if (options.chainIds.length === 0) throw new Error("startIndexer: chainIds is empty");
  if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,44}$/.test(options.schema)) {
    throw new Error(
      `startIndexer: schema must be a SQL identifier of at most 45 characters, got "${options.schema}"`,
    );
  }
  if (options.databaseUrl !== undefined && options.resetSyncCache !== false) {
    await clearSyncCache(options.databaseUrl, options.chainIds);
  }
  const port = options.port ?? (await freePort());
  const tempDir =
    options.databaseUrl === undefined && options.pgliteDir === undefined
      ? await mkdtemp(path.join(os.tmpdir(), "aitbc-indexer-pglite-"))
      : undefined;

  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing inherited may redirect this run to another database or chain set.
  for (const key of Object.keys(env)) {
    if (key.startsWith("PONDER_RPC_URL_") || key === "DATABASE_PRIVATE_URL") delete env[key];
  }
  delete env.DATABASE_URL;
  delete env.DATABASE_SCHEMA;
  delete env.PORT;
  Object.assign(env, {
    PONDER_TELEMETRY_DISABLED: "true",
    PONDER_CHAIN_IDS: options.chainIds.join(","),
    ...Object.fromEntries(
      options.chainIds.map((id) => {
        const url = options.rpcUrls[id];
        if (!url) throw new Error(`startIndexer: no rpcUrls entry for chain ${id}`);
        return [`PONDER_RPC_URL_${id}`, url];
      }),
    ),
    ...(options.databaseUrl !== undefined
      ? { DATABASE_URL: options.databaseUrl }
      : { PONDER_PGLITE_DIR: options.pgliteDir ?? tempDir! }),
    ...(options.deploymentsDir !== undefined ? { DEPLOYMENTS_DIR: options.deploymentsDir } : {}),
    ...options.env,
  });

  const child = spawn(
    process.execPath,
    [ponderBin, "start", "--root", indexerRoot, "--schema", options.schema, "--port", String(port)],
    { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > LOG_LIMIT * 2) output = output.slice(-LOG_LIMIT);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;

  const stop = async (timeoutMs = 10_000) => {
    if (running()) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs))]);
      if (running()) {
        child.kill("SIGKILL");
        await exited;
      }
    }
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (!running()) {
      await stop();
      throw new IndexerStartError(
        `ponder exited with ${child.exitCode ?? child.signalCode} before it was ready`,
        child.exitCode,
        output,
      );
    }
    try {
      const response = await fetch(`${url}/ready`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new IndexerStartError(
        `ponder was not ready within ${options.readyTimeoutMs ?? 120_000} ms`,
        null,
        output,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return { url, port, schema: options.schema, process: child, logs: () => output, stop };
}
