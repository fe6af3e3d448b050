import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../testing/chain.js";
import { ammFeeOf } from "../testing/tx.js";

// A real keeper process (the fixture), really SIGKILLed at the worst moments, then started again.
const chainId = 31341;
const keeperKey = anvilKeys[2];
const keeper = privateKeyToAccount(keeperKey).address;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const fixture = path.join(repoRoot, "keepers/lib/testing/send-intent.ts");

let chain: TestChain;
let amm: Address;
let pools: bigint[];
const dir = mkdtempSync(path.join(tmpdir(), "keeper-crash-"));

type LogLine = { msg: string; intentId?: string; [key: string]: unknown };

type Run = {
  child: ChildProcess;
  /** The fixture's protocol lines on stdout (STORED, BROADCAST, OUTCOME). */
  lines: string[];
  /** The transaction layer's log lines (JSON on stderr). */
  logs: LogLine[];
  waitFor(prefix: string): Promise<string>;
  /** Resolves with the first log line whose `msg` is `msg` (already printed or still to come). */
  waitForLog(msg: string): Promise<LogLine>;
  exit: Promise<number | null>;
};

function start(
  db: string,
  poolId: bigint,
  fee: number,
  intentId: string,
  hangAt?: "stored" | "broadcast",
): Run {
  const arg = {
    rpcUrl: chain.anvil.rpcUrl,
    chainId,
    privateKey: keeperKey,
    db,
    amm,
    poolId: String(poolId),
    fee,
    intentId,
    hangAt,
  };
  // node with tsx's loader, not the tsx launcher: the launcher runs the script in a child process that a
  // SIGKILL of the launcher would leave running.
  const child = spawn(process.execPath, ["--import", "tsx", fixture, JSON.stringify(arg)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const logs: LogLine[] = [];
  const waiters: { prefix: string; resolve(line: string): void }[] = [];
  const logWaiters: { msg: string; resolve(line: LogLine): void }[] = [];
  let stderr = "";
  const onLines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let buffer = "";
    stream.on("data", (d) => {
      buffer += d;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        onLine(line);
      }
    });
  };
  onLines(child.stdout!, (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => line.startsWith(w.prefix))) w.resolve(line);
  });
  onLines(child.stderr!, (line) => {
    stderr += line + "\n";
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      return; // not one of the logger's lines
    }
    logs.push(parsed);
    for (const w of logWaiters.filter((w) => parsed.msg === w.msg)) w.resolve(parsed);
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const exitedBefore = (what: string) => (code: number | null) =>
    new Error(`fixture exited ${code} before ${what}:\n${stderr.slice(-3000)}`);
  return {
    child,
    lines,
    logs,
    exit,
    waitFor: (prefix) =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found) return resolve(found);
        waiters.push({ prefix, resolve });
        void exit.then((code) => reject(exitedBefore(prefix)(code)));
      }),
    waitForLog: (msg) =>
      new Promise((resolve, reject) => {
        const found = logs.find((l) => l.msg === msg);
        if (found) return resolve(found);
        logWaiters.push({ msg, resolve });
        void exit.then((code) => reject(exitedBefore(`log "${msg}"`)(code)));
      }),
  };
}

async function kill9(run: Run): Promise<void> {
  run.child.kill("SIGKILL");
  await run.exit;
  expect(run.child.signalCode).toBe("SIGKILL");
}

const outcomeOf = async (run: Run) =>
  JSON.parse((await run.waitFor("OUTCOME ")).slice(8)) as Record<string, unknown>;
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const feeOf = (poolId: bigint) => ammFeeOf(chain, amm, poolId);

beforeAll(async () => {
  chain = await startTestChain(chainId, { FEE_KEEPER: keeper, MIN_FEE_INTERVAL: "0" });
  amm = chain.deployment.contracts.AIServiceAMM;
  pools = await chain.createPools(3);
});

afterAll(async () => {
  await chain?.stop();
});

