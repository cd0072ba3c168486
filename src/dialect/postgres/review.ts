import { sql } from "kysely";
import { rows } from "../introspect-shared.js";
import type { ReviewProbes } from "../types.js";

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

  async tableStatistics(db) {
    const stats = await rows(
      db,
      sql<{ tbl: string; n: string; bytes: string }>`
        SELECT relname AS tbl, n_live_tup AS n, pg_total_relation_size(relid) AS bytes
        FROM pg_stat_user_tables WHERE schemaname = current_schema() ORDER BY 1`,
    );
    return stats.map((s) => ({ table: s.tbl, rows: Number(s.n), bytes: Number(s.bytes) }));
  },

  async indexUsage(db) {
    const usage = await rows(
      db,
      sql<{ tbl: string; idx: string; scans: string }>`
        SELECT relname AS tbl, indexrelname AS idx, idx_scan AS scans
        FROM pg_stat_user_indexes WHERE schemaname = current_schema() ORDER BY 1, 2`,
    );
    return usage.map((u) => ({ table: u.tbl, index: u.idx, scans: Number(u.scans) }));
  },
};
