/**
 * Realm authorization: one call decides whether a token may perform a DNS request, and leaves an
 * activity-log row whether it may or not.
 *
 * It works on tables shaped like dns-filter's: account → realm → token, plus an activity log. The
 * tables are passed in (by declaration or database name), so any schema with those shapes can use it:
 *
 *   const tokens = new ApiTokens(db, "auth_token", { prefix: "naf" });
 *   const authz = new RealmAuthorizer(db, { tokens, realms: realm, accounts: account, activity: activityLog });
 *   const decision = await authz.authorize(token, { domain: "home.dyn.example.com", operation: "update",
 *     recordType: "A", sourceIp: req.ip });
 *   if (!decision.allowed) reply(403, decision.reason);
 */
import type { Kysely } from "kysely";
import type { Db } from "../data/index.js";
import { PlinthError } from "../errors.js";
import type { ColumnModel, ColumnRef, ForeignKeyModel, TableModel } from "../schema/index.js";
import { col, enumOf, ref, table } from "../schema/index.js";
import type { RealmDenial, RealmRequest, RealmScope } from "./realms.js";
import { normaliseDomain, operationAllowed, realmDenial, recordTypeAllowed } from "./realms.js";
import type { TokenFailureReason } from "./tokens.js";

export const ActivityStatus = enumOf("activity_status", ["success", "failure", "error"]);
export const ActivitySeverity = enumOf("severity", ["info", "warning", "error", "critical"]);

/**
 * The activity-log table, declared exactly as dns-filter's `activity_log` (same columns, enums and
 * indexes), so a schema can use `activityLog: activityLogTable({...})` in its place.
 */
export function activityLogTable<const N extends string = "activity_log">(
  refs: {
    account: () => ColumnRef<number>;
    realm: () => ColumnRef<number>;
    token: () => ColumnRef<number>;
    backendService: () => ColumnRef<number>;
  },
  name?: N,
) {
  return table(
    (name ?? "activity_log") as N,
    {
      id: col.bigId(),
      accountId: ref(refs.account, { onDelete: "set null" }).nullable(),
      realmId: ref(refs.realm, { onDelete: "set null" }).nullable(),
      tokenId: ref(refs.token, { onDelete: "set null" }).nullable(),
      backendServiceId: ref(refs.backendService, { onDelete: "set null" }).nullable(),
      activityType: col.varchar(50).doc("login, failed_auth, dns_update, ..."),
      sourceIp: col.varchar(45).nullable(),
      userAgent: col.varchar(512).nullable(),
      status: col.enum(ActivityStatus),
      severity: col.enum(ActivitySeverity).default("info"),
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
            .selectFrom(name ?? "activity_log")
            .selectAll()
            .where("accountId", "=", 1)
            .where("createdAt", ">=", new Date(Date.now() - 7 * 86_400_000)),
      },
    },
  );
}

/** Why a request was refused. Token reasons come first, then the account, then the realm's rules. */
export type AuthorizeDenial =
  | "token_malformed"
  | "token_unknown"
  | "token_invalid"
  | "token_revoked"
  | "token_expired"
  | "realm_missing"
  | "account_inactive"
  | "account_not_approved"
  | RealmDenial
  | DomainRootDenial;

const TOKEN_DENIALS: Record<TokenFailureReason, AuthorizeDenial> = {
  malformed: "token_malformed",
  unknown: "token_unknown",
  mismatch: "token_invalid",
  revoked: "token_revoked",
  expired: "token_expired",
};

