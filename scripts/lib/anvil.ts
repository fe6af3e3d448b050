import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { anvilBin } from "./foundry.js";

export type AnvilOptions = {
  chainId?: number;
  /** Seconds between blocks (interval mining, as Ponder's Foundry guide advises); omit for auto-mining. */
  blockTime?: number;
  port?: number;
  accounts?: number;
};

export type Anvil = {
  rpcUrl: string;
  port: number;
  chainId: number;
  process: ChildProcess;
  stop: () => Promise<void>;
};

/** A port nobody listens on right now, chosen by the kernel. */
export async function freePort(): Promise<number> {
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

/** The block time of each interval-mined anvil this process started, by RPC URL (see `deployProtocol`). */
export const intervalMiningSeconds = new Map<string, number>();

/** Starts a real anvil on a free port and resolves once it answers JSON-RPC. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const port = options.port ?? (await freePort());
  const chainId = options.chainId ?? 31337;
  const args = ["--port", String(port), "--chain-id", String(chainId), "--silent"];
  args.push("--accounts", String(options.accounts ?? 20));
  // Roomy blocks: the deploy script's ~70 transactions need 42 M gas in all.
  args.push("--gas-limit", "100000000");
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  const child = spawn(anvilBin, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  const rpcUrl = `http://127.0.0.1:${port}`;
  if (options.blockTime !== undefined) intervalMiningSeconds.set(rpcUrl, options.blockTime);

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${stderr.trim()}`);
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not answer on ${rpcUrl} within 20 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  return { rpcUrl, port, chainId, process: child, stop };
}
