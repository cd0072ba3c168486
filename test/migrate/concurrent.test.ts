import { sql } from "kysely";
import { connect } from "plinth";
import type { LoadedMigration, Migration } from "plinth/migrate";
import { autodetect, EMPTY_STATE, Migrator, migration, op, planUp } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";

const notes = schema({ note: table("note", { id: col.id(), body: col.varchar(100) }) });
const create = migration({
  id: "0001",
  description: "notes",
  parents: [],
  operations: autodetect(EMPTY_STATE, notes.model).operations,
});
const index = { name: "ix_note_body", columns: ["body"], unique: false };
const concurrent = migration({
  id: "0002",
  description: "index without blocking writes",
  parents: ["0001"],
  operations: [op.addIndex("note", index, { concurrently: true })],
});
const loaded = (...ms: Migration[]): LoadedMigration[] =>
  ms.map((m) => ({ migration: m, file: `${m.id}.ts`, checksum: m.id }));

it("renders CREATE INDEX CONCURRENTLY on PostgreSQL only, as a step outside the transaction", () => {
  const pg = planUp(concurrent, notes.model, "postgres").operations[0]!.steps;
  expect(pg).toEqual([
    {
      sql: `CREATE INDEX CONCURRENTLY "ix_note_body" ON "note" ("body")`,
      outsideTransaction: true,
      // A run resuming after a killed build finds the index done, or drops its INVALID leftover first.
      resume: {
        done: `SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('"ix_note_body"') AND indisvalid`,
        cleanup: `DROP INDEX CONCURRENTLY IF EXISTS "ix_note_body"`,
      },
    },
  ]);
  const sqlite = planUp(concurrent, notes.model, "sqlite").operations[0]!.steps;
  expect(sqlite).toEqual([{ sql: `CREATE INDEX "ix_note_body" ON "note" ("body")` }]);
});

describeEngines("a migration with a concurrent index", (engine) => {
  it("applies and rolls back through the runner", async () => {
    const { url, drop } = await engine.freshDatabase();
    const db = await connect(url, notes, { retry: { attempts: 1 } });
    try {
      const migrator = new Migrator({ db, migrations: loaded(create, concurrent) });
      const up = await migrator.up();
      expect(up.error).toBeUndefined();
      expect(up.applied.map((a) => a.id)).toEqual(["0001", "0002"]);
      await sql`INSERT INTO note (body) VALUES ('x')`.execute(db.kysely);
      expect(await migrator.current()).toEqual(["0002"]);
      const down = await migrator.down(1);
      expect(down.error).toBeUndefined();
      expect(await migrator.current()).toEqual(["0001"]);
    } finally {
      await db.close();
      await drop();
    }
  });
});
