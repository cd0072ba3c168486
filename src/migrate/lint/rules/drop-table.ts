import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({
  legacyLogin: table("legacy_login", { id: col.id(), username: col.varchar(80) }),
}).model;
const legacyTable = before.tables[0]!;

export const dropTable: LintRule = {
  id: "drop-table",
  catalog: "M19",
  summary: "A table is dropped.",
  why: "Its rows are gone for good, and code still reading it fails.",
  bad: `op.dropTable(legacyTable)`,
  good: "stop using the table in one release, back it up, and drop it in a later migration",
  examples: {
    bad: { before, operations: [op.dropTable(legacyTable)] },
    // The release that stops using the table keeps a copy; the drop waits for a later one.
    good: {
      before,
      operations: [
        op.sql(
          "CREATE TABLE legacy_login_backup AS SELECT * FROM legacy_login",
          "DROP TABLE legacy_login_backup",
          "back up legacy_login",
        ),
      ],
    },
  },
  check: ({ operation: o }) =>
    o.op === "dropTable"
      ? {
          message: `table ${o.table.name} and all its rows are dropped (down recreates it empty)`,
          alternative: "remove its use from the code first, keep a backup, and drop it in a later release",
        }
      : undefined,
};
