import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  encodeFunctionData,
  http,
  parseEther,
  parseGwei,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { aiServiceAmmAbi } from "../../../generated/abis.js";
import { startAnvil } from "../../../scripts/lib/anvil.js";
import { type ChainClients } from "../clients.js";
import { createLogger } from "../log.js";
import { openStore, type Store } from "../store/store.js";
import { anvilKeys, startTestChain, type TestChain } from "../testing/chain.js";
import { TxManager } from "./sender.js";
import { ammFeeOf, setFeeRequest, testTxManager, type TestTxManagerOptions } from "../testing/tx.js";

// How the transaction layer recovers when things go wrong: a transaction that reverts on chain, a node that
// refuses a transaction for good, a nonce taken by someone else, a node that says "nonce too low" while the
// chain says otherwise, a dry run over a store holding pending intents. Real anvil, real deployment, real
// SQLite files; failures are produced by real chain state (balances, governance calls, competing
// transactions), never by faking an answer.
const chainId = 31342;
const keeperKey = anvilKeys[1];
const keeperAccount = privateKeyToAccount(keeperKey);
const keeper = keeperAccount.address;

let chain: TestChain;
let amm: Address;
let pools: bigint[];
const dir = mkdtempSync(path.join(tmpdir(), "keeper-recovery-"));
const logLines: string[] = [];
const log = createLogger({ keeper: "test", level: "debug", write: (l) => logLines.push(l) });

const manager = (store: Store, options: TestTxManagerOptions = {}) =>
  testTxManager(chain, keeperKey, store, log, options).tx;
const setFee = (intentId: string, poolId: bigint, fee: number) => setFeeRequest(amm, intentId, poolId, fee);
const setFeeData = (poolId: bigint, fee: number) =>
  encodeFunctionData({ abi: aiServiceAmmAbi, functionName: "setFee", args: [poolId, fee] });

const feeOf = (poolId: bigint) => ammFeeOf(chain, amm, poolId);
const nonceOf = () => chain.client.getTransactionCount({ address: keeper });
const pendingNonceOf = () => chain.client.getTransactionCount({ address: keeper, blockTag: "pending" });
const setBalance = (wei: bigint) => chain.rpc("anvil_setBalance", [keeper, toHex(wei)]);
const dbFile = (name: string) => path.join(dir, `${name}.sqlite`);

beforeAll(async () => {
  // The deployer stays admin (not the timelock) so the test can move fee bounds without a governance vote.
  chain = await startTestChain(chainId, {
    FEE_KEEPER: keeper,
    MIN_FEE_INTERVAL: "0",
    ADMIN: privateKeyToAccount(anvilKeys[0]).address,
  });
  amm = chain.deployment.contracts.AIServiceAMM;
  pools = await chain.createPools(6);
});

afterEach(async () => {
  // Whatever a test did to the chain, the next one starts from a clean node: automining, an empty pool, a
  // funded keeper and a low base fee.
  await chain.rpc("evm_setAutomine", [true]);
  await chain.rpc("anvil_dropAllTransactions");
  await setBalance(parseEther("10000"));
  await chain.rpc("anvil_setNextBlockBaseFeePerGas", [toHex(parseGwei("1"))]);
  await chain.rpc("evm_mine");
});

afterAll(async () => {
  await chain?.stop();
});

