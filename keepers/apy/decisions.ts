import { fileURLToPath } from "node:url";
import { DecisionJournal } from "../lib/decisions.js";
import type { Store } from "../lib/store/store.js";
import type { ApyDecision } from "./decide.js";
import { apyDecisions, type ApyDecisionRow } from "./schema.js";

export const apyMigrations = {
  folder: fileURLToPath(new URL("./migrations", import.meta.url)),
  table: "__drizzle_migrations_apy",
};

const text = (v: bigint | null | undefined) => (v === null || v === undefined ? null : v.toString());

/**
 * The APY keeper's journal of decisions, served at `GET /decisions?limit=&pool=&action=set-rate|skip`: which
 * reward rates the keeper changed and why — each decision with the pool, time, stake and target, current and
 * target APY (1e18 = 100 %, as decimal strings), old, desired and new rate, the reason in words, and the
 * transaction (hash and status).
 */
export class DecisionLog extends DecisionJournal<ApyDecision, ApyDecisionRow> {
  constructor(store: Store) {
    super(store, apyDecisions, {
      write: "set-rate",
      values: (d) => ({
        totalStaked: d.totalStaked.toString(),
        targetStake: text(d.targetStake),
        utilization: d.utilization,
        currentApy: text(d.currentApy),
        targetApy: text(d.targetApy),
        oldRate: d.oldRate.toString(),
        desiredRate: text(d.desiredRate),
        clampedRate: text(d.clampedRate),
        maxAffordableRate: text(d.maxAffordableRate),
        newRate: d.kind === "set-rate" ? d.newRate.toString() : null,
      }),
      json: (r) => ({
        totalStaked: r.totalStaked,
        targetStake: r.targetStake,
        utilization: r.utilization,
        currentApy: r.currentApy,
        targetApy: r.targetApy,
        oldRate: r.oldRate,
        desiredRate: r.desiredRate,
        clampedRate: r.clampedRate,
        maxAffordableRate: r.maxAffordableRate,
        newRate: r.newRate,
      }),
    });
  }
}
