import type { CompiledQuery } from "kysely";
import { sql } from "kysely";
import { rows } from "../introspect-shared.js";
import type { ReviewProbes } from "../types.js";
import { postgresExplain } from "./runtime.js";

// pg_trigger.tgtype bits (see PostgreSQL's catalog/pg_trigger.h).
const ROW = 1;
const BEFORE = 2;
const DELETE = 8;
const UPDATE = 16;

/** PostgreSQL: the pg_stat_* views for statistics, pg_trigger for guards, NOT VALID constraints. */
export const postgresReview: ReviewProbes = {
  async foreignKeysEnforced(db) {
    // In `replica` mode the foreign-key triggers do not fire: nothing is checked.
    const [row] = await rows(
      db,
      sql<{ role: string }>`SELECT current_setting('session_replication_role') AS role`,
    );
    return row?.role !== "replica";
  },

  async integrityProblems(db) {
    const invalid = await rows(
      db,
      sql<{ name: string; tbl: string }>`
        SELECT con.conname AS name, c.relname AS tbl FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND NOT con.convalidated ORDER BY 2, 1`,
    );
    return invalid.map((r) => `constraint ${r.name} on ${r.tbl} was added NOT VALID and never validated`);
  },

  async guardedEvents(db) {
    const triggers = await rows(
      db,
      sql<{ tbl: string; type: number }>`
        SELECT c.relname AS tbl, t.tgtype AS type FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled <> 'D'`,
    );
    const out = new Map<string, Set<"update" | "delete">>();
    for (const t of triggers) {
      const type = Number(t.type);
      if (!(type & ROW) || !(type & BEFORE)) continue;
      const set = out.get(t.tbl) ?? new Set();
      if (type & UPDATE) set.add("update");
      if (type & DELETE) set.add("delete");
      out.set(t.tbl, set);
    }
    return out;
  },

  async readPlan(trx, query: CompiledQuery) {
    // On a small or empty table a sequential scan is cheapest whatever the indexes; forbidding it
    // (and sorting) makes the planner use an index whenever one serves the query.
    await sql`SET LOCAL enable_seqscan = off`.execute(trx);
    await sql`SET LOCAL enable_sort = off`.execute(trx);
    const plan = await postgresExplain(trx, query);
    const scans = [...plan.matchAll(/Seq Scan on (\S+)(?: (\S+))?/g)].map((m) => m[1]!.replace(/^.*\./, ""));
    return { plan, scans, sorts: /(^|->\s+)(Incremental )?Sort\s+\(/m.test(plan) };
  },

  async keyCounter(db, table, column) {
    const [row] = await rows(
      db,
      sql<{ last: string | number | null }>`
        SELECT pg_sequence_last_value(pg_get_serial_sequence(quote_ident(${table}), ${column})::regclass) AS last`,
    );
    return row?.last === null || row?.last === undefined ? undefined : Number(row.last);
  },
};
