/**
 * dns-filter's repositories: the model methods seed 000 names (check_password, verify_totp,
 * is_expired, matches_domain, ActivityLog.create), the settings helpers, backend configs checked
 * against their provider's JSON Schema, and token issue / verify / authorize.
 *
 *   const dns = dnsFilterRepositories(db, { tokenPepper });
 *   const ann = await dns.accounts.register({ username: "ann", password: "Velvet-Otter-42-Lantern" });
 *   await dns.accounts.checkPassword(ann.id, "Velvet-Otter-42-Lantern"); // true
 *   const { token } = await dns.tokens.issue({ realmId, alias: "ci" }); // shown once
 *   await dns.authorizer.authorize(token, { domain: "home.dyn.example.com", operation: "update" });
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { Ajv } from "ajv";
import type { Db, Id, Loaded, NewRowOf, PatchOf, ValidationIssue, VisibleRowOf } from "plinth";
import { DEFAULT_REDACT_KEYS, NotFoundError, Repository, ValidationError } from "plinth";
import type {
  PasswordPolicyOptions,
  RealmScope,
  SettingSchemas,
  SettingsOptions,
  SettingValue,
  TotpResult,
} from "plinth/security";
import {
  ApiTokens,
  enrolTotp,
  hashPassword,
  matchesDomain,
  PasswordPolicy,
  parseApiToken,
  RealmAuthorizer,
  SettingsStore,
  verifyPassword,
  verifyTotp,
} from "plinth/security";
import type { dnsFilter } from "../schema.js";

export * from "./providers.js";

export type DnsFilter = typeof dnsFilter;
export type AccountRow = VisibleRowOf<DnsFilter, "account">;
export type AuthTokenRow = VisibleRowOf<DnsFilter, "auth_token">;
export type BackendServiceRow = VisibleRowOf<DnsFilter, "backend_service">;
export type ActivityLogRow = VisibleRowOf<DnsFilter, "activity_log">;

/** Every token starts `naf_<alias>_`, as the seed's tokens do. */
export const TOKEN_PREFIX = "naf";

// ---------------------------------------------------------------------------------------------
// Accounts: passwords and TOTP
// ---------------------------------------------------------------------------------------------

export interface RegisterInput extends Omit<NewRowOf<DnsFilter, "account">, "passwordHash"> {
  /** The plaintext password: checked against the policy, then stored only as its hash. */
  password: string;
}

export class AccountRepository extends Repository<DnsFilter, "account"> {
  readonly policy: PasswordPolicy;

  constructor(db: Db<DnsFilter>, policy: PasswordPolicyOptions | PasswordPolicy = {}) {
    super(db, "account");
    this.policy = policy instanceof PasswordPolicy ? policy : new PasswordPolicy(policy);
  }

  /**
   * Creates an account from a plaintext password. A weak password is a ValidationError on the
   * `password` field with one issue per broken rule (the rule's name first), and nothing is written.
   */
  async register(input: RegisterInput): Promise<AccountRow> {
    const { password, ...account } = input;
    this.assertStrong(password, [account.username, account.email]);
    return this.create({ ...account, passwordHash: await hashPassword(password) });
  }

  /** Replaces the password (policy first) and clears `mustChangePassword`. */
  async setPassword(id: number, password: string): Promise<AccountRow> {
    const account = await this.getByIdOrThrow(id);
    this.assertStrong(password, [account.username, account.email]);
    return this.update(id, { passwordHash: await hashPassword(password), mustChangePassword: false });
  }

  /**
   * Account.check_password: whether `password` is this account's. A right password under an old
   * hash (bcrypt, or weaker argon2 parameters) is re-hashed on the spot, so logins upgrade hashes.
   */
  async checkPassword(id: number, password: string): Promise<boolean> {
    const account = await this.getById(id, { withHidden: true });
    if (!account) return false;
    const { ok, needsRehash } = await verifyPassword(account.passwordHash, password);
    if (ok && needsRehash) {
      // A compare-and-set on the old hash: a password changed meanwhile must not be undone. Not an
      // audited change: the password is the same, only its hash got stronger.
      await this.q
        .updateTable("account")
        .set({ passwordHash: await hashPassword(password) })
        .where("id", "=", id)
        .where("passwordHash", "=", account.passwordHash)
        .execute();
    }
    return ok;
  }

