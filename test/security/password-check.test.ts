/**
 * A `col.password()` column accepts only a hash even when the repository is bypassed: the database
 * holds a CHECK on the hash's shape (ck_<table>_<column>_hash) on every engine.
 */
import bcrypt from "bcryptjs";
import { CheckViolation, ValidationError } from "plinth";
import { col, schema, table } from "plinth/schema";
import { hashPassword, isPasswordHash } from "plinth/security";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const login = table("login", {
  id: col.id(),
  name: col.varchar(40),
  passwordHash: col.password(),
  previousHash: col.password().nullable(),
});
const logins = schema({ login });

// Cheap argon2id parameters: the CHECK reads the shape, not the cost.
const cheap = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const bcryptHash = bcrypt.hashSync("legacy password", 4);

/** Text that is not a hash: what the CHECK refuses, as the repository's validator does. */
const NOT_HASHES = [
  "hunter2",
  "correct horse battery staple",
  "$2b$10$tooShort",
  `$2b$10$${"a".repeat(52)} `,
  `$2q$10$${"a".repeat(53)}`,
  "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA",
  "$argon2id$v=19$m=1024,t=1,p=1$c2 FsdA$aGFzaA",
  "$ARGON2ID$V=19$M=1024,T=1,P=1$c2FsdA$aGFzaA",
  "",
];

describe("the password-hash CHECK", () => {
  it("is declared by col.password() and agrees with the repository's validator", () => {
    const t = logins.model.tables[0]!;
    expect(t.checks.map((c) => c.name)).toEqual([
      "ck_login_password_hash_hash",
      "ck_login_previous_hash_hash",
    ]);
    expect(t.checks[0]!.predicate).toEqual({ op: "passwordHash", column: "password_hash" });
    for (const text of NOT_HASHES) expect(isPasswordHash(text)).toBe(false);
  });
});

describeEngines("a password column refuses plaintext in the database", (engine) => {
  const fx = useFreshDb(engine, logins);

  it("refuses plain text inserted through db.kysely with a typed CheckViolation", async () => {
    for (const text of NOT_HASHES) {
      const error = await fx.db.kysely
        .insertInto("login")
        .values({ name: "raw", passwordHash: text })
        .execute()
        .catch((e) => e);
      expect(error, JSON.stringify(text)).toBeInstanceOf(CheckViolation);
      expect(error).toMatchObject({
        table: "login",
        columns: ["password_hash"],
        constraint: "ck_login_password_hash_hash",
      });
    }
    const rows = await fx.db.kysely.selectFrom("login").selectAll().execute();
    expect(rows).toEqual([]);
  });

  it("refuses plain text in an UPDATE too, and on a nullable password column", async () => {
    const hash = await hashPassword("first password", cheap);
    await fx.db.kysely.insertInto("login").values({ name: "upd", passwordHash: hash }).execute();
    const update = await fx.db.kysely
      .updateTable("login")
      .set({ passwordHash: "letmein" })
      .where("name", "=", "upd")
      .execute()
      .catch((e) => e);
    expect(update).toBeInstanceOf(CheckViolation);
    expect(update).toMatchObject({ table: "login", constraint: "ck_login_password_hash_hash" });
    const previous = await fx.db.kysely
      .updateTable("login")
      .set({ previousHash: "letmein" })
      .where("name", "=", "upd")
      .execute()
      .catch((e) => e);
    expect(previous).toMatchObject({ table: "login", constraint: "ck_login_previous_hash_hash" });
    // NULL passes a nullable password column's CHECK.
    await fx.db.kysely.updateTable("login").set({ previousHash: null }).where("name", "=", "upd").execute();
  });

  it("accepts argon2id and bcrypt hashes from a raw insert", async () => {
    const argon = await hashPassword("a real password", cheap);
    await fx.db.kysely
      .insertInto("login")
      .values([
        { name: "argon", passwordHash: argon, previousHash: bcryptHash },
        { name: "bcrypt", passwordHash: bcryptHash },
      ])
      .execute();
    const rows = await fx.db.kysely
      .selectFrom("login")
      .select(["name", "passwordHash"])
      .where("name", "in", ["argon", "bcrypt"])
      .orderBy("name")
      .execute();
    expect(rows).toEqual([
      { name: "argon", passwordHash: argon },
      { name: "bcrypt", passwordHash: bcryptHash },
    ]);
  });

  it("is refused by the repository first, before the database sees it", async () => {
    const error = await fx.db
      .repo("login")
      .create({ name: "repo", passwordHash: "hunter2" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
  });
});
