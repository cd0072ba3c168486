import type { CompiledQuery, Kysely } from "kysely";
import { CompiledQuery as Compiled, sql } from "kysely";
import { pollForLock } from "../lock.js";
import type { LockOptions, TimeUnit } from "../types.js";

/** "plinth" in ASCII: a fixed advisory-lock key, scoped by PostgreSQL to the current database. */
const LOCK_KEY = "123666047234152";

export async function listPostgresTables(db: Kysely<any>): Promise<Set<string>> {
  const { rows } = await sql<{
    name: string;
  }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`.execute(
    db,
  );
  return new Set(rows.map((r) => r.name));
}

/** A session-level advisory lock, held by the runner's pinned connection and gone with its session. */
export async function acquireAdvisoryLock(conn: Kysely<any>, options: LockOptions = {}): Promise<void> {
  await pollForLock(
    async () => {
      const { rows } = await sql<{
        ok: boolean;
      }>`SELECT pg_try_advisory_lock(${sql.raw(LOCK_KEY)}) AS ok`.execute(conn);
      return rows[0]?.ok === true;
    },
    options.timeoutMs,
    options.onWait,
  );
}

export async function releaseAdvisoryLock(conn: Kysely<any>): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${sql.raw(LOCK_KEY)})`.execute(conn);
}

/** EXPLAIN's text lines. */
export async function postgresExplain(db: Kysely<any>, query: CompiledQuery): Promise<string> {
  const { rows } = await db.executeQuery<Record<string, unknown>>(
    Compiled.raw(`EXPLAIN ${query.sql}`, [...query.parameters]),
  );
  return rows.map((row) => Object.values(row)[0]).join("\n");
}

export const jsonArrayContains = (column: string, value: string) =>
  sql<boolean>`(${sql.ref(column)})::jsonb @> ${JSON.stringify([value])}::jsonb`;

const FORMATS: Record<TimeUnit, string> = {
  minute: "YYYY-MM-DD HH24:MI:00",
  hour: "YYYY-MM-DD HH24:00:00",
  day: "YYYY-MM-DD 00:00:00",
  month: "YYYY-MM-01 00:00:00",
};

/**
 * Truncated in UTC, whatever the session's time zone; text, because drivers read zone-less values
 * as local time.
 */
export const timeBucket = (column: string, unit: TimeUnit) =>
  sql<string>`to_char(date_trunc(${sql.lit(unit)}, ${sql.ref(column)} AT TIME ZONE 'UTC'), ${sql.lit(FORMATS[unit])})`;

/**
 * Moves the identity's sequence past the largest value in the column, never back: values it has
 * handed out and that were deleted since must not be handed out again (an audit row names them).
 */
export async function identityPastExplicitKeys(
  db: Kysely<any>,
  table: string,
  column: string,
): Promise<void> {
  const quoted = `"${table.replaceAll('"', '""')}"`;
  const { rows } = await sql<{
    seq: string | null;
  }>`SELECT pg_get_serial_sequence(${quoted}, ${column}) AS seq`.execute(db);
  const seq = rows[0]?.seq;
  if (!seq) return;
  // The sequence's name comes back qualified and quoted as needed, ready to use as an identifier.
  await sql`SELECT setval(${seq}::regclass, GREATEST((SELECT COALESCE(MAX(${sql.ref(column)}), 1) FROM ${sql.table(table)}), (SELECT last_value FROM ${sql.raw(seq)})))`.execute(
    db,
  );
}