  /**
   * Starts two-factor login: a new secret, stored encrypted, and the otpauth URI for the user's
   * authenticator app. Codes are accepted once the user has confirmed one with verifyTotp.
   */
  async enrolTotp(id: number, issuer = "dns-filter"): Promise<{ secret: string; uri: string }> {
    const account = await this.getByIdOrThrow(id);
    const enrolment = enrolTotp({ issuer, account: account.username });
    await this.update(id, { totpSecret: enrolment.secret, totpLastStep: null });
    return enrolment;
  }

  /**
   * Account.verify_totp: checks a code (current step ±1) and records its step, so the same code (or
   * an older one) is refused next time, even from a concurrent request.
   */
  async verifyTotp(id: number, code: string, options: { now?: () => number } = {}): Promise<TotpResult> {
    const account = await this.getById(id);
    if (!account?.totpSecret) return { ok: false, reason: "invalid" };
    const result = verifyTotp(account.totpSecret, code, {
      lastUsedStep: account.totpLastStep,
      now: options.now,
    });
    if (!result.ok) return result;
    // The step is claimed with one conditional UPDATE: of two requests with one code, one wins.
    const claimed = await this.q
      .updateTable("account")
      .set({ totpLastStep: result.step })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("totpLastStep", "is", null), eb("totpLastStep", "<", result.step)]))
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) > 0 ? result : { ok: false, reason: "replayed" };
  }

  /** Accounts with their realms: one query for the accounts, one for all their realms. */
  withRealms(where: Parameters<AccountRepository["findMany"]>[0] = {}): Promise<Loaded<AccountRow>[]> {
    return this.findMany({ orderBy: [["id", "asc"]], ...where, include: ["realms"] });
  }

  private assertStrong(password: string, userInputs: (string | null | undefined)[]): void {
    const { failures } = this.policy.check(password, { userInputs });
    if (failures.length === 0) return;
    throw ValidationError.of(
      failures.map((f) => ({ table: "account", column: "password", message: `${f.rule}: ${f.message}` })),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Realms and tokens
// ---------------------------------------------------------------------------------------------

/** Realm.matches_domain: whether `fqdn` lies inside the realm (host, subdomain or wildcard). */
export function realmMatchesDomain(
  realm: Pick<RealmScope, "realmType" | "realmValue">,
  fqdn: string,
): boolean {
  return matchesDomain(realm, fqdn);
}

export class RealmRepository extends Repository<DnsFilter, "realm"> {
  constructor(db: Db<DnsFilter>) {
    super(db, "realm");
  }

  /** The account's realms that contain `fqdn`. */
  async realmsFor(accountId: number, fqdn: string): Promise<VisibleRowOf<DnsFilter, "realm">[]> {
    const realms = await this.findMany({ where: { accountId }, orderBy: [["id", "asc"]] });
    return realms.filter((realm) => matchesDomain(realm, fqdn));
  }
}

/** AuthToken.is_expired: a token with no expiry never expires; one expiring now has expired. */
export function isExpired(token: Pick<AuthTokenRow, "expiresAt">, now: Date = new Date()): boolean {
  return token.expiresAt !== null && token.expiresAt.getTime() <= now.getTime();
}

/** Whether `token` has the `naf_<alias>_<64 base62>` shape (no database involved). */
export function isTokenFormat(token: string): boolean {
  return parseApiToken(token, { prefix: TOKEN_PREFIX }) !== undefined;
}

export class AuthTokenRepository extends Repository<DnsFilter, "auth_token"> {
  constructor(db: Db<DnsFilter>) {
    super(db, "auth_token");
  }

  isExpired(token: Pick<AuthTokenRow, "expiresAt">, now?: Date): boolean {
    return isExpired(token, now);
  }

  /** A realm's tokens that are active and not expired. */
  async usable(realmId: number, now: Date = new Date()): Promise<AuthTokenRow[]> {
    const tokens = await this.findMany({ where: { realmId, isActive: true }, orderBy: [["id", "asc"]] });
    return tokens.filter((t) => !isExpired(t, now));
  }
}

// ---------------------------------------------------------------------------------------------
// Backend services: config checked against the provider's JSON Schema
// ---------------------------------------------------------------------------------------------

interface CompiledSchema {
  source: string;
  validate: ValidateFunction;
}

/**
 * Backend services. Every write that sets `config` (or moves a service to another provider) checks
 * the config against the provider's `config_schema` first; a failure is a ValidationError on the
 * `config` column whose messages start with the JSON path (`/api_password: is required`).
 * Each provider's schema is compiled once and reused until the stored schema changes.
 */
export class BackendServiceRepository extends Repository<DnsFilter, "backend_service"> {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly compiled = new Map<number, CompiledSchema>();

  constructor(db: Db<DnsFilter>) {
    super(db, "backend_service");
  }

  override async create(values: NewRowOf<DnsFilter, "backend_service">): Promise<BackendServiceRow> {
    await this.checkConfig(values.providerId, values.config);
    return super.create(values);
  }

  override async createMany(
    values: readonly NewRowOf<DnsFilter, "backend_service">[],
  ): Promise<BackendServiceRow[]> {
    for (const row of values) await this.checkConfig(row.providerId, row.config);
    return super.createMany(values);
  }

  override async update(
    id: Id,
    patch: PatchOf<DnsFilter, "backend_service">,
    options?: { expectedVersion?: number },
  ): Promise<BackendServiceRow> {
    if (patch.config !== undefined || patch.providerId !== undefined) {
      const current = await this.getByIdOrThrow(id);
      await this.checkConfig(patch.providerId ?? current.providerId, patch.config ?? current.config);
    }
    return super.update(id, patch, options);
  }

  override async upsert(
    values: NewRowOf<DnsFilter, "backend_service">,
    options: Parameters<Repository<DnsFilter, "backend_service">["upsert"]>[1],
  ): Promise<BackendServiceRow> {
    await this.checkConfig(values.providerId, values.config);
    return super.upsert(values, options);
  }

  /** The issues `config` has under the provider's schema; empty when it conforms (or there is no schema). */
  async configIssues(providerId: number, config: unknown): Promise<ValidationIssue[]> {
    const validate = await this.validatorFor(providerId);
    if (!validate || validate(config)) return [];
    return (validate.errors ?? []).map((error) => ({
      table: "backend_service",
      column: "config",
      message: `${jsonPath(error)}: ${error.message ?? error.keyword}`,
    }));
  }

  private async checkConfig(providerId: number, config: unknown): Promise<void> {
    const issues = await this.configIssues(providerId, config);
    if (issues.length > 0) throw ValidationError.of(issues);
  }

  private async validatorFor(providerId: number): Promise<ValidateFunction | undefined> {
    const provider = await this.db.repo("backend_provider").getById(providerId);
    if (!provider) throw new NotFoundError("backend_provider", providerId);
    if (provider.configSchema === null) return undefined;
    const source = JSON.stringify(provider.configSchema);
    const cached = this.compiled.get(providerId);
    if (cached?.source === source) return cached.validate;
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(provider.configSchema);
    } catch (error) {
      throw ValidationError.of([
        {
          table: "backend_provider",
          column: "config_schema",
          message: `provider ${provider.providerCode}: not a usable JSON Schema (${(error as Error).message})`,
        },
      ]);
    }
    this.compiled.set(providerId, { source, validate });
    return validate;
  }
}

/** The JSON Pointer of the failing value; for a missing or unknown key, that key's own path. */
function jsonPath(error: ErrorObject): string {
  const base = error.instancePath;
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const key = params.missingProperty ?? params.additionalProperty;
  return key === undefined ? base || "/" : `${base}/${key}`;
}

// ---------------------------------------------------------------------------------------------
// Activity log
// ---------------------------------------------------------------------------------------------

export type ActivityEvent = Omit<NewRowOf<DnsFilter, "activity_log">, "id" | "createdAt">;

const SEVERITY_OF_STATUS = { success: "info", failure: "warning", error: "error" } as const;
const redactedKey = (key: string) => DEFAULT_REDACT_KEYS.some((k) => key.toLowerCase().includes(k));

/** Secrets a client sent (password, token, api_key, ...) never reach the log. */
function scrubbed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrubbed);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, redactedKey(k) ? "[redacted]" : scrubbed(v)]),
  );
}

