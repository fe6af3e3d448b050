/**
 * The attester against the real contracts on two real anvil chains (31430, 31431), deployed by the deploy script
 * and connected by ConnectBridge, publishing to test relayers (tiny node http servers that record POSTs): one
 * completion per request, recoverable and equal to the contract's digest; a restart signs nothing new and re-posts
 * only what was not acknowledged; a relayer that was down gets it once up; a refund past the deadline; dry run and
 * a too-near deadline sign nothing; a request that does not exist on chain is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  http as httpTransport,
  parseEventLogs,
  parseUnits,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { aitbcAbi, crossChainBridgeAbi } from "../../generated/abis.js";
import { freePort, startAnvil, type Anvil } from "../../scripts/lib/anvil.js";
import {
  connectBridges,
  deployProtocol,
  localValidatorKeys,
  type Deployment,
} from "../../scripts/lib/deploy.js";
import { anvilKeys, repoRoot } from "../../scripts/lib/foundry.js";
import { localChain } from "../../scripts/lib/scenario.js";
import {
  attestationDigest,
  bridgeRequestId,
  parseAttestation,
  recoverAttester,
  type BridgeRequest,
} from "../lib/bridge.js";
import { runOnce, verifyRequest } from "./attester.js";
import { loadAttesterConfig } from "./config.js";
import { startBridgeAttester, type RunningAttester } from "./main.js";

const CHAIN_A = 31430;
const CHAIN_B = 31431;
const deployer = privateKeyToAccount(anvilKeys[0]);
const agent = privateKeyToAccount(anvilKeys[1]);
const validator = privateKeyToAccount(localValidatorKeys[0]!);
const dir = mkdtempSync(path.join(tmpdir(), "bridge-attester-"));

type Relayer = { url: string; posts: unknown[]; start(): Promise<void>; stop(): Promise<void> };

/** A stand-in relayer: records every `POST /attestations` body, answers 200. */
function testRelayer(port: number): Relayer {
  const posts: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/attestations") {
        posts.push(JSON.parse(body));
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      } else res.writeHead(404).end();
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    start: () => new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve())),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let anvils: Anvil[] = [];
let a: Deployment;
let b: Deployment;
let up: Relayer;
let down: Relayer;
let attester: RunningAttester | undefined;
let request: BridgeRequest;
let requestId: Hex;
const logs: string[] = [];
const writeLog = (line: string) => void logs.push(line);

function chainClients(anvil: Anvil, chainId: number) {
  const chain = localChain(chainId, anvil.rpcUrl);
  return {
    public: createPublicClient({ chain, transport: httpTransport(anvil.rpcUrl) }),
    wallet: (key: Hex) =>
      createWalletClient({
        chain,
        account: privateKeyToAccount(key),
        transport: httpTransport(anvil.rpcUrl),
      }),
    rpc: (method: string, params: unknown[] = []) =>
      createPublicClient({ chain, transport: httpTransport(anvil.rpcUrl) }).request({
        method: method as "eth_chainId",
        params: params as never,
      }),
  };
}
let A: ReturnType<typeof chainClients>;
let B: ReturnType<typeof chainClients>;

const mine = async (c: typeof A, n: number) => {
  for (let i = 0; i < n; i++) await c.rpc("evm_mine");
};

const env = (over: Record<string, string> = {}) => ({
  CHAINS: `${CHAIN_A}=${anvils[0]!.rpcUrl},${CHAIN_B}=${anvils[1]!.rpcUrl}`,
  PRIVATE_KEY: localValidatorKeys[0]!,
  DEPLOYMENTS_DIR: path.join(repoRoot, "deployments"),
  RELAYER_URLS: `${up.url},${down.url}`,
  CONFIRMATIONS: "2",
  DB_PATH: path.join(dir, "validator0.sqlite"),
  HTTP_PORT: "0",
  SCHEDULE: "0 0 1 1 *", // the test drives every tick itself
  RELAYER_RETRY_MS: "20",
  RELAYER_RETRY_MAX_MS: "100",
  POLLING_INTERVAL_MS: "100",
  ...over,
});
const start = (over: Record<string, string> = {}, argv: string[] = []) =>
  startBridgeAttester(loadAttesterConfig({ env: env(over), argv }), {
    runAtStart: false,
    watch: false,
    writeLog,
  });

