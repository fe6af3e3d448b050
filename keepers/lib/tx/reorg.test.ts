import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createWalletClient, http, parseGwei, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import { openStore, type Store } from "../store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../testing/chain.js";
import { ammFeeOf, setFeeRequest, testTxManager, type TestTxManagerOptions } from "../testing/tx.js";

// Reorgs, made by anvil itself (`anvil_reorg`: the last `depth` blocks replaced by new ones holding the given
// transactions): a mined intent whose block is replaced is not done any more. Real anvil, real deployment, real
// SQLite files.
const chainId = 31343;
const keeperKey = anvilKeys[1];
const keeper = privateKeyToAccount(keeperKey).address;

let chain: TestChain;
let amm: Address;
let pools: bigint[];
const dir = mkdtempSync(path.join(tmpdir(), "keeper-reorg-"));
const logLines: string[] = [];
const log = createLogger({ keeper: "test", level: "debug", write: (l) => logLines.push(l) });

const manager = (store: Store, options: TestTxManagerOptions = {}) =>
  testTxManager(chain, keeperKey, store, log, options);
const setFee = (intentId: string, poolId: bigint, fee: number) => setFeeRequest(amm, intentId, poolId, fee);
const feeOf = (poolId: bigint) => ammFeeOf(chain, amm, poolId);
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const head = async () => (await chain.client.getBlock({ blockTag: "latest" })).number;
/** Replaces the blocks from `fromBlock` to the head with as many new ones (holding `txs`: [raw tx, block index]). */
const reorgFrom = async (fromBlock: number, txs: [string, number][] = []) =>
  chain.rpc("anvil_reorg", [Number(await head()) - fromBlock + 1, txs]);
const canonicalHash = async (blockNumber: number) =>
  (await chain.client.getBlock({ blockNumber: BigInt(blockNumber) })).hash;

beforeAll(async () => {
  chain = await startTestChain(chainId, { FEE_KEEPER: keeper, MIN_FEE_INTERVAL: "0" });
  amm = chain.deployment.contracts.AIServiceAMM;
  pools = await chain.createPools(5); // one per write: a pool's fee moves at most once a second
});

afterAll(async () => {
  await chain?.stop();
});

