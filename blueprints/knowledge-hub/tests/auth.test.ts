import { hashPassword } from "plinth/security";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import {
  API_KEY_PREFIX,
  installKnowledgeHubGuards,
  knowledgeHubHooks,
  LOCK_DURATION_MS,
  MAX_FAILED_LOGINS,
  RATE_WINDOW_MS,
  repositories,
  tokenHasher,
} from "../repositories/index.js";
import { knowledgeHub } from "../schema.js";

const PEPPER = "a-test-pepper-of-at-least-32-characters!";
const PASSWORD = "correct horse battery staple";

/** A clock the test moves by hand: time-dependent rules are checked without sleeping. */
function manualClock(start = "2026-03-01T09:00:00.000Z") {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("knowledge-hub authentication without a pepper", () => {
  it("needs no pepper until a key or session is used, then names the variable", async () => {
    const saved = process.env.PLINTH_TOKEN_PEPPER;
    delete process.env.PLINTH_TOKEN_PEPPER;
    try {
      const hasher = tokenHasher();
      expect(() => hasher()).toThrow(/PLINTH_TOKEN_PEPPER/);
      expect(tokenHasher({ pepper: PEPPER })()).toBeDefined();
    } finally {
      if (saved !== undefined) process.env.PLINTH_TOKEN_PEPPER = saved;
    }
  });
});

describeEngines("knowledge-hub authentication", (engine) => {
  const fx = useFreshDb(engine, knowledgeHub, { connect: { hooks: knowledgeHubHooks() } });
  const clock = manualClock();
  let r: ReturnType<typeof repositories>;
  let passwordHash = "";
  let serial = 0;

  beforeAll(async () => {
    await installKnowledgeHubGuards(fx.db);
    r = repositories(fx.db, { pepper: PEPPER, now: clock.now });
    passwordHash = await hashPassword(PASSWORD);
  });

  const newUser = () => {
    serial++;
    return r.users.create({ username: `user${serial}`, email: `User${serial}@Example.com`, passwordHash });
  };

  describe("API keys", () => {
    it("returns the key once and stores only its prefix and keyed hash", async () => {
      const owner = await newUser();
      const { key, row } = await r.apiKeys.issue({
        userId: owner.id,
        name: "Production API Key",
        scopes: ["read"],
      });
      expect(key).toMatch(/^kh_[0-9A-Za-z]{64}$/);
      expect(row.keyPrefix).toBe(key.slice(0, 15));
      expect(row.keyPrefix.startsWith(API_KEY_PREFIX)).toBe(true);
      expect(row.rateLimit).toBe(1000);
      const stored = await fx.db.kysely
        .selectFrom("api_keys")
        .selectAll()
        .where("id", "=", row.id)
        .executeTakeFirstOrThrow();
      expect(stored.keyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(key);
      // The audit logs do not hold it (nor its hash) either.
      const logged = await fx.db.kysely
        .selectFrom("audit_logs")
        .selectAll()
        .where("entityId", "=", row.id)
        .execute();
      expect(logged.map((l) => l.action)).toEqual(["create"]);
      expect(JSON.stringify(logged)).not.toContain(key);
      expect(JSON.stringify(logged)).not.toContain(stored.keyHash);
    });

    it("verifies the key it issued and no other", async () => {
      const owner = await newUser();
      const { key, row } = await r.apiKeys.issue({ userId: owner.id, name: "ci", scopes: ["read"] });
      const check = await r.apiKeys.verify(key);
      expect(check).toMatchObject({ ok: true, key: { id: row.id } });
      // Same prefix, other secret: found by prefix, refused by the hash.
      const forged = key.slice(0, 20) + (key[20] === "A" ? "B" : "A") + key.slice(21);
      expect(await r.apiKeys.verify(forged)).toEqual({ ok: false, reason: "unknown" });
      expect(await r.apiKeys.verify(`${API_KEY_PREFIX}${"x".repeat(64)}`)).toEqual({
        ok: false,
        reason: "unknown",
      });
      expect(await r.apiKeys.verify("not a key")).toEqual({ ok: false, reason: "malformed" });
      expect(await r.apiKeys.verify(key.slice(0, -1))).toEqual({ ok: false, reason: "malformed" });
    });

    it("checks the scopes asked for", async () => {
      const owner = await newUser();
      const { key } = await r.apiKeys.issue({ userId: owner.id, name: "reader", scopes: ["read", "write"] });
      expect((await r.apiKeys.verify(key, { scopes: ["read"] })).ok).toBe(true);
      expect((await r.apiKeys.verify(key, { scopes: ["read", "write"] })).ok).toBe(true);
      expect(await r.apiKeys.verify(key, { scopes: ["write", "admin"] })).toMatchObject({
        ok: false,
        reason: "scope",
        missing: ["admin"],
      });
    });

    it("refuses a key past its expiry, by the injected clock", async () => {
      const owner = await newUser();
      const { key } = await r.apiKeys.issue({
        userId: owner.id,
        name: "short-lived",
        expiresAt: new Date(clock.now().getTime() + 60_000),
      });
      expect((await r.apiKeys.verify(key)).ok).toBe(true);
      clock.advance(60_000);
      expect(await r.apiKeys.verify(key)).toMatchObject({ ok: false, reason: "expired" });
    });

    it("allows rate_limit requests per hour per key, then refuses until the hour has passed", async () => {
      const owner = await newUser();
      const limited = await r.apiKeys.issue({ userId: owner.id, name: "limited", rateLimit: 3 });
      const other = await r.apiKeys.issue({ userId: owner.id, name: "other", rateLimit: 3 });
      for (let i = 0; i < 3; i++)
        expect((await r.apiKeys.verify(limited.key)).ok, `request ${i + 1}`).toBe(true);
      expect(await r.apiKeys.verify(limited.key)).toMatchObject({ ok: false, reason: "rate-limited" });
      // The limit is per key: another key of the same user is not affected.
      expect((await r.apiKeys.verify(other.key)).ok).toBe(true);
      const counted = await r.apiKeys.getById(limited.row.id);
      expect(counted).toMatchObject({ rateWindowCount: 3, lastUsedAt: clock.now() });

      clock.advance(RATE_WINDOW_MS - 1);
      expect(await r.apiKeys.verify(limited.key)).toMatchObject({ ok: false, reason: "rate-limited" });
      clock.advance(1);
      expect((await r.apiKeys.verify(limited.key)).ok).toBe(true);
      expect(await r.apiKeys.getById(limited.row.id)).toMatchObject({ rateWindowCount: 1 });
    });

    it("counts concurrent requests without exceeding the limit", async () => {
      const owner = await newUser();
      const { row } = await r.apiKeys.issue({ userId: owner.id, name: "burst", rateLimit: 5 });
      const results = await Promise.all(
        Array.from({ length: 12 }, () => r.apiKeys.consume(row.id, clock.now())),
      );
      expect(results.filter(Boolean)).toHaveLength(5);
      expect(await r.apiKeys.getById(row.id)).toMatchObject({ rateWindowCount: 5 });
    });

    it("refuses the keys and sessions of a user who is soft-deleted or no longer active", async () => {
      const owner = await newUser();
      const { key } = await r.apiKeys.issue({ userId: owner.id, name: "orphan" });
      const { token } = await r.sessions.open({ userId: owner.id });
      expect((await r.apiKeys.verify(key)).ok).toBe(true);
      expect((await r.sessions.verify(token)).ok).toBe(true);
      await r.users.archive(owner.id);
      expect(await r.apiKeys.verify(key)).toMatchObject({ ok: false, reason: "inactive-user" });
      expect(await r.sessions.verify(token)).toMatchObject({ ok: false, reason: "inactive-user" });
      await r.users.update(owner.id, { status: "active" });
      expect((await r.sessions.verify(token)).ok).toBe(true);
      await r.users.softDelete(owner.id);
      expect(await r.apiKeys.verify(key)).toMatchObject({ ok: false, reason: "inactive-user" });
      expect(await r.sessions.verify(token)).toMatchObject({ ok: false, reason: "inactive-user" });
    });

    it("refuses a revoked key", async () => {
      const owner = await newUser();
      const { key, row } = await r.apiKeys.issue({ userId: owner.id, name: "revoked" });
      expect(await r.apiKeys.revoke(row.id)).toBe(true);
      expect(await r.apiKeys.verify(key)).toMatchObject({
        ok: false,
        reason: "revoked",
        key: { id: row.id },
      });
      expect(await r.apiKeys.revoke(row.id)).toBe(false);
    });
  });

  describe("sessions", () => {
    it("opens a session whose token is stored only as a hash, and verifies it until it expires", async () => {
      const user = await newUser();
      const { token, session } = await r.sessions.open({ userId: user.id, ttlMs: 30 * 60_000 });
      expect(token).toMatch(/^khs_[0-9A-Za-z]{64}$/);
      expect(session.tokenHash).not.toContain(token);
      expect(session.expiresAt).toEqual(new Date(clock.now().getTime() + 30 * 60_000));
      expect(await r.sessions.verify(token)).toMatchObject({ ok: true, session: { id: session.id } });

      clock.advance(30 * 60_000 - 1);
      expect((await r.sessions.verify(token)).ok).toBe(true);
      clock.advance(1);
      expect(await r.sessions.verify(token)).toMatchObject({ ok: false, reason: "expired" });
    });

    it("refuses a revoked session and an unknown token", async () => {
      const user = await newUser();
      const { token, session } = await r.sessions.open({ userId: user.id });
      expect(await r.sessions.revoke(session.id)).toBe(true);
      expect(await r.sessions.verify(token)).toMatchObject({ ok: false, reason: "revoked" });
      expect(await r.sessions.verify(`khs_${"Q".repeat(64)}`)).toEqual({ ok: false, reason: "unknown" });
      expect(await r.sessions.verify(token.slice(1))).toEqual({ ok: false, reason: "malformed" });
    });

    it("ends every live session of one user", async () => {
      const user = await newUser();
      const bystander = await newUser();
      const a = await r.sessions.open({ userId: user.id });
      const b = await r.sessions.open({ userId: user.id });
      const c = await r.sessions.open({ userId: bystander.id });
      expect(await r.sessions.revokeAll(user.id)).toBe(2);
      expect((await r.sessions.verify(a.token)).ok).toBe(false);
      expect((await r.sessions.verify(b.token)).ok).toBe(false);
      expect((await r.sessions.verify(c.token)).ok).toBe(true);
    });
  });

  describe("login and account locking", () => {
    let user: Awaited<ReturnType<typeof newUser>>;
    beforeEach(async () => {
      user = await newUser();
    });

    it("logs in by email or username, opening a session and recording the login", async () => {
      const byEmail = await r.auth.login(user.email.toUpperCase(), PASSWORD, { ipAddress: "198.51.100.4" });
      expect(byEmail).toMatchObject({ ok: true, user: { id: user.id, lastLoginAt: clock.now() } });
      if (!byEmail.ok) throw new Error("unreachable");
      expect(await r.sessions.verify(byEmail.token)).toMatchObject({
        ok: true,
        session: { userId: user.id },
      });
      expect((await r.auth.login(user.username, PASSWORD)).ok).toBe(true);
      const events = await fx.db.kysely
        .selectFrom("audit_logs")
        .select(["action", "userId"])
        .where("entityId", "=", byEmail.session.id)
        .execute();
      // user_sessions is not an audited table: the login event is its only entry.
      expect(events).toEqual([{ action: "login", userId: user.id }]);
      expect(await r.auth.login("nobody@example.com", PASSWORD)).toEqual({ ok: false, reason: "unknown" });
    });

    it(`locks the account after ${MAX_FAILED_LOGINS} failed logins, even against the right password`, async () => {
      for (let i = 1; i < MAX_FAILED_LOGINS; i++)
        expect(await r.auth.login(user.username, "wrong")).toEqual({
          ok: false,
          reason: "mismatch",
          failedAttempts: i,
          lockedUntil: null,
        });
      const until = new Date(clock.now().getTime() + LOCK_DURATION_MS);
      expect(await r.auth.login(user.username, "wrong")).toEqual({
        ok: false,
        reason: "mismatch",
        failedAttempts: MAX_FAILED_LOGINS,
        lockedUntil: until,
      });
      expect(await r.users.getById(user.id)).toMatchObject({
        failedLoginAttempts: MAX_FAILED_LOGINS,
        lockedUntil: until,
      });
      expect(await r.auth.login(user.username, PASSWORD)).toEqual({
        ok: false,
        reason: "locked",
        lockedUntil: until,
      });
      // A refused attempt during the lock neither counts nor extends it.
      expect(await r.users.getById(user.id)).toMatchObject({
        failedLoginAttempts: MAX_FAILED_LOGINS,
        lockedUntil: until,
      });

      clock.advance(LOCK_DURATION_MS - 1);
      expect(await r.auth.login(user.username, PASSWORD)).toMatchObject({ ok: false, reason: "locked" });
      clock.advance(1);
      expect(await r.auth.login(user.username, PASSWORD)).toMatchObject({ ok: true });
      expect(await r.users.getById(user.id)).toMatchObject({ failedLoginAttempts: 0, lockedUntil: null });
    });

    it("counts concurrent failed logins without losing one", async () => {
      const results = await Promise.all(
        Array.from({ length: MAX_FAILED_LOGINS }, () => r.auth.login(user.username, "wrong")),
      );
      const counts = results.map((x) => (x.ok || x.reason !== "mismatch" ? 0 : x.failedAttempts));
      expect(counts.sort((a, b) => a - b)).toEqual(
        Array.from({ length: MAX_FAILED_LOGINS }, (_, i) => i + 1),
      );
      expect(await r.auth.login(user.username, PASSWORD)).toMatchObject({ ok: false, reason: "locked" });
    });

    it("starts counting again after a lock has ended", async () => {
      for (let i = 0; i < MAX_FAILED_LOGINS; i++) await r.auth.login(user.username, "wrong");
      clock.advance(LOCK_DURATION_MS);
      expect(await r.auth.login(user.username, "wrong")).toEqual({
        ok: false,
        reason: "mismatch",
        failedAttempts: 1,
        lockedUntil: null,
      });
    });

    it("resets the failure count on a successful login", async () => {
      for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) await r.auth.login(user.username, "wrong");
      expect(await r.users.getById(user.id)).toMatchObject({ failedLoginAttempts: MAX_FAILED_LOGINS - 1 });
      expect((await r.auth.login(user.username, PASSWORD)).ok).toBe(true);
      expect(await r.users.getById(user.id)).toMatchObject({ failedLoginAttempts: 0, lockedUntil: null });
      // The count starts from zero: one more failure does not lock.
      expect(await r.auth.login(user.username, "wrong")).toMatchObject({
        failedAttempts: 1,
        lockedUntil: null,
      });
    });

    it("logs out: the session is revoked and the logout recorded", async () => {
      const login = await r.auth.login(user.username, PASSWORD);
      if (!login.ok) throw new Error(`login failed: ${login.reason}`);
      expect(await r.auth.logout(login.token)).toBe(true);
      expect(await r.sessions.verify(login.token)).toMatchObject({ ok: false, reason: "revoked" });
      expect(await r.auth.logout(login.token)).toBe(false);
      const actions = await fx.db.kysely
        .selectFrom("audit_logs")
        .select("action")
        .where("entityId", "=", login.session.id)
        .where("action", "in", ["login", "logout"])
        .execute();
      expect(actions.map((a) => a.action).sort()).toEqual(["login", "logout"]);
    });
  });
});
