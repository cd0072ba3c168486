import type { LoadedMigration, Migration } from "plinth/migrate";
import { autodetect, EMPTY_STATE, migration, op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { verifyMigrations } from "../../src/migrate/verify.js";
import { describeEngines } from "../engines/matrix.js";

const v1 = schema({ note: table("note", { id: col.id(), body: col.varchar(100) }) });
const v2 = schema({
  note: table(
    "note",
    { id: col.id(), body: col.varchar(100), pinned: col.boolean().default(false) },
    { indexes: [["pinned"]] },
  ),
});

const first = migration({
  id: "0001",
  description: "notes",
  parents: [],
  operations: autodetect(EMPTY_STATE, v1.model).operations,
});
const second = migration({
  id: "0002",
  description: "pin notes",
  parents: ["0001"],
  operations: autodetect(v1.model, v2.model).operations,
});
const loaded = (...ms: Migration[]): LoadedMigration[] =>
  ms.map((m) => ({ migration: m, file: `${m.id}.ts`, checksum: m.id }));

describe("verify: the history's structure and its end state", () => {
  it("passes a linear history that ends at the declaration", async () => {
    const report = await verifyMigrations({
      migrations: loaded(first, second),
      targets: [],
      declared: v2.model,
    });
    expect(report.structure).toEqual([]);
    expect(report.declaration).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("reports a missing description, a second root and unmerged heads", async () => {
    const noDescription = migration({
      id: "0002b",
      description: " ",
      parents: ["0001"],
      operations: [op.sql("SELECT 1", "SELECT 1")],
    });
    const orphan = migration({ id: "0009", description: "orphan", parents: [], operations: [] });
    const report = await verifyMigrations({
      migrations: loaded(first, second, noDescription, orphan),
      targets: [],
    });
    expect(report.structure).toEqual(
      expect.arrayContaining([
        "0002b has no description",
        expect.stringMatching(/several migrations have no parent \(0001, 0009\)/),
        expect.stringMatching(/unmerged heads .*0002.*0002b.*merge/),
      ]),
    );
    expect(report.ok).toBe(false);
  });

  it("reports branches that cannot be replayed together instead of failing", async () => {
    const twin = migration({ ...second, id: "0002b", description: "pin notes, again" });
    const report = await verifyMigrations({ migrations: loaded(first, second, twin), targets: [] });
    expect(report.structure.join("\n")).toMatch(/column pinned already exists on note/);
    expect(report.ok).toBe(false);
  });

  it("reports a declaration the migrations do not reach", async () => {
    const report = await verifyMigrations({ migrations: loaded(first), targets: [], declared: v2.model });
    expect(report.declaration.join("\n")).toMatch(/add column note\.pinned.*plinth migrate make/);
    expect(report.ok).toBe(false);
  });

  it("lints every migration", async () => {
    const report = await verifyMigrations({ migrations: loaded(first, second), targets: [] });
    expect(report.lint.map((f) => f.rule)).toEqual(["create-index-non-concurrently"]);
  });
});

describeEngines("verify on a scratch database", (engine) => {
  it("runs up, down and up again for every migration and finds the live schema as claimed", async () => {
    const { url, drop } = await engine.freshDatabase();
    try {
      const report = await verifyMigrations({
        migrations: loaded(first, second),
        targets: [{ name: engine.name, url }],
        declared: v2.model,
      });
      expect(report.engines[0]!.error).toBeUndefined();
      expect(report.engines[0]!.checks.map((c) => `${c.migration} ${c.stage}`)).toEqual([
        "0001 up",
        "0001 down",
        "0001 rows kept",
        "0001 up again",
        "0002 up",
        "0002 down",
        "0002 rows kept",
        "0002 up again",
        "(all) down",
      ]);
      expect(report.engines[0]!.checks.every((c) => c.differences.length === 0)).toBe(true);
      expect(report.engines[0]!.emptyTables).toEqual([]);
      expect(report.ok).toBe(true);
    } finally {
      await drop();
    }
  });

  it("catches a raw SQL step whose reverse does not undo it", async () => {
    const { url, drop } = await engine.freshDatabase();
    const dishonest = migration({
      id: "0002",
      description: "an index the schema does not know about, never dropped",
      parents: ["0001"],
      operations: [op.sql("CREATE INDEX ix_stray ON note (body)", "SELECT 1")],
    });
    try {
      const report = await verifyMigrations({
        migrations: loaded(first, dishonest),
        targets: [{ name: engine.name, url }],
      });
      const up = report.engines[0]!.checks.find((c) => c.migration === "0002" && c.stage === "up")!;
      expect(up.differences).toEqual(["unexpected index ix_stray on note"]);
      expect(report.ok).toBe(false);
    } finally {
      await drop();
    }
  });

  describe("over sample rows made from the declaration", () => {
    /** Verifies `first` then one more migration of `operations`, on a fresh database. */
    const verifySecond = async (operations: ReturnType<typeof op.sql>[]) => {
      const { url, drop } = await engine.freshDatabase();
      try {
        const next = migration({ id: "0002", description: "change notes", parents: ["0001"], operations });
        return await verifyMigrations({
          migrations: loaded(first, next),
          targets: [{ name: engine.name, url }],
        });
      } finally {
        await drop();
      }
    };
    const body = v1.model.tables[0]!.columns.find((c) => c.name === "body")!;

    it("catches a NOT NULL column added without a default to a table that holds rows", async () => {
      const report = await verifySecond([
        op.addColumn("note", { ...body, name: "title", key: "title", nullable: false }),
      ]);
      expect(report.ok).toBe(false);
      expect(report.engines[0]!.error).toMatch(/^0002 up over sample rows in note: /);
    });

    it("catches a type narrowed below the values the rows hold", async () => {
      const narrowed = { ...body, type: { kind: "varchar" as const, length: 10 } };
      const report = await verifySecond([op.alterColumn("note", body, narrowed)]);
      expect(report.ok).toBe(false);
      expect(report.engines[0]!.error).toMatch(/^0002 up over sample rows in note: /);
    });

    it("catches a down that does not give the rows back", async () => {
      const report = await verifySecond([op.sql("UPDATE note SET body = 'rewritten'", "SELECT 1")]);
      expect(report.engines[0]!.error).toBeUndefined();
      const kept = report.engines[0]!.checks.find((c) => c.migration === "0002" && c.stage === "rows kept")!;
      expect(kept.differences).toEqual(["note: values of body changed by up and down"]);
      expect(report.ok).toBe(false);
    });

    it("does not blame the down for the values of a column its up drops", async () => {
      const nullable = { ...body, nullable: true };
      const withNullable = migration({
        id: "0002",
        description: "a nullable column",
        parents: ["0001"],
        operations: [op.addColumn("note", { ...nullable, name: "extra", key: "extra" })],
      });
      const { url, drop } = await engine.freshDatabase();
      try {
        const dropIt = migration({
          id: "0003",
          description: "drop it again",
          parents: ["0002"],
          operations: [op.dropColumn("note", { ...nullable, name: "extra", key: "extra" })],
        });
        const report = await verifyMigrations({
          migrations: loaded(first, withNullable, dropIt),
          targets: [{ name: engine.name, url }],
        });
        expect(report.engines[0]!.error).toBeUndefined();
        const kept = report.engines[0]!.checks.find(
          (c) => c.migration === "0003" && c.stage === "rows kept",
        )!;
        expect(kept.differences).toEqual([]);
        expect(report.ok).toBe(true);
      } finally {
        await drop();
      }
    });
  });
});
