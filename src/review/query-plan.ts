import type { Compilable, Kysely } from "kysely";
import { CompiledQuery } from "kysely";
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
  const prefix = dialect === "sqlite" ? "EXPLAIN QUERY PLAN " : "EXPLAIN ";
  const { rows } = await db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters]),
  );
  if (dialect === "sqlite") return rows.map((row) => row.detail).join("\n");
  if (dialect === "postgres") return rows.map((row) => Object.values(row)[0]).join("\n");
  return rows.map((row) => JSON.stringify(row)).join("\n");
}
