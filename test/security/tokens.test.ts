/**
 * API tokens on every engine: format, one indexed lookup with a constant-time compare, refusal of
 * malformed tokens before any query, expiry, revocation, throttled lastUsedAt, the bcrypt mode, the
 * pepper, and a column mixin that matches dns-filter's auth_token.
 */
import crypto from "node:crypto";
import fc from "fast-check";
import { AUDIT_TABLE, AuditTrail, auditLog, NotFoundError, UniqueViolation, ValidationError } from "plinth";
import { col, ref, schema, table } from "plinth/schema";
import {
  ApiTokens,
  apiTokenColumns,
  parseApiToken,
  TOKEN_PEPPER_ENV,
  TokenHasher,
  TokenPepperError,
} from "plinth/security";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { StatementCounter } from "../helpers/statement-counter.js";

const realm = table("realm", { id: col.id(), name: col.varchar(100).unique() });
const authToken = table(
  "auth_token",
  {
    id: col.id(),
    realmId: ref(() => realm.id, { onDelete: "cascade" }),
    ...apiTokenColumns(),
    createdAt: col.timestamp().defaultNow(),
  },
  { audit: true },
);
const tokenSchema = schema({ realm, authToken, auditLog: auditLog() });

const PEPPER = "test-pepper-0123456789-abcdefghijklmnopqrstuvwxyz";
const TOKEN_FORMAT = /^naf_([A-Za-z0-9_-]{1,64})_([0-9A-Za-z]{64})$/;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// Whole seconds, so every engine's timestamp precision keeps the values exact.
const T0 = new Date("2030-01-01T00:00:00.000Z");

afterEach(() => {
  vi.restoreAllMocks();
});

describe("api token mixin", () => {
  it("declares the columns exactly as dns-filter's auth_token does, unique lookup prefix included", () => {
    const ours = tokenSchema.model.tables.find((t) => t.name === "auth_token")!;
    const theirs = dnsFilter.model.tables.find((t) => t.name === "auth_token")!;
    const keys = Object.keys(apiTokenColumns());
    expect(keys).toEqual(["alias", "tokenPrefix", "tokenHash", "expiresAt", "isActive", "lastUsedAt"]);
    for (const key of keys)
      expect(ours.columns.find((c) => c.key === key)).toEqual(theirs.columns.find((c) => c.key === key));
    const prefixUnique = (t: typeof ours) => t.uniques.filter((u) => u.columns.includes("token_prefix"));
    expect(prefixUnique(ours)).toEqual(prefixUnique(theirs));
    expect(prefixUnique(ours)).toHaveLength(1);
    expect(ours.columns.find((c) => c.key === "tokenHash")?.secret).toBe(true);
  });

  it("parses by format alone", () => {
    const random = "A".repeat(12) + "b".repeat(52);
    expect(parseApiToken(`naf_my_alias-2_${random}`, { prefix: "naf" })).toEqual({
      prefix: "naf",
      alias: "my_alias-2",
      lookup: "A".repeat(12),
      secret: "b".repeat(52),
    });
    for (const bad of [
      "",
      `naf__${random}`,
      `naf_x_${random}x`,
      `naf_x_${random.slice(1)}`,
      `nafx_x_${random}`,
      `NAF_x_${random}`,
      `naf_x_${random.slice(1)}-`,
      `naf_${"a".repeat(65)}_${random}`,
      `naf_a b_${random}`,
    ])
      expect(parseApiToken(bad, { prefix: "naf" }), bad).toBeUndefined();
    expect(parseApiToken(42, { prefix: "naf" })).toBeUndefined();
  });
});

