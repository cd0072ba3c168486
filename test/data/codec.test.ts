/**
 * The value codec: the same code reads and writes the declared types on every engine (booleans,
 * timestamps, dates, decimals, 64-bit ids, JSON, validated JSON, UUID v7 keys, timestamps()).
 */
import type { InsertQueryBuilder } from "kysely";
import { ValidationError } from "plinth";
import type { JsonValue } from "plinth/schema";
import { col, schema, table, timestamps } from "plinth/schema";
import { expect, it } from "vitest";
import { z } from "zod";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { returningId } from "../helpers/insert.js";

const item = table("item", {
  id: col.bigId(),
  label: col.varchar(40),
  flag: col.boolean().default(false),
  flagOn: col.boolean().default(true),
  at: col.timestamp().nullable(),
  seenAt: col.timestamp().defaultNow(),
  day: col.date().nullable(),
  amount: col.decimal(20, 6).nullable(),
  big: col.bigint().nullable(),
  data: col.json().nullable(),
  tags: col.json(z.array(z.string())).nullable(),
});

const doc = table("doc", { id: col.uuidPk(), title: col.varchar(40) });

const page = table("page", { id: col.id(), title: col.varchar(40), ...timestamps() });

const testSchema = schema({ item, doc, page });

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEngines("value codec", (engine) => {
  const fx = useFreshDb(engine, testSchema);
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}`;

  const insertId = (q: InsertQueryBuilder<any, any, any>) => returningId(q, engine.dialect);
  const getItem = (id: number) =>
    fx.db.kysely.selectFrom("item").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

  it("booleans read back as booleans, defaults included, and filter by boolean", async () => {
    const label = unique("bool");
    const on = await insertId(fx.db.kysely.insertInto("item").values({ label, flag: true }));
    const off = await insertId(fx.db.kysely.insertInto("item").values({ label, flag: false }));
    const a = await getItem(on);
    const b = await getItem(off);
    expect(a.flag).toBe(true);
    expect(b.flag).toBe(false);
    expect(a.flagOn).toBe(true);
    expect(b.flagOn).toBe(true);
    const trues = await fx.db.kysely
      .selectFrom("item")
      .select(["id", "flag"])
      .where("label", "=", label)
      .where("flag", "=", true)
      .execute();
    expect(trues).toEqual([{ id: on, flag: true }]);
    await fx.db.kysely.updateTable("item").set({ flag: false, flagOn: false }).where("id", "=", on).execute();
    expect(await getItem(on)).toMatchObject({ flag: false, flagOn: false });
  });

  it("timestamps read back as Date equal to the written instant (ms)", async () => {
    const at = new Date("2024-02-29T23:59:58.123Z");
    const id = await insertId(fx.db.kysely.insertInto("item").values({ label: unique("ts"), at }));
    const row = await getItem(id);
    expect(row.at).toBeInstanceOf(Date);
    expect(row.at!.getTime()).toBe(at.getTime());
    // The same instant finds the row.
    const found = await fx.db.kysely.selectFrom("item").select("id").where("at", "=", at).execute();
    expect(found.map((r) => r.id)).toContain(id);
    const later = new Date("1999-12-31T23:00:00.007Z");
    await fx.db.kysely.updateTable("item").set({ at: later }).where("id", "=", id).execute();
    expect((await getItem(id)).at!.getTime()).toBe(later.getTime());
  });

  it("timestamps accept an ISO string on write (UTC) and read back the instant", async () => {
    const id = await insertId(
      fx.db.kysely.insertInto("item").values({ label: unique("tsiso"), at: "2023-06-01T12:34:56.789Z" }),
    );
    const row = await getItem(id);
    expect(row.at).toBeInstanceOf(Date);
    expect(row.at!.toISOString()).toBe("2023-06-01T12:34:56.789Z");
  });

  it("defaultNow() fills the current instant, read back as Date", async () => {
    const before = Date.now();
    const id = await insertId(fx.db.kysely.insertInto("item").values({ label: unique("now") }));
    const after = Date.now();
    const row = await getItem(id);
    expect(row.seenAt).toBeInstanceOf(Date);
    // Same machine, but allow the server's clock a little slack.
    expect(row.seenAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(row.seenAt.getTime()).toBeLessThanOrEqual(after + 1000);
  });

  it("date columns round-trip as YYYY-MM-DD strings", async () => {
    for (const day of ["2024-02-29", "1999-12-31", "2000-01-01"]) {
      const id = await insertId(fx.db.kysely.insertInto("item").values({ label: unique("day"), day }));
      const row = await getItem(id);
      expect(row.day).toBe(day);
    }
  });

  it("decimals come back as strings with the exact digits", async () => {
    for (const amount of ["12345678901234.123456", "-0.000001", "0.100000"]) {
      const id = await insertId(fx.db.kysely.insertInto("item").values({ label: unique("dec"), amount }));
      const row = await getItem(id);
      expect(typeof row.amount).toBe("string");
      expect(row.amount).toBe(amount);
    }
  });

  it("bigint ids and bigint columns come back as numbers", async () => {
    const big = 2 ** 40 + 7;
    const id = await insertId(fx.db.kysely.insertInto("item").values({ label: unique("big"), big }));
    expect(typeof id).toBe("number");
    const row = await getItem(id);
    expect(typeof row.id).toBe("number");
    expect(row.id).toBe(id);
    expect(row.big).toBe(big);
  });

  it("JSON objects, arrays, strings, numbers and booleans round-trip, also through update", async () => {
    const values: JsonValue[] = [
      { a: 1, b: [true, null, "x"], c: { d: "é ünï" } },
      // Keys inside JSON are data: snake_case and camelCase twins must both survive untouched.
      { api_key: "k1", apiKey: "k2", nested_obj: { some_key: [{ inner_key: 1 }] } },
      [1, "two", { three: 3 }],
      "hello",
      "[1,2]",
      '{"not":"parsed"}',
      42,
      3.5,
      false,
      [],
      {},
    ];
    const ids: number[] = [];
    for (const data of values) {
      ids.push(await insertId(fx.db.kysely.insertInto("item").values({ label: unique("json"), data })));
    }
    for (const [i, id] of ids.entries()) expect((await getItem(id)).data).toEqual(values[i]);
    // Update each row to the next value.
    for (const [i, id] of ids.entries()) {
      await fx.db.kysely
        .updateTable("item")
        .set({ data: values[(i + 1) % values.length] })
        .where("id", "=", id)
        .execute();
    }
    for (const [i, id] of ids.entries())
      expect((await getItem(id)).data).toEqual(values[(i + 1) % values.length]);
    // SQL NULL stays null.
    await fx.db.kysely.updateTable("item").set({ data: null }).where("id", "=", ids[0]!).execute();
    expect((await getItem(ids[0]!)).data).toBeNull();
  });

  it("a validated JSON column refuses an invalid insert with ValidationError and writes nothing", async () => {
    const label = unique("zod");
    const error = await fx.db.kysely
      .insertInto("item")
      .values([
        { label, tags: ["fine"] },
        { label, tags: ["a", 1] as unknown as string[] },
      ])
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.message).toContain("item.tags");
    expect(v.issues.length).toBeGreaterThan(0);
    expect(v.issues[0]).toMatchObject({ table: "item", column: "tags" });
    expect(v.issues[0]!.message).toMatch(/^1: /);
    const rows = await fx.db.kysely.selectFrom("item").select("id").where("label", "=", label).execute();
    expect(rows).toEqual([]);
  });

  it("a validated JSON column refuses an invalid update and keeps the row; valid values pass", async () => {
    const id = await insertId(
      fx.db.kysely.insertInto("item").values({ label: unique("zod"), tags: ["a", "b"] }),
    );
    expect((await getItem(id)).tags).toEqual(["a", "b"]);
    const error = await fx.db.kysely
      .updateTable("item")
      .set({ tags: "nope" as unknown as string[] })
      .where("id", "=", id)
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain("item.tags");
    expect((await getItem(id)).tags).toEqual(["a", "b"]);
    await fx.db.kysely
      .updateTable("item")
      .set({ tags: ["c"] })
      .where("id", "=", id)
      .execute();
    expect((await getItem(id)).tags).toEqual(["c"]);
  });

  /** Inserts docs and returns their ids in insertion order (MySQL: read back by title). */
  async function insertDocs(rows: { id?: string; title: string }[]): Promise<string[]> {
    const q = fx.db.kysely.insertInto("doc").values(rows);
    if (engine.dialect !== "mysql") return (await q.returning("id").execute()).map((r) => r.id);
    await q.execute();
    const found = await fx.db.kysely
      .selectFrom("doc")
      .select(["id", "title"])
      .where(
        "title",
        "in",
        rows.map((r) => r.title),
      )
      .execute();
    return rows.map((r) => found.find((f) => f.title === r.title)!.id);
  }

  it("uuidPk() is filled with a UUID v7 on insert", async () => {
    const [id] = await insertDocs([{ title: unique("doc") }]);
    expect(id).toMatch(UUID_V7);
    const row = await fx.db.kysely
      .selectFrom("doc")
      .selectAll()
      .where("id", "=", id!)
      .executeTakeFirstOrThrow();
    expect(row.id).toBe(id);
  });

  it("uuidPk() in a multi-row insert: distinct v7 values, in insertion order", async () => {
    const titles = Array.from({ length: 5 }, () => unique("multi"));
    const ids = await insertDocs(titles.map((title) => ({ title })));
    expect(ids).toHaveLength(5);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort()).toEqual(ids);
  });

  it("uuidPk(): an explicit id is kept", async () => {
    const explicit = "01890a5d-ac96-774b-bcce-b302099a8057";
    const [id] = await insertDocs([{ id: explicit, title: unique("explicit") }]);
    expect(id).toBe(explicit);
  });

  it("uuidPk(): a multi-row insert where only some rows give an id fills the others", async () => {
    const explicit = "01890a5d-ac96-774b-bcce-b302099a8058";
    const ids = await insertDocs([{ id: explicit, title: unique("mixed") }, { title: unique("mixed") }]);
    expect(ids[0]).toBe(explicit);
    expect(ids[1]).toMatch(UUID_V7);
  });

  it("timestamps(): updated_at moves on UPDATE, created_at stays", async () => {
    const id = await insertId(fx.db.kysely.insertInto("page").values({ title: "v1" }));
    const before = await fx.db.kysely
      .selectFrom("page")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(before.createdAt).toBeInstanceOf(Date);
    expect(before.updatedAt).toBeInstanceOf(Date);
    await sleep(20);
    await fx.db.kysely.updateTable("page").set({ title: "v2" }).where("id", "=", id).execute();
    const after = await fx.db.kysely
      .selectFrom("page")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(after.title).toBe("v2");
    expect(after.createdAt.getTime()).toBe(before.createdAt.getTime());
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime() + 15);
  });

  it("timestamps(): an explicit updatedAt in the UPDATE is kept", async () => {
    const id = await insertId(fx.db.kysely.insertInto("page").values({ title: "w1" }));
    await sleep(20);
    const explicit = new Date("2001-02-03T04:05:06.789Z");
    await fx.db.kysely
      .updateTable("page")
      .set({ title: "w2", updatedAt: explicit })
      .where("id", "=", id)
      .execute();
    const row = await fx.db.kysely
      .selectFrom("page")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.updatedAt.getTime()).toBe(explicit.getTime());
  });

  it.skipIf(engine.dialect === "mysql")(
    "timestamps(): UPDATE … RETURNING shows the moved updated_at (no RETURNING on MySQL)",
    async () => {
      const id = await insertId(fx.db.kysely.insertInto("page").values({ title: "r1" }));
      const before = await fx.db.kysely
        .selectFrom("page")
        .select("updatedAt")
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      await sleep(20);
      const returned = await fx.db.kysely
        .updateTable("page")
        .set({ title: "r2" })
        .where("id", "=", id)
        .returning("updatedAt")
        .executeTakeFirstOrThrow();
      const stored = await fx.db.kysely
        .selectFrom("page")
        .select("updatedAt")
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(stored.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
      expect(returned.updatedAt.getTime()).toBe(stored.updatedAt.getTime());
    },
  );
});
