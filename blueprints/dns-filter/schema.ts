/**
 * dns-filter: the database layer of a DNS API filter. Accounts own realms (the part of the DNS tree
 * they may touch); realms carry API tokens; backend services connect to DNS providers and serve
 * managed domain roots; every request leaves an activity-log row; settings is a JSON key-value store.
 *
 * Secrets are never stored as given: passwords as argon2id hashes, API tokens as a lookup prefix plus
 * a keyed hash, TOTP secrets, backend service configs and secret settings encrypted (AES-256-GCM,
 * keys from PLINTH_ENCRYPTION_KEYS).
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { auditLog, isCidr } from "plinth";
import { col, enumOf, expr, ref, schema, table, timestamps } from "plinth/schema";
import { activityLogTable, apiTokenColumns, settingsTable } from "plinth/security";

export const RealmType = enumOf("realm_type", ["host", "subdomain", "wildcard"]);
export const OwnerType = enumOf("owner_type", ["platform", "user"]);
export const Visibility = enumOf("visibility", ["public", "private", "invite"]);
export { ActivitySeverity as Severity, ActivityStatus } from "plinth/security";

export const OPERATIONS = ["read", "create", "update", "delete"] as const;

/**
 * A JSON array of strings, each checked by `valid` before any write (through a repository or the
 * Kysely handle); the failure names the array index and what was expected.
 */
function listOf(expected: string, valid: (item: string) => boolean): StandardSchemaV1<string[]> {
  return {
    "~standard": {
      version: 1,
      vendor: "dns-filter",
      validate(value) {
        if (!Array.isArray(value)) return { issues: [{ message: `must be a JSON array of ${expected}` }] };
        const issues = value.flatMap((item, index) =>
          typeof item === "string" && valid(item)
            ? []
            : [{ message: `${JSON.stringify(item)} is not ${expected}`, path: [index] }],
        );
        return issues.length > 0 ? { issues } : { value: value as string[] };
      },
    },
  };
}

/** DNS record types as written in zone files: A, AAAA, CNAME, TXT, ... */
const recordTypes = () =>
  col.json(listOf("a record type (A, AAAA, TXT, ...)", (t) => /^[A-Z][A-Z0-9]{0,9}$/.test(t)));
const operations = () =>
  col.json(
    listOf(`an operation (${OPERATIONS.join(", ")})`, (o) => (OPERATIONS as readonly string[]).includes(o)),
  );
const cidrList = () => col.json(listOf("a CIDR range (10.0.0.0/8, 2001:db8::/32)", isCidr));

export const account = table(
  "account",
  {
    id: col.id(),
    username: col
      .varchar(80)
      .unique()
      .match(/^[a-zA-Z0-9_-]+$/)
      .doc("Login name: letters, digits, _ and -."),
    email: col.varchar(255).nullable().unique().email().doc("May be empty until the account confirms one."),
    passwordHash: col.password().doc("argon2id hash (legacy bcrypt accepted); never the password."),
    isApproved: col.boolean().default(false),
    mustChangePassword: col.boolean().default(false),
    isActive: col.boolean().default(true),
    totpSecret: col
      .encrypted()
      .nullable()
      .doc("TOTP secret for two-factor login, encrypted with PLINTH_ENCRYPTION_KEYS."),
    totpLastStep: col
      .integer()
      .nullable()
      .doc("Time step of the last TOTP code accepted; codes at or before it are replays."),
    totpEnabledMandatory: col.boolean().default(false),
    ...timestamps(),
    lastLoginAt: col.timestamp().nullable(),
    phone: col.varchar(20).nullable().doc("Contact phone number (added by migration 0002)."),
  },
  { doc: "A person or system that can log in and own realms.", audit: true, growth: "slow" },
);

export const backendProvider = table(
  "backend_provider",
  {
    id: col.id(),
    providerCode: col.varchar(32).unique().doc('Stable code, e.g. "netcup" or "powerdns".'),
    displayName: col.varchar(100),
    description: col.text().nullable(),
    configSchema: col
      .json<Record<string, unknown>>()
      .nullable()
      .doc("JSON Schema that a backend service's config must satisfy."),
    isActive: col.boolean().default(true),
    isBuiltIn: col.boolean().default(false),
    ...timestamps(),
  },
  { doc: "A kind of DNS provider plinth can talk to (an enum table).", growth: "static" },
);

