// CrossChainBridge read models end to end: two real anvils (chain ids 31434 and 31435), the protocol deployed on
// each by the real deploy script and connected by script/ConnectBridge.s.sol, ten transfers both ways — nine
// completed with three of the five local validator keys signing in the test, one left to expire and refunded —
// and real `ponder start` processes indexing both chains into PGlite and, when a server answers, PostgreSQL. One
// transfer is made while chain A's RPC is held at an older head (a proxy in this file), so its completion on B is
// indexed before its initiation on A. Every expectation is read from the chains: the BridgeInitiated,
// BridgeCompleted and BridgeRefunded logs, `requestStatus`, `getValidators`, `threshold`, `getRoute`.
import http from "node:http";
import net from "node:net";
import pg from "pg";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http as httpTransport,
  parseEventLogs,
  parseUnits,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aitbcAbi, bridgedTokenAbi, crossChainBridgeAbi } from "../../generated/abis";
import {
  attestationTypedData,
  orderSignatures,
  type AttestationKind,
  type BridgeRequest,
} from "../../keepers/lib/bridge";
import { startAnvil, type Anvil } from "../../scripts/lib/anvil";
import {
  connectBridges,
  deployProtocol,
  localValidatorKeys,
  readBridgeLinks,
  type Deployment,
} from "../../scripts/lib/deploy";
import { anvilKeys } from "../../scripts/lib/foundry";
import { startIndexer, type Indexer } from "../lib/start";
import { getJson, graphqlQuery, waitForBlock } from "./scenario";

const CHAIN_A = 31434;
const CHAIN_B = 31435;
const FEE_BPS = 25n;
const DAY = 86_400;
const DATABASE_URL =
  process.env.INDEXER_TEST_DATABASE_URL ??
  process.env.DATABASE_URL ??
  "postgresql://postgres@127.0.0.1:5432/test";

const deployer = privateKeyToAccount(anvilKeys[0]);
const alice = privateKeyToAccount(anvilKeys[1]);
const bob = privateKeyToAccount(anvilKeys[2]);
const carol = privateKeyToAccount(anvilKeys[3]);
const relayer = privateKeyToAccount(anvilKeys[4]);
const e18 = (n: number) => parseUnits(String(n), 18);

