import type { RawBuilder } from "kysely";
import { sql } from "kysely";
import type { FullTextModel, TableModel } from "../../schema/index.js";
import { constraintName } from "../../schema/names.js";
import { fullTextOf, WEIGHT_VALUE } from "../full-text.js";

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

/** InnoDB's defaults: innodb_ft_min_token_size and INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD. */
const INNODB_MIN_TOKEN = 3;
const INNODB_STOPWORDS = new Set(
  "a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where who will with und www".split(
    " ",
  ),
);

/**
 * Every word required (boolean mode) over the index on all columns; the rank adds each column's
 * natural-language relevance times its weight, so a title (A) match counts 2.5 times a content
 * (B) match.
 */
export function mysqlFullTextMatch(
  select: any,
  t: TableModel,
  allWords: string[],
  quote: (id: string) => string,
) {
  const ft = fullTextOf(t);
  const column = (c: string) => `${quote(t.name)}.${quote(c)}`;
  const all = ft.columns.map((c) => column(c.column)).join(", ");
  // A required word InnoDB never indexes would match nothing: leave such words out, as
  // PostgreSQL's plainto_tsquery leaves out its stopwords.
  const words = allWords.filter(
    (w) => [...w].length >= INNODB_MIN_TOKEN && !INNODB_STOPWORDS.has(w.toLowerCase()),
  );
  if (words.length === 0) return select.where(sql`1 = 0`).select(sql<number>`0`.as("rank"));
  const required = words.map((w) => `+${w}`).join(" ");
  const natural = words.join(" ");
  const relevance = ft.columns.map(
    (c) =>
      sql`${sql.raw(String(WEIGHT_VALUE[c.weight]))} * MATCH (${sql.raw(column(c.column))}) AGAINST (${natural} IN NATURAL LANGUAGE MODE)`,
  );
  const rank: RawBuilder<number> =
    ft.columns.length > 1
      ? sql<number>`(${sql.join(relevance, sql` + `)})`
      : sql<number>`MATCH (${sql.raw(all)}) AGAINST (${natural} IN NATURAL LANGUAGE MODE)`;
  return select
    .select(rank.as("rank"))
    .where(sql`MATCH (${sql.raw(all)}) AGAINST (${required} IN BOOLEAN MODE)`);
}
