import type { Db } from "../data/index.js";
import { PlinthError } from "../errors.js";
import type { TableModel } from "../schema/index.js";

export interface EnsurePartitionsOptions {
  /** Months ahead of the current one to create (default 3). */
  ahead?: number;
  /** The clock "current month" is read from (default: now). */
  now?: Date;
}

export interface TablePartitions {
  table: string;
  column: string;
  /** Partitions created by this call. */
  created: string[];
  /** Every partition attached after it, by name (the default one included). */
  partitions: string[];
}

export interface PartitionsResult {
  /** False where the engine has no native partitions: declared tables are plain there. */
  supported: boolean;
  tables: TablePartitions[];
}

/** Tables declared `partition: { by, interval: "month" }`. */
export function partitionedTables(db: Db<any>): TableModel[] {
  return (db.schema.model.tables as TableModel[]).filter((t) => t.partition?.interval && t.partition.column);
}

/** The monthly partition holding `at`: `<table>_pYYYYMM`, from its first instant to the next month's. */
export function monthPartition(table: string, at: Date): { name: string; from: Date; to: Date } {
  const from = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const to = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  const month = `${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, "0")}`;
  return { name: `${table}_p${month}`, from, to };
}

/**
 * Creates the monthly partitions of every table declared partitioned, from the current month to
 * `ahead` months after it, so inserts never fall to the default partition (from which a month's
 * rows cannot be dropped whole). Idempotent: run it from a daily job or at start-up.
 */
export async function ensurePartitions(
  db: Db<any>,
  options: EnsurePartitionsOptions = {},
): Promise<PartitionsResult> {
  const native = db.adapter.rangePartitions;
  const tables = partitionedTables(db);
  if (!native) return { supported: false, tables: [] };
  const ahead = options.ahead ?? 3;
  const now = options.now ?? new Date();
  const result: PartitionsResult = { supported: true, tables: [] };
  for (const t of tables) {
    const existing = new Set((await native.list(db.kysely, t.name)).map((p) => p.name));
    const created: string[] = [];
    for (let i = 0; i <= ahead; i++) {
      const p = monthPartition(t.name, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)));
      if (existing.has(p.name)) continue;
      try {
        await native.create(db.kysely, t, p);
      } catch (cause) {
        // PostgreSQL refuses a partition whose months already have rows in the default partition.
        throw new PlinthError(
          `${t.name}: cannot create partition ${p.name} (${p.from.toISOString().slice(0, 10)} to ${p.to.toISOString().slice(0, 10)}): ${(cause as Error)?.message}. ` +
            `If ${t.name}_default holds rows of that month, move them out first (or let them age out through prune)`,
          { cause },
        );
      }
      created.push(p.name);
    }
    const partitions = (await native.list(db.kysely, t.name)).map((p) => p.name);
    result.tables.push({ table: t.name, column: t.partition!.column!, created, partitions });
  }
  return result;
}
