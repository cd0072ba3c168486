/**
 * Inserts take the caller's objects as they are when nothing needs dropping or adding (no copy per
 * row of a bulk insert), so they must never change them: frozen rows go in, with and without a
 * generated UUID key and with undefined values, and come out as they were.
 */
import { col, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const notes = table("notes", { id: col.id(), body: col.text(), tag: col.varchar(20).nullable() });
const tickets = table("tickets", { id: col.uuidPk(), title: col.varchar(80) });

describeEngines("insert input", (engine) => {
  const h = useFreshDb(engine, schema({ notes, tickets }));

  it("never changes the caller's rows", async () => {
    const plain = Object.freeze({ body: "one", tag: "a" });
    const withUndefined = Object.freeze({ body: "two", tag: undefined });
    const created = await h.db.repo("notes").createMany([plain, withUndefined, plain]);
    expect(created.map((r) => [r.body, r.tag])).toEqual([
      ["one", "a"],
      ["two", null],
      ["one", "a"],
    ]);
    expect(await h.db.repo("notes").create(plain)).toMatchObject({ body: "one", tag: "a" });
    expect(plain).toEqual({ body: "one", tag: "a" });
    expect(Object.keys(withUndefined)).toEqual(["body", "tag"]);

    const ticket = Object.freeze({ title: "keyed by the database's side" });
    const [first, second] = await h.db.repo("tickets").createMany([ticket, ticket]);
    expect(first!.id).not.toBe(second!.id);
    expect(ticket).toEqual({ title: "keyed by the database's side" });
  });
});
