/**
 * Typed errors: every constraint kind, violated on every engine, must surface as plinth's typed error
 * naming the table, the columns and the constraint, with the driver's error kept as `cause`.
 */
import type { InsertQueryBuilder } from "kysely";
import { sql } from "kysely";
import {
  CheckViolation,
  ConstraintViolation,
  ForeignKeyViolation,
  NotNullViolation,
  PlinthError,
  UniqueViolation,
} from "plinth";
import { col, enumOf, expr, ref, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines, type TestEngine } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { returningId, withoutCodec } from "../helpers/insert.js";

const Status = enumOf("owner_status", ["draft", "live"]);

const owner = table(
  "owner",
  {
    id: col.id(),
    code: col.varchar(20).unique(),
    name: col.varchar(50).minLength(2),
    score: col.integer().between(0, 10).default(0),
    status: col.enum(Status).default("draft"),
    publishedAt: col.timestamp().nullable(),
  },
  {
    checks: [
      {
        // Table-level, portable: a live owner must have been published.
        name: "ck_owner_live_published",
        predicate: expr.or(expr.in("status", ["draft"]), expr.isNotNull("publishedAt")),
      },
    ],
  },
);

/** Exactly one foreign key, so plinth can name it even where the engine names nothing (SQLite). */
const child = table(
  "child",
  {
    id: col.id(),
    ownerId: ref(() => owner.id, { onDelete: "restrict" }),
    slot: col.integer(),
    label: col.varchar(40).nullable(),
  },
  { unique: [["ownerId", "slot"]] },
);

const tag = table("tag", { id: col.id(), name: col.varchar(40) });

/** Two foreign keys: an engine that names nothing leaves plinth only the table. */
const link = table("link", {
  id: col.id(),
  childId: ref(() => child.id),
  tagId: ref(() => tag.id),
});

/** Also references owner, but cascades: a delete of an owner can only fail on child's RESTRICT. */
const memo = table("memo", { id: col.id(), ownerId: ref(() => owner.id, { onDelete: "cascade" }) });

const testSchema = schema({ owner, child, tag, link, memo });

/** The driver error's engine code, whatever the driver calls it. */
function driverCode(engine: TestEngine, cause: unknown): unknown {
  const c = cause as Record<string, unknown>;
  return engine.dialect === "mysql" ? c.errno : c.code;
}

const CODES: Record<TestEngine["dialect"], Record<string, unknown>> = {
  sqlite: {
    unique: "SQLITE_CONSTRAINT_UNIQUE",
    primaryKey: "SQLITE_CONSTRAINT_PRIMARYKEY",
    notNull: "SQLITE_CONSTRAINT_NOTNULL",
    foreignKey: "SQLITE_CONSTRAINT_FOREIGNKEY",
    check: "SQLITE_CONSTRAINT_CHECK",
  },
  postgres: { unique: "23505", primaryKey: "23505", notNull: "23502", foreignKey: "23503", check: "23514" },
  // MariaDB: 4025 for CHECK (MySQL 8 would say 3819); 1452 / 1451 for child / parent FK failures.
  mysql: { unique: 1062, primaryKey: 1062, notNull: 1048, foreignKey: 1452, check: 4025 },
};

