import { sql } from "kysely";
import type { Db } from "plinth";
import { connect, renderSchema } from "plinth";
import type { LoadedMigration, ProgressEvent } from "plinth/migrate";
import { autodetect, EMPTY_STATE, loadMigrations, MigrationError, Migrator, op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { MigrationFolder } from "../helpers/migration-folder.js";

const v1 = schema({ item: table("item", { id: col.id(), name: col.varchar(40) }) });
const v2 = schema({
  item: table("item", { id: col.id(), name: col.varchar(40), note: col.text().nullable() }),
});
const extra = (name: string) => schema({ [name]: table(name, { id: col.id(), label: col.varchar(20) }) });

/** 0001 creates item, 0002 adds item.note, 0003 inserts one row with a data step. */
function writeChain(folder: MigrationFolder): void {
  folder.generated("0001_item", [], autodetect(EMPTY_STATE, v1.model).operations);
  folder.generated("0002_note", ["0001_item"], autodetect(v1.model, v2.model).operations);
  folder.handWritten(
    "0003_first_item",
    ["0002_note"],
    `    op.data(
      "insert the first item",
      async ({ db }) => {
        await db.insertInto("item").values({ name: "first", note: "from a data step" }).execute();
      },
      async ({ db }) => {
        await db.deleteFrom("item").where("name", "=", "first").execute();
      },
    ),`,
  );
}

describeEngines("migration runner", (engine) => {
  let folder: MigrationFolder;
  let db: Db;
  let url: string;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    folder = new MigrationFolder();
    const fresh = await engine.freshDatabase();
    ({ url, drop } = fresh);
    db = await connect(url, schema({}));
  });
  afterEach(async () => {
    await db.close();
    await drop();
    folder.remove();
  });

  const migrator = async (options: { onProgress?: (e: ProgressEvent) => void } = {}) =>
    new Migrator({ db, migrations: await loadMigrations(folder.dir), ...options });
  const tables = async () =>
    [...(await db.adapter.listTables(db.kysely as any))].filter((t) => t !== "plinth_migrations").sort();
  const items = async () =>
    (await sql<{ name: string }>`SELECT name FROM item ORDER BY id`.execute(db.kysely)).rows.map(
      (r) => r.name,
    );

  it("applies pending migrations in order, reports them, and a second run applies nothing", async () => {
    writeChain(folder);
    const m = await migrator();
    const before = await m.status();
    expect(before.migrations.map((s) => [s.id, s.state])).toEqual([
      ["0001_item", "pending"],
      ["0002_note", "pending"],
      ["0003_first_item", "pending"],
    ]);
    expect(before.unknown).toEqual([]);
    expect(before.current).toEqual([]);
    expect(m.heads()).toEqual(["0003_first_item"]);

    const events: string[] = [];
    const withProgress = await migrator({ onProgress: (e) => events.push(`${e.phase} ${e.id}`) });
    const result = await withProgress.up();
    expect(result.error).toBeUndefined();
    expect(result.applied.map((a) => [a.id, a.direction])).toEqual([
      ["0001_item", "up"],
      ["0002_note", "up"],
      ["0003_first_item", "up"],
    ]);
    for (const a of result.applied) expect(a.durationMs).toBeGreaterThanOrEqual(0);
    expect(events).toEqual([
      "start 0001_item",
      "done 0001_item",
      "start 0002_note",
      "done 0002_note",
      "start 0003_first_item",
      "done 0003_first_item",
    ]);
    expect(await tables()).toEqual(["item"]);
    expect(await items()).toEqual(["first"]);

    const history = await m.history();
    expect(history.map((h) => [h.id, h.status])).toEqual([
      ["0001_item", "applied"],
      ["0002_note", "applied"],
      ["0003_first_item", "applied"],
    ]);
    for (const h of history) {
      expect(h.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(h.appliedAt).toBeInstanceOf(Date);
      expect(Math.abs(h.appliedAt.getTime() - Date.now())).toBeLessThan(60_000);
    }
    expect(await m.current()).toEqual(["0003_first_item"]);
    expect((await m.status()).migrations.every((s) => s.state === "applied" && !s.checksumMismatch)).toBe(
      true,
    );

    expect(await m.up()).toEqual({ applied: [] });
  });

  it("rolls back one step by default, or back to a target, and goes up to a target", async () => {
    writeChain(folder);
    const m = await migrator();
    await m.up();

    const one = await m.down();
    expect(one.applied.map((a) => [a.id, a.direction])).toEqual([["0003_first_item", "down"]]);
    expect(await items()).toEqual([]);
    expect(await m.current()).toEqual(["0002_note"]);

    const toFirst = await m.down("0001_item");
    expect(toFirst.applied.map((a) => a.id)).toEqual(["0002_note"]);
    expect(await m.current()).toEqual(["0001_item"]);

    await m.down();
    expect(await tables()).toEqual([]);
    expect(await m.history()).toEqual([]);
    expect(await m.down()).toEqual({ applied: [] });

    const partial = await m.up("0002_note");
    expect(partial.applied.map((a) => a.id)).toEqual(["0001_item", "0002_note"]);
    expect((await m.status()).migrations.map((s) => s.state)).toEqual(["applied", "applied", "pending"]);

    const all = await m.down(10);
    expect(all.applied.map((a) => a.id)).toEqual(["0002_note", "0001_item"]);
  });

  it("refuses to go up past several heads until they are merged, then applies the merge", async () => {
    writeChain(folder);
    folder.generated("0004_tag", ["0003_first_item"], autodetect(EMPTY_STATE, extra("tag").model).operations);
    folder.generated(
      "0004_label",
      ["0003_first_item"],
      autodetect(EMPTY_STATE, extra("label").model).operations,
    );
    const branched = await migrator();
    expect(branched.heads()).toEqual(["0004_label", "0004_tag"]);
    await expect(branched.up()).rejects.toThrow(
      /2 heads \(0004_label, 0004_tag\); run `plinth migrate merge`/,
    );
    expect((await branched.up("0004_tag")).applied.map((a) => a.id)).toEqual([
      "0001_item",
      "0002_note",
      "0003_first_item",
      "0004_tag",
    ]);

    folder.handWritten("0005_merge", ["0004_label", "0004_tag"], "");
    const merged = await migrator();
    expect(merged.heads()).toEqual(["0005_merge"]);
    expect((await merged.up()).applied.map((a) => a.id)).toEqual(["0004_label", "0005_merge"]);
    expect(await tables()).toEqual(["item", "label", "tag"]);
    expect(await merged.current()).toEqual(["0005_merge"]);

    expect((await merged.down()).applied.map((a) => a.id)).toEqual(["0005_merge"]);
    expect((await merged.current()).sort()).toEqual(["0004_label", "0004_tag"]);
    expect((await merged.down("0003_first_item")).applied.map((a) => a.id).sort()).toEqual([
      "0004_label",
      "0004_tag",
    ]);
    expect(await tables()).toEqual(["item"]);
  });

  it("blocks an applied migration whose operations were edited unless forced, and then accepts the edit", async () => {
    writeChain(folder);
    await (await migrator()).up();
    // A new description and comments are not an edit: nothing blocks.
    const text = folder.read("0001_item.ts");
    folder.write(
      "0001_item.ts",
      `// reviewed by ann\n${text.replace(/description: "[^"]*"/, 'description: "create item (edited description)"')}`,
    );
    const reworded = await migrator();
    expect((await reworded.status()).migrations[0]).toMatchObject({
      id: "0001_item",
      checksumMismatch: false,
    });
    expect(await reworded.up()).toEqual({ applied: [] });
    // Another operation is.
    const operations = autodetect(EMPTY_STATE, v1.model).operations;
    folder.generated("0001_item", [], [...operations, op.sql("SELECT 1", "SELECT 1")], "create item");
    const edited = await migrator();
    expect((await edited.status()).migrations[0]).toMatchObject({ id: "0001_item", checksumMismatch: true });
    const refused = edited.up();
    await expect(refused).rejects.toThrow(MigrationError);
    await expect(edited.up()).rejects.toThrow(
      /migration "0001_item" was changed after it was applied: its operations are not the ones the database ran .*restore the file \(git checkout -- .*0001_item\.ts\) and make the change in a new migration .*pass --force to record it as applied$/,
    );
    await expect(edited.down()).rejects.toThrow(/changed after it was applied/);
    expect(await edited.up(undefined, { force: true })).toEqual({ applied: [], accepted: ["0001_item"] });
    expect(await edited.up()).toEqual({ applied: [] });
    expect((await edited.status()).migrations[0]!.checksumMismatch).toBe(false);
  });

  it("takes a history row with the old file-text checksum as the same migration, and records it anew", async () => {
    writeChain(folder);
    const m = await migrator();
    await m.up();
    const loaded = await loadMigrations(folder.dir);
    const first = loaded[0]!;
    // As a database migrated before checksums covered the operations has it.
    await sql`UPDATE plinth_migrations SET checksum = ${first.fileChecksum} WHERE id = ${first.migration.id}`.execute(
      db.kysely,
    );
    expect((await m.status()).migrations[0]!.checksumMismatch).toBe(false);
    expect(await m.up()).toEqual({ applied: [] });
    const { rows } = await sql<{
      checksum: string;
    }>`SELECT checksum FROM plinth_migrations WHERE id = ${first.migration.id}`.execute(db.kysely);
    expect(rows[0]!.checksum.trim()).toBe(first.checksum);
  });

  /** Creates `s`'s tables with plain DDL, as `plinth up` without migrations (or a person) would. */
  const createByHand = async (s: typeof v1 | typeof v2) => {
    for (const statement of renderSchema(s.model, db.adapter)) await sql.raw(statement).execute(db.kysely);
  };

  it("baseline adopts a database made without migrations: the first migration it matches and its ancestors", async () => {
    writeChain(folder);
    await createByHand(v2);
    const m = await migrator();
    expect(await m.baseline()).toEqual({
      baselined: ["0001_item", "0002_note"],
      pending: ["0003_first_item"],
    });
    const history = await m.history();
    expect(history.map((r) => [r.id, r.durationMs])).toEqual([
      ["0001_item", null],
      ["0002_note", null],
    ]);
    // What was adopted is not run again; what is newer runs as usual.
    expect((await m.up()).applied.map((a) => a.id)).toEqual(["0003_first_item"]);
    expect(await items()).toEqual(["first"]);
    await expect(m.baseline()).rejects.toThrow(
      /the database has applied migrations already \(it is at 0003_first_item\); baseline is for a database that has none/,
    );
  });

  it("baseline refuses a database that matches no migration, naming the differences, and an empty one", async () => {
    writeChain(folder);
    const m = await migrator();
    await expect(m.baseline()).rejects.toThrow(/the database has no tables: nothing to adopt/);
    await createByHand(v1);
    await sql`ALTER TABLE item ADD COLUMN extra integer`.execute(db.kysely);
    await expect(m.baseline()).rejects.toThrow(
      /the database does not match any migration \(compared with the head, 0003_first_item\): .*extra.*plinth schema diff/,
    );
    await expect(m.baseline("0001_item")).rejects.toThrow(/the database does not match 0001_item: .*extra/);
    expect(await m.history()).toEqual([]);
    await sql`ALTER TABLE item DROP COLUMN extra`.execute(db.kysely);
    expect(await m.baseline("0001_item")).toEqual({
      baselined: ["0001_item"],
      pending: ["0002_note", "0003_first_item"],
    });
  });

  it("names unknown targets and a database ahead of its files", async () => {
    writeChain(folder);
    const m = await migrator();
    await expect(m.up("0009_nope")).rejects.toThrow(
      /unknown migration "0009_nope": no file in the migrations folder/,
    );
    await expect(m.down("0009_nope")).rejects.toThrow(/unknown migration "0009_nope"/);
    await expect(m.down(0)).rejects.toThrow(/positive number of steps/);
    await expect(m.down("0002_note")).rejects.toThrow(/"0002_note" is not applied/);
    await m.up();

    const { rmSync } = await import("node:fs");
    rmSync(`${folder.dir}/0003_first_item.ts`);
    const behind = await migrator();
    const status = await behind.status();
    expect(status.unknown).toEqual(["0003_first_item"]);
    expect(status.current).toContain("0003_first_item");
    await expect(behind.up()).rejects.toThrow(
      /the database is ahead of the files: it has applied 0003_first_item, which no migration file declares/,
    );
    await expect(behind.down()).rejects.toThrow(/ahead of the files/);
  });

  it("reports a failing statement with its step, and resumes after the data is fixed", async () => {
    writeChain(folder);
    await (await migrator()).up();
    await sql`INSERT INTO item (name) VALUES ('dup'), ('dup')`.execute(db.kysely);
    // Step 1 adds a column, step 2 a unique constraint that the duplicate rows break.
    folder.handWritten(
      "0004_unique_name",
      ["0003_first_item"],
      `    op.addColumn("item", { name: "code", key: "code", type: { kind: "integer" }, nullable: true }),
    op.addUnique("item", { name: "uq_item_name", columns: ["name"] }),`,
    );
    const m = await migrator();
    const failed = await m.up();
    expect(failed.applied).toEqual([]);
    expect(failed.error).toMatchObject({
      id: "0004_unique_name",
      direction: "up",
      operation: "add unique uq_item_name on item",
    });
    const error = failed.error!;
    if (engine.dialect === "mysql") {
      // MySQL commits DDL statement by statement: step 1 stays, and the run says where it resumes.
      expect(error).toMatchObject({ step: 2, steps: 2 });
      expect(error.statement).toContain("uq_item_name");
      expect(error.message).toMatch(/Duplicate entry/);
      expect(error.resume).toMatch(
        /steps 1-1 of 2 are committed.*run `plinth migrate up`: it resumes at step 2/,
      );
      expect((await m.status()).migrations[3]).toMatchObject({
        state: "partial",
        partial: { direction: "up", stepsDone: 1 },
      });
      await expect(m.down()).rejects.toThrow(
        /"0004_unique_name" is partly applied \(1 step done\); run `plinth migrate up`/,
      );
    } else {
      // One transaction: nothing of the migration is left, not even its first step.
      expect(error.step).toBeGreaterThanOrEqual(2);
      expect(error.resume).toMatch(/rolled back, so nothing of it is applied/);
      expect((await m.status()).migrations[3]!.state).toBe("pending");
      const columns = await sql`SELECT * FROM item`.execute(db.kysely);
      expect(Object.keys(columns.rows[0] as object)).not.toContain("code");
    }
    await sql`DELETE FROM item WHERE name = 'dup'`.execute(db.kysely);
    const resumed = await m.up();
    expect(resumed.error).toBeUndefined();
    expect(resumed.applied.map((a) => a.id)).toEqual(["0004_unique_name"]);
    expect((await m.history()).at(-1)).toMatchObject({ id: "0004_unique_name", status: "applied" });
    await expect(sql`INSERT INTO item (name) VALUES ('first')`.execute(db.kysely)).rejects.toThrow();
  });

  it("reports a failing rollback; MySQL resumes it where it stopped", async () => {
    writeChain(folder);
    // The rollback drops scratch_b (fine), then scratch_gone, which does not exist.
    folder.handWritten(
      "0004_scratch",
      ["0003_first_item"],
      `    op.sql("CREATE TABLE scratch_a (id INTEGER PRIMARY KEY)", "DROP TABLE scratch_gone"),
    op.sql("CREATE TABLE scratch_b (id INTEGER PRIMARY KEY)", "DROP TABLE scratch_b"),`,
    );
    const m = await migrator();
    expect((await m.up()).error).toBeUndefined();
    const failed = await m.down();
    expect(failed.applied).toEqual([]);
    expect(failed.error).toMatchObject({
      id: "0004_scratch",
      direction: "down",
      step: 2,
      steps: 2,
      statement: "DROP TABLE scratch_gone",
    });
    if (engine.dialect === "mysql") {
      expect(failed.error!.resume).toMatch(
        /steps 1-1 of 2 are committed.*`plinth migrate down`: it resumes at step 2/,
      );
      expect((await m.status()).migrations[3]).toMatchObject({
        state: "partial",
        partial: { direction: "down", stepsDone: 1 },
      });
      await expect(m.up()).rejects.toThrow(
        /"0004_scratch" was partly rolled back \(1 step undone\); run `plinth migrate down`/,
      );
    } else {
      expect(failed.error!.resume).toMatch(/rolled back, so nothing of it is undone/);
      expect((await m.status()).migrations[3]!.state).toBe("applied");
      expect(await tables()).toContain("scratch_b");
    }
    await sql`CREATE TABLE scratch_gone (id INTEGER PRIMARY KEY)`.execute(db.kysely);
    const resumed = await m.down();
    expect(resumed.error).toBeUndefined();
    expect(resumed.applied.map((a) => a.id)).toEqual(["0004_scratch"]);
    expect(await tables()).toEqual(["item", "scratch_a"]);
    expect(await m.current()).toEqual(["0003_first_item"]);
  });

  it("reports a data step that throws, and nothing of its migration is left on transactional engines", async () => {
    writeChain(folder);
    folder.handWritten(
      "0004_broken_data",
      ["0003_first_item"],
      `    op.sql("CREATE TABLE scratch (id INTEGER PRIMARY KEY)", "DROP TABLE scratch"),
    op.data("fail on purpose", async () => { throw new Error("no luck"); }, async () => {}),`,
    );
    const result = await (await migrator()).up();
    expect(result.applied.map((a) => a.id)).toEqual(["0001_item", "0002_note", "0003_first_item"]);
    expect(result.error).toMatchObject({
      id: "0004_broken_data",
      operation: "fail on purpose",
      step: 2,
      statement: "data step: fail on purpose",
      message: "no luck",
    });
    if (engine.dialect !== "mysql") expect(await tables()).toEqual(["item"]);
  });

  it("applies each migration exactly once when two runners start together", async () => {
    writeChain(folder);
    const migrations: LoadedMigration[] = await loadMigrations(folder.dir);
    // pglite is one in-process database: both runners share it, and its pool serialises them.
    const other = engine.name === "pglite" ? db : await connect(url, schema({}));
    try {
      const [a, b] = await Promise.all([
        new Migrator({ db, migrations }).up(),
        new Migrator({ db: other, migrations }).up(),
      ]);
      expect(a.error).toBeUndefined();
      expect(b.error).toBeUndefined();
      expect([...a.applied, ...b.applied].map((x) => x.id).sort()).toEqual([
        "0001_item",
        "0002_note",
        "0003_first_item",
      ]);
      expect(await items()).toEqual(["first"]);
      const rows = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM plinth_migrations`.execute(db.kysely);
      expect(Number(rows.rows[0]!.n)).toBe(3);
    } finally {
      if (other !== db) await other.close();
    }
  });
});

const parentChild = schema({
  parent: table("parent", { id: col.id(), name: col.varchar(40) }),
  child: table("child", { id: col.id(), parentId: col.integer() }, {}),
});

describeEngines("migration runner and foreign keys", (engine) => {
  let folder: MigrationFolder;
  let db: Db;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    folder = new MigrationFolder();
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, schema({}));
    // A child table with a real foreign key to parent, and one row on each side.
    folder.handWritten(
      "0001_tables",
      [],
      `    op.createTable(${JSON.stringify(parentChild.model.tables.find((t) => t.name === "parent"))}),
    op.createTable(${JSON.stringify({
      ...parentChild.model.tables.find((t) => t.name === "child"),
      foreignKeys: [
        {
          name: "fk_child_parent",
          columns: ["parent_id"],
          refTable: "parent",
          refColumns: ["id"],
          onDelete: "restrict",
          onUpdate: "no action",
        },
      ],
    })}),
    op.sql("INSERT INTO parent (id, name) VALUES (1, 'p')", "DELETE FROM parent"),
    op.sql("INSERT INTO child (id, parent_id) VALUES (1, 1)", "DELETE FROM child"),`,
    );
  });
  afterEach(async () => {
    await db.close();
    await drop();
    folder.remove();
  });

  const count = async (t: string) =>
    Number(
      (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(t)}`.execute(db.kysely)).rows[0]!.n,
    );

  it("changes a referenced table (a rebuild on SQLite) and keeps rows and foreign keys", async () => {
    folder.handWritten(
      "0002_unique",
      ["0001_tables"],
      `    op.addUnique("parent", { name: "uq_parent_name", columns: ["name"] }),`,
    );
    const result = await new Migrator({ db, migrations: await loadMigrations(folder.dir) }).up();
    expect(result.error).toBeUndefined();
    expect(await count("parent")).toBe(1);
    expect(await count("child")).toBe(1);
    // Foreign keys are enforced again once the migration is done.
    await expect(sql`INSERT INTO child (id, parent_id) VALUES (2, 99)`.execute(db.kysely)).rejects.toThrow();
    await expect(sql`INSERT INTO parent (id, name) VALUES (2, 'p')`.execute(db.kysely)).rejects.toThrow();
  });

  it("drops and restores a foreign key (MySQL's guarded index drop runs only when the index exists)", async () => {
    folder.handWritten(
      "0002_drop_fk",
      ["0001_tables"],
      `    op.dropForeignKey("child", {
      name: "fk_child_parent",
      columns: ["parent_id"],
      refTable: "parent",
      refColumns: ["id"],
      onDelete: "restrict",
      onUpdate: "no action",
    }),`,
    );
    const m = new Migrator({ db, migrations: await loadMigrations(folder.dir) });
    expect((await m.up()).error).toBeUndefined();
    await sql`INSERT INTO child (id, parent_id) VALUES (2, 99)`.execute(db.kysely);
    await sql`DELETE FROM child WHERE id = 2`.execute(db.kysely);
    expect((await m.down()).error).toBeUndefined();
    await expect(sql`INSERT INTO child (id, parent_id) VALUES (2, 99)`.execute(db.kysely)).rejects.toThrow();
    expect((await m.up()).error).toBeUndefined();
  });

  it("fails a migration that would orphan rows, and keeps them", async () => {
    folder.handWritten(
      "0002_orphan",
      ["0001_tables"],
      `    op.addUnique("parent", { name: "uq_parent_name", columns: ["name"] }),
    op.data("delete every parent", async ({ db }) => { await db.deleteFrom("parent").execute(); }, async () => {}),`,
    );
    const m = new Migrator({ db, migrations: await loadMigrations(folder.dir) });
    const result = await m.up();
    expect(result.applied.map((a) => a.id)).toEqual(["0001_tables"]);
    if (engine.dialect === "sqlite") {
      // Foreign keys are off during a SQLite migration; the check before COMMIT catches the orphan.
      expect(result.error).toMatchObject({
        id: "0002_orphan",
        operation: "check foreign keys",
        statement: "PRAGMA foreign_key_check",
      });
      expect(result.error!.message).toMatch(/1 row of child .* references a missing row of parent/);
    } else {
      expect(result.error).toMatchObject({ id: "0002_orphan", operation: "delete every parent", step: 2 });
      expect(result.error!.message).toMatch(/foreign key/i);
    }
    expect(await count("parent")).toBe(1);
    expect(await count("child")).toBe(1);
    if (engine.dialect !== "mysql") {
      expect((await m.status()).migrations.map((s) => s.state)).toEqual(["applied", "pending"]);
      await expect(
        sql`INSERT INTO child (id, parent_id) VALUES (2, 99)`.execute(db.kysely),
      ).rejects.toThrow();
    }
  });
});