const MESSAGES: Record<AuthorizeDenial, string> = {
  token_malformed: "the token is not in the expected format",
  token_unknown: "no token has this lookup prefix",
  token_invalid: "the token does not match the stored hash",
  token_revoked: "the token has been revoked",
  token_expired: "the token has expired",
  realm_missing: "the token's realm no longer exists",
  account_inactive: "the account that owns the realm is disabled",
  account_not_approved: "the account that owns the realm is not approved yet",
  ip_not_allowed: "the source address is outside the realm's allowed IP ranges",
  domain_not_in_realm: "the domain is outside the realm",
  operation_not_allowed: "the realm does not allow this operation",
  record_type_not_allowed: "the realm does not allow this record type",
  root_not_visible: "the realm's domain root is not offered to this account (its visibility)",
  domain_not_in_root: "the domain is outside the realm's domain root",
  apex_not_allowed: "the domain root does not allow access to its apex",
  subdomain_too_shallow: "the name is fewer labels below the domain root than it allows",
  subdomain_too_deep: "the name is more labels below the domain root than it allows",
  root_operation_not_allowed: "the domain root does not allow this operation",
  root_record_type_not_allowed: "the domain root does not allow this record type",
};

export interface AuthorizeRequest extends RealmRequest {
  /** The record's name, if it differs from `domain` (logged). */
  recordName?: string | null;
  userAgent?: string | null;
  /** The activity type logged for a request that got past token checks; `dns_<operation>` by default. */
  activityType?: string;
  /** Logged as the row's request data (JSON); keep secrets out of it. */
  requestData?: unknown;
}

/** A verified token row: authorization reads its key and its realm reference. */
export type AuthorizedTokenRow = Record<string, unknown>;

/** Anything that verifies a presented token like ApiTokens.verify does. */
export interface TokenVerifier {
  verify(
    token: string,
  ): Promise<
    | { ok: true; row: AuthorizedTokenRow }
    | { ok: false; reason: "malformed" | "unknown" }
    | { ok: false; reason: "mismatch"; tokenId: unknown }
    | { ok: false; reason: "revoked" | "expired"; row: AuthorizedTokenRow }
  >;
}

export type RealmRow = RealmScope & { id: unknown; accountId?: unknown; [column: string]: unknown };

export type AuthorizeResult =
  | {
      allowed: true;
      reason: null;
      message: string;
      tokenId: unknown;
      accountId: unknown;
      realm: RealmRow;
    }
  | {
      allowed: false;
      reason: AuthorizeDenial;
      message: string;
      tokenId?: unknown;
      accountId?: unknown;
      realm?: RealmRow;
    };

type TableArg = string | { $name: string };

export interface RealmAuthorizerOptions {
  /** Verifies the presented token (an ApiTokens instance). */
  tokens: TokenVerifier;
  /** The realm table (dns-filter's `realm` shape). */
  realms: TableArg;
  /** The activity-log table (dns-filter's `activity_log` shape; columns it lacks are not written). */
  activity: TableArg;
  /** The account table; when given, a disabled (isActive) or unapproved (isApproved) owner is refused. */
  accounts?: TableArg;
  /** The token row's key naming its realm; "realmId" unless given. */
  realmKey?: string;
  /** The token table's primary key; "id" unless given. */
  tokenKey?: string;
  /**
   * The managed-domain-root table (dns-filter's `managed_domain_root` shape). When given, a realm
   * tied to a root (see `domainRootKey`) is held to the root's rules too: visibility, apex access,
   * minimum and maximum subdomain depth, allowed operations and record types (see domainRootDenial).
   * The owner a private root is checked against is its backend service's `ownerAccountId`, read
   * through the root's foreign key.
   */
  domainRoots?: TableArg;
  /** The realm row's key naming its domain root; "domainRootId" unless given. */
  domainRootKey?: string;
}

/** A managed domain root's rules, as dns-filter's `managed_domain_root` row holds them. */
export interface DomainRootRules {
  rootDomain: string;
  /** public: any account's realms; invite: realms granted under it; private: its service owner's only. */
  visibility?: "public" | "private" | "invite" | string;
  allowApexAccess?: boolean;
  minSubdomainDepth?: number;
  maxSubdomainDepth?: number;
  /** null or undefined allows every record type, an empty list none. */
  allowedRecordTypes?: readonly string[] | null;
  /** null or undefined allows every operation, an empty list none. */
  allowedOperations?: readonly string[] | null;
}

