/**
 * What ta-generator's seed document (../shared/seeds/004_15319cee23b9241f.txt, "Database Schema &
 * Models Implementation Summary") claims about the database, as data. Written from the seed, not
 * from schema.ts: claims.test.ts checks each one in the live database on every engine.
 */
import type { Claim, SeedClaims } from "../../../test/helpers/seed-claims.js";

/** Data Model: the ten core entities (user_roles is the UserRole association). */
const TABLES = [
  "users",
  "roles",
  "user_roles",
  "requests",
  "log_samples",
  "ta_revisions",
  "validation_runs",
  "knowledge_documents",
  "audit_logs",
  "system_config",
];

export const taGeneratorClaims: SeedClaims = {
  blueprint: "ta-generator",
  claims: [
    // Key Features: UUID primary keys, for distributed system compatibility.
    ...TABLES.map(
      (table): Claim => ({
        kind: "type",
        table,
        column: "id",
        type: "uuid",
        seed: "Key Features: UUID primary keys",
      }),
    ),

    // Enums Defined: the five enums, value for value.
    {
      kind: "domain",
      table: "requests",
      column: "status",
      values: [
        "NEW",
        "PENDING_APPROVAL",
        "APPROVED",
        "REJECTED",
        "GENERATING_TA",
        "VALIDATING",
        "COMPLETED",
        "FAILED",
      ],
      seed: "Enums Defined 1: RequestStatus",
    },
    {
      kind: "domain",
      table: "validation_runs",
      column: "status",
      values: ["QUEUED", "RUNNING", "PASSED", "FAILED"],
      seed: "Enums Defined 2: ValidationStatus",
    },
    {
      kind: "domain",
      table: "ta_revisions",
      column: "generated_by",
      values: ["AUTO", "MANUAL"],
      seed: "Enums Defined 3: TARevisionType",
    },
    {
      kind: "domain",
      table: "roles",
      column: "name",
      values: ["REQUESTOR", "APPROVER", "ADMIN", "KNOWLEDGE_MANAGER"],
      seed: "Enums Defined 4: UserRoleEnum; Data Model 2: Role",
    },
    {
      kind: "domain",
      table: "audit_logs",
      column: "action",
      values: ["CREATE", "UPDATE", "DELETE", "APPROVE", "REJECT", "DOWNLOAD", "UPLOAD", "LOGIN", "LOGOUT"],
      seed: "Enums Defined 5: AuditAction",
    },

    // Technical Notes 4: versions unique per request.
    {
      kind: "unique",
      table: "ta_revisions",
      columns: ["request_id", "version"],
      seed: "Technical Notes 4: unique (request_id, version)",
    },

    // Data Model 3: the many-to-many association, and Key Features: foreign keys, cascading deletes.
    {
      kind: "foreign key",
      table: "user_roles",
      columns: ["user_id"],
      references: "users",
      onDelete: "cascade",
      seed: "Data Model 3: UserRole association; Key Features: cascading deletes",
    },
    {
      kind: "foreign key",
      table: "user_roles",
      columns: ["role_id"],
      references: "roles",
      onDelete: "cascade",
      seed: "Data Model 3: UserRole association; Key Features: cascading deletes",
    },
    {
      kind: "unique",
      table: "user_roles",
      columns: ["user_id", "role_id"],
      seed: "Data Model 3: a user holds a role once",
    },
    {
      kind: "foreign key",
      table: "log_samples",
      columns: ["request_id"],
      references: "requests",
      seed: "Data Model 5: uploaded log samples (of a request)",
    },
    {
      kind: "foreign key",
      table: "ta_revisions",
      columns: ["request_id"],
      references: "requests",
      seed: "Data Model 6: versioned TA packages (of a request)",
    },
    {
      kind: "foreign key",
      table: "validation_runs",
      columns: ["ta_revision_id"],
      references: "ta_revisions",
      seed: "Data Model 7: validation results (of a revision)",
    },

    // Technical Notes 5: soft deletes (deleted_at on LogSample, is_active on KnowledgeDocument);
    // Data Model 5: log samples carry their retention.
    {
      kind: "nullable",
      table: "log_samples",
      columns: ["deleted_at", "retention_until"],
      seed: "Technical Notes 5: deleted_at; Data Model 5: retention",
    },
    {
      kind: "not null",
      table: "knowledge_documents",
      columns: ["is_active"],
      seed: "Technical Notes 5: is_active flag",
    },
    {
      kind: "index",
      table: "log_samples",
      columns: ["retention_until"],
      seed: "Data Model 5: LogSample with retention (purge by it)",
    },

    // Data Model 9, Technical Notes 3: immutable audit trail (append-only) with correlation ids.
    {
      kind: "append-only",
      table: "audit_logs",
      seed: "Data Model 9: Immutable audit trail (append-only); Technical Notes 3",
    },
    {
      kind: "type",
      table: "audit_logs",
      column: "correlation_id",
      type: "uuid",
      seed: "Key Features: audit logs with correlation IDs",
    },

    // Technical Notes 6: get_running_count reads RUNNING runs by status.
    {
      kind: "index",
      table: "validation_runs",
      columns: ["status"],
      seed: "Technical Notes 6: get_running_count()",
    },

    // Data Model 10: SystemConfig, a key-value store.
    {
      kind: "unique",
      table: "system_config",
      columns: ["key"],
      seed: "Data Model 10: runtime configuration key-value store",
    },
  ],
  samples: {
    users: { auth_provider: () => "local" },
    system_config: { value_type: () => "string" },
  },
  complete: {
    // The status flow's CHECKs: a status past approval has its approval time, a rejection its
    // reason, a completion its time (states no legal sequence of transitions can skip).
    requests: (row, _given, rows) => {
      const status = String(row.status ?? "NEW");
      const stamp = rows.value(rows.table("requests").columns.find((c) => c.name === "approved_at")!);
      if (!["NEW", "PENDING_APPROVAL", "REJECTED"].includes(status)) row.approved_at ??= stamp;
      if (status === "REJECTED") row.rejection_reason ??= "out of scope";
      if (status === "COMPLETED") row.completed_at ??= stamp;
    },
    // roles is an enum table the seed fills with every role name: a new role row frees its name first.
    roles: async (row, _given, rows) => {
      await rows.k.deleteFrom("roles").where("name", "=", row.name).execute();
    },
  },
};
