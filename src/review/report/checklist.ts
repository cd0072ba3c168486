/**
 * The review checklist as data: the fifteen areas of a database-model review and their boxes, each
 * box with the rules that back it. A box is only ever marked verified because the rules that back it
 * ran and found nothing in its scope (and, for a box about one table, the declaration has what the
 * box asks for); a box no rule backs is reported as not checked, with why.
 */

/** The fifteen areas, in the order a reviewer reads them. */
export const SECTIONS: readonly { number: number; title: string }[] = [
  { number: 1, title: "Core Models Structure" },
  { number: 2, title: "Enum Tables & Type Safety" },
  { number: 3, title: "Relationships & Cascades" },
  { number: 4, title: "Indexes & Query Performance" },
  { number: 5, title: "Data Integrity & Constraints" },
  { number: 6, title: "JSON Field Usage" },
  { number: 7, title: "Migration Strategy" },
  { number: 8, title: "Database Initialization" },
  { number: 9, title: "Helper Functions & Model Methods" },
  { number: 10, title: "Query Optimization Patterns" },
  { number: 11, title: "Data Validation" },
  { number: 12, title: "Security Considerations" },
  { number: 13, title: "Testing Coverage" },
  { number: 14, title: "Documentation" },
  { number: 15, title: "Production Readiness" },
];

/** The area each rule's findings are reported under. Migration lint rules go to 7 by their group. */
export const RULE_SECTION: Readonly<Record<string, number>> = {
  "no-primary-key": 1,
  "naming-case": 1,
  "enum-without-check": 2,
  "fk-target-not-unique": 3,
  "nullable-in-multicolumn-fk": 3,
  "fk-cycle": 3,
  "id-column-without-fk": 3,
  "cascade-deletes-audit": 3,
  "fk-without-index": 4,
  "duplicate-index": 4,
  "redundant-prefix-index": 4,
  "hot-query-scan": 4,
  "unused-index": 4,
  "constraint-probe": 5,
  "foreign-keys-not-enforced": 5,
  "integrity-check": 5,
  "timestamp-without-default": 5,
  "soft-delete-unique": 5,
  "sqlite-not-strict": 5,
  "json-without-validation": 6,
  "json-not-jsonb": 6,
  "schema-drift": 8,
  "migrations-not-applied": 7,
  "secret-in-plaintext": 12,
  "audit-without-immutability": 12,
  "key-exhaustion": 15,
  "partition-plan": 15,
  "large-table": 15,
};

/**
 * When a box applies to a schema at all. A box about one table applies when the table (and its
 * columns) exist; the others name a property of the schema.
 */
export type Applicability =
  | "always"
  | "foreign-keys"
  | "json-columns"
  | "enum-columns"
  | "audit-tables"
  | "hot-queries"
  | "secret-columns"
  | "timestamps"
  | "soft-delete"
  | "migrations"
  | "high-growth";

/** What the declaration must have for a box about one table (read from the declaration, never assumed). */
export type Expectation =
  | "exists"
  | "unique"
  | "indexed"
  | "not-null"
  | "nullable"
  | "foreign-key"
  | "cascade"
  | "json"
  | "enum-checked";

export interface BoxSpec {
  /** Stable: `<section>.<n>`. */
  id: string;
  section: number;
  text: string;
  /** The rules whose findings (in scope) fail the box and whose clean run verifies it. */
  rules: readonly string[];
  /** The table (and columns, as the database names them) the box is about. */
  target?: { table: string; columns?: readonly string[]; expect?: Expectation };
  applies?: Applicability;
  /** For a box no rule backs: what would check it. */
  unchecked?: string;
}

const NO_RULE_CODE = "about application code (model methods, ORM options), which a schema review cannot see";
const NO_RULE_PROCESS = "about the team's process or operations, which the database cannot show";

type Row = [
  text: string,
  rules: readonly string[],
  target?: BoxSpec["target"] | Applicability,
  unchecked?: string,
];

