/**
 * A runner stopped between a statement that commits by itself and the counter that records it
 * (killed, or its connection lost) leaves its migration marked running. The next run finds the
 * statement done (or half done: PostgreSQL's INVALID index) and carries on, instead of failing on
 * "already exists" or leaving the index invalid.
 */
import { sql } from "kysely";
import type { Db } from "plinth";
import { connect } from "plinth";
import { loadMigrations, Migrator, op } from "plinth/migrate";
import type { IndexModel } from "plinth/schema";
import { col, schema, table } from "plinth/schema";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { MigrationFolder } from "../helpers/migration-folder.js";

const item = table("item", { id: col.id(), name: col.varchar(40), code: col.integer().nullable() });
const app = schema({ item });
const v1 = schema({ item: table("item", { id: col.id(), name: col.varchar(40) }) }).model;
const codeColumn = app.model.tables[0]!.columns.find((c) => c.name === "code")!;
const index: IndexModel = { name: "ix_item_code", columns: ["code"], unique: false };

describeEngines("a migration resumed after its runner stopped", (engine) => {
  // SQLite and PostgreSQL run a migration in one transaction, which a stopped runner rolls back;
  // only statements that commit by themselves (MySQL's DDL, CONCURRENTLY) can be left half recorded.
  const stepwise = engine.dialect === "mysql" || engine.name === "postgres";
  let folder: MigrationFolder;
  let db: Db<typeof app>;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    folder = new MigrationFolder();
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, app, { retry: { attempts: 1 } });
    folder.generated("0001_item", [], [op.createTable(v1.tables[0]!)]);
    folder.generated(
      "0002_code",
      ["0001_item"],
      [op.addColumn("item", codeColumn), op.addIndex("item", index, { concurrently: true })],
    );
    const migrations = await loadMigrations(folder.dir);
    await new Migrator({ db, migrations }).up("0001_item");
    await sql`INSERT INTO item (name) VALUES ('a'), ('b')`.execute(db.kysely);
  });
  afterEach(async () => {
    await db.close();
    await drop();
    folder.remove();
  });

  /** The state a runner killed after `stepsDone` recorded steps leaves: a running history row. */
  async function stoppedAfter(stepsDone: number) {
    const migrations = await loadMigrations(folder.dir);
    const checksum = migrations.find((m) => m.migration.id === "0002_code")!.checksum;
    await sql`INSERT INTO plinth_migrations (id, checksum, status, steps_done, applied_at)
      VALUES ('0002_code', ${checksum}, 'running', ${stepsDone}, ${new Date().toISOString().slice(0, 19).replace("T", " ")})`.execute(
      db.kysely.withoutPlugins(),
    );
    return new Migrator({ db, migrations });
  }

  const indexValid = async (): Promise<boolean | undefined> => {
    if (engine.dialect === "mysql") {
      const { rows } =
        await sql`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'ix_item_code'`.execute(
          db.kysely,
        );
      return rows.length > 0 ? true : undefined;
    }
    const { rows } = await sql<{
      valid: boolean;
    }>`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('ix_item_code')`.execute(
      db.kysely,
    );
    return rows[0]?.valid;
  };

  // On PostgreSQL only CONCURRENTLY commits by itself; its other statements commit with their counter.
  it.skipIf(engine.dialect !== "mysql")(
    "DDL that took effect before its counter is recorded, not repeated (MySQL: DDL commits by itself)",
    async () => {
      // Stopped after ADD COLUMN committed, before its counter: nothing recorded yet.
      const m = await stoppedAfter(0);
      await sql`ALTER TABLE item ADD COLUMN code INTEGER NULL`.execute(db.kysely);
      const result = await m.up();
      expect(result.error).toBeUndefined();
      expect(result.applied.map((a) => a.id)).toEqual(["0002_code"]);
      expect(await indexValid()).toBe(true);
      expect((await m.history()).at(-1)).toMatchObject({ id: "0002_code", status: "applied" });
    },
  );

  it.skipIf(!stepwise)(
    "an index built before its counter is recorded, not built again (MySQL, PostgreSQL server)",
    async () => {
      const m = await stoppedAfter(1);
      await sql`ALTER TABLE item ADD COLUMN code INTEGER NULL`.execute(db.kysely);
      await sql`CREATE INDEX ix_item_code ON item (code)`.execute(db.kysely);
      const result = await m.up();
      expect(result.error).toBeUndefined();
      expect(await indexValid()).toBe(true);
    },
  );

  it.skipIf(engine.name !== "postgres")(
    "an INVALID index left by a killed CREATE INDEX CONCURRENTLY is dropped and built again (PostgreSQL server)",
    async () => {
      const m = await stoppedAfter(1);
      await sql`ALTER TABLE item ADD COLUMN code INTEGER NULL`.execute(db.kysely);
      // A concurrent build that fails half-way leaves its index behind, INVALID, as a killed one does.
      await sql`UPDATE item SET code = 1`.execute(db.kysely);
      await expect(
        sql`CREATE UNIQUE INDEX CONCURRENTLY ix_item_code ON item (code)`.execute(db.kysely),
      ).rejects.toThrow();
      expect(await indexValid()).toBe(false);
      const result = await m.up();
      expect(result.error).toBeUndefined();
      expect(await indexValid()).toBe(true);
      // The index is the migration's own (not unique), not the leftover.
      await sql`INSERT INTO item (name, code) VALUES ('c', 1)`.execute(db.kysely);
    },
  );

  it.skipIf(stepwise)(
    "a stopped run left nothing to resume: the migration was one transaction (SQLite, PGlite)",
    async () => {
      const m = new Migrator({ db, migrations: await loadMigrations(folder.dir) });
      const result = await m.up();
      expect(result.error).toBeUndefined();
      expect((await m.history()).map((h) => h.status)).toEqual(["applied", "applied"]);
    },
  );
});
