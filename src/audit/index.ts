export type { AuditActor, AuditContext } from "./context.js";
export { currentAuditContext, withAuditContext } from "./context.js";
export type { AuditEntry, HistoryOptions, TimeRange } from "./history.js";
export { auditHistory } from "./history.js";
export {
  appendOnlyStatements,
  asImmutableRowError,
  auditImmutabilityStatements,
  dropAppendOnlyStatements,
  ImmutableRowError,
  installAppendOnly,
  installAuditTrail,
} from "./immutability.js";
export { DEFAULT_REDACT_KEYS, REDACTED } from "./redact.js";
export type { AuditLogOptions, AuditLogTable } from "./table.js";
export { AUDIT_TABLE, AuditAction, auditLog } from "./table.js";
export type { AuditTrailOptions } from "./trail.js";
export { AuditTrail } from "./trail.js";