describe("transaction layer across SIGKILL", () => {
  it("killed after storing the signed tx, before broadcasting: the restart sends that tx, once", async () => {
    const db = path.join(dir, "before.sqlite");
    const nonce = await nonceOf();
    const start0 = await chain.client.getBlockNumber();

    const first = start(db, pools[0]!, 3_400, "crash:before", "stored");
    const stored = (await first.waitFor("STORED ")).slice(7) as Hex;
    await kill9(first);
    expect(first.lines.some((l) => l.startsWith("BROADCAST"))).toBe(false);
    expect(await chain.client.getTransactionCount({ address: keeper, blockTag: "pending" })).toBe(nonce);

    // Restart, even asking for another fee under the same intent id.
    const second = start(db, pools[0]!, 3_900, "crash:before");
    const outcome = await outcomeOf(second);
    expect(await second.exit).toBe(0);
    expect(outcome).toMatchObject({ status: "mined", hash: stored, resumed: true, attempts: 1 });
    expect(outcome.resumedAtStart).toBe(1);
    expect(await chain.txsFrom(keeper, start0 + 1n)).toEqual([stored]);
    expect(await nonceOf()).toBe(nonce + 1);
    expect(await feeOf(pools[0]!)).toBe(3_400);
  });

  it("killed after broadcasting, before the receipt: the restart waits for that tx and sends nothing", async () => {
    const db = path.join(dir, "after.sqlite");
    const nonce = await nonceOf();
    const start0 = await chain.client.getBlockNumber();
    await chain.rpc("evm_setAutomine", [false]);
    try {
      const first = start(db, pools[1]!, 3_600, "crash:after", "broadcast");
      const sent = (await first.waitFor("BROADCAST ")).slice(10) as Hex;
      await kill9(first);
      expect(openStore(db).getIntent("crash:after")!.intent.status).toBe("pending");

      const second = start(db, pools[1]!, 2_500, "crash:after");
      // The restarted process says when it has resumed the stored intent (broadcast it again) and is
      // waiting for its receipt: only then is "nothing new signed" a statement about it.
      const waiting = await second.waitForLog("waiting for a receipt");
      expect(waiting).toMatchObject({ intentId: "crash:after", hash: sent, attempts: 1 });
      const resumed = second.logs.findIndex((l) => l.msg === "resuming pending intent");
      expect(resumed).toBeGreaterThanOrEqual(0);
      expect(resumed).toBeLessThan(second.logs.indexOf(waiting));
      expect(second.lines.filter((l) => l.startsWith("STORED"))).toEqual([]);
      await chain.rpc("evm_mine");
      const outcome = await outcomeOf(second);
      expect(outcome).toMatchObject({ status: "mined", hash: sent, attempts: 1 });
      expect(await chain.txsFrom(keeper, start0 + 1n)).toEqual([sent]);
      expect(await nonceOf()).toBe(nonce + 1);
      expect(await feeOf(pools[1]!)).toBe(3_600);
    } finally {
      await chain.rpc("evm_setAutomine", [true]);
    }
  });

  it("killed after the tx mined but before it was recorded: the restart records it and sends nothing", async () => {
    const db = path.join(dir, "mined.sqlite");
    const nonce = await nonceOf();
    const start0 = await chain.client.getBlockNumber();
    const first = start(db, pools[2]!, 3_200, "crash:mined", "broadcast"); // automine: mined on broadcast
    const sent = (await first.waitFor("BROADCAST ")).slice(10) as Hex;
    await kill9(first);
    expect(await nonceOf()).toBe(nonce + 1);

    for (let restart = 0; restart < 2; restart++) {
      const again = start(db, pools[2]!, 3_900, "crash:mined");
      const outcome = await outcomeOf(again);
      expect(outcome).toMatchObject({ status: "mined", hash: sent });
      expect(again.lines.filter((l) => l.startsWith("STORED") || l.startsWith("BROADCAST"))).toEqual([]);
    }
    expect(await chain.txsFrom(keeper, start0 + 1n)).toEqual([sent]);
    expect(await nonceOf()).toBe(nonce + 1);
    expect(await feeOf(pools[2]!)).toBe(3_200);
  });
});
