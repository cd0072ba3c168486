import type { Kysely, RawBuilder } from "kysely";
import { sql } from "kysely";
import { fullTextOf, tsvectorExpression, WEIGHT_VALUE } from "../dialect/full-text.js";
import { mysql, postgres, sqlite } from "../dialect/index.js";
import { PlinthError } from "../errors.js";
import type { FullTextModel, Schema, TableModel } from "../schema/index.js";
import type { Db } from "./connect.js";
import { applyWhere } from "./repository.js";
import type { TableName, Visibility, VisibleRowOf, Where } from "./repository-types.js";
import { executorFor } from "./tx-context.js";

export interface SearchOptions<S extends Schema, N extends TableName<S>> extends Visibility {
  /** At most this many rows, best first (default 20). */
  limit?: number;
  offset?: number;
  /** Narrows the matches like a repository `where` (column equalities or an expression callback). */
  where?: Where<S, N>;
}

/** A matching row with its relevance: higher is better, comparable within one result list only. */
export type SearchHit<S extends Schema, N extends TableName<S>> = VisibleRowOf<S, N> & { rank: number };

/**
 * Full-text search over the table's declared `fullText` index, best match first. The query is plain
 * text: it is split into words and every word must match (stemmed where the engine stems), so no
 * input can be a syntax error on any engine. Soft-deleted rows are left out unless asked for.
 *
 * MySQL's InnoDB sees rows in its FULLTEXT index only once their transaction has committed.
 */
export async function search<S extends Schema, N extends TableName<S>>(
  db: Db<S>,
  table: N,
  query: string,
  options: SearchOptions<S, N> = {},
): Promise<SearchHit<S, N>[]> {
  const model = db.schema.model.tables.find((t) => t.name === table);
  if (!model) throw new PlinthError(`no declared table "${table}"`);
  if (!model.fullText) {
    throw new PlinthError(`${table} declares no full-text index (add the fullText table option)`);
  }
  const words = searchWords(query);
  if (words.length === 0) return [];
  const q = executorFor(db.kysely as Kysely<any>);
  // Hidden columns (password hashes) stay out, as in every repository read.
  const visible = model.columns.filter((c) => !c.hidden).map((c) => `${table}.${c.key}`);
  let s: any = (q.selectFrom(table) as any).select(visible);
  s = matching[db.dialect](s, model, words);
  const deletedAt = model.columns.find((c) => c.role === "deletedAt")?.key;
  if (deletedAt && !options.withDeleted)
    s = s.where(`${table}.${deletedAt}`, options.onlyDeleted ? "is not" : "is", null);
  s = applyWhere(s, options.where);
  s = s.orderBy("rank", "desc");
  for (const c of model.primaryKey.columns) s = s.orderBy(`${table}.${keyOf(model, c)}`, "asc");
  s = s.limit(options.limit ?? 20);
  if (options.offset !== undefined) s = s.offset(options.offset);
  const rows = (await s.execute()) as Record<string, unknown>[];
  for (const row of rows) row.rank = Number(row.rank);
  return rows as SearchHit<S, N>[];
}

/**
 * The words of a query: runs of letters, digits and combining marks. Everything else (quotes,
 * operators, brackets) separates words, which is also how every engine's tokenizer reads the text.
 */
export function searchWords(query: string): string[] {
  return query.match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
}

type Matcher = (s: any, t: TableModel, words: string[]) => any;

const matching: Record<"sqlite" | "postgres" | "mysql", Matcher> = {
  postgres(s, t, words) {
    const ft = fullTextOf(t);
    const vector = sql.raw(tsvectorExpression(ft, (c) => `${postgres.quote(t.name)}.${postgres.quote(c)}`));
    const tsquery = sql`plainto_tsquery(${sql.raw(`'${ft.language}'::regconfig`)}, ${words.join(" ")})`;
    return s
      .select(sql<number>`ts_rank(${vector}, ${tsquery})`.as("rank"))
      .where(sql`${vector} @@ ${tsquery}`);
  },

  /** bm25() is smaller for better matches; it is negated so that higher is better everywhere. */
  sqlite(s, t, words) {
    const ft = fullTextOf(t);
    const q = sqlite.quote;
    const weights = ft.columns.map((c) => String(WEIGHT_VALUE[c.weight])).join(", ");
    // Each word quoted: FTS5 reads it as a plain string, never as an operator or a column filter.
    const match = words.map((w) => `"${w}"`).join(" ");
    const hits = sql`(SELECT rowid AS fts_rowid, -bm25(${sql.raw(q(ft.name))}, ${sql.raw(weights)}) AS fts_rank
      FROM ${sql.raw(q(ft.name))} WHERE ${sql.raw(q(ft.name))} MATCH ${match})`;
    return s
      .innerJoin(hits.as("fts_hits"), (join: any) =>
        join.on(sql`${sql.raw(q("fts_hits"))}.fts_rowid`, "=", sql`${sql.raw(q(t.name))}.rowid`),
      )
      .select(sql<number>`${sql.raw(q("fts_hits"))}.fts_rank`.as("rank"));
  },

  /**
   * Every word required (boolean mode) over the index on all columns; the rank adds each column's
   * natural-language relevance times its weight, so a title (A) match counts 2.5 times a content
   * (B) match.
   */
  mysql(s, t, allWords) {
    const ft = fullTextOf(t);
    const all = columnList(t, ft);
    // A required word InnoDB never indexes would match nothing: leave such words out, as
    // PostgreSQL's plainto_tsquery leaves out its stopwords.
    const words = allWords.filter(
      (w) => [...w].length >= INNODB_MIN_TOKEN && !INNODB_STOPWORDS.has(w.toLowerCase()),
    );
    if (words.length === 0) return s.where(sql`1 = 0`).select(sql<number>`0`.as("rank"));
    const required = words.map((w) => `+${w}`).join(" ");
    const natural = words.join(" ");
    const relevance = ft.columns.map(
      (c) =>
        sql`${sql.raw(String(WEIGHT_VALUE[c.weight]))} * MATCH (${sql.raw(`${mysql.quote(t.name)}.${mysql.quote(c.column)}`)}) AGAINST (${natural} IN NATURAL LANGUAGE MODE)`,
    );
    const rank: RawBuilder<number> =
      ft.columns.length > 1
        ? sql<number>`(${sql.join(relevance, sql` + `)})`
        : sql<number>`MATCH (${sql.raw(all)}) AGAINST (${natural} IN NATURAL LANGUAGE MODE)`;
    return s
      .select(rank.as("rank"))
      .where(sql`MATCH (${sql.raw(all)}) AGAINST (${required} IN BOOLEAN MODE)`);
  },
};

/** InnoDB's defaults: innodb_ft_min_token_size and INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD. */
const INNODB_MIN_TOKEN = 3;
const INNODB_STOPWORDS = new Set(
  "a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where who will with und www".split(
    " ",
  ),
);

function columnList(t: TableModel, ft: FullTextModel): string {
  return ft.columns.map((c) => `${mysql.quote(t.name)}.${mysql.quote(c.column)}`).join(", ");
}

function keyOf(t: TableModel, column: string): string {
  return t.columns.find((c) => c.name === column)?.key ?? column;
}
