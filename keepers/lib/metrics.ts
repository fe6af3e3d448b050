import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

/**
 * The runtime's Prometheus metrics, in a registry of the keeper's own (so that several keepers — or tests —
 * can live in one process). Every series carries `keeper="<name>"`; a keeper adds its own metrics to
 * `registry`.
 */
export function createMetrics(keeper: string, options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  registry.setDefaultLabels({ keeper });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "keeper_" });
  const registers = [registry];
  return {
    registry,
    ticks: new Counter({
      name: "keeper_ticks_total",
      help: "Scheduled runs of the keeper's work, by result (ok, error).",
      labelNames: ["result"] as const,
      registers,
    }),
    lastSuccess: new Gauge({
      name: "keeper_last_success_timestamp_seconds",
      help: "Unix time of the last run that completed.",
      registers,
    }),
    txSent: new Counter({
      name: "keeper_tx_sent_total",
      help: "Signed transactions accepted by a node.",
      registers,
    }),
    txMined: new Counter({ name: "keeper_tx_mined_total", help: "Intents mined successfully.", registers }),
    txReverted: new Counter({
      name: "keeper_tx_reverted_total",
      help: "Intents mined but reverted.",
      registers,
    }),
    txReplaced: new Counter({
      name: "keeper_tx_replaced_total",
      help: "Stuck transactions replaced with the same nonce and higher fees.",
      registers,
    }),
    txOrphaned: new Counter({
      name: "keeper_tx_orphaned_total",
      help: "Mined (or reverted) intents a reorg took off the canonical chain, put back to pending to be sent again.",
      registers,
    }),
    txFailed: new Counter({
      name: "keeper_tx_failed_total",
      help: "Writes that failed, by stage (simulate, broadcast, nonce).",
      labelNames: ["stage"] as const,
      registers,
    }),
    eventsSeen: new Counter({
      name: "keeper_events_total",
      help: "Chain events handled by log watchers, by source.",
      labelNames: ["source"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
export type TxMetrics = Pick<
  Metrics,
  "txSent" | "txMined" | "txReverted" | "txReplaced" | "txFailed" | "txOrphaned"
>;
