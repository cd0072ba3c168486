import type { CompiledQuery, Kysely } from "kysely";
import { CompiledQuery as Compiled, sql } from "kysely";
import { pollForLock } from "../lock.js";
import type { LockOptions, TimeUnit } from "../types.js";

export async function listMysqlTables(db: Kysely<any>): Promise<Set<string>> {
  const { rows } = await sql<{
    name: string;
  }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()`.execute(db);
  // Some servers return information_schema columns in upper case whatever the alias says.
  return new Set(rows.map((r) => r.name ?? (r as Record<string, string>).NAME));
}

/** GET_LOCK names are server-wide: the database's name is part of it, so two databases don't wait on each other. */
export async function acquireNamedLock(conn: Kysely<any>, options: LockOptions = {}): Promise<void> {
  await pollForLock(
    async () => {
      const { rows } = await sql<{
        ok: number | null;
      }>`SELECT GET_LOCK(CONCAT('plinth_migrate:', DATABASE()), 0) AS ok`.execute(conn);
      return Number(rows[0]?.ok) === 1;
    },
    options.timeoutMs,
    options.onWait,
  );
}

export async function releaseNamedLock(conn: Kysely<any>): Promise<void> {
  await sql`SELECT RELEASE_LOCK(CONCAT('plinth_migrate:', DATABASE()))`.execute(conn);
}

/** EXPLAIN's rows, one JSON object per line, so a check can match a table and its key on one line. */
export async function mysqlExplain(db: Kysely<any>, query: CompiledQuery): Promise<string> {
  const { rows } = await db.executeQuery<Record<string, unknown>>(
    Compiled.raw(`EXPLAIN ${query.sql}`, [...query.parameters]),
  );
  return rows.map((row) => JSON.stringify(row)).join("\n");
}

export const jsonArrayContains = (column: string, value: string) =>
  sql<boolean>`JSON_CONTAINS(${sql.ref(column)}, ${JSON.stringify(value)})`;

const FORMATS: Record<TimeUnit, string> = {
  minute: "%Y-%m-%d %H:%i:00",
  hour: "%Y-%m-%d %H:00:00",
  day: "%Y-%m-%d 00:00:00",
  month: "%Y-%m-01 00:00:00",
};

/** DATETIME holds UTC here (the connection's time zone is +00:00). */
export const timeBucket = (column: string, unit: TimeUnit) =>
  sql<string>`DATE_FORMAT(${sql.ref(column)}, ${sql.lit(FORMATS[unit])})`;
