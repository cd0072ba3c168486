/**
 * Full-text indexes through the whole pipeline: DDL, introspection (no drift), the autodetector,
 * reversible operations on every engine (SQLite's table rebuild keeps the FTS5 table and triggers
 * right), and search over rows that were there before each migration.
 */
import { randomUUID } from "node:crypto";
import type { Db, SchemaModel } from "plinth";
import { connect, search } from "plinth";
import type { LoadedMigration, Migration } from "plinth/migrate";
import { applyOperations, autodetect, EMPTY_STATE, migration, op, reverseOperation } from "plinth/migrate";
import type { Schema } from "plinth/schema";
import { col, schema, snapshotJson, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import {
  comparable,
  describeDifferences,
  dialectOf,
  introspect,
  renderSchema,
} from "../../src/dialect/index.js";
import { verifyMigrations } from "../../src/migrate/verify.js";
import { describeEngines } from "../engines/matrix.js";
import { applyMigration } from "../helpers/apply.js";

/** v1: no full-text index yet. */
const v1 = schema({
  article: table("article", {
    id: col.uuidPk(),
    title: col.varchar(200),
    content: col.text(),
    lang: col.varchar(10).default("en"),
  }),
  note: table("note", { id: col.id(), body: col.text().nullable() }),
});

/** v2: title A, content B. */
const v2 = schema({
  article: table(
    "article",
    { id: col.uuidPk(), title: col.varchar(200), content: col.text(), lang: col.varchar(10).default("en") },
    { fullText: { columns: { title: "A", content: "B" } } },
  ),
  note: table("note", { id: col.id(), body: col.text().nullable() }),
});

/**
 * v3: content renamed to body (a rebuild on SQLite), weights changed, a CHECK added (another rebuild),
 * and a full-text index on the integer-keyed table.
 */
const v3 = schema({
  article: table(
    "article",
    {
      id: col.uuidPk(),
      title: col.varchar(200),
      body: col.text(),
      lang: col.varchar(10).default("en").minLength(2),
    },
    { fullText: { columns: { title: "B", body: "A" } } },
  ),
  note: table(
    "note",
    { id: col.id(), body: col.text().nullable() },
    { fullText: { columns: { body: "A" }, language: "simple" } },
  ),
});

/** v4: the article table renamed; its full-text index keeps an explicit name. */
const v4 = schema({
  post: table(
    "post",
    {
      id: col.uuidPk(),
      title: col.varchar(200),
      body: col.text(),
      lang: col.varchar(10).default("en").minLength(2),
    },
    { fullText: { name: "ft_article", columns: { title: "B", body: "A" } } },
  ),
  note: table(
    "note",
    { id: col.id(), body: col.text().nullable() },
    { fullText: { columns: { body: "A" }, language: "simple" } },
  ),
});

const history: Migration[] = [
  migration({
    id: "0001",
    description: "articles",
    parents: [],
    operations: autodetect(EMPTY_STATE, v1.model).operations,
  }),
  migration({
    id: "0002",
    description: "search articles",
    parents: ["0001"],
    operations: autodetect(v1.model, v2.model).operations,
  }),
  migration({
    id: "0003",
    description: "rename content, reweigh, search notes",
    parents: ["0002"],
    operations: autodetect(v2.model, v3.model, { columns: { "article.content": "body" } }).operations,
  }),
  migration({
    id: "0004",
    description: "articles become posts",
    parents: ["0003"],
    operations: autodetect(v3.model, v4.model, { tables: { article: "post" } }).operations,
  }),
];
const loaded: LoadedMigration[] = history.map((m) => ({ migration: m, file: `${m.id}.ts`, checksum: m.id }));

describe("full-text declarations and operations", () => {
  it("is part of the model and the snapshot, with declaration order and defaults", () => {
    const ft = v2.model.tables.find((t) => t.name === "article")!.fullText;
    expect(ft).toEqual({
      name: "ft_article",
      columns: [
        { column: "title", weight: "A" },
        { column: "content", weight: "B" },
      ],
      language: "english",
    });
    expect(snapshotJson(v2)).toContain('"fullText"');
    expect(snapshotJson(v1)).not.toContain("fullText");
  });

  it("refuses non-text columns, unknown columns and bad weights at declaration", () => {
    expect(() =>
      table("x", { id: col.id(), n: col.integer() }, { fullText: { columns: { n: "A" } } }),
    ).toThrow(/x\.n: a full-text index needs varchar or text columns, not integer/);
    expect(() =>
      table("x", { id: col.id(), t: col.text() }, { fullText: { columns: { nope: "A" } as never } }),
    ).toThrow(/unknown column "nope"/);
    expect(() =>
      table("x", { id: col.id(), t: col.text() }, { fullText: { columns: { t: "E" as never } } }),
    ).toThrow(/weight must be "A", "B", "C" or "D"/);
    expect(() =>
      table("x", { id: col.id(), rank: col.text() }, { fullText: { columns: { rank: "A" } } }),
    ).toThrow(/x\.rank: "rank" cannot be a full-text column/);
  });

  it("detects added, changed and removed indexes, with exact reverses", () => {
    const added = autodetect(v1.model, v2.model).operations;
    expect(added.map((o) => o.op)).toEqual(["addFullText"]);
    const changed = autodetect(v2.model, v3.model, { columns: { "article.content": "body" } }).operations;
    expect(changed.map((o) => o.op)).toEqual(
      expect.arrayContaining(["renameColumn", "dropFullText", "addFullText", "addCheck"]),
    );
    // The drop comes before the column work, the add after it.
    const kinds = changed.map((o) => o.op);
    expect(kinds.indexOf("dropFullText")).toBeLessThan(kinds.indexOf("addFullText"));
    expect(autodetect(v2.model, v1.model).operations.map((o) => o.op)).toEqual(["dropFullText"]);
    expect(autodetect(v2.model, v2.model).operations).toEqual([]);
    const state = applyOperations(v1.model, added);
    expect(state).toEqual(v2.model);
    expect(applyOperations(state, added.map(reverseOperation).reverse())).toEqual(v1.model);
    expect(reverseOperation(op.addFullText("article", v2.model.tables[0]!.fullText!)).op).toBe(
      "dropFullText",
    );
  });

  it("renders each engine's DDL", () => {
    const [pg, lite, my] = (["postgres", "sqlite", "mysql"] as const).map((d) =>
      renderSchema(v2.model, dialectOf(d)).join(";\n"),
    );
    expect(pg).toMatch(
      /CREATE INDEX "ft_article" ON "article" USING gin \(\(setweight\(to_tsvector\('english'::regconfig, coalesce\("title", ''\)\), 'A'::"char"\) \|\| setweight/,
    );
    expect(lite).toMatch(
      /CREATE VIRTUAL TABLE "ft_article" USING fts5\("title", "content", content='article', tokenize='porter unicode61'\)/,
    );
    expect(lite).toMatch(/bm25\(1\.0, 0\.4\)/);
    expect(lite).toMatch(/CREATE TRIGGER "ft_article_au" AFTER UPDATE OF "title", "content" ON "article"/);
    expect(my).toMatch(/CREATE FULLTEXT INDEX `ft_article` ON `article` \(`title`, `content`\)/);
    expect(my).toMatch(/CREATE FULLTEXT INDEX `ft_article_1` ON `article` \(`title`\)/);
  });

  it("passes structure, declaration and lint checks of verify", async () => {
    const report = await verifyMigrations({ migrations: loaded, targets: [], declared: v4.model });
    expect(report.structure).toEqual([]);
    expect(report.declaration).toEqual([]);
  });
});

describeEngines("full-text migrations", (engine) => {
  it("verify: up, compare, down, compare, up again for every migration", async () => {
    const { url, drop } = await engine.freshDatabase();
    try {
      const report = await verifyMigrations({
        migrations: loaded,
        targets: [{ name: engine.name, url }],
        declared: v4.model,
      });
      const problems = report.engines.flatMap((e) => [
        ...(e.error ? [e.error] : []),
        ...e.checks.flatMap((c) => c.differences.map((d) => `${c.migration} ${c.stage}: ${d}`)),
      ]);
      expect(problems).toEqual([]);
      expect(report.ok).toBe(true);
    } finally {
      await drop();
    }
  });

  it("keeps search right over existing rows through every migration and back", async () => {
    const { url, drop } = await engine.freshDatabase();
    // One connection throughout (an in-memory PGlite is a new database per connection); each schema
    // version is a view of it for search().
    const raw = await connect(url, v1, { retry: { attempts: 1 } });
    const as = <S extends Schema>(s: S) => ({ ...raw, schema: s, dialect: raw.dialect }) as unknown as Db<S>;
    const insert = (t: string, row: Record<string, unknown>) =>
      raw.kysely
        .insertInto(t as never)
        .values({ id: randomUUID(), ...row } as never)
        .execute();
    try {
      let state: SchemaModel = EMPTY_STATE;
      state = await applyMigration(raw.kysely, engine.dialect, history[0]!, state);
      await insert("article", { title: "Volcano facts", content: "Lava and ash." });
      await insert("article", { title: "Islands", content: "Some began as a volcano." });
      await raw.kysely.insertInto("note").values({ body: "orbital mechanics" }).execute();

      state = await applyMigration(raw.kysely, engine.dialect, history[1]!, state);
      const two = as(v2);
      expect((await search(two, "article", "volcano")).map((h) => h.title)).toEqual([
        "Volcano facts",
        "Islands",
      ]);
      await expectNoDrift(two, state, engine.dialect);

      state = await applyMigration(raw.kysely, engine.dialect, history[2]!, state);
      const three = as(v3);
      // body now weighs A and title B: the body match outranks the title match.
      expect((await search(three, "article", "volcano")).map((h) => h.title)).toEqual([
        "Islands",
        "Volcano facts",
      ]);
      await insert("article", { title: "Ash clouds", body: "A volcano far away." });
      expect(await search(three, "article", "volcano")).toHaveLength(3);
      expect((await search(three, "note", "mechanics")).map((h) => h.body)).toEqual(["orbital mechanics"]);
      await expectNoDrift(three, state, engine.dialect);

      state = await applyMigration(raw.kysely, engine.dialect, history[3]!, state);
      const four = as(v4);
      const posts = await search(four, "post", "volcano");
      expect(posts).toHaveLength(3);
      // Writes after the rename still reach the index.
      await raw.kysely
        .updateTable("post" as never)
        .set({ body: "nothing to see", title: "Quiet" } as never)
        .where("id" as never, "=", posts[0]!.id as never)
        .execute();
      expect(await search(four, "post", "volcano")).toHaveLength(2);
      await expectNoDrift(four, state, engine.dialect);

      // Back down to v2: the index is there again, over the rows as they are now.
      for (const m of [history[3]!, history[2]!]) {
        const before = applyOperations(
          EMPTY_STATE,
          history.slice(0, history.indexOf(m)).flatMap((x) => x.operations),
        );
        await applyMigration(raw.kysely, engine.dialect, m, before, "down");
        state = before;
      }
      expect((await search(two, "article", "volcano")).map((h) => h.id).sort()).toEqual(
        posts
          .slice(1)
          .map((h) => h.id)
          .sort(),
      );
      await expectNoDrift(two, state, engine.dialect);
    } finally {
      await raw.close();
      await drop();
    }
  });
});

async function expectNoDrift(db: Db<any>, state: SchemaModel, dialect: "sqlite" | "postgres" | "mysql") {
  const live = comparable(await introspect(db.kysely, dialect), dialect);
  expect(describeDifferences(comparable(state, dialect), live)).toEqual([]);
  expect(describeDifferences(comparable(db.schema.model, dialect), live)).toEqual([]);
}
