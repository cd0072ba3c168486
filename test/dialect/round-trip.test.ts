/**
 * Databases plinth did not design: each fixture (a small DDL per defect, in the engine's own words)
 * and each public sample schema is loaded into one database, read back, rendered as the migration
 * from an empty database, applied to a second database and read back again. The two must not
 * differ; what plinth does not manage (views, triggers, functions…) must be listed, not dropped
 * silently and not claimed equal.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { SchemaModel, UnmanagedObject } from "plinth";
import { connect } from "plinth";
import { autodetect, EMPTY_STATE, migration, planUp } from "plinth/migrate";
import { schema } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { comparable, describeDifferences, introspect } from "../../src/dialect/index.js";
import type { TestEngine } from "../engines/matrix.js";
import { describeEngines } from "../engines/matrix.js";
import { haveSamples, PUBLIC_SAMPLES, SAMPLES_DIR, statements } from "../helpers/samples.js";

interface Result {
  source: SchemaModel;
  target: SchemaModel;
  differences: string[];
  unmanaged: UnmanagedObject[];
}

/** Loads `ddl` into one database, recreates it from its model in another, and compares the two. */
async function roundTrip(engine: TestEngine, ddl: string[]): Promise<Result> {
  const a = await engine.freshDatabase();
  const b = await engine.freshDatabase();
  const empty = schema({});
  const dbA = await connect(a.url, empty, { retry: { attempts: 1 } });
  const dbB = await connect(b.url, empty, { retry: { attempts: 1 } });
  try {
    for (const statement of ddl) await sql.raw(statement).execute(dbA.kysely);
    const source = await introspect(dbA.kysely as Kysely<any>, engine.dialect);
    const m = migration({
      id: "recreate",
      description: "recreate",
      parents: [],
      operations: autodetect(EMPTY_STATE, source).operations,
    });
    for (const o of planUp(m, EMPTY_STATE, engine.dialect).operations) {
      for (const step of o.steps) {
        if (!("sql" in step)) continue;
        if (step.onlyIf && (await sql.raw(step.onlyIf).execute(dbB.kysely)).rows.length === 0) continue;
        await sql.raw(step.sql).execute(dbB.kysely);
      }
    }
    const target = await introspect(dbB.kysely as Kysely<any>, engine.dialect);
    return {
      source,
      target,
      differences: describeDifferences(
        comparable(source, engine.dialect),
        comparable(target, engine.dialect),
      ),
      unmanaged: source.unmanaged ?? [],
    };
  } finally {
    await dbA.close();
    await dbB.close();
    await a.drop();
    await b.drop();
  }
}

const names = (objects: UnmanagedObject[]) => objects.map((o) => `${o.kind} ${o.name}`).sort();

/** Defect fixtures, per dialect: what other tools' databases hold. */
const FIXTURES: Record<
  "sqlite" | "postgres" | "mysql",
  Record<string, { ddl: string[]; unmanaged?: string[] }>
