import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({ team: table("team", { id: col.id(), name: col.varchar(80) }) }).model;
const squad = schema({ squad: table("squad", { id: col.id(), name: col.varchar(80) }) }).model.tables[0]!;

export const renameTable: LintRule = {
  id: "rename-table",
  catalog: "M17",
  summary: "A table is renamed.",
  why: "Code still running the previous release uses the old name and fails until it is redeployed.",
  bad: `op.renameTable("team", "squad")`,
  good: "create the new table, write both, backfill, switch reads, then drop the old one",
  examples: {
    bad: { before, operations: [op.renameTable("team", "squad")] },
    // The first release of the change: the new table, filled; code then writes both.
    good: {
      before,
      operations: [
        op.createTable(squad),
        op.data(
          "copy team into squad",
          async ({ db }) => {
            await db
              .insertInto("squad")
              .columns(["name"])
              .expression(db.selectFrom("team").select("name"))
              .execute();
          },
          // Undoing the createTable drops the copies with the table.
          async () => {},
        ),
      ],
    },
  },
  check: ({ operation: o }) =>
    o.op === "renameTable"
      ? {
          message: `table ${o.from} is renamed to ${o.to}: running code that uses ${o.from} breaks`,
          alternative:
            "deploy code that no longer needs the old name first, or migrate in expand/contract steps",
        }
      : undefined,
};