export const backendService = table(
  "backend_service",
  {
    id: col.id(),
    providerId: ref(() => backendProvider.id, { onDelete: "restrict" }),
    serviceName: col.varchar(100).unique().doc("Globally unique service name."),
    displayName: col.varchar(200),
    ownerType: col.enum(OwnerType).default("platform"),
    ownerAccountId: ref(() => account.id, { onDelete: "cascade" })
      .nullable()
      .doc("The owning account; empty for platform-owned services."),
    config: col
      .encryptedJson()
      .doc(
        "Provider-specific settings incl. API credentials, validated against the provider's config schema; encrypted with PLINTH_ENCRYPTION_KEYS.",
      ),
    isActive: col.boolean().default(true),
    ...timestamps(),
  },
  {
    doc: "One configured instance of a DNS provider, owned by the platform or by an account.",
    audit: true,
    growth: "slow",
    indexes: [["ownerAccountId"]],
    checks: [
      {
        name: "ck_backend_service_owner",
        predicate: expr.or(
          expr.and(expr.in("ownerType", ["platform"]), expr.isNull("ownerAccountId")),
          expr.and(expr.in("ownerType", ["user"]), expr.isNotNull("ownerAccountId")),
        ),
      },
    ],
  },
);

export const managedDomainRoot = table(
  "managed_domain_root",
  {
    id: col.id(),
    backendServiceId: ref(() => backendService.id, { onDelete: "cascade" }),
    rootDomain: col.varchar(255).domainName().doc("The domain users see."),
    dnsZone: col.varchar(255).domainName().doc("The zone in the DNS backend."),
    visibility: col.enum(Visibility).default("private"),
    allowApexAccess: col.boolean().default(false),
    minSubdomainDepth: col.integer().default(1).min(0),
    maxSubdomainDepth: col.integer().default(3).min(0),
    allowedRecordTypes: recordTypes().nullable().doc("NULL allows every record type."),
    allowedOperations: operations().nullable().doc("NULL allows every operation."),
    userQuotas: col.json<{ maxHostsPerUser?: number }>().nullable(),
    requireEmailVerification: col.boolean().default(false),
    displayName: col.varchar(200),
    description: col.text().nullable(),
    ...timestamps(),
  },
  {
    doc: "A DNS zone (or part of one) offered to accounts through a backend service.",
    audit: true,
    growth: "slow",
    // The unique key's leading column already serves lookups by backend_service_id.
    unique: [["backendServiceId", "rootDomain"]],
    indexes: [["rootDomain"]],
    checks: [
      {
        name: "ck_managed_domain_root_depth",
        predicate: expr.raw("min_subdomain_depth <= max_subdomain_depth"),
      },
    ],
  },
);

export const realm = table(
  "realm",
  {
    id: col.id(),
    accountId: ref(() => account.id, { onDelete: "cascade" }),
    domainRootId: ref(() => managedDomainRoot.id, { onDelete: "set null" })
      .nullable()
      .doc("Empty for legacy realms not tied to a managed domain root."),
    backendServiceId: ref(() => backendService.id, { onDelete: "set null" })
      .nullable()
      .doc("Empty to use the domain root's backend."),
    realmValue: col.varchar(255).domainName(),
    realmType: col.enum(RealmType),
    recordTypes: recordTypes().nullable().doc('Allowed record types, e.g. ["A", "AAAA"]; NULL allows all.'),
    operations: operations().nullable().doc('Allowed operations, e.g. ["read", "update"]; NULL allows all.'),
    allowedIpRanges: cidrList().nullable().doc("CIDR ranges requests must come from; NULL allows any."),
    ...timestamps(),
  },
  {
    doc: "The part of the DNS tree an account may act on, and how.",
    audit: true,
    growth: "slow",
    // The unique key's leading column already serves lookups by account_id.
    unique: [["accountId", "realmValue", "realmType"]],
    indexes: [["realmValue"]],
  },
);

export const authToken = table(
  "auth_token",
  {
    id: col.id(),
    realmId: ref(() => realm.id, { onDelete: "cascade" }),
    // alias, tokenPrefix (unique lookup prefix), tokenHash (keyed hash), expiresAt, isActive, lastUsedAt
    ...apiTokenColumns(),
    createdAt: col.timestamp().defaultNow(),
  },
  {
    doc: "An API token scoped to one realm.",
    audit: true,
    growth: "slow",
    hotQueries: {
      tokenByPrefix: (db) => db.selectFrom("auth_token").selectAll().where("tokenPrefix", "=", "naf_test_"),
    },
  },
);

/** Rows survive the deletion of what they mention (SET NULL): the history outlives the account. */
export const activityLog = activityLogTable({
  account: () => account.id,
  realm: () => realm.id,
  token: () => authToken.id,
  backendService: () => backendService.id,
});

/** Secret keys' values (e-mail settings, API credentials) are kept encrypted in `secret_value`. */
export const settings = settingsTable("settings", { secretValues: true });

export const dnsFilter = schema({
  // Every create, update and delete of the `audit: true` tables above, made through plinth with an
  // AuditTrail, is recorded here; `plinth up` makes it append-only.
  auditLog: auditLog(),
  account,
  backendProvider,
  backendService,
  managedDomainRoot,
  realm,
  authToken,
  activityLog,
  settings,
});

export default dnsFilter;
