import type { ColumnModel, TableModel } from "../../schema/index.js";
import type { ReviewContext, Rule, RuleHit } from "../engine/types.js";
import { isHighGrowth, tableOf } from "./model.js";

/** Rows from which a table is large whatever its declaration says (the engine's estimate). */
export const LARGE_TABLE_ROWS = 10_000_000;
/** Names of the column that says when a row was written, when no column has the createdAt role. */
const TIME_COLUMN =
  /^(created|logged|occurred|recorded|inserted|received|sent)_at$|^(timestamp|ts|logged_on)$/;

/**
 * A table that grows without bound — declared `growth: "fast"` or `"append-only"`, or over ten
 * million rows by the engine's statistics — with a column saying when each row was written, but
 * neither partitions nor a declared retention: every row it ever received stays in one table. Its
 * indexes and vacuum or purge work grow with it, and removing old rows later is a long DELETE that
 * holds locks and bloats the table.
 *
 * Bad:  `job_log` with `growth: "append-only"`, `created_at`, no `retention`, not partitioned
 * Good: `retention: { days: 90, column: "createdAt" }` (plinth prune removes old rows in batches),
 *       and on PostgreSQL monthly range partitions on created_at, so old months are dropped whole
 */
export const partitionPlan: Rule = {
  id: "partition-plan",
  group: "performance-ops",
  severity: "warning",
  needs: [["declaration", "statistics"]],
  catalog: "P07",
  summary: "A large or high-growth table with a time column has neither partitions nor a retention.",
  why: "Nothing ever leaves the table: indexes, backups and maintenance grow without bound, and removing old rows later means a long, locking DELETE.",
  recipe:
    "declare a retention on the time column (plinth prune deletes in bounded batches, archiving first if asked) and, on PostgreSQL, partition it by month so old months are detached and dropped whole",
  check: (ctx) => {
    const hits: RuleHit[] = [];
    const rows = new Map(ctx.statistics?.tables.map((t) => [t.table, t.rows ?? 0]));
    for (const t of ctx.model.tables) {
      const why = growth(t, rows.get(t.name));
      const time = timeColumn(t);
      if (!why || !time || hasRetention(t) || partitioned(ctx, t.name)) continue;
      hits.push({
        object: t.name,
        table: t.name,
        message: `${t.name} ${why} and has ${time.name}, but neither partitions nor a retention: every row stays forever`,
        fix: `table("${t.name}", { … }, { retention: { days: 90, column: "${time.key}" } })`,
      });
    }
    return hits;
  },
};

function growth(t: TableModel, rows: number | undefined): string | undefined {
  if (isHighGrowth(t)) return `is declared growth: "${t.meta.growth}"`;
  if (rows !== undefined && rows >= LARGE_TABLE_ROWS) return `holds about ${rows.toLocaleString("en")} rows`;
  return undefined;
}

function timeColumn(t: TableModel): ColumnModel | undefined {
  const timed = t.columns.filter((c) => c.type.kind === "timestamp" || c.type.kind === "date");
  return timed.find((c) => c.role === "createdAt") ?? timed.find((c) => TIME_COLUMN.test(c.name));
}

function hasRetention(t: TableModel): boolean {
  return t.meta.retention !== undefined;
}

/** Partitioned in the declaration or in the live database. */
function partitioned(ctx: ReviewContext, table: string): boolean {
  return [ctx.declaration?.model, ctx.catalog].some((m) => m && tableOf(m, table)?.partition !== undefined);
}
