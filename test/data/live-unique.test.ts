import { sql } from "kysely";
import { connect, UniqueViolation } from "plinth";
import { autodetect, EMPTY_STATE, migration } from "plinth/migrate";
import { col, expr, ref, schema, softDelete, table } from "plinth/schema";
import { expect, it } from "vitest";
import { comparable, describeDifferences, introspect } from "../../src/dialect/index.js";
import { describeEngines } from "../engines/matrix.js";
import { applyMigration } from "../helpers/apply.js";
import { useFreshDb } from "../helpers/fresh-db.js";

/** Unique among live rows: a soft-deleted row's email may be taken again, a live one may not. */
const member = table(
  "member",
  { id: col.id(), email: col.varchar(100), ...softDelete() },
  { indexes: [{ columns: ["email"], unique: true, where: expr.isNull("deletedAt") }] },
);
const members = schema({ member });

describeEngines("uniqueness among live rows (soft delete)", (engine) => {
  const fx = useFreshDb(engine, members);

  it("lets a soft-deleted row's value be reused, refuses a second live one with a typed error", async () => {
    const repo = fx.db.repo("member");
    const first = await repo.create({ email: "ann@example.com" });
    const duplicate = await repo.create({ email: "ann@example.com" }).catch((e) => e);
    expect(duplicate).toBeInstanceOf(UniqueViolation);
    expect(duplicate).toMatchObject({ table: "member", constraint: "ux_member_email" });
    await repo.delete(first.id);
    const again = await repo.create({ email: "ann@example.com" });
    await repo.delete(again.id);
    await repo.create({ email: "ann@example.com" });
    expect(await repo.count({ email: "ann@example.com" })).toBe(1);
    const all = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM member`.execute(fx.db.kysely);
    expect(Number(all.rows[0]!.n)).toBe(3);
  });

  it("keeps stand-in columns out of rows, and reads back as declared", async () => {
    const row = await fx.db.repo("member").create({ email: "bob@example.com" });
    expect(Object.keys(row).sort()).toEqual(["deletedAt", "email", "id"]);
    const live = comparable(await introspect(fx.db.kysely, engine.dialect), engine.dialect);
    expect(describeDifferences(comparable(members.model, engine.dialect), live)).toEqual([]);
  });

  it("is drift when the database holds a unique index over every row instead", async () => {
    const { url, drop } = await engine.freshDatabase();
    const everyRow = schema({
      member: table(
        "member",
        { id: col.id(), email: col.varchar(100), ...softDelete() },
        {
          indexes: [{ columns: ["email"], unique: true, name: "ux_member_email" }],
        },
      ),
    });
    const db = await connect(url, everyRow);
    try {
      await db.createSchema();
      const live = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
      expect(describeDifferences(comparable(members.model, engine.dialect), live).join("\n")).toMatch(
        /ux_member_email/,
      );
    } finally {
      await db.close();
      await drop();
    }
  });

  it("is added and dropped by migrations", async () => {
    const { url, drop } = await engine.freshDatabase();
    const db = await connect(url, schema({}), { retry: { attempts: 1 } });
    try {
      const bare = schema({
        member: table("member", { id: col.id(), email: col.varchar(100), ...softDelete() }),
      }).model;
      const create = migration({
        id: "1",
        description: "members",
        parents: [],
        operations: autodetect(EMPTY_STATE, bare).operations,
      });
      const index = migration({
        id: "2",
        description: "live unique",
        parents: ["1"],
        operations: autodetect(bare, members.model).operations,
      });
      await applyMigration(db.kysely, engine.dialect, create, EMPTY_STATE);
      await applyMigration(db.kysely, engine.dialect, index, bare);
      const up = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
      expect(describeDifferences(comparable(members.model, engine.dialect), up)).toEqual([]);
      await applyMigration(db.kysely, engine.dialect, index, bare, "down");
      const down = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
      expect(describeDifferences(comparable(bare, engine.dialect), down)).toEqual([]);
    } finally {
      await db.close();
      await drop();
    }
  });
});

/**
 * `.unique()` and composite uniques on a soft-deleted table mean "unique among rows not deleted";
 * `includingDeleted` keeps a plain UNIQUE constraint over every row.
 */
const handle = table(
  "handle",
  {
    id: col.id(),
    name: col.varchar(40).unique(),
    org: col.varchar(20),
    slug: col.varchar(20),
    code: col.varchar(20).unique({ includingDeleted: true }),
    ...softDelete(),
  },
  { unique: [["org", "slug"]] },
);
const handles = schema({ handle });
/** The same table before uniques were scoped to live rows: every unique a plain constraint. */
const globalHandles = schema({
  handle: table(
    "handle",
    {
      id: col.id(),
      name: col.varchar(40).unique({ includingDeleted: true }),
      org: col.varchar(20),
      slug: col.varchar(20),
      code: col.varchar(20).unique({ includingDeleted: true }),
      ...softDelete(),
    },
    { unique: [{ columns: ["org", "slug"], includingDeleted: true }] },
  ),
});

it("declares a soft-deleted table's uniques as partial unique indexes unless includingDeleted", () => {
  const t = handles.model.tables[0]!;
  expect(t.uniques).toEqual([{ name: "uq_handle_code", columns: ["code"] }]);
  const live = { op: "isNull", column: "deleted_at" };
  expect(t.indexes).toEqual([
    { name: "uq_handle_name", columns: ["name"], unique: true, where: live },
    { name: "uq_handle_org_slug", columns: ["org", "slug"], unique: true, where: live },
  ]);
  // A table without softDelete() keeps plain UNIQUE constraints.
  const plain = schema({ p: table("p", { id: col.id(), name: col.varchar(10).unique() }) }).model.tables[0]!;
  expect(plain.uniques).toEqual([{ name: "uq_p_name", columns: ["name"] }]);
  expect(plain.indexes).toEqual([]);
});

it("refuses a foreign key to a key unique only among rows not deleted", () => {
  const parent = table("parent", { id: col.id(), code: col.varchar(10).unique(), ...softDelete() });
  const child = table("child", { id: col.id(), parentCode: ref(() => parent.code) });
  expect(() => schema({ parent, child })).toThrow(
    /child\.parent_code.*parent\.code is unique only among rows not deleted.*includingDeleted: true/,
  );
  const kept = table("parent", {
    id: col.id(),
    code: col.varchar(10).unique({ includingDeleted: true }),
    ...softDelete(),
  });
  const keptChild = table("child", { id: col.id(), parentCode: ref(() => kept.code) });
  expect(schema({ parent: kept, child: keptChild }).model.tables[0]!.foreignKeys).toHaveLength(1);
});

describeEngines("unique among rows not deleted: .unique() on a softDelete() table", (engine) => {
  const fx = useFreshDb(engine, handles);

  it("registers a name again once its holder is deleted; two live holders are a UniqueViolation", async () => {
    const repo = fx.db.repo("handle");
    const ann = await repo.create({ name: "ann", org: "a", slug: "s", code: "c1" });
    const twin = await repo.create({ name: "ann", org: "b", slug: "t", code: "c2" }).catch((e) => e);
    expect(twin).toBeInstanceOf(UniqueViolation);
    expect(twin).toMatchObject({ table: "handle", columns: ["name"], constraint: "uq_handle_name" });
    // Straight through Kysely the database refuses it too: the index, not the repository, holds.
    const raw = await fx.db.kysely
      .insertInto("handle")
      .values({ name: "ann", org: "c", slug: "u", code: "c3" })
      .execute()
      .catch((e) => e);
    expect(raw).toBeInstanceOf(UniqueViolation);
    expect(raw).toMatchObject({ table: "handle", constraint: "uq_handle_name" });

    await repo.delete(ann.id);
    const again = await repo.create({ name: "ann", org: "a", slug: "s", code: "c4" });
    expect(again.name).toBe("ann");
    expect(await repo.count({ name: "ann" }, { withDeleted: true })).toBe(2);
  });

  it("holds composite uniques among live rows too", async () => {
    const repo = fx.db.repo("handle");
    const first = await repo.create({ name: "x1", org: "acme", slug: "home", code: "k1" });
    const clash = await repo.create({ name: "x2", org: "acme", slug: "home", code: "k2" }).catch((e) => e);
    expect(clash).toBeInstanceOf(UniqueViolation);
    expect(clash).toMatchObject({
      table: "handle",
      columns: ["org", "slug"],
      constraint: "uq_handle_org_slug",
    });
    await repo.delete(first.id);
    await repo.create({ name: "x3", org: "acme", slug: "home", code: "k3" });
  });

  it("keeps a unique includingDeleted over every row, deleted ones included", async () => {
    const repo = fx.db.repo("handle");
    const first = await repo.create({ name: "y1", org: "o", slug: "y1", code: "same" });
    await repo.delete(first.id);
    const taken = await repo.create({ name: "y2", org: "o", slug: "y2", code: "same" }).catch((e) => e);
    expect(taken).toBeInstanceOf(UniqueViolation);
    expect(taken).toMatchObject({ table: "handle", columns: ["code"], constraint: "uq_handle_code" });
  });

  it("upserts on a live key: updates the live row, inserts beside a deleted one", async () => {
    const repo = fx.db.repo("handle");
    const first = await repo.upsert({ name: "z", org: "o", slug: "z1", code: "z1" }, { conflict: ["name"] });
    const updated = await repo.upsert(
      { name: "z", org: "o", slug: "z2", code: "z2" },
      { conflict: ["name"] },
    );
    expect(updated).toMatchObject({ id: first.id, slug: "z2" });
    await repo.delete(first.id);
    const fresh = await repo.upsert({ name: "z", org: "o", slug: "z3", code: "z3" }, { conflict: ["name"] });
    expect(fresh.id).not.toBe(first.id);
    expect(await repo.count({ name: "z" }, { withDeleted: true })).toBe(2);
  });

  it("reads back from the database as declared", async () => {
    const live = comparable(await introspect(fx.db.kysely, engine.dialect), engine.dialect);
    expect(describeDifferences(comparable(handles.model, engine.dialect), live)).toEqual([]);
  });

  it("migrates global uniques to live ones and back without drift", async () => {
    const { url, drop } = await engine.freshDatabase();
    const db = await connect(url, schema({}), { retry: { attempts: 1 } });
    try {
      const create = migration({
        id: "1",
        description: "handles",
        parents: [],
        operations: autodetect(EMPTY_STATE, globalHandles.model).operations,
      });
      const scope = migration({
        id: "2",
        description: "unique among live rows",
        parents: ["1"],
        operations: autodetect(globalHandles.model, handles.model).operations,
      });
      expect(scope.operations.map((o) => o.op).sort()).toEqual([
        "addIndex",
        "addIndex",
        "dropUnique",
        "dropUnique",
      ]);
      await applyMigration(db.kysely, engine.dialect, create, EMPTY_STATE);
      await applyMigration(db.kysely, engine.dialect, scope, globalHandles.model);
      const up = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
      expect(describeDifferences(comparable(handles.model, engine.dialect), up)).toEqual([]);
      await applyMigration(db.kysely, engine.dialect, scope, globalHandles.model, "down");
      const down = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
      expect(describeDifferences(comparable(globalHandles.model, engine.dialect), down)).toEqual([]);
    } finally {
      await db.close();
      await drop();
    }
  });
});
