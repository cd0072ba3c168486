import type { ColumnModel } from "../../../schema/index.js";
import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({
  account: table("account", { id: col.id(), name: col.varchar(255), phone: col.varchar(20) }),
}).model;
const phoneColumn: ColumnModel = before.tables[0]!.columns.find((c) => c.name === "phone")!;

export const dropColumn: LintRule = {
  id: "drop-column",
  catalog: "M18",
  summary: "A column is dropped.",
  why: "Its data is gone for good, and running code that selects it fails.",
  bad: `op.dropColumn("account", phoneColumn)`,
  good: "stop reading and writing the column in one release, then drop it in the next",
  examples: {
    bad: { before, operations: [op.dropColumn("account", phoneColumn)] },
    // The release that stops writing the column must still insert rows without it.
    good: {
      before,
      operations: [op.alterColumn("account", phoneColumn, { ...phoneColumn, nullable: true })],
    },
  },
  check: ({ operation: o, existing }) =>
    o.op === "dropColumn" && existing.has(o.table)
      ? {
          message:
            `${o.table}.${o.column.name} and its data are dropped (down recreates it empty` +
            (!o.column.nullable && !o.column.default
              ? ", and fails on a table with rows: it is NOT NULL without a default)"
              : ")"),
          alternative: "stop using it in the code first; drop it in a later release",
        }
      : undefined,
};
