/**
 * Passwords: argon2id with OWASP parameters, legacy bcrypt verification with needsRehash, the
 * password policy naming every failing rule, and the password column refusing plaintext and
 * staying out of reads on every engine.
 */
import { parseOptions } from "@node-rs/argon2";
import bcrypt from "bcryptjs";
import { AUDIT_TABLE, AuditTrail, auditLog, ValidationError } from "plinth";
import { col, schema, table } from "plinth/schema";
import {
  hashPassword,
  isPasswordHash,
  OWASP_ARGON2ID,
  PasswordPolicy,
  PasswordPolicyError,
  passwordPolicy,
  verifyPassword,
} from "plinth/security";
import { describe, expect, it } from "vitest";
import { commonPasswords } from "../../src/security/common-passwords.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

describe("hashPassword / verifyPassword", () => {
  it("hashes with argon2id at the OWASP parameters and verifies the same password", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    const used = parseOptions(hash);
    expect(used).toMatchObject({
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
      outputLen: 32,
      saltLen: 16,
    });
    expect(OWASP_ARGON2ID).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(isPasswordHash(hash)).toBe(true);
    expect(await verifyPassword(hash, "correct horse battery staple")).toEqual({
      ok: true,
      needsRehash: false,
    });
    // A random salt: the same password never gives the same hash twice.
    expect(await hashPassword("correct horse battery staple")).not.toBe(hash);
  });

  it("refuses a wrong password, without asking for a rehash", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(await verifyPassword(hash, "correct horse battery stapler")).toEqual({
      ok: false,
      needsRehash: false,
    });
    expect(await verifyPassword(hash, "")).toEqual({ ok: false, needsRehash: false });
  });

  it("verifies a legacy bcrypt cost-12 hash and asks for a rehash", async () => {
    const legacy = await bcrypt.hash("TestPassword123!", 12);
    expect(bcrypt.getRounds(legacy)).toBe(12);
    expect(isPasswordHash(legacy)).toBe(true);
    expect(await verifyPassword(legacy, "TestPassword123!")).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPassword(legacy, "TestPassword123?")).toEqual({ ok: false, needsRehash: false });
  });

  it("asks for a rehash of argon2 hashes weaker than the current parameters, not of stronger ones", async () => {
    const weak = await hashPassword("pw-weak", { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    expect(await verifyPassword(weak, "pw-weak")).toEqual({ ok: true, needsRehash: true });
    const strong = await hashPassword("pw-strong", { memoryCost: 38912, timeCost: 3, parallelism: 1 });
    expect(await verifyPassword(strong, "pw-strong")).toEqual({ ok: true, needsRehash: false });
    // Raising the deployment's parameters turns the OWASP hash into one to upgrade.
    const current = await hashPassword("pw-current");
    expect(
      await verifyPassword(current, "pw-current", { memoryCost: 19456, timeCost: 3, parallelism: 1 }),
    ).toEqual({
      ok: true,
      needsRehash: true,
    });
  });

  it("treats a password typed as composed or decomposed Unicode as the same password", async () => {
    const composed = "caf\u00e9-au-lait";
    const decomposed = "cafe\u0301-au-lait";
    expect(composed).not.toBe(decomposed);
    const hash = await hashPassword(composed);
    expect((await verifyPassword(hash, decomposed)).ok).toBe(true);
  });

  it("throws on a stored value that is no hash, without repeating it or the password", async () => {
    const error = await verifyPassword("plaintext-in-the-column", "guess-me").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain("plaintext-in-the-column");
    expect(String((error as Error).message)).not.toContain("guess-me");
    const empty = await hashPassword("").catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(Error);
    expect(isPasswordHash("hunter2")).toBe(false);
  });
});