describe("transaction layer under reorgs", () => {
  it("sends an intent a reorg orphaned again, with its stored signed transaction, and calls it mined only once it is back on chain", async () => {
    const store = openStore(path.join(dir, "rebroadcast.sqlite"));
    const { tx, metrics } = manager(store);
    const nonce = await nonceOf();
    const first = await tx.send(setFee("r:orphan", pools[0]!, 3_500));
    expect(first.status).toBe("mined");
    const mined = store.getIntent("r:orphan")!.intent;
    expect(mined.minedBlockHash).toBe(await canonicalHash(mined.minedBlock!));

    await chain.rpc("evm_mine");
    await reorgFrom(mined.minedBlock!);
    // The reorg undid the write: the fee and the nonce are back where they were.
    expect(await feeOf(pools[0]!)).toBe(3_000);
    expect(await nonceOf()).toBe(nonce);

    const again = await tx.send(setFee("r:orphan", pools[0]!, 3_500));
    expect(again).toMatchObject({ status: "mined", resumed: true, hash: first.hash, nonce });
    expect(await feeOf(pools[0]!)).toBe(3_500);
    expect(await nonceOf()).toBe(nonce + 1);
    const { intent, attempts } = store.getIntent("r:orphan")!;
    expect(intent).toMatchObject({ status: "mined", minedHash: first.hash, orphanedAt: null });
    expect(intent.minedBlockHash).toBe(await canonicalHash(intent.minedBlock!));
    expect(intent.minedBlockHash).not.toBe(mined.minedBlockHash);
    expect(attempts.map((a) => [a.hash, a.status])).toEqual([[first.hash, "mined"]]);
    expect(await metrics.registry.getSingleMetricAsString("keeper_tx_orphaned_total")).toMatch(/ 1$/m);

    // Now on the canonical chain: asked again, it is not sent again.
    expect(await tx.send(setFee("r:orphan", pools[0]!, 3_500))).toMatchObject({ status: "mined" });
    expect(await nonceOf()).toBe(nonce + 1);
    store.close();
  });

  it("re-signs an orphaned intent under the same id when the new chain gave its nonce to another transaction", async () => {
    const store = openStore(path.join(dir, "resign.sqlite"));
    const { tx } = manager(store);
    const nonce = await nonceOf();
    const first = await tx.send(setFee("r:taken", pools[1]!, 3_600));
    expect(first).toMatchObject({ status: "mined", nonce });
    const mined = store.getIntent("r:taken")!.intent;

    // The new chain holds another transaction of the keeper's account with that nonce (another instance with
    // the same key, say): the stored signed transaction can never mine.
    const other = await createWalletClient({
      account: privateKeyToAccount(keeperKey),
      transport: http(chain.anvil.rpcUrl),
    }).signTransaction({
      chain: null,
      to: keeper,
      value: 0n,
      nonce,
      gas: 21_000n,
      maxFeePerGas: parseGwei("10"),
      maxPriorityFeePerGas: parseGwei("1"),
      chainId,
      type: "eip1559",
    } as never);
    await reorgFrom(mined.minedBlock!, [[other, 0]]);
    expect(await feeOf(pools[1]!)).toBe(3_000);
    expect(await nonceOf()).toBe(nonce + 1);

    // The next run finds it (no `send` with its id needed) and drives it back on chain.
    const outcomes = await tx.resumePending();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ intentId: "r:taken", status: "mined", nonce: nonce + 1 });
    expect(outcomes[0]!.hash).not.toBe(first.hash);
    expect(await feeOf(pools[1]!)).toBe(3_600);
    expect(await nonceOf()).toBe(nonce + 2);
    const { intent, attempts } = store.getIntent("r:taken")!;
    expect(intent).toMatchObject({ status: "mined", nonce: nonce + 1, orphanedAt: null });
    expect(attempts.map((a) => [a.nonce, a.status])).toEqual([
      [nonce, "dead"],
      [nonce + 1, "mined"],
    ]);
    expect(logLines.some((l) => l.includes("re-signed under the same id"))).toBe(true);
    store.close();
  });

  it("keeps an orphaned intent's nonce for it: a new intent sent before the next check does not take it", async () => {
    const store = openStore(path.join(dir, "held.sqlite"));
    const { tx } = manager(store);
    const nonce = await nonceOf();
    const first = await tx.send(setFee("r:held", pools[2]!, 3_700));
    const mined = store.getIntent("r:held")!.intent;
    await reorgFrom(mined.minedBlock!);
    expect(await nonceOf()).toBe(nonce);

    // A new write first: it must not take the orphan's nonce (which would strand the orphan), so it waits behind
    // it until the orphan is broadcast again.
    const sending = tx.send(setFee("r:after", pools[3]!, 3_400));
    await until(() => store.getIntent("r:after") !== undefined);
    expect(store.getIntent("r:after")!.intent.nonce).toBe(nonce + 1);
    const [resumed] = await tx.resumePending();
    expect(resumed).toMatchObject({ intentId: "r:held", status: "mined", hash: first.hash, nonce });
    expect(await sending).toMatchObject({ status: "mined", nonce: nonce + 1 });
    expect(await feeOf(pools[2]!)).toBe(3_700);
    expect(await feeOf(pools[3]!)).toBe(3_400);
    store.close();
  });

  it("in dry-run mode marks an orphaned intent pending and orphaned, and sends nothing", async () => {
    const file = path.join(dir, "dry.sqlite");
    let store = openStore(file);
    const nonce = await nonceOf();
    await manager(store).tx.send(setFee("r:dry", pools[4]!, 3_800));
    const mined = store.getIntent("r:dry")!.intent;
    store.close();
    await reorgFrom(mined.minedBlock!);

    store = openStore(file);
    const { tx } = manager(store, { dryRun: true });
    const before = Date.now();
    expect(await tx.resumePending()).toMatchObject([{ intentId: "r:dry", status: "pending" }]);
    expect(await nonceOf()).toBe(nonce);
    const { intent } = store.getIntent("r:dry")!;
    expect(intent.status).toBe("pending");
    expect(intent.orphanedAt).toBeGreaterThanOrEqual(before);
    expect(store.orphanedBefore(Date.now()).map((i) => i.id)).toEqual(["r:dry"]);
    store.close();

    // A real run then sends it again; nothing is orphaned any more.
    store = openStore(file);
    expect(await manager(store).tx.resumePending()).toMatchObject([{ intentId: "r:dry", status: "mined" }]);
    expect(await feeOf(pools[4]!)).toBe(3_800);
    expect(store.orphanedBefore(Date.now())).toEqual([]);
    store.close();
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
