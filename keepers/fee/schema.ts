import { integer, real, sqliteTable } from "drizzle-orm/sqlite-core";
import { decisionIndexes, decisionKeyColumns, decisionOutcomeColumns } from "../lib/decisions.js";

// The fee keeper's own table, beside the runtime's in the same SQLite file. Migrations:
// `npx drizzle-kit generate --config keepers/fee/drizzle.config.ts`, applied at start with their own journal.

/** Every decision the keeper made (`set-fee` or `skip`), with its reason and, when it wrote, the transaction. */
export const feeDecisions = sqliteTable(
  "fee_decisions",
  {
    ...decisionKeyColumns(),
    sigma: real("sigma"),
    samples: integer("samples").notNull(),
    oldFee: integer("old_fee").notNull(),
    targetFee: integer("target_fee"),
    clampedTarget: integer("clamped_target"),
    newFee: integer("new_fee"),
    ...decisionOutcomeColumns(),
  },
  decisionIndexes("fee_decisions"),
);

export type FeeDecisionRow = typeof feeDecisions.$inferSelect;
