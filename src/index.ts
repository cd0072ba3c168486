// connect wires the audit trail a schema declares; it takes the place of the data layer's own.
export { connect } from "./audit/connect.js";
export * from "./audit/index.js";
export type { ConnectionSettings, PlinthConfig, ReviewSettings } from "./config/index.js";
export { defineConfig } from "./config/index.js";
export * from "./data/index.js";
export type { Capabilities, SqlDialect, TimeUnit } from "./dialect/index.js";
export { dialectOf, renderSchema } from "./dialect/index.js";
export type { ValidationIssue, ViolationDetails, ViolationKind } from "./errors.js";
export {
  AuditTrailMissingError,
  CheckViolation,
  ConnectionError,
  ConstraintViolation,
  DatabaseUrlError,
  ForeignKeyViolation,
  InvalidCursorError,
  InvalidOptionError,
  MigrationError,
  NotFoundError,
  NotNullViolation,
  PlinthError,
  StaleVersionError,
  StatementTimeoutError,
  UniqueViolation,
  UnknownDialectError,
  ValidationError,
} from "./errors.js";
export * from "./schema/index.js";
