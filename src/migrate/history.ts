import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Dialect } from "../schema/index.js";

/** The table that records which migrations a database has; plinth's own, never part of a schema. */
export const HISTORY_TABLE = "plinth_migrations";

/**
 * `applied`: done. `running` / `reverting`: a MySQL migration (up / down) stopped part-way, with
 * `stepsDone` steps already committed; MySQL commits each DDL statement by itself, so the runner
 * keeps this to resume at the next step. PostgreSQL and SQLite only ever store `applied` rows,
 * because there a migration and its row commit together.
 */
export type HistoryStatus = "applied" | "running" | "reverting";

export interface HistoryRow {
  id: string;
  checksum: string;
  status: HistoryStatus;
  stepsDone: number;
  appliedAt: Date;
  durationMs: number | null;
}

const CREATE: Record<Dialect, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "${HISTORY_TABLE}" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "checksum" TEXT NOT NULL,
  "status" TEXT NOT NULL DEFAULT 'applied',
  "steps_done" INTEGER NOT NULL DEFAULT 0,
  "applied_at" TEXT NOT NULL,
  "duration_ms" INTEGER
) STRICT`,
  postgres: `CREATE TABLE IF NOT EXISTS "${HISTORY_TABLE}" (
  "id" varchar(255) NOT NULL PRIMARY KEY,
  "checksum" char(64) NOT NULL,
  "status" varchar(16) NOT NULL DEFAULT 'applied',
  "steps_done" integer NOT NULL DEFAULT 0,
  "applied_at" timestamptz(3) NOT NULL,
  "duration_ms" integer
)`,
  mysql: `CREATE TABLE IF NOT EXISTS \`${HISTORY_TABLE}\` (
  \`id\` VARCHAR(255) NOT NULL PRIMARY KEY,
  \`checksum\` CHAR(64) NOT NULL,
  \`status\` VARCHAR(16) NOT NULL DEFAULT 'applied',
  \`steps_done\` INT NOT NULL DEFAULT 0,
  \`applied_at\` DATETIME(3) NOT NULL,
  \`duration_ms\` INT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
};

/** The database's clock in UTC, in the column's type. */
const NOW: Record<Dialect, string> = {
  sqlite: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
  postgres: "now()",
  mysql: "UTC_TIMESTAMP(3)",
};

/**
 * Reads and writes the history table. `db` must be a Kysely without plinth's plugins (column names
 * are the table's own) and, while migrating, the runner's pinned connection or transaction.
 */
export class History {
  constructor(
    private readonly db: Kysely<any>,
    private readonly dialect: Dialect,
  ) {}

  /** The same history over another executor (a transaction of the same connection). */
  on(db: Kysely<any>): History {
    return new History(db, this.dialect);
  }

  async ensureTable(): Promise<void> {
    await sql.raw(CREATE[this.dialect]).execute(this.db);
  }

  async exists(): Promise<boolean> {
    const query =
      this.dialect === "sqlite"
        ? sql`SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ${HISTORY_TABLE}`
        : this.dialect === "postgres"
          ? sql`SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ${HISTORY_TABLE}`
          : sql`SELECT 1 AS x FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ${HISTORY_TABLE}`;
    return (await query.execute(this.db)).rows.length > 0;
  }

  /** Every row, oldest first; an empty list when the table does not exist yet (read-only callers). */
  async read(): Promise<HistoryRow[]> {
    if (!(await this.exists())) return [];
    const { rows } = await sql<Record<string, unknown>>`
      SELECT id, checksum, status, steps_done, applied_at, duration_ms FROM ${sql.table(HISTORY_TABLE)}
      ORDER BY applied_at, id`.execute(this.db);
    return rows.map((r) => ({
      id: String(r.id),
      checksum: String(r.checksum).trim(),
      status: String(r.status) as HistoryStatus,
      stepsDone: Number(r.steps_done),
      appliedAt: r.applied_at instanceof Date ? r.applied_at : new Date(String(r.applied_at)),
      durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
    }));
  }

  /** Records a finished migration (replacing any partial row for it). */
  async applied(id: string, checksum: string, steps: number, durationMs: number): Promise<void> {
    await this.remove(id);
    await sql`INSERT INTO ${sql.table(HISTORY_TABLE)} (id, checksum, status, steps_done, applied_at, duration_ms)
      VALUES (${id}, ${checksum}, 'applied', ${steps}, ${sql.raw(NOW[this.dialect])}, ${Math.round(durationMs)})`.execute(
      this.db,
    );
  }

  /** MySQL: a migration starts; its steps are counted from here. */
  async started(id: string, checksum: string): Promise<void> {
    await sql`INSERT INTO ${sql.table(HISTORY_TABLE)} (id, checksum, status, steps_done, applied_at, duration_ms)
      VALUES (${id}, ${checksum}, 'running', 0, ${sql.raw(NOW[this.dialect])}, NULL)`.execute(this.db);
  }

  /** MySQL: an applied migration starts being rolled back; its reverse steps are counted from here. */
  async reverting(id: string): Promise<void> {
    await sql`UPDATE ${sql.table(HISTORY_TABLE)} SET status = 'reverting', steps_done = 0 WHERE id = ${id}`.execute(
      this.db,
    );
  }

  /** MySQL: a rollback failed before undoing anything; the migration is simply applied again. */
  async stillApplied(id: string, steps: number): Promise<void> {
    await sql`UPDATE ${sql.table(HISTORY_TABLE)} SET status = 'applied', steps_done = ${steps} WHERE id = ${id}`.execute(
      this.db,
    );
  }

  async progress(id: string, stepsDone: number): Promise<void> {
    await sql`UPDATE ${sql.table(HISTORY_TABLE)} SET steps_done = ${stepsDone} WHERE id = ${id}`.execute(
      this.db,
    );
  }

  async finished(id: string, steps: number, durationMs: number): Promise<void> {
    await sql`UPDATE ${sql.table(HISTORY_TABLE)}
      SET status = 'applied', steps_done = ${steps}, applied_at = ${sql.raw(NOW[this.dialect])}, duration_ms = ${Math.round(durationMs)}
      WHERE id = ${id}`.execute(this.db);
  }

  async acceptChecksum(id: string, checksum: string): Promise<void> {
    await sql`UPDATE ${sql.table(HISTORY_TABLE)} SET checksum = ${checksum} WHERE id = ${id}`.execute(
      this.db,
    );
  }

  async remove(id: string): Promise<void> {
    await sql`DELETE FROM ${sql.table(HISTORY_TABLE)} WHERE id = ${id}`.execute(this.db);
  }
}
