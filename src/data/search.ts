import type { Kysely } from "kysely";
import { PlinthError } from "../errors.js";
import type { Schema, TableModel } from "../schema/index.js";
import type { Db } from "./connect.js";
import { requireCount } from "./pagination.js";
import type { TableName, Visibility, VisibleRowOf, Where } from "./repository-types.js";
import { executorFor } from "./tx-context.js";
import { applyWhere } from "./where.js";

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
  requireCount("limit", options.limit, 0);
  requireCount("offset", options.offset, 0);
  const words = searchWords(query);
  if (words.length === 0) return [];
  const q = executorFor(db.kysely as Kysely<any>);
  // Hidden columns (password hashes) stay out, as in every repository read.
  const visible = model.columns.filter((c) => !c.hidden).map((c) => `${table}.${c.key}`);
  let s: any = (q.selectFrom(table) as any).select(visible);
  s = db.adapter.fullTextMatch(s, model, words);
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

function keyOf(t: TableModel, column: string): string {
  return t.columns.find((c) => c.name === column)?.key ?? column;
}
