import type { Rule } from "../engine/types.js";
import { LARGE_TABLE_ROWS } from "./partition-plan.js";

/** Bytes (table and indexes) from which a table is large whatever its row count. */
export const LARGE_TABLE_BYTES = 10 * 1024 ** 3;

/**
 * A table past ten million rows or 10 GiB (with its indexes) by the engine's statistics: from here
 * on a full scan, an index build, a column rewrite or a long DELETE is an outage, and every
 * migration of the table needs an online plan. The finding states the size, so the review shows
 * where the weight of the database is.
 *
 * Bad:  `job_log` at 40 million rows, migrated with `ALTER TABLE … ADD COLUMN … DEFAULT now()` on
 *       MySQL 5.7 (a table copy)
 * Good: the same table known to be large: online index builds, batched backfills, partitions or a
 *       retention (partition-plan)
 */
export const largeTable: Rule = {
  id: "large-table",
  group: "performance-ops",
  severity: "info",
  needs: ["statistics"],
  catalog: "P07",
  summary: "A table is large enough that its migrations need an online plan.",
  why: "Past millions of rows, rewrites, index builds and unbounded deletes hold locks for minutes or hours.",
  recipe:
    "build its indexes online (CONCURRENTLY, ALGORITHM=INPLACE), backfill in batches, and give it partitions or a retention",
  check: (ctx) =>
    ctx
      .statistics!.tables.filter(
        (t) => (t.rows ?? 0) >= LARGE_TABLE_ROWS || (t.bytes ?? 0) + (t.indexBytes ?? 0) >= LARGE_TABLE_BYTES,
      )
      .map((t) => ({
        object: t.table,
        table: t.table,
        message: `${t.table} holds about ${(t.rows ?? 0).toLocaleString("en")} rows${t.bytes === undefined ? "" : ` in ${gib(t.bytes)} GiB`}${t.indexBytes === undefined ? "" : `, indexes ${gib(t.indexBytes)} GiB`}`,
      })),
};

const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