async function initiate(amount: bigint): Promise<{ request: BridgeRequest; requestId: Hex }> {
  const send = async (key: Hex, call: object) => {
    const hash = await A.wallet(key).writeContract({
      chain: null,
      ...(call as Record<string, unknown>),
    } as never);
    const receipt = await A.public.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    return receipt;
  };
  await send(anvilKeys[0], {
    address: a.contracts.AITBC,
    abi: aitbcAbi,
    functionName: "mint",
    args: [agent.address, amount],
  });
  await send(anvilKeys[1], {
    address: a.contracts.AITBC,
    abi: aitbcAbi,
    functionName: "approve",
    args: [a.contracts.CrossChainBridge, amount],
  });
  const receipt = await send(anvilKeys[1], {
    address: a.contracts.CrossChainBridge,
    abi: crossChainBridgeAbi,
    functionName: "initiateBridge",
    args: [a.contracts.AITBC, amount, BigInt(CHAIN_B), agent.address],
  });
  const [log] = parseEventLogs({
    abi: crossChainBridgeAbi,
    logs: receipt.logs,
    eventName: "BridgeInitiated",
  });
  return { request: log!.args.request as BridgeRequest, requestId: log!.args.requestId };
}

beforeAll(async () => {
  anvils = await Promise.all([startAnvil({ chainId: CHAIN_A }), startAnvil({ chainId: CHAIN_B })]);
  const deployEnv = { ADMIN: deployer.address };
  [a, b] = await Promise.all([
    deployProtocol(anvils[0]!.rpcUrl, deployEnv),
    deployProtocol(anvils[1]!.rpcUrl, deployEnv),
  ]);
  await connectBridges(
    { rpcUrl: anvils[0]!.rpcUrl, chainId: CHAIN_A },
    { rpcUrl: anvils[1]!.rpcUrl, chainId: CHAIN_B },
  );
  A = chainClients(anvils[0]!, CHAIN_A);
  B = chainClients(anvils[1]!, CHAIN_B);
  up = testRelayer(await freePort());
  await up.start();
  down = testRelayer(await freePort()); // not listening until the test says so
});

