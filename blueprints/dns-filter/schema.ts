/**
 * dns-filter: the database layer of a DNS API filter. Accounts own realms (the part of the DNS tree
 * they may touch); realms carry API tokens; backend services connect to DNS providers and serve
 * managed domain roots; every request leaves an activity-log row; settings is a JSON key-value store.
 */
import { col, enumOf, expr, ref, schema, table, timestamps } from "plinth/schema";

export const RealmType = enumOf("realm_type", ["host", "subdomain", "wildcard"]);
export const OwnerType = enumOf("owner_type", ["platform", "user"]);
export const Visibility = enumOf("visibility", ["public", "private", "invite"]);
export const ActivityStatus = enumOf("activity_status", ["success", "failure", "error"]);
export const Severity = enumOf("severity", ["info", "warning", "error", "critical"]);

/** JSON arrays of strings (record types, operations, CIDR ranges) are typed as such. */
const stringList = () => col.json<string[]>();

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
    passwordHash: col.varchar(255).secret().doc("Password hash; never the password."),
    isApproved: col.boolean().default(false),
    mustChangePassword: col.boolean().default(false),
    isActive: col.boolean().default(true),
    totpSecret: col.varchar(255).nullable().secret().doc("TOTP secret for two-factor login."),
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
    configSchema: col.json().nullable().doc("JSON Schema that a backend service's config must satisfy."),
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
    config: col.json().doc("Provider-specific settings, validated against the provider's config schema."),
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
    allowedRecordTypes: stringList().nullable().doc("NULL allows every record type."),
    allowedOperations: stringList().nullable().doc("NULL allows every operation."),
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
    recordTypes: stringList().nullable().doc('Allowed record types, e.g. ["A", "AAAA"]; NULL allows all.'),
    operations: stringList().nullable().doc('Allowed operations, e.g. ["read", "update"]; NULL allows all.'),
    allowedIpRanges: stringList().nullable().doc("CIDR ranges requests must come from; NULL allows any."),
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
    alias: col.varchar(64).doc("Human-readable name of the token."),
    tokenPrefix: col
      .varchar(64)
      .unique()
      .doc("Public lookup prefix; its unique index serves every token lookup."),
    tokenHash: col.varchar(255).secret().doc("Hash of the token; never the token."),
    expiresAt: col.timestamp().nullable().doc("Empty: never expires."),
    isActive: col.boolean().default(true),
    createdAt: col.timestamp().defaultNow(),
    lastUsedAt: col.timestamp().nullable(),
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

export const activityLog = table(
  "activity_log",
  {
    id: col.bigId(),
    accountId: ref(() => account.id, { onDelete: "set null" }).nullable(),
    realmId: ref(() => realm.id, { onDelete: "set null" }).nullable(),
    tokenId: ref(() => authToken.id, { onDelete: "set null" }).nullable(),
    backendServiceId: ref(() => backendService.id, { onDelete: "set null" }).nullable(),
    activityType: col.varchar(50).doc("login, failed_auth, dns_update, ..."),
    sourceIp: col.varchar(45).nullable(),
    userAgent: col.varchar(512).nullable(),
    status: col.enum(ActivityStatus),
    severity: col.enum(Severity).default("info"),
    errorCode: col.varchar(50).nullable(),
    statusReason: col.text().nullable(),
    requestData: col.json().nullable(),
    responseSummary: col.json().nullable(),
    domain: col.varchar(255).nullable(),
    recordName: col.varchar(255).nullable(),
    recordType: col.varchar(10).nullable(),
    createdAt: col.timestamp().defaultNow(),
  },
  {
    doc: "What happened, to whom, from where: one row per request or event.",
    growth: "append-only",
    retention: { days: 365, column: "createdAt" },
    indexes: [
      ["createdAt", "accountId", "activityType"],
      ["accountId", "createdAt"],
      ["activityType", "createdAt"],
      ["tokenId"],
      ["realmId"],
      ["backendServiceId"],
    ],
    hotQueries: {
      accountActivityLastWeek: (db) =>
        db
          .selectFrom("activity_log")
          .selectAll()
          .where("accountId", "=", 1)
          .where("createdAt", ">=", new Date(Date.now() - 7 * 86_400_000)),
    },
  },
);

export const settings = table(
  "settings",
  {
    id: col.id(),
    key: col.varchar(255).unique(),
    value: col.json(),
    updatedAt: col.timestamp().defaultNow().doc("When the value last changed (UTC)."),
  },
  { doc: "Application settings as JSON values, one row per key.", growth: "static" },
);

export const dnsFilter = schema({
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
