import { sql } from "kysely";
import type { Db, SchemaModel } from "plinth";
import { connect } from "plinth";
import type { Migration, Renames } from "plinth/migrate";
import { applyOperations, autodetect, EMPTY_STATE, migration } from "plinth/migrate";
import { col, enumOf, ref, schema, table, timestamps } from "plinth/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { comparable, describeDifferences, introspect } from "../../src/dialect/index.js";
import { describeEngines } from "../engines/matrix.js";
import { applyMigration } from "../helpers/apply.js";

const Level = enumOf("level", ["low", "high"]);
const LevelMore = enumOf("level", ["low", "mid", "high"]);

/** Version 1 of a small schema. */
function v1() {
  const team = table("team", { id: col.id(), name: col.varchar(40).unique(), ...timestamps() });
  const member = table(
    "member",
    {
      id: col.id(),
      teamId: ref(() => team.id, { onDelete: "cascade" }),
      nick: col.varchar(20),
      level: col.enum(Level).default("low"),
      score: col.integer().default(0),
      obsolete: col.text().nullable(),
    },
    { indexes: [["nick"]] },
  );
  return schema({ team, member });
}

/** Version 2: one of nearly every kind of change, applied to tables that hold rows. */
function v2() {
  const squad = table(
    "squad",
    { id: col.id(), name: col.varchar(80).unique(), ...timestamps() },
    { doc: "renamed from team" },
  );
  const badge = table("badge", { id: col.id(), label: col.varchar(30) });
  const member = table(
    "member",
    {
      id: col.id(),
      teamId: ref(() => squad.id, { onDelete: "cascade" }),
      nickname: col.varchar(40).doc("was nick(20)"),
      level: col.enum(LevelMore).default("mid"),
      score: col.integer().default(0).min(0),
      email: col.varchar(100).nullable(),
      active: col.boolean().default(true),
      badgeId: ref(() => badge.id, { onDelete: "set null" }).nullable(),
    },
    { indexes: [["level", "score"]], unique: [["teamId", "nickname"]] },
  );
  return schema({ squad, badge, member });
}

const renames: Renames = { tables: { team: "squad" }, columns: { "member.nick": "nickname" } };

describe("autodetector", () => {
  it("creates parents before children and finds nothing to do for an unchanged schema", () => {
    const { operations } = autodetect(EMPTY_STATE, v1().model);
    expect(operations.map((o) => o.op + (o.op === "createTable" ? `:${o.table.name}` : ""))).toEqual([
      "createTable:team",
      "createTable:member",
    ]);
    expect(applyOperations(EMPTY_STATE, operations)).toEqual(v1().model);
    expect(autodetect(v1().model, v1().model).operations).toEqual([]);
  });

  it("never guesses a rename: it reports the likely one and drops + adds", () => {
    const { operations, notes } = autodetect(v1().model, v2().model);
    expect(operations.some((o) => o.op === "dropTable")).toBe(true);
    expect(operations.some((o) => o.op === "renameTable" || o.op === "renameColumn")).toBe(false);
    expect(notes.join("\n")).toMatch(/--rename/);
  });

  it("uses declared renames, in dependency-safe order", () => {
    const kinds = autodetect(v1().model, v2().model, renames).operations.map((o) => o.op);
    expect(kinds).toContain("renameTable");
    expect(kinds).toContain("renameColumn");
    expect(kinds.indexOf("renameColumn")).toBeLessThan(kinds.indexOf("dropIndex"));
    expect(kinds.indexOf("createTable")).toBeLessThan(kinds.indexOf("addForeignKey"));
    expect(kinds.indexOf("dropColumn")).toBeLessThan(kinds.indexOf("addUnique"));
  });

  it("refuses renames that name nothing", () => {
    expect(() => autodetect(v1().model, v2().model, { tables: { nope: "squad" } })).toThrow(/no table nope/);
    expect(() =>
      autodetect(v1().model, v2().model, { tables: { team: "squad" }, columns: { "member.x": "y" } }),
    ).toThrow(/no column member\.x/);
  });
});

