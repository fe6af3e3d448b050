import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseGwei, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiServiceAmmAbi } from "../../../generated/abis.js";
import { createLogger } from "../log.js";
import { openStore, type Store } from "../store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../testing/chain.js";
import { LogWatcher, type WatchedLog } from "../watch.js";
import { TxManager } from "./sender.js";
import { ammFeeOf, setFeeRequest, testTxManager, type TestTxManagerOptions } from "../testing/tx.js";

// Real anvil, real deploy script, real SQLite file: the transaction layer end to end.
const chainId = 31340;
const keeperKey = anvilKeys[1];
const keeper = privateKeyToAccount(keeperKey).address;

let chain: TestChain;
let amm: Address;
let pools: bigint[];
const dir = mkdtempSync(path.join(tmpdir(), "keeper-tx-"));
const logLines: string[] = [];
const log = createLogger({ keeper: "test", level: "debug", write: (l) => logLines.push(l) });

// Stuck after two blocks here, unless a test says otherwise.
const manager = (store: Store, options: TestTxManagerOptions = {}) =>
  testTxManager(chain, keeperKey, store, log, {
    ...options,
    policy: { stuckBlocks: 2, waitSeconds: 60, ...options.policy },
  });
const setFee = (intentId: string, poolId: bigint, fee: number) => setFeeRequest(amm, intentId, poolId, fee);
const feeOf = (poolId: bigint) => ammFeeOf(chain, amm, poolId);
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });

beforeAll(async () => {
  chain = await startTestChain(chainId, { FEE_KEEPER: keeper, MIN_FEE_INTERVAL: "0" });
  amm = chain.deployment.contracts.AIServiceAMM;
  pools = await chain.createPools(4);
});

afterAll(async () => {
  await chain?.stop();
});

