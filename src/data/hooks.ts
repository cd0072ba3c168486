import type { Kysely } from "kysely";

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
}
