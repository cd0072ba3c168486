import type { ColumnModel } from "../../../schema/index.js";
import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({
  account: table("account", { id: col.id(), phone: col.varchar(20).nullable() }),
}).model;
const phone: ColumnModel = before.tables[0]!.columns.find((c) => c.name === "phone")!;

export const renameColumn: LintRule = {
  id: "rename-column",
  catalog: "M16",
  summary: "A column is renamed.",
  why: "Code still running the previous release uses the old name and fails until it is redeployed.",
  bad: `op.renameColumn("account", "phone", "mobile")`,
  good: "add the new column, write both, backfill, switch reads, then drop the old one",
  examples: {
    bad: { before, operations: [op.renameColumn("account", "phone", "mobile")] },
    // The first release of the change: the new column, filled; code then writes both.
    good: {
      before,
      operations: [
        op.addColumn("account", { ...phone, name: "mobile", key: "mobile" }),
        op.data(
          "copy account.phone into account.mobile",
          async ({ db }) => {
            await db
              .updateTable("account")
              .set((eb) => ({ mobile: eb.ref("phone") }))
              .execute();
          },
          // Undoing the addColumn drops the copies with the column.
          async () => {},
        ),
      ],
    },
  },
  check: ({ operation: o }) =>
    o.op === "renameColumn"
      ? {
          message: `${o.table}.${o.from} is renamed to ${o.to}: running code that uses ${o.from} breaks`,
          alternative: "add the new column, write both, backfill, switch reads, drop the old column later",
        }
      : undefined,
};
