import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "./store.js";

const dir = mkdtempSync(path.join(tmpdir(), "keeper-store-"));
const intent = (id: string, nonce: number) => ({
  id,
  chainId: 1,
  fromAddress: "0xAbC0000000000000000000000000000000000001",
  toAddress: "0x0000000000000000000000000000000000000002",
  data: "0x",
  value: "0",
  label: null,
  nonce,
  gas: "21000",
});
const attempt = (hash: string, nonce: number, n = 1) => ({
  attempt: n,
  nonce,
  hash,
  rawTx: "0x02",
  gas: "21000",
  maxFeePerGas: "100",
  maxPriorityFeePerGas: "10",
});

describe("store", () => {
  it("applies the committed migrations to a new file, and again idempotently", () => {
    const file = path.join(dir, "m.sqlite");
    openStore(file).close();
    const store = openStore(file);
    const tables = store.sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(expect.arrayContaining(["cursors", "seen_events", "tx_attempts", "tx_intents"]));
    expect(store.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    store.close();
  });

  it("keeps intents, attempts and their nonces across reopening", () => {
    const file = path.join(dir, "i.sqlite");
    let store = openStore(file);
    const from = intent("a", 0).fromAddress;
    store.insertIntentWithAttempt(intent("a", 3), attempt("0x01", 3));
    store.insertIntentWithAttempt(intent("b", 4), attempt("0x02", 4));
    store.close();

    store = openStore(file);
    expect(store.pendingIntentIds(1, from)).toEqual(["a", "b"]);
    expect(store.maxPendingNonce(1, from)).toBe(4);
    store.insertReplacement("a", attempt("0x03", 3, 2));
    expect(store.getIntent("a")!.attempts.map((x) => [x.attempt, x.status])).toEqual([
      [1, "replaced"],
      [2, "signed"],
    ]);
    store.resolveIntent("a", "mined", { minedHash: "0x03", minedBlock: 7 });
    expect(store.getIntent("a")!.intent).toMatchObject({ status: "mined", minedHash: "0x03", minedBlock: 7 });
    expect(store.getIntent("a")!.attempts[1]!.status).toBe("mined");
    expect(store.pendingIntentIds(1, from)).toEqual(["b"]);
    expect(store.maxPendingNonce(1, from)).toBe(4);
    store.resolveIntent("b", "failed", { error: "x" });
    expect(store.maxPendingNonce(1, from)).toBeUndefined();
    store.close();
  });

  it("sends a failed or reverted intent again as a new series: every field replaced, old attempts dead", () => {
    const store = openStore(path.join(dir, "again.sqlite"));
    const from = intent("f", 0).fromAddress;
    store.insertIntentWithAttempt(intent("f", 5), attempt("0x11", 5));
    store.insertReplacement("f", attempt("0x12", 5, 2));
    store.updateAttempt("0x12", { status: "rejected", error: "insufficient funds" });
    store.resolveIntent("f", "failed", { error: "insufficient funds" });
    expect(store.intentNonces(1, from, "failed")).toEqual([5]);

    const call = {
      ...intent("f", 6),
      toAddress: "0x0000000000000000000000000000000000000003",
      data: "0xabcdef",
      value: "7",
      label: "the new call",
      gas: "50000",
    };
    store.insertIntentWithAttempt(call, attempt("0x13", 6, 3));
    const again = store.getIntent("f")!;
    expect(again.intent).toMatchObject({ ...call, status: "pending", error: null, minedHash: null });
    expect(again.attempts.map((a) => [a.attempt, a.nonce, a.status])).toEqual([
      [1, 5, "dead"],
      [2, 5, "dead"],
      [3, 6, "signed"],
    ]);
    expect(again.attempts[1]!.error).toBe("insufficient funds"); // history kept
    expect(store.intentNonces(1, from, "failed")).toEqual([]);
    expect(store.intentNonces(1, from, "pending")).toEqual([6]);

    // Reverted on chain, then sent again: the outcome is cleared; the mined (reverted) attempt stays mined.
    store.resolveIntent("f", "reverted", { minedHash: "0x13", minedBlock: 9, error: "reverted" });
    store.insertIntentWithAttempt({ ...call, nonce: 7, data: "0x01" }, attempt("0x14", 7, 4));
    const third = store.getIntent("f")!;
    expect(third.intent).toMatchObject({ status: "pending", nonce: 7, data: "0x01", minedHash: null });
    expect(third.intent.minedBlock).toBeNull();
    expect(third.attempts.map((a) => a.status)).toEqual(["dead", "dead", "mined", "signed"]);

    // Pending and mined intents are never overwritten.
    expect(() => store.insertIntentWithAttempt(call, attempt("0x15", 8, 5))).toThrow(/is pending/);
    store.resolveIntent("f", "mined", { minedHash: "0x14", minedBlock: 10 });
    expect(() => store.insertIntentWithAttempt(call, attempt("0x15", 8, 5))).toThrow(/is mined/);
    expect(store.getIntent("f")!.attempts).toHaveLength(4);
    store.close();
  });

  it("records cursors and seen events once", () => {
    const store = openStore(path.join(dir, "c.sqlite"));
    store.setCursor("k", "5");
    store.setCursor("k", "6");
    expect(store.getCursor("k")).toBe("6");
    const e = { source: "s", chainId: 1, txHash: "0xaa", logIndex: 0, blockNumber: 1, blockHash: "0xbb" };
    expect(store.markSeen(e)).toBe(true);
    expect(store.markSeen(e)).toBe(false);
    expect(store.isSeen(e)).toBe(true);
    store.close();
  });
});
