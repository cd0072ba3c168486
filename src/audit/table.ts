import { col, enumOf, table } from "../schema/index.js";

/** The audit table's database name; triggers, the trail and the history queries all use it. */
export const AUDIT_TABLE = "plinth_audit_log";

export const AuditAction = enumOf("audit_action", ["create", "update", "delete"]);
export type AuditAction = (typeof AuditAction.values)[number];

export interface AuditLogOptions {
  /**
   * Rows older than this many days are removed by `prune` (and `plinth prune`), the only DELETE the
   * append-only triggers let through; each such prune is recorded in plinth_prune_log.
   */
  retention?: { days: number };
}

/**
 * The append-only audit table. Add it to a schema next to the tables it audits:
 * `schema({ ...tables, auditLog: auditLog() })`. A plain declaration rather than a schema wrapper, so
 * DDL, migrations, the snapshot and the typed Kysely handle all see it like any other table.
 *
 * Identifiers are varchar (not integer) because audited tables may have UUID or composite keys, and
 * actors may come from an external identity provider. `changes` is keyed by database column name.
 */
export function auditLog(options: AuditLogOptions = {}) {
  return table(
    AUDIT_TABLE,
    {
      id: col.bigId(),
      tableName: col.varchar(128).doc("Database name of the audited table."),
      rowId: col.varchar(255).doc("Primary key of the changed row (composite keys joined), as text."),
      action: col.enum(AuditAction),
      changes: col
        .json<Record<string, unknown>>()
        .doc("create/delete: { column: value }; update: { column: { old, new } } for changed columns only."),
      actorId: col.varchar(255).nullable(),
      actorName: col.varchar(255).nullable(),
      actorRoles: col.json<string[]>().nullable(),
      requestId: col.varchar(255).nullable(),
      ip: col.varchar(64).nullable(),
      userAgent: col.text().nullable(),
      createdAt: col.timestamp().defaultNow(),
    },
    {
      doc: "Append-only audit trail: one row per create, update and delete on audited tables.",
      growth: "append-only",
      ...(options.retention
        ? { retention: { days: options.retention.days, column: "createdAt" as const } }
        : {}),
      // One index per history query: by entity, by actor, by time range (see history.ts).
      indexes: [["tableName", "rowId", "createdAt"], ["actorId", "createdAt"], ["createdAt"]],
    },
  );
}

export type AuditLogTable = ReturnType<typeof auditLog>;

/** The audit row's columns a write fills in (TypeScript keys, in parameter order); the rest default. */
export const AUDIT_WRITTEN_KEYS = [
  "tableName",
  "rowId",
  "action",
  "changes",
  "actorId",
  "actorName",
  "actorRoles",
  "requestId",
  "ip",
  "userAgent",
] as const;