describe("password policy", () => {
  const strict = passwordPolicy({
    minLength: 12,
    lowercase: true,
    uppercase: true,
    digit: true,
    symbol: true,
  });

  it("names every rule a password breaks", () => {
    const result = strict.check("password");
    expect(result.ok).toBe(false);
    expect(result.failures.map((f) => f.rule)).toEqual([
      "minLength",
      "uppercase",
      "digit",
      "symbol",
      "common",
    ]);
    expect(result.failures[0]!.message).toContain("12");
    expect(strict.check("ABCDEFGHIJKLMN").failures.map((f) => f.rule)).toEqual([
      "lowercase",
      "digit",
      "symbol",
    ]);
    expect(strict.check("x".repeat(129)).failures.map((f) => f.rule)).toEqual([
      "maxLength",
      "uppercase",
      "digit",
      "symbol",
    ]);
  });

  it("accepts a password that satisfies every rule", () => {
    expect(strict.check("Velvet-Otter-42-Lantern")).toEqual({ ok: true, failures: [] });
    expect(new PasswordPolicy().check("velvet otter lantern")).toEqual({ ok: true, failures: [] });
  });

  it("refuses common passwords, also with digits and symbols appended, case-insensitively", () => {
    const policy = passwordPolicy({ minLength: 8 });
    // The shipped list is read from its text asset.
    expect(commonPasswords()).toHaveLength(3410);
    expect(commonPasswords().slice(0, 3)).toEqual(["123456", "12345", "password"]);
    expect(policy.check("Password123!").failures.map((f) => f.rule)).toEqual(["common"]);
    expect(policy.check("QWERTY2024").failures.map((f) => f.rule)).toEqual(["common"]);
    expect(policy.check("qwertyuiop").failures.map((f) => f.rule)).toEqual(["common"]);
    expect(policy.check("purple-kettle-drum").ok).toBe(true);
    // Off when a deployment says so, and replaceable by its own list.
    expect(passwordPolicy({ minLength: 8, rejectCommon: false }).check("Password123!").ok).toBe(true);
    const own = passwordPolicy({ minLength: 8, commonPasswords: ["Company2024"] });
    expect(own.check("company2024").failures.map((f) => f.rule)).toEqual(["common"]);
    expect(own.check("password").ok).toBe(true);
  });

  it("refuses a password that contains the user's own details", () => {
    const policy = new PasswordPolicy();
    const context = { userInputs: ["alice_w", "alice.w@example.com", null] };
    expect(policy.check("my-name-is-Alice_W-2024", context).failures.map((f) => f.rule)).toEqual([
      "personal",
    ]);
    expect(policy.check("xx-alice.w-xx-long-enough", context).failures.map((f) => f.rule)).toEqual([
      "personal",
    ]);
    expect(policy.check("unrelated-long-phrase", context).ok).toBe(true);
  });

  it("throws PasswordPolicyError listing the rules, without the password", () => {
    const error = (() => {
      try {
        strict.assert("letmein");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PasswordPolicyError);
    const refused = error as PasswordPolicyError;
    expect(refused.rules).toEqual(["minLength", "uppercase", "digit", "symbol", "common"]);
    for (const rule of refused.rules) expect(refused.message).toContain(rule);
    expect(refused.message).not.toContain("letmein");
    expect(() => strict.assert("Velvet-Otter-42-Lantern")).not.toThrow();
  });

  it("refuses an inconsistent configuration", () => {
    expect(() => passwordPolicy({ minLength: 0 })).toThrow(/minLength/);
    expect(() => passwordPolicy({ minLength: 20, maxLength: 10 })).toThrow(/maxLength/);
  });
});

const person = table(
  "person",
  {
    id: col.id(),
    username: col.varchar(40).unique(),
    passwordHash: col.password(),
  },
  { audit: true },
);
const people = schema({ person, auditLog: auditLog() });

describeEngines("password column", (engine) => {
  const fx = useFreshDb(engine, people, { connect: { hooks: new AuditTrail({ schema: people }) } });

  it("refuses plaintext with a ValidationError naming the column, and writes nothing", async () => {
    const repo = fx.db.repo("person");
    const error = await repo
      .create({ username: "plain", passwordHash: "hunter2-hunter2" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      expect.objectContaining({ table: "person", column: "passwordHash" }),
    ]);
    expect((error as ValidationError).message).not.toContain("hunter2-hunter2");
    expect(await repo.count({ username: "plain" })).toBe(0);
    const created = await repo.create({
      username: "hashed",
      passwordHash: await hashPassword("hunter2-hunter2"),
    });
    const update = await repo.update(created.id, { passwordHash: "new-plaintext" }).catch((e: unknown) => e);
    expect(update).toBeInstanceOf(ValidationError);
  });

  it("stores argon2 and bcrypt hashes, leaves them out of reads, and verifies what it reads on request", async () => {
    const repo = fx.db.repo("person");
    const argon = await repo.create({ username: "argon", passwordHash: await hashPassword("s3cret-phrase") });
    const legacy = await repo.create({
      username: "legacy",
      passwordHash: await bcrypt.hash("old-phrase", 4),
    });
    expect(argon).not.toHaveProperty("passwordHash");
    expect(await repo.getById(argon.id)).not.toHaveProperty("passwordHash");
    expect((await repo.findMany({ where: { username: "legacy" } }))[0]).not.toHaveProperty("passwordHash");
    const withHash = await repo.findOne({ username: "legacy" }, { withHidden: true });
    expect(await verifyPassword(withHash!.passwordHash, "old-phrase")).toEqual({
      ok: true,
      needsRehash: true,
    });
    const argonRow = await repo.getById(argon.id, { withHidden: true });
    expect(await verifyPassword(argonRow!.passwordHash, "s3cret-phrase")).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect(legacy.id).not.toBe(argon.id);

    // Audited writes redact the hash: neither hash appears in the audit trail.
    await repo.update(argon.id, { passwordHash: await hashPassword("next-phrase") });
    const trail = JSON.stringify(await (fx.db.kysely as any).selectFrom(AUDIT_TABLE).selectAll().execute());
    expect(trail).toContain("password_hash");
    expect(trail).not.toContain(argonRow!.passwordHash);
    expect(trail).not.toContain(withHash!.passwordHash);
    expect(trail).not.toMatch(/\$argon2id\$|\$2[aby]\$/);
  });
});