/** The boxes of one section, numbered in order. */
function section(n: number, rows: Row[]): BoxSpec[] {
  return rows.map(([text, rules, target, unchecked], i) => {
    const box: BoxSpec = { id: `${n}.${i + 1}`, section: n, text, rules };
    if (typeof target === "string") box.applies = target;
    else if (target) box.target = target;
    if (rules.length === 0) box.unchecked = unchecked ?? NO_RULE_CODE;
    return box;
  });
}

const t = (table: string, columns: string[] = [], expect: Expectation = "exists") => ({
  table,
  columns,
  expect,
});

const PROBE = ["constraint-probe", "schema-drift"];
const INDEX = ["hot-query-scan", "fk-without-index", "schema-drift"];

export const BOXES: readonly BoxSpec[] = [
  ...section(1, [
    ["Every table has a primary key", ["no-primary-key"], "always"],
    ["Account: primary key `id`", ["no-primary-key"], t("account", ["id"])],
    ["Account: `username` unique", PROBE, t("account", ["username"], "unique")],
    ["Account: `email` unique", PROBE, t("account", ["email"], "unique")],
    [
      "Account: password stored as `password_hash` (never plaintext)",
      ["secret-in-plaintext"],
      t("account", ["password_hash"]),
    ],
    [
      "Account: `created_at`, `updated_at`, `last_login_at`",
      ["timestamp-without-default"],
      t("account", ["created_at", "updated_at", "last_login_at"]),
    ],
    ["Account: email nullable initially", PROBE, t("account", ["email"], "nullable")],
    [
      "Realm: `account_id` → account (NOT NULL)",
      ["constraint-probe", "fk-target-not-unique"],
      t("realm", ["account_id"], "foreign-key"),
    ],
    [
      "Realm: `domain_root_id` → managed_domain_root (nullable)",
      ["constraint-probe", "fk-target-not-unique"],
      t("realm", ["domain_root_id"], "nullable"),
    ],
    [
      "Realm: `backend_service_id` → backend_service (nullable)",
      ["constraint-probe", "fk-target-not-unique"],
      t("realm", ["backend_service_id"], "nullable"),
    ],
    [
      "Realm: unique `(account_id, realm_value, realm_type)`",
      PROBE,
      t("realm", ["account_id", "realm_value", "realm_type"], "unique"),
    ],
    ["Realm: index on `realm_value` (`account_id`: 4.8)", INDEX, t("realm", ["realm_value"], "indexed")],
    [
      "AuthToken: `realm_id` → realm (NOT NULL, CASCADE delete)",
      ["constraint-probe", "fk-target-not-unique"],
      t("auth_token", ["realm_id"], "cascade"),
    ],
    ["AuthToken: `token_hash` never plaintext", ["secret-in-plaintext"], t("auth_token", ["token_hash"])],
    ["AuthToken: `token_prefix` unique", PROBE, t("auth_token", ["token_prefix"], "unique")],
    ["BackendProvider: `provider_code` unique", PROBE, t("backend_provider", ["provider_code"], "unique")],
    [
      "BackendService: `provider_id` → backend_provider",
      ["constraint-probe", "fk-target-not-unique"],
      t("backend_service", ["provider_id"], "foreign-key"),
    ],
    ["BackendService: `service_name` unique", PROBE, t("backend_service", ["service_name"], "unique")],
    [
      "BackendService: index on `owner_account_id`",
      INDEX,
      t("backend_service", ["owner_account_id"], "indexed"),
    ],
    [
      "ManagedDomainRoot: `backend_service_id` → backend_service (NOT NULL)",
      ["constraint-probe", "fk-target-not-unique"],
      t("managed_domain_root", ["backend_service_id"], "foreign-key"),
    ],
    [
      "ManagedDomainRoot: unique `(backend_service_id, root_domain)`",
      PROBE,
      t("managed_domain_root", ["backend_service_id", "root_domain"], "unique"),
    ],
    [
      "ManagedDomainRoot: index on `root_domain`",
      INDEX,
      t("managed_domain_root", ["root_domain"], "indexed"),
    ],
    ["ActivityLog: `created_at` timestamp", ["timestamp-without-default"], t("activity_log", ["created_at"])],
    ["Settings: `key` unique", PROBE, t("settings", ["key"], "unique")],
  ]),
  ...section(2, [
    [
      "Enum values validated in the database (CHECK or native enum)",
      ["enum-without-check", "constraint-probe"],
      "enum-columns",
    ],
    [
      "Realm type stored as a string with its values checked",
      ["enum-without-check", "constraint-probe"],
      t("realm", ["realm_type"], "enum-checked"),
    ],
    [
      "Owner type (platform/user) checked",
      ["enum-without-check", "constraint-probe"],
      t("backend_service", ["owner_type"], "enum-checked"),
    ],
    [
      "Visibility (public/private/invite) checked",
      ["enum-without-check", "constraint-probe"],
      t("managed_domain_root", ["visibility"], "enum-checked"),
    ],
    ["Migration safety: new enum values don't break existing data", ["narrowed-type"], "migrations"],
  ]),
  ...section(3, [
    ["Foreign keys point at a primary or unique key", ["fk-target-not-unique"], "foreign-keys"],
    ["Multi-column foreign keys have no nullable column", ["nullable-in-multicolumn-fk"], "foreign-keys"],
    ["No foreign-key cycles", ["fk-cycle"], "foreign-keys"],
    ["Every `*_id` column has a foreign key", ["id-column-without-fk"], "always"],
    ["Deletes never cascade into the audit trail", ["cascade-deletes-audit"], "audit-tables"],
    [
      "Orphaned records prevented (foreign keys enforced)",
      ["foreign-keys-not-enforced", "constraint-probe"],
      "foreign-keys",
    ],
    [
      "Cascade: deleting a realm deletes its tokens",
      ["constraint-probe"],
      t("auth_token", ["realm_id"], "cascade"),
    ],
    ["Lazy loading for large collections", [], "always"],
  ]),
  ...section(4, [
    ["Every foreign key has a covering index", ["fk-without-index"], "foreign-keys"],
    ["No duplicate indexes", ["duplicate-index"], "always"],
    ["No redundant prefix indexes", ["redundant-prefix-index"], "always"],
    ["Declared hot queries use an index (EXPLAIN)", ["hot-query-scan"], "hot-queries"],
    [
      "Token lookup by prefix uses an index on `token_prefix`",
      ["hot-query-scan", "constraint-probe", "schema-drift"],
      t("auth_token", ["token_prefix"], "indexed"),
    ],
    ["Account login: index on `username`", INDEX, t("account", ["username"], "indexed")],
    ["Activity log filtering: index on `created_at`", INDEX, t("activity_log", ["created_at"], "indexed")],
    ["Realm lookup: index on `account_id`", INDEX, t("realm", ["account_id"], "indexed")],
    [
      "Backend service lookup: index on `service_name`",
      INDEX,
      t("backend_service", ["service_name"], "indexed"),
    ],
    [
      "Domain root lookup: index on `root_domain`",
      INDEX,
      t("managed_domain_root", ["root_domain"], "indexed"),
    ],
    ["Indexes are used (live statistics)", ["unused-index"], "always"],
  ]),
  ...section(5, [
    ["NOT NULL constraints enforced at DB level", ["constraint-probe"], "always"],
    ["UNIQUE constraints enforced", ["constraint-probe"], "always"],
    ["CHECK constraints: enum values validated", ["constraint-probe", "enum-without-check"], "enum-columns"],
    [
      "FOREIGN KEY constraints: referential integrity enforced",
      ["constraint-probe", "foreign-keys-not-enforced", "integrity-check"],
      "foreign-keys",
    ],
    ["DEFAULT values: timestamps default to CURRENT_TIMESTAMP", ["timestamp-without-default"], "timestamps"],
    ["Unique keys of soft-deleted tables ignore deleted rows", ["soft-delete-unique"], "soft-delete"],
    ["Declared types enforced (SQLite STRICT tables)", ["sqlite-not-strict"], "always"],
    ["The engine's consistency checks pass", ["integrity-check"], "always"],
    [
      "String lengths appropriate (username max 80, email max 255)",
      [],
      t("account", ["username", "email"]),
      "a judgement on lengths, not a rule",
    ],
  ]),
  ...section(6, [
    ["JSON columns are validated before storage", ["json-without-validation"], "json-columns"],
    ["JSON stored as jsonb on PostgreSQL", ["json-not-jsonb"], "json-columns"],
    [
      "Realm permission arrays (`record_types`, `operations`, `allowed_ip_ranges`) are JSON",
      ["json-without-validation"],
      t("realm", ["record_types", "operations", "allowed_ip_ranges"], "json"),
    ],
    ["NULL vs empty array semantics clear", [], "json-columns", "documented intent, not a database property"],
  ]),
  ...section(7, [
    ["Migrations are version-controlled and applied in order", ["migrations-not-applied"], "migrations"],
    ["No applied migration was edited afterwards", ["migrations-not-applied"], "migrations"],
    ["Indexes built without blocking writes", ["create-index-non-concurrently"], "migrations"],
    [
      "Zero downtime: no column dropped or renamed in one step",
      ["drop-column", "rename-column", "rename-table", "drop-table"],
      "migrations",
    ],
    [
      "Zero downtime: NOT NULL added safely",
      ["set-not-null", "add-not-null-column-without-default"],
      "migrations",
    ],
    ["Zero downtime: no type narrowed in place", ["narrowed-type"], "migrations"],
    ["Foreign keys added without a long lock", ["add-foreign-key-without-not-valid"], "migrations"],
    ["Migration tested on a production data snapshot", [], "migrations", NO_RULE_PROCESS],
  ]),
  ...section(8, [
    ["Initialization created every declared table, column, index and constraint", ["schema-drift"], "always"],
    [
      "Idempotency: can run multiple times safely",
      [],
      "always",
      "plinth's own tests cover `plinth up`; the review does not rerun it",
    ],
  ]),
  ...section(9, [["Model methods (check_password, verify_totp, is_expired…)", [], "always"]]),
  ...section(10, [
    ["Eager loading where appropriate (no N+1)", [], "always"],
    ["Large result sets paginated", [], "always"],
  ]),
  ...section(11, [
    [
      "Field validators (username, email, domain, CIDR formats)",
      [],
      "always",
      "validators run in the application; only their CHECK constraints reach the database (section 5)",
    ],
    ["JSON schema: config fields validated against schemas", ["json-without-validation"], "json-columns"],
  ]),
  ...section(12, [
    ["Password hashing: no plaintext passwords stored", ["secret-in-plaintext"], "secret-columns"],
    ["Token hashing: API tokens stored hashed", ["secret-in-plaintext"], "secret-columns"],
    ["No JWTs or card numbers stored in plaintext", ["secret-in-plaintext"], "always"],
    ["Audit trail is append-only (UPDATE/DELETE refused)", ["audit-without-immutability"], "audit-tables"],
    ["Row-level security: account isolation enforced in queries", [], "always"],
  ]),
  ...section(13, [
    ["Constraint violations refused (unique, NOT NULL, CHECK, FK)", ["constraint-probe"], "always"],
    ["Query performance: indexes used, query plans checked", ["hot-query-scan"], "hot-queries"],
    ["CRUD tests for each model", [], "always", NO_RULE_PROCESS],
  ]),
  ...section(14, [
    [
      "Docstrings: each table documented",
      [],
      "always",
      "no rule checks doc strings yet; `plinth docs` lists every table with its doc",
    ],
    [
      "Field descriptions explained",
      [],
      "always",
      "many columns explain themselves; a missing doc string is a judgement call",
    ],
    [
      "ER diagram up to date (generated from the declaration in this report)",
      [],
      "always",
      "the diagram below is generated, so it is current by construction",
    ],
  ]),
  ...section(15, [
    [
      "Capacity planning: integer keys of high-growth tables will not run out",
      ["key-exhaustion"],
      "high-growth",
    ],
    [
      "Partitioning: large and high-growth tables are partitioned or have a retention",
      ["partition-plan"],
      "high-growth",
    ],
    ["Naming is consistent", ["naming-case"], "always"],
    ["Backup strategy, connection pooling, monitoring", [], "always", NO_RULE_PROCESS],
    [
      "Log retention: old activity logs pruned periodically",
      [],
      t("activity_log"),
      "retention is declared (`retention`) but no rule checks it yet",
    ],
  ]),
];
