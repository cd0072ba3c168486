import type { CompiledQuery, Kysely } from "kysely";

/** One row change made through a repository, as the audit trail (and later capabilities) see it. */
export interface RowChange {
  table: string;
  /** The primary key value (or values joined, for a composite key), as text. */
  rowId: string;
  action: "create" | "update" | "delete";
  /** Database column names → values before the change (absent for create). */
  before?: Record<string, unknown>;
  /** Database column names → values after the change (absent for delete). */
  after?: Record<string, unknown>;
}

/**
 * Called by repositories inside the transaction of the write, so whatever a hook writes commits or
 * rolls back with the change itself.
 */
export interface WriteHooks {
  afterWrite(trx: Kysely<any>, change: RowChange): Promise<void>;
  /**
   * Whether writes to `table` (database name) reach the hooks at all. A table they ignore is written
   * without the read-before and the transaction that hooks need. Without it, every table is.
   */
  observes?(table: string): boolean;
  /**
   * The statements `afterWrite` would run for `change`, compiled for `kysely`'s dialect with their
   * parameters as the driver takes them, without running them. Hooks that can say this let a write
   * run whole on SQLite's driver, synchronously (see SyncExecutor).
   */
  statementsFor?(kysely: Kysely<any>, change: RowChange): CompiledQuery[];
  /**
   * PostgreSQL: one statement that updates one row and does the hooks' work for it in the same
   * statement, returning the updated row (every column, under TypeScript keys, as the driver returns
   * it) or no row when none matched. Undefined when the hooks cannot say their work in SQL for this
   * update; the repository then takes its transaction path.
   */
  updateStatement?(update: SingleRowUpdate): CompiledQuery | undefined;
}

/** One row's UPDATE, in database names, with values encoded for the driver. */
export interface SingleRowUpdate {
  table: string;
  /** Column → new value (the version column is not here: it is incremented). */
  set: Record<string, unknown>;
  /** Primary-key column → value. */
  key: Record<string, unknown>;
  /** The version column, incremented by the update. */
  version?: string;
  /** Update only the row at this version. */
  expectedVersion?: number;
  /** The soft-delete column: only a live row (where it is null) is updated. */
  deletedAt?: string;
}
