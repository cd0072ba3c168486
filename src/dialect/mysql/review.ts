import type { CompiledQuery } from "kysely";
import { sql } from "kysely";
import { rows } from "../introspect-shared.js";
import type { ReviewProbes } from "../types.js";
import { mysqlExplain } from "./runtime.js";

/** MySQL / MariaDB: information_schema for triggers and sizes (InnoDB's row counts are estimates). */
export const mysqlReview: ReviewProbes = {
  async foreignKeysEnforced(db) {
    const [row] = await rows(db, sql<{ on: number }>`SELECT @@foreign_key_checks AS \`on\``);
    return Number(row?.on) === 1;
  },

  // No cheap whole-database check: CHECK TABLE reads every row.
  integrityProblems: async () => undefined,

  async guardedEvents(db) {
    const triggers = await rows(
      db,
      sql<{ tbl: string; event: string }>`
        SELECT EVENT_OBJECT_TABLE AS tbl, EVENT_MANIPULATION AS event FROM information_schema.TRIGGERS
        WHERE TRIGGER_SCHEMA = DATABASE() AND ACTION_TIMING = 'BEFORE'
          AND ACTION_STATEMENT LIKE '%SIGNAL%'`,
    );
    const out = new Map<string, Set<"update" | "delete">>();
    for (const t of triggers) {
      const event = t.event.toLowerCase();
      if (event !== "update" && event !== "delete") continue;
      const set = out.get(t.tbl) ?? new Set();
      set.add(event);
      out.set(t.tbl, set);
    }
    return out;
  },

  // EXPLAIN's `type: ALL` is a whole-table read, `Using filesort` a sort no index gives. On an empty
  // table MySQL may answer from the (empty) statistics without naming an access path: no scan.
  async readPlan(trx, query: CompiledQuery) {
    const plan = await mysqlExplain(trx, query);
    const steps = plan
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const scans = steps
      .filter((s) => s.type === "ALL" && typeof s.table === "string")
      .map((s) => String(s.table));
    return { plan, scans, sorts: steps.some((s) => /Using filesort/.test(String(s.Extra ?? ""))) };
  },

  async keyCounter(db, table) {
    // information_schema caches AUTO_INCREMENT (information_schema_stats_expiry): an estimate.
    const [row] = await rows(
      db,
      sql<{ next: string | number | null }>`
        SELECT AUTO_INCREMENT AS next FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table}`,
    );
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next) - 1;
  },
};