describe("transaction layer recovery", () => {
  it("sends a reverted intent again once a fresh simulation passes (new attempt series); a mined one never", async () => {
    const store = openStore(dbFile("reverted"));
    const tx = manager(store);
    const pool = pools[0]!;
    const admin = createWalletClient({
      account: privateKeyToAccount(anvilKeys[0]),
      transport: http(chain.anvil.rpcUrl),
    });
    const setMaxFee = (maxFee: number) =>
      admin.writeContract({
        chain: null,
        address: amm,
        abi: aiServiceAmmAbi,
        functionName: "setFeeBounds",
        args: [pool, { minFee: 500, maxFee, maxStep: 1_000, minInterval: 0 }],
        maxPriorityFeePerGas: parseGwei("50"),
        maxFeePerGas: parseGwei("100"),
      });
    const nonce = await nonceOf();

    // The keeper's setFee(3 500) is in the node's pool when governance lowers the pool's maxFee to 3 200 in
    // the same block, ordered first (higher tip): the keeper's transaction mines and reverts.
    await chain.rpc("evm_setAutomine", [false]);
    const first = tx.send(setFee("again:reverted", pool, 3_500));
    await until(() => store.getIntent("again:reverted")?.attempts[0]?.status === "broadcast");
    const narrowed = await setMaxFee(3_200);
    await chain.rpc("evm_mine");
    await chain.rpc("evm_setAutomine", [true]);
    expect(await first).toMatchObject({ status: "reverted", nonce, attempts: 1 });
    expect((await chain.client.getTransactionReceipt({ hash: narrowed })).status).toBe("success");
    expect(await feeOf(pool)).toBe(3_000);
    expect(await nonceOf()).toBe(nonce + 1);

    // The same id later (the fee keeper's id does not change: the revert left lastFeeUpdate alone). While the
    // cause holds, the fresh simulation fails and nothing is signed.
    const blocked = await tx.send(setFee("again:reverted", pool, 3_500));
    expect(blocked).toMatchObject({ status: "simulation-failed" });
    expect(blocked.reason).toContain("FeeOutOfBounds");
    expect(store.getIntent("again:reverted")!.attempts).toHaveLength(1);
    expect(store.getIntent("again:reverted")!.intent.status).toBe("reverted");
    expect(await nonceOf()).toBe(nonce + 1);

    // Governance widens the bounds again: the same id acts again, as a new series with a new nonce.
    await chain.client.waitForTransactionReceipt({ hash: await setMaxFee(10_000) });
    const again = await tx.send(setFee("again:reverted", pool, 3_500));
    expect(again).toMatchObject({ status: "mined", nonce: nonce + 1, attempts: 2, resumed: false });
    expect(await feeOf(pool)).toBe(3_500);
    const { intent, attempts } = store.getIntent("again:reverted")!;
    expect(intent).toMatchObject({ status: "mined", minedHash: again.hash, nonce: nonce + 1, error: null });
    expect(attempts.map((a) => [a.attempt, a.nonce, a.status])).toEqual([
      [1, nonce, "mined"], // the reverted transaction
      [2, nonce + 1, "mined"],
    ]);

    // Mined: never sent again, whatever the caller asks.
    expect(await tx.send(setFee("again:reverted", pool, 4_000))).toMatchObject({
      status: "mined",
      resumed: true,
      hash: again.hash,
    });
    expect(await nonceOf()).toBe(nonce + 2);
    expect(await feeOf(pool)).toBe(3_500);
    store.close();
  });

  it("reuses the nonce of an intent that failed behind a later one, so the later one can mine", async () => {
    const store = openStore(dbFile("gap"));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tx = manager(store, {
      policy: { waitSeconds: 10 },
      hooks: {
        async onStored({ intentId }) {
          if (intentId === "gap:a") await held; // A is signed and stored, not broadcast yet
        },
      },
    });
    const nonce = await nonceOf();

    const a = tx.send(setFee("gap:a", pools[1]!, 3_100));
    await until(() => store.getIntent("gap:a") !== undefined);
    const b = tx.send(setFee("gap:b", pools[2]!, 3_100));
    await until(() => store.getIntent("gap:b")?.attempts[0]?.status === "broadcast");
    expect(store.getIntent("gap:b")!.intent.nonce).toBe(nonce + 1);
    expect(await pendingNonceOf()).toBe(nonce); // B waits in the node's queue behind the gap at A's nonce

    // A's broadcast is then refused for good (no funds for its gas): A fails, its nonce is free again.
    await setBalance(1n);
    release();
    expect(await a).toMatchObject({ status: "failed", nonce });
    await setBalance(parseEther("10000"));

    // The next write takes A's nonce, which lets B mine too.
    const c = await tx.send(setFee("gap:c", pools[3]!, 3_100));
    expect(c).toMatchObject({ status: "mined", nonce });
    await chain.rpc("evm_mine"); // in case the node left B for the next block
    expect(await b).toMatchObject({ status: "mined", nonce: nonce + 1 });
    expect(await nonceOf()).toBe(nonce + 2);
    expect([await feeOf(pools[1]!), await feeOf(pools[2]!), await feeOf(pools[3]!)]).toEqual([
      3_000, 3_100, 3_100,
    ]);
    store.close();
  });

  it("sends a failed intent again with its new call: a replacement carries the new data, not the old", async () => {
    const store = openStore(dbFile("again-data"));
    const pool = pools[4]!;
    const tx = manager(store, {
      policy: { stuckBlocks: 2 },
      hooks: {
        async onStored({ attempt }) {
          if (attempt === 1) await setBalance(1n); // the first series is refused: no funds for gas
        },
      },
    });
    const nonce = await nonceOf();
    const failed = await tx.send(setFee("again:data", pool, 3_200));
    expect(failed).toMatchObject({ status: "failed", nonce });
    expect(failed.reason).toMatch(/insufficient funds/i);
    await setBalance(parseEther("10000"));

    // Sent again under the same id with another fee; its first attempt gets stuck (priced out by a base-fee
    // jump) and is replaced.
    await chain.rpc("evm_setAutomine", [false]);
    const sending = tx.send(setFee("again:data", pool, 3_300));
    await until(() => store.getIntent("again:data")?.attempts[1]?.status === "broadcast");
    await chain.rpc("anvil_setNextBlockBaseFeePerGas", [toHex(parseGwei("100"))]);
    let done = false;
    void sending.finally(() => (done = true));
    while (!done) {
      await chain.rpc("evm_mine");
      await new Promise((r) => setTimeout(r, 150));
    }
    const outcome = await sending;

    expect(outcome).toMatchObject({ status: "mined", nonce });
    const { intent, attempts } = store.getIntent("again:data")!;
    expect(intent).toMatchObject({
      data: setFeeData(pool, 3_300),
      label: `setFee(${pool}, 3300)`,
      minedHash: outcome.hash,
    });
    expect(attempts[0]).toMatchObject({ attempt: 1, status: "dead" });
    expect(attempts.length).toBeGreaterThanOrEqual(3); // the new series' first attempt was replaced
    expect(attempts.at(-1)).toMatchObject({ hash: outcome.hash, status: "mined" });
    expect((await chain.client.getTransaction({ hash: outcome.hash! })).input).toBe(setFeeData(pool, 3_300));
    expect(await feeOf(pool)).toBe(3_300);
    store.close();
  });

  it("fails a re-sent intent whose new attempt is refused, whatever the old series' attempts did", async () => {
    const store = openStore(dbFile("again-dead"));
    const pool = pools[5]!;
    let drainAt = 0;
    const tx = manager(store, {
      policy: { waitSeconds: 8 },
      hooks: {
        async onStored({ attempt }) {
          if (attempt === drainAt) await setBalance(1n);
        },
      },
    });
    const nonce = await nonceOf();

    // First series: broadcast, then another transaction of the same key takes its nonce.
    await chain.rpc("evm_setAutomine", [false]);
    const first = tx.send(setFee("again:dead", pool, 3_200));
    await until(() => store.getIntent("again:dead")?.attempts[0]?.status === "broadcast");
    const other = createWalletClient({ account: keeperAccount, transport: http(chain.anvil.rpcUrl) });
    await other.sendTransaction({
      chain: null,
      to: keeper,
      value: 0n,
      nonce,
      gas: 21_000n,
      maxFeePerGas: parseGwei("200"),
      maxPriorityFeePerGas: parseGwei("100"),
    });
    await chain.rpc("evm_mine");
    await chain.rpc("evm_setAutomine", [true]);
    expect(await first).toMatchObject({ status: "failed", nonce });
    expect(store.getIntent("again:dead")!.attempts[0]!.status).toBe("broadcast");

    // Second series: refused by the node (no funds). Its old attempt (other nonce, dead) cannot mine any
    // more, so nothing can: the intent fails at once instead of waiting for the old one.
    drainAt = 2;
    const started = Date.now();
    const again = await tx.send(setFee("again:dead", pool, 3_200));
    expect(again).toMatchObject({ status: "failed", nonce: nonce + 1 });
    expect(again.reason).toMatch(/insufficient funds/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(store.getIntent("again:dead")!.attempts.map((a) => [a.nonce, a.status])).toEqual([
      [nonce, "dead"],
      [nonce + 1, "rejected"],
    ]);
    expect(await nonceOf()).toBe(nonce + 1);
    store.close();
  });

  it("settles an intent by the receipt of an attempt the node had refused", async () => {
    const store = openStore(dbFile("refused-mined"));
    const pool = pools[5]!;
    const tx = manager(store, {
      policy: { stuckSeconds: 1, maxAttempts: 2 },
      hooks: {
        async onStored({ attempt }) {
          if (attempt === 2) await setBalance(1n); // the node refuses the replacement: no funds for gas
        },
      },
    });
    const nonce = await nonceOf();
    await chain.rpc("evm_setAutomine", [false]);
    const sending = tx.send(setFee("refused:mined", pool, 3_100));
    await until(() => store.getIntent("refused:mined")?.attempts[1]?.status === "rejected");
    const [first, second] = store.getIntent("refused:mined")!.attempts;
    expect(first).toMatchObject({ status: "replaced", nonce });
    expect(second!.error).toMatch(/insufficient funds/i);

    // The refused replacement reaches the chain anyway (another node had it, or this one takes it later).
    await setBalance(parseEther("10000"));
    await chain.client.sendRawTransaction({ serializedTransaction: second!.rawTx as Hex });
    await chain.rpc("evm_mine");
    const outcome = await sending;
    expect(outcome).toMatchObject({ status: "mined", hash: second!.hash, nonce });
    expect(store.getIntent("refused:mined")!.intent).toMatchObject({
      status: "mined",
      minedHash: second!.hash,
    });
    expect(await feeOf(pool)).toBe(3_100);
    store.close();
  });

  it("in dry-run mode never broadcasts an intent a previous run left pending: it reports it", async () => {
    const file = dbFile("dry-pending");
    const nonce = await nonceOf();
    await chain.rpc("evm_setAutomine", [false]);
    // A real run stores and broadcasts, then stops before the transaction mines; the node loses it.
    const first = openStore(file);
    const live = manager(first);
    const sending = live.send(setFee("dry:pending", pools[1]!, 3_200));
    await until(() => first.getIntent("dry:pending")?.attempts[0]?.status === "broadcast");
    live.stop();
    expect((await sending).status).toBe("pending");
    const signed = first.getIntent("dry:pending")!.attempts[0]!;
    first.close();
    await chain.rpc("anvil_dropTransaction", [signed.hash]);
    expect(await pendingNonceOf()).toBe(nonce);

    // A dry run over the same store: it reports the stored intent, and signs and sends nothing.
    const second = openStore(file);
    const dry = manager(second, { dryRun: true, policy: { waitSeconds: 3 } });
    const resumed = await dry.resumePending();
    expect(resumed).toEqual([
      expect.objectContaining({ intentId: "dry:pending", status: "pending", hash: signed.hash, attempts: 1 }),
    ]);
    expect(await dry.send(setFee("dry:pending", pools[1]!, 3_200))).toMatchObject({
      status: "pending",
      hash: signed.hash,
      resumed: true,
    });
    expect(await pendingNonceOf()).toBe(nonce);
    expect(second.getIntent("dry:pending")!.attempts).toEqual([signed]);
    expect(logLines.some((l) => l.includes("dry run: not resuming"))).toBe(true);
    second.close();
  });

  it("backs off on 'nonce too low' from a node ahead of the chain it reads, and returns at its deadline", async () => {
    // A load-balanced endpoint whose nodes disagree: transactions go to a node that has already counted five
    // more transactions of the keeper (so it answers "nonce too low"), reads to the node that has not.
    const ahead = await startAnvil({ chainId });
    const store = openStore(dbFile("nonce-low"));
    let tx: TxManager | undefined;
    let sending: Promise<unknown> | undefined;
    try {
      const nonce = await nonceOf();
      const aheadClient = createPublicClient({ transport: http(ahead.rpcUrl) });
      await aheadClient.request({
        method: "anvil_setNonce" as "eth_chainId",
        params: [keeper, toHex(nonce + 5)] as never,
      });
      let broadcasts = 0;
      const transport = custom({
        async request({ method, params }) {
          if (method === "eth_sendRawTransaction") {
            broadcasts++;
            return aheadClient.request({ method, params } as never);
          }
          return chain.client.request({ method, params } as never);
        },
      });
      const viemChain = defineChain({
        id: chainId,
        name: "split",
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [chain.anvil.rpcUrl] } },
      });
      const clients: ChainClients = {
        chain: viemChain,
        account: keeperAccount,
        publicClient: createPublicClient({ chain: viemChain, transport, pollingInterval: 100 }),
        walletClient: createWalletClient({ chain: viemChain, transport, account: keeperAccount }),
      };
      tx = manager(store, { clients, policy: { waitSeconds: 2 } });

      const started = Date.now();
      sending = tx.send(setFee("nonce:low", pools[1]!, 3_100));
      const settled = await Promise.race([
        sending,
        new Promise<"still looping">((r) => setTimeout(() => r("still looping"), 10_000)),
      ]);
      expect(settled).toMatchObject({ status: "pending", nonce });
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      // One broadcast per (backed-off) poll, not thousands in a tight loop.
      expect(broadcasts).toBeGreaterThanOrEqual(2);
      expect(broadcasts).toBeLessThanOrEqual(25);
      expect(logLines.some((l) => l.includes("nonce already used on chain"))).toBe(true);
      expect(await nonceOf()).toBe(nonce);
    } finally {
      tx?.stop();
      await sending?.catch(() => undefined);
      store.close();
      await ahead.stop();
    }
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
