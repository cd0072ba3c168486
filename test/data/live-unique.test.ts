import { sql } from "kysely";
import { connect, UniqueViolation } from "plinth";
import { autodetect, EMPTY_STATE, migration } from "plinth/migrate";
import { col, expr, schema, softDelete, table } from "plinth/schema";
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
