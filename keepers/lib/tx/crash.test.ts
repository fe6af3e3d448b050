import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiServiceAmmAbi } from "../../../generated/abis.js";
import { openStore } from "../store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../testing/chain.js";

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

type Run = {
  child: ChildProcess;
  lines: string[];
  waitFor(prefix: string): Promise<string>;
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
  const waiters: { prefix: string; resolve(line: string): void }[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  child.stdout!.on("data", (d) => {
    buffer += d;
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => line.startsWith(w.prefix))) w.resolve(line);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exit,
    waitFor: (prefix) =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found) return resolve(found);
        waiters.push({ prefix, resolve });
        void exit.then((code) =>
          reject(new Error(`fixture exited ${code} before ${prefix}:\n${stderr.slice(-3000)}`)),
        );
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
const feeOf = async (poolId: bigint) =>
  (
    await chain.client.readContract({
      address: amm,
      abi: aiServiceAmmAbi,
      functionName: "getPool",
      args: [poolId],
    })
  ).fee;

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
      await new Promise((r) => setTimeout(r, 1_500)); // the restarted process is waiting for a receipt
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