describeEngines("api tokens", (engine) => {
  const log = new StatementCounter();
  const fx = useFreshDb(engine, tokenSchema, {
    connect: { plugins: [log], hooks: new AuditTrail({ schema: tokenSchema }) },
  });
  let clock = T0;
  const tokens = () =>
    new ApiTokens(fx.db, "auth_token", { prefix: "naf", pepper: PEPPER, now: () => clock });
  let realmCount = 0;
  const newRealm = async () => (await fx.db.repo("realm").create({ name: `realm-${++realmCount}` })).id;
  const storedRow = (id: number) =>
    (fx.db.kysely as any).selectFrom("auth_token").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

  it("issues `<prefix>_<alias>_<64 base62>` once, storing only the lookup prefix and an HMAC", async () => {
    clock = T0;
    const realmId = await newRealm();
    const { token, row } = await tokens().issue({ alias: "ci-deploy", realmId });
    const [, alias, random] = TOKEN_FORMAT.exec(token)!;
    expect(alias).toBe("ci-deploy");
    expect(row).toMatchObject({
      alias: "ci-deploy",
      realmId,
      tokenPrefix: random!.slice(0, 12),
      isActive: true,
    });
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.tokenHash).toBe(crypto.createHmac("sha256", PEPPER).update(token).digest("hex"));
    expect(row.expiresAt).toBeNull();
    expect(row.lastUsedAt).toBeNull();

    const check = await tokens().verify(token);
    expect(check).toMatchObject({ ok: true, row: { id: row.id, realmId, alias: "ci-deploy" } });

    // Neither the token nor its secret part nor the hash is in the audit trail.
    const audit = JSON.stringify(await (fx.db.kysely as any).selectFrom(AUDIT_TABLE).selectAll().execute());
    expect(audit).toContain("auth_token");
    expect(audit).not.toContain(random!.slice(12));
    expect(audit).not.toContain(row.tokenHash);

    // Two issues never share randomness (and the unique index would refuse a shared prefix).
    const other = await tokens().issue({ alias: "ci-deploy", realmId });
    expect(other.token).not.toBe(token);
    const dup = await fx.db
      .repo("auth_token")
      .create({ realmId, alias: "dup", tokenPrefix: row.tokenPrefix, tokenHash: "0".repeat(64) })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(UniqueViolation);
  });

  it("property: issued tokens parse and verify; random mutations are refused, malformed ones without a query", async () => {
    clock = T0;
    const realmId = await newRealm();
    const service = tokens();
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), async (alias) => {
        const { token, row } = await service.issue({ alias, realmId });
        const parsed = service.parse(token);
        expect(parsed).toMatchObject({ prefix: "naf", alias, lookup: row.tokenPrefix });
        const check = await service.verify(token);
        expect(check.ok && check.row.id).toBe(row.id);
      }),
      { numRuns: 15 },
    );
    const { token } = await service.issue({ alias: "mutant", realmId });
    const mutation = fc.oneof(
      // replace one character with a different one
      fc
        .record({ at: fc.nat({ max: token.length - 1 }), ch: fc.constantFrom(...`${BASE62}_-!.`) })
        .filter(({ at, ch }) => token[at] !== ch)
        .map(({ at, ch }) => token.slice(0, at) + ch + token.slice(at + 1)),
      // drop one character
      fc.nat({ max: token.length - 1 }).map((at) => token.slice(0, at) + token.slice(at + 1)),
      // insert one character
      fc
        .record({ at: fc.nat({ max: token.length }), ch: fc.constantFrom(...BASE62) })
        .map(({ at, ch }) => token.slice(0, at) + ch + token.slice(at)),
      // anything at all
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (presented) => {
        fc.pre(presented !== token);
        log.reset();
        const check = await service.verify(presented);
        expect(check.ok).toBe(false);
        if (service.parse(presented) === undefined) {
          expect(check).toEqual({ ok: false, reason: "malformed" });
          expect(log.count()).toBe(0);
        } else {
          expect(["unknown", "mismatch"]).toContain(!check.ok && check.reason);
          expect(log.count("SelectQueryNode")).toBe(1);
          expect(log.count("UpdateQueryNode")).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("refuses malformed tokens before any query", async () => {
    const service = tokens();
    const { token } = await service.issue({ alias: "shape", realmId: await newRealm() });
    const random = token.slice(-64);
    log.reset();
    for (const bad of [
      "",
      "naf",
      token.slice(0, -1),
      `${token}0`,
      token.replace("naf_", "nag_"),
      `naf__${random}`,
      `naf_shape_${random.slice(0, 63)}-`,
      ` ${token}`,
      `${"x".repeat(100_000)}`,
      undefined as unknown as string,
    ])
      expect(await service.verify(bad)).toEqual({ ok: false, reason: "malformed" });
    expect(log.kinds).toEqual([]);
  });

  it("looks up once by prefix and compares with crypto.timingSafeEqual; a same-length wrong hash is a mismatch", async () => {
    clock = T0;
    const service = tokens();
    const { token, row } = await service.issue({ alias: "timing", realmId: await newRealm() });
    const spy = vi.spyOn(crypto, "timingSafeEqual");
    log.reset();
    expect((await service.verify(token)).ok).toBe(true);
    expect(log.count("SelectQueryNode")).toBe(1);
    expect(spy).toHaveBeenCalledTimes(1);
    const [a, b] = spy.mock.calls[0]!;
    expect([a.byteLength, b.byteLength]).toEqual([32, 32]);

    // Same lookup prefix and length, different secret: found, compared in constant time, refused.
    const flipped = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    spy.mockClear();
    expect(await service.verify(flipped)).toEqual({ ok: false, reason: "mismatch", tokenId: row.id });
    expect(spy).toHaveBeenCalledTimes(1);

    // The stored hash replaced by another of the same length: the genuine token no longer passes.
    await (fx.db.kysely as any)
      .updateTable("auth_token")
      .set({ tokenHash: "f".repeat(64) })
      .where("id", "=", row.id)
      .execute();
    expect(await service.verify(token)).toMatchObject({ ok: false, reason: "mismatch" });

    // A token whose lookup prefix matches no row.
    const unknown = `naf_timing_${"Z".repeat(64)}`;
    expect(await service.verify(unknown)).toEqual({ ok: false, reason: "unknown" });
  });

  it("refuses a token hashed under another pepper", async () => {
    const { token } = await tokens().issue({ alias: "peppered", realmId: await newRealm() });
    const other = new ApiTokens(fx.db, "auth_token", { prefix: "naf", pepper: `${PEPPER}-rotated` });
    expect(await other.verify(token)).toMatchObject({ ok: false, reason: "mismatch" });
  });

  it("refuses an expired token; a token without expiresAt never expires", async () => {
    clock = T0;
    const realmId = await newRealm();
    const service = tokens();
    const expiring = await service.issue({
      alias: "short",
      realmId,
      expiresAt: new Date(T0.getTime() + 3_600_000),
    });
    const forever = await service.issue({ alias: "forever", realmId });
    expect((await service.verify(expiring.token)).ok).toBe(true);
    clock = new Date(T0.getTime() + 3_600_000);
    expect(await service.verify(expiring.token)).toMatchObject({
      ok: false,
      reason: "expired",
      row: { id: expiring.row.id },
    });
    clock = new Date(T0.getTime() + 100 * 365 * 86_400_000);
    expect((await service.verify(forever.token)).ok).toBe(true);
  });

  it("refuses a revoked token; revoking is audited and a missing id is NotFoundError", async () => {
    clock = T0;
    const service = tokens();
    const { token, row } = await service.issue({ alias: "revoke-me", realmId: await newRealm() });
    expect((await service.verify(token)).ok).toBe(true);
    const revoked = await service.revoke(row.id);
    expect(revoked.isActive).toBe(false);
    expect(await service.verify(token)).toMatchObject({ ok: false, reason: "revoked", row: { id: row.id } });
    const trail = await (fx.db.kysely as any)
      .selectFrom(AUDIT_TABLE)
      .select(["action"])
      .where("tableName", "=", "auth_token")
      .where("rowId", "=", String(row.id))
      .orderBy("id")
      .execute();
    expect(trail.map((r: { action: string }) => r.action)).toEqual(["create", "update"]);
    expect(await service.revoke(9_999_999).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it("writes lastUsedAt at most once a minute per token, without audit rows", async () => {
    clock = T0;
    const service = tokens();
    const { token, row } = await service.issue({ alias: "busy", realmId: await newRealm() });
    const other = await service.issue({ alias: "idle", realmId: row.realmId });
    const auditCount = async () =>
      Number(
        (
          await (fx.db.kysely as any)
            .selectFrom(AUDIT_TABLE)
            .select((eb: any) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await auditCount();

    log.reset();
    const first = await service.verify(token);
    expect(first.ok && first.row.lastUsedAt?.getTime()).toBe(T0.getTime());
    expect(log.count("UpdateQueryNode")).toBe(1);
    expect((await storedRow(row.id)).lastUsedAt.getTime()).toBe(T0.getTime());

    for (const seconds of [1, 30, 59]) {
      clock = new Date(T0.getTime() + seconds * 1000);
      log.reset();
      expect((await service.verify(token)).ok).toBe(true);
      expect(log.count("UpdateQueryNode")).toBe(0);
    }
    expect((await storedRow(row.id)).lastUsedAt.getTime()).toBe(T0.getTime());

    clock = new Date(T0.getTime() + 60_000);
    log.reset();
    await service.verify(token);
    expect(log.count("UpdateQueryNode")).toBe(1);
    expect((await storedRow(row.id)).lastUsedAt.getTime()).toBe(T0.getTime() + 60_000);
    // Per token: the other token was never used.
    expect((await storedRow(other.row.id)).lastUsedAt).toBeNull();

    // Two handles racing within the same minute: the conditional write lands once.
    clock = new Date(T0.getTime() + 180_000);
    const racer = tokens();
    log.reset();
    await Promise.all([service.verify(token), racer.verify(token)]);
    expect((await storedRow(row.id)).lastUsedAt.getTime()).toBe(T0.getTime() + 180_000);
    expect(await auditCount()).toBe(before);
  });

  it("offers bcrypt hashing; either stored form verifies under the same pepper", async () => {
    clock = T0;
    const realmId = await newRealm();
    const bcryptTokens = new ApiTokens(fx.db, "auth_token", {
      prefix: "naf",
      pepper: PEPPER,
      hashing: "bcrypt",
      bcryptCost: 4,
      now: () => clock,
    });
    const { token, row } = await bcryptTokens.issue({ alias: "legacy", realmId });
    expect(row.tokenHash).toMatch(/^\$2b\$04\$/);
    expect((await bcryptTokens.verify(token)).ok).toBe(true);
    expect((await tokens().verify(token)).ok).toBe(true);
    const flipped = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    expect(await bcryptTokens.verify(flipped)).toMatchObject({ ok: false, reason: "mismatch" });
    const hmac = await tokens().issue({ alias: "modern", realmId });
    expect((await bcryptTokens.verify(hmac.token)).ok).toBe(true);
  });

  it("verifies inside a transaction, seeing the transaction's own writes", async () => {
    clock = new Date(T0.getTime() + 3_600_000);
    const service = tokens();
    const realmId = await newRealm();
    const outcome = await fx.db.transaction(async () => {
      const { token, row } = await service.issue({ alias: "in-tx", realmId });
      const check = await service.verify(token);
      return { check, id: row.id };
    });
    expect(outcome.check).toMatchObject({ ok: true, row: { id: outcome.id } });
    expect((await storedRow(outcome.id)).lastUsedAt.getTime()).toBe(clock.getTime());
  });

  it("mints tokens without writing, for one bulk insert; each then verifies", async () => {
    clock = T0;
    const service = tokens();
    const realmId = await newRealm();
    log.reset();
    const minted = await Promise.all(Array.from({ length: 40 }, (_, i) => service.mint(`bulk-${i}`)));
    expect(log.kinds).toEqual([]);
    expect(new Set(minted.map((m) => m.values.tokenPrefix)).size).toBe(40);
    await fx.db.repo("auth_token").createMany(minted.map((m) => ({ ...m.values, realmId })));
    for (const { token, values } of minted.slice(0, 5))
      expect(await service.verify(token)).toMatchObject({ ok: true, row: { alias: values.alias, realmId } });
  });

  it("refuses a bad alias before writing", async () => {
    const service = tokens();
    const realmId = await newRealm();
    for (const alias of ["", "has space", "x".repeat(65), "dot.ted"]) {
      const error = await service.issue({ alias, realmId }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]).toMatchObject({ table: "auth_token", column: "alias" });
    }
    expect(await fx.db.repo("auth_token").count({ realmId })).toBe(0);
  });

  it("needs a pepper: a clear start-up error names PLINTH_TOKEN_PEPPER", () => {
    const saved = process.env[TOKEN_PEPPER_ENV];
    try {
      delete process.env[TOKEN_PEPPER_ENV];
      const missing = (() => {
        try {
          new ApiTokens(fx.db, "auth_token", { prefix: "naf" });
        } catch (e) {
          return e;
        }
      })();
      expect(missing).toBeInstanceOf(TokenPepperError);
      expect((missing as Error).message).toContain("PLINTH_TOKEN_PEPPER is not set");
      process.env[TOKEN_PEPPER_ENV] = "too-short";
      expect(() => new ApiTokens(fx.db, "auth_token", { prefix: "naf" })).toThrow(
        /PLINTH_TOKEN_PEPPER is too short/,
      );
      process.env[TOKEN_PEPPER_ENV] = PEPPER;
      expect(new ApiTokens(fx.db, "auth_token", { prefix: "naf" }).prefix).toBe("naf");
    } finally {
      if (saved === undefined) delete process.env[TOKEN_PEPPER_ENV];
      else process.env[TOKEN_PEPPER_ENV] = saved;
    }
    expect(() => new ApiTokens(fx.db, "auth_token", { prefix: "NAF", pepper: PEPPER })).toThrow(/prefix/);
    expect(
      () => new ApiTokens(fx.db, "auth_token", { prefix: "naf", pepper: PEPPER, randomLength: 40 }),
    ).toThrow(/256 bits/);
    expect(() => new ApiTokens(fx.db, "realm" as "auth_token", { prefix: "naf", pepper: PEPPER })).toThrow(
      /realm lacks the token column/,
    );
  });
});

describe("TokenHasher", () => {
  it("hashes with the pepper's HMAC and checks either stored form in constant time", async () => {
    const hasher = new TokenHasher({ pepper: PEPPER });
    const stored = await hasher.hash("kh_some-token");
    expect(stored).toBe(crypto.createHmac("sha256", PEPPER).update("kh_some-token").digest("hex"));
    expect(await hasher.matches("kh_some-token", stored)).toBe(true);
    expect(await hasher.matches("kh_other-token", stored)).toBe(false);
    // Another pepper gives another hash: the table alone cannot check a candidate.
    expect(await new TokenHasher({ pepper: `${PEPPER}!` }).matches("kh_some-token", stored)).toBe(false);
    // A stored value that is not 64 hex characters never matches (and never reaches timingSafeEqual).
    expect(await hasher.matches("kh_some-token", "z".repeat(64))).toBe(false);
    expect(await hasher.matches("kh_some-token", stored.slice(1))).toBe(false);

    const bcrypted = await new TokenHasher({ pepper: PEPPER, hashing: "bcrypt", bcryptCost: 4 }).hash(
      "kh_some-token",
    );
    expect(bcrypted).toMatch(/^\$2[aby]\$04\$/);
    expect(await hasher.matches("kh_some-token", bcrypted)).toBe(true);
    expect(await hasher.matches("kh_other-token", bcrypted)).toBe(false);
  });

  it("refuses to start without a pepper", () => {
    vi.stubEnv(TOKEN_PEPPER_ENV, "");
    expect(() => new TokenHasher()).toThrow(TokenPepperError);
    vi.unstubAllEnvs();
  });
});
