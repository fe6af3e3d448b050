import { spawn, type ChildProcess } from "node:child_process";
import { repoRoot } from "./foundry.js";

export type ManagedProcess = {
  child: ChildProcess;
  /** Everything the process printed so far (bounded), for reports and failure messages. */
  output: () => string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code (null if killed). */
  stop: (timeoutMs?: number) => Promise<number | null>;
  /** SIGKILL at once, as a crash would. */
  kill: () => Promise<void>;
  exited: Promise<number | null>;
};

const OUTPUT_LIMIT = 256 * 1024;

/** Runs a TypeScript entry point under tsx with extra environment, from the repository root. */
export function startTsProcess(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): ManagedProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => output,
    exited,
    stop: async (timeoutMs = 10_000) => {
      if (!running()) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => running() && child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: async () => {
      if (!running()) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
