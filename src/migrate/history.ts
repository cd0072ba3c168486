import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { SqlDialect } from "../dialect/index.js";
import type { TableModel } from "../schema/index.js";

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

/** The history table, rendered by each engine like any declared table (`CREATE TABLE IF NOT EXISTS`). */
const HISTORY_MODEL: TableModel = {
  name: HISTORY_TABLE,
  columns: [
    { name: "id", key: "id", type: { kind: "varchar", length: 255 }, nullable: false },
    { name: "checksum", key: "checksum", type: { kind: "varchar", length: 64 }, nullable: false },
    {
      name: "status",
      key: "status",
      type: { kind: "varchar", length: 16 },
      nullable: false,
      default: { kind: "literal", value: "applied" },
    },
    {
      name: "steps_done",
      key: "stepsDone",
      type: { kind: "integer" },
      nullable: false,
      default: { kind: "literal", value: 0 },
    },
    { name: "applied_at", key: "appliedAt", type: { kind: "timestamp" }, nullable: false },
    { name: "duration_ms", key: "durationMs", type: { kind: "integer" }, nullable: true },
  ],
  primaryKey: { name: `pk_${HISTORY_TABLE}`, columns: ["id"] },
  uniques: [],
  checks: [],
  foreignKeys: [],
  indexes: [],
  meta: {},
};

/**
 * Reads and writes the history table. `db` must be a Kysely without plinth's plugins (column names
 * are the table's own) and, while migrating, the runner's pinned connection or transaction.
 */
export class History {
  constructor(
    private readonly db: Kysely<any>,
    private readonly dialect: SqlDialect,
  ) {}

  /** The same history over another executor (a transaction of the same connection). */
  on(db: Kysely<any>): History {
    return new History(db, this.dialect);
  }

  async ensureTable(): Promise<void> {
    for (const statement of this.dialect.createTable(HISTORY_MODEL, new Set(), { ifNotExists: true }))
      await sql.raw(statement).execute(this.db);
  }

  async exists(): Promise<boolean> {
    return (await this.dialect.listTables(this.db)).has(HISTORY_TABLE);
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
      VALUES (${id}, ${checksum}, 'applied', ${steps}, ${sql.raw(this.dialect.now)}, ${Math.round(durationMs)})`.execute(
      this.db,
    );
  }

  /**
   * Records a migration as applied without having run it (baseline): the database already had its
   * schema. No duration, which tells these rows apart.
   */
  async baselined(id: string, checksum: string): Promise<void> {
    await sql`INSERT INTO ${sql.table(HISTORY_TABLE)} (id, checksum, status, steps_done, applied_at, duration_ms)
      VALUES (${id}, ${checksum}, 'applied', 0, ${sql.raw(this.dialect.now)}, NULL)`.execute(this.db);
  }

  /** MySQL: a migration starts; its steps are counted from here. */
  async started(id: string, checksum: string): Promise<void> {
    await sql`INSERT INTO ${sql.table(HISTORY_TABLE)} (id, checksum, status, steps_done, applied_at, duration_ms)
      VALUES (${id}, ${checksum}, 'running', 0, ${sql.raw(this.dialect.now)}, NULL)`.execute(this.db);
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
      SET status = 'applied', steps_done = ${steps}, applied_at = ${sql.raw(this.dialect.now)}, duration_ms = ${Math.round(durationMs)}
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