describe("TxManager against anvil", () => {
  it("simulates, stores the signed tx before broadcasting, sends, and waits for the receipt", async () => {
    const store = openStore(path.join(dir, "write.sqlite"));
    const events: string[] = [];
    const nonceBefore = await nonceOf();
    const { tx, metrics } = manager(store, {
      hooks: {
        async onStored({ hash }) {
          // On disk, not yet on chain.
          expect(store.getIntent("t:write")!.attempts[0]!.hash).toBe(hash);
          expect(await chain.client.getTransactionCount({ address: keeper, blockTag: "pending" })).toBe(
            nonceBefore,
          );
          events.push("stored");
        },
        onBroadcast: () => void events.push("broadcast"),
      },
    });
    const block = await chain.client.getBlockNumber();
    const outcome = await tx.send(setFee("t:write", pools[0]!, 3_500));

    expect(outcome).toMatchObject({ status: "mined", attempts: 1, resumed: false, nonce: nonceBefore });
    expect(events).toEqual(["stored", "broadcast"]);
    const receipt = await chain.client.getTransactionReceipt({ hash: outcome.hash! });
    expect(receipt.status).toBe("success");
    expect(await feeOf(pools[0]!)).toBe(3_500);
    expect(await chain.txsFrom(keeper, block + 1n)).toEqual([outcome.hash]);

    const stored = store.getIntent("t:write")!;
    expect(stored.intent).toMatchObject({ status: "mined", minedHash: outcome.hash, nonce: nonceBefore });
    expect(stored.attempts[0]).toMatchObject({ status: "mined", hash: outcome.hash, attempt: 1 });
    expect(stored.attempts[0]!.rawTx).toMatch(/^0x02/);
    expect(await metrics.registry.getSingleMetricAsString("keeper_tx_mined_total")).toMatch(/ 1$/m);
    store.close();
  });

  it("never sends an intent again once it is mined, whatever the caller asks", async () => {
    const store = openStore(path.join(dir, "write.sqlite"));
    const { tx } = manager(store);
    const nonce = await nonceOf();
    const outcome = await tx.send(setFee("t:write", pools[0]!, 4_000));
    expect(outcome).toMatchObject({ status: "mined", resumed: true });
    expect(await nonceOf()).toBe(nonce);
    expect(await feeOf(pools[0]!)).toBe(3_500);
    store.close();
  });

  it("does not sign or store a write whose simulation reverts", async () => {
    const store = openStore(path.join(dir, "revert.sqlite"));
    const { tx, metrics } = manager(store);
    const nonce = await nonceOf();
    const outcome = await tx.send(setFee("t:revert", pools[1]!, 9_000)); // step 6 000 > maxStep 1 000
    expect(outcome.status).toBe("simulation-failed");
    expect(outcome.reason).toContain("FeeStepTooLarge");
    expect(store.getIntent("t:revert")).toBeUndefined();
    expect(await nonceOf()).toBe(nonce);
    expect(await metrics.registry.getSingleMetricAsString("keeper_tx_failed_total")).toContain(
      'stage="simulate"',
    );
    store.close();
  });

  it("in dry-run mode simulates and logs, and never signs or sends", async () => {
    const store = openStore(path.join(dir, "dry.sqlite"));
    const { tx } = manager(store, { dryRun: true });
    const nonce = await nonceOf();
    expect(await tx.send(setFee("t:dry", pools[1]!, 3_100))).toMatchObject({ status: "dry-run" });
    expect(store.getIntent("t:dry")).toBeUndefined();
    expect(await nonceOf()).toBe(nonce);
    expect(logLines.some((l) => l.includes("dry run: simulation passed"))).toBe(true);
    store.close();
  });

  it("replaces a stuck transaction with the same nonce and ≥ 12.5 % higher fees, and it mines once", async () => {
    const store = openStore(path.join(dir, "stuck.sqlite"));
    const { tx, metrics } = manager(store);
    const nonce = await nonceOf();
    const start = await chain.client.getBlockNumber();
    await chain.rpc("evm_setAutomine", [false]);
    try {
      const sending = tx.send(setFee("t:stuck", pools[2]!, 3_700));
      // Wait until the first attempt is in the node's pool, then price it out: the base fee jumps far above
      // its fee cap, so blocks are mined without it.
      await until(() => store.getIntent("t:stuck")?.attempts[0]?.status === "broadcast");
      const first = store.getIntent("t:stuck")!.attempts[0]!;
      await chain.rpc("anvil_setNextBlockBaseFeePerGas", ["0x" + parseGwei("100").toString(16)]);
      let done = false;
      void sending.finally(() => (done = true));
      while (!done) {
        await chain.rpc("evm_mine");
        await new Promise((r) => setTimeout(r, 150));
      }
      const outcome = await sending;

      expect(outcome.status).toBe("mined");
      const { intent, attempts } = store.getIntent("t:stuck")!;
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts.every((a) => a.nonce === nonce)).toBe(true);
      for (let i = 1; i < attempts.length; i++) {
        const [a, b] = [attempts[i - 1]!, attempts[i]!];
        expect(BigInt(b.maxFeePerGas) * 1000n).toBeGreaterThanOrEqual(BigInt(a.maxFeePerGas) * 1125n);
        expect(BigInt(b.maxPriorityFeePerGas) * 1000n).toBeGreaterThanOrEqual(
          BigInt(a.maxPriorityFeePerGas) * 1125n,
        );
      }
      expect(attempts[0]!.hash).toBe(first.hash);
      expect(attempts[0]!.status).toBe("replaced");
      expect(intent.minedHash).toBe(attempts.at(-1)!.hash);
      expect(attempts.at(-1)!.status).toBe("mined");
      // Exactly one transaction of the keeper's landed, and the nonce moved by one.
      expect(await chain.txsFrom(keeper, start + 1n)).toEqual([intent.minedHash]);
      expect(await nonceOf()).toBe(nonce + 1);
      expect(await feeOf(pools[2]!)).toBe(3_700);
      expect(await metrics.registry.getSingleMetricAsString("keeper_tx_replaced_total")).toMatch(
        new RegExp(` ${attempts.length - 1}$`, "m"),
      );
    } finally {
      await chain.rpc("evm_setAutomine", [true]);
    }
    store.close();
  });

  it("a new process resumes a pending intent from the store instead of creating one", async () => {
    const file = path.join(dir, "resume.sqlite");
    const nonce = await nonceOf();
    const start = await chain.client.getBlockNumber();
    await chain.rpc("evm_setAutomine", [false]);
    try {
      // First "process": stores and broadcasts, then is stopped before the transaction mines.
      const first = openStore(file);
      const a = manager(first, { policy: { stuckSeconds: 600, stuckBlocks: 100 } });
      const sending = a.tx.send(setFee("t:resume", pools[3]!, 3_300));
      await until(() => first.getIntent("t:resume")?.attempts[0]?.status === "broadcast");
      a.tx.stop();
      expect((await sending).status).toBe("pending");

      // Meanwhile the node loses it (mempool eviction, node restart).
      const signed = first.getIntent("t:resume")!.attempts[0]!;
      first.close();
      await chain.rpc("anvil_dropTransaction", [signed.hash]);
      expect(await chain.client.getTransactionCount({ address: keeper, blockTag: "pending" })).toBe(nonce);

      // Second "process": same file, asked for a different fee under the same id — it rebroadcasts the
      // stored signed transaction rather than creating a new one.
      const second = openStore(file);
      const b = manager(second);
      const resuming = b.tx.send(setFee("t:resume", pools[3]!, 3_900));
      await until(
        async () =>
          (await chain.client.getTransactionCount({ address: keeper, blockTag: "pending" })) > nonce,
      );
      await chain.rpc("evm_mine");
      const outcome = await resuming;
      expect(outcome).toMatchObject({ status: "mined", resumed: true, attempts: 1, hash: signed.hash });
      expect(await feeOf(pools[3]!)).toBe(3_300);
      expect(await chain.txsFrom(keeper, start + 1n)).toHaveLength(1);
      expect(await nonceOf()).toBe(nonce + 1);
      second.close();
    } finally {
      await chain.rpc("evm_setAutomine", [true]);
    }
  });

  it("watches logs once each, across restarts, from a cursor in the store", async () => {
    const file = path.join(dir, "watch.sqlite");
    const seen: WatchedLog[] = [];
    const make = (store: Store) =>
      new LogWatcher({
        source: "fee-updated",
        client: chain.client,
        store,
        log,
        address: amm,
        abi: aiServiceAmmAbi,
        eventName: "FeeUpdated",
        fromBlock: BigInt(chain.deployment.startBlock),
        chunkSize: 5n,
        onLogs: (logs) => void seen.push(...logs),
      });
    let store = openStore(file);
    await make(store).catchUp(await chain.client.getBlockNumber());
    // Three fee changes so far: t:write, t:stuck, t:resume.
    expect(seen.map((l) => [l.args.poolId, l.args.newFee])).toEqual([
      [pools[0], 3_500],
      [pools[2], 3_700],
      [pools[3], 3_300],
    ]);
    store.close();

    // Restart: nothing is handled twice, even when the cursor is lost and the range is read again.
    store = openStore(file);
    store.sqlite.exec("DELETE FROM cursors");
    const watcher = make(store);
    watcher.start(); // viem block watching drives catch-up
    await until(async () => watcher.cursor >= (await chain.client.getBlockNumber()));
    expect(seen).toHaveLength(3);

    // A new event arrives while watching.
    const { tx } = manager(store);
    await tx.send(setFee("t:watched", pools[1]!, 3_200));
    await until(() => seen.length === 4);
    expect(seen[3]!.args).toMatchObject({ poolId: pools[1], newFee: 3_200, updatedBy: keeper });
    await watcher.stop();
    store.close();
  });

  it("uses the write's own gas limit, unestimated, when it names one", async () => {
    const store = openStore(path.join(dir, "gas.sqlite"));
    const { tx } = manager(store);
    const outcome = await tx.send({ ...setFee("t:gas", pools[0]!, 3_600), gas: 123_456n });
    expect(outcome.status).toBe("mined");
    expect((await chain.client.getTransaction({ hash: outcome.hash! })).gas).toBe(123_456n);
    expect(store.getIntent("t:gas")!.intent.gas).toBe("123456");
    store.close();
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