describeEngines("Typed errors", (engine) => {
  const fx = useFreshDb(engine, testSchema);
  let seq = 0;
  const unique = (prefix: string) => `${prefix}${++seq}`;

  const insertId = (q: InsertQueryBuilder<any, any, any>) => returningId(q, engine.dialect);
  const addOwner = (code = unique("o")) =>
    insertId(fx.db.kysely.insertInto("owner").values({ code, name: "Ann" }));
  const addChild = (ownerId: number, slot = 1) =>
    insertId(fx.db.kysely.insertInto("child").values({ ownerId, slot }));

  /** The rejection of `p`, failing the test when it resolves. */
  async function failure(p: Promise<unknown>): Promise<ConstraintViolation> {
    const outcome = await p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if (outcome.ok) throw new Error(`expected a constraint violation, got ${JSON.stringify(outcome.value)}`);
    expect(outcome.error).toBeInstanceOf(ConstraintViolation);
    expect(outcome.error).toBeInstanceOf(PlinthError);
    return outcome.error as ConstraintViolation;
  }

  it("single-column unique: UniqueViolation with table, column and constraint", async () => {
    const code = unique("dup");
    await addOwner(code);
    const e = await failure(addOwner(code));
    expect(e).toBeInstanceOf(UniqueViolation);
    expect(e.kind).toBe("unique");
    expect(e.table).toBe("owner");
    expect(e.columns).toEqual(["code"]);
    expect(e.constraint).toBe("uq_owner_code");
    expect(driverCode(engine, e.cause)).toBe(CODES[engine.dialect].unique);
  });

  it("repository writes (compiled statements): the same typed errors, and a failed bulk insert writes nothing", async () => {
    const owners = fx.db.repo("owner");
    const code = unique("rep");
    await owners.create({ code, name: "Ann" });
    const single = await failure(owners.create({ code, name: "Bob" }));
    expect(single).toBeInstanceOf(UniqueViolation);
    expect(single).toMatchObject({ table: "owner", columns: ["code"], constraint: "uq_owner_code" });
    const before = (await owners.findMany({})).length;
    const many = await failure(
      owners.createMany([
        { code: unique("ok"), name: "Cat" },
        { code, name: "Dan" },
      ]),
    );
    expect(many).toMatchObject({ table: "owner", columns: ["code"], constraint: "uq_owner_code" });
    expect((await owners.findMany({})).length).toBe(before);
    const other = await owners.create({ code: unique("upd"), name: "Eve" });
    const updated = await failure(owners.update(other.id, { code }));
    expect(updated).toMatchObject({ table: "owner", columns: ["code"], constraint: "uq_owner_code" });
    const check = await failure(owners.update(other.id, { status: "live" }));
    expect(check).toBeInstanceOf(CheckViolation);
  });

  it("composite unique: every column of the key is listed", async () => {
    const ownerId = await addOwner();
    await addChild(ownerId, 7);
    const e = await failure(addChild(ownerId, 7));
    expect(e).toBeInstanceOf(UniqueViolation);
    expect(e.table).toBe("child");
    expect([...e.columns].sort()).toEqual(["owner_id", "slot"]);
    expect(e.constraint).toBe("uq_child_owner_id_slot");
  });

  it("composite unique: the same slot under another owner is fine", async () => {
    const a = await addOwner();
    const b = await addOwner();
    await addChild(a, 3);
    await expect(addChild(b, 3)).resolves.toBeGreaterThan(0);
  });

  it("primary key duplicate (explicit id): UniqueViolation naming the primary key", async () => {
    const id = await addOwner();
    const e = await failure(
      fx.db.kysely
        .insertInto("owner")
        .values({ id, code: unique("pk"), name: "Bob" })
        .execute(),
    );
    expect(e).toBeInstanceOf(UniqueViolation);
    expect(e.table).toBe("owner");
    expect(e.columns).toEqual(["id"]);
    expect(e.constraint).toBe("pk_owner");
    expect(driverCode(engine, e.cause)).toBe(CODES[engine.dialect].primaryKey);
  });

  it("not null on insert (explicit null): NotNullViolation with table and column", async () => {
    const e = await failure(
      fx.db.kysely
        .insertInto("owner")
        .values({ code: unique("nn"), name: null as unknown as string })
        .execute(),
    );
    expect(e).toBeInstanceOf(NotNullViolation);
    expect(e.kind).toBe("not null");
    expect(e.table).toBe("owner");
    expect(e.columns).toEqual(["name"]);
    expect(e.constraint).toBeUndefined();
    expect(driverCode(engine, e.cause)).toBe(CODES[engine.dialect].notNull);
  });

  it("not null on update (set to null): NotNullViolation, row unchanged", async () => {
    const id = await addOwner();
    const e = await failure(
      fx.db.kysely
        .updateTable("owner")
        .set({ name: null as unknown as string })
        .where("id", "=", id)
        .execute(),
    );
    expect(e).toBeInstanceOf(NotNullViolation);
    expect(e.table).toBe("owner");
    expect(e.columns).toEqual(["name"]);
    const row = await fx.db.kysely
      .selectFrom("owner")
      .select("name")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.name).toBe("Ann");
  });

  it("not null by omission: every engine reports the omitted column", async () => {
    // name is required: the row type says so too.
    // @ts-expect-error
    const omitted = fx.db.kysely.insertInto("owner").values({ code: unique("om") });
    const e = await failure(omitted.execute());
    expect(e).toBeInstanceOf(NotNullViolation);
    expect(e.table).toBe("owner");
    expect(e.columns).toEqual(["name"]);
    // MariaDB in strict mode reports omission as 1364 "Field 'name' doesn't have a default value".
    expect(driverCode(engine, e.cause)).toBe(
      engine.dialect === "mysql" ? 1364 : CODES[engine.dialect].notNull,
    );
  });

  it("foreign key insert with a missing parent: the table's only FK is named on every engine", async () => {
    const e = await failure(addChild(987_654));
    expect(e).toBeInstanceOf(ForeignKeyViolation);
    expect(e.kind).toBe("foreign key");
    expect(e.table).toBe("child");
    expect(e.columns).toEqual(["owner_id"]);
    // SQLite names no constraint: plinth fills it in because child has exactly one foreign key.
    expect(e.constraint).toBe("fk_child_owner_id_owner");
    expect(driverCode(engine, e.cause)).toBe(CODES[engine.dialect].foreignKey);
    const rows = await fx.db.kysely.selectFrom("child").select("id").where("ownerId", "=", 987_654).execute();
    expect(rows).toEqual([]);
  });

  it("foreign key insert into a table with two FKs: at least the table, the exact FK where reported", async () => {
    const childId = await addChild(await addOwner());
    const e = await failure(fx.db.kysely.insertInto("link").values({ childId, tagId: 424_242 }).execute());
    expect(e).toBeInstanceOf(ForeignKeyViolation);
    expect(e.table).toBe("link");
    if (engine.dialect === "sqlite") {
      // Nothing reported and two candidates: plinth must not guess.
      expect(e.constraint).toBeUndefined();
      expect(e.columns).toEqual([]);
    } else {
      expect(e.constraint).toBe("fk_link_tag_id_tag");
      expect(e.columns).toEqual(["tag_id"]);
    }
  });

  it("foreign key update to a missing parent", async () => {
    const childId = await addChild(await addOwner());
    const e = await failure(
      fx.db.kysely.updateTable("child").set({ ownerId: 555_555 }).where("id", "=", childId).execute(),
    );
    expect(e).toBeInstanceOf(ForeignKeyViolation);
    expect(e.table).toBe("child");
    if (engine.dialect === "sqlite") {
      // An UPDATE of child may break its own FK or link's FK to it: two candidates, so no guess.
      expect(e.constraint).toBeUndefined();
    } else {
      expect(e.constraint).toBe("fk_child_owner_id_owner");
      expect(e.columns).toEqual(["owner_id"]);
    }
  });

  it("foreign key delete of a parent under ON DELETE RESTRICT: names the referencing FK", async () => {
    const ownerId = await addOwner();
    await addChild(ownerId);
    await fx.db.kysely.insertInto("memo").values({ ownerId }).execute();
    const e = await failure(fx.db.kysely.deleteFrom("owner").where("id", "=", ownerId).execute());
    expect(e).toBeInstanceOf(ForeignKeyViolation);
    // The constraint lives on child. Owner is referenced by child and memo, but memo's key cascades
    // and cannot refuse a delete, so even SQLite's silence is enough to name it.
    expect(e.table).toBe("child");
    expect(e.columns).toEqual(["owner_id"]);
    expect(e.constraint).toBe("fk_child_owner_id_owner");
    // RESTRICT is reported apart from NO ACTION by SQLite (its FK trigger) and by PostgreSQL 17+
    // (23001 restrict_violation, as pglite does; the PostgreSQL 15 server still says 23503).
    const expected = { sqlite: ["SQLITE_CONSTRAINT_TRIGGER"], postgres: ["23001", "23503"], mysql: [1451] };
    expect(expected[engine.dialect]).toContain(driverCode(engine, e.cause));
    const still = await fx.db.kysely.selectFrom("owner").select("id").where("id", "=", ownerId).execute();
    expect(still).toHaveLength(1);
  });

  it("foreign key delete of a child that a link row references (table with incoming and outgoing FKs)", async () => {
    const childId = await addChild(await addOwner());
    const tagId = await insertId(fx.db.kysely.insertInto("tag").values({ name: "t" }));
    await fx.db.kysely.insertInto("link").values({ childId, tagId }).execute();
    const e = await failure(fx.db.kysely.deleteFrom("child").where("id", "=", childId).execute());
    expect(e).toBeInstanceOf(ForeignKeyViolation);
    // child has one FK of its own (to owner), which a DELETE from child can never break.
    expect(e.constraint).not.toBe("fk_child_owner_id_owner");
    expect(e.table).toBe("link");
    expect(e.columns).toEqual(["child_id"]);
    expect(e.constraint).toBe("fk_link_child_id_child");
  });

  it("column check via between(): CheckViolation naming table, column and constraint", async () => {
    const e = await failure(
      fx.db.kysely
        .insertInto("owner")
        .values({ code: unique("b"), name: "Cy", score: 11 })
        .execute(),
    );
    expect(e).toBeInstanceOf(CheckViolation);
    expect(e.kind).toBe("check");
    expect(e.table).toBe("owner");
    expect(e.columns).toEqual(["score"]);
    expect(e.constraint).toBe("ck_owner_score_between");
    expect(driverCode(engine, e.cause)).toBe(CODES[engine.dialect].check);
  });

  it("column check via between() on update", async () => {
    const id = await addOwner();
    const e = await failure(
      fx.db.kysely.updateTable("owner").set({ score: -1 }).where("id", "=", id).execute(),
    );
    expect(e).toBeInstanceOf(CheckViolation);
    expect(e).toMatchObject({ table: "owner", columns: ["score"], constraint: "ck_owner_score_between" });
  });

  it("column check via minLength()", async () => {
    const e = await failure(
      fx.db.kysely
        .insertInto("owner")
        .values({ code: unique("m"), name: "A" })
        .execute(),
    );
    expect(e).toBeInstanceOf(CheckViolation);
    expect(e).toMatchObject({ table: "owner", columns: ["name"], constraint: "ck_owner_name_min_length" });
  });

  it("enum value outside the enum: the implicit ck_<table>_<col>_enum", async () => {
    // "gone" fits the column's width (the longest value, "draft"), so only the CHECK can refuse it.
    // The codec refuses it before the database sees it; without the codec, the database does.
    const e = await failure(
      withoutCodec(fx.db.kysely)
        .insertInto("owner")
        .values({ code: unique("e"), name: "Di", status: "gone" as "draft", publishedAt: new Date() })
        .execute(),
    );
    expect(e).toBeInstanceOf(CheckViolation);
    expect(e).toMatchObject({ table: "owner", columns: ["status"], constraint: "ck_owner_status_enum" });
  });

  it("enum value longer than every declared value is refused and nothing is written", async () => {
    const code = unique("elong");
    const error = await withoutCodec(fx.db.kysely)
      .insertInto("owner")
      .values({ code, name: "Di", status: "archived" as "draft" })
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // Enum columns are wide on every engine, so the CHECK (not a length limit) refuses the value.
    expect(error).toBeInstanceOf(CheckViolation);
    // (PostgreSQL may report the row's other failing CHECK first; the table is what is certain.)
    expect(error).toMatchObject({ table: "owner" });
    const rows = await fx.db.kysely.selectFrom("owner").select("id").where("code", "=", code).execute();
    expect(rows).toEqual([]);
  });

  it("table-level check via expr: columns are the predicate's database names", async () => {
    const e = await failure(
      fx.db.kysely
        .insertInto("owner")
        .values({ code: unique("t"), name: "Ed", status: "live" })
        .execute(),
    );
    expect(e).toBeInstanceOf(CheckViolation);
    expect(e.table).toBe("owner");
    expect([...e.columns].sort()).toEqual(["published_at", "status"]);
    expect(e.constraint).toBe("ck_owner_live_published");
    // The same row is accepted once the predicate holds.
    await expect(
      fx.db.kysely
        .insertInto("owner")
        .values({ code: unique("t"), name: "Ed", status: "live", publishedAt: new Date() })
        .execute(),
    ).resolves.toBeDefined();
  });

  it("name, kind and detail describe the violation", async () => {
    const code = unique("msg");
    await addOwner(code);
    const e = await failure(addOwner(code));
    expect(e.name).toBe("UniqueViolation");
    // The engine's own wording is kept as detail.
    expect(e.detail).toMatch(/unique|duplicate|already exists/i);
  });

  it("message names the kind, the constraint, the table and the columns", async () => {
    const code = unique("msg");
    await addOwner(code);
    const e = await failure(addOwner(code));
    expect(e.message).toMatch(/^unique constraint uq_owner_code violated on owner \(code\)/);
    expect(String(e)).toContain("UniqueViolation: unique constraint uq_owner_code");
    expect(e.message).toContain(e.detail!);
    const c = await failure(
      fx.db.kysely
        .insertInto("owner")
        .values({ code: unique("msg"), name: "Fi", score: 99 })
        .execute(),
    );
    expect(c.message).toContain("check constraint ck_owner_score_between violated on owner (score)");
  });

  it("cause is the driver's error, not a plinth error", async () => {
    const code = unique("cause");
    await addOwner(code);
    const e = await failure(addOwner(code));
    expect(e.cause).toBeInstanceOf(Error);
    expect(e.cause).not.toBeInstanceOf(PlinthError);
    expect(String((e.cause as Error).message)).toMatch(/unique|duplicate/i);
  });

  it("statements written with sql`` are translated too", async () => {
    const code = unique("raw");
    await addOwner(code);
    const e = await failure(
      sql`INSERT INTO owner (code, name) VALUES (${code}, ${"Gus"})`.execute(fx.db.kysely),
    );
    expect(e).toBeInstanceOf(UniqueViolation);
    expect(e).toMatchObject({ table: "owner", columns: ["code"], constraint: "uq_owner_code" });
  });

  it("a failed insert inside fx.db.transaction() rolls the whole transaction back", async () => {
    const code = unique("tx");
    await addOwner(code);
    const marker = unique("tag-tx");
    const e = await failure(
      fx.db.transaction(async (trx) => {
        await trx.insertInto("tag").values({ name: marker }).execute();
        await trx
          .insertInto("owner")
          .values({ code: unique("tx-new"), name: "Hal" })
          .execute();
        await trx.insertInto("owner").values({ code, name: "Ivy" }).execute();
        return "committed";
      }),
    );
    expect(e).toBeInstanceOf(UniqueViolation);
    expect(e.constraint).toBe("uq_owner_code");
    const tags = await fx.db.kysely.selectFrom("tag").select("id").where("name", "=", marker).execute();
    expect(tags).toEqual([]);
    const owners = await fx.db.kysely
      .selectFrom("owner")
      .select("name")
      .where("name", "in", ["Hal", "Ivy"])
      .execute();
    expect(owners).toEqual([]);
    // The connection is usable afterwards (no transaction left open on it).
    await expect(addOwner()).resolves.toBeGreaterThan(0);
  });
});