export type DomainRootDenial =
  | "root_not_visible"
  | "domain_not_in_root"
  | "apex_not_allowed"
  | "subdomain_too_shallow"
  | "subdomain_too_deep"
  | "root_operation_not_allowed"
  | "root_record_type_not_allowed";

/**
 * The first rule of a domain root that the request breaks, or undefined when the root allows it.
 * `accountId` is the realm's owner and `serviceOwner` the account owning the root's backend service
 * (null for a platform service). Checked in a fixed order:
 * - visibility: `private` roots serve only their backend service's owning account (a private root
 *   of a platform service serves no account); `public` and `invite` roots serve every realm tied to
 *   them (for `invite` the realm is the invitation);
 * - the name is the root's domain or below it, on a label boundary;
 * - the apex (the root's domain itself) only when `allowApexAccess`;
 * - below the apex, the number of labels under the root's domain (`a.b.root` is 2) lies within
 *   `minSubdomainDepth` (default 1) and `maxSubdomainDepth` (no limit when absent);
 * - the operation and the record type are in the root's lists (NULL allows all).
 */
export function domainRootDenial(
  root: DomainRootRules,
  request: RealmRequest,
  accountId: unknown,
  serviceOwner: unknown,
): DomainRootDenial | undefined {
  if (root.visibility === "private" && (serviceOwner == null || String(serviceOwner) !== String(accountId)))
    return "root_not_visible";
  const name = normaliseDomain(request.domain);
  const apex = normaliseDomain(root.rootDomain);
  if (name !== apex && !name.endsWith(`.${apex}`)) return "domain_not_in_root";
  if (name === apex) {
    if (!root.allowApexAccess) return "apex_not_allowed";
  } else {
    const depth = name.slice(0, -(apex.length + 1)).split(".").length;
    if (depth < (root.minSubdomainDepth ?? 1)) return "subdomain_too_shallow";
    if (root.maxSubdomainDepth != null && depth > root.maxSubdomainDepth) return "subdomain_too_deep";
  }
  if (!operationAllowed({ operations: root.allowedOperations }, request.operation))
    return "root_operation_not_allowed";
  if (
    request.recordType != null &&
    !recordTypeAllowed({ recordTypes: root.allowedRecordTypes }, request.recordType)
  )
    return "root_record_type_not_allowed";
  return undefined;
}

const nameOf = (t: TableArg) => (typeof t === "string" ? t : t.$name);

/** Token verification, account state and the realm's rules in one decision, logged either way. */
export class RealmAuthorizer {
  private readonly realms: string;
  private readonly activity: string;
  private readonly accounts: string | undefined;
  private readonly realmKey: string;
  private readonly tokenKey: string;
  private readonly activityColumns: Map<string, ColumnModel>;
  private readonly accountFlags: string[];
  private readonly domainRoots: string | undefined;
  private readonly domainRootKey: string;
  /** The root's key naming its backend service, and that service table: the owner of a private root. */
  private readonly rootService: { key: string; table: string } | undefined;

