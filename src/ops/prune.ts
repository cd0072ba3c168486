import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Db } from "../data/index.js";
import type { RangePartition } from "../dialect/index.js";
import { PlinthError } from "../errors.js";
import type { TableModel } from "../schema/index.js";
import { rowKey, verifyArchive, writeArchive } from "./archive.js";
import { ensurePruneLog, unfinishedRun, writePruneLog } from "./prune-log.js";

/** A prune that cannot run as asked (an unknown table, a resumed run missing its archive folder). */
export class PruneError extends PlinthError {
  static override readonly code: string = "PLINTH_PRUNE";
  override name = "PruneError";
  constructor(
    readonly table: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${table}: ${message}`, options);
  }
}

export interface PruneOptions {
  /** Only this table (database name); by default every table that declares a retention. */
  table?: string;
  /** Count what would go, change nothing. */
  dryRun?: boolean;
  /**
   * Write each batch to `<dir>/<table>/<run>/<batch>.jsonl.gz` first and delete its rows only once
   * the file read back matches (row count, sha256, the batch's keys).
   */
  archiveDir?: string;
  /** Rows per batch, each deleted in its own short transaction (default 1000). */
  batchSize?: number;
  /** Stop after this many batches in all; a later run continues where this one stopped. */
  maxBatches?: number;
  /** The clock retention counts back from (default: now). */
  now?: Date;
  onProgress?: (progress: PruneProgress) => void;
  /** Called between writing a batch's archive and verifying it (tooling and tests). */
  onArchiveWritten?: (file: string) => void;
  /** Called inside each batch's transaction before its DELETE (tooling and tests). */
  beforeDelete?: (batch: number) => void;
}

export interface PruneProgress {
  table: string;
  /** Rows removed so far, all tables. */
  done: number;
  /** Rows older than their table's cutoff when the run started, all tables. */
  total: number;
}

export interface TablePrune {
  table: string;
  column: string;
  days: number;
  /** Rows whose `column` is before this (ISO-8601) go. */
  cutoff: string;
  /** Rows before the cutoff when the run started. */
  candidates: number;
  deleted: number;
  batches: number;
  archives: string[];
  /** PostgreSQL partitions dropped whole (detached, archived when asked, dropped). */
  partitions?: string[];
  /** The run continued one that had been stopped (its cutoff and archive folder). */
  resumed: boolean;
}

export interface PruneResult {
  dryRun: boolean;
  /** False when maxBatches stopped the run before every table was done. */
  complete: boolean;
  tables: TablePrune[];
}

const DAY_MS = 86_400_000;

/**
 * Removes the rows each table's declared retention allows (`retention: { days, column }`), in
 * bounded batches: each batch reads at most `batchSize` rows in key order, archives them when
 * asked, and deletes exactly those keys in a short transaction of its own, so no lock outlives a
 * batch. Every batch is recorded in plinth_prune_log in the transaction that deletes it, which is
 * also how a stopped run resumes with its own cutoff. On an append-only table (an audit trail) the
 * batch's transaction opens the triggers' retention path, the only DELETE they let through.
 */
export async function prune(db: Db<any>, options: PruneOptions = {}): Promise<PruneResult> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new PlinthError(`batchSize must be a positive integer, not ${batchSize}`);
  const raw = db.kysely.withoutPlugins() as unknown as Kysely<any>;
  const tables = retainedTables(db, options.table);
  if (!options.dryRun) await ensurePruneLog(raw, db.dialect);
  const guarded = await db.adapter.review.guardedEvents(raw);
  const now = options.now ?? new Date();

  const plans = await Promise.all(
    tables.map(async (t) => {
      const resume = options.dryRun ? undefined : await unfinishedRun(raw, t.name);
      if (resume?.archive && !options.archiveDir)
        throw new PruneError(
          t.name,
          `a stopped prune archived its batches (${resume.archive}); run again with an archive folder so no row goes unarchived`,
        );
      const { days, column } = t.meta.retention!;
      const cutoff = resume?.cutoff ?? new Date(now.getTime() - days * DAY_MS);
      const candidates = await countBefore(raw, t, column, cutoff);
      return { table: t, cutoff, candidates, resume };
    }),
  );
  const progress: PruneProgress = {
    table: plans[0]?.table.name ?? "",
    done: 0,
    total: plans.reduce((n, p) => n + p.candidates, 0),
  };
  const result: PruneResult = { dryRun: options.dryRun ?? false, complete: true, tables: [] };
  let budget = options.maxBatches ?? Number.POSITIVE_INFINITY;

  for (const plan of plans) {
    const { table, cutoff, candidates, resume } = plan;
    const summary: TablePrune = {
      table: table.name,
      column: table.meta.retention!.column,
      days: table.meta.retention!.days,
      cutoff: cutoff.toISOString(),
      candidates,
      deleted: 0,
      batches: 0,
      archives: [],
      resumed: resume !== undefined,
    };
    result.tables.push(summary);
    progress.table = table.name;
    if (!options.dryRun) options.onProgress?.({ ...progress });
    const run = {
      runId: resume?.runId ?? randomUUID(),
      cutoff,
      batch: resume?.batch ?? 0,
      appendOnly: guarded.get(table.name)?.has("delete") ?? false,
    };
    // A partitioned table first loses the months wholly before the cutoff, partition by partition;
    // the batches below then take what is left (the default partition, the cutoff's own month).
    for (const partition of await partitionsBefore(db, raw, table, cutoff)) {
      if (options.dryRun) {
        summary.partitions = [...(summary.partitions ?? []), partition.name];
        continue;
      }
      if (budget <= 0) {
        result.complete = false;
        break;
      }
      const dropped = await dropPartition(db, raw, table, partition.name, run, batchSize, options);
      budget -= 1;
      summary.partitions = [...(summary.partitions ?? []), partition.name];
      summary.deleted += dropped.rows;
      summary.archives.push(...dropped.archives);
      progress.done += dropped.rows;
      options.onProgress?.({ ...progress });
    }
    if (options.dryRun) continue;
    if (!result.complete) break;
    let after: unknown[] | undefined;
    while (true) {
      if (budget <= 0) {
        result.complete = false;
        break;
      }
      const batch = await pruneBatch(db, raw, table, run, after, batchSize, options);
      if (batch.rows === 0) {
        await writePruneLog(raw, {
          runId: run.runId,
          tableName: table.name,
          event: "done",
          cutoff,
          batch: run.batch,
          rowCount: summary.deleted,
        });
        break;
      }
      budget -= 1;
      after = batch.last;
      summary.batches += 1;
      summary.deleted += batch.deleted;
      if (batch.archive) summary.archives.push(batch.archive);
      progress.done += batch.deleted;
      options.onProgress?.({ ...progress });
    }
    if (!result.complete) break;
  }
  return result;
}

/**
 * The monthly partitions of a table declared partitioned on its retention column that lie wholly
 * before the cutoff, oldest first; none where the engine keeps the table unpartitioned.
 */
async function partitionsBefore(
  db: Db<any>,
  raw: Kysely<any>,
  table: TableModel,
  cutoff: Date,
): Promise<RangePartition[]> {
  const native = db.adapter.rangePartitions;
  if (!native || !table.partition?.interval || table.partition.column !== table.meta.retention!.column)
    return [];
  const all = await native.list(raw, table.name);
  return all
    .filter((p) => p.to !== undefined && p.to.getTime() <= cutoff.getTime())
    .sort((a, b) => a.from!.getTime() - b.from!.getTime());
}

/**
 * One partition: counted, archived in `batchSize` chunks when asked (each verified), then detached
 * and dropped in one transaction that also records it.
 */
async function dropPartition(
  db: Db<any>,
  raw: Kysely<any>,
  table: TableModel,
  name: string,
  run: Run,
  batchSize: number,
  options: PruneOptions,
): Promise<{ rows: number; archives: string[] }> {
  const pk = table.primaryKey.columns;
  const archives: string[] = [];
  let archived = 0;
  const folder = options.archiveDir ? join(options.archiveDir, table.name, run.runId, name) : undefined;
  if (folder) {
    let after: unknown[] | undefined;
    for (let chunk = 1; ; chunk++) {
      let query = raw.selectFrom(name).selectAll();
      if (after) query = query.where((eb: any) => afterKey(eb, pk, after!));
      for (const k of pk) query = query.orderBy(k);
      const rows = (await query.limit(batchSize).execute()) as Record<string, unknown>[];
      if (rows.length === 0) break;
      const file = join(folder, `${String(chunk).padStart(6, "0")}.jsonl.gz`);
      const written = writeArchive(file, rows);
      options.onArchiveWritten?.(file);
      verifyArchive(
        written,
        pk,
        rows.map((r) => rowKey(r, pk)),
      );
      archives.push(file);
      archived += rows.length;
      const last = rows[rows.length - 1]!;
      after = pk.map((k) => last[k]);
    }
  }
  const number = run.batch + 1;
  const rows = await raw.transaction().execute(async (trx) => {
    const counted = await trx
      .selectFrom(name)
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    const n = Number(counted.n);
    // Rows written into the old month after it was archived would go unarchived: refuse.
    if (folder && archived !== n)
      throw new PruneError(
        table.name,
        `partition ${name} holds ${n} rows but ${archived} were archived; run again`,
      );
    options.beforeDelete?.(number);
    await db.adapter.rangePartitions!.detachAndDrop(trx, table.name, name);
    await writePruneLog(trx, {
      runId: run.runId,
      tableName: table.name,
      event: "partition",
      cutoff: run.cutoff,
      batch: number,
      rowCount: n,
      firstKey: name,
      ...(folder ? { archive: folder } : {}),
    });
    return n;
  });
  run.batch = number;
  return { rows, archives };
}

/** Tables declaring a retention, or the one asked for (which must declare one). */
function retainedTables(db: Db<any>, only: string | undefined): TableModel[] {
  const tables: TableModel[] = db.schema.model.tables;
  if (only === undefined) return tables.filter((t) => t.meta.retention);
  const t = tables.find((x) => x.name === only);
  if (!t)
    throw new PruneError(
      only,
      `no such table in the schema (tables: ${tables.map((x) => x.name).join(", ")})`,
    );
  if (!t.meta.retention)
    throw new PruneError(only, "declares no retention (table option retention: { days, column })");
  return [t];
}

async function countBefore(raw: Kysely<any>, t: TableModel, column: string, cutoff: Date): Promise<number> {
  const row = await raw
    .selectFrom(t.name)
    .select((eb) => eb.fn.countAll().as("n"))
    .where(column, "<", cutoff)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

interface Run {
  runId: string;
  cutoff: Date;
  /** The last batch number used; the next batch takes the one after. */
  batch: number;
  appendOnly: boolean;
}

/**
 * One batch: the next rows before the cutoff in key order (after `after`), archived and verified
 * when asked, then deleted by key in one transaction that also records the batch.
 */
async function pruneBatch(
  db: Db<any>,
  raw: Kysely<any>,
  table: TableModel,
  run: Run,
  after: unknown[] | undefined,
  batchSize: number,
  options: PruneOptions,
): Promise<{ rows: number; deleted: number; last?: unknown[]; archive?: string }> {
  const pk = table.primaryKey.columns;
  const column = table.meta.retention!.column;
  let query = raw.selectFrom(table.name).selectAll().where(column, "<", run.cutoff);
  if (after) query = query.where((eb: any) => afterKey(eb, pk, after));
  for (const k of pk) query = query.orderBy(k);
  const rows = (await query.limit(batchSize).execute()) as Record<string, unknown>[];
  if (rows.length === 0) return { rows: 0, deleted: 0 };

  const number = run.batch + 1;
  const keys = rows.map((r) => rowKey(r, pk));
  let archive: { file: string; sha256: string } | undefined;
  if (options.archiveDir) {
    const file = join(
      options.archiveDir,
      table.name,
      run.runId,
      `${String(number).padStart(6, "0")}.jsonl.gz`,
    );
    const written = writeArchive(file, rows);
    options.onArchiveWritten?.(file);
    verifyArchive(written, pk, keys);
    archive = written;
  }

  const deleted = await raw.transaction().execute(async (trx) => {
    if (run.appendOnly) await db.adapter.openRetention(trx, table.name, run.cutoff);
    options.beforeDelete?.(number);
    let count: number;
    try {
      const result = await trx
        .deleteFrom(table.name)
        .where((eb: any) => keyIn(eb, pk, rows))
        .where(column, "<", run.cutoff)
        .executeTakeFirst();
      count = Number(result.numDeletedRows);
    } catch (error) {
      if (run.appendOnly && /append-only/.test(String((error as Error)?.message)))
        throw new PruneError(
          table.name,
          "the append-only triggers refuse the retention DELETE: they predate the declared retention; install them again (installAppendOnly / installAuditTrail, or plinth up)",
          { cause: error },
        );
      throw error;
    }
    if (run.appendOnly) await db.adapter.closeRetention(trx, table.name);
    await writePruneLog(trx, {
      runId: run.runId,
      tableName: table.name,
      event: "batch",
      cutoff: run.cutoff,
      batch: number,
      rowCount: count,
      firstKey: keys[0],
      lastKey: keys[keys.length - 1],
      ...(archive ? { archive: archive.file, sha256: archive.sha256 } : {}),
    });
    return count;
  });
  run.batch = number;
  const lastRow = rows[rows.length - 1]!;
  return { rows: rows.length, deleted, last: pk.map((k) => lastRow[k]), archive: archive?.file };
}

/** A composite key compares as a row value: (a, b) > (x, y), on every engine. */
function afterKey(eb: any, pk: string[], after: unknown[]) {
  return pk.length === 1 ? eb(pk[0]!, ">", after[0]) : eb(eb.refTuple(...pk), ">", eb.tuple(...after));
}

function keyIn(eb: any, pk: string[], rows: Record<string, unknown>[]) {
  if (pk.length === 1)
    return eb(
      pk[0]!,
      "in",
      rows.map((r) => r[pk[0]!]),
    );
  return eb.or(rows.map((r) => eb.and(pk.map((k) => eb(k, "=", r[k])))));
}
