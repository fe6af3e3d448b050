import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Hex } from "viem";
import type { Store } from "../lib/store/store.js";
import type { Relayer } from "./relayer.js";
import type { RequestLog } from "./requests.js";
import {
  requestStatuses,
  type BridgeAttestationRow,
  type BridgeRequestRow,
  type RequestStatus,
} from "./schema.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A request as the HTTP API shows it (integers as decimal strings). */
export function requestView(row: BridgeRequestRow, store: Store, attestations?: BridgeAttestationRow[]) {
  const intent = row.intentId ? store.getIntent(row.intentId)?.intent : undefined;
  const view = {
    requestId: row.requestId,
    status: row.status,
    kind: row.kind,
    reason: row.reason,
    settledBy: row.settledBy,
    request: {
      srcChainId: String(row.srcChainId),
      dstChainId: String(row.dstChainId),
      srcBridge: row.srcBridge,
      dstBridge: row.dstBridge,
      srcToken: row.srcToken,
      dstToken: row.dstToken,
      sender: row.sender,
      recipient: row.recipient,
      amount: row.amount,
      deadline: row.deadline,
      nonce: row.nonce,
    },
    tx: row.intentId
      ? {
          intentId: row.intentId,
          hash: row.txHash,
          status: intent?.status ?? null,
          error: intent?.error ?? null,
        }
      : null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    checkedAt: iso(row.checkedAt),
  };
  if (!attestations) return view;
  const groups = new Map<string, { kind: string; validatorSetVersion: string; signers: string[] }>();
  for (const a of attestations) {
    const key = `${a.kind}:${a.validatorSetVersion}`;
    if (!groups.has(key))
      groups.set(key, { kind: a.kind, validatorSetVersion: a.validatorSetVersion, signers: [] });
    groups.get(key)!.signers.push(a.signer);
  }
  return { ...view, attestations: [...groups.values()] };
}

/**
 * The relayer's HTTP API beside the runtime's `/healthz` and `/metrics`:
 * - `POST /attestations` — an Attestation JSON (keepers/lib/bridge.ts): 200 `{accepted, new, signatures,
 *   threshold, …}`, 400 `{error, field}` for a malformed body, 422 `{error, reason}` for a refused one, 503 when a
 *   chain cannot be read;
 * - `GET /requests?status=&limit=` — requests, most recently updated first;
 * - `GET /requests/:id` — one request, its transaction and the signers it holds per (kind, version).
 */
export function relayerRoutes(deps: {
  relayer: Relayer;
  requests: RequestLog;
  store: Store;
  maxBodyBytes: number;
}) {
  return (app: Hono) => {
    app.post(
      "/attestations",
      bodyLimit({
        maxSize: deps.maxBodyBytes,
        onError: (c) => c.json({ error: `body: larger than ${deps.maxBodyBytes} bytes`, field: "body" }, 413),
      }),
      async (c) => {
        let body: unknown;
        try {
          body = JSON.parse(await c.req.text());
        } catch {
          return c.json({ error: "body: not valid JSON", field: "body" }, 400);
        }
        const result = await deps.relayer.accept(body);
        return c.json(result.body, result.status);
      },
    );

    app.get("/requests", (c) => {
      const status = c.req.query("status");
      const limit = Number(c.req.query("limit") ?? 100);
      if (status !== undefined && !requestStatuses.includes(status as RequestStatus))
        return c.json({ error: `status: expected one of ${requestStatuses.join(", ")}` }, 400);
      if (!Number.isInteger(limit) || limit < 1)
        return c.json({ error: "limit: expected a positive integer" }, 400);
      const rows = deps.requests.list({ status: status as RequestStatus | undefined, limit });
      return c.json({ requests: rows.map((r) => requestView(r, deps.store)) });
    });

    app.get("/requests/:id", (c) => {
      const id = c.req.param("id").toLowerCase();
      if (!/^0x[0-9a-f]{64}$/.test(id))
        return c.json({ error: "id: expected a 32-byte hex request id" }, 400);
      const row = deps.requests.get(id as Hex);
      if (!row) return c.json({ error: "unknown request" }, 404);
      return c.json(requestView(row, deps.store, deps.requests.attestations(id as Hex)));
    });
  };
}