> = {
  sqlite: {
    "a table without a primary key": { ddl: ["CREATE TABLE log (message TEXT NOT NULL, at TEXT)"] },
    "declared types of a table without STRICT, kept as written": {
      ddl: [
        "CREATE TABLE track (id INTEGER PRIMARY KEY, name NVARCHAR(200) NOT NULL, price NUMERIC(10,2) DEFAULT 0.99, " +
          "bytes BLOB, added DATETIME DEFAULT CURRENT_TIMESTAMP, code CHAR(3))",
      ],
    },
    "a nullable TEXT primary key": { ddl: ["CREATE TABLE tag (name TEXT PRIMARY KEY, note TEXT)"] },
    "binary and generated columns, DESC indexes, expression defaults": {
      ddl: [
        "CREATE TABLE item (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, price REAL NOT NULL, " +
          "total REAL GENERATED ALWAYS AS (qty * price) STORED, label TEXT AS (upper(name)) VIRTUAL, name TEXT, " +
          "blob BLOB, day TEXT DEFAULT CURRENT_DATE) STRICT",
        "CREATE INDEX ix_item_qty_desc ON item (qty DESC, id)",
      ],
    },
    "views, triggers and virtual tables are listed": {
      ddl: [
        "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)",
        "CREATE VIEW long_notes AS SELECT * FROM note WHERE length(body) > 100",
        "CREATE TRIGGER note_audit AFTER INSERT ON note BEGIN SELECT 1; END",
        "CREATE VIRTUAL TABLE note_fts USING fts5(body)",
      ],
      unmanaged: ["trigger note_audit", "view long_notes", "virtual table note_fts"],
    },
  },
  postgres: {
    "a table without a primary key": { ddl: ["CREATE TABLE log (message text NOT NULL, at timestamptz)"] },
    "types kept as written: binary, arrays, smallint, char, numeric, timestamp precision and zone, json, tsvector":
      {
        ddl: [
          "CREATE TABLE doc (id serial PRIMARY KEY, data bytea, tags text[], flags int[] DEFAULT '{}', " +
            "rank smallint, code char(3), amount numeric, stamp timestamp(6), moment timestamptz, " +
            "raw json, search tsvector, created date DEFAULT CURRENT_DATE)",
        ],
      },
    "native enum types and domains": {
      ddl: [
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155)",
        "CREATE TABLE person (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, mood mood NOT NULL DEFAULT 'ok', born year)",
      ],
    },
    "expression defaults, sequences and generated columns": {
      ddl: [
        "CREATE SEQUENCE invoice_no START WITH 1000 INCREMENT BY 5",
        "CREATE TABLE invoice (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), no integer NOT NULL DEFAULT nextval('invoice_no'), " +
          "net numeric(10,2) NOT NULL, tax numeric(10,2) NOT NULL, gross numeric(10,2) GENERATED ALWAYS AS (net + tax) STORED)",
      ],
    },
    "index methods, DESC and INCLUDE": {
      ddl: [
        "CREATE TABLE event (id bigserial PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL, payload jsonb)",
        "CREATE INDEX ix_event_at ON event (at DESC) INCLUDE (kind)",
        "CREATE INDEX ix_event_payload ON event USING gin (payload)",
        "CREATE INDEX ix_event_kind_hash ON event USING hash (kind)",
        "CREATE INDEX ix_event_lower ON event (lower(kind))",
      ],
      unmanaged: ["expression index ix_event_lower"],
    },
    "partitioned tables": {
      ddl: [
        "CREATE TABLE measure (id bigint NOT NULL, at date NOT NULL, value double precision, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
        "CREATE TABLE measure_2024 PARTITION OF measure FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE measure_2025 PARTITION OF measure FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
      ],
    },
    "views, functions and triggers are listed": {
      ddl: [
        "CREATE TABLE note (id serial PRIMARY KEY, body text)",
        "CREATE VIEW long_notes AS SELECT * FROM note WHERE length(body) > 100",
        "CREATE FUNCTION note_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER note_touch BEFORE UPDATE ON note FOR EACH ROW EXECUTE FUNCTION note_touch()",
      ],
      unmanaged: ["function note_touch", "trigger note_touch", "view long_notes"],
    },
  },
  mysql: {
    "a table without a primary key": { ddl: ["CREATE TABLE log (message TEXT NOT NULL, at DATETIME)"] },
    "types kept as written: unsigned, small ints, float, char, text, blobs, enum, set, year, datetime": {
      ddl: [
        "CREATE TABLE film (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, length SMALLINT UNSIGNED, " +
          "rate FLOAT, code CHAR(3), blurb TEXT, poster MEDIUMBLOB, raw LONGBLOB, " +
          "rating ENUM('G','PG','R') DEFAULT 'G', features SET('Trailers','Commentaries'), released YEAR, " +
          "updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, seen DATETIME)",
      ],
    },
    "expression defaults, generated columns, prefix and DESC indexes": {
      ddl: [
        "CREATE TABLE line (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, qty INT NOT NULL, price DECIMAL(10,2) NOT NULL, " +
          "total DECIMAL(12,2) AS (qty * price) STORED, note VARCHAR(500), day DATE DEFAULT (CURRENT_DATE))",
        "CREATE INDEX ix_line_note ON line (note(20))",
        "CREATE INDEX ix_line_qty ON line (qty DESC)",
      ],
    },
    "foreign keys served by a declared index get no index of their own": {
      ddl: [
        "CREATE TABLE parent (id INT NOT NULL PRIMARY KEY)",
        "CREATE TABLE child (parent_id INT NOT NULL, slot INT NOT NULL, PRIMARY KEY (parent_id, slot), " +
          "CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id))",
      ],
    },
    "views, triggers and routines are listed": {
      ddl: [
        "CREATE TABLE note (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, body TEXT)",
        "CREATE VIEW long_notes AS SELECT * FROM note WHERE CHAR_LENGTH(body) > 100",
        "CREATE TRIGGER note_check BEFORE INSERT ON note FOR EACH ROW SET NEW.body = TRIM(NEW.body)",
        "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
      ],
      unmanaged: ["function twice", "trigger note_check", "view long_notes"],
    },
  },
};