afterAll(async () => {
  await attester?.stop();
  await Promise.all([up?.stop(), down?.stop().catch(() => undefined)]);
  await Promise.all(anvils.map((anvil) => anvil.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe("bridge attester", () => {
  test("signs one completion once confirmed, stores it before publishing, and delivers it to every relayer", async () => {
    ({ request, requestId } = await initiate(parseUnits("100", 18)));
    attester = await start();
    await runOnce(attester.ctx);
    expect(attester.ctx.records.getRequest(requestId)?.note).toBe("waiting for confirmations");
    expect(attester.ctx.records.signatureCount()).toBe(0);

    await mine(A, 2);
    await runOnce(attester.ctx);
    expect(attester.ctx.records.signatureCount()).toBe(1);
    expect(up.posts).toHaveLength(1);
    const posted = parseAttestation(up.posts[0]);
    expect(posted).toMatchObject({ kind: "completion", requestId, request, signer: validator.address });
    expect(await recoverAttester("completion", request, posted.validatorSetVersion, posted.signature)).toBe(
      validator.address,
    );
    const onChain = await B.public.readContract({
      address: b.contracts.CrossChainBridge,
      abi: crossChainBridgeAbi,
      functionName: "completionDigest",
      args: [request],
    });
    expect(attestationDigest("completion", request, posted.validatorSetVersion)).toBe(onChain);
    expect(
      attester.ctx.records.getSignature(requestId, "completion", posted.validatorSetVersion)?.digest,
    ).toBe(onChain);

    // Another tick signs nothing new and posts nothing to the relayer that acknowledged.
    await runOnce(attester.ctx);
    expect(attester.ctx.records.signatureCount()).toBe(1);
    expect(up.posts).toHaveLength(1);

    const listed = (await fetch(`${attester.url}/attestations?requestId=${requestId}`).then((r) =>
      r.json(),
    )) as {
      attestations: { kind: string; signature: string; deliveries: { relayer: string; status: string }[] }[];
    };
    expect(listed.attestations).toHaveLength(1);
    expect(listed.attestations[0]).toMatchObject({ kind: "completion", signature: posted.signature });
    expect(listed.attestations[0]!.deliveries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ relayer: up.url, status: "acked" }),
        expect.objectContaining({ relayer: down.url, status: "pending" }),
      ]),
    );
    const metrics = await fetch(`${attester.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/bridge_attester_signatures_total\{[^}]*kind="completion"[^}]*\} 1/);
  });

  test("a restart on the same DB signs nothing new; the relayer that was down gets it once up", async () => {
    await attester!.stop();
    attester = await start();
    await runOnce(attester.ctx);
    expect(attester.ctx.records.signatureCount()).toBe(1);
    expect(up.posts).toHaveLength(1);
    expect(down.posts).toHaveLength(0);

    await down.start();
    await new Promise((r) => setTimeout(r, 150)); // past the longest retry pause (RELAYER_RETRY_MAX_MS)
    await runOnce(attester.ctx);
    expect(down.posts).toEqual(up.posts);
    expect(up.posts).toHaveLength(1);
    expect(attester.ctx.records.pendingDeliveries()).toBe(0);
  });

  test("dry run signs and posts nothing; a deadline closer than the margin gets no completion", async () => {
    const before = up.posts.length;
    const dry = await start({ PRIVATE_KEY: localValidatorKeys[1]!, DB_PATH: path.join(dir, "dry.sqlite") }, [
      "--dry-run",
    ]);
    try {
      await runOnce(dry.ctx);
      expect(dry.ctx.records.signatureCount()).toBe(0);
      expect(
        logs.some((l) => l.includes("dry run: would sign the completion") && l.includes(requestId)),
      ).toBe(true);
    } finally {
      await dry.stop();
    }
    const ttl = await A.public.readContract({
      address: a.contracts.CrossChainBridge,
      abi: crossChainBridgeAbi,
      functionName: "requestTtl",
    });
    const careful = await start({
      PRIVATE_KEY: localValidatorKeys[2]!,
      DB_PATH: path.join(dir, "careful.sqlite"),
      SIGN_MARGIN_SECONDS: String(ttl + 60n),
    });
    try {
      await runOnce(careful.ctx);
      expect(careful.ctx.records.signatureCount()).toBe(0);
      expect(careful.ctx.records.getRequest(requestId)?.note).toMatch(/deadline near: no completion signed/);
    } finally {
      await careful.stop();
    }
    expect(up.posts).toHaveLength(before);
  });

  test("a request that does not exist on chain, or does not match, is refused", async () => {
    const ctx = attester!.ctx;
    const forged = { ...request, amount: request.amount * 1000n };
    const forgedId = bridgeRequestId(forged);
    expect(await verifyRequest(ctx, forged, forgedId)).toMatchObject({
      ok: false,
      outcome: "refused",
      code: "not-initiated",
    });
    expect(await verifyRequest(ctx, forged, requestId)).toMatchObject({ ok: false, code: "id-mismatch" });
    const elsewhere = { ...request, dstChainId: 999n };
    expect(await verifyRequest(ctx, elsewhere, bridgeRequestId(elsewhere))).toMatchObject({
      ok: false,
      code: "unknown-destination-chain",
    });
    const wrongBridge = { ...request, dstBridge: b.contracts.AITBC }; // (both chains deploy at the same addresses)
    expect(await verifyRequest(ctx, wrongBridge, bridgeRequestId(wrongBridge))).toMatchObject({
      ok: false,
      code: "wrong-destination-bridge",
    });
    expect(await verifyRequest(ctx, request, requestId)).toMatchObject({ ok: true });

    // Fed as if a BridgeInitiated log had reported it: refused with a log line, nothing signed.
    const head = await A.public.getBlockNumber();
    ctx.records.addRequest({
      requestId: forgedId,
      seenOnChainId: CHAIN_A,
      request: forged,
      blockNumber: head - 5n,
      blockHash: `0x${"11".repeat(32)}`,
      txHash: `0x${"22".repeat(32)}`,
      logIndex: 0,
    });
    await runOnce(ctx);
    expect(ctx.records.getRequest(forgedId)).toMatchObject({ state: "refused" });
    expect(ctx.records.listSignatures({ requestId: forgedId })).toHaveLength(0);
    expect(ctx.records.signatureCount()).toBe(1);
    expect(
      logs.some((l) => l.includes("request refused") && l.includes(forgedId) && l.includes("not-initiated")),
    ).toBe(true);
  });

  test("past the deadline on both chains and not completed, it signs the refund", async () => {
    const ttl = await A.public.readContract({
      address: a.contracts.CrossChainBridge,
      abi: crossChainBridgeAbi,
      functionName: "requestTtl",
    });
    for (const c of [A, B]) {
      await c.rpc("evm_increaseTime", [Number(ttl) + 10]);
      await mine(c, 3);
    }
    const ctx = attester!.ctx;
    await runOnce(ctx);
    expect(ctx.records.signatureCount()).toBe(2);
    const refund = parseAttestation(up.posts.at(-1));
    expect(refund).toMatchObject({ kind: "refund", requestId, signer: validator.address });
    expect(await recoverAttester("refund", request, refund.validatorSetVersion, refund.signature)).toBe(
      validator.address,
    );
    expect(attestationDigest("refund", request, refund.validatorSetVersion)).toBe(
      await A.public.readContract({
        address: a.contracts.CrossChainBridge,
        abi: crossChainBridgeAbi,
        functionName: "refundDigest",
        args: [request],
      }),
    );
    expect(down.posts.at(-1)).toEqual(up.posts.at(-1));
    await runOnce(ctx);
    expect(ctx.records.signatureCount()).toBe(2);
    expect(up.posts.filter((p) => (p as { kind: string }).kind === "completion")).toHaveLength(1);
  });
});
