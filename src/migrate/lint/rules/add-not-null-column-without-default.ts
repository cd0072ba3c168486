import type { ColumnModel } from "../../../schema/index.js";
import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({ account: table("account", { id: col.id(), name: col.varchar(255) }) }).model;
const phone: ColumnModel = {
  name: "phone",
  key: "phone",
  type: { kind: "varchar", length: 20 },
  nullable: false,
};

export const addNotNullColumnWithoutDefault: LintRule = {
  id: "add-not-null-column-without-default",
  catalog: "M12",
  summary: "A NOT NULL column without a default is added to an existing table.",
  why: "Existing rows have no value for it: the migration fails on a non-empty table, and code still running the old version cannot insert.",
  bad: `op.addColumn("account", { name: "phone", type: { kind: "varchar", length: 20 }, nullable: false })`,
  good: `op.addColumn("account", { ..., nullable: true }), backfill with op.data(...), then make it NOT NULL in a later migration`,
  examples: {
    bad: { before, operations: [op.addColumn("account", phone)] },
    good: {
      before,
      operations: [
        op.addColumn("account", { ...phone, nullable: true }),
        op.data(
          "backfill account.phone",
          async ({ db }) => {
            await db.updateTable("account").set({ phone: "" }).where("phone", "is", null).execute();
          },
          // Undoing the addColumn drops the backfilled values with the column.
          async () => {},
        ),
      ],
    },
  },
  check: ({ operation: o, existing }) => {
    if (o.op !== "addColumn" || !existing.has(o.table)) return;
    if (o.column.nullable || o.column.default || o.column.generated) return;
    return {
      message: `${o.table}.${o.column.name} is NOT NULL without a default on an existing table`,
      alternative: "add it nullable (or with a default), backfill it, then set NOT NULL in a later migration",
    };
  },
};
