/**
 * What dns-filter's seed document (../shared/seeds/000_760816b01a6eb167.txt, "Deep Dive Review:
 * Database Models & Schema Architecture") claims about the database, section by section, as data.
 * Written from the seed, not from schema.ts: claims.test.ts checks each one in the live database on
 * every engine, so a declaration that stops keeping a claim fails there.
 *
 * Where the seed names a rule without its storage, the claim uses this blueprint's spelling: the
 * seed's OwnerTypeEnum PLATFORM/USER and VisibilityEnum PUBLIC/PRIVATE/INVITE are stored as the
 * lower-case strings the seed's §2 asks for ("stored as strings (VARCHAR) not integers").
 */
import { hashPassword } from "plinth/security";
import type { SeedClaims } from "../../../test/helpers/seed-claims.js";

export const dnsFilterClaims: SeedClaims = {
  blueprint: "dns-filter",
  claims: [
    // §1 Account Model: auto-increment integer key; username and email unique, indexed for lookups;
    // email may be empty until confirmed. §5: username NOT NULL ("NULL username allowed" must fail).
    { kind: "type", table: "account", column: "id", type: "integer", seed: "§1 Account: primary key" },
    { kind: "unique", table: "account", columns: ["username"], seed: "§1 Account, §5 UNIQUE constraints" },
    { kind: "unique", table: "account", columns: ["email"], seed: "§1 Account, §5 UNIQUE constraints" },
    { kind: "index", table: "account", columns: ["username"], seed: "§4 Account login" },
    { kind: "index", table: "account", columns: ["email"], seed: "§1 Account: indexes" },
    { kind: "not null", table: "account", columns: ["username", "password_hash"], seed: "§5 NOT NULL test" },
    {
      kind: "nullable",
      table: "account",
      columns: ["email", "totp_secret", "last_login_at"],
      seed: "§1 Account: nullability",
    },

    // §1 Realm Model
    {
      kind: "foreign key",
      table: "realm",
      columns: ["account_id"],
      references: "account",
      seed: "§1 Realm: account_id → Account",
    },
    { kind: "not null", table: "realm", columns: ["account_id"], seed: "§1 Realm: account_id NOT NULL" },
    {
      kind: "foreign key",
      table: "realm",
      columns: ["domain_root_id"],
      references: "managed_domain_root",
      seed: "§1 Realm: domain_root_id",
    },
    {
      kind: "foreign key",
      table: "realm",
      columns: ["backend_service_id"],
      references: "backend_service",
      seed: "§1 Realm: backend_service_id",
    },
    {
      kind: "nullable",
      table: "realm",
      columns: ["domain_root_id", "backend_service_id"],
      seed: "§1 Realm: nullable (legacy, domain root's backend)",
    },
    {
      kind: "unique",
      table: "realm",
      columns: ["account_id", "realm_value", "realm_type"],
      seed: "§1 Realm: unique constraint",
    },
    { kind: "index", table: "realm", columns: ["account_id"], seed: "§1 Realm: indexes; §4 Realm lookup" },
    { kind: "index", table: "realm", columns: ["realm_value"], seed: "§1 Realm: indexes" },
    {
      kind: "domain",
      table: "realm",
      column: "realm_type",
      values: ["host", "subdomain", "wildcard"],
      seed: "§1 Realm fields, §2 RealmTypeEnum",
    },

    // §1 AuthToken Model, §3 Cascade: deleting a realm deletes its tokens.
    {
      kind: "foreign key",
      table: "auth_token",
      columns: ["realm_id"],
      references: "realm",
      onDelete: "cascade",
      seed: "§1 AuthToken: realm_id CASCADE; §3 Cascade",
    },
    { kind: "not null", table: "auth_token", columns: ["realm_id"], seed: "§1 AuthToken: realm_id NOT NULL" },
    {
      kind: "unique",
      table: "auth_token",
      columns: ["token_prefix"],
      seed: "§1 AuthToken, §5 UNIQUE constraints",
    },
    { kind: "index", table: "auth_token", columns: ["token_prefix"], seed: "§4 Token lookup by prefix" },
    {
      kind: "nullable",
      table: "auth_token",
      columns: ["expires_at"],
      seed: "§1 AuthToken: expires_at (nullable = no expiration)",
    },

    // §1 BackendProvider Model
    {
      kind: "unique",
      table: "backend_provider",
      columns: ["provider_code"],
      seed: "§1 BackendProvider: provider_code unique",
    },

    // §1 BackendService Model
    {
      kind: "foreign key",
      table: "backend_service",
      columns: ["provider_id"],
      references: "backend_provider",
      seed: "§1 BackendService: provider_id",
    },
    {
      kind: "unique",
      table: "backend_service",
      columns: ["service_name"],
      seed: "§1 BackendService, §5 UNIQUE constraints",
    },
    { kind: "index", table: "backend_service", columns: ["service_name"], seed: "§4 Backend service lookup" },
    {
      kind: "index",
      table: "backend_service",
      columns: ["owner_account_id"],
      seed: "§1 BackendService: indexes",
    },
    {
      kind: "domain",
      table: "backend_service",
      column: "owner_type",
      values: ["platform", "user"],
      seed: "§1 BackendService, §2 OwnerTypeEnum",
    },
    {
      kind: "foreign key",
      table: "backend_service",
      columns: ["owner_account_id"],
      references: "account",
      seed: "§1 BackendService: owner_account_id",
    },
    {
      kind: "nullable",
      table: "backend_service",
      columns: ["owner_account_id"],
      seed: "§1 BackendService: nullable if platform-owned",
    },

    // §1 ManagedDomainRoot Model
    {
      kind: "foreign key",
      table: "managed_domain_root",
      columns: ["backend_service_id"],
      references: "backend_service",
      seed: "§1 ManagedDomainRoot: backend_service_id",
    },
    {
      kind: "not null",
      table: "managed_domain_root",
      columns: ["backend_service_id", "root_domain", "dns_zone"],
      seed: "§1 ManagedDomainRoot: NOT NULL",
    },
    {
      kind: "domain",
      table: "managed_domain_root",
      column: "visibility",
      values: ["public", "private", "invite"],
      seed: "§1 ManagedDomainRoot, §2 VisibilityEnum",
    },
    {
      kind: "nullable",
      table: "managed_domain_root",
      columns: ["allowed_record_types", "allowed_operations"],
      seed: "§1 ManagedDomainRoot: NULL = all",
    },
    {
      kind: "unique",
      table: "managed_domain_root",
      columns: ["backend_service_id", "root_domain"],
      seed: "§1 ManagedDomainRoot: unique constraint",
    },
    {
      kind: "index",
      table: "managed_domain_root",
      columns: ["root_domain"],
      seed: "§1 ManagedDomainRoot: indexes; §4 Domain root lookup",
    },
    {
      kind: "index",
      table: "managed_domain_root",
      columns: ["backend_service_id"],
      seed: "§1 ManagedDomainRoot: indexes",
    },

    // §1 ActivityLog Model: all four references nullable; the log is the audit trail (§12), so it
    // outlives what it mentions: deleting an account keeps its rows, with the reference emptied.
    {
      kind: "foreign key",
      table: "activity_log",
      columns: ["account_id"],
      references: "account",
      onDelete: "set null",
      seed: "§1 ActivityLog: foreign keys (all nullable); §12 Audit trail",
    },
    {
      kind: "foreign key",
      table: "activity_log",
      columns: ["realm_id"],
      references: "realm",
      onDelete: "set null",
      seed: "§1 ActivityLog: foreign keys (all nullable)",
    },
    {
      kind: "foreign key",
      table: "activity_log",
      columns: ["token_id"],
      references: "auth_token",
      onDelete: "set null",
      seed: "§1 ActivityLog: foreign keys (all nullable)",
    },
    {
      kind: "foreign key",
      table: "activity_log",
      columns: ["backend_service_id"],
      references: "backend_service",
      onDelete: "set null",
      seed: "§1 ActivityLog: foreign keys (all nullable)",
    },
    {
      kind: "nullable",
      table: "activity_log",
      columns: ["account_id", "realm_id", "token_id", "backend_service_id"],
      seed: "§1 ActivityLog: foreign keys (all nullable)",
    },
    {
      kind: "domain",
      table: "activity_log",
      column: "status",
      values: ["success", "failure", "error"],
      seed: "§1 ActivityLog: status; §5 CHECK constraints",
    },
    {
      kind: "domain",
      table: "activity_log",
      column: "severity",
      values: ["info", "warning", "error", "critical"],
      seed: "§1 ActivityLog: severity; §5 CHECK constraints",
    },
    {
      kind: "index",
      table: "activity_log",
      columns: ["created_at", "account_id", "activity_type"],
      seed: "§4 Activity log filtering: composite index",
    },
    { kind: "index", table: "activity_log", columns: ["account_id"], seed: "§1 ActivityLog: indexes" },
    { kind: "index", table: "activity_log", columns: ["activity_type"], seed: "§1 ActivityLog: indexes" },
    {
      kind: "not null",
      table: "activity_log",
      columns: ["activity_type", "created_at"],
      seed: "§1 ActivityLog: activity fields",
    },

    // §1 Settings Model
    { kind: "unique", table: "settings", columns: ["key"], seed: "§1 Settings: key (unique)" },
  ],
  samples: {
    // §12 Password hashing: the column holds a hash, whatever else the database checks about it.
    account: { password_hash: () => hashPassword("claims-test password") },
  },
  complete: {
    // §1 BackendService owner fields: a user-owned service names its owner, a platform one none.
    backend_service: async (row, given, rows) => {
      if ("owner_account_id" in given && given.owner_account_id !== null) row.owner_type = "user";
      if (row.owner_type === "user" && row.owner_account_id == null)
        row.owner_account_id = (await rows.insert("account")).id;
    },
    // A settings row holds its value either as JSON or encrypted (a secret key's): exactly one.
    settings: (row, given) => {
      if (!("value" in given) && !("secret_value" in given)) row.value = "{}";
    },
  },
};
