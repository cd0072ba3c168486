/**
 * Encrypted columns: the keyring (format, tamper detection, column binding), the data layer
 * encrypting on write and decrypting on read on every engine, and key rotation with two keys.
 */
import fc from "fast-check";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { AUDIT_TABLE, AuditTrail, auditLog, connect, REDACTED, ValidationError } from "plinth";
import { col, schema, table } from "plinth/schema";
import type { RotationProgress } from "plinth/security";
import {
  DecryptionError,
  ENCRYPTION_KEYS_VARIABLE,
  EncryptionKeyError,
  generateEncryptionKey,
  Keyring,
  resolveKeyring,
  rotateEncryptionKeys,
} from "plinth/security";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { rawRows, sqliteBytes } from "./raw-store.js";

const KEY1 = generateEncryptionKey("k1");
const KEY2 = generateEncryptionKey("k2");
const AT = { table: "account", column: "totp_secret" };

const account = table(
  "account",
  {
    id: col.id(),
    name: col.varchar(40).unique(),
    totpSecret: col.encrypted().nullable(),
    recovery: col.encrypted().nullable(),
    note: col.text().nullable(),
  },
  { audit: true },
);
const device = table(
  "device",
  { accountId: col.integer(), label: col.varchar(40), secret: col.encrypted() },
  { primaryKey: ["accountId", "label"] },
);
const secured = schema({ account, device, auditLog: auditLog() });

/** Replaces one base64 character in the middle of the sealed part, so the bytes change. */
function tamper(stored: string): string {
  const at = stored.lastIndexOf(":") + 10;
  return stored.slice(0, at) + (stored[at] === "A" ? "B" : "A") + stored.slice(at + 1);
}

