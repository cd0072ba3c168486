import type { SchemaModel } from "../../schema/index.js";
import type { Migration } from "../migration.js";
import { describeOperation } from "../operations.js";
import { applyOperation } from "../state.js";
import { addForeignKeyWithoutNotValid } from "./rules/add-foreign-key-without-not-valid.js";
import { addNotNullColumnWithoutDefault } from "./rules/add-not-null-column-without-default.js";
import { createIndexNonConcurrently } from "./rules/create-index-non-concurrently.js";
import { dropColumn } from "./rules/drop-column.js";
import { dropTable } from "./rules/drop-table.js";
import { narrowedType } from "./rules/narrowed-type.js";
import { renameColumn } from "./rules/rename-column.js";
import { renameTable } from "./rules/rename-table.js";
import { setNotNull } from "./rules/set-not-null.js";
import type { LintFinding, LintRule } from "./types.js";

export type { LintContext, LintExample, LintFinding, LintRule, LintVerdict } from "./types.js";

/**
 * Rules in the manner of squawk and strong_migrations: each one small, named, explained, with the
 * safe alternative. They look at operations, not SQL, so one rule covers every engine. The order is
 * the order findings are reported in for one operation.
 */
export const LINT_RULES: LintRule[] = [
  addNotNullColumnWithoutDefault,
  dropTable,
  dropColumn,
  narrowedType,
  setNotNull,
  createIndexNonConcurrently,
  addForeignKeyWithoutNotValid,
  renameColumn,
  renameTable,
];

/** Lints one migration against the schema it will be applied to. */
export function lintMigration(
  m: Migration,
  before: SchemaModel,
  rules: LintRule[] = LINT_RULES,
): LintFinding[] {
  const existing = new Set(before.tables.map((t) => t.name));
  const findings: LintFinding[] = [];
  let state = before;
  for (const operation of m.operations) {
    for (const rule of rules) {
      const found = rule.check({ operation, before: state, existing });
      if (found)
        findings.push({ rule: rule.id, migration: m.id, operation: describeOperation(operation), ...found });
    }
    state = applyOperation(state, operation);
  }
  return findings;
}

/** One finding as printed by `make` and `verify`. */
export function formatFinding(f: LintFinding): string {
  const where = f.dialects ? ` [${f.dialects.join(", ")}]` : "";
  return `${f.rule}${where}: ${f.message}\n    safer: ${f.alternative}`;
}
