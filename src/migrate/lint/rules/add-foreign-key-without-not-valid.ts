import { dialectOf, enginesWith } from "../../../dialect/index.js";
import type { ForeignKeyModel } from "../../../schema/index.js";
import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({
  account: table("account", { id: col.id() }),
  realm: table("realm", { id: col.id(), accountId: col.integer() }),
}).model;
const fk: ForeignKeyModel = {
  name: "fk_realm_account_id_account",
  columns: ["account_id"],
  refTable: "account",
  refColumns: ["id"],
  onDelete: "cascade",
  onUpdate: "no action",
};

export const addForeignKeyWithoutNotValid: LintRule = {
  id: "add-foreign-key-without-not-valid",
  catalog: "M07",
  summary: "A foreign key is added to an existing PostgreSQL table and validated at once.",
  why: "Adding it checks every row while holding locks on both tables.",
  bad: `op.addForeignKey("realm", fk)`,
  good: `op.addForeignKey("realm", fk, { notValid: true }) now, op.validateConstraint("realm", fk.name) in a later migration`,
  examples: {
    bad: { before, operations: [op.addForeignKey("realm", fk)] },
    good: { before, operations: [op.addForeignKey("realm", fk, { notValid: true })] },
  },
  check: ({ operation: o, existing }) => {
    if (o.op !== "addForeignKey" || o.notValid || !existing.has(o.table)) return undefined;
    // Only engines that can add a constraint NOT VALID have the safer way.
    const engines = enginesWith("notValidConstraints");
    const q = dialectOf(engines[0]!).quote;
    return {
      message: `foreign key ${o.foreignKey.name} on ${o.table} scans the table under lock`,
      alternative:
        `op.addForeignKey(${JSON.stringify(o.table)}, fk, { notValid: true }) → ` +
        `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.foreignKey.name)} ... NOT VALID; ` +
        `then op.validateConstraint(${JSON.stringify(o.table)}, ${JSON.stringify(o.foreignKey.name)}) in a later migration`,
      dialects: engines,
    };
  },
};
