/**
 * Encrypted JSON columns (`col.encryptedJson()`): a JSON value validated, serialised and encrypted
 * on write, decrypted and parsed on read, stored as text ciphertext on every engine, and moved to
 * a new key by key rotation like any encrypted column.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { ValidationError } from "plinth";
import { col, schema, table } from "plinth/schema";
import { DecryptionError, generateEncryptionKey, Keyring, rotateEncryptionKeys } from "plinth/security";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { rawRows } from "./raw-store.js";

const KEY1 = generateEncryptionKey("k1");
const KEY2 = generateEncryptionKey("k2");
const CONFIG_AT = { table: "service", column: "config" };

const credentials = z.object({ user: z.string().min(1), password: z.string().min(1) });

const service = table("service", {
  id: col.id(),
  name: col.varchar(40).unique(),
  config: col.encryptedJson(credentials),
  extra: col.encryptedJson().nullable(),
});
const vault = schema({ service });

const CONFIG = { user: "ann", password: "hunter2-Σ" };

describe("col.encryptedJson()", () => {
  it("is a text column, encrypted and secret, whatever the engine", () => {
    const column = vault.model.tables[0]!.columns.find((c) => c.key === "config")!;
    expect(column).toMatchObject({
      type: { kind: "text" },
      encrypted: true,
      encryptedJson: true,
      secret: true,
    });
    // A plain encrypted column holds text, not JSON.
    const text = schema({ t: table("t", { id: col.id(), s: col.encrypted() }) }).model.tables[0]!.columns[1]!;
    expect(text.encryptedJson).toBeUndefined();
  });
});

describeEngines("encrypted JSON columns", (engine) => {
  const fx = useFreshDb(engine, vault, { connect: { encryptionKeys: `${KEY1},${KEY2}` } });
  const raw = () => fx.db.kysely.withoutPlugins() as unknown as Kysely<any>;

  it("stores ciphertext and reads back the original value, through repositories and db.kysely", async () => {
    const services = fx.db.repo("service");
    const extra = { list: [1, "two", true, null], nested: { n: 1.5 } };
    const created = await services.create({ name: "a", config: CONFIG, extra });
    expect(created).toMatchObject({ config: CONFIG, extra });
    expect(await services.getById(created.id)).toMatchObject({ config: CONFIG, extra });
    await fx.db.kysely.insertInto("service").values({ name: "b", config: CONFIG }).execute();
    const b = await fx.db.kysely
      .selectFrom("service")
      .selectAll()
      .where("name", "=", "b")
      .executeTakeFirstOrThrow();
    expect(b).toMatchObject({ config: CONFIG, extra: null });

    // Past the codec: ciphertext, and nothing of the credential.
    for (const rows of [
      await rawRows(engine, fx.url, fx.db, "service"),
      await raw().selectFrom("service").select(["config", "extra"]).execute(),
    ]) {
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(String(row.config)).toMatch(/^v1:k1:[A-Za-z0-9+/]+={0,2}$/);
        expect(String(row.config)).not.toContain("hunter2");
        expect(String(row.config)).not.toContain("ann");
      }
    }
    const stored = (await rawRows(engine, fx.url, fx.db, "service")).find((r) => r.name === "a")!;
    expect(JSON.parse(Keyring.parse(KEY1).decrypt(String(stored.config), CONFIG_AT))).toEqual(CONFIG);

    // Updates and upserts are encrypted too.
    await services.update(created.id, { config: { user: "bo", password: "pw2" } });
    expect((await services.getById(created.id))?.config).toEqual({ user: "bo", password: "pw2" });
    const updated = await raw()
      .selectFrom("service")
      .select("config")
      .where("id", "=", created.id)
      .executeTakeFirstOrThrow();
    expect(String(updated.config)).toMatch(/^v1:k1:/);
    await services.upsert({ name: "b", config: { user: "cy", password: "pw3" } }, { conflict: ["name"] });
    expect((await services.findOne({ name: "b" }))?.config).toEqual({ user: "cy", password: "pw3" });
  });

  it("runs the validator before encrypting: nothing is written when it refuses", async () => {
    const services = fx.db.repo("service");
    const before = await services.count();
    const refused = await services
      .create({ name: "bad", config: { user: "", password: "x" } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).message).toMatch(/config/);
    // db.kysely goes through the codec's validator too.
    await expect(
      fx.db.kysely
        .insertInto("service")
        .values({ name: "bad2", config: { user: "x" } as never })
        .execute(),
    ).rejects.toBeInstanceOf(ValidationError);
    // A value that is not JSON (a bigint) is refused, not stored.
    await expect(
      services.create({ name: "bad3", config: CONFIG, extra: 10n as never }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await services.count()).toBe(before);
  });

  it("fails loudly with the wrong key, and when a stored value is not what plinth wrote", async () => {
    await fx.db.repo("service").create({ name: "c", config: CONFIG });
    // The same key id with other key material: what a deployment with the wrong key would have written.
    const wrongKey = Keyring.parse(generateEncryptionKey("k1"));
    const foreign = wrongKey.encrypt(JSON.stringify(CONFIG), CONFIG_AT);
    await sql`UPDATE service SET config = ${foreign} WHERE name = 'c'`.execute(raw());
    const error = await fx.db
      .repo("service")
      .findOne({ name: "c" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as Error).message).toMatch(/^cannot decrypt service\.config: authentication failed/);
    // Valid ciphertext of text that is not JSON: refused, not returned as a string.
    const notJson = Keyring.parse(KEY1).encrypt("{not json", CONFIG_AT);
    await sql`UPDATE service SET config = ${notJson} WHERE name = 'c'`.execute(raw());
    await expect(fx.db.repo("service").findOne({ name: "c" })).rejects.toThrow(
      /^cannot decrypt service\.config: the decrypted value is not JSON/,
    );
    await sql`DELETE FROM service WHERE name = 'c'`.execute(raw());
  });

  it("is re-encrypted by key rotation and still reads back as the same value", async () => {
    const before = await fx.db.repo("service").findMany({ orderBy: [["id", "asc"]] });
    expect(before.length).toBeGreaterThan(0);
    const result = await rotateEncryptionKeys(fx.db, { keyring: Keyring.parse(`${KEY2},${KEY1}`) });
    expect(result).toMatchObject({ keyId: "k2", complete: true, remaining: 0, removable: ["k1"] });
    expect(result.tables).toEqual([
      expect.objectContaining({ table: "service", columns: ["config", "extra"] }),
    ]);
    expect(result.rotated).toBe(before.reduce((n, r) => n + 1 + (r.extra === null ? 0 : 1), 0));
    // Only k2 is needed now, and the values are what they were.
    const onlyK2 = Keyring.parse(KEY2);
    const rows = await raw().selectFrom("service").select(["id", "config"]).orderBy("id").execute();
    expect(rows.map((r) => JSON.parse(onlyK2.decrypt(String(r.config), CONFIG_AT)))).toEqual(
      before.map((r) => r.config),
    );
    expect(await fx.db.repo("service").findMany({ orderBy: [["id", "asc"]] })).toEqual(before);
  });
});
