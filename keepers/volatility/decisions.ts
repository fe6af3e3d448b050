import { fileURLToPath } from "node:url";
import { DecisionJournal } from "../lib/decisions.js";
import type { Store } from "../lib/store/store.js";
import type { VolatilityDecision } from "./decide.js";
import { volatilityDecisions, type VolatilityDecisionRow } from "./schema.js";

export const volatilityMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_volatility",
};

const text = (v: bigint | null) => (v === null ? null : v.toString());

/**
 * The volatility keeper's journal of decisions, served at `GET /decisions?limit=&pool=&action=set-volatility|skip`:
 * which volatilities the keeper set and why — each with the pool, time, σ, old, target and new value (wad as decimal
 * strings), when the old value goes stale, the reason in words, and the transaction (hash and status).
 */
export class DecisionLog extends DecisionJournal<VolatilityDecision, VolatilityDecisionRow> {
  constructor(store: Store) {
    super(store, volatilityDecisions, {
      write: "set-volatility",
      values: (d) => ({
        sigma: d.sigma,
        samples: d.samples,
        oldWad: d.oldWad.toString(),
        updatedAt: d.updatedAt,
        staleAt: d.staleAt,
        targetWad: text(d.targetWad),
        clampedWad: text(d.clampedWad),
        newWad: d.kind === "set-volatility" ? d.newWad.toString() : null,
        mode: d.kind === "set-volatility" ? d.mode : null,
      }),
      json: (r) => ({
        sigma: r.sigma,
        samples: r.samples,
        oldWad: r.oldWad,
        updatedAt: r.updatedAt,
        staleAt: r.staleAt,
        targetWad: r.targetWad,
        clampedWad: r.clampedWad,
        newWad: r.newWad,
        mode: r.mode,
      }),
    });
  }
}
