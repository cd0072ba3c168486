import { sql } from "kysely";
import type { FullTextModel, TableModel } from "../../schema/index.js";
import { constraintName } from "../../schema/names.js";
import { fullTextOf, WEIGHT_VALUE } from "../full-text.js";

/** SQLite: the triggers that keep the FTS5 table in step with its content table. */
export function sqliteFullTextTriggers(ft: FullTextModel): {
  insert: string;
  delete: string;
  update: string;
} {
  return {
    insert: constraintName([ft.name, "ai"]),
    delete: constraintName([ft.name, "ad"]),
    update: constraintName([ft.name, "au"]),
  };
}

/** SQLite: Porter stemming for English, plain Unicode word splitting for every other language. */
export function sqliteTokenizer(language: string): string {
  return language === "english" ? "porter unicode61" : "unicode61";
}

/** bm25() is smaller for better matches; it is negated so that higher is better everywhere. */
export function sqliteFullTextMatch(
  select: any,
  t: TableModel,
  words: string[],
  quote: (id: string) => string,
) {
  const ft = fullTextOf(t);
  const weights = ft.columns.map((c) => String(WEIGHT_VALUE[c.weight])).join(", ");
  // Each word quoted: FTS5 reads it as a plain string, never as an operator or a column filter.
  const match = words.map((w) => `"${w}"`).join(" ");
  const fts = sql.raw(quote(ft.name));
  const hits = sql`(SELECT rowid AS fts_rowid, -bm25(${fts}, ${sql.raw(weights)}) AS fts_rank
      FROM ${fts} WHERE ${fts} MATCH ${match})`;
  return select
    .innerJoin(hits.as("fts_hits"), (join: any) =>
      join.on(sql`${sql.raw(quote("fts_hits"))}.fts_rowid`, "=", sql`${sql.raw(quote(t.name))}.rowid`),
    )
    .select(sql<number>`${sql.raw(quote("fts_hits"))}.fts_rank`.as("rank"));
}
