export type { Detected, Renames } from "./autodetector.js";
export { autodetect } from "./autodetector.js";
export type { Migration } from "./migration.js";
export { isMigration, migration } from "./migration.js";
export type {
  DataContext,
  DataFunction,
  Operation,
  OperationKind,
  Step,
  TableDetails,
} from "./operations.js";
export { describeOperation, isSqlStep, op, reverseOperation } from "./operations.js";
export type { MigrationPlan, PlannedOperation } from "./plan.js";
export { planDown, planToSql, planUp } from "./plan.js";
export { renderOperation } from "./render/index.js";
export { applyOperation, applyOperations, EMPTY_STATE, StateError } from "./state.js";
export { renderMigrationFile } from "./writer.js";
export type { LintFinding, LintRule } from "./lint.js";
export { formatFinding, LINT_RULES, lintMigration } from "./lint.js";