describeEngines("operations on a database with rows", (engine) => {
  let db: Db<any>;
  let drop: () => Promise<void>;
  let first: Migration;
  let second: Migration;
  let s1: SchemaModel;

  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, v2(), { retry: { attempts: 1 } });
    first = migration({
      id: "0001",
      description: "v1",
      parents: [],
      operations: autodetect(EMPTY_STATE, v1().model).operations,
    });
    second = migration({
      id: "0002",
      description: "v2",
      parents: ["0001"],
      operations: autodetect(v1().model, v2().model, renames).operations,
    });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const rows = async (query: string) =>
    (await sql.raw<Record<string, unknown>>(query).execute(db.kysely)).rows;

  it("applies the first migration and takes rows", async () => {
    s1 = await applyMigration(db.kysely, engine.dialect, first, EMPTY_STATE);
    expect(s1).toEqual(v1().model);
    await sql`INSERT INTO team (name) VALUES ('red'), ('blue')`.execute(db.kysely);
    await sql`INSERT INTO member (team_id, nick, level, score, obsolete) VALUES (1, 'ann', 'high', 5, 'x'), (2, 'bob', 'low', 7, NULL)`.execute(
      db.kysely,
    );
  });

  it("applies every kind of change forwards and keeps every row", async () => {
    const s2 = await applyMigration(db.kysely, engine.dialect, second, s1);
    expect(s2).toEqual(v2().model);
    expect(await rows("SELECT name FROM squad ORDER BY id")).toEqual([{ name: "red" }, { name: "blue" }]);
    const members = await rows("SELECT team_id, nickname, level, score, email FROM member ORDER BY id");
    expect(members).toEqual([
      { teamId: 1, nickname: "ann", level: "high", score: 5, email: null },
      { teamId: 2, nickname: "bob", level: "low", score: 7, email: null },
    ]);
  });

  it("enforces what the second migration added", async () => {
    await expect(
      sql`INSERT INTO member (team_id, nickname, score) VALUES (1, 'ann', 1)`.execute(db.kysely),
    ).rejects.toThrow(/unique/i);
    await expect(
      sql`INSERT INTO member (team_id, nickname, score) VALUES (1, 'neg', -1)`.execute(db.kysely),
    ).rejects.toThrow(/check/i);
    await sql`INSERT INTO member (team_id, nickname, level) VALUES (1, 'cat', 'mid')`.execute(db.kysely);
    await expect(
      sql`INSERT INTO member (team_id, nickname) VALUES (99, 'ghost')`.execute(db.kysely),
    ).rejects.toThrow(/foreign key/i);
    await sql`DELETE FROM member WHERE nickname = 'cat'`.execute(db.kysely);
  });

  it("rolls the second migration back and keeps the rows that fit the old shape", async () => {
    await applyMigration(db.kysely, engine.dialect, second, s1, "down");
    expect(await rows("SELECT name FROM team ORDER BY id")).toEqual([{ name: "red" }, { name: "blue" }]);
    const members = await rows("SELECT team_id, nick, level, score FROM member ORDER BY id");
    expect(members).toEqual([
      { teamId: 1, nick: "ann", level: "high", score: 5 },
      { teamId: 2, nick: "bob", level: "low", score: 7 },
    ]);
    await expect(
      sql`INSERT INTO member (team_id, nick, level) VALUES (1, 'x', 'mid')`.execute(db.kysely),
    ).rejects.toThrow(/check/i);
  });

  it("applies it again after the rollback", async () => {
    await applyMigration(db.kysely, engine.dialect, second, s1);
    expect(await rows("SELECT count(*) AS n FROM member")).toEqual([{ n: expect.anything() }]);
    await applyMigration(db.kysely, engine.dialect, second, s1, "down");
    await applyMigration(db.kysely, engine.dialect, first, EMPTY_STATE, "down");
    const tables =
      engine.dialect === "sqlite"
        ? await rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        : engine.dialect === "postgres"
          ? await rows(
              "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
            )
          : await rows("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()");
    expect(tables).toEqual([]);
  });
});

describeEngines("a pure rename keeps data and matches the declaration", (engine) => {
  it("renames a table and a typed column, and back", async () => {
    const { url, drop } = await engine.freshDatabase();
    const before = schema({
      t: table("pet", { id: col.id(), nick: col.varchar(20), mood: col.enum(Level).default("low") }),
    }).model;
    const after = schema({
      t: table("animal", { id: col.id(), nickname: col.varchar(20), mood: col.enum(Level).default("low") }),
    }).model;
    const db = await connect(url, schema({}), { retry: { attempts: 1 } });
    try {
      const create = migration({
        id: "1",
        description: "pets",
        parents: [],
        operations: autodetect(EMPTY_STATE, before).operations,
      });
      const detected = autodetect(before, after, {
        tables: { pet: "animal" },
        columns: { "animal.nick": "nickname" },
      });
      expect(detected.operations.map((o) => o.op)).not.toContain("alterColumn");
      const rename = migration({
        id: "2",
        description: "rename",
        parents: ["1"],
        operations: detected.operations,
      });
      await applyMigration(db.kysely, engine.dialect, create, EMPTY_STATE);
      await sql`INSERT INTO pet (nick, mood) VALUES ('rex', 'high')`.execute(db.kysely);
      await applyMigration(db.kysely, engine.dialect, rename, before);
      const live = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
      expect(describeDifferences(comparable(after, engine.dialect), live)).toEqual([]);
      expect((await sql`SELECT nickname, mood FROM animal`.execute(db.kysely)).rows).toEqual([
        { nickname: "rex", mood: "high" },
      ]);
      await applyMigration(db.kysely, engine.dialect, rename, before, "down");
      const back = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
      expect(describeDifferences(comparable(before, engine.dialect), back)).toEqual([]);
      expect((await sql`SELECT nick FROM pet`.execute(db.kysely)).rows).toEqual([{ nick: "rex" }]);
    } finally {
      await db.close();
      await drop();
    }
  });
});
