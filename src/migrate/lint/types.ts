import type { Dialect, SchemaModel } from "../../schema/index.js";
import type { Operation } from "../operations.js";

export interface LintFinding {
  rule: string;
  migration: string;
  operation: string;
  /** What goes wrong, in this migration's terms. */
  message: string;
  /** The safe way to get the same result. */
  alternative: string;
  /** Only matters on these engines (all, when absent). */
  dialects?: Dialect[];
}

/** What a rule reports; the runner adds which rule, migration and operation it is about. */
export type LintVerdict = Omit<LintFinding, "rule" | "migration" | "operation">;

export interface LintContext {
  operation: Operation;
  /** The schema just before this operation. */
  before: SchemaModel;
  /** Tables that existed before the migration started: changes to them meet live rows and traffic. */
  existing: Set<string>;
}

/**
 * A migration together with the schema it is applied to. Rules carry their examples in this form so
 * that their tests lint exactly what the documentation shows.
 */
export interface LintExample {
  before: SchemaModel;
  operations: Operation[];
}

export interface LintRule {
  id: string;
  /** The matching rule in the shared catalogue of migration linters (squawk, strong_migrations, ...). */
  catalog: string;
  summary: string;
  why: string;
  /** The unsafe form, as the documentation prints it. */
  bad: string;
  /** The safe way to the same end, as the documentation prints it. */
  good: string;
  /** `bad` and `good` as migrations: the rule must fire on the first and stay silent on the second. */
  examples: { bad: LintExample; good: LintExample };
  check(ctx: LintContext): LintVerdict | undefined;
}
