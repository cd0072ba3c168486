/**
 * knowledge-hub: the database layer of a knowledge platform. Every domain table shares one base
 * model (UUID v7 key, timestamps, soft delete, record status, optimistic-lock version, JSON
 * metadata); users hold roles (and through them permissions), sessions and API keys; knowledge items
 * are searched full-text over title (weight A) and content (weight B); queries and an audit log
 * record what happened.
 */
import { auditLog } from "plinth";
import type { JsonValue } from "plinth/schema";
import { col, enumOf, ref, schema, softDelete, table, timestamps, version } from "plinth/schema";
import { rbacTables } from "plinth/security";

export const RecordStatus = enumOf("record_status", ["active", "inactive", "archived", "deleted"]);
export const AuditAction = enumOf("audit_action", [
  "create",
  "update",
  "delete",
  "restore",
  "archive",
  "login",
  "logout",
  "access",
]);

/** The base model every domain table starts with. */
function baseModel() {
  return {
    id: col.uuidPk(),
    ...timestamps(),
    ...softDelete(),
    status: col.enum(RecordStatus).default("active").doc("Lifecycle: active, inactive, archived or deleted."),
    ...version(),
    metadataJson: col
      .json<{ [key: string]: JsonValue }>()
      .default({})
      .doc("Free-form metadata (schema_version and the like)."),
  };
}

/** The base model's deleted_at is indexed: every live-rows query filters on it. */
const deletedAtIndex = (t: string) => ({ columns: ["deletedAt" as const], name: `idx_${t}_deleted_at` });

export const users = table(
  "users",
  {
    ...baseModel(),
    username: col.varchar(50).unique().minLength(3).doc("Login name, at least 3 characters."),
    email: col.varchar(255).unique().email().doc("Email address, stored lower-case."),
    passwordHash: col.password().doc("Password hash (argon2id); never the password."),
    fullName: col.varchar(255).nullable(),
    isVerified: col.boolean().default(false),
    twoFactorEnabled: col.boolean().default(false),
    twoFactorSecret: col.encrypted().nullable().doc("2FA secret, encrypted (AES-256-GCM)."),
    lastLoginAt: col.timestamp().nullable(),
    failedLoginAttempts: col.integer().default(0).min(0),
    lockedUntil: col.timestamp().nullable(),
  },
  {
    doc: "User accounts.",
    audit: true,
    growth: "slow",
    indexes: [
      deletedAtIndex("users"),
      { columns: ["status"], name: "idx_users_status" },
      { columns: ["lastLoginAt"], name: "idx_users_last_login" },
      { columns: ["status", "lastLoginAt"], name: "idx_users_status_login" },
    ],
  },
);

/** Roles and permissions: plinth's RBAC tables, under the seed's table names. */
export const rbac = rbacTables({
  user: () => users.id,
  names: {
    role: "roles",
    permission: "permissions",
    userRole: "user_roles",
    rolePermission: "role_permissions",
  },
});

export const userSessions = table(
  "user_sessions",
  {
    ...baseModel(),
    userId: ref(() => users.id, { onDelete: "cascade" }),
    tokenHash: col
      .varchar(255)
      .unique({ includingDeleted: true })
      .secret()
      .doc("Hash of the session token; never the token."),
    expiresAt: col.timestamp(),
    ipAddress: col.varchar(45).nullable(),
    userAgent: col.text().nullable(),
  },
  {
    doc: "Login sessions.",
    growth: "fast",
    indexes: [
      deletedAtIndex("user_sessions"),
      { columns: ["userId"], name: "idx_sessions_user" },
      { columns: ["expiresAt"], name: "idx_sessions_expires" },
    ],
  },
);

