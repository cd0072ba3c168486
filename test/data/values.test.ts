/**
 * A value is refused or stored identically on every engine: what one engine would truncate, shift,
 * coerce or mangle is refused with a ValidationError naming the column, before anything is written,
 * on the repository path and on `db.kysely`; what is accepted comes back exactly as the others
 * return it.
 */
import { type Kysely, sql } from "kysely";
import { CheckViolation, ValidationError } from "plinth";
import { col, enumOf, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const Colour = enumOf("colour", ["red", "green"]);
const sample = table("sample", {
  id: col.id(),
  name: col.varchar(5).nullable(),
  body: col.text().nullable(),
  small: col.integer().nullable(),
  big: col.bigint().nullable(),
  flag: col.boolean().nullable(),
  ratio: col.double().nullable(),
  amount: col.decimal(6, 2).nullable(),
  at: col.timestamp().nullable(),
  day: col.date().nullable(),
  doc: col.json().nullable(),
  ref: col.uuid().nullable(),
  colour: col.enum(Colour).nullable(),
});
const app = schema({ sample });

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Values no engine would store and return alike, per column. */
const REFUSED: [string, unknown, RegExp][] = [
  ["name", "abcdef", /longer than 5/],
  ["name", "abc  \u0020\u0020", /longer than 5/], // PostgreSQL would silently trim the spaces
  ["name", "a\u0000b", /NUL/],
  ["body", "x\u0000y", /NUL/],
  ["body", "lone \ud800 surrogate", /lone surrogate/],
  ["name", true, /must be text/],
  ["name", 42, /must be text/],
  ["body", { a: 1 }, /must be text/],
  ["small", true, /integer/],
  ["small", "2", /integer/],
  ["small", 2.5, /integer/],
  ["small", 2147483648, /between/],
  ["big", 2 ** 53, /between/],
  ["big", [1], /integer/],
  ["flag", "yes", /true or false/],
  ["flag", 1, /true or false/],
  ["ratio", Number.NaN, /finite/],
  ["ratio", Number.POSITIVE_INFINITY, /finite/],
  ["amount", Number.NaN, /finite/],
  ["amount", "abc", /decimal/],
  ["amount", "1.234", /decimal places/],
  ["amount", 12345.6, /does not fit/],
  ["at", "2024-02-30T10:00:00Z", /valid/],
  ["at", "yesterday", /ISO-8601/],
  ["at", "2024-01-01T10:00:00", /zone/],
  ["at", new Date(Number.NaN), /valid/],
  ["at", new Date(Date.UTC(275760, 0, 1)), /years/],
  ["at", new Date("0000-06-01T00:00:00Z"), /years/],
  ["day", "2024-02-30", /valid date/],
  ["day", "2023-02-29", /valid date/],
  ["day", "yesterday", /YYYY-MM-DD/],
  ["day", "0000-01-01", /years/],
  ["day", new Date(), /YYYY-MM-DD/],
  ["doc", nested(40), /deeper than 31/],
  ["doc", { n: Number.NaN }, /NaN/],
  ["doc", { s: "a\u0000" }, /NUL/],
  ["ref", "not-a-uuid", /UUID/],
  ["colour", "blue", /one of red, green/],
];

/** Values every engine stores and returns alike: what goes in, and what comes back. */
const KEPT: [string, unknown, unknown][] = [
  ["name", "ab  ", "ab  "],
  ["name", "😀😀😀😀😀", "😀😀😀😀😀"],
  ["body", "", ""],
  ["small", -2147483648, -2147483648],
  ["big", 2 ** 53 - 1, 2 ** 53 - 1],
  ["big", -(2 ** 53 - 1), -(2 ** 53 - 1)],
  ["ratio", 0.1, 0.1],
  ["amount", 9.9, "9.90"],
  ["amount", "-0.5", "-0.50"],
  ["amount", "1234.00", "1234.00"],
  ["at", new Date("0099-05-01T12:00:00.000Z"), new Date("0099-05-01T12:00:00.000Z")],
  ["at", "0001-01-01T00:00:00Z", new Date("0001-01-01T00:00:00.000Z")],
  ["at", "9999-12-31T23:59:59.999+00:00", new Date("9999-12-31T23:59:59.999Z")],
  ["at", "2024-02-29T23:30:00-01:00", new Date("2024-03-01T00:30:00.000Z")],
  ["day", "2024-02-29", "2024-02-29"],
  ["day", "0099-05-01", "0099-05-01"],
  ["doc", nested(31), nested(31)],
  ["doc", { "emoji 😀": ["é", null, true, 1.5] }, { "emoji 😀": ["é", null, true, 1.5] }],
  ["ref", "0190a2b4-7c3e-7def-8a12-3456789abcde", "0190a2b4-7c3e-7def-8a12-3456789abcde"],
  ["ref", "0190A2B4-7C3E-7DEF-8A12-3456789ABCDE", "0190a2b4-7c3e-7def-8a12-3456789abcde"],
];

describeEngines("values on every engine", (engine) => {
  const h = useFreshDb(engine, app);
  const count = async () =>
    Number(
      (
        await h.db.kysely
          .selectFrom("sample")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it.each(REFUSED)(
    "refuses %s = %o with a ValidationError naming the column",
    async (column, value, message) => {
      const before = await count();
      const repo = h.db.repo("sample");
      const attempts: [string, () => Promise<unknown>][] = [
        ["create", () => repo.create({ [column]: value } as never)],
        // The compiled multi-row INSERT encodes with the same per-column encoders as the codec.
        ["createMany", () => repo.createMany([{ body: "fine" }, { [column]: value }] as never)],
        [
          "db.kysely insert",
          () =>
            (h.db.kysely as Kysely<any>)
              .insertInto("sample")
              .values({ [column]: value })
              .execute(),
        ],
      ];
      for (const [path, attempt] of attempts) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${path}: accepted`).toBeInstanceOf(ValidationError);
        const issue = (error as ValidationError).issues.find((i) => i.column === column);
        expect(issue?.message, path).toMatch(message);
        expect((error as ValidationError).table).toBe("sample");
      }
      const existing = await repo.create({ name: "x" });
      const error = await repo.update(existing.id, { [column]: value } as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, "update: accepted").toBeInstanceOf(ValidationError);
      expect(await count()).toBe(before + 1);
      await repo.hardDelete(existing.id);
    },
  );

  it.each(KEPT)("stores %s = %o and reads back the same on every engine", async (column, value, back) => {
    const repo = h.db.repo("sample");
    const created = await repo.create({ [column]: value } as never);
    expect((created as Record<string, unknown>)[column]).toEqual(back);
    const [many] = await repo.createMany([{ [column]: value }, { [column]: value }] as never);
    expect((many as Record<string, unknown>)[column]).toEqual(back);
    const updated = await repo.update(created.id, { [column]: value } as never);
    expect((updated as Record<string, unknown>)[column]).toEqual(back);
    const read = await repo.getById(created.id);
    expect((read as Record<string, unknown>)[column]).toEqual(back);
    const [listed] = await repo.findMany({ where: { id: created.id } });
    expect((listed as Record<string, unknown>)[column]).toEqual(back);
  });
});

/**
 * Decimals are numbers on every engine: they sort, compare and aggregate as numbers (SQLite keeps
 * decimals of up to 15 digits as REAL for this; as TEXT, 9.99 would sort above 10.00), and still
 * come back exactly at their scale.
 */
const priced = table("priced", {
  id: col.id(),
  price: col.decimal(12, 2).between(-1000, 1000),
  rate: col.decimal(15, 6).nullable(),
});
const shop = schema({ priced });

describeEngines("decimals as numbers", (engine) => {
  const h = useFreshDb(engine, shop);
  const PRICES = ["9.99", "10.00", "100.50", "-2.25", "999.90"];

  it("orders, filters and aggregates by value, and reads back exactly", async () => {
    const repo = h.db.repo("priced");
    await repo.createMany(PRICES.map((price) => ({ price })));
    const ordered = await repo.findMany({ orderBy: [["price", "desc"]] });
    expect(ordered.map((r) => r.price)).toEqual(["999.90", "100.50", "10.00", "9.99", "-2.25"]);

    const db = h.db.kysely as Kysely<any>;
    const above = await db
      .selectFrom("priced")
      .select("price")
      .where("price", ">", 10)
      .orderBy("price")
      .execute();
    expect(above.map((r) => r.price)).toEqual(["100.50", "999.90"]);
    const { top } = await db
      .selectFrom("priced")
      .select((eb) => eb.fn.max("price").as("top"))
      .executeTakeFirstOrThrow();
    expect(Number(top)).toBe(999.9);
  });

  it("keeps a CHECK on a decimal numeric: 999.99 is within 1000, 1000.01 is not", async () => {
    const repo = h.db.repo("priced");
    await expect(repo.create({ price: "999.99" })).resolves.toMatchObject({ price: "999.99" });
    const db = h.db.kysely as Kysely<any>;
    // Past the repository's own check: the database's CHECK must compare the number.
    await expect(db.insertInto("priced").values({ price: sql`1000.01` }).execute()).rejects.toThrow(
      CheckViolation,
    );
  });

  it("gives back every decimal of its precision exactly", async () => {
    const repo = h.db.repo("priced");
    const rates = ["123456789.123456", "-0.000001", "999999999.999999", "0.100000", "314159265.358979"];
    const created = await repo.createMany(rates.map((rate) => ({ price: "1.00", rate })));
    expect(created.map((r) => r.rate)).toEqual(rates);
    const read = await repo.findMany({ where: { id: created.map((r) => r.id) }, orderBy: ["id"] });
    expect(read.map((r) => r.rate)).toEqual(rates);
  });
});
