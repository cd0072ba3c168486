/**
 * What knowledge-hub's seed document (../shared/seeds/002_4a77a3d9789e2581.txt, "Database Model
 * Improvements") claims about the database, as data, section by section. Written from the seed, not
 * from schema.ts: claims.test.ts checks each one in the live database on every engine.
 */
import { hashPassword } from "plinth/security";
import type { Claim, SeedClaims } from "../../../test/helpers/seed-claims.js";

/** §1 Enhanced Base Model: the columns every model inherits. */
const BASE_MODELS = ["users", "user_sessions", "api_keys", "knowledge_items", "queries"];
const baseModel = (table: string): Claim[] => [
  { kind: "type", table, column: "id", type: "uuid", seed: "§1 Enhanced Base Model: UUID primary keys" },
  {
    kind: "not null",
    table,
    columns: ["created_at", "updated_at", "status", "version", "metadata_json"],
    seed: "§1 Enhanced Base Model: nullable=False",
  },
  { kind: "nullable", table, columns: ["deleted_at"], seed: "§1 Enhanced Base Model: deleted_at nullable" },
  { kind: "index", table, columns: ["deleted_at"], seed: "§1 Enhanced Base Model: deleted_at index=True" },
];

export const knowledgeHubClaims: SeedClaims = {
  blueprint: "knowledge-hub",
  claims: [
    ...BASE_MODELS.flatMap(baseModel),
    // §1 optimistic locking: a version below 1 is no version.
    {
      kind: "check",
      table: "users",
      column: "version",
      rejects: 0,
      accepts: 1,
      seed: "§1 Optimistic locking (version, default 1)",
    },

    // §2 Comprehensive Indexing Strategy, User model; §3 field documentation: email unique.
    { kind: "index", table: "users", columns: ["email"], seed: "§2 idx_users_email" },
    { kind: "index", table: "users", columns: ["username"], seed: "§2 idx_users_username" },
    { kind: "index", table: "users", columns: ["status"], seed: "§2 idx_users_status" },
    { kind: "index", table: "users", columns: ["last_login_at"], seed: "§2 idx_users_last_login" },
    {
      kind: "unique",
      table: "users",
      columns: ["email"],
      seed: "§Documentation Standards: email unique=True",
    },
    {
      kind: "check",
      table: "users",
      column: "username",
      rejects: "ab",
      accepts: "abc",
      seed: "§2 CheckConstraint('char_length(username) >= 3')",
    },
    // Performance Optimizations §1 composite indexes.
    {
      kind: "index",
      table: "users",
      columns: ["status", "last_login_at"],
      seed: "§Performance 1 idx_users_status_login",
    },
    {
      kind: "index",
      table: "knowledge_items",
      columns: ["type", "created_by"],
      seed: "§Performance 1 idx_knowledge_type_creator",
    },
    {
      kind: "index",
      table: "queries",
      columns: ["user_id", "created_at"],
      seed: "§Performance 1 idx_queries_user_time",
    },

    // §2 Session model: user id, token, expiration.
    { kind: "index", table: "user_sessions", columns: ["user_id"], seed: "§2 Session Model: User ID" },
    { kind: "index", table: "user_sessions", columns: ["token_hash"], seed: "§2 Session Model: token" },
    { kind: "index", table: "user_sessions", columns: ["expires_at"], seed: "§2 Session Model: expiration" },

    // §2 API key model; §3 key_hash nullable=False, unique=True.
    { kind: "index", table: "api_keys", columns: ["user_id"], seed: "§2 API Key Model: User ID" },
    { kind: "index", table: "api_keys", columns: ["expires_at"], seed: "§2 API Key Model: expiration" },
    { kind: "unique", table: "api_keys", columns: ["key_hash"], seed: "§3 key_hash unique=True" },
    { kind: "not null", table: "api_keys", columns: ["key_hash"], seed: "§3 key_hash nullable=False" },

    // §2 Knowledge model: type, source, created_by. §4 confidence in [0, 1].
    { kind: "index", table: "knowledge_items", columns: ["type"], seed: "§2 Knowledge Model: Type" },
    { kind: "index", table: "knowledge_items", columns: ["source"], seed: "§2 Knowledge Model: source" },
    {
      kind: "index",
      table: "knowledge_items",
      columns: ["created_by"],
      seed: "§2 Knowledge Model: created_by",
    },
    {
      kind: "check",
      table: "knowledge_items",
      column: "confidence",
      rejects: 1.5,
      accepts: 0.5,
      seed: "§4 Confidence Validation: range 0-1",
    },

    // §2 Query model: user id, created_at, response time.
    { kind: "index", table: "queries", columns: ["user_id"], seed: "§2 Query Model: User ID" },
    { kind: "index", table: "queries", columns: ["created_at"], seed: "§2 Query Model: created_at" },
    { kind: "index", table: "queries", columns: ["response_time_ms"], seed: "§2 Query Model: response_time" },

    // §2 Audit model: user id, entity, action, created_at. Security §2 Audit Trail: the columns.
    { kind: "index", table: "audit_logs", columns: ["user_id"], seed: "§2 Audit Model: User ID" },
    {
      kind: "index",
      table: "audit_logs",
      columns: ["entity_type", "entity_id"],
      seed: "§2 Audit Model: entity",
    },
    { kind: "index", table: "audit_logs", columns: ["action"], seed: "§2 Audit Model: action" },
    { kind: "index", table: "audit_logs", columns: ["created_at"], seed: "§2 Audit Model: created_at" },
    {
      kind: "foreign key",
      table: "audit_logs",
      columns: ["user_id"],
      references: "users",
      seed: "§Security 2 Audit Trail: ForeignKey('users.id')",
    },
    {
      kind: "not null",
      table: "audit_logs",
      columns: ["action", "entity_type", "entity_id"],
      seed: "§Security 2 Audit Trail: nullable=False",
    },
    {
      kind: "nullable",
      table: "audit_logs",
      columns: ["old_values", "new_values", "ip_address"],
      seed: "§Security 2 Audit Trail: nullable=True",
    },
    {
      kind: "type",
      table: "audit_logs",
      column: "entity_id",
      type: "uuid",
      seed: "§Security 2 Audit Trail: entity_id UUID",
    },
  ],
  samples: {
    users: { password_hash: () => hashPassword("claims-test password") },
  },
};
