export type { LockOptions } from "../dialect/index.js";
export type { Detected, Renames } from "./autodetector.js";
export { autodetect } from "./autodetector.js";
export { MigrationError } from "./errors.js";
export { MigrationGraph } from "./graph.js";
export type { HistoryRow, HistoryStatus } from "./history.js";
export { HISTORY_TABLE } from "./history.js";
export type { LintExample, LintFinding, LintRule } from "./lint/index.js";
export { formatFinding, LINT_RULES, lintMigration } from "./lint/index.js";
export type { LoadedMigration } from "./loader.js";
export { loadMigrations } from "./loader.js";
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
export type {
  AppliedMigration,
  BaselineResult,
  Direction,
  MigrationFailure,
  MigrationResult,
  MigrationState,
  MigrationStatus,
  MigratorOptions,
  ProgressEvent,
  RunOptions,
  StatusReport,
} from "./runner.js";
export { Migrator } from "./runner.js";
export { applyOperation, applyOperations, EMPTY_STATE, StateError } from "./state.js";
export type { EngineReport, VerifyCheck, VerifyOptions, VerifyReport, VerifyTarget } from "./verify.js";
export { verifyMigrations } from "./verify.js";
export { renderMigrationFile } from "./writer.js";
