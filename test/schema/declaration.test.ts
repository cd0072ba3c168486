import { col, enumOf, expr, ref, SchemaError, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";

/** Runs `fn`, expects a SchemaError, and returns it so its message and fields can be checked. */
function schemaError(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return error as SchemaError;
  }
  throw new Error("expected a SchemaError, but the declaration was accepted");
}

const parent = table("parent", { id: col.id(), code: col.varchar(10).unique(), note: col.text() });

describe("invalid declarations fail with a message naming table and column", () => {
  it("a foreign key to a table that is not in the schema", () => {
    const child = table("child", { id: col.id(), parentId: ref(() => parent.id) });
    const e = schemaError(() => schema({ child }));
    expect(e.message).toMatch(/child\.parent_id.*table "parent".*not part of this schema/);
    expect(e).toMatchObject({ table: "child", column: "parent_id" });
  });

  it("a foreign key to a column that does not exist", () => {
    // A JavaScript caller (or a cast) can point at a missing column; the thunk then yields undefined.
    const child = table("child", { id: col.id(), parentId: ref(() => (parent as any).nope) });
    const e = schemaError(() => schema({ parent, child }));
    expect(e.message).toContain("child.parent_id");
    expect(e.message).toContain("parent.nope");
  });

  it("a foreign key to a column that is neither primary key nor unique", () => {
    const child = table("child", { id: col.id(), note: ref(() => parent.note) });
    expect(schemaError(() => schema({ parent, child })).message).toMatch(
      /parent\.note is neither a primary key nor unique/,
    );
  });

  it("ON DELETE SET NULL on a NOT NULL column", () => {
    const child = table("child", { id: col.id(), parentId: ref(() => parent.id, { onDelete: "set null" }) });
    expect(schemaError(() => schema({ parent, child })).message).toMatch(
      /child\.parent_id.*SET NULL.*nullable/,
    );
  });

  it("a duplicate column (two keys mapping to one database name)", () => {
    const e = schemaError(() =>
      table("dup", { id: col.id(), userId: col.integer(), user_id: col.integer() }),
    );
    expect(e.message).toMatch(/dup:.*"userId" and "user_id".*"user_id".*duplicate column/);
    expect(e).toMatchObject({ table: "dup", column: "user_id" });
  });

  it("an index on an unknown column", () => {
    const e = schemaError(() =>
      table("t", { id: col.id(), name: col.text() }, { indexes: [["nmae" as "name"]] }),
    );
    expect(e.message).toMatch(/t: index on \(nmae\) names unknown column "nmae"/);
    expect(e).toMatchObject({ table: "t", column: "nmae" });
  });

  it("an enum default outside the enum", () => {
    const Color = enumOf("color", ["red", "green"]);
    const e = schemaError(() =>
      table("paint", { id: col.id(), color: col.enum(Color).default("blue" as "red") }),
    );
    expect(e.message).toMatch(/paint\.color: default "blue" is not a value of enum color \(red, green\)/);
  });

  it("a composite unique naming a missing column", () => {
    const e = schemaError(() =>
      table("t", { id: col.id(), a: col.integer(), b: col.integer() }, { unique: [["a", "c" as "b"]] }),
    );
    expect(e.message).toMatch(/t: unique constraint names unknown column "c"/);
  });

  it("a check or partial index naming an unknown column", () => {
    expect(
      schemaError(() =>
        table(
          "t",
          { id: col.id(), a: col.integer() },
          { checks: [{ name: "ck", predicate: expr.min("z", 1) }] },
        ),
      ).message,
    ).toMatch(/unknown column "z"/);
    expect(
      schemaError(() =>
        table(
          "t",
          { id: col.id(), a: col.integer() },
          { indexes: [{ columns: ["a"], where: expr.isNull("gone") }] },
        ),
      ).message,
    ).toMatch(/partial index predicate names unknown column "gone"/);
  });

  it("a table without a primary key, or with two", () => {
    expect(schemaError(() => table("nokey", { a: col.integer() })).message).toMatch(/nokey: no primary key/);
    expect(
      schemaError(() => table("two", { a: col.integer().primaryKey(), b: col.integer().primaryKey() }))
        .message,
    ).toMatch(/two: several columns/);
  });

  it("a default that does not fit the column type, and defaultNow on a non-timestamp", () => {
    expect(schemaError(() => table("t", { id: col.id(), n: col.integer().default(1.5) })).message).toMatch(
      /t\.n: default 1\.5 does not fit a integer column/,
    );
    expect(schemaError(() => table("t", { id: col.id(), n: col.integer().defaultNow() })).message).toMatch(
      /t\.n: defaultNow\(\) needs a timestamp column/,
    );
  });

  it("a table declared twice, and a non-snake_case table name", () => {
    const a = table("same", { id: col.id() });
    const b = table("same", { id: col.id() });
    expect(schemaError(() => schema({ a, b })).message).toMatch(/table "same" is declared twice/);
    expect(schemaError(() => table("BadName", { id: col.id() })).message).toMatch(/must be snake_case/);
  });

  it("two constraints with the same name", () => {
    const e = schemaError(() =>
      schema({
        t: table(
          "t",
          { id: col.id(), a: col.integer() },
          {
            checks: [
              { name: "x", predicate: expr.min("a", 0) },
              { name: "x", predicate: expr.max("a", 9) },
            ],
          },
        ),
      }),
    );
    expect(e.message).toMatch(/t: constraint or index name "x" is used twice/);
  });
});

