import type { Kysely } from "kysely";
import { sql } from "kysely";
import { dialectOf } from "../dialect/index.js";
import type { Dialect } from "../schema/index.js";
import { col, schema, table } from "../schema/index.js";

/**
 * plinth's record of retention: one row per pruned batch or dropped partition, and one when a run
 * finishes. It is how an audit table's removals stay accounted for, and how a run that was stopped
 * is resumed (same cutoff, next batch). Bookkeeping (`plinth_*`), so introspection leaves it out.
 */
export const PRUNE_LOG = "plinth_prune_log";

export type PruneEvent = "batch" | "partition" | "done";

const pruneLog = table(PRUNE_LOG, {
  id: col.bigId(),
  runId: col.varchar(36),
  tableName: col.varchar(128),
  event: col.varchar(16),
  cutoff: col.timestamp(),
  batch: col.integer(),
  rowCount: col.bigint(),
  firstKey: col.varchar(255).nullable(),
  lastKey: col.varchar(255).nullable(),
  archive: col.text().nullable(),
  sha256: col.varchar(64).nullable(),
  createdAt: col.timestamp().defaultNow(),
});

export interface PruneLogRow {
  runId: string;
  tableName: string;
  event: PruneEvent;
  cutoff: Date;
  batch: number;
  rowCount: number;
  firstKey?: string;
  lastKey?: string;
  archive?: string;
  sha256?: string;
}

/** Creates the log table where it is missing; run outside the batches' transactions. */
export async function ensurePruneLog(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const model = schema({ pruneLog }).model.tables[0]!;
  for (const statement of dialectOf(dialect).createTable(model, new Set(), { ifNotExists: true }))
    await sql.raw(statement).execute(db);
}

export async function writePruneLog(db: Kysely<any>, row: PruneLogRow): Promise<void> {
  await db
    .insertInto(PRUNE_LOG)
    .values({
      run_id: row.runId,
      table_name: row.tableName,
      event: row.event,
      cutoff: row.cutoff,
      batch: row.batch,
      row_count: row.rowCount,
      first_key: row.firstKey ?? null,
      last_key: row.lastKey ?? null,
      archive: row.archive ?? null,
      sha256: row.sha256 ?? null,
    })
    .execute();
}

/** The run on `table` that was stopped before it finished: its id, cutoff and last batch. */
export async function unfinishedRun(
  db: Kysely<any>,
  tableName: string,
): Promise<{ runId: string; cutoff: Date; batch: number; archive?: string } | undefined> {
  const last = await db
    .selectFrom(PRUNE_LOG)
    .select(["run_id", "event", "cutoff", "batch", "archive"])
    .where("table_name", "=", tableName)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!last || last.event === "done") return undefined;
  return {
    runId: String(last.run_id),
    cutoff: new Date(last.cutoff as string | Date),
    batch: Number(last.batch),
    ...(last.archive ? { archive: String(last.archive) } : {}),
  };
}

/** Every row of the log for `tableName`, oldest first (what an operator or a test reads back). */
export async function pruneLogOf(db: Kysely<any>, tableName: string): Promise<PruneLogRow[]> {
  const rows = await db
    .selectFrom(PRUNE_LOG)
    .selectAll()
    .where("table_name", "=", tableName)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({
    runId: String(r.run_id),
    tableName: String(r.table_name),
    event: r.event as PruneEvent,
    cutoff: new Date(r.cutoff as string | Date),
    batch: Number(r.batch),
    rowCount: Number(r.row_count),
    ...(r.first_key != null ? { firstKey: String(r.first_key) } : {}),
    ...(r.last_key != null ? { lastKey: String(r.last_key) } : {}),
    ...(r.archive != null ? { archive: String(r.archive) } : {}),
    ...(r.sha256 != null ? { sha256: String(r.sha256) } : {}),
  }));
}
