import type { FullTextModel, FullTextWeight, TableModel } from "../schema/index.js";
import { constraintName } from "../schema/names.js";

/**
 * PostgreSQL's default ts_rank weights for the labels D..A are 0.1, 0.2, 0.4 and 1.0; SQLite's bm25()
 * column weights and MySQL's relevance sum use the same numbers, so one declaration ranks alike.
 */
export const WEIGHT_VALUE: Record<FullTextWeight, number> = { A: 1, B: 0.4, C: 0.2, D: 0.1 };

/** The weight a number stands for (the nearest label), reading SQLite's bm25 configuration back. */
export function weightOf(value: number): FullTextWeight {
  const labels = Object.entries(WEIGHT_VALUE) as [FullTextWeight, number][];
  return labels.reduce((best, x) => (Math.abs(x[1] - value) < Math.abs(best[1] - value) ? x : best))[0];
}

export function fullTextOf(t: TableModel): FullTextModel {
  if (!t.fullText) throw new Error(`${t.name} declares no full-text index`);
  return t.fullText;
}

/**
 * PostgreSQL: the weighted document. The GIN index is built over this very expression and the search
 * query repeats it, which is how the planner knows the index serves the query.
 */
export function tsvectorExpression(ft: FullTextModel, quote: (identifier: string) => string): string {
  const language = `'${ft.language}'::regconfig`;
  return ft.columns
    .map(
      (c) => `setweight(to_tsvector(${language}, coalesce(${quote(c.column)}, '')), '${c.weight}'::"char")`,
    )
    .join(" || ");
}

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

/**
 * MySQL: one FULLTEXT index per column gives each column its own relevance, which the weights scale;
 * the index over all columns is the one the WHERE clause uses. They are numbered by position, not
 * named after their column, so renaming a column (which MySQL carries into the index) keeps them.
 */
export function mysqlColumnIndexName(ft: FullTextModel, column: string): string {
  const position = ft.columns.findIndex((c) => c.column === column);
  return constraintName([ft.name, String(position + 1)]);
}

/** MySQL keeps no weights; the index comment does, so introspection reads the declaration back. */
export const MYSQL_FULLTEXT_COMMENT = "plinth fulltext";
export const MYSQL_FULLTEXT_PART_COMMENT = "plinth fulltext part of";

export function mysqlFullTextComment(ft: FullTextModel): string {
  return `${MYSQL_FULLTEXT_COMMENT} ${ft.columns.map((c) => `${c.column}:${c.weight}`).join(" ")}`;
}
