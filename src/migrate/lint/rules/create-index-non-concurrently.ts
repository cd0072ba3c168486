import { enginesWith } from "../../../dialect/index.js";
import type { IndexModel } from "../../../schema/index.js";
import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import { renderOperation } from "../../render/index.js";
import type { LintRule } from "../types.js";

const before = schema({
  activityLog: table("activity_log", { id: col.id(), action: col.varchar(40) }),
}).model;
const index: IndexModel = { name: "ix_activity_log_action", columns: ["action"], unique: false };

export const createIndexNonConcurrently: LintRule = {
  id: "create-index-non-concurrently",
  catalog: "M01",
  summary: "An index is built on an existing PostgreSQL table without CONCURRENTLY.",
  why: "CREATE INDEX blocks every write to the table until the index is built.",
  bad: `op.addIndex("activity_log", index)`,
  good: `op.addIndex("activity_log", index, { concurrently: true })  // runs outside a transaction`,
  examples: {
    bad: { before, operations: [op.addIndex("activity_log", index)] },
    good: { before, operations: [op.addIndex("activity_log", index, { concurrently: true })] },
  },
  check: ({ operation: o, existing, before }) => {
    if (o.op !== "addIndex" || o.concurrently || !existing.has(o.table)) return;
    // The alternative shows the exact statement, so the reader sees what will run instead.
    const engines = enginesWith("concurrentIndexes");
    const concurrent = engines.flatMap((d) =>
      renderOperation({ ...o, concurrently: true }, before, d).map((s) => ("sql" in s ? s.sql : "")),
    );
    return {
      message: `index ${o.index.name} on ${o.table} blocks writes while it is built`,
      alternative: `op.addIndex(${JSON.stringify(o.table)}, index, { concurrently: true }) → ${concurrent.join("; ")} (run outside a transaction)`,
      dialects: engines,
    };
  },
};
