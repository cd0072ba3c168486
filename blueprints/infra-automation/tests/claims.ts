/**
 * What infra-automation's seed document (../shared/seeds/003_b9effe065aa680ee.txt, "Database Design
 * Summary") claims about the database, as data. Written from the seed, not from schema.ts:
 * claims.test.ts checks each one in the live database on every engine.
 */
import { randomUUID } from "node:crypto";
import { hashPassword } from "plinth/security";
import type { SeedClaims } from "../../../test/helpers/seed-claims.js";

export const infraAutomationClaims: SeedClaims = {
  blueprint: "infra-automation",
  claims: [
    // Key Design Decisions §1 Primary Keys.
    {
      kind: "type",
      table: "users",
      column: "id",
      type: "integer",
      seed: "§1 Primary Keys: INT AUTO_INCREMENT",
    },
    {
      kind: "type",
      table: "jobs",
      column: "id",
      type: "integer",
      seed: "§1 Primary Keys: INT AUTO_INCREMENT",
    },
    {
      kind: "type",
      table: "job_logs",
      column: "id",
      type: "bigint",
      seed: "§1 Primary Keys: BIGINT (job_logs)",
    },
    {
      kind: "type",
      table: "audit_logs",
      column: "id",
      type: "bigint",
      seed: "§1 Primary Keys: BIGINT (audit_logs)",
    },
    {
      kind: "type",
      table: "jobs",
      column: "job_id",
      type: "uuid",
      seed: "§1 Primary Keys: UUID fields (job_id)",
    },
    {
      kind: "type",
      table: "tickets",
      column: "ticket_id",
      type: "uuid",
      seed: "§1 Primary Keys: UUID fields (ticket_id)",
    },
    {
      kind: "unique",
      table: "jobs",
      columns: ["job_id"],
      seed: "§1 Primary Keys: UUID for external references",
    },
    {
      kind: "unique",
      table: "tickets",
      columns: ["ticket_id"],
      seed: "§1 Primary Keys: UUID for external references",
    },

    // Relationship Map and §4 Foreign Key Cascading.
    {
      kind: "foreign key",
      table: "job_logs",
      columns: ["job_id"],
      references: "jobs",
      onDelete: "cascade",
      seed: "§4 jobs → job_logs CASCADE",
    },
    {
      kind: "foreign key",
      table: "tickets",
      columns: ["job_id"],
      references: "jobs",
      onDelete: "restrict",
      seed: "§4 jobs → tickets RESTRICT",
    },
    {
      kind: "foreign key",
      table: "jobs",
      columns: ["user_id"],
      references: "users",
      onDelete: "restrict",
      seed: "§4 jobs → users RESTRICT",
    },
    {
      kind: "foreign key",
      table: "audit_logs",
      columns: ["user_id"],
      references: "users",
      onDelete: "set null",
      seed: "§4 audit_logs → users SET NULL",
    },
    {
      kind: "foreign key",
      table: "jobs",
      columns: ["server_id"],
      references: "servers",
      seed: "Relationship Map: servers (1) → (N) jobs",
    },
    {
      kind: "foreign key",
      table: "jobs",
      columns: ["playbook_id"],
      references: "playbooks",
      seed: "Relationship Map: playbooks (1) → (N) jobs",
    },
    {
      kind: "foreign key",
      table: "tickets",
      columns: ["created_by"],
      references: "users",
      seed: "Relationship Map: users (1) → (N) tickets",
    },
    { kind: "nullable", table: "audit_logs", columns: ["user_id"], seed: "§4 audit_logs → users SET NULL" },

    // §6 Index Strategy: unique high-cardinality fields; composite filters; time on every log table.
    { kind: "unique", table: "users", columns: ["email"], seed: "§6 Single-column: email" },
    { kind: "unique", table: "servers", columns: ["hostname"], seed: "§6 Single-column: hostname" },
    { kind: "unique", table: "servers", columns: ["ip_address"], seed: "§6 Single-column: IP" },
    {
      kind: "index",
      table: "jobs",
      columns: ["status", "created_at"],
      seed: "§6 Composite: status + created_at; pattern 1 dashboard",
    },
    {
      kind: "index",
      table: "jobs",
      columns: ["user_id", "status"],
      seed: "§6 pattern 2: jobs filtered by user + status",
    },
    {
      kind: "index",
      table: "job_logs",
      columns: ["job_id", "line_number"],
      seed: "§6 pattern 3: by job + line number",
    },
    {
      kind: "index",
      table: "audit_logs",
      columns: ["resource_type", "resource_id"],
      seed: "§6 pattern 4: by resource_type + resource_id",
    },
    {
      kind: "index",
      table: "job_logs",
      columns: ["logged_at"],
      seed: "§6 Timestamp; Implemented: separate timestamp index on job_logs",
    },
    {
      kind: "index",
      table: "audit_logs",
      columns: ["created_at"],
      seed: "§6 Timestamp: all audit/logging tables indexed by time",
    },

    // Performance Optimizations: enum types for status and role fields.
    {
      kind: "domain",
      table: "users",
      column: "role",
      values: ["admin", "operator", "viewer"],
      seed: "Deliverables §1 Enum types for status/role fields",
    },
    {
      kind: "domain",
      table: "jobs",
      column: "status",
      values: ["pending", "running", "success", "failed", "cancelled"],
      seed: "Implemented: Enum types for status fields",
    },
    {
      kind: "domain",
      table: "servers",
      column: "status",
      values: ["active", "inactive", "maintenance"],
      seed: "Implemented: Enum types for status fields",
    },
    {
      kind: "domain",
      table: "tickets",
      column: "status",
      values: ["open", "in_progress", "resolved", "closed"],
      seed: "Implemented: Enum types for status fields",
    },

    // Security & Compliance: email normalised to lower case; the audit trail immutable.
    {
      kind: "check",
      table: "users",
      column: "email",
      rejects: "Mixed@Example.com",
      accepts: "lower@example.com",
      seed: "§Security: Email normalization (lowercase)",
    },
    { kind: "append-only", table: "audit_logs", seed: "§Security: Immutable audit trail (no updates)" },
  ],
  samples: {
    users: { password_hash: () => hashPassword("claims-test password") },
    jobs: { job_id: () => randomUUID() },
  },
};
