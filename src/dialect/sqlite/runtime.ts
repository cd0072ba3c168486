import type { CompiledQuery, Kysely } from "kysely";
import { CompiledQuery as Compiled, sql } from "kysely";
import { DEFAULT_LOCK_TIMEOUT_MS, pollForLock } from "../lock.js";
import type { LockOptions, TimeUnit } from "../types.js";

export async function listSqliteTables(db: Kysely<any>): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(
    db,
  );
  return new Set(rows.map((r) => r.name));
}

/**
 * SQLite: BEGIN IMMEDIATE takes the database's write lock now rather than at the first write, so the
 * history read that follows cannot go stale. The busy timeout is set to 0 while polling: a blocking
 * wait inside better-sqlite3 would freeze the event loop (and any other runner in this process).
 */
export async function beginImmediate(conn: Kysely<any>, options: LockOptions = {}): Promise<void> {
  const { rows } = await sql<Record<string, unknown>>`PRAGMA busy_timeout`.execute(conn);
  const previous = Number(Object.values(rows[0] ?? {})[0] ?? 5000);
  await sql`PRAGMA busy_timeout = 0`.execute(conn);
  try {
    await pollForLock(
      async () => {
        try {
          await sql`BEGIN IMMEDIATE`.execute(conn);
          return true;
        } catch (error) {
          if (isBusy(error)) return false;
          throw error;
        }
      },
      options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      options.onWait,
    );
  } finally {
    await sql.raw(`PRAGMA busy_timeout = ${previous}`).execute(conn);
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

/**
 * A migration as one transaction under the database's write lock. Foreign keys are off around it
 * (the pragma is a no-op inside a transaction), which table rebuilds need; the caller checks
 * `brokenForeignKeys` before `fn` returns, which puts the guarantee back.
 */
export async function sqliteMigrationTransaction<T>(
  conn: Kysely<any>,
  lock: LockOptions,
  fn: (trx: Kysely<any>) => Promise<T>,
): Promise<T> {
  const raw = conn.withoutPlugins();
  await sql`PRAGMA foreign_keys = OFF`.execute(raw);
  try {
    await beginImmediate(raw, lock);
    try {
      const result = await fn(conn);
      await sql`COMMIT`.execute(raw);
      return result;
    } catch (error) {
      // Also after a failed COMMIT: the transaction would otherwise stay open on this connection.
      await sql`ROLLBACK`.execute(raw).catch(() => {});
      throw error;
    }
  } finally {
    await sql`PRAGMA foreign_keys = ON`.execute(raw);
  }
}

export async function sqliteBrokenForeignKeys(
  db: Kysely<any>,
): Promise<{ statement: string; message: string } | undefined> {
  const { rows } = await sql<{
    table: string;
    rowid: number | null;
    parent: string;
  }>`PRAGMA foreign_key_check`.execute(db.withoutPlugins());
  if (rows.length === 0) return undefined;
  const first = rows[0]!;
  return {
    statement: "PRAGMA foreign_key_check",
    message:
      `${rows.length} row${rows.length === 1 ? "" : "s"} of ${first.table} (first rowid ${first.rowid}) ` +
      `reference${rows.length === 1 ? "s" : ""} a missing row of ${first.parent}`,
  };
}

/** EXPLAIN QUERY PLAN's details, one line per step. */
export async function sqliteExplain(db: Kysely<any>, query: CompiledQuery): Promise<string> {
  const { rows } = await db.executeQuery<{ detail: string }>(
    Compiled.raw(`EXPLAIN QUERY PLAN ${query.sql}`, [...query.parameters]),
  );
  return rows.map((row) => row.detail).join("\n");
}

export const jsonArrayContains = (column: string, value: string) =>
  sql<boolean>`EXISTS (SELECT 1 FROM json_each(${sql.ref(column)}) WHERE json_each.value = ${value})`;

const BUCKETS: Record<TimeUnit, string> = {
  minute: "%Y-%m-%d %H:%M:00",
  hour: "%Y-%m-%d %H:00:00",
  day: "%Y-%m-%d 00:00:00",
  month: "%Y-%m-01 00:00:00",
};

/** Timestamps are ISO text in UTC on SQLite; strftime reads and reformats them. */
export const timeBucket = (column: string, unit: TimeUnit) =>
  sql<string>`strftime(${sql.lit(BUCKETS[unit])}, ${sql.ref(column)})`;