export const apiKeys = table(
  "api_keys",
  {
    ...baseModel(),
    userId: ref(() => users.id, { onDelete: "cascade" }),
    name: col.varchar(100),
    keyHash: col
      .varchar(255)
      .unique({ includingDeleted: true })
      .secret()
      .doc("Hash of the API key; never the key."),
    keyPrefix: col.varchar(16).doc("The key's first characters, shown to identify it."),
    scopes: col.json<string[]>().default([]),
    rateLimit: col.integer().default(1000).min(0).doc("Requests per hour."),
    rateWindowStartedAt: col
      .timestamp()
      .nullable()
      .doc("Start of the key's current one-hour rate-limit window; empty before its first request."),
    rateWindowCount: col.integer().default(0).min(0).doc("Requests counted in the current window."),
    expiresAt: col.timestamp().nullable(),
    lastUsedAt: col.timestamp().nullable(),
  },
  {
    doc: "API keys (hashed).",
    audit: true,
    indexes: [
      deletedAtIndex("api_keys"),
      { columns: ["userId"], name: "idx_api_keys_user" },
      { columns: ["keyPrefix"], name: "idx_api_keys_prefix" },
      { columns: ["expiresAt"], name: "idx_api_keys_expires" },
    ],
  },
);

export const knowledgeItems = table(
  "knowledge_items",
  {
    ...baseModel(),
    title: col.varchar(500),
    content: col.text(),
    type: col.varchar(50).default("document"),
    source: col.varchar(255).nullable(),
    confidence: col.double().default(1).between(0, 1).doc("How far the item can be trusted, 0..1."),
    tags: col.json<string[]>().default([]),
    createdBy: ref(() => users.id, { onDelete: "set null" }).nullable(),
  },
  {
    doc: "Knowledge items, searchable full-text.",
    audit: true,
    fullText: { name: "ft_knowledge_items", columns: { title: "A", content: "B" } },
    indexes: [
      deletedAtIndex("knowledge_items"),
      { columns: ["type"], name: "idx_knowledge_type" },
      { columns: ["source"], name: "idx_knowledge_source" },
      { columns: ["createdBy"], name: "idx_knowledge_created_by" },
      { columns: ["type", "createdBy"], name: "idx_knowledge_type_creator" },
    ],
  },
);

export const queries = table(
  "queries",
  {
    ...baseModel(),
    userId: ref(() => users.id, { onDelete: "set null" }).nullable(),
    queryText: col.text(),
    responseText: col.text().nullable(),
    responseTimeMs: col.integer().nullable().min(0),
    resultCount: col.integer().default(0).min(0),
  },
  {
    doc: "Questions asked, with their answers and timings.",
    growth: "fast",
    indexes: [
      deletedAtIndex("queries"),
      { columns: ["userId"], name: "idx_queries_user" },
      { columns: ["createdAt"], name: "idx_queries_created" },
      { columns: ["responseTimeMs"], name: "idx_queries_response_time" },
      { columns: ["userId", "createdAt"], name: "idx_queries_user_time" },
    ],
  },
);

export const auditLogs = table(
  "audit_logs",
  {
    id: col.uuidPk(),
    userId: ref(() => users.id, { onDelete: "set null" }).nullable(),
    action: col.enum(AuditAction),
    entityType: col.varchar(50),
    entityId: col.uuid(),
    oldValues: col.json().nullable(),
    newValues: col.json().nullable(),
    ipAddress: col.varchar(45).nullable(),
    createdAt: col.timestamp().defaultNow().withSpec({ role: "createdAt" }),
  },
  {
    doc: "Who changed what: old and new values per change.",
    growth: "append-only",
    indexes: [
      { columns: ["userId"], name: "idx_audit_user" },
      { columns: ["entityType", "entityId"], name: "idx_audit_entity" },
      { columns: ["action"], name: "idx_audit_action" },
      { columns: ["createdAt"], name: "idx_audit_created" },
    ],
  },
);

export const knowledgeHub = schema({
  // plinth's audit trail: every create, update and delete of the `audit: true` tables above, made
  // through a repository, with the values before and after; `plinth up` makes it append-only.
  auditLog: auditLog(),
  users,
  ...rbac,
  userSessions,
  apiKeys,
  knowledgeItems,
  queries,
  auditLogs,
});

export default knowledgeHub;
