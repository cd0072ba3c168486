/**
 * Authentication for knowledge-hub: API keys, login sessions and account locking.
 *
 * - API keys (`kh_<64 base62>`): the plaintext is returned once at issue; the table keeps its first
 *   15 characters (`key_prefix`, indexed, for lookup and display) and plinth's keyed token hash
 *   (`TokenHasher`, HMAC-SHA-256 under a server-side pepper), compared in constant time. Each key
 *   carries scopes and a rate limit in requests per hour (the seed's `rate_limit`, 1000 by default),
 *   counted in the database so every process shares one count.
 * - Sessions (`khs_<64 base62>`): the token is returned once at creation; `token_hash` (the same
 *   keyed hash, unique) finds it. Expired or revoked sessions are refused.
 * - Account locking: after MAX_FAILED_LOGINS failed logins in a row the account is locked for
 *   LOCK_DURATION_MS; a correct password during the lock is refused too; a successful login resets
 *   the count. The seed names the columns (failed_login_attempts, locked_until) but not the numbers:
 *   these are the blueprint's defaults, overridable per instance.
 *
 * Every time-dependent rule reads the injected clock (`now`), never the system time directly.
 */
import type { Db, Id, VisibleRowOf } from "plinth";
import { StaleVersionError } from "plinth";
import { hashPassword, randomBase62, TokenHasher, verifyPassword } from "plinth/security";
import { recordEvent } from "./audit-logs.js";
import { BaseRepository, type KnowledgeHub } from "./base.js";

/** API keys start with this; the seed speaks of "hashed storage with prefixes". */
export const API_KEY_PREFIX = "kh_";
/** Session tokens start with this. */
export const SESSION_TOKEN_PREFIX = "khs_";
/** Random base62 characters after the prefix: 64 × log2(62) ≈ 381 bits. */
const RANDOM_LENGTH = 64;
/** Characters of an API key stored in the clear (prefix and 12 random ones); key_prefix holds 16. */
const KEY_PREFIX_LENGTH = API_KEY_PREFIX.length + 12;
const API_KEY = /^kh_[0-9A-Za-z]{64}$/;
const SESSION_TOKEN = /^khs_[0-9A-Za-z]{64}$/;

/** The rate limit's window: the seed's rate_limit is requests per hour. */
export const RATE_WINDOW_MS = 60 * 60 * 1000;
/** Failed logins in a row that lock an account. */
export const MAX_FAILED_LOGINS = 5;
/** How long a locked account stays locked. */
export const LOCK_DURATION_MS = 15 * 60 * 1000;
/** How long a session lasts unless created with another lifetime. */
export const SESSION_TTL_MS = 24 * 60 * 60 * 1000;

export interface AuthOptions {
  /** Pepper of the token hash; PLINTH_TOKEN_PEPPER unless given (at least 32 characters). */
  pepper?: string;
  /** The clock; `() => new Date()` unless given. */
  now?: () => Date;
  maxFailedLogins?: number;
  lockDurationMs?: number;
  sessionTtlMs?: number;
}

export type ApiKeyRow = VisibleRowOf<KnowledgeHub, "api_keys">;
export type SessionRow = VisibleRowOf<KnowledgeHub, "user_sessions">;
export type UserRow = VisibleRowOf<KnowledgeHub, "users">;

export type ApiKeyCheck =
  | { ok: true; key: ApiKeyRow }
  | { ok: false; reason: "malformed" | "unknown" }
  | { ok: false; reason: "revoked" | "expired" | "inactive-user" | "rate-limited"; key: ApiKeyRow }
  | { ok: false; reason: "scope"; key: ApiKeyRow; missing: string[] };

export type SessionCheck =
  | { ok: true; session: SessionRow }
  | { ok: false; reason: "malformed" | "unknown" }
  | { ok: false; reason: "revoked" | "expired" | "inactive-user"; session: SessionRow };