/**
 * Each round trip opens two databases; on PGlite that is two WebAssembly PostgreSQL starts, which
 * take tens of seconds on a loaded 2-core machine. The budget is for that, not for the comparison.
 */
const ROUND_TRIP_BUDGET = 180_000;

describeEngines(
  "round trip of databases plinth did not design",
  (engine) => {
    for (const [title, fixture] of Object.entries(FIXTURES[engine.dialect])) {
      it(`${title}: recreated with no drift`, async () => {
        const result = await roundTrip(engine, fixture.ddl);
        expect(result.differences).toEqual([]);
        expect(names(result.unmanaged)).toEqual((fixture.unmanaged ?? []).sort());
        expect(result.source.tables.length).toBeGreaterThan(0);
      });
    }
  },
  { timeout: ROUND_TRIP_BUDGET },
);

describe.skipIf(!haveSamples())("public sample schemas", () => {
  describeEngines(
    "round trip",
    (engine) => {
      for (const [name, files] of Object.entries(PUBLIC_SAMPLES)) {
        const sample = files.find((f) => f.dialect === engine.dialect);
        if (!sample) continue;
        it(`${name}: recreated from its model with no drift`, async () => {
          const result = await roundTrip(
            engine,
            statements(readFileSync(join(SAMPLES_DIR, sample.file), "utf8")),
          );
          expect(result.source.tables).toHaveLength(sample.tables);
          expect(result.differences).toEqual([]);
        });
      }
    },
    { timeout: ROUND_TRIP_BUDGET },
  );
});

describeEngines("a table that a view reads, rebuilt", (engine) => {
  // Only SQLite rebuilds a table to change it; elsewhere ALTER TABLE leaves the view alone.
  it.skipIf(engine.dialect !== "sqlite")(
    "drops the column and keeps the view and the table's trigger (SQLite rebuilds the table)",
    async () => {
      const { url, drop } = await engine.freshDatabase();
      const db = await connect(url, schema({}), { retry: { attempts: 1 } });
      try {
        for (const statement of [
          "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, extra TEXT)",
          "CREATE VIEW long_notes AS SELECT id, body FROM note WHERE length(body) > 3",
          "CREATE TRIGGER note_trim AFTER INSERT ON note BEGIN UPDATE note SET body = trim(body) WHERE id = NEW.id; END",
          "INSERT INTO note (body, extra) VALUES ('a long note', 'x')",
        ])
          await sql.raw(statement).execute(db.kysely);
        const before = await introspect(db.kysely as Kysely<any>, "sqlite");
        const wanted = structuredClone(before);
        const note = wanted.tables.find((t) => t.name === "note")!;
        note.columns = note.columns.filter((c) => c.name !== "extra");
        const m = migration({
          id: "drop_extra",
          description: "drop extra",
          parents: [],
          operations: autodetect(before, wanted).operations,
        });
        await db.transaction(async (trx) => {
          for (const o of planUp(m, before, "sqlite").operations)
            for (const step of o.steps) if ("sql" in step) await sql.raw(step.sql).execute(trx);
        });
        const after = await introspect(db.kysely as Kysely<any>, "sqlite");
        expect(after.tables.find((t) => t.name === "note")!.columns.map((c) => c.name)).toEqual([
          "id",
          "body",
        ]);
        expect(names(after.unmanaged ?? [])).toEqual(["trigger note_trim", "view long_notes"]);
        const { rows } = await sql`SELECT body FROM long_notes`.execute(db.kysely);
        expect(rows).toEqual([{ body: "a long note" }]);
        await sql`INSERT INTO note (body) VALUES ('  padded  ')`.execute(db.kysely);
        const trimmed = await sql<{ body: string }>`SELECT body FROM note ORDER BY id DESC LIMIT 1`.execute(
          db.kysely,
        );
        expect(trimmed.rows[0]!.body).toBe("padded");
      } finally {
        await db.close();
        await drop();
      }
    },
  );
});