  constructor(
    private readonly db: Db<any>,
    private readonly options: RealmAuthorizerOptions,
  ) {
    this.realms = nameOf(options.realms);
    this.activity = nameOf(options.activity);
    this.accounts = options.accounts === undefined ? undefined : nameOf(options.accounts);
    this.realmKey = options.realmKey ?? "realmId";
    this.tokenKey = options.tokenKey ?? "id";
    const model = (name: string) => {
      const found = db.schema.model.tables.find((t: TableModel) => t.name === name);
      if (!found) throw new PlinthError(`RealmAuthorizer: table ${name} is not in the schema`);
      return found;
    };
    const realmKeys = new Set(model(this.realms).columns.map((c: ColumnModel) => c.key));
    const missing = ["id", "realmType", "realmValue"].filter((k) => !realmKeys.has(k));
    if (missing.length > 0)
      throw new PlinthError(
        `RealmAuthorizer: realm table ${this.realms} lacks column(s) ${missing.join(", ")}`,
      );
    this.activityColumns = new Map(model(this.activity).columns.map((c: ColumnModel) => [c.key, c]));
    for (const needed of ["activityType", "status"])
      if (!this.activityColumns.has(needed))
        throw new PlinthError(`RealmAuthorizer: activity table ${this.activity} lacks column ${needed}`);
    this.accountFlags = this.accounts
      ? ["isActive", "isApproved"].filter((k) =>
          model(this.accounts!).columns.some((c: ColumnModel) => c.key === k),
        )
      : [];
    this.domainRoots = options.domainRoots === undefined ? undefined : nameOf(options.domainRoots);
    this.domainRootKey = options.domainRootKey ?? "domainRootId";
    if (this.domainRoots) {
      const roots = model(this.domainRoots);
      const missing = ["id", "rootDomain"].filter(
        (k) => !roots.columns.some((c: ColumnModel) => c.key === k),
      );
      if (missing.length > 0)
        throw new PlinthError(
          `RealmAuthorizer: domain root table ${this.domainRoots} lacks column(s) ${missing.join(", ")}`,
        );
      const fk = roots.foreignKeys.find(
        (f: ForeignKeyModel) => f.columns.length === 1 && f.columns[0] === "backend_service_id",
      );
      const key = fk && roots.columns.find((c: ColumnModel) => c.name === fk.columns[0])?.key;
      if (fk && key && model(fk.refTable).columns.some((c: ColumnModel) => c.key === "ownerAccountId"))
        this.rootService = { key, table: fk.refTable };
    }
  }

  private get q(): Kysely<any> {
    return this.db.current as Kysely<any>;
  }

  /**
   * Decides whether `token` may perform `request`. Checks, in order: the token (format, lookup, hash,
   * revocation, expiry), the realm still existing, the owning account (when configured), then the
   * realm's source IP ranges, domain, operation and record type. Returns the first reason that
   * denies, and writes one activity-log row in every case.
   */
  async authorize(token: string, request: AuthorizeRequest): Promise<AuthorizeResult> {
    const result = await this.decide(token, request);
    await this.log(result, request);
    return result;
  }

  private async decide(token: string, request: AuthorizeRequest): Promise<AuthorizeResult> {
    const verified = await this.options.tokens.verify(token);
    if (!verified.ok) {
      const reason = TOKEN_DENIALS[verified.reason];
      const tokenId =
        verified.reason === "mismatch"
          ? verified.tokenId
          : "row" in verified
            ? verified.row[this.tokenKey]
            : undefined;
      return { allowed: false, reason, message: MESSAGES[reason], tokenId };
    }
    const tokenId = verified.row[this.tokenKey];
    const found = await this.realmWithOwner(verified.row[this.realmKey]);
    if (!found) return { allowed: false, reason: "realm_missing", message: MESSAGES.realm_missing, tokenId };
    const { realm, owner } = found;
    const accountId = realm.accountId;
    const denied: AuthorizeDenial | undefined =
      owner?.isActive === false
        ? "account_inactive"
        : owner?.isApproved === false
          ? "account_not_approved"
          : (realmDenial(realm, request) ?? (await this.rootDenial(realm, request)));
    if (denied)
      return { allowed: false, reason: denied, message: MESSAGES[denied], tokenId, accountId, realm };
    return { allowed: true, reason: null, message: "allowed", tokenId, accountId, realm };
  }