export type LoginResult =
  | { ok: true; user: UserRow; token: string; session: SessionRow }
  | { ok: false; reason: "unknown" }
  | { ok: false; reason: "locked"; lockedUntil: Date }
  | { ok: false; reason: "mismatch"; failedAttempts: number; lockedUntil: Date | null };

/**
 * Whether the user a key or session belongs to may still act: live and active. A soft-deleted user
 * keeps its rows (only a hard delete cascades), so their keys and sessions are refused here.
 */
async function ownerActive(db: Db<KnowledgeHub>, userId: string): Promise<boolean> {
  const owner = await db.repo("users").getById(userId);
  return owner?.status === "active";
}

/** A revoked row: soft-deleted (revoke) or taken out of the active status. */
function isRevoked(row: { deletedAt: Date | null; status: string }): boolean {
  return row.deletedAt !== null || row.status !== "active";
}

/** Issues, verifies, rate-limits and revokes API keys. */
export class ApiKeyRepository extends BaseRepository<"api_keys"> {
  private readonly now: () => Date;

  constructor(
    db: Db<KnowledgeHub>,
    private readonly hasher: () => TokenHasher,
    options: Pick<AuthOptions, "now"> = {},
  ) {
    super(db, "api_keys");
    this.now = options.now ?? (() => new Date());
  }

  /** Creates a key and returns it in the clear: the only time it exists outside the caller's hands. */
  async issue(input: {
    userId: string;
    name: string;
    scopes?: string[];
    rateLimit?: number;
    expiresAt?: Date | null;
  }): Promise<{ key: string; row: ApiKeyRow }> {
    const key = `${API_KEY_PREFIX}${randomBase62(RANDOM_LENGTH)}`;
    const row = await this.create({
      ...input,
      keyPrefix: key.slice(0, KEY_PREFIX_LENGTH),
      keyHash: await this.hasher().hash(key),
    });
    return { key, row };
  }

  /**
   * Checks a presented key: format (no query for a malformed one), lookup by its prefix, a
   * constant-time hash comparison, revocation, expiry, the scopes asked for, then the rate limit
   * (a request counted only when everything else passed).
   */
  async verify(key: string, options: { scopes?: string[] } = {}): Promise<ApiKeyCheck> {
    if (typeof key !== "string" || !API_KEY.test(key)) return { ok: false, reason: "malformed" };
    const candidates = await this.findMany({
      where: { keyPrefix: key.slice(0, KEY_PREFIX_LENGTH) },
      withDeleted: true,
      withHidden: true,
    });
    let found: ApiKeyRow | undefined;
    for (const row of candidates) if (await this.hasher().matches(key, row.keyHash)) found = row;
    if (!found) return { ok: false, reason: "unknown" };
    if (isRevoked(found)) return { ok: false, reason: "revoked", key: found };
    const now = this.now();
    if (found.expiresAt !== null && found.expiresAt.getTime() <= now.getTime())
      return { ok: false, reason: "expired", key: found };
    const missing = (options.scopes ?? []).filter((s) => !found.scopes.includes(s));
    if (missing.length > 0) return { ok: false, reason: "scope", key: found, missing };
    if (!(await ownerActive(this.db, found.userId)))
      return { ok: false, reason: "inactive-user", key: found };
    if (!(await this.consume(found.id, now))) return { ok: false, reason: "rate-limited", key: found };
    return { ok: true, key: (await this.getById(found.id)) ?? found };
  }

