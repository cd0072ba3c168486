/**
 * What service-audit's seed document (../shared/seeds/001_ce84850f6e44bc2a.txt, "Database Schema")
 * claims about the database, as data. Written from the seed, not from schema.ts: claims.test.ts
 * checks each one in the live database on every engine.
 */
import type { SeedClaims } from "../../../test/helpers/seed-claims.js";

export const serviceAuditClaims: SeedClaims = {
  blueprint: "service-audit",
  claims: [
    // Table Schemas: `author`.
    {
      kind: "type",
      table: "author",
      column: "id",
      type: "integer",
      seed: "§author Table: id INTEGER PRIMARY KEY",
    },
    { kind: "not null", table: "author", columns: ["name"], seed: "§author Table: name NOT NULL" },

    // Table Schemas: `user_actions`, column by column.
    {
      kind: "type",
      table: "user_actions",
      column: "id",
      type: "integer",
      seed: "§user_actions Table: id INTEGER PRIMARY KEY",
    },
    {
      kind: "not null",
      table: "user_actions",
      columns: ["timestamp", "user_id", "username", "user_roles", "action_type", "resource", "outcome"],
      seed: "§user_actions Table: NOT NULL columns",
    },
    {
      kind: "nullable",
      table: "user_actions",
      columns: [
        "ip_address",
        "user_agent",
        "request_id",
        "request_data",
        "response_status",
        "error_message",
        "duration_ms",
      ],
      seed: "§user_actions Table: NULLABLE columns",
    },

    // Database Indexes: single-column indexes, then the composite ones (order matters, §Performance).
    { kind: "index", table: "user_actions", columns: ["timestamp"], seed: "§Database Indexes: timestamp" },
    { kind: "index", table: "user_actions", columns: ["user_id"], seed: "§Database Indexes: user_id" },
    { kind: "index", table: "user_actions", columns: ["username"], seed: "§Database Indexes: username" },
    {
      kind: "index",
      table: "user_actions",
      columns: ["action_type"],
      seed: "§Database Indexes: action_type",
    },
    { kind: "index", table: "user_actions", columns: ["outcome"], seed: "§Database Indexes: outcome" },
    { kind: "index", table: "user_actions", columns: ["request_id"], seed: "§Database Indexes: request_id" },
    {
      kind: "index",
      table: "user_actions",
      columns: ["user_id", "timestamp"],
      seed: "§Database Indexes: idx_user_timestamp",
    },
    {
      kind: "index",
      table: "user_actions",
      columns: ["user_id", "action_type"],
      seed: "§Database Indexes: idx_user_action",
    },

    // Overview: an audit log of user actions, written once (the seed's own seed.ts installs the guard).
    { kind: "append-only", table: "user_actions", seed: "§Overview: audit logging of user actions" },
  ],
};
