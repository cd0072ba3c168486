/**
 * A row given no values at all is every column's default: `INSERT … DEFAULT VALUES` where the
 * engine has no empty column list (SQLite, PostgreSQL), `() VALUES ()` on MySQL.
 */
import { col, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const counters = table("counters", {
  id: col.id(),
  n: col.integer().default(7),
  note: col.text().nullable(),
});

describeEngines("a row of defaults only", (engine) => {
  const h = useFreshDb(engine, schema({ counters }));

  it("create({}) stores and returns every default", async () => {
    const row = await h.db.repo("counters").create({});
    expect(row).toMatchObject({ n: 7, note: null });
    expect(await h.db.repo("counters").getById(row.id)).toMatchObject({ n: 7 });
  });

  it("createMany of empty rows gives each its own key", async () => {
    const rows = await h.db.repo("counters").createMany([{}, {}, {}]);
    expect(rows.map((r) => r.n)).toEqual([7, 7, 7]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
  });
});
