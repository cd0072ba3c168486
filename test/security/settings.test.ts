/**
 * Settings store on every engine: JSON values round-trip, per-key schemas checked on write and on
 * read, a cache that writes clear at once and other writers' changes reach after the TTL.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { ValidationError } from "plinth";
import { schema } from "plinth/schema";
import { generateEncryptionKey, Keyring, SettingsStore, settingsTable } from "plinth/security";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { settings as dnsFilterSettings } from "../../blueprints/dns-filter/schema.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { StatementCounter } from "../helpers/statement-counter.js";
import { rawRows } from "./raw-store.js";

const app = schema({ settings: settingsTable(), appConfig: settingsTable("app_config") });

const smtp = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });

describe("settingsTable", () => {
  it("declares the same table as dns-filter's settings, so the blueprint can adopt it", () => {
    const ours = schema({ settings: settingsTable("settings", { secretValues: true }) }).model.tables[0];
    const theirs = schema({ settings: dnsFilterSettings }).model.tables[0];
    expect(ours).toEqual(theirs);
  });
});

describeEngines("settings store", (engine) => {
  const counter = new StatementCounter((node) => node.kind === "SelectQueryNode");
  const fx = useFreshDb(engine, app, { connect: { plugins: [counter] } });

  it("stores and reads back JSON values of every kind; delete removes; getAll lists", async () => {
    const store = new SettingsStore(fx.db, settingsTable(), { ttlMs: 0 });
    const values: Record<string, unknown> = {
      object: { a: 1, nested: { list: [1, "two", true] } },
      array: ["A", "AAAA"],
      text: "hello",
      number: 42.5,
      flag: false,
      unicode: "grüße ✓",
    };
    for (const [k, v] of Object.entries(values)) await store.set(k, v);
    for (const [k, v] of Object.entries(values)) expect(await store.get(k)).toEqual(v);
    expect(await store.get("missing")).toBeUndefined();
    expect(await store.getOr("missing", 7)).toBe(7);
    expect(await store.getAll()).toEqual(values);

    await store.set("text", { replaced: true });
    expect(await store.get("text")).toEqual({ replaced: true });
    expect(await fx.db.repo("settings").count({ key: "text" })).toBe(1);

    expect(await store.delete("text")).toBe(true);
    expect(await store.delete("text")).toBe(false);
    expect(await store.get("text")).toBeUndefined();
    const nullValue = await store.set("nothing", null).catch((e) => e);
    expect(nullValue).toBeInstanceOf(ValidationError);
    expect(nullValue.message).toContain('"nothing"');
  });

  it("validates a key's value on set, naming the key, and writes nothing when it fails", async () => {
    const store = new SettingsStore(fx.db, "app_config", { schemas: { smtp }, ttlMs: 0 });
    await store.set("smtp", { host: "mail.example.com", port: 587 });
    const stored = await store.get("smtp");
    expect(stored?.port).toBe(587);

    const bad = await store.set("smtp", { host: "", port: 70000 }).catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.message).toContain('key "smtp"');
    expect(bad.issues.length).toBe(2);
    expect(await store.get("smtp")).toEqual({ host: "mail.example.com", port: 587 });
    // keys without a schema take any JSON value
    await store.set("anything", [1, { x: 2 }]);
    expect(await store.get("anything")).toEqual([1, { x: 2 }]);
  });

  it("validates on read too: a bad value written by someone else is refused, naming the key", async () => {
    const store = new SettingsStore(fx.db, "app_config", { schemas: { smtp }, ttlMs: 0 });
    await fx.db.repo("app_config").upsert({ key: "smtp", value: { host: "x" } }, { conflict: ["key"] });
    const bad = await store.get("smtp").catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.message).toContain('stored value of key "smtp"');
    await expect(store.getAll()).rejects.toThrow(/key "smtp"/);
    await store.delete("smtp");
  });

  it("serves reads from the cache, clears it on its own writes, and sees other writers after the TTL", async () => {
    let clock = 1_000_000;
    const store = new SettingsStore(fx.db, "settings", { ttlMs: 5_000, now: () => clock });
    const other = new SettingsStore(fx.db, "settings", { ttlMs: 5_000, now: () => clock });
    await store.set("theme", "dark");

    counter.reset();
    expect(await store.get("theme")).toBe("dark");
    expect(await store.get("theme")).toBe("dark");
    expect(await store.get("never-set")).toBeUndefined();
    expect(await store.get("never-set")).toBeUndefined();
    expect(counter.count()).toBe(2); // one per key, the repeats came from the cache

    await store.set("theme", "light"); // own write: seen at once
    counter.reset();
    expect(await store.get("theme")).toBe("light");
    expect(counter.count()).toBe(1);

    await other.set("theme", "blue"); // another process's write: the cache still has "light"...
    expect(await store.get("theme")).toBe("light");
    clock += 5_001; // ...until the TTL runs out
    expect(await store.get("theme")).toBe("blue");

    counter.reset();
    const all = await store.getAll();
    expect(await store.getAll()).toEqual(all);
    expect(await store.get("theme")).toBe("blue");
    expect(counter.count()).toBe(1); // getAll filled the per-key cache too
    await store.delete("theme");
    expect(await store.getAll()).not.toHaveProperty("theme");
    store.invalidate();
  });
});

const KEY = generateEncryptionKey("s1");
const withSecrets = schema({ settings: settingsTable("settings", { secretValues: true }) });

describe("secret settings", () => {
  it("need the secret_value column", () => {
    const plain = schema({ settings: settingsTable() });
    expect(plain.model.tables[0]!.columns.map((c) => c.name)).toEqual(["id", "key", "value", "updated_at"]);
    const columns = withSecrets.model.tables[0]!.columns;
    expect(columns.find((c) => c.name === "secret_value")).toMatchObject({
      type: { kind: "text" },
      encrypted: true,
      encryptedJson: true,
      nullable: true,
    });
    expect(columns.find((c) => c.name === "value")?.nullable).toBe(true);
  });
});

describeEngines("secret settings", (engine) => {
  const fx = useFreshDb(engine, withSecrets, { connect: { encryptionKeys: KEY } });
  const raw = () => fx.db.kysely.withoutPlugins() as unknown as Kysely<any>;

  it("stores the values of secret keys encrypted and the others as JSON; reads give both back", async () => {
    const store = new SettingsStore(fx.db, "settings", {
      ttlMs: 0,
      secretKeys: (key) => key.endsWith("_credentials"),
      schemas: { smtp_credentials: z.object({ user: z.string(), password: z.string().min(8) }) },
    });
    const credentials = { user: "relay", password: "s3cret-relay-pw" };
    await store.set("smtp_credentials", credentials);
    await store.set("theme", { dark: true });
    expect(await store.get("smtp_credentials")).toEqual(credentials);
    expect(await store.getAll()).toEqual({ smtp_credentials: credentials, theme: { dark: true } });

    const rows = await rawRows(engine, fx.url, fx.db, "settings");
    const secret = rows.find((r) => r.key === "smtp_credentials")!;
    expect(secret.value).toBeNull();
    expect(String(secret.secret_value)).toMatch(/^v1:s1:/);
    expect(String(secret.secret_value)).not.toContain("relay");
    const at = { table: "settings", column: "secret_value" };
    expect(JSON.parse(Keyring.parse(KEY).decrypt(String(secret.secret_value), at))).toEqual(credentials);
    const plain = rows.find((r) => r.key === "theme")!;
    expect(plain.secret_value).toBeNull();
    expect(JSON.stringify(plain.value)).toContain("dark");

    // The schema runs before encryption: a refused value is not written.
    await expect(store.set("smtp_credentials", { user: "x", password: "short" })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await store.get("smtp_credentials")).toEqual(credentials);

    // Replacing a value keeps exactly one of the two columns filled.
    await store.set("smtp_credentials", { user: "relay", password: "another-long-pw" });
    const again = await raw()
      .selectFrom("settings")
      .select(["value", "secret_value"])
      .where("key", "=", "smtp_credentials")
      .executeTakeFirstOrThrow();
    expect(again.value).toBeNull();
    expect(String(again.secret_value)).not.toContain("another-long-pw");
  });

  it("refuses a row with both or neither value in the database itself", async () => {
    await expect(
      sql`INSERT INTO settings (${sql.id("key")}) VALUES ('empty')`.execute(raw()),
    ).rejects.toThrow(/ck_settings_one_value/);
    const both = sql`INSERT INTO settings (${sql.id("key")}, value, secret_value) VALUES ('both', '1', 'v1:s1:AAAA')`;
    await expect(both.execute(raw())).rejects.toThrow(/ck_settings_one_value/);
  });

  it("refuses secretKeys on a table without secret_value", () => {
    const plain = { ...fx.db, schema: schema({ settings: settingsTable() }) } as typeof fx.db;
    expect(() => new SettingsStore(plain, "settings", { secretKeys: ["x"] })).toThrow(/secretValues: true/);
  });
});
