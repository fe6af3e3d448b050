/**
 * The bridge relayer in process against two real anvil chains (31432, 31433) deployed by the real deploy script
 * and connected by script/ConnectBridge.s.sol, with the five local validators (threshold 3). The test plays the
 * validators: it signs real EIP-712 attestations with their keys and POSTs them to the relayer's HTTP API.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createPublicClient,
  createWalletClient,
  erc20Abi,
  http,
  parseEventLogs,
  parseUnits,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aitbcAbi, crossChainBridgeAbi } from "../../generated/abis.js";
import { startAnvil, type Anvil } from "../../scripts/lib/anvil.js";
import {
  connectBridges,
  deployProtocol,
  deploymentPath,
  localValidatorKeys,
  readBridgeLinks,
  type Deployment,
} from "../../scripts/lib/deploy.js";
import { anvilKeys } from "../../scripts/lib/foundry.js";
import { localChain } from "../../scripts/lib/scenario.js";
import {
  attestationToJson,
  attestationTypedData,
  bridgeRequestId,
  orderSignatures,
  type AttestationKind,
  type BridgeRequest,
} from "../lib/bridge.js";
import { openStore } from "../lib/store/store.js";
import { loadBridgeRelayerConfig } from "./config.js";
import { startBridgeRelayer, type RunningBridgeRelayer } from "./main.js";
import { OnChainStatus } from "./relayer.js";

const A = 31432;
const B = 31433;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "bridge-relayer-"));
const dbPath = path.join(dir, "relayer.sqlite");
const deployer = privateKeyToAccount(anvilKeys[0]);
const agent = privateKeyToAccount(anvilKeys[1]);
const relayerKey = anvilKeys[3];
const relayerAddress = privateKeyToAccount(relayerKey).address;
const outsiderKey = anvilKeys[4];
const validators = localValidatorKeys.map((key) => ({ key, address: privateKeyToAccount(key).address }));

let anvils: Anvil[] = [];
const d: Record<number, Deployment> = {};
const pub: Record<number, PublicClient> = {};
let running: RunningBridgeRelayer | undefined;
const logs: string[] = [];

const wallet = (chainId: number, key: Hex) =>
  createWalletClient({
    chain: localChain(chainId, anvils[chainId === A ? 0 : 1]!.rpcUrl),
    account: privateKeyToAccount(key),
    transport: http(anvils[chainId === A ? 0 : 1]!.rpcUrl),
  });

async function send(chainId: number, key: Hex, call: Record<string, unknown>) {
  const hash = await wallet(chainId, key).writeContract(call as never);
  const receipt = await pub[chainId]!.waitForTransactionReceipt({ hash });
  expect(receipt.status, String(call.functionName)).toBe("success");
  return receipt;
}

const bridgeRead = (chainId: number, functionName: string, args: readonly unknown[] = []) =>
  pub[chainId]!.readContract({
    address: d[chainId]!.contracts.CrossChainBridge,
    abi: crossChainBridgeAbi,
    functionName,
    args,
  } as never) as Promise<any>;

/** The agent sends `amount` AITBC from A to itself on B; returns the request as emitted. */
async function initiate(amount: bigint): Promise<BridgeRequest> {
  const receipt = await send(A, anvilKeys[1], {
    address: d[A]!.contracts.CrossChainBridge,
    abi: crossChainBridgeAbi,
    functionName: "initiateBridge",
    args: [d[A]!.contracts.AITBC, amount, BigInt(B), agent.address],
  });
  const [event] = parseEventLogs({
    abi: crossChainBridgeAbi,
    logs: receipt.logs,
    eventName: "BridgeInitiated",
  });
  return event!.args.request as BridgeRequest;
}

/** A validator's attestation, signed for real, as JSON. */
async function attest(
  kind: AttestationKind,
  request: BridgeRequest,
  key: Hex,
  version?: bigint,
  signedAs?: AttestationKind,
) {
  const verifying = kind === "completion" ? B : A;
  const v = version ?? ((await bridgeRead(verifying, "validatorSetVersion")) as bigint);
  const account = privateKeyToAccount(key);
  const signature = await account.signTypedData(attestationTypedData(signedAs ?? kind, request, v) as never);
  return attestationToJson({
    kind,
    requestId: bridgeRequestId(request),
    request,
    validatorSetVersion: v,
    signer: account.address,
    signature,
  });
}