async function reachable(connectionString: string): Promise<boolean> {
  const { hostname, port } = new URL(connectionString);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(2_000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}
const postgresUp = await reachable(DATABASE_URL);
if (!postgresUp) {
  console.warn(`SKIPPED: bridge indexer on PostgreSQL — no server at ${DATABASE_URL} (set DATABASE_URL)`);
}

/**
 * A JSON-RPC proxy in front of an anvil that can be held: while held, "latest" (eth_blockNumber, and
 * eth_getBlockByNumber's tags) stays at the head it had, so Ponder does not see newer blocks of that chain.
 */
async function startHoldableProxy(target: string) {
  let heldAt: bigint | null = null;
  const forward = async (body: unknown) => {
    const response = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return response.json();
  };
  const rewrite = async (call: { id: unknown; method: string; params?: unknown[] }) => {
    if (heldAt !== null) {
      const held = `0x${heldAt.toString(16)}`;
      if (call.method === "eth_blockNumber") return { jsonrpc: "2.0", id: call.id, result: held };
      if (
        call.method === "eth_getBlockByNumber" &&
        ["latest", "safe", "finalized", "pending"].includes(String(call.params?.[0]))
      ) {
        return forward({ ...call, params: [held, ...(call.params ?? []).slice(1)] });
      }
    }
    return forward(call);
  };
  const server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (chunk) => (data += chunk));
    req.on("end", async () => {
      try {
        const body = JSON.parse(data);
        const result = Array.isArray(body) ? await Promise.all(body.map(rewrite)) : await rewrite(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(result));
      } catch (error) {
        res.writeHead(500);
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold: (blockNumber: bigint) => void (heldAt = blockNumber),
    release: () => void (heldAt = null),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Side = {
  chainId: number;
  anvil: Anvil;
  deployment: Deployment;
  client: PublicClient;
  bridge: Address;
  /** This chain's own AITBC. */
  aitbc: Address;
  /** The representation here of the peer's AITBC. */
  bridged: Address;
  send: (
    key: Hex,
    address: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
  ) => Promise<any>;
  increaseTime: (seconds: number) => Promise<void>;
  lastBlock: () => Promise<bigint>;
};

async function makeSide(chainId: number, anvil: Anvil, deployment: Deployment): Promise<Side> {
  const chain = defineChain({
    id: chainId,
    name: `anvil-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });
  const client = createPublicClient({
    chain,
    transport: httpTransport(anvil.rpcUrl),
    pollingInterval: 50,
  }) as PublicClient;
  const side: Side = {
    chainId,
    anvil,
    deployment,
    client,
    bridge: deployment.contracts.CrossChainBridge as Address,
    aitbc: deployment.contracts.AITBC as Address,
    bridged: "0x" as Address,
    send: async (key, address, abi, functionName, args) => {
      const wallet = createWalletClient({
        chain,
        account: privateKeyToAccount(key),
        transport: httpTransport(anvil.rpcUrl),
      });
      const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (receipt.status !== "success") throw new Error(`${functionName} reverted (${hash})`);
      return receipt;
    },
    increaseTime: async (seconds) => {
      await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
      await client.request({ method: "evm_mine" as never, params: [] as never });
    },
    lastBlock: () => client.getBlockNumber({ cacheTime: 0 }),
  };
  return side;
}

/** Signatures of three of the five local validators over `request`'s completion or refund, ordered. */
async function sign(kind: AttestationKind, request: BridgeRequest, verifier: Side): Promise<Hex[]> {
  const version = await verifier.client.readContract({
    address: verifier.bridge,
    abi: crossChainBridgeAbi,
    functionName: "validatorSetVersion",
  });
  const signed = await Promise.all(
    localValidatorKeys.slice(0, 3).map(async (key) => {
      const account = privateKeyToAccount(key);
      const signature = await account.signTypedData(attestationTypedData(kind, request, version) as never);
      return { signer: account.address, signature };
    }),
  );
  return orderSignatures(signed);
}

/** `from` sends `amount` of `token` from `src` to `recipient` on `dst`; returns the emitted request. */
async function initiate(
  src: Side,
  dst: Side,
  fromKey: Hex,
  token: Address,
  amount: bigint,
  recipient: Address,
): Promise<BridgeRequest> {
  await src.send(fromKey, token, bridgedTokenAbi as Abi, "approve", [src.bridge, amount]);
  const receipt = await src.send(fromKey, src.bridge, crossChainBridgeAbi as Abi, "initiateBridge", [
    token,
    amount,
    BigInt(dst.chainId),
    recipient,
  ]);
  const [log] = parseEventLogs({
    abi: crossChainBridgeAbi,
    logs: receipt.logs,
    eventName: "BridgeInitiated",
  });
  return log!.args.request as BridgeRequest;
}

async function complete(dst: Side, request: BridgeRequest) {
  const signatures = await sign("completion", request, dst);
  // Anyone may submit a completion: here the relayer (anvilKeys[4]).
  return dst.send(anvilKeys[4], dst.bridge, crossChainBridgeAbi as Abi, "completeBridge", [
    request,
    signatures,
  ]);
}

const lower = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : value);
const str = (value: bigint | number | null | undefined) =>
  value === null || value === undefined ? null : String(value);

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks of the sorted values. */
function percentileCont(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

const REQUEST_FIELDS = `id srcChainId dstChainId srcBridge dstBridge sender recipient srcToken dstToken amount fee
  deadline nonce status initiatedBlock initiatedTimestamp initiatedTxHash completedBlock completedTimestamp
  completedTxHash completedSubmitter refundedBlock refundedTimestamp refundedTxHash refundedSubmitter
  secondsToComplete`;

describe(`bridge indexer across two chains (PGlite${postgresUp ? " and PostgreSQL" : ""})`, () => {
  let A: Side;
  let B: Side;
  let proxyA: Awaited<ReturnType<typeof startHoldableProxy>>;
  const indexers: { name: string; indexer: Indexer }[] = [];
  const pgSchema = `bridge_pg_${Date.now().toString(36)}_${process.pid}`;
  let lateRequestId: Hex;
  const partialSeen: Record<string, any> = {};

  const waitForHeads = async () => {
    const [a, b] = await Promise.all([A.lastBlock(), B.lastBlock()]);
    await Promise.all(
      indexers.flatMap(({ indexer }) => [
        waitForBlock(indexer.url, CHAIN_A, a),
        waitForBlock(indexer.url, CHAIN_B, b),
      ]),
    );
  };

  beforeAll(async () => {
    const anvils = await Promise.all([startAnvil({ chainId: CHAIN_A }), startAnvil({ chainId: CHAIN_B })]);
    const env = { ADMIN: deployer.address };
    const [da, db] = await Promise.all([
      deployProtocol(anvils[0]!.rpcUrl, env),
      deployProtocol(anvils[1]!.rpcUrl, env),
    ]);
    await connectBridges(
      { rpcUrl: anvils[0]!.rpcUrl, chainId: CHAIN_A },
      { rpcUrl: anvils[1]!.rpcUrl, chainId: CHAIN_B },
      { BRIDGE_FEE_BPS: String(FEE_BPS) },
    );
    A = await makeSide(CHAIN_A, anvils[0]!, da);
    B = await makeSide(CHAIN_B, anvils[1]!, db);
    A.bridged = readBridgeLinks(CHAIN_A, CHAIN_B).AITBC!;
    B.bridged = readBridgeLinks(CHAIN_B, CHAIN_A).AITBC!;

    await A.send(anvilKeys[0], A.aitbc, aitbcAbi as Abi, "mint", [alice.address, e18(1_000)]);
    await B.send(anvilKeys[0], B.aitbc, aitbcAbi as Abi, "mint", [bob.address, e18(1_000)]);

    // Round 1: home tokens out, both ways; round 2: representations back home.
    const round1 = [
      await initiate(A, B, anvilKeys[1], A.aitbc, e18(100), bob.address),
      await initiate(A, B, anvilKeys[1], A.aitbc, e18(250), bob.address),
      await initiate(A, B, anvilKeys[1], A.aitbc, e18(40), carol.address),
      await initiate(B, A, anvilKeys[2], B.aitbc, e18(70), alice.address),
      await initiate(B, A, anvilKeys[2], B.aitbc, e18(30), alice.address),
    ];
    for (const request of round1) await complete(request.dstChainId === BigInt(CHAIN_B) ? B : A, request);
    const round2 = [
      await initiate(B, A, anvilKeys[2], B.bridged, e18(50), alice.address),
      await initiate(B, A, anvilKeys[2], B.bridged, e18(20), carol.address),
      await initiate(A, B, anvilKeys[1], A.bridged, e18(10), bob.address),
    ];
    for (const request of round2) await complete(request.dstChainId === BigInt(CHAIN_B) ? B : A, request);
    // A completion some time after its initiation.
    const slow = await initiate(A, B, anvilKeys[1], A.aitbc, e18(12), bob.address);
    await Promise.all([A.increaseTime(600), B.increaseTime(600)]);
    await complete(B, slow);

    // One left to expire, then refunded on A with the validators' refund signatures.
    const expiring = await initiate(A, B, anvilKeys[1], A.aitbc, e18(5), carol.address);
    await Promise.all([A.increaseTime(DAY + 1), B.increaseTime(DAY + 1)]);
    await A.send(anvilKeys[4], A.bridge, crossChainBridgeAbi as Abi, "refundBridge", [
      expiring,
      await sign("refund", expiring, A),
    ]);

    proxyA = await startHoldableProxy(A.anvil.rpcUrl);
    const rpcUrls = { [CHAIN_A]: proxyA.url, [CHAIN_B]: B.anvil.rpcUrl };
    const started = await Promise.all([
      startIndexer({ chainIds: [CHAIN_A, CHAIN_B], rpcUrls, schema: "bridge" }).then((indexer) => ({
        name: "pglite",
        indexer,
      })),
      ...(postgresUp
        ? [
            startIndexer({
              chainIds: [CHAIN_A, CHAIN_B],
              rpcUrls,
              schema: pgSchema,
              databaseUrl: DATABASE_URL,
            }).then((indexer) => ({ name: "postgres", indexer })),
          ]
        : []),
    ]);
    indexers.push(...started);
    await waitForHeads();

    // The last transfer while Ponder sees chain A frozen at its current head: B's completion is indexed first.
    proxyA.hold(await A.lastBlock());
    const late = await initiate(A, B, anvilKeys[1], A.aitbc, e18(7), bob.address);
    const completion = await complete(B, late);
    lateRequestId = parseEventLogs({
      abi: crossChainBridgeAbi,
      logs: completion.logs,
      eventName: "BridgeCompleted",
    })[0]!.args.requestId;
    for (const { name, indexer } of indexers) {
      await waitForBlock(indexer.url, CHAIN_B, completion.blockNumber);
      partialSeen[name] = (
        await graphqlQuery(indexer.url, `{ bridgeRequest(id: "${lateRequestId}") { ${REQUEST_FIELDS} } }`)
      ).bridgeRequest;
    }
    proxyA.release();
    await waitForHeads();
  });

  afterAll(async () => {
    await Promise.all(indexers.map(({ indexer }) => indexer.stop()));
    await proxyA?.close();
    await Promise.all([A?.anvil.stop(), B?.anvil.stop()]);
    if (postgresUp) {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists "${pgSchema}" cascade`).finally(() => client.end());
    }
  });

  /** What the chains say: every request from its logs, with its status on both bridges. */
  async function expectedRequests() {
    const logsOf = async (side: Side) => {
      const logs = await side.client.getContractEvents({
        address: side.bridge,
        abi: crossChainBridgeAbi,
        fromBlock: 0n,
      });
      const timestamps = new Map<bigint, bigint>();
      for (const log of logs) {
        if (!timestamps.has(log.blockNumber)) {
          timestamps.set(
            log.blockNumber,
            (await side.client.getBlock({ blockNumber: log.blockNumber })).timestamp,
          );
        }
      }
      return logs.map((log) => ({ ...log, timestamp: timestamps.get(log.blockNumber)! }));
    };
    const [logsA, logsB] = await Promise.all([logsOf(A), logsOf(B)]);
    const all = [...logsA, ...logsB];
    const rows = new Map<string, Record<string, string | null>>();
    for (const log of all.filter((l) => l.eventName === "BridgeInitiated")) {
      const { requestId, request, fee } = log.args as { requestId: Hex; request: BridgeRequest; fee: bigint };
      const completed = all.find(
        (l) => l.eventName === "BridgeCompleted" && (l.args as { requestId: Hex }).requestId === requestId,
      );
      const refunded = all.find(
        (l) => l.eventName === "BridgeRefunded" && (l.args as { requestId: Hex }).requestId === requestId,
      );
      const src = Number(request.srcChainId) === CHAIN_A ? A : B;
      const dst = src === A ? B : A;
      const [srcStatus, dstStatus] = await Promise.all(
        [src, dst].map((side) =>
          side.client.readContract({
            address: side.bridge,
            abi: crossChainBridgeAbi,
            functionName: "requestStatus",
            args: [requestId],
          }),
        ),
      );
      // The chains' own view: Initiated (1) or Refunded (3) on the source, Completed (2) or None on the destination.
      const status = dstStatus === 2 ? "completed" : srcStatus === 3 ? "refunded" : "initiated";
      expect(srcStatus).toBe(status === "refunded" ? 3 : 1);
      rows.set(requestId, {
        id: requestId,
        srcChainId: str(request.srcChainId),
        dstChainId: str(request.dstChainId),
        srcBridge: request.srcBridge,
        dstBridge: request.dstBridge,
        sender: request.sender,
        recipient: request.recipient,
        srcToken: request.srcToken,
        dstToken: request.dstToken,
        amount: str(request.amount),
        fee: str(fee),
        deadline: str(request.deadline),
        nonce: str(request.nonce),
        status,
        initiatedBlock: str(log.blockNumber),
        initiatedTimestamp: str(log.timestamp),
        initiatedTxHash: log.transactionHash,
        completedBlock: str(completed?.blockNumber),
        completedTimestamp: str(completed?.timestamp),
        completedTxHash: completed?.transactionHash ?? null,
        completedSubmitter: (completed?.args as { submitter?: Address })?.submitter ?? null,
        refundedBlock: str(refunded?.blockNumber),
        refundedTimestamp: str(refunded?.timestamp),
        refundedTxHash: refunded?.transactionHash ?? null,
        refundedSubmitter: (refunded?.args as { submitter?: Address })?.submitter ?? null,
        secondsToComplete: completed ? str(completed.timestamp - log.timestamp) : null,
      });
      if (completed) {
        const args = completed.args as {
          amount: bigint;
          token: Address;
          recipient: Address;
          srcChainId: bigint;
        };
        expect([args.amount, lower(args.token), lower(args.recipient), args.srcChainId]).toEqual([
          request.amount,
          lower(request.dstToken),
          lower(request.recipient),
          request.srcChainId,
        ]);
      }
    }
    return rows;
  }

  const forEachIndexer = (name: string, fn: (indexer: Indexer, label: string) => Promise<void>) => {
    it(name, async () => {
      expect(indexers.length).toBe(postgresUp ? 2 : 1);
      for (const { name: label, indexer } of indexers) await fn(indexer, label);
    });
  };

  forEachIndexer(
    "a completion indexed before its initiation is a partial row, then merged",
    async (_, label) => {
      const partial = partialSeen[label];
      expect(partial, label).toMatchObject({
        id: lateRequestId,
        status: "completed",
        srcChainId: String(CHAIN_A),
        dstChainId: String(CHAIN_B),
        initiatedBlock: null,
        sender: null,
        fee: null,
        nonce: null,
        secondsToComplete: null,
      });
      expect(partial.completedBlock, label).not.toBeNull();
    },
  );

  forEachIndexer(
    "every bridge_request row equals the chains' logs and requestStatus",
    async (indexer, label) => {
      const expected = await expectedRequests();
      expect(expected.size).toBe(11);
      expect([...expected.values()].filter((r) => r.status === "completed")).toHaveLength(10);
      expect([...expected.values()].filter((r) => r.status === "refunded")).toHaveLength(1);
      // The relayer submitted every completion and the refund.
      for (const r of expected.values()) {
        expect(lower(r.completedSubmitter ?? r.refundedSubmitter)).toBe(lower(relayer.address));
      }
      const { bridgeRequests } = await graphqlQuery(
        indexer.url,
        `{ bridgeRequests(limit: 1000) { totalCount items { ${REQUEST_FIELDS} } } }`,
      );
      expect(bridgeRequests.totalCount, label).toBe(expected.size);
      for (const row of bridgeRequests.items as Record<string, unknown>[]) {
        const want = expected.get(row.id as string);
        expect(want, `${label}: unexpected row ${row.id}`).toBeDefined();
        for (const [field, value] of Object.entries(want!)) {
          expect(lower(row[field]), `${label}: ${row.id}.${field}`).toBe(lower(value));
        }
      }
      // "Where is my transfer?" by id.
      const one = await graphqlQuery(
        indexer.url,
        `{ bridgeRequest(id: "${lateRequestId}") { status sender amount } }`,
      );
      expect(one.bridgeRequest.status).toBe("completed");
      expect(lower(one.bridgeRequest.sender)).toBe(lower(alice.address));
    },
  );

  forEachIndexer("validator sets and routes equal the bridges' views", async (indexer, label) => {
    const { bridgeValidatorSets, bridgeRoutes } = await graphqlQuery(
      indexer.url,
      `{ bridgeValidatorSets { items { chainId version validators threshold } }
         bridgeRoutes(limit: 100) { items { chainId token remoteChainId homeChainId counterpart decimals enabled } } }`,
    );
    for (const side of [A, B]) {
      const read = (functionName: string, args: readonly unknown[] = []) =>
        side.client.readContract({
          address: side.bridge,
          abi: crossChainBridgeAbi,
          functionName,
          args,
        } as never);
      const sets = bridgeValidatorSets.items.filter((s: { chainId: number }) => s.chainId === side.chainId);
      expect(sets, label).toHaveLength(1);
      expect(sets[0].version).toBe(String(await read("validatorSetVersion")));
      expect(sets[0].threshold).toBe(Number(await read("threshold")));
      expect(sets[0].validators.map(lower)).toEqual(((await read("getValidators")) as Address[]).map(lower));
      const routes = bridgeRoutes.items.filter((r: { chainId: number }) => r.chainId === side.chainId);
      // Four own tokens out and four representations home on each side.
      expect(routes, label).toHaveLength(8);
      for (const route of routes) {
        const onChain = (await read("getRoute", [route.token, BigInt(route.remoteChainId)])) as {
          homeChainId: bigint;
          counterpart: Address;
          decimals: number;
          enabled: boolean;
        };
        expect([route.homeChainId, lower(route.counterpart), route.decimals, route.enabled]).toEqual([
          String(onChain.homeChainId),
          lower(onChain.counterpart),
          onChain.decimals,
          onChain.enabled,
        ]);
      }
    }
  });

  forEachIndexer(
    "/bridge/stats: per-route counts, volumes and completion times; 400 on bad input",
    async (indexer, label) => {
      const expected = [...(await expectedRequests()).values()];
      const stats = (window: { from?: number; to?: number }) => {
        const inWindow = expected.filter(
          (r) =>
            (window.from === undefined || Number(r.initiatedTimestamp) >= window.from) &&
            (window.to === undefined || Number(r.initiatedTimestamp) <= window.to),
        );
        const routes = new Map<string, typeof inWindow>();
        for (const r of inWindow) {
          const key = `${r.srcChainId}|${r.dstChainId}|${lower(r.srcToken)}`;
          routes.set(key, [...(routes.get(key) ?? []), r]);
        }
        return [...routes.entries()]
          .map(([key, rs]) => {
            const [src, dst, token] = key.split("|");
            const times = rs
              .filter((r) => r.secondsToComplete !== null)
              .map((r) => Number(r.secondsToComplete));
            return {
              srcChainId: Number(src),
              dstChainId: Number(dst),
              token: token!,
              count: rs.length,
              volume: String(rs.reduce((t, r) => t + BigInt(r.amount!), 0n)),
              fees: String(rs.reduce((t, r) => t + BigInt(r.fee!), 0n)),
              completed: rs.filter((r) => r.status === "completed").length,
              refunded: rs.filter((r) => r.status === "refunded").length,
              pending: rs.filter((r) => r.status === "initiated").length,
              conflict: 0,
              medianSecondsToComplete: percentileCont(times, 0.5),
              p95SecondsToComplete: percentileCont(times, 0.95),
            };
          })
          .sort(
            (x, y) =>
              x.srcChainId - y.srcChainId || x.dstChainId - y.dstChainId || (x.token < y.token ? -1 : 1),
          );
      };
      const check = async (query: string, window: { from?: number; to?: number }) => {
        const { status, body } = await getJson(`${indexer.url}/bridge/stats${query}`);
        expect(status, `${label} ${query}`).toBe(200);
        const got = body.routes.map((r: { token: string }) => ({ ...r, token: r.token.toLowerCase() }));
        const want = stats(window);
        expect(got.length, `${label} ${query}`).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          const { medianSecondsToComplete, p95SecondsToComplete, ...exact } = want[i]!;
          expect(got[i], `${label} ${query}`).toMatchObject(exact);
          for (const [field, value] of Object.entries({ medianSecondsToComplete, p95SecondsToComplete })) {
            if (value === null) expect(got[i][field]).toBeNull();
            else expect(got[i][field]).toBeCloseTo(value, 6);
          }
        }
        expect(body.unmatched).toBe(0);
        return body;
      };
      const all = await check("", {});
      // Four routes: A's AITBC to B and B's to A, and each side's representation back home.
      expect(all.routes).toHaveLength(4);
      expect(all.routes.reduce((t: number, r: { count: number }) => t + r.count, 0)).toBe(11);
      const aToB = all.routes.find(
        (r: { srcChainId: number; token: string }) =>
          r.srcChainId === CHAIN_A && lower(r.token) === lower(A.aitbc),
      );
      expect(aToB).toMatchObject({ count: 6, completed: 5, refunded: 1, pending: 0 });
      // The completion 600 s after its initiation lifts the 95th percentile (interpolated) above the median.
      expect(aToB.p95SecondsToComplete).toBeGreaterThan(aToB.medianSecondsToComplete + 400);
      // A window holding only the later transfers.
      const times = expected.map((r) => Number(r.initiatedTimestamp)).sort((x, y) => x - y);
      const middle = times[Math.floor(times.length / 2)]!;
      await check(`?from=${middle}`, { from: middle });
      await check(`?from=0&to=${middle}`, { from: 0, to: middle });
      const empty = await check(`?from=1&to=2`, { from: 1, to: 2 });
      expect(empty.routes).toEqual([]);

      for (const [query, reason] of [
        ["?from=abc", /from must be an integer/],
        ["?to=-1", /to must be an integer/],
        ["?from=10&to=5", /from \(10\) must not be after to \(5\)/],
        ["?from=99999999999999999", /from must be an integer/],
      ] as const) {
        const { status, body } = await getJson(`${indexer.url}/bridge/stats${query}`);
        expect(status, `${label} ${query}`).toBe(400);
        expect(body.error, `${label} ${query}`).toMatch(reason);
      }
    },
  );
});
