import { sql } from "kysely";
import type { FullTextModel, TableModel } from "../../schema/index.js";
import { fullTextOf } from "../full-text.js";

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

/** ts_rank over the same weighted document the GIN index is built on. */
export function postgresFullTextMatch(
  select: any,
  t: TableModel,
  words: string[],
  quote: (id: string) => string,
) {
  const ft = fullTextOf(t);
  const vector = sql.raw(tsvectorExpression(ft, (c) => `${quote(t.name)}.${quote(c)}`));
  const tsquery = sql`plainto_tsquery(${sql.raw(`'${ft.language}'::regconfig`)}, ${words.join(" ")})`;
  return select
    .select(sql<number>`ts_rank(${vector}, ${tsquery})`.as("rank"))
    .where(sql`${vector} @@ ${tsquery}`);
}
