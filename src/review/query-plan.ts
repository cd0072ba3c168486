import type { Compilable, Kysely } from "kysely";
import { CompiledQuery } from "kysely";
import { dialectOf } from "../dialect/index.js";
import type { Dialect } from "../schema/index.js";

/**
 * The engine's plan for a query, as text to read or match: SQLite's `EXPLAIN QUERY PLAN` details
 * and PostgreSQL's `EXPLAIN` lines, one per line; MySQL's `EXPLAIN` rows as one JSON object per
 * line (`{"table":"job","key":"ix_job_status",…}`), so a check that a table is read through an
 * index can match both on the same line. Give it the exact statement a repository method runs
 * (a Kysely builder, a compiled query, or SQL text) to prove that method is served by an index.
 */
export async function queryPlan(
  db: Kysely<any>,
  dialect: Dialect,
  query: Compilable<unknown> | CompiledQuery | string,
): Promise<string> {
  const compiled =
    typeof query === "string" ? CompiledQuery.raw(query) : "compile" in query ? query.compile() : query;
  return dialectOf(dialect).explain(db, compiled);
}
