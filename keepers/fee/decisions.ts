import { fileURLToPath } from "node:url";
import { DecisionJournal } from "../lib/decisions.js";
import type { Store } from "../lib/store/store.js";
import type { FeeDecision } from "./decide.js";
import { feeDecisions, type FeeDecisionRow } from "./schema.js";

export const feeMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_fee",
};

/**
 * The fee keeper's journal of decisions, served at `GET /decisions?limit=&pool=&action=set-fee|skip`: which fees
 * the keeper changed and why — each decision with the pool, time, σ, old and new fee, the reason in words, and
 * the transaction (hash and status).
 */
export class DecisionLog extends DecisionJournal<FeeDecision, FeeDecisionRow> {
  constructor(store: Store) {
    super(store, feeDecisions, {
      write: "set-fee",
      values: (d) => ({
        sigma: d.sigma,
        samples: d.samples,
        oldFee: d.oldFee,
        targetFee: d.targetFee,
        clampedTarget: d.clampedTarget,
        newFee: d.kind === "set-fee" ? d.newFee : null,
      }),
      json: (r) => ({
        sigma: r.sigma,
        samples: r.samples,
        oldFee: r.oldFee,
        targetFee: r.targetFee,
        clampedTarget: r.clampedTarget,
        newFee: r.newFee,
      }),
    });
  }
}
