import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Dialect } from "../schema/index.js";
import { MigrationError } from "./errors.js";

export interface LockOptions {
  /** How long to wait for another runner before giving up (default 10 minutes). */
  timeoutMs?: number;
  /** Called once when the lock is taken by someone else and this runner starts waiting. */
  onWait?: () => void;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** "plinth" in ASCII: a fixed advisory-lock key, scoped by PostgreSQL to the current database. */
const PG_LOCK_KEY = "123666047234152";

/**
 * Serialises runners on PostgreSQL and MySQL with a session lock held by the runner's pinned
 * connection for the whole run. The lock dies with the session, so a killed runner never leaves it
 * behind. SQLite has no session locks; its runner takes the write lock per migration instead
 * (`beginImmediate`), which serialises just as well because a migration is one transaction there.
 */
export async function acquireSessionLock(
  conn: Kysely<any>,
  dialect: Dialect,
  options: LockOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (dialect === "postgres") {
    // Polled rather than blocking, so the wait has a deadline and can be reported.
    await poll(
      async () => {
        const { rows } = await sql<{
          ok: boolean;
        }>`SELECT pg_try_advisory_lock(${sql.raw(PG_LOCK_KEY)}) AS ok`.execute(conn);
        return rows[0]?.ok === true;
      },
      timeoutMs,
      options.onWait,
    );
  } else if (dialect === "mysql") {
    // GET_LOCK names are server-wide: include the database so two databases don't wait on each other.
    await poll(
      async () => {
        const { rows } = await sql<{
          ok: number | null;
        }>`SELECT GET_LOCK(CONCAT('plinth_migrate:', DATABASE()), 0) AS ok`.execute(conn);
        return Number(rows[0]?.ok) === 1;
      },
      timeoutMs,
      options.onWait,
    );
  }
}

export async function releaseSessionLock(conn: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === "postgres") await sql`SELECT pg_advisory_unlock(${sql.raw(PG_LOCK_KEY)})`.execute(conn);
  else if (dialect === "mysql")
    await sql`SELECT RELEASE_LOCK(CONCAT('plinth_migrate:', DATABASE()))`.execute(conn);
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
    await poll(
      async () => {
        try {
          await sql`BEGIN IMMEDIATE`.execute(conn);
          return true;
        } catch (error) {
          if (isBusy(error)) return false;
          throw error;
        }
      },
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
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

async function poll(attempt: () => Promise<boolean>, timeoutMs: number, onWait?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  let waiting = false;
  while (!(await attempt())) {
    if (Date.now() >= deadline) {
      throw new MigrationError(
        `another runner has held the migration lock for ${Math.round(timeoutMs / 1000)} s; ` +
          "wait for it to finish (or stop it) and run the command again",
      );
    }
    if (!waiting) {
      waiting = true;
      onWait?.();
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}