describe("keyring", () => {
  it("reads PLINTH_ENCRYPTION_KEYS entries; the first key encrypts, every key decrypts", () => {
    const old = Keyring.parse(KEY1);
    const both = Keyring.parse(` ${KEY2},\n ${KEY1} `);
    expect(both.primary).toBe("k2");
    expect(both.ids).toEqual(["k2", "k1"]);
    const stored = old.encrypt("JBSWY3DPEHPK3PXP", AT);
    expect(stored).toMatch(/^v1:k1:[A-Za-z0-9+/]+={0,2}$/);
    expect(both.keyIdOf(stored)).toBe("k1");
    expect(both.isCurrent(stored)).toBe(false);
    expect(both.decrypt(stored, AT)).toBe("JBSWY3DPEHPK3PXP");
    expect(both.encrypt("x", AT)).toMatch(/^v1:k2:/);
    // base64url keys work as well as base64
    const url = `k9:${Buffer.from(KEY1.slice(3), "base64").toString("base64url")}`;
    expect(Keyring.parse(url).decrypt(Keyring.parse(url).encrypt("é ✓", AT), AT)).toBe("é ✓");
  });

  it("uses a fresh nonce for every value, so equal plaintexts are stored differently", () => {
    const ring = Keyring.parse(KEY1);
    const values = new Set(Array.from({ length: 50 }, () => ring.encrypt("same", AT)));
    expect(values.size).toBe(50);
    for (const v of values) expect(ring.decrypt(v, AT)).toBe("same");
    expect(ring.decrypt(ring.encrypt("", AT), AT)).toBe("");
  });

  it("refuses malformed keys with a message that never repeats key material", () => {
    const material = KEY1.slice(3);
    const cases: [string, RegExp][] = [
      ["", /lists no key/],
      [material, /entry 1 is not "<keyId>:<base64 key>"/],
      [`k1:${material.slice(0, 20)}`, /key "k1" is 15 bytes; AES-256 needs 32/],
      [`k1:${material.replace(/.$/, "!")}`, /key "k1" is not base64/],
      [`k1:${material},K1:${KEY2.slice(3)}`, /key id "K1" appears twice/],
      [`bad.id:${material}`, /key id "bad.id" must be/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        Keyring.parse(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(EncryptionKeyError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(new RegExp(`^${ENCRYPTION_KEYS_VARIABLE}|lists no key`));
      expect((error as Error).message).not.toContain(material.slice(0, 12));
    }
  });

  it("detects any change to any byte of the stored value", () => {
    const ring = Keyring.parse(KEY1);
    const stored = ring.encrypt("otpauth-secret-value", AT);
    const sealed = Buffer.from(stored.slice("v1:k1:".length), "base64");
    fc.assert(
      fc.property(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 }), (i, flip) => {
        const altered = Buffer.from(sealed);
        altered[i]! ^= flip;
        const bad = `v1:k1:${altered.toString("base64")}`;
        expect(() => ring.decrypt(bad, AT)).toThrow(DecryptionError);
      }),
    );
    for (const bad of [tamper(stored), stored.slice(0, -8), "v1:k1:AAAA", "plaintext"]) {
      const error = captured(() => ring.decrypt(bad, AT));
      expect(error).toBeInstanceOf(DecryptionError);
      expect(error).toMatchObject({ table: "account", column: "totp_secret" });
      expect((error as Error).message).toMatch(/^cannot decrypt account\.totp_secret: /);
    }
  });

  it("binds a value to its table and column, and to the key id it names", () => {
    const ring = Keyring.parse(`${KEY1},${KEY2}`);
    const stored = ring.encrypt("secret", AT);
    for (const other of [
      { table: "account", column: "recovery" },
      { table: "device", column: "totp_secret" },
    ]) {
      const error = captured(() => ring.decrypt(stored, other));
      expect(error).toBeInstanceOf(DecryptionError);
      expect((error as Error).message).toMatch(/authentication failed: .*another column/);
      expect(error).toMatchObject(other);
    }
    // Relabelled as key k2 (which the ring holds): still refused.
    expect(() => ring.decrypt(stored.replace("v1:k1:", "v1:k2:"), AT)).toThrow(/authentication failed/);
    // A key the ring does not hold is named.
    expect(() => Keyring.parse(KEY2).decrypt(stored, AT)).toThrow(
      /encrypted with key "k1", which is not among the configured keys \(k2\)/,
    );
  });

  it("a schema with encrypted columns and no keys is a start-up error naming the variable", async () => {
    expect(() => resolveKeyring(secured.model, undefined, {})).toThrow(EncryptionKeyError);
    expect(() => resolveKeyring(secured.model, undefined, {})).toThrow(
      /encrypted columns \(account\.totp_secret, account\.recovery, device\.secret\) but PLINTH_ENCRYPTION_KEYS is not set/,
    );
    expect(resolveKeyring(secured.model, undefined, { [ENCRYPTION_KEYS_VARIABLE]: KEY2 })?.primary).toBe(
      "k2",
    );
    expect(resolveKeyring(schema({ t: table("t", { id: col.id() }) }).model, undefined, {})).toBeUndefined();

    const saved = process.env[ENCRYPTION_KEYS_VARIABLE];
    delete process.env[ENCRYPTION_KEYS_VARIABLE];
    try {
      await expect(connect("sqlite::memory:", secured)).rejects.toThrow(
        /PLINTH_ENCRYPTION_KEYS is not set.*connect\(url, schema, \{ encryptionKeys \}\)/,
      );
      process.env[ENCRYPTION_KEYS_VARIABLE] = `${KEY1}`;
      const db = await connect("sqlite::memory:", secured);
      expect(db.keyring?.primary).toBe("k1");
      await db.close();
    } finally {
      if (saved === undefined) delete process.env[ENCRYPTION_KEYS_VARIABLE];
      else process.env[ENCRYPTION_KEYS_VARIABLE] = saved;
    }
  });
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describeEngines("encrypted columns", (engine) => {
  const fx = useFreshDb(engine, secured, {
    connect: { encryptionKeys: KEY1, hooks: new AuditTrail({ schema: secured }) },
  });
  const raw = () => fx.db.kysely.withoutPlugins() as unknown as Kysely<any>;
  const plaintexts = [
    "JBSWY3DPEHPK3PXP-ann",
    "correct horse battery",
    "GEZDGNBVGY3TQOJQ-bo",
    "device-key-7f3a",
  ];

  it("writes ciphertext and reads plaintext, through repositories and db.kysely alike", async () => {
    const accounts = fx.db.repo("account");
    const ann = await accounts.create({ name: "ann", totpSecret: plaintexts[0]!, recovery: plaintexts[1]! });
    expect(ann).toMatchObject({ totpSecret: plaintexts[0], recovery: plaintexts[1] });
    expect(await accounts.getById(ann.id)).toMatchObject({
      totpSecret: plaintexts[0],
      recovery: plaintexts[1],
    });

    const k = fx.db.kysely;
    await k.insertInto("account").values({ name: "bo", totpSecret: plaintexts[2]! }).execute();
    const bo = await k.selectFrom("account").selectAll().where("name", "=", "bo").executeTakeFirstOrThrow();
    expect(bo).toMatchObject({ totpSecret: plaintexts[2], recovery: null });
    const aliased = await k
      .selectFrom("account")
      .select(["name", "totpSecret as secret"])
      .where("name", "=", "bo")
      .executeTakeFirstOrThrow();
    expect(aliased.secret).toBe(plaintexts[2]);

    await k
      .insertInto("device")
      .values({ accountId: ann.id, label: "phone", secret: plaintexts[3]! })
      .execute();
    const joined = await k
      .selectFrom("device")
      .innerJoin("account", "account.id", "device.accountId")
      .select(["account.totpSecret", "device.secret"])
      .executeTakeFirstOrThrow();
    expect(joined).toEqual({ totpSecret: plaintexts[0], secret: plaintexts[3] });

    const stored = await rawRows(engine, fx.url, fx.db, "account");
    expect(stored).toHaveLength(2);
    for (const row of stored) {
      expect(row.totp_secret).toMatch(/^v1:k1:[A-Za-z0-9+/]+={0,2}$/);
      expect(fx.db.keyring!.decrypt(row.totp_secret as string, AT)).toBe(
        row.name === "ann" ? plaintexts[0] : plaintexts[2],
      );
    }
  });

  it("encrypts updates and upserts too, and writes no plaintext anywhere (audit rows included)", async () => {
    const accounts = fx.db.repo("account");
    const ann = (await accounts.findOne({ name: "ann" }))!;
    const updated = await accounts.update(ann.id, { totpSecret: "rotated-secret-one" });
    expect(updated.totpSecret).toBe("rotated-secret-one");
    await fx.db.kysely
      .updateTable("account")
      .set({ recovery: "recovery-two" })
      .where("id", "=", ann.id)
      .execute();
    const upserted = await accounts.upsert(
      { name: "bo", totpSecret: "upserted-secret-three" },
      { conflict: ["name"] },
    );
    expect(upserted.totpSecret).toBe("upserted-secret-three");
    expect(await accounts.getById(ann.id)).toMatchObject({
      totpSecret: "rotated-secret-one",
      recovery: "recovery-two",
    });

    const everything = [...plaintexts, "rotated-secret-one", "recovery-two", "upserted-secret-three"];
    const dump = JSON.stringify(
      await Promise.all(["account", "device", AUDIT_TABLE].map((t) => rawRows(engine, fx.url, fx.db, t))),
    );
    expect(dump).toMatch(/v1:k1:/);
    for (const p of everything) expect(dump).not.toContain(p);
    if (engine.name === "sqlite") {
      const bytes = sqliteBytes(fx.url);
      for (const p of everything) expect(bytes.includes(Buffer.from(p))).toBe(false);
      expect(bytes.includes(Buffer.from("v1:k1:"))).toBe(true);
    }
    // The audit trail saw each change to a secret, without its value.
    const audit = await fx.db.kysely
      .selectFrom(AUDIT_TABLE)
      .selectAll()
      .where("action", "=", "update")
      .execute();
    expect(audit.map((a) => a.changes)).toContainEqual({ totp_secret: { old: REDACTED, new: REDACTED } });
  });

  it("keeps null as null and refuses a value that is not text", async () => {
    const row = await fx.db.repo("account").create({ name: "cy", totpSecret: null });
    expect(row.totpSecret).toBeNull();
    const stored = (await rawRows(engine, fx.url, fx.db, "account")).find((r) => r.name === "cy")!;
    expect(stored.totp_secret).toBeNull();
    await expect(fx.db.repo("account").create({ name: "di", totpSecret: 42 as never })).rejects.toThrow(
      ValidationError,
    );
  });

  it("fails loudly, naming table and column, when a stored value was altered", async () => {
    const [row] = (await rawRows(engine, fx.url, fx.db, "account")).filter((r) => r.name === "ann");
    await sql`UPDATE account SET totp_secret = ${tamper(row!.totp_secret as string)} WHERE name = 'ann'`.execute(
      raw(),
    );
    const error = await fx.db
      .repo("account")
      .findOne({ name: "ann" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error).toMatchObject({ table: "account", column: "totp_secret", keyId: "k1" });
    await expect(fx.db.kysely.selectFrom("account").select("totpSecret").execute()).rejects.toThrow(
      /cannot decrypt account\.totp_secret: authentication failed/,
    );
    await sql`UPDATE account SET totp_secret = ${row!.totp_secret as string} WHERE name = 'ann'`.execute(
      raw(),
    );
    expect((await fx.db.repo("account").findOne({ name: "ann" }))?.totpSecret).toBe("rotated-secret-one");
  });

  it("refuses a value copied into another column or another table", async () => {
    await sql`UPDATE account SET recovery = totp_secret WHERE name = 'ann'`.execute(raw());
    await expect(fx.db.repo("account").findOne({ name: "ann" })).rejects.toMatchObject({
      name: "DecryptionError",
      table: "account",
      column: "recovery",
    });
    const [ann] = (await rawRows(engine, fx.url, fx.db, "account")).filter((r) => r.name === "ann");
    await sql`UPDATE device SET secret = ${ann!.totp_secret as string}`.execute(raw());
    await expect(fx.db.kysely.selectFrom("device").selectAll().execute()).rejects.toMatchObject({
      table: "device",
      column: "secret",
    });
  });
});

describeEngines("key rotation", (engine) => {
  // Written under k1 (the connection also holds k2, so it reads both while the rotation runs).
  const fx = useFreshDb(engine, secured, { connect: { encryptionKeys: `${KEY1},${KEY2}` } });
  const toK2 = Keyring.parse(`${KEY2},${KEY1}`);
  const onlyK2 = Keyring.parse(KEY2);
  const secretOf = (i: number) => `totp-secret-${i}`;

  beforeAll(async () => {
    for (let i = 1; i <= 7; i++) {
      await fx.db.repo("account").create({
        name: `user${i}`,
        totpSecret: secretOf(i),
        recovery: i % 2 === 0 ? null : `recovery-${i}`,
      });
    }
    for (const label of ["a", "b", "c"]) {
      for (const accountId of [2, 1]) {
        await fx.db.kysely
          .insertInto("device")
          .values({ accountId, label, secret: `device-${accountId}-${label}` })
          .execute();
      }
    }
  });

  const keyIds = async (t: string, column: string) =>
    (await rawRows(engine, fx.url, fx.db, t)).map((r) =>
      r[column] === null ? null : String(r[column]).split(":")[1],
    );

  it("stops after --max-batches and resumes where it stopped, skipping rows already on the new key", async () => {
    const first = await rotateEncryptionKeys(fx.db, { keyring: toK2, batchSize: 2, maxBatches: 2 });
    expect(first).toMatchObject({ keyId: "k2", complete: false, batches: 2, rotated: 6, removable: [] });
    expect(first.remaining).toBe(3 + 6);
    const byId = (await rawRows(engine, fx.url, fx.db, "account")).sort(
      (a, b) => Number(a.id) - Number(b.id),
    );
    expect(byId.map((r) => String(r.totp_secret).split(":")[1])).toEqual([
      "k2",
      "k2",
      "k2",
      "k2",
      "k1",
      "k1",
      "k1",
    ]);
    expect(await keyIds("device", "secret")).not.toContain("k2");
    // Reads go on through the half-rotated table.
    expect((await fx.db.repo("account").findMany({ orderBy: "id" })).map((r) => r.totpSecret)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map(secretOf),
    );

    const events: RotationProgress[] = [];
    const second = await rotateEncryptionKeys(fx.db, {
      keyring: toK2,
      batchSize: 2,
      onProgress: (p) => events.push(p),
    });
    expect(events[0]).toMatchObject({ done: 0, total: 9 });
    expect(events.at(-1)).toMatchObject({ done: 9, total: 9 });
    expect(events.map((e) => e.done)).toEqual([...events.map((e) => e.done)].sort((a, b) => a - b));
    expect(second).toMatchObject({ complete: true, remaining: 0, removable: ["k1"] });
    expect(second.tables).toEqual([
      { table: "account", columns: ["totp_secret", "recovery"], stale: 3, rotated: 5, changed: 0 },
      { table: "device", columns: ["secret"], stale: 6, rotated: 6, changed: 0 },
    ]);

    const third = await rotateEncryptionKeys(fx.db, { keyring: toK2 });
    expect(third).toMatchObject({ rotated: 0, batches: 0, complete: true, remaining: 0 });
  });

  it("leaves every value under the new key alone, so the old key can be removed", async () => {
    for (const row of await rawRows(engine, fx.url, fx.db, "account")) {
      const i = Number(String(row.name).slice(4));
      expect(onlyK2.decrypt(row.totp_secret as string, AT)).toBe(secretOf(i));
      if (row.recovery !== null) {
        expect(onlyK2.decrypt(row.recovery as string, { table: "account", column: "recovery" })).toBe(
          `recovery-${i}`,
        );
      } else expect(i % 2).toBe(0);
    }
    for (const row of await rawRows(engine, fx.url, fx.db, "device")) {
      expect(onlyK2.decrypt(row.secret as string, { table: "device", column: "secret" })).toBe(
        `device-${row.account_id}-${row.label}`,
      );
    }
    if (engine.name === "pglite") return; // in memory: a second connection would be another database
    const db = await connect(fx.url, secured, { encryptionKeys: KEY2, retry: { attempts: 1 } });
    try {
      expect((await db.repo("account").findMany({ orderBy: "id" })).map((r) => r.totpSecret)).toEqual(
        [1, 2, 3, 4, 5, 6, 7].map(secretOf),
      );
      const device = await db.kysely
        .selectFrom("device")
        .selectAll()
        .orderBy("accountId")
        .orderBy("label")
        .execute();
      expect(device.map((d) => d.secret)).toEqual(
        ["a", "b", "c", "a", "b", "c"].map((l, i) => `device-${i < 3 ? 1 : 2}-${l}`),
      );
      // A connection holding only the old key can no longer read them.
      const old = await connect(fx.url, secured, { encryptionKeys: KEY1, retry: { attempts: 1 } });
      await expect(old.repo("account").findMany({ orderBy: "id" })).rejects.toThrow(
        /encrypted with key "k2"/,
      );
      await old.close();
    } finally {
      await db.close();
    }
  });

  it("stops at a value it cannot decrypt and names the row", async () => {
    const raw = fx.db.kysely.withoutPlugins() as unknown as Kysely<any>;
    const value = Keyring.parse(KEY1).encrypt("moved", { table: "account", column: "recovery" });
    await sql`UPDATE account SET totp_secret = ${value} WHERE name = 'user3'`.execute(raw);
    const error = await rotateEncryptionKeys(fx.db, { keyring: toK2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as Error).message).toMatch(
      /^cannot decrypt account\.totp_secret \(row id=3\): authentication failed/,
    );
    const restored = toK2.encrypt(secretOf(3), AT);
    await sql`UPDATE account SET totp_secret = ${restored} WHERE name = 'user3'`.execute(raw);

    // A key id differing only in case from the primary is another key (MySQL's collation would
    // call "v1:K2:" and "v1:k2:" equal): the value is picked up, and refused for its unknown key.
    const upper = Keyring.parse(`K2:${KEY2.slice(3)}`).encrypt("other", AT);
    await sql`UPDATE account SET totp_secret = ${upper} WHERE name = 'user4'`.execute(raw);
    await expect(rotateEncryptionKeys(fx.db, { keyring: toK2 })).rejects.toThrow(
      /^cannot decrypt account\.totp_secret \(row id=4\): the value was encrypted with key "K2"/,
    );
  });
});
