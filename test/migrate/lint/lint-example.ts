import type { ColumnModel, SchemaModel } from "plinth";
import type { LintExample, LintFinding, LintRule, Operation } from "plinth/migrate";
import { LINT_RULES, lintMigration, migration } from "plinth/migrate";

/** A rule by its id, from the list the runner uses: a rule left out of LINT_RULES fails its own test. */
export function lintRule(id: string): LintRule {
  const rule = LINT_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no lint rule ${id} in LINT_RULES`);
  return rule;
}

/** Lints an example as `make` lints the migration it writes: the next one, against the schema so far. */
export function lintExample(
  { before, operations }: LintExample,
  rules: LintRule[] = LINT_RULES,
): LintFinding[] {
  const m = migration({ id: "0002_x", description: "x", parents: ["0001"], operations });
  return lintMigration(m, before, rules);
}

/** The findings of one rule alone, so that a test reads as that rule's verdict. */
export const findingsOf = (rule: LintRule, before: SchemaModel, ...operations: Operation[]) =>
  lintExample({ before, operations }, [rule]);

export function columnOf(schema: SchemaModel, table: string, column: string): ColumnModel {
  const found = schema.tables.find((t) => t.name === table)?.columns.find((c) => c.name === column);
  if (!found) throw new Error(`no column ${table}.${column} in the example schema`);
  return found;
}