  /**
   * Counts one request against the key's hourly limit; false when the limit is reached. Two
   * single-statement updates, so concurrent requests (from any process) never exceed the limit:
   * the first starts a new window when there is none or it has ended, the second counts within the
   * current one while the count is under rate_limit. Usage bookkeeping, not a change anyone made:
   * it bypasses the write hooks (no audit row per request), as ApiTokens' lastUsedAt does.
   */
  async consume(id: Id, now: Date = this.now()): Promise<boolean> {
    const windowStart = new Date(now.getTime() - RATE_WINDOW_MS);
    const fresh = await this.q
      .updateTable(this.table)
      .set({ rateWindowStartedAt: now, rateWindowCount: 1, lastUsedAt: now })
      .where("id", "=", id)
      .where("rateLimit", ">", 0)
      .where((eb) =>
        eb.or([eb("rateWindowStartedAt", "is", null), eb("rateWindowStartedAt", "<=", windowStart)]),
      )
      .executeTakeFirst();
    if (Number(fresh.numUpdatedRows) > 0) return true;
    const counted = await this.q
      .updateTable(this.table)
      .set((eb) => ({ rateWindowCount: eb("rateWindowCount", "+", 1), lastUsedAt: now }))
      .where("id", "=", id)
      .where("rateWindowStartedAt", ">", windowStart)
      .where((eb) => eb("rateWindowCount", "<", eb.ref("rateLimit")))
      .executeTakeFirst();
    return Number(counted.numUpdatedRows) > 0;
  }

  /** Revokes a key (soft delete, audited): it verifies as "revoked" from then on. */
  async revoke(id: Id): Promise<boolean> {
    return this.softDelete(id);
  }
}

/** Creates, verifies and revokes login sessions. */
export class SessionRepository extends BaseRepository<"user_sessions"> {
  private readonly now: () => Date;
  private readonly ttlMs: number;

  constructor(
    db: Db<KnowledgeHub>,
    private readonly hasher: () => TokenHasher,
    options: Pick<AuthOptions, "now" | "sessionTtlMs"> = {},
  ) {
    super(db, "user_sessions");
    this.now = options.now ?? (() => new Date());
    this.ttlMs = options.sessionTtlMs ?? SESSION_TTL_MS;
  }

  /** Opens a session and returns its token in the clear, once; only its hash is stored. */
  async open(input: {
    userId: string;
    ttlMs?: number;
    ipAddress?: string | null;
    userAgent?: string | null;
  }): Promise<{ token: string; session: SessionRow }> {
    const { ttlMs = this.ttlMs, ...rest } = input;
    const token = `${SESSION_TOKEN_PREFIX}${randomBase62(RANDOM_LENGTH)}`;
    const session = await this.create({
      ...rest,
      tokenHash: await this.hasher().hash(token),
      expiresAt: new Date(this.now().getTime() + ttlMs),
    });
    return { token, session };
  }

  /** The session a token opens, or why not: unknown, revoked, expired (at or after expires_at). */
  async verify(token: string): Promise<SessionCheck> {
    if (typeof token !== "string" || !SESSION_TOKEN.test(token)) return { ok: false, reason: "malformed" };
    // The keyed hash is deterministic, so the unique token_hash index finds the row; the hash is
    // then compared again in constant time rather than trusting the database's equality alone.
    const row = await this.findOne({ tokenHash: await this.hasher().hash(token) }, { withDeleted: true });
    if (!row || !(await this.hasher().matches(token, row.tokenHash))) return { ok: false, reason: "unknown" };
    if (isRevoked(row)) return { ok: false, reason: "revoked", session: row };
    if (row.expiresAt.getTime() <= this.now().getTime())
      return { ok: false, reason: "expired", session: row };
    if (!(await ownerActive(this.db, row.userId)))
      return { ok: false, reason: "inactive-user", session: row };
    return { ok: true, session: row };
  }

  /** Ends a session (logout): soft-deleted, so it verifies as "revoked". */
  async revoke(id: Id): Promise<boolean> {
    return this.softDelete(id);
  }

  /** Ends every live session of a user (after a password change, say); how many were ended. */
  async revokeAll(userId: string): Promise<number> {
    const live = await this.findMany({ where: { userId } });
    let ended = 0;
    for (const s of live) if (await this.softDelete(s.id)) ended++;
    return ended;
  }
}

/**
 * Password login with account locking. A login that fails while the account is locked is refused
 * without checking the password and without counting; after the lock ends, counting restarts.
 */
export class Authenticator {
  private readonly now: () => Date;
  private readonly maxFailed: number;
  private readonly lockMs: number;