describe("valid declarations", () => {
  it("map camelCase keys to snake_case names and copy a foreign key's type from its target", () => {
    const owner = table("owner", { id: col.uuidPk() });
    const pet = table("pet", {
      id: col.bigId(),
      ownerId: ref(() => owner.id, { onDelete: "cascade" }),
      nickName: col.text(),
    });
    const s = schema({ owner, pet });
    const petModel = s.model.tables.find((t) => t.name === "pet")!;
    expect(petModel.columns.map((c) => c.name)).toEqual(["id", "owner_id", "nick_name"]);
    expect(petModel.columns[1]!.type).toEqual({ kind: "uuid" });
    expect(petModel.columns[1]!.generated).toBeUndefined();
    expect(petModel.foreignKeys).toEqual([
      {
        name: "fk_pet_owner_id_owner",
        columns: ["owner_id"],
        refTable: "owner",
        refColumns: ["id"],
        onDelete: "cascade",
        onUpdate: "no action",
      },
    ]);
  });

  it("let a table reference a table declared after it, and itself", () => {
    const early = table("early", { id: col.id(), lateId: ref(() => late.id).nullable() });
    const late = table("late", { id: col.id(), parentId: ref((): any => late.id).nullable() });
    const s = schema({ early, late });
    expect(s.model.tables.flatMap((t) => t.foreignKeys.map((f) => `${t.name}->${f.refTable}`))).toEqual([
      "early->late",
      "late->late",
    ]);
  });

  it("keep table metadata for later capabilities", () => {
    const events = table(
      "events",
      { id: col.bigId(), at: col.timestamp().defaultNow() },
      {
        audit: true,
        growth: "append-only",
        retention: { days: 30, column: "at" },
        hotQueries: { recent: (db) => db },
      },
    );
    expect(schema({ events }).model.tables[0]!.meta).toEqual({
      audit: true,
      growth: "append-only",
      retention: { days: 30, column: "at" },
      hotQueries: ["recent"],
    });
  });

  it("builders are immutable: deriving a column never changes the original", () => {
    const base = col.varchar(20);
    const derived = base.nullable().unique().minLength(3);
    expect(base.spec).toMatchObject({ nullable: false, unique: false, checks: [] });
    expect(derived.spec).toMatchObject({ nullable: true, unique: true });
    expect(derived.spec.checks).toHaveLength(1);
  });
});
