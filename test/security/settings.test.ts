/**
 * Settings store on every engine: JSON values round-trip, per-key schemas checked on write and on
 * read, a cache that writes clear at once and other writers' changes reach after the TTL.
 */
import { ValidationError } from "plinth";
import { schema } from "plinth/schema";
import { SettingsStore, settingsTable } from "plinth/security";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { settings as dnsFilterSettings } from "../../blueprints/dns-filter/schema.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { StatementCounter } from "../helpers/statement-counter.js";

const app = schema({ settings: settingsTable(), appConfig: settingsTable("app_config") });

const smtp = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });

describe("settingsTable", () => {
  it("declares the same table as dns-filter's settings, so the blueprint can adopt it", () => {
    const ours = schema({ settings: settingsTable() }).model.tables[0];
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
