import type { CompiledQuery } from "kysely";
import { sql } from "kysely";
import { rows } from "../introspect-shared.js";
import type { ReviewProbes } from "../types.js";
import { sqliteExplain } from "./runtime.js";

/** SQLite keeps no runtime statistics of its own; row counts are exact, read with COUNT(*). */
export const sqliteReview: ReviewProbes = {
  async foreignKeysEnforced(db) {
    // Single-word aliases: a Kysely with CamelCasePlugin (plinth's) renames foreign_keys.
    const [row] = await rows(
      db,
      sql<{ enforced: number }>`SELECT foreign_keys AS enforced FROM pragma_foreign_keys()`,
    );
    return Number(row?.enforced) === 1;
  },

  async integrityProblems(db) {
    const integrity = await rows(
      db,
      sql<{ result: string }>`SELECT integrity_check AS result FROM pragma_integrity_check()`,
    );
    const problems = integrity.map((r) => r.result).filter((line) => line !== "ok");
    // One line per (table, parent) pair: the count says how many rows, without showing any of them.
    const orphans = await rows(
      db,
      sql<{ tbl: string; parent: string }>`SELECT "table" AS tbl, parent FROM pragma_foreign_key_check()`,
    );
    const counts = new Map<string, number>();
    for (const o of orphans)
      counts.set(`${o.tbl} → ${o.parent}`, (counts.get(`${o.tbl} → ${o.parent}`) ?? 0) + 1);
    for (const [pair, n] of counts)
      problems.push(`foreign_key_check: ${n} row(s) of ${pair} point at no row`);
    return problems;
  },

  async guardedEvents(db) {
    const triggers = await rows(
      db,
      sql<{
        tbl: string;
        sql: string;
      }>`SELECT tbl_name AS tbl, sql FROM sqlite_master WHERE type = 'trigger'`,
    );
    const out = new Map<string, Set<"update" | "delete">>();
    for (const t of triggers) {
      // A guard refuses: BEFORE the event, with RAISE(ABORT | FAIL | ROLLBACK).
      const event = /\bBEFORE\s+(UPDATE|DELETE)\b/i.exec(t.sql)?.[1];
      if (!event || !/RAISE\s*\(\s*(ABORT|FAIL|ROLLBACK)/i.test(t.sql)) continue;
      const set = out.get(t.tbl) ?? new Set();
      set.add(event.toLowerCase() as "update" | "delete");
      out.set(t.tbl, set);
    }
    return out;
  },

  // SQLite's planner takes an index that serves the query whatever the table's size (without
  // ANALYZE it assumes a large table): `SCAN t` without an index is a whole-table read.
  async readPlan(trx, query: CompiledQuery) {
    const plan = await sqliteExplain(trx, query);
    const scans = [...plan.matchAll(/^SCAN (\S+)(.*)$/gm)]
      .filter((m) => !/USING (COVERING )?INDEX|VIRTUAL TABLE|PRIMARY KEY/.test(m[2]!))
      .map((m) => m[1]!);
    return { plan, scans, sorts: /USE TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)/.test(plan) };
  },

  async keyCounter(db, table) {
    const exists = await rows(
      db,
      sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_sequence'`,
    );
    if (Number(exists[0]?.n) === 0) return undefined;
    const [row] = await rows(db, sql<{ seq: number }>`SELECT seq FROM sqlite_sequence WHERE name = ${table}`);
    return row ? Number(row.seq) : undefined;
  },
};
