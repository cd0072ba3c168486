/**
 * Full-text search from a declared `fullText` index: GIN over a weighted tsvector on PostgreSQL, FTS5
 * with triggers on SQLite, InnoDB FULLTEXT on MySQL; one `search()` that ranks the same way on each.
 */

import { sql } from "kysely";
import { search } from "plinth";
import { col, schema, softDelete, table, timestamps, uuidPrimaryKey } from "plinth/schema";
import { beforeAll, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const article = table(
  "article",
  {
    ...uuidPrimaryKey(),
    title: col.varchar(200),
    content: col.text(),
    kind: col.varchar(20).default("doc"),
    reviewerNote: col.varchar(100).nullable().hidden(),
    ...timestamps(),
    ...softDelete(),
  },
  { fullText: { columns: { title: "A", content: "B" } } },
);

/** An integer key is SQLite's rowid: the FTS5 table is keyed by it directly. */
const note = table(
  "note",
  { id: col.id(), body: col.text().nullable() },
  { fullText: { name: "ft_note_body", columns: { body: "A" }, language: "simple" } },
);

const s = schema({ article, note });

describeEngines("full-text search", (engine) => {
  const fx = useFreshDb(engine, s);

  beforeAll(async () => {
    const articles = fx.db.repo("article");
    await articles.create({
      title: "Volcano eruptions explained",
      content: "Magma rises through the crust.",
    });
    await articles.create({ title: "A history of islands", content: "Many islands began as a volcano." });
    await articles.create({
      title: "Gardening basics",
      content: "Water the plants every morning.",
      reviewerNote: "volcano",
    });
    await articles.create({
      title: "Recipes",
      content: "Bake bread; volcano cake is optional.",
      kind: "recipe",
    });
  });

  it("ranks a title match above a content-only match, best first", async () => {
    const hits = await search(fx.db, "article", "volcano");
    expect(hits.map((h) => h.title)[0]).toBe("Volcano eruptions explained");
    expect(hits.map((h) => h.title).sort()).toEqual(
      ["A history of islands", "Recipes", "Volcano eruptions explained"].sort(),
    );
    for (const [a, b] of hits.slice(1).map((h, i) => [hits[i]!, h] as const))
      expect(a.rank).toBeGreaterThanOrEqual(b.rank);
    expect(hits[0]!.rank).toBeGreaterThan(hits[1]!.rank);
    // Rows come back decoded like any repository read, hidden columns left out.
    expect(hits[0]!.createdAt).toBeInstanceOf(Date);
    expect(Object.keys(hits[0]!)).not.toContain("reviewerNote");
    expect(Object.keys(hits[0]!)).toEqual(expect.arrayContaining(["id", "title", "content", "kind", "rank"]));
  });

  it("requires every word, and narrows with where, limit and offset", async () => {
    const both = await search(fx.db, "article", "volcano islands");
    expect(both.map((h) => h.title)).toEqual(["A history of islands"]);
    const recipes = await search(fx.db, "article", "volcano", { where: { kind: "recipe" } });
    expect(recipes.map((h) => h.title)).toEqual(["Recipes"]);
    const first = await search(fx.db, "article", "volcano", { limit: 1 });
    const rest = await search(fx.db, "article", "volcano", { offset: 1, limit: 10 });
    expect(first).toHaveLength(1);
    expect([...first, ...rest].map((h) => h.id)).toEqual(
      (await search(fx.db, "article", "volcano")).map((h) => h.id),
    );
    expect(await search(fx.db, "article", "nonexistentword")).toEqual([]);
    // Stopwords do not make a query fail (InnoDB and PostgreSQL do not index them).
    if (engine.dialect !== "sqlite") expect((await search(fx.db, "article", "the volcano")).length).toBe(3);
    // The same search from the table's repository.
    expect(await fx.db.repo("article").search("volcano islands")).toEqual(both);
  });

  it("sees updates and deletes", async () => {
    const articles = fx.db.repo("article");
    const row = await articles.create({ title: "Glaciers", content: "Ice moves slowly downhill." });
    expect((await search(fx.db, "article", "glaciers")).map((h) => h.id)).toEqual([row.id]);

    await articles.update(row.id, { title: "Icebergs" });
    expect(await search(fx.db, "article", "glaciers")).toEqual([]);
    expect((await search(fx.db, "article", "icebergs")).map((h) => h.id)).toEqual([row.id]);

    await articles.update(row.id, { content: "Frozen water drifting at sea." });
    expect(await search(fx.db, "article", "downhill")).toEqual([]);
    expect((await search(fx.db, "article", "drifting")).map((h) => h.id)).toEqual([row.id]);

    // Soft-deleted rows are left out unless asked for; a hard delete removes the row from the index.
    await articles.delete(row.id);
    expect(await search(fx.db, "article", "icebergs")).toEqual([]);
    expect((await search(fx.db, "article", "icebergs", { withDeleted: true })).map((h) => h.id)).toEqual([
      row.id,
    ]);
    await fx.db.kysely.deleteFrom("article").where("id", "=", row.id).execute();
    expect(await search(fx.db, "article", "icebergs", { withDeleted: true })).toEqual([]);
  });

  it("never turns query text into a syntax error", async () => {
    const nasty = [
      `"unbalanced`,
      "volcano AND OR NOT",
      "title:volcano",
      "volcano*",
      "(volcano",
      "-volcano +magma",
      "volcano' OR 1=1 --",
      "a & b | !c <-> d",
      "NEAR(volcano magma)",
      "@@ :: ^ ~ \\ ' ` ; %",
      "",
      "   ",
      "😀 volcano",
    ];
    for (const q of nasty) {
      const hits = await search(fx.db, "article", q);
      expect(Array.isArray(hits), q).toBe(true);
    }
    // Operators are ordinary text: the words still match.
    expect((await search(fx.db, "article", "(volcano")).length).toBe(3);
    expect((await search(fx.db, "article", "magma) + (crust")).map((h) => h.title)).toEqual([
      "Volcano eruptions explained",
    ]);
  });

  it("indexes rows that existed before, and tables keyed by an integer", async () => {
    const notes = fx.db.repo("note");
    const a = await notes.create({ body: "orbital mechanics primer" });
    await notes.create({ body: null });
    const b = await notes.create({ body: "mechanics of bicycles" });
    const hits = await search(fx.db, "note", "mechanics");
    expect(hits.map((h) => h.id).sort()).toEqual([a.id, b.id].sort());
    await notes.update(a.id, { body: "celestial navigation" });
    expect((await search(fx.db, "note", "mechanics")).map((h) => h.id)).toEqual([b.id]);
  });

  it.runIf(engine.dialect === "postgres")("serves the match from the GIN index", async () => {
    await sql`SET enable_seqscan = off`.execute(fx.db.kysely);
    const plan = await sql<Record<string, string>>`EXPLAIN SELECT id FROM article
      WHERE ${sql.raw(
        "setweight(to_tsvector('english'::regconfig, coalesce(\"title\", '')), 'A'::\"char\") || setweight(to_tsvector('english'::regconfig, coalesce(\"content\", '')), 'B'::\"char\")",
      )} @@ plainto_tsquery('english', 'volcano')`.execute(fx.db.kysely);
    await sql`SET enable_seqscan = on`.execute(fx.db.kysely);
    expect(plan.rows.map((r) => Object.values(r)[0]).join("\n")).toContain("ft_article");
  });
});
