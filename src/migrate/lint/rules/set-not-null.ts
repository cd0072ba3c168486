import type { ColumnModel } from "../../../schema/index.js";
import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({
  account: table("account", { id: col.id(), email: col.varchar(255).nullable() }),
}).model;
const email: ColumnModel = before.tables[0]!.columns.find((c) => c.name === "email")!;

export const setNotNull: LintRule = {
  id: "set-not-null",
  catalog: "M11",
  summary: "An existing column becomes NOT NULL.",
  why: "Every row is checked under an exclusive lock, and the migration fails if any row holds NULL.",
  bad: `op.alterColumn("account", { ...email, nullable: true }, { ...email, nullable: false })`,
  good: "backfill the NULLs first (op.data), then set NOT NULL; on PostgreSQL a validated CHECK (email IS NOT NULL) avoids the long lock",
  examples: {
    bad: {
      before,
      operations: [op.alterColumn("account", { ...email, nullable: true }, { ...email, nullable: false })],
    },
    // The CHECK goes in NOT VALID, so adding it takes no long lock; a later migration validates it.
    good: {
      before,
      operations: [
        op.data(
          "backfill account.email",
          async ({ db }) => {
            await db
              .updateTable("account")
              .set({ email: "unknown@example.invalid" })
              .where("email", "is", null)
              .execute();
          },
          // Which rows held NULL is not kept: the placeholder stays, and stays valid.
          async () => {},
        ),
        op.addCheck(
          "account",
          { name: "ck_account_email_not_null", predicate: { op: "isNotNull", column: "email" } },
          { notValid: true },
        ),
      ],
    },
  },
  check: ({ operation: o, existing }) =>
    o.op === "alterColumn" && existing.has(o.table) && o.from.nullable && !o.to.nullable
      ? {
          message: `${o.table}.${o.to.name} becomes NOT NULL: fails if any row is NULL, and locks the table while checking`,
          alternative: "backfill NULLs with a data step first",
        }
      : undefined,
};