  constructor(
    private readonly db: Db<KnowledgeHub>,
    private readonly users: BaseRepository<"users">,
    private readonly sessions: SessionRepository,
    options: Pick<AuthOptions, "now" | "maxFailedLogins" | "lockDurationMs"> = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxFailed = options.maxFailedLogins ?? MAX_FAILED_LOGINS;
    this.lockMs = options.lockDurationMs ?? LOCK_DURATION_MS;
  }

  private dummy?: Promise<string>;

  private dummyHash(): Promise<string> {
    this.dummy ??= hashPassword(randomBase62(32));
    return this.dummy;
  }

  /** Whether the account is locked at the clock's now. */
  isLocked(user: Pick<UserRow, "lockedUntil">): boolean {
    return user.lockedUntil !== null && user.lockedUntil.getTime() > this.now().getTime();
  }

  /**
   * Logs in by email (any case) or username. On success: the failure count and lock are cleared,
   * last_login_at set, a session opened and a "login" event written to audit_logs, together.
   */
  async login(
    login: string,
    password: string,
    context: { ipAddress?: string | null; userAgent?: string | null } = {},
  ): Promise<LoginResult> {
    // A stale version means a concurrent login changed the row: read it again and redo the step.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.tryLogin(login, password, context);
      } catch (error) {
        if (!(error instanceof StaleVersionError) || attempt >= 9) throw error;
      }
    }
  }

  private async tryLogin(
    login: string,
    password: string,
    context: { ipAddress?: string | null; userAgent?: string | null },
  ): Promise<LoginResult> {
    const where = login.includes("@") ? { email: login.toLowerCase() } : { username: login };
    const user = await this.users.findOne(where, { withHidden: true });
    if (user?.status !== "active") {
      // The same password work as for a real account, so timing does not tell who has one.
      await verifyPassword(await this.dummyHash(), password);
      return { ok: false, reason: "unknown" };
    }
    const now = this.now();
    if (this.isLocked(user)) return { ok: false, reason: "locked", lockedUntil: user.lockedUntil! };

    const { ok } = await verifyPassword(user.passwordHash, password);
    const expectedVersion = user.version;
    if (!ok) {
      // A lock that has ended no longer counts: the failures start again from this one.
      const previous = user.lockedUntil !== null ? 0 : user.failedLoginAttempts;
      const failedAttempts = previous + 1;
      const lockedUntil = failedAttempts >= this.maxFailed ? new Date(now.getTime() + this.lockMs) : null;
      await this.users.update(
        user.id,
        { failedLoginAttempts: failedAttempts, lockedUntil },
        { expectedVersion },
      );
      return { ok: false, reason: "mismatch", failedAttempts, lockedUntil };
    }
    return this.db.transaction(async () => {
      const updated = await this.users.update(
        user.id,
        { failedLoginAttempts: 0, lockedUntil: null, lastLoginAt: now },
        { expectedVersion },
      );
      const { token, session } = await this.sessions.open({ userId: user.id, ...context });
      await recordEvent(this.db, {
        action: "login",
        entityType: "user_sessions",
        entityId: session.id,
        userId: user.id,
      });
      return { ok: true as const, user: updated as UserRow, token, session };
    });
  }

  /** Ends the session of `token` and records the logout; false when the token opens no live session. */
  async logout(token: string): Promise<boolean> {
    const check = await this.sessions.verify(token);
    if (!check.ok) return false;
    return this.db.transaction(async () => {
      const ended = await this.sessions.revoke(check.session.id);
      if (ended)
        await recordEvent(this.db, {
          action: "logout",
          entityType: "user_sessions",
          entityId: check.session.id,
          userId: check.session.userId,
        });
      return ended;
    });
  }
}

/** The token hasher, made on first use: the pepper is only needed once keys or sessions are. */
export function tokenHasher(options: Pick<AuthOptions, "pepper"> = {}): () => TokenHasher {
  let hasher: TokenHasher | undefined;
  return () => {
    hasher ??= new TokenHasher({ pepper: options.pepper });
    return hasher;
  };
}