async function post(body: unknown, raw?: string) {
  const r = await fetch(`${running!.url}/attestations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as any };
}

const getJson = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as any };
};

const env = (over: Record<string, string> = {}) => ({
  CHAINS: `${A}=${anvils[0]!.rpcUrl},${B}=${anvils[1]!.rpcUrl}`,
  PRIVATE_KEY: relayerKey,
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  DB_PATH: dbPath,
  HTTP_PORT: "0",
  SCHEDULE: "0 0 1 1 *", // runs are driven by the tests
  LOG_LEVEL: process.env.RELAYER_TEST_LOGS ? "info" : "warn", // RELAYER_TEST_LOGS=1 prints the logs
  POLLING_INTERVAL_MS: "100",
  TX_WAIT_SECONDS: "20",
  ...over,
});
const start = (over: Record<string, string> = {}, options: Parameters<typeof startBridgeRelayer>[1] = {}) =>
  startBridgeRelayer(loadBridgeRelayerConfig({ env: env(over) }), {
    runAtStart: false,
    writeLog: (line) => void logs.push(line),
    ...options,
  });
const restart = async (
  over: Record<string, string> = {},
  options: Parameters<typeof startBridgeRelayer>[1] = {},
) => {
  await running?.stop();
  running = await start(over, options);
};
const nonceOn = (chainId: number) => pub[chainId]!.getTransactionCount({ address: relayerAddress });
const representation = () => readBridgeLinks(B, A).AITBC as Address;
const balance = (chainId: number, token: Address, who: Address) =>
  pub[chainId]!.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [who] });
const stored = (id: Hex) => running!.requests.get(id)!;
/** Transactions sent by the relayer's key on a chain since `fromBlock`. */
async function relayerTxs(chainId: number, fromBlock: bigint) {
  const latest = await pub[chainId]!.getBlockNumber();
  const out: Hex[] = [];
  for (let b = fromBlock; b <= latest; b++) {
    const block = await pub[chainId]!.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions)
      if (tx.from.toLowerCase() === relayerAddress.toLowerCase()) out.push(tx.hash);
  }
  return out;
}

beforeAll(async () => {
  anvils = await Promise.all([startAnvil({ chainId: A }), startAnvil({ chainId: B })]);
  const deployEnv = { ADMIN: deployer.address };
  [d[A], d[B]] = await Promise.all([
    deployProtocol(anvils[0]!.rpcUrl, deployEnv),
    deployProtocol(anvils[1]!.rpcUrl, deployEnv),
  ]);
  await connectBridges({ rpcUrl: anvils[0]!.rpcUrl, chainId: A }, { rpcUrl: anvils[1]!.rpcUrl, chainId: B });
  for (const [i, chainId] of [A, B].entries())
    pub[chainId] = createPublicClient({
      chain: localChain(chainId, anvils[i]!.rpcUrl),
      transport: http(anvils[i]!.rpcUrl),
      pollingInterval: 100,
    }) as PublicClient;
  const total = parseUnits("10000", 18);
  await send(A, anvilKeys[0], {
    address: d[A]!.contracts.AITBC,
    abi: aitbcAbi,
    functionName: "mint",
    args: [agent.address, total],
  });
  await send(A, anvilKeys[1], {
    address: d[A]!.contracts.AITBC,
    abi: aitbcAbi,
    functionName: "approve",
    args: [d[A]!.contracts.CrossChainBridge, total],
  });
  running = await start();
});

afterAll(async () => {
  if (process.env.RELAYER_TEST_LOGS) console.log(logs.join("\n"));
  await running?.stop();
  await Promise.all(anvils.map((a) => a.stop()));
  for (const file of [
    deploymentPath(A),
    deploymentPath(B),
    path.join(repoRoot, "deployments", "bridge", `${A}-${B}.json`),
    path.join(repoRoot, "deployments", "bridge", `${B}-${A}.json`),
  ])
    rmSync(file, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

let first: BridgeRequest;

describe("bridge relayer", () => {
  it("completes a transfer A → B once 3 of 5 validators have attested, and not before", async () => {
    first = await initiate(parseUnits("250", 18));
    const id = bridgeRequestId(first);
    const nonceB = await nonceOn(B);
    const before = await balance(B, representation(), agent.address);

    for (const [i, v] of validators.slice(0, 2).entries()) {
      const r = await post(await attest("completion", first, v.key));
      expect(r).toMatchObject({
        status: 200,
        body: { accepted: true, new: true, signatures: i + 1, threshold: 3 },
      });
    }
    await running!.relayer.settled();
    expect(await nonceOn(B)).toBe(nonceB);
    expect(stored(id).status).toBe("pending");

    const third = await post(await attest("completion", first, validators[2]!.key));
    expect(third).toMatchObject({ status: 200, body: { accepted: true, signatures: 3, threshold: 3 } });
    await running!.relayer.settled();
    expect(stored(id)).toMatchObject({ status: "completed", kind: "completion", settledBy: "relayer" });
    expect(await bridgeRead(B, "requestStatus", [id])).toBe(OnChainStatus.Completed);
    expect(await balance(B, representation(), agent.address)).toBe(before + first.amount);
    expect(await nonceOn(B)).toBe(nonceB + 1);

    const one = await getJson(`${running!.url}/requests/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      requestId: id,
      status: "completed",
      settledBy: "relayer",
      request: { amount: first.amount.toString(), srcChainId: String(A), dstChainId: String(B) },
      tx: { intentId: `bridge:completion:${id}`, status: "mined" },
      attestations: [{ kind: "completion", validatorSetVersion: "1" }],
    });
    expect(one.body.attestations[0].signers).toHaveLength(3);
    const list = await getJson(`${running!.url}/requests?status=completed`);
    expect(list.body.requests.map((r: { requestId: string }) => r.requestId)).toEqual([id]);
    expect((await getJson(`${running!.url}/requests?status=pending`)).body.requests).toEqual([]);
    expect((await getJson(`${running!.url}/requests?status=nope`)).status).toBe(400);
    expect((await getJson(`${running!.url}/requests/0x${"00".repeat(32)}`)).status).toBe(404);

    // Repeats and late signatures are accepted and change nothing; nothing is sent again.
    const repeat = await post(await attest("completion", first, validators[0]!.key));
    expect(repeat).toMatchObject({ status: 200, body: { accepted: true, new: false, signatures: 3 } });
    const late = await post(await attest("completion", first, validators[3]!.key));
    expect(late).toMatchObject({ status: 200, body: { accepted: true, new: true, signatures: 4 } });
    await running!.relayer.settled();
    await running!.tick();
    expect(await nonceOn(B)).toBe(nonceB + 1);
    const metrics = await (await fetch(`${running!.url}/metrics`)).text();
    expect(metrics).toMatch(
      /bridge_relayer_settled_total\{status="completed",by="relayer",keeper="bridge-relayer"\} 1/,
    );
    expect(metrics).toMatch(/keeper_tx_mined_total\{keeper="bridge-relayer"\} 1/);
  });

  it("refuses bad signatures, outsiders, stale versions, unknown requests (422) and malformed bodies (400)", async () => {
    const good = await attest("completion", first, validators[4]!.key);
    const reasonOf = async (body: unknown) => {
      const r = await post(body);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      return r.body.reason;
    };
    // signed by validator 4, claimed by validator 3
    expect(await reasonOf({ ...good, signer: validators[3]!.address })).toBe("signature-mismatch");
    // a refund claim carrying a completion signature
    expect(await reasonOf(await attest("refund", first, validators[4]!.key, 1n, "completion"))).toBe(
      "signature-mismatch",
    );
    // garbage signature bytes
    expect(["bad-signature", "signature-mismatch"]).toContain(
      await reasonOf({ ...good, signature: `0x${"11".repeat(65)}` }),
    );
    expect(await reasonOf(await attest("completion", first, outsiderKey))).toBe("not-a-validator");
    expect(await reasonOf(await attest("completion", first, validators[4]!.key, 2n))).toBe("stale-version");
    expect(await reasonOf(await attest("completion", { ...first, nonce: 999n }, validators[4]!.key))).toBe(
      "unknown-request",
    );
    expect(await reasonOf({ ...good, requestId: `0x${"ab".repeat(32)}` })).toBe("request-id-mismatch");
    expect(await reasonOf(await attest("completion", { ...first, srcChainId: 1n }, validators[4]!.key))).toBe(
      "unknown-chain",
    );

    const bad = async (body: unknown, field: string, raw?: string) => {
      const r = await post(body, raw);
      expect(r.status).toBe(400);
      expect(r.body.field).toBe(field);
      expect(r.body.error).toContain(field);
    };
    await bad({}, "kind");
    await bad({ ...good, request: { ...good.request, amount: "1.5" } }, "request.amount");
    await bad({ ...good, signer: "0x1234" }, "signer");
    await bad({ ...good, signature: "0x12" }, "signature");
    await bad(undefined, "body", "{not json");
    // nothing of this reached the store
    expect(running!.requests.attestations(bridgeRequestId(first))).toHaveLength(4);
  });

  it("after a crash between signing and broadcasting, a restart broadcasts the stored completion exactly once", async () => {
    const request = await initiate(parseUnits("100", 18));
    const id = bridgeRequestId(request);
    const fromBlock = (await pub[B]!.getBlockNumber()) + 1n;
    const nonceB = await nonceOn(B);

    // The process "dies" right after the signed transaction reached the store, before any broadcast.
    await restart({}, { hooks: { onStored: () => Promise.reject(new Error("simulated crash")) } });
    for (const v of validators.slice(0, 3))
      expect((await post(await attest("completion", request, v.key))).status).toBe(200);
    await running!.relayer.settled();
    expect(await nonceOn(B)).toBe(nonceB);
    expect(stored(id)).toMatchObject({ status: "submitted", intentId: `bridge:completion:${id}` });
    await running!.stop();
    const db = openStore(dbPath);
    expect(db.getIntent(`bridge:completion:${id}`)?.intent.status).toBe("pending");
    db.close();

    // A new process on the same store resumes the stored transaction; nothing else is sent, then or later.
    running = await start();
    await running.tick();
    expect(stored(id)).toMatchObject({ status: "completed", settledBy: "relayer" });
    expect(await bridgeRead(B, "requestStatus", [id])).toBe(OnChainStatus.Completed);
    await restart();
    await running!.tick();
    expect((await post(await attest("completion", request, validators[3]!.key))).status).toBe(200);
    await running!.relayer.settled();
    expect(await nonceOn(B)).toBe(nonceB + 1);
    const txs = await relayerTxs(B, fromBlock);
    expect(txs).toHaveLength(1);
    expect(txs[0]).toBe(stored(id).txHash);
  });

  it("does not send a bundle the contract would refuse (logged with the error name); sends it once it would pass", async () => {
    const request = await initiate(parseUnits("20", 18));
    const id = bridgeRequestId(request);
    const nonceB = await nonceOn(B);
    const bridgeB = { address: d[B]!.contracts.CrossChainBridge, abi: crossChainBridgeAbi };
    await send(B, anvilKeys[0], { ...bridgeB, functionName: "pause", args: [] });
    const seen = logs.length;
    for (const v of validators.slice(0, 3))
      expect((await post(await attest("completion", request, v.key))).status).toBe(200);
    await running!.relayer.settled();
    expect(stored(id)).toMatchObject({
      status: "pending",
      reason: "not sent: simulation reverts with EnforcedPause",
    });
    const refused = logs
      .slice(seen)
      .map((l) => JSON.parse(l))
      .find((l) => l.msg.startsWith("the contract would refuse"));
    expect(refused).toMatchObject({ level: "warn", requestId: id, error: "EnforcedPause" });
    expect(await nonceOn(B)).toBe(nonceB);

    await send(B, anvilKeys[0], { ...bridgeB, functionName: "unpause", args: [] });
    await running!.tick();
    expect(stored(id)).toMatchObject({ status: "completed", settledBy: "relayer", reason: null });
    expect(await nonceOn(B)).toBe(nonceB + 1);
  });

  it("in dry-run sends nothing; a request someone else relayed is marked done without sending", async () => {
    const request = await initiate(parseUnits("50", 18));
    const id = bridgeRequestId(request);
    const nonces = [await nonceOn(A), await nonceOn(B)];
    await running!.stop();
    running = await start({ DRY_RUN: "true", DB_PATH: path.join(dir, "dry.sqlite") });
    const signed = [];
    for (const v of validators.slice(0, 3)) {
      const a = await attest("completion", request, v.key);
      signed.push(a);
      expect((await post(a)).status).toBe(200);
    }
    await running.relayer.settled();
    await running.tick();
    expect(stored(id)).toMatchObject({
      status: "pending",
      reason: "dry run: completion simulated, not sent",
    });
    expect([await nonceOn(A), await nonceOn(B)]).toEqual(nonces);

    // Someone else submits the bundle; the live relayer then hears the attestations and sends nothing.
    await send(B, outsiderKey, {
      address: d[B]!.contracts.CrossChainBridge,
      abi: crossChainBridgeAbi,
      functionName: "completeBridge",
      args: [request, orderSignatures(signed.map((s) => ({ signer: s.signer, signature: s.signature })))],
    });
    await restart();
    for (const a of signed) expect((await post(a)).status).toBe(200);
    await running!.relayer.settled();
    expect(stored(id)).toMatchObject({ status: "completed", settledBy: "other" });
    expect([await nonceOn(A), await nonceOn(B)]).toEqual(nonces);
  });

  it("past the deadline, sends no completion and refunds the sender once refund attestations arrive", async () => {
    const request = await initiate(parseUnits("75", 18));
    const id = bridgeRequestId(request);
    const nonces = [await nonceOn(A), await nonceOn(B)];
    for (const v of validators.slice(0, 2))
      expect((await post(await attest("completion", request, v.key))).status).toBe(200);
    await running!.relayer.settled();

    // The deadline passes on both chains before a third validator signs.
    const ttl = Number(await bridgeRead(A, "requestTtl"));
    for (const [i, chainId] of [A, B].entries()) {
      await pub[chainId]!.request({ method: "evm_increaseTime" as never, params: [ttl + 60] as never });
      await pub[chainId]!.request({ method: "evm_mine" as never, params: [] as never });
      void i;
    }
    expect((await post(await attest("completion", request, validators[2]!.key))).status).toBe(200);
    await running!.relayer.settled();
    await running!.tick();
    expect(stored(id).status).toBe("pending");
    expect(stored(id).reason).toMatch(/deadline passed.*waiting for refund attestations: 0\/3/);
    expect([await nonceOn(A), await nonceOn(B)]).toEqual(nonces);

    const sender = await balance(A, d[A]!.contracts.AITBC, agent.address);
    for (const [i, v] of validators.slice(2, 5).entries()) {
      const r = await post(await attest("refund", request, v.key));
      expect(r).toMatchObject({ status: 200, body: { kind: "refund", signatures: i + 1, threshold: 3 } });
    }
    await running!.relayer.settled();
    expect(stored(id)).toMatchObject({ status: "refunded", kind: "refund", settledBy: "relayer" });
    expect(await bridgeRead(A, "requestStatus", [id])).toBe(OnChainStatus.Refunded);
    expect(await balance(A, d[A]!.contracts.AITBC, agent.address)).toBe(sender + request.amount);
    expect([await nonceOn(A), await nonceOn(B)]).toEqual([nonces[0]! + 1, nonces[1]]);
    const { body } = await getJson(`${running!.url}/requests/${id}`);
    expect(body).toMatchObject({
      status: "refunded",
      tx: { intentId: `bridge:refund:${id}`, status: "mined" },
    });
    expect(await running!.relayer.deps.requests.open()).toEqual([]);
  });
});