export class ActivityLogRepository extends Repository<DnsFilter, "activity_log"> {
  constructor(db: Db<DnsFilter>) {
    super(db, "activity_log");
  }

  /**
   * ActivityLog.create: one row for an event. Severity follows the status unless given (failure →
   * warning, error → error), and secret-looking keys in the request and response data are redacted.
   */
  record(event: ActivityEvent): Promise<ActivityLogRow> {
    return this.create({
      ...event,
      severity: event.severity ?? SEVERITY_OF_STATUS[event.status],
      requestData: event.requestData == null ? event.requestData : (scrubbed(event.requestData) as never),
      responseSummary:
        event.responseSummary == null ? event.responseSummary : (scrubbed(event.responseSummary) as never),
    });
  }

  /** An account's activity since `since`, newest first (served by the (account_id, created_at) index). */
  forAccount(accountId: number, since: Date, limit = 100): Promise<ActivityLogRow[]> {
    return this.findMany({
      where: (eb) => eb.and([eb("accountId", "=", accountId), eb("createdAt", ">=", since)]),
      orderBy: [["createdAt", "desc"]],
      limit,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/**
 * Which settings are secret: e-mail settings (`smtp`, `email…`, `mail…`: they carry the relay's
 * login) and credentials (a key naming a password, secret, token, API key or credentials). Their
 * values are stored encrypted in `settings.secret_value`; the rest (app config) stay readable JSON.
 */
export function isSecretSetting(key: string): boolean {
  return SECRET_SETTING.test(key);
}

const SECRET_SETTING = /^(smtp|e?mail)([._-]|$)|password|secret|token|api_?key|credential/i;

/**
 * get_setting / set_setting / delete_setting / get_all_settings over the settings table; the
 * values of secret keys (see isSecretSetting) are stored encrypted.
 */
export interface SettingsHelpers<D extends SettingSchemas> {
  store: SettingsStore<D>;
  getSetting<K extends string>(key: K): Promise<SettingValue<D, K> | undefined>;
  setSetting<K extends string>(key: K, value: SettingValue<D, K>): Promise<void>;
  deleteSetting(key: string): Promise<boolean>;
  getAllSettings(): Promise<Record<string, unknown>>;
}

export function settingsHelpers<D extends SettingSchemas = Record<never, never>>(
  db: Db<DnsFilter>,
  options: SettingsOptions<D> = {},
): SettingsHelpers<D> {
  const store = new SettingsStore<D>(db, "settings", { secretKeys: isSecretSetting, ...options });
  return {
    store,
    getSetting: (key) => store.get(key),
    setSetting: (key, value) => store.set(key, value),
    deleteSetting: (key) => store.delete(key),
    getAllSettings: () => store.getAll(),
  };
}

// ---------------------------------------------------------------------------------------------
// Everything together
// ---------------------------------------------------------------------------------------------

export interface DnsFilterOptions {
  /** Pepper of the token hash; PLINTH_TOKEN_PEPPER unless given. Needed only once tokens are used. */
  tokenPepper?: string;
  /** ApiTokens options beyond the pepper (hashing: "bcrypt", clock, ...). */
  tokens?: Omit<ConstructorParameters<typeof ApiTokens>[2], "prefix" | "pepper">;
  passwordPolicy?: PasswordPolicyOptions;
  settings?: ConstructorParameters<typeof SettingsStore>[2];
}

/**
 * Every dns-filter repository over one database. Token issuing and authorization need the pepper,
 * so they are made on first use: a service that never touches tokens needs no pepper.
 */
export function dnsFilterRepositories(db: Db<DnsFilter>, options: DnsFilterOptions = {}) {
  let tokens: ApiTokens<DnsFilter, "auth_token"> | undefined;
  let authorizer: RealmAuthorizer | undefined;
  const apiTokens = () => {
    tokens ??= new ApiTokens(db, "auth_token", {
      ...options.tokens,
      prefix: TOKEN_PREFIX,
      pepper: options.tokenPepper,
    });
    return tokens;
  };
  return {
    accounts: new AccountRepository(db, options.passwordPolicy),
    realms: new RealmRepository(db),
    authTokens: new AuthTokenRepository(db),
    backendServices: new BackendServiceRepository(db),
    activity: new ActivityLogRepository(db),
    settings: settingsHelpers(db, options.settings),
    get tokens() {
      return apiTokens();
    },
    get authorizer() {
      authorizer ??= new RealmAuthorizer(db, {
        tokens: apiTokens(),
        realms: "realm",
        accounts: "account",
        activity: "activity_log",
        // A realm tied to a managed domain root is held to the root's rules too.
        domainRoots: "managed_domain_root",
      });
      return authorizer;
    },
  };
}

export type DnsFilterRepositories = ReturnType<typeof dnsFilterRepositories>;