  /** What the realm's domain root refuses, when roots are configured and the realm has one. */
  private async rootDenial(
    realm: RealmRow,
    request: AuthorizeRequest,
  ): Promise<DomainRootDenial | undefined> {
    const rootId = realm[this.domainRootKey];
    if (!this.domainRoots || rootId === null || rootId === undefined) return undefined;
    const root = (await this.q
      .selectFrom(this.domainRoots)
      .selectAll()
      .where("id", "=", rootId)
      .executeTakeFirst()) as (DomainRootRules & Record<string, unknown>) | undefined;
    // The key is a foreign key: a root that is gone has taken the tie with it (SET NULL).
    if (!root) return undefined;
    let serviceOwner: unknown = null;
    if (root.visibility === "private" && this.rootService) {
      const service = (await this.q
        .selectFrom(this.rootService.table)
        .select("ownerAccountId")
        .where("id", "=", root[this.rootService.key] as never)
        .executeTakeFirst()) as { ownerAccountId?: unknown } | undefined;
      serviceOwner = service?.ownerAccountId ?? null;
    }
    return domainRootDenial(root, request, realm.accountId, serviceOwner);
  }

  /** The realm and, when accounts are configured, its owner's flags: one statement either way. */
  private async realmWithOwner(
    realmId: unknown,
  ): Promise<{ realm: RealmRow; owner?: { isActive?: boolean; isApproved?: boolean } } | undefined> {
    if (realmId === null || realmId === undefined) return undefined;
    let query = this.q.selectFrom(`${this.realms} as r`).selectAll("r").where("r.id", "=", realmId);
    if (this.accounts && this.accountFlags.length > 0) {
      query = query
        .leftJoin(`${this.accounts} as a`, "a.id", "r.accountId")
        .select(this.accountFlags.map((f) => `a.${f} as plinthOwner_${f}`));
    }
    const row = (await query.executeTakeFirst()) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    const realm: Record<string, unknown> = {};
    const owner: Record<string, boolean> = {};
    for (const [key, value] of Object.entries(row)) {
      // CamelCasePlugin turns the alias plinthOwner_isActive into plinthOwnerIsActive.
      const flag = /^plinthOwner_?(.+)$/.exec(key);
      if (flag) owner[flagKey(flag[1] as string)] = asBoolean(value);
      else realm[key] = value;
    }
    return { realm: realm as RealmRow, owner: this.accountFlags.length > 0 ? owner : undefined };
  }

  private async log(result: AuthorizeResult, request: AuthorizeRequest): Promise<void> {
    const tokenStage = result.reason?.startsWith("token_") ?? false;
    const values: Record<string, unknown> = {
      accountId: result.accountId ?? null,
      realmId: result.realm?.id ?? null,
      tokenId: result.tokenId ?? null,
      backendServiceId: result.realm?.backendServiceId ?? null,
      activityType: tokenStage ? "failed_auth" : (request.activityType ?? `dns_${request.operation}`),
      sourceIp: request.sourceIp ?? null,
      userAgent: request.userAgent ?? null,
      status: result.allowed ? "success" : "failure",
      severity: result.allowed ? "info" : "warning",
      errorCode: result.reason,
      statusReason: result.message,
      requestData: request.requestData ?? null,
      domain: request.domain,
      recordName: request.recordName ?? null,
      recordType: request.recordType ?? null,
    };
    const row: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      const column = this.activityColumns.get(key);
      if (column) row[key] = clip(column, value);
    }
    await this.q.insertInto(this.activity).values(row).execute();
  }
}

/** Request fields come from clients: cut text to the column's length so a long one cannot lose the log row. */
function clip(column: ColumnModel, value: unknown): unknown {
  if (typeof value !== "string" || column.type.kind !== "varchar") return value;
  return value.length > column.type.length ? value.slice(0, column.type.length) : value;
}

function flagKey(suffix: string): string {
  return suffix.charAt(0).toLowerCase() + suffix.slice(1);
}

/** Booleans read through an alias skip the codec: SQLite and MySQL give 0/1 there. */
function asBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "t" || value === "true";
}
